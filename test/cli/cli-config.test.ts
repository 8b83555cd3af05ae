import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_PATH } from '../../src/config/find-config.js';
import { job, testDirs, writeConfig, type TestDirs } from '../daemon/helpers/daemon-harness.js';
import { sisrelay } from './helpers/cli-harness.js';

let dirs: TestDirs;
let otherConfig: string;

beforeAll(async () => {
  dirs = await testDirs('sisrelay-cli-');
  await writeConfig(dirs, {
    connections: { db: { type: 'postgres', database: 'sis', user: 'relay', password: { env: 'DB_PASSWORD' } } },
    jobs: {
      leganto: job('trivial', { schedule: '20 9 * * *', timezone: 'America/Phoenix', description: 'course load' }),
      nightly: job('trivial', { schedule: '30 2 * * *', timezone: 'America/Chicago' }),
      early: job('trivial', { schedule: '30 1 * * *', timezone: 'America/Chicago' }),
      sync: job('trivial', { schedule: '*/15 * * * *', timezone: 'America/Chicago' }),
      manual: job('trivial'),
      off: job('trivial', { schedule: '0 5 * * *', enabled: false }),
      leaky: job('leaks-secret', { params: { db: 'db' } }),
    },
  });
  otherConfig = join(dirs.root, 'other.json5');
  await writeFile(otherConfig, `{ daemon: { stateDir: 'other-state', logDir: 'other-log' }, jobs: { beta: { type: 'trivial', schedule: '0 6 * * *', timezone: 'UTC' } } }\n`);
});

afterAll(async () => {
  await dirs.cleanup();
});

const withSecrets = () => ({ SISRELAY_CONFIG: dirs.configFile, DB_PASSWORD: 'x-secret-x' });

describe('sisrelay validate', () => {
  it('exits 0 for a valid file and prints the DST warnings of its schedules', async () => {
    const r = await sisrelay(['validate', dirs.configFile], { DB_PASSWORD: 'x-secret-x' });
    expect(r.code).toBe(0);
    expect(r.io.stdout[0]).toBe(`config OK: ${dirs.configFile}`);
    expect(r.io.stdout[1]).toBe('  7 jobs (4 scheduled), 1 connections');
    expect(r.out).toMatch(/^ {2}warning: jobs\.nightly\.schedule: 30 2 \* \* \* does not run on \d{4}-03-\d\d \(02:30 falls in the spring-forward gap 02:00–03:00\)$/m);
    expect(r.out).toMatch(/^ {2}warning: jobs\.early\.schedule: 30 1 \* \* \* runs once on \d{4}-11-\d\d at 01:30 CDT/m);
    expect(r.out).not.toContain('jobs.leganto');
  });

  it('exits 1 with one line per problem, every problem at once', async () => {
    const bad = join(dirs.root, 'bad.json');
    await writeFile(bad, JSON.stringify({
      daemon: { stateDir: 'state', logDir: 'log', shutdownGrace: 'soon' },
      jobs: { a: { type: 'trivial', schedule: '0 3 * * 8' }, b: { type: 'nope' }, c: { type: 'trivial', timezone: 'Mars/Olympus' } },
    }));
    const r = await sisrelay(['validate', '--config', bad]);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.io.stderr[0]).toBe(`sisrelay: invalid config ${bad}: 4 problems`);
    expect(r.io.stderr.slice(1).map((l) => l.split(':')[0])).toEqual(['  daemon.shutdownGrace', '  jobs.a.schedule', '  jobs.b.type', '  jobs.c.timezone']);
    expect(r.io.stderr[3]).toContain('found "nope"');
  });

  it('requires the secrets to be set, unless --skip-secrets', async () => {
    const without = await sisrelay(['validate', dirs.configFile]);
    expect(without.code).toBe(1);
    expect(without.io.stderr.slice(1)).toEqual(['  connections.db.password: expected environment variable DB_PASSWORD to be set, found it unset']);
    const skipped = await sisrelay(['validate', dirs.configFile, '--skip-secrets']);
    expect(skipped.code).toBe(0);
    expect(skipped.io.stdout[1]).toBe('  7 jobs (4 scheduled), 1 connections, secrets not checked');
  });

  it('reports an unreadable file and a syntax error with the file position', async () => {
    const missing = await sisrelay(['validate', join(dirs.root, 'missing.json')]);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain(`CONFIG_UNREADABLE: ${join(dirs.root, 'missing.json')}: expected a readable config file, found no such file`);
    const broken = join(dirs.root, 'broken.json');
    await writeFile(broken, '{\n  jobs: {\n    a: { type: "trivial", }\n  \n');
    const syntax = await sisrelay(['validate', broken]);
    expect(syntax.code).toBe(1);
    expect(syntax.io.stderr[1]).toMatch(new RegExp(`^ {2}${broken}:\\d+:\\d+: expected JSON \\(comments and trailing commas allowed\\), found a syntax error`));
  });
});

