import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDaemonLogger, formatLine } from '../../src/observability/daemon-logger.js';
import { Redactor } from '../../src/util/redactor.js';

describe('daemon logger', () => {
  it('puts job and run first, quotes values with spaces, and skips undefined fields', () => {
    expect(formatLine('T', 'info', 'run finished', { status: 'failed', run: 'r1', job: 'j', note: 'two words', gone: undefined })).toBe(
      'T info  job=j run=r1 run finished status=failed note="two words"',
    );
  });

  it('writes redacted lines at or above its level to <logDir>/sisrelay.log, mode 0640', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sisrelay-dlog-'));
    const log = createDaemonLogger({ level: 'info', logDir: dir, redactor: new Redactor(['hunter2-secret']), console: false });
    log.debug('not written');
    log.info('login failed password=hunter2-secret', { job: 'littlesis-roster', run: 'r42' });
    log.error('boom');
    await log.close();
    const lines = readFileSync(join(dir, 'sisrelay.log'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info  job=littlesis-roster run=r42 login failed password=\[REDACTED\]$/);
    expect(lines[1]).toMatch(/ error boom$/);
    expect(statSync(join(dir, 'sisrelay.log')).mode & 0o777).toBe(0o640);
  });
});
