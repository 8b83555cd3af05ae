import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pidGone } from '../runner/helpers/run-fixtures.js';
import { daemonLog, job, records, testDirs, waitFor, waitForRecord, writeConfig, type TestDirs } from './helpers/daemon-harness.js';

/**
 * Black box: the daemon as its own process (`sisrelay start` with the fixture catalog), killed
 * with SIGKILL in the middle of a run and started again on the same state directory.
 */

const ENTRY = fileURLToPath(new URL('./fixtures/cli-entry.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

interface Proc {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started: ChildProcess[] = [];
let dirs: TestDirs;

beforeAll(async () => {
  dirs = await testDirs('sisrelay-crash-');
});

afterEach(() => {
  for (const p of started.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
});

afterAll(async () => {
  await dirs.cleanup();
});

function sisrelay(...args: string[]): Proc {
  const child = spawn(process.execPath, ['--import', TSX, ENTRY, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SISRELAY_CONFIG: '' } });
  started.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, stdout: () => out, stderr: () => err, exited };
}

const pidFile = (): string => join(dirs.stateDir, 'daemon.pid');
const pidInFile = (): number | null => (existsSync(pidFile()) ? Number.parseInt(readFileSync(pidFile(), 'utf8'), 10) : null);

describe('daemon process killed with SIGKILL during a run, then restarted', () => {
  it('marks the run interrupted, keeps its record and log, takes over the pid lock and keeps scheduling', async () => {
    await writeConfig(dirs, {
      daemon: { shutdownGrace: '1s' },
      jobs: { stuck: job('hangs-ignoring', { schedule: '0 3 * * *', runOnStart: true, killGrace: '500ms' }) },
    });

    // --- first daemon: start a run, then die without any chance to clean up
    const first = sisrelay('start', '--config', dirs.configFile);
    const inFlight = await waitForRecord(dirs, 'stuck', (r) => r.status === 'running' && r.pid !== null, 30_000);
    expect(pidInFile()).toBe(first.child.pid);
    first.child.kill('SIGKILL');
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(pidInFile()).toBe(first.child.pid); // stale lock left behind
    expect((await records(dirs, 'stuck'))[0]).toMatchObject({ runId: inFlight.runId, status: 'running' });

    // --- second daemon on the same state
    const second = sisrelay('start', '--config', dirs.configFile);
    await waitFor(() => daemonLog(dirs).includes(`job=stuck run=${inFlight.runId} run found interrupted after restart`), 30_000, 'recovery of the killed run');
    const recovered = (await records(dirs, 'stuck')).find((r) => r.runId === inFlight.runId)!;
    expect(recovered).toMatchObject({ status: 'interrupted', error: { code: 'RUN_INTERRUPTED' }, nextRetryAt: null });
    expect(recovered.finishedAt).not.toBeNull();
    expect(existsSync(join(recovered.runDir, 'record.json'))).toBe(true);
    const runLog = readFileSync(recovered.logFile, 'utf8');
    expect(runLog).toContain('runner started');
    expect(runLog).toMatch(/runner (marked run interrupted|recovered run from result\.json) after a daemon restart/);
    expect(await waitFor(() => pidGone(inFlight.pid!), 10_000, 'the orphaned run process to be gone').then(() => true)).toBe(true);
    expect(pidInFile()).toBe(second.child.pid);

    // It keeps scheduling: run-on-start fired again, and the cron schedule is armed.
    const fresh = await waitForRecord(dirs, 'stuck', (r) => r.runId !== inFlight.runId && r.status === 'running' && r.pid !== null, 30_000);
    expect(fresh.trigger).toBe('start');
    expect(daemonLog(dirs)).toMatch(/job=stuck scheduled schedule="0 3 \* \* \*" zone=UTC next=\S+T03:00:00\.000Z/);
    // journald sees the same lines on stdout.
    expect(second.stdout()).toContain(`run found interrupted after restart`);

    // --- a third daemon on the same state is refused while the second runs
    const third = sisrelay('start', '--config', dirs.configFile);
    expect((await third.exited).code).toBe(1);
    expect(third.stderr()).toContain(`found one running as pid ${second.child.pid}`);
    expect(pidInFile()).toBe(second.child.pid);

    // --- SIGHUP reloads an edited config
    await writeConfig(dirs, {
      daemon: { shutdownGrace: '1s' },
      jobs: {
        stuck: job('hangs-ignoring', { schedule: '0 3 * * *', runOnStart: true, killGrace: '500ms' }),
        later: job('trivial', { schedule: '0 4 * * *' }),
      },
    });
    second.child.kill('SIGHUP');
    await waitFor(() => /reloaded \(SIGHUP\) generation=2 added=later/.test(daemonLog(dirs)), 10_000, 'the SIGHUP reload');

    // --- SIGTERM: the running run is cancelled within the grace bounds, the process exits 0
    second.child.kill('SIGTERM');
    expect(await second.exited).toEqual({ code: 0, signal: null });
    expect((await records(dirs, 'stuck')).find((r) => r.runId === fresh.runId)).toMatchObject({ status: 'cancelled' });
    expect(existsSync(pidFile())).toBe(false);
    expect(pidGone(fresh.pid!)).toBe(true);
  });
});