describe('sisrelay start', () => {
  it('refuses an invalid config with exit 1 and every problem, starting nothing', async () => {
    const bad = join(dirs.root, 'bad-start.json');
    await writeFile(bad, JSON.stringify({ daemon: { stateDir: 'start-state', logDir: 'start-log' }, jobs: { a: { type: 'trivial', schedule: '* * *' }, b: { type: 'trivial', overlap: 'sometimes' } } }));
    const r = await sisrelay(['start', '--config', bad]);
    expect(r.code).toBe(1);
    expect(r.io.stderr[0]).toBe(`sisrelay: invalid config ${bad}: 2 problems`);
    expect(r.io.stderr.slice(1).map((l) => l.split(':')[0])).toEqual(['  jobs.a.schedule', '  jobs.b.overlap']);
    expect(existsSync(join(dirs.root, 'start-state'))).toBe(false);
  });
});

describe('config file discovery', () => {
  it('uses --config first, then $SISRELAY_CONFIG, then the default path', async () => {
    const env = { SISRELAY_CONFIG: otherConfig };
    const fromFlag = await sisrelay(['jobs', '--json', '--config', dirs.configFile], env);
    expect(fromFlag.code).toBe(0);
    expect((JSON.parse(fromFlag.out) as Array<{ job: string }>).map((j) => j.job)).toContain('leganto');

    const fromEnv = await sisrelay(['jobs', '--json'], env);
    expect((JSON.parse(fromEnv.out) as Array<{ job: string }>).map((j) => j.job)).toEqual(['beta']);
    // Relative paths in the file resolve against the file, not the working directory.
    const status = await sisrelay(['status'], env);
    expect(status.out).toContain(`daemon: not running (state ${join(dirs.root, 'other-state')})`);

    const fromDefault = await sisrelay(['validate', '--skip-secrets'], {});
    expect(fromDefault.out + fromDefault.err).toContain(DEFAULT_CONFIG_PATH);
    if (!existsSync(DEFAULT_CONFIG_PATH)) expect(fromDefault.code).toBe(1);
  });
});

