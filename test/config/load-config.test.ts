import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load-config.js';
import { jobCatalog } from '../../src/jobs/catalog.js';
import type { Config } from '../../src/config/config-types.js';

const catalog = jobCatalog();
const dir = mkdtempSync(join(tmpdir(), 'sisrelay-config-'));
let n = 0;

function write(obj: unknown, raw?: string): string {
  const file = join(dir, `c${n++}.json`);
  writeFileSync(file, raw ?? JSON.stringify(obj, null, 2));
  return file;
}

const sftp = {
  type: 'sftp',
  host: 'sftp.example.org',
  port: 2225,
  username: 'district',
  password: { env: 'T_SFTP_PW' },
  hostKey: 'SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU',
};
const oracle = { type: 'oracle', connectString: 'db.example.org:1521/PSPRODDB', user: 'psnavigator', password: { env: 'T_DB_PW' } };
const env = { T_SFTP_PW: 'sftp-secret-1', T_DB_PW: 'db-secret-2' };

function base(overrides: Record<string, unknown> = {}) {
  return {
    daemon: { stateDir: 'state', logDir: 'logs' },
    connections: { powerschool: oracle, 'littlesis-sftp': sftp },
    jobs: { 'littlesis-roster': { schedule: '15 3 * * *' } },
    ...overrides,
  };
}

