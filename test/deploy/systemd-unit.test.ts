import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { daemonSchema, jobSchema } from '../../src/config/daemon-schema.js';
import { parseDuration } from '../../src/util/duration.js';

// systemd is not running on the build machine, so the unit is checked offline: systemd-analyze
// verify must print nothing (it exits 0 even for unknown keys, so any output is a failure).
const unitPath = new URL('../../deploy/sisrelay.service', import.meta.url).pathname;
const unit = readFileSync(unitPath, 'utf8');
const directive = (key: string): string[] =>
  unit.split('\n').filter((l) => l.startsWith(`${key}=`)).map((l) => l.slice(key.length + 1));

describe('deploy/sisrelay.service', () => {
  it('passes systemd-analyze verify with no output', () => {
    const r = spawnSync('systemd-analyze', ['verify', unitPath], { encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`).toBe('');
    expect(r.status).toBe(0);
  });

  it('has the service shape the README promises', () => {
    expect(directive('Type')).toEqual(['exec']);
    expect(directive('Environment')).toContain('TZ=UTC');
    expect(directive('ExecReload')).toEqual(['/bin/kill -HUP $MAINPID']);
    expect(directive('StateDirectory')).toEqual(['sisrelay']);
    expect(directive('LogsDirectory')).toEqual(['sisrelay']);
    expect(directive('LoadCredential')).toEqual(['sisrelay:/etc/sisrelay/credentials']);
    expect(directive('ProtectSystem')).toEqual(['strict']);
    expect(directive('NoNewPrivileges')).toEqual(['yes']);
    expect(directive('PrivateTmp')).toEqual(['yes']);
    expect(directive('Restart')).toEqual(['on-failure']);
  });

  it('gives the daemon longer to stop than its own drain bound', () => {
    const stopSec = Number(directive('TimeoutStopSec')[0]);
    const drainMs = parseDuration(daemonSchema.shutdownGrace.default)! + parseDuration(jobSchema.killGrace.default)!;
    expect(stopSec * 1000).toBeGreaterThan(drainMs + 10_000);
  });

  it('ships an admin wrapper that is valid shell and runs as the service user with its credentials', () => {
    const path = new URL('../../deploy/sisrelay-admin', import.meta.url).pathname;
    const r = spawnSync('sh', ['-n', path], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const text = readFileSync(path, 'utf8');
    expect(text).toContain('--property=User=sisrelay');
    expect(text).toContain('--property=LoadCredential=sisrelay:/etc/sisrelay/credentials');
  });
});