describe('sisrelay next', () => {
  it('prints local time with offset, then UTC (America/Phoenix)', async () => {
    const r = await sisrelay(['next', 'leganto', '--count', '2', '--from', '2027-03-15T00:00:00Z'], withSecrets());
    expect(r.code).toBe(0);
    expect(r.io.stdout).toEqual(['2027-03-15T09:20:00-07:00 2027-03-15T16:20:00Z', '2027-03-16T09:20:00-07:00 2027-03-16T16:20:00Z']);
  });

  it('skips 02:30 on the spring-forward day in America/Chicago (positional count)', async () => {
    const r = await sisrelay(['next', 'nightly', '3', '--from', '2027-03-13T12:00:00Z'], withSecrets());
    expect(r.io.stdout).toEqual([
      '2027-03-15T02:30:00-05:00 2027-03-15T07:30:00Z',
      '2027-03-16T02:30:00-05:00 2027-03-16T07:30:00Z',
      '2027-03-17T02:30:00-05:00 2027-03-17T07:30:00Z',
    ]);
  });

  it('runs 01:30 once on the fall-back day, and */15 pauses through the repeated hour', async () => {
    const once = await sisrelay(['next', 'early', '-n', '2', '--from', '2027-11-06T12:00:00Z'], withSecrets());
    expect(once.io.stdout).toEqual(['2027-11-07T01:30:00-05:00 2027-11-07T06:30:00Z', '2027-11-08T01:30:00-06:00 2027-11-08T07:30:00Z']);
    const sync = await sisrelay(['next', 'sync', '-n', '3', '--from', '2027-11-07T06:30:00Z'], withSecrets());
    expect(sync.io.stdout).toEqual([
      '2027-11-07T01:45:00-05:00 2027-11-07T06:45:00Z',
      '2027-11-07T02:00:00-06:00 2027-11-07T08:00:00Z',
      '2027-11-07T02:15:00-06:00 2027-11-07T08:15:00Z',
    ]);
  });

  it('rejects a bad count or instant, explains a manual or disabled job, and exits 2 for an unknown job', async () => {
    const zero = await sisrelay(['next', 'leganto', '--count', '0'], withSecrets());
    expect(zero.code).toBe(1);
    expect(zero.err).toContain('--count: expected a whole number 1-1000, found "0"');
    const from = await sisrelay(['next', 'leganto', '--from', 'yesterday'], withSecrets());
    expect(from.code).toBe(1);
    expect(from.err).toContain('--from: expected an ISO-8601 instant');
    const manual = await sisrelay(['next', 'manual'], withSecrets());
    expect(manual).toMatchObject({ code: 0, out: '', err: 'manual has no schedule (manual or external scheduler only)' });
    const off = await sisrelay(['next', 'off', '-n', '1', '--from', '2027-01-01T00:00:00Z'], withSecrets());
    expect(off.out).toBe('2027-01-01T05:00:00+00:00 2027-01-01T05:00:00Z');
    expect(off.err).toBe('note: off is disabled; the daemon will not run these slots');
    const unknown = await sisrelay(['next', 'nope'], withSecrets());
    expect(unknown.code).toBe(2);
    expect(unknown.err).toBe(`sisrelay: JOB_UNKNOWN: expected the name of a job in ${dirs.configFile} (leganto, nightly, early, sync, manual, off, leaky), found "nope"`);
  });
});

describe('sisrelay jobs', () => {
  it('lists every job with type, schedule, zone and the next run in the job zone and UTC', async () => {
    const r = await sisrelay(['jobs'], { SISRELAY_CONFIG: dirs.configFile });
    expect(r.code).toBe(0);
    expect(r.io.stdout[0]).toMatch(/^JOB +TYPE +SCHEDULE +ZONE +NEXT RUN \(local, UTC\)$/);
    const row = (name: string) => r.io.stdout.find((l) => l.startsWith(`${name} `))!;
    expect(row('leganto')).toMatch(/^leganto +trivial +20 9 \* \* \* +America\/Phoenix +\d{4}-\d\d-\d\dT09:20:00-07:00 \d{4}-\d\d-\d\dT16:20:00Z$/);
    expect(row('manual')).toMatch(/ manual$/);
    expect(row('off')).toMatch(/ disabled$/);
    const json = JSON.parse((await sisrelay(['jobs', '--json'], { SISRELAY_CONFIG: dirs.configFile })).out) as Array<Record<string, unknown>>;
    const leganto = json.find((j) => j.job === 'leganto')!;
    expect(leganto).toMatchObject({ type: 'trivial', enabled: true, schedule: '20 9 * * *', timezone: 'America/Phoenix' });
    const next = Date.parse(String(leganto.next));
    expect(next).toBeGreaterThan(Date.now());
    expect(next - Date.now()).toBeLessThanOrEqual(86_400_000);
    expect(new Date(next).getUTCHours()).toBe(16);
    expect(json.find((j) => j.job === 'manual')!.next).toBeNull();
  });
});

describe('command line handling', () => {
  it('exits 0 for --help, 2 for an unknown command or a missing argument', async () => {
    const help = await sisrelay(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('Usage: sisrelay');
    const commands = help.io.stdout.flatMap((l) => /^ {2}(\S+)/.exec(l)?.[1] ?? []);
    expect(commands).toEqual(expect.arrayContaining(['start', 'run', 'validate', 'jobs', 'next', 'status', 'history', 'logs', 'check']));
    const unknown = await sisrelay(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain("unknown command 'frobnicate'");
    const missing = await sisrelay(['history']);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain("missing required argument 'job'");
  });
});