function problemsOf(file: string, e: NodeJS.ProcessEnv = env): string[] {
  try {
    loadConfig({ file, catalog, env: e });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  throw new Error('expected the config to be rejected');
}

describe('loadConfig', () => {
  it('loads a minimal file, applies defaults and resolves paths, durations and secrets', () => {
    const file = write(base());
    const c: Config = loadConfig({ file, catalog, env });
    expect(c.daemon.timezone).toBe('America/Chicago');
    expect(c.daemon.stateDir).toBe(join(dir, 'state'));
    expect(c.daemon.shutdownGraceMs).toBe(60_000);
    expect(c.daemon.retention.maxAgeMs).toBe(42 * 86_400_000);
    const job = c.jobs['littlesis-roster']!;
    expect(job.type).toBe('littlesis-roster');
    expect(job.timezone).toBe('America/Chicago');
    expect(job.timeoutMs).toBe(3_600_000);
    expect(job.retries).toEqual({ max: 2, initialDelayMs: 60_000, maxDelayMs: 900_000 });
    expect(job.overlap).toBe('skip');
    expect(job.catchUpMs).toBe(0);
    expect(job.connections).toEqual(['powerschool', 'littlesis-sftp']);
    expect(job.params.remotePath).toBe('littlesis_roster.csv');
    const conn = c.connections.powerschool!;
    expect(conn.type === 'oracle' && conn.password).toBe('db-secret-2');
    expect(new Set(c.secrets)).toEqual(new Set(['sftp-secret-1', 'db-secret-2']));
    expect(Object.isFrozen(c.jobs['littlesis-roster']!.params)).toBe(true);
  });

  it('reports every problem at once, each naming the key, what was expected and what was found', () => {
    const file = write(
      base({
        jobs: {
          'littlesis-roster': { schedule: '61 3 * * *', timezone: 'Mountain Standard Time', shedule: 'x', overlap: 'sometimes' },
        },
        extra: true,
      }),
    );
    const lines = problemsOf(file, { T_DB_PW: 'x' });
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^extra: unknown key; expected one of: daemon, connections, jobs, sandbox$/),
        expect.stringMatching(/^jobs\.littlesis-roster\.schedule: .*61/),
        expect.stringMatching(/^jobs\.littlesis-roster\.timezone: expected .*IANA.*Mountain Standard Time/),
        expect.stringMatching(/^jobs\.littlesis-roster\.shedule: unknown key; expected one of: .*schedule/),
        expect.stringMatching(/^jobs\.littlesis-roster\.overlap: expected one of "skip", "queue", found "sometimes"/),
        expect.stringMatching(/^connections\.littlesis-sftp\.password: expected environment variable T_SFTP_PW to be set/),
      ]),
    );
    expect(lines.length).toBeGreaterThanOrEqual(6);
  });

  it('rejects 6-field (seconds) cron expressions', () => {
    const lines = problemsOf(write(base({ jobs: { 'littlesis-roster': { schedule: '0 15 3 * * *' } } })));
    expect(lines.join('\n')).toMatch(/jobs\.littlesis-roster\.schedule: expected 5 fields.*found 6/);
  });

  it('refuses a secret written literally in the file and never echoes it', () => {
    const file = write(base({ connections: { powerschool: { ...oracle, password: 'hunter2-literal' }, 'littlesis-sftp': sftp } }));
    const lines = problemsOf(file);
    const text = lines.join('\n');
    expect(text).toMatch(/connections\.powerschool\.password: expected a secret reference .* found a literal string/);
    expect(text).not.toContain('hunter2-literal');
  });

  it('resolves secrets from $CREDENTIALS_DIRECTORY, including the env-name fallback, and from files', () => {
    const cred = mkdtempSync(join(tmpdir(), 'sisrelay-cred-'));
    // LoadCredential=sisrelay:/etc/sisrelay/credentials names each file sisrelay_<NAME>.
    writeFileSync(join(cred, 'sisrelay_T_DB_PW'), 'from-credential-dir\n');
    writeFileSync(join(cred, 'sftp-pw'), 'from-named-credential\n');
    mkdirSync(join(dir, 'secrets'), { recursive: true });
    writeFileSync(join(dir, 'secrets', 'pw'), 'from-file\n');
    const file = write(
      base({
        connections: {
          powerschool: oracle,
          'littlesis-sftp': { ...sftp, password: { credential: 'sftp-pw' } },
          other: { ...sftp, password: { file: 'secrets/pw' } },
        },
      }),
    );
    const c = loadConfig({ file, catalog, env: { CREDENTIALS_DIRECTORY: cred } });
    const get = (name: string) => (c.connections[name] as { password: string }).password;
    expect(get('powerschool')).toBe('from-credential-dir');
    expect(get('littlesis-sftp')).toBe('from-named-credential');
    expect(get('other')).toBe('from-file');
  });

  it('checks that jobs name existing connections of the right type', () => {
    const file = write(
      base({ jobs: { 'littlesis-roster': { schedule: '15 3 * * *', params: { source: 'littlesis-sftp', destination: 'nowhere' } } } }),
    );
    const text = problemsOf(file).join('\n');
    expect(text).toMatch(/jobs\.littlesis-roster\.params\.source: expected a connection of type oracle or mssql or postgres or pglite, found "littlesis-sftp" of type sftp/);
    expect(text).toMatch(/jobs\.littlesis-roster\.params\.destination: expected the name of a connection of type sftp or local, found "nowhere" \(no such connection\)/);
  });

  it('requires a pinned host key on every sftp connection', () => {
    const { hostKey: _omit, ...noKey } = sftp;
    const text = problemsOf(write(base({ connections: { powerschool: oracle, 'littlesis-sftp': noKey } }))).join('\n');
    expect(text).toMatch(/connections\.littlesis-sftp\.hostKey: expected exactly one of hostKey or knownHostsFile .* found neither/);
  });

  it('names an unknown job type and lists the known ones', () => {
    const text = problemsOf(write(base({ jobs: { nightly: { schedule: '0 4 * * *' } } }))).join('\n');
    expect(text).toMatch(/jobs\.nightly\.type: expected one of littlesis-roster, .*leganto-rollover-report, found "nightly" \(from the job name; set "type"\)/);
  });

  it('reports a syntax error with its line and column', () => {
    const file = write(null, '{\n  // comments are fine\n  "daemon": { "timezone": "UTC", }\n  "jobs": {}\n}\n');
    const text = problemsOf(file).join('\n');
    expect(text).toMatch(/:4:\d+: expected JSON \(comments and trailing commas allowed\), found a syntax error/);
  });

  it('skips secret resolution for read-only commands', () => {
    const c = loadConfig({ file: write(base()), catalog, env: {}, resolveSecrets: false });
    expect(c.secrets).toEqual([]);
    expect(c.jobs['littlesis-roster']!.schedule).toBe('15 3 * * *');
  });

  it('warns about schedules that meet a DST gap or repeated hour', () => {
    const file = write(base({ jobs: { 'littlesis-roster': { schedule: '30 2 * * *' } } }));
    const c = loadConfig({ file, catalog, env, now: new Date('2027-01-01T00:00:00Z') });
    expect(c.warnings.join('\n')).toMatch(/jobs\.littlesis-roster\.schedule: .*2027-03-14/);
  });
});

describe('loadConfig, problems in several places of one job', () => {
  it('reports a bad schedule and an unknown connection of the same job together', () => {
    const file = write(base({ jobs: { 'littlesis-roster': { schedule: 'every night', params: { destination: 'nowhere' } } } }));
    const text = problemsOf(file).join('\n');
    expect(text).toMatch(/jobs\.littlesis-roster\.schedule: /);
    expect(text).toMatch(/jobs\.littlesis-roster\.params\.destination: .*"nowhere" \(no such connection\)/);
  });
});

describe('loadConfig, sftp host keys', () => {
  it('refuses a hostKey that is no key, known_hosts line or SHA256 fingerprint', () => {
    const text = problemsOf(write(base({ connections: { powerschool: oracle, 'littlesis-sftp': { ...sftp, hostKey: 'SHA256:tooshort' } } }))).join('\n');
    expect(text).toMatch(/connections\.littlesis-sftp\.hostKey: expected a known_hosts line.*found "SHA256:tooshort"/);
  });
});
