import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logsCommand } from '../../src/cli/commands/logs-command.js';
import { RunStore } from '../../src/runner/run-store.js';
import { job, records, testDirs, waitFor, writeConfig, type TestDirs } from '../daemon/helpers/daemon-harness.js';
import { startSmtpSink } from '../fixtures/smtp-sink.js';
import { captureIo, sisrelay } from './helpers/cli-harness.js';

let dirs: TestDirs;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  dirs = await testDirs('sisrelay-cli-runs-');
  await mkdir(join(dirs.root, 'outbox'));
  await writeConfig(dirs, {
    connections: {
      outbox: { type: 'local', path: join(dirs.root, 'outbox') },
      nowhere: { type: 'local', path: join(dirs.root, 'no-such-dir') },
    },
    jobs: {
      ok: job('succeeds', { schedule: '0 3 * * *', params: { rows: 4 } }),
      bad: job('throws-permanent'),
      ctx: job('reports-context', { params: { destination: 'outbox' } }),
      lost: job('reports-context', { params: { destination: 'nowhere' } }),
      down: job('transient-always', { retries: { max: 1, initialDelay: '100ms', maxDelay: '100ms' } }),
      follow: job('succeeds', { params: { rows: 2 } }),
      busy: job('succeeds'),
    },
  });
  env = { SISRELAY_CONFIG: dirs.configFile };
});

afterAll(async () => {
  await dirs.cleanup();
});

const runIdIn = (out: string): string => /^run (\S+) (succeeded|failed)/m.exec(out)![1]!;

/** Later tests reuse the runs earlier ones made; run alone (-t), they make their own. */
async function ensureRuns(jobName: string, n: number): Promise<void> {
  while ((await records(dirs, jobName)).length < n) await sisrelay(['run', jobName], env);
}

describe('sisrelay run', () => {
  it('runs a job in the foreground: exit 0, run id and run directory printed, recorded as a manual run', async () => {
    const r = await sisrelay(['run', 'ok'], env);
    expect(r.code).toBe(0);
    const runId = runIdIn(r.out);
    const runDir = join(dirs.stateDir, 'runs', 'ok', runId);
    expect(r.io.stdout).toEqual(expect.arrayContaining([
      `run ${runId} started (attempt 1)`,
      `  run directory: ${runDir}`,
      expect.stringMatching(new RegExp(`^run ${runId} succeeded in \\d`)),
      '  counts: rows_read=4 rows_written=4',
      `  file: ${join(runDir, 'files', 'out.csv')} (44 bytes, 4 rows)`,
      '  note: wrote 4 rows',
    ]));
    const [record] = await records(dirs, 'ok');
    expect(record).toMatchObject({ runId, trigger: 'manual', slot: null, status: 'succeeded', dryRun: false });
    expect(readFileSync(join(dirs.logDir, 'ok.log'), 'utf8')).toContain('wrote file');
  });

  it('exits 1 when the run fails and prints the error', async () => {
    const r = await sisrelay(['run', 'bad'], env);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^run \S+ failed in /m);
    expect(r.out).toContain('  error: DATA_INVALID: students.csv row 7: expected a grade level 0-12, found "13"');
  });

  it('passes --dry-run (and --force) to the job', async () => {
    const dry = await sisrelay(['run', 'ctx', '--dry-run', '--force'], env);
    expect(dry.code).toBe(0);
    expect(dry.out).toContain('started (attempt 1, dry run, forced)');
    expect(dry.out).toContain(`  note: dryRun:true force:true trigger:manual destination:${join(dirs.root, 'outbox')}`);
    const wet = await sisrelay(['run', 'ctx'], env);
    expect(wet.out).toContain('  note: dryRun:false force:false trigger:manual');
    const [last, first] = await records(dirs, 'ctx');
    expect([first!.dryRun, last!.dryRun]).toEqual([true, false]);
  });

  it('retries a transient failure in the foreground, and --no-retries leaves no retry behind', async () => {
    const retried = await sisrelay(['run', 'down'], env);
    expect(retried.code).toBe(1);
    expect(retried.out).toMatch(/^run \S+ failed with SQL_CONNECT_REFUSED \(transient\); retry at /m);
    expect((await records(dirs, 'down')).map((r) => r.attempt)).toEqual([2, 1]);

    await rm(join(dirs.stateDir, 'runs', 'down'), { recursive: true });
    const once = await sisrelay(['run', 'down', '--no-retries'], env);
    expect(once.code).toBe(1);
    expect(once.out).not.toContain('retry at');
    const after = await records(dirs, 'down');
    expect(after.map((r) => [r.attempt, r.status, r.nextRetryAt])).toEqual([[1, 'failed', null]]);
  });

  it('refuses to run a job the daemon is running right now, unless --allow-overlap', async () => {
    const store = new RunStore(dirs.stateDir, dirs.logDir);
    const live = await store.create({ job: 'busy', type: 'succeeds', trigger: 'schedule', slot: null });
    await store.write({ ...live, pid: process.pid });
    const refused = await sisrelay(['run', 'busy'], env);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(`expected no run of busy in progress, found run ${live.runId} (pid ${process.pid}); wait for it or pass --allow-overlap`);
    expect(await records(dirs, 'busy')).toHaveLength(1);
    const forced = await sisrelay(['run', 'busy', '--allow-overlap'], env);
    expect(forced.code).toBe(0);
  });

  it('exits 2 for an unknown job and lists the jobs', async () => {
    const r = await sisrelay(['run', 'nope'], env);
    expect(r.code).toBe(2);
    expect(r.err).toContain('JOB_UNKNOWN: expected the name of a job in');
    expect(r.err).toContain('(ok, bad, ctx, lost, down, follow, busy), found "nope"');
  });
});

