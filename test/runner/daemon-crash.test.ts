import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RunStore, type StoreProblem } from '../../src/runner/run-store.js';
import { pidGone, tempDirs, waitFor } from './helpers/run-fixtures.js';

let dirs: Awaited<ReturnType<typeof tempDirs>>;
let store: RunStore;
const problems: StoreProblem[] = [];
const spawned: ChildProcess[] = [];

beforeAll(async () => {
  dirs = await tempDirs();
  store = new RunStore(dirs.stateDir, dirs.logDir, { onProblem: (p) => problems.push(p) });
});
afterEach(() => {
  for (const p of spawned.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
});
afterAll(async () => {
  await dirs.cleanup();
});

const STUB = fileURLToPath(new URL('./helpers/parent-stub.ts', import.meta.url));

/** Start the stand-in daemon and wait until its run's job is running; returns run id and child pid. */
async function startDaemonStub(fixture: string, params: Record<string, unknown>): Promise<{ daemon: ChildProcess; runId: string; pid: number }> {
  const daemon = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), STUB, dirs.stateDir, dirs.logDir, fixture, JSON.stringify(params)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  spawned.push(daemon);
  const line = await new Promise<string>((resolve, reject) => {
    let buf = '';
    daemon.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve(buf.slice(0, nl));
    });
    daemon.on('exit', (code) => reject(new Error(`stub exited early (${code})`)));
  });
  const { runId, pid } = JSON.parse(line) as { runId: string; pid: number };
  return { daemon, runId, pid };
}

describe('daemon killed with SIGKILL during a run', () => {
  it('the orphaned run process exits by itself and recover() marks the run interrupted', async () => {
    const { daemon, runId, pid } = await startDaemonStub('hangs-ignoring', {});
    expect(pidGone(pid)).toBe(false);
    const before = await store.read('crashy', runId);
    expect(before).toMatchObject({ status: 'running', pid });

    daemon.kill('SIGKILL');
    // The job ignores the abort; the run process gives it a short grace, then leaves on its own.
    expect(await waitFor(() => pidGone(pid), 10_000)).toBe(true);

    const changed = await store.recover();
    expect(changed.map((r) => r.runId)).toEqual([runId]);
    const r = changed[0]!;
    expect(r.status).toBe('interrupted');
    expect(r.error?.code).toBe('RUN_INTERRUPTED');
    expect(r.finishedAt).not.toBeNull();
    expect(await store.read('crashy', runId)).toEqual(r);
    const log = await readFile(r.logFile, 'utf8');
    expect(log).toContain('runner started');
    expect(log).not.toContain('runner finished');
    expect(log).toContain('runner recovered run from result.json');
    // Recovering again changes nothing.
    expect(await store.recover()).toEqual([]);
  });

  it('a run that completed after the daemon died is finalised truthfully from result.json', async () => {
    const { daemon, runId, pid } = await startDaemonStub('succeeds', { delayMs: 800, rows: 5 });
    daemon.kill('SIGKILL');
    expect(await waitFor(() => pidGone(pid), 10_000)).toBe(true);
    const onDisk = await store.read('crashy', runId);
    expect(onDisk?.status).toBe('running');
    expect(existsSync(join(onDisk!.runDir, 'result.json'))).toBe(true);

    const changed = await store.recover();
    expect(changed).toHaveLength(1);
    const r = changed[0]!;
    expect(r.runId).toBe(runId);
    expect(r.status).toBe('succeeded');
    expect(r.error).toBeNull();
    expect(r.counts).toEqual({ rows_read: 5, rows_written: 5 });
    expect(r.files.map((f) => f.name)).toEqual(['out.csv']);
    expect(r.durationMs).toBeGreaterThanOrEqual(800);
  });
});

describe('recover() without a result file', () => {
  it('kills a surviving run process (matched by its run id in argv) and marks the run interrupted', async () => {
    const record = await store.create({ job: 'orphan', type: 'x', trigger: 'schedule', slot: null });
    const fake = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'child-entry', record.runId], {
      detached: true,
      stdio: 'ignore',
    });
    spawned.push(fake);
    const exited = new Promise<NodeJS.Signals | null>((r) => fake.on('exit', (_c, s) => r(s)));
    await store.write({ ...record, pid: fake.pid! });

    const changed = await store.recover();
    expect(changed.map((r) => [r.runId, r.status, r.error?.code])).toEqual([[record.runId, 'interrupted', 'RUN_INTERRUPTED']]);
    expect(await exited).toBe('SIGKILL');
    expect(await readFile(record.logFile, 'utf8')).toContain('killed_leftover_processes=true');
  });

  it('never signals an unrelated process that reused the pid', async () => {
    const record = await store.create({ job: 'reused', type: 'x', trigger: 'schedule', slot: null });
    const stranger = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { detached: true, stdio: 'ignore' });
    spawned.push(stranger);
    await store.write({ ...record, pid: stranger.pid! });
    const changed = await store.recover();
    expect(changed.map((r) => r.status)).toEqual(['interrupted']);
    await new Promise((r) => setTimeout(r, 200));
    expect(pidGone(stranger.pid!)).toBe(false);
  });
});
