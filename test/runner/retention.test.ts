import { existsSync } from 'node:fs';
import { lstat, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupRuns } from '../../src/runner/retention.js';
import type { RunRecord } from '../../src/runner/run-record.js';
import { RunStore } from '../../src/runner/run-store.js';
import { tempDirs } from './helpers/run-fixtures.js';

let dirs: Awaited<ReturnType<typeof tempDirs>>;
let store: RunStore;

beforeAll(async () => {
  dirs = await tempDirs();
  store = new RunStore(dirs.stateDir, dirs.logDir, { onProblem: () => undefined });
});
afterAll(async () => {
  await dirs.cleanup();
});

const NOW = new Date('2026-11-22T12:00:00Z');
const DAY = 86_400_000;

async function run(job: string, createdDaysAgo: number, status: RunRecord['status'], finishedDaysAgo: number | null): Promise<RunRecord> {
  const r = await store.create({ job, type: 't', trigger: 'schedule', slot: null, now: new Date(NOW.getTime() - createdDaysAgo * DAY) });
  const done: RunRecord = { ...r, status, finishedAt: finishedDaysAgo === null ? null : new Date(NOW.getTime() - finishedDaysAgo * DAY).toISOString() };
  await store.write(done);
  await writeFile(join(r.runDir, 'files', 'students.csv'), 'x'.repeat(1000), { mode: 0o600 });
  return done;
}

describe('cleanupRuns', () => {
  it('deletes finished runs older than the job age, keeps recent and running ones, uses the default for unknown jobs', async () => {
    const oldOk = await run('nightly', 50, 'succeeded', 50);
    const neverFinished = await run('nightly', 50, 'interrupted', null); // falls back to createdAt
    const oldButFinishedRecently = await run('nightly', 45, 'failed', 10); // age counts from finish
    const recent = await run('nightly', 3, 'succeeded', 3);
    const oldRunning = await run('nightly', 60, 'running', null); // created last: nightly.log points here
    const shortJob = await run('sync', 2, 'succeeded', 2); // sync keeps 1 day
    const removedJobOld = await run('retired', 30, 'succeeded', 30); // default 20 days
    const removedJobNew = await run('retired', 5, 'succeeded', 5);

    const res = await cleanupRuns({
      store,
      retention: [
        { job: 'nightly', maxAgeMs: 42 * DAY },
        { job: 'sync', maxAgeMs: 1 * DAY },
      ],
      defaultMaxAgeMs: 20 * DAY,
      now: NOW,
    });

    const removedIds = res.removed.map((r) => r.runId).sort();
    expect(removedIds).toEqual([oldOk, neverFinished, shortJob, removedJobOld].map((r) => r.runId).sort());
    expect(res.removed.find((r) => r.runId === oldOk.runId)).toEqual({ job: 'nightly', runId: oldOk.runId, finishedAt: oldOk.finishedAt });
    for (const r of [oldOk, neverFinished, shortJob, removedJobOld]) expect(existsSync(r.runDir)).toBe(false);
    for (const r of [oldButFinishedRecently, recent, oldRunning, removedJobNew]) expect(existsSync(r.runDir)).toBe(true);
    // Each removed run held a 1000-byte file plus its record and log.
    expect(res.bytesFreed).toBeGreaterThan(4 * 1000);
    // The sync job's only run is gone: its link now dangles and is removed.
    expect(existsSync(join(dirs.logDir, 'sync.log'))).toBe(false);
    await expect(lstat(join(dirs.logDir, 'sync.log'))).rejects.toMatchObject({ code: 'ENOENT' });
    // Links to surviving runs stay.
    expect(await readlink(join(dirs.logDir, 'nightly.log'))).toBe(oldRunning.logFile);
    expect(await readlink(join(dirs.logDir, 'retired.log'))).toBe(removedJobNew.logFile);
  });

  it('removes an unreadable old run by its run-id time and leaves foreign symlinks alone', async () => {
    const broken = await run('torn', 100, 'succeeded', 100);
    await rm(join(broken.runDir, 'record.json'));
    const foreign = join(dirs.logDir, 'daemon.log');
    await symlink('/nonexistent/elsewhere.log', foreign);
    const res = await cleanupRuns({ store, retention: [], defaultMaxAgeMs: 42 * DAY, now: NOW });
    expect(res.removed).toContainEqual({ job: 'torn', runId: broken.runId, finishedAt: null });
    expect(existsSync(broken.runDir)).toBe(false);
    expect(existsSync(join(dirs.stateDir, 'runs', 'torn'))).toBe(false);
    expect((await lstat(foreign)).isSymbolicLink()).toBe(true);
  });
});