describe('sisrelay history and status', () => {
  it('lists runs newest first as a table and as JSON records, with --limit', async () => {
    await ensureRuns('ok', 2);
    const [newest, older] = await records(dirs, 'ok');
    const table = await sisrelay(['history', 'ok'], env);
    expect(table.code).toBe(0);
    expect(table.io.stdout[0]).toMatch(/^RUN +TRIGGER +STATUS +STARTED \(UTC\) +TOOK +DETAIL$/);
    expect(table.io.stdout.slice(1).map((l) => l.split(/ +/).slice(0, 3))).toEqual([
      [newest!.runId, 'manual', 'succeeded'],
      [older!.runId, 'manual', 'succeeded'],
    ]);
    const limited = await sisrelay(['history', 'ok', '--json', '--limit', '1'], env);
    expect(JSON.parse(limited.out)).toEqual([newest]);
    const bad = await sisrelay(['history', 'ok', '--limit', 'lots'], env);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('--limit: expected a whole number 1 or more, found "lots"');
    const none = await sisrelay(['history', 'follow'], env);
    expect(none.out).toBe(`no runs of follow recorded in ${join(dirs.stateDir, 'runs')}`);
  });

  it('shows whether the daemon runs and, per job, the last run, last success and next run', async () => {
    await ensureRuns('ok', 1);
    await ensureRuns('bad', 1);
    const down = await sisrelay(['status'], env);
    expect(down.io.stdout[0]).toBe(`daemon: not running (state ${dirs.stateDir})`);
    const okBlock = down.io.stdout.slice(down.io.stdout.indexOf('ok (succeeds)'), down.io.stdout.indexOf('ok (succeeds)') + 4);
    const [latest] = await records(dirs, 'ok');
    expect(okBlock).toEqual([
      'ok (succeeds)',
      `  last run:     succeeded ${latest!.finishedAt} ${latest!.runId}`,
      `  last success: ${latest!.finishedAt}`,
      expect.stringMatching(/^ {2}next run: {5}\d{4}-\d\d-\d\dT03:00:00\+00:00 \d{4}-\d\d-\d\dT03:00:00Z$/),
    ]);
    expect(down.out).toMatch(/^bad \(throws-permanent\)\n {2}last run: {5}failed \S+ \S+ DATA_INVALID\n {2}last success: never\n {2}next run: {5}manual$/m);

    await mkdir(dirs.stateDir, { recursive: true });
    await writeFile(join(dirs.stateDir, 'daemon.pid'), `${process.pid}\n`);
    try {
      const up = await sisrelay(['status', '--json'], env);
      const parsed = JSON.parse(up.out) as { daemon: { running: boolean; pid: number }; jobs: Array<{ job: string; last: { status: string } | null }> };
      expect(parsed.daemon).toEqual({ running: true, pid: process.pid, config: dirs.configFile });
      expect(parsed.jobs.find((j) => j.job === 'bad')!.last).toMatchObject({ status: 'failed', error: 'DATA_INVALID' });
      expect(parsed.jobs.find((j) => j.job === 'follow')!.last).toBeNull();
    } finally {
      await rm(join(dirs.stateDir, 'daemon.pid'));
    }
  });
});

describe('sisrelay logs', () => {
  it("prints the latest run's log, or a given run's", async () => {
    await ensureRuns('ok', 2);
    const [latest, older] = await records(dirs, 'ok');
    const r = await sisrelay(['logs', 'ok'], env);
    expect(r.code).toBe(0);
    expect(r.out).toBe(readFileSync(latest!.logFile, 'utf8').trimEnd());
    const byId = await sisrelay(['logs', 'ok', '--run', older!.runId], env);
    expect(byId.out).toBe(readFileSync(older!.logFile, 'utf8').trimEnd());
    const unknown = await sisrelay(['logs', 'ok', '--run', '20990101T000000000Z-000000'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toBe(`sisrelay: no run 20990101T000000000Z-000000 of ok in ${join(dirs.stateDir, 'runs')}`);
    const never = await sisrelay(['logs', 'lost'], env);
    expect(never).toMatchObject({ code: 0, out: `no runs of lost yet (${join(dirs.logDir, 'lost.log')} does not exist)` });
  });

  it('-f keeps following and switches to each new run', async () => {
    const io = captureIo(env);
    const stop = new AbortController();
    const following = logsCommand(io, 'follow', { follow: true, pollMs: 50, signal: stop.signal });
    try {
      expect((await sisrelay(['run', 'follow'], env)).code).toBe(0);
      expect((await sisrelay(['run', 'follow'], env)).code).toBe(0);
      const [second, first] = await records(dirs, 'follow');
      await waitFor(() => io.stdout.join('\n').includes(readFileSync(second!.logFile, 'utf8').trimEnd()), 5000, 'the second log to be followed');
      const text = io.stdout.join('\n');
      const firstAt = text.indexOf(`==> ${first!.logFile} <==`);
      const secondAt = text.indexOf(`==> ${second!.logFile} <==`);
      expect(firstAt).toBeGreaterThanOrEqual(0);
      expect(secondAt).toBeGreaterThan(firstAt);
      expect(text.slice(firstAt, secondAt)).toContain(readFileSync(first!.logFile, 'utf8').trimEnd());
    } finally {
      stop.abort();
    }
    expect(await following).toBe(0);
  });
});

describe('sisrelay check', () => {
  it('tests the connections a job uses: exit 0 when all work, 1 with the failing one named', async () => {
    const ok = await sisrelay(['check', 'ctx'], env);
    expect(ok.code).toBe(0);
    expect(ok.io.stdout).toEqual([expect.stringMatching(/^ok {4}outbox \(local\): directory readable; 0 entries in the login directory/), 'all 1 connections of ctx work']);
    const lost = await sisrelay(['check', 'lost'], env);
    expect(lost.code).toBe(1);
    expect(lost.io.stdout[0]).toMatch(/^FAIL {2}nowhere \(local\): [A-Z_]+: .*no-such-dir/);
    expect(lost.io.stdout[1]).toBe('1 of 1 connections failed');
    expect(existsSync(join(dirs.root, 'no-such-dir'))).toBe(false);
  });
});

describe('sisrelay run --notify', () => {
  it("sends the job's alert only when asked", async () => {
    const smtp = await startSmtpSink();
    const own = await testDirs('sisrelay-cli-notify-');
    try {
      await writeConfig(own, {
        daemon: { notifications: { emailConnection: 'mail', emailTo: ['ops@example.edu'] } },
        connections: { mail: { type: 'smtp', host: '127.0.0.1', port: smtp.port, requireTls: false, from: 'sisrelay@example.edu', timeout: '5s' } },
        jobs: { bad: job('throws-permanent', { alerts: { email: true, slack: false } }) },
      });
      const quiet = await sisrelay(['run', 'bad', '--config', own.configFile]);
      expect(quiet.code).toBe(1);
      expect(smtp.messages).toEqual([]);
      const loud = await sisrelay(['run', 'bad', '--notify', '--config', own.configFile]);
      expect(loud.code).toBe(1);
      const runId = runIdIn(loud.out);
      expect(smtp.messages.map((m) => m.subject)).toEqual([expect.stringMatching(/^\[sisrelay\] bad FAILED on \S+: DATA_INVALID$/)]);
      expect(smtp.messages[0]!.text).toContain(`Run:         ${runId} (attempt 1, manual)`);
      expect(loud.err).toContain('alert failure for job bad sent via email');
    } finally {
      await smtp.close();
      await own.cleanup();
    }
  });
});
