import { readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobConfig } from '../../src/config/config-types.js';
import type { RunRecord } from '../../src/runner/run-record.js';
import { RunManager, secretsUsedBy, type RunManagerOptions } from '../../src/runner/run-manager.js';
import { RunStore } from '../../src/runner/run-store.js';
import { jobConfig, jobModule, pgConnection, tempDirs } from './helpers/run-fixtures.js';

let dirs: Awaited<ReturnType<typeof tempDirs>>;
let store: RunStore;

beforeAll(async () => {
  dirs = await tempDirs();
  store = new RunStore(dirs.stateDir, dirs.logDir);
});
afterAll(async () => {
  await dirs.cleanup();
});

interface Harness {
  m: RunManager;
  started: RunRecord[];
  finished: RunRecord[];
  retries: Array<{ record: RunRecord; at: Date }>;
  lines: string[];
}

function harness(over: Partial<RunManagerOptions> = {}): Harness {
  const lines: string[] = [];
  const log = (level: string) => (msg: string, meta?: Record<string, unknown>) => lines.push(`${level} ${msg} ${JSON.stringify(meta)}`);
  const m = new RunManager({
    store,
    resolveModule: (type) => jobModule(type),
    connectionsFor: () => ({}),
    secrets: [],
    dataDir: dirs.root,
    logLevel: 'info',
    maxConcurrentRuns: 4,
    logger: { info: log('info'), warn: log('warn'), error: log('error') },
    ...over,
  });
  const h: Harness = { m, started: [], finished: [], retries: [], lines };
  m.on('started', (r) => h.started.push(r));
  m.on('finished', (r) => h.finished.push(r));
  m.on('retryScheduled', (record, at) => h.retries.push({ record, at }));
  return h;
}

const once = <T>(m: RunManager, event: 'started' | 'finished'): Promise<T> =>
  new Promise((resolve) => m.once(event, (r) => resolve(r as T)));

describe('RunManager retries', () => {
  it('retries a transient failure after backoff; the second attempt links back with retryOf', async () => {
    const h = harness();
    const job = jobConfig('retry-me', 'transient-once', {
      retries: { max: 2, initialDelayMs: 50, maxDelayMs: 100 },
      params: { counterFile: join(dirs.root, 'counter-retry') },
    });
    const final = await h.m.trigger(job, { trigger: 'manual', slot: null, waitForRetries: true });
    expect(final.status).toBe('succeeded');
    expect(final.attempt).toBe(2);
    expect(final.trigger).toBe('retry');
    expect(final.counts.calls).toBe(2);
    const [second, first] = await store.list('retry-me');
    expect(second!.runId).toBe(final.runId);
    expect(final.retryOf).toBe(first!.runId);
    expect(first!.status).toBe('failed');
    expect(first!.error).toMatchObject({ code: 'SQL_CONNECT_REFUSED', transient: true });
    expect(first!.nextRetryAt).not.toBeNull();
    expect(h.retries).toHaveLength(1);
    expect(h.retries[0]!.record.runId).toBe(first!.runId);
    expect(h.retries[0]!.at.toISOString()).toBe(first!.nextRetryAt);
    expect(h.finished.map((r) => [r.attempt, r.status, r.nextRetryAt !== null])).toEqual([
      [1, 'failed', true],
      [2, 'succeeded', false],
    ]);
    expect(h.m.busy('retry-me')).toBe(false);
  });

  it('without waitForRetries resolves with the first attempt and stays busy until the retry ends', async () => {
    const h = harness();
    const job = jobConfig('retry-bg', 'transient-once', {
      retries: { max: 1, initialDelayMs: 50, maxDelayMs: 50 },
      params: { counterFile: join(dirs.root, 'counter-bg') },
    });
    const first = await h.m.trigger(job, { trigger: 'schedule', slot: new Date('2026-11-22T03:00:00Z') });
    expect(first.status).toBe('failed');
    expect(first.nextRetryAt).not.toBeNull();
    expect(h.m.busy('retry-bg')).toBe(true);
    const second = await new Promise<RunRecord>((resolve) => h.m.on('finished', (r) => r.attempt === 2 && resolve(r)));
    expect(second.status).toBe('succeeded');
    expect(second.slot).toBe('2026-11-22T03:00:00.000Z');
    expect(second.retryOf).toBe(first.runId);
  });

  it('does not retry a permanent failure', async () => {
    const h = harness();
    const job = jobConfig('no-retry', 'throws-permanent', { retries: { max: 3, initialDelayMs: 10, maxDelayMs: 10 } });
    const final = await h.m.trigger(job, { trigger: 'manual', slot: null, waitForRetries: true });
    expect(final.status).toBe('failed');
    expect(final.attempt).toBe(1);
    expect(final.nextRetryAt).toBeNull();
    expect(h.retries).toHaveLength(0);
    expect(await store.list('no-retry')).toHaveLength(1);
  });
});

describe('RunManager overlap', () => {
  it('skip: a trigger while the job runs writes its own skipped record and leaves the log link alone', async () => {
    const h = harness();
    const job = jobConfig('overlap-skip', 'succeeds', { params: { delayMs: 1500 } });
    const startedP = once<RunRecord>(h.m, 'started');
    const firstP = h.m.trigger(job, { trigger: 'schedule', slot: null });
    const started = await startedP;
    expect(h.m.busy('overlap-skip')).toBe(true);
    expect(h.m.running().map((r) => r.runId)).toEqual([started.runId]);
    const skipped = await h.m.trigger(job, { trigger: 'schedule', slot: new Date('2026-11-22T13:15:00Z') });
    expect(skipped.status).toBe('skipped');
    expect(skipped.error).toBeNull();
    expect(skipped.runId).not.toBe(started.runId);
    expect(skipped.notes).toEqual([`skipped: previous run ${started.runId} still running`]);
    expect(await store.read('overlap-skip', skipped.runId)).toEqual(skipped);
    expect(await readlink(store.jobLogLink('overlap-skip'))).toBe(started.logFile);
    const first = await firstP;
    expect(first.status).toBe('succeeded');
    expect(h.finished.map((r) => r.status).sort()).toEqual(['skipped', 'succeeded']);
  });

  it('queue: keeps one waiting trigger, runs it once after the current run, skips any further one', async () => {
    const h = harness();
    const job = jobConfig('overlap-queue', 'succeeds', { overlap: 'queue', params: { delayMs: 600 } });
    const startedP = once<RunRecord>(h.m, 'started');
    const p1 = h.m.trigger(job, { trigger: 'manual', slot: null });
    await startedP;
    const p2 = h.m.trigger(job, { trigger: 'manual', slot: null });
    const r3 = await h.m.trigger(job, { trigger: 'manual', slot: null });
    expect(r3.status).toBe('skipped');
    const [r1, r2] = await Promise.all([p1, p2]);
    expect(r1.status).toBe('succeeded');
    expect(r2.status).toBe('succeeded');
    expect(Date.parse(r2.createdAt)).toBeGreaterThanOrEqual(Date.parse(r1.finishedAt!));
    const all = await store.list('overlap-queue');
    expect(all.map((r) => r.status).sort()).toEqual(['skipped', 'succeeded', 'succeeded']);
    // The link follows the newest real run.
    expect(await readlink(store.jobLogLink('overlap-queue'))).toBe(r2.logFile);
  });

  it('maxConcurrentRuns: a second job waits for a free slot', async () => {
    const h = harness({ maxConcurrentRuns: 1 });
    const a = h.m.trigger(jobConfig('slot-a', 'succeeds', { params: { delayMs: 400 } }), { trigger: 'manual', slot: null });
    const b = h.m.trigger(jobConfig('slot-b', 'succeeds'), { trigger: 'manual', slot: null });
    expect(h.m.busy('slot-b')).toBe(true);
    const [ra, rb] = await Promise.all([a, b]);
    expect(rb.status).toBe('succeeded');
    expect(Date.parse(rb.createdAt)).toBeGreaterThanOrEqual(Date.parse(ra.finishedAt!));
  });
});

describe('RunManager spec', () => {
  it('passes the previous success, trigger, slot and zone; gives the run only its own secrets', async () => {
    const h = harness({
      connectionsFor: () => ({ db: pgConnection('db-secret-1') }),
      secrets: ['db-secret-1', 'other-jobs-secret'],
    });
    const job = jobConfig('ctx-job', 'reports-env', { timezone: 'America/Phoenix' });
    const first = await h.m.trigger(job, { trigger: 'manual', slot: null });
    expect(first.notes).toContain('previous:null');
    const second = await h.m.trigger(job, { trigger: 'catchup', slot: new Date('2026-11-22T16:20:00Z') });
    expect(second.notes).toContain(`previous:${JSON.stringify({ runId: first.runId, finishedAt: first.finishedAt, counts: {} })}`);
    expect(second.notes).toContain('trigger:catchup attempt:1 slot:2026-11-22T16:20:00.000Z zone:America/Phoenix');
    expect(secretsUsedBy([{ db: pgConnection('db-secret-1') }, {}], ['db-secret-1', 'other-jobs-secret'])).toEqual(['db-secret-1']);
  });

  it('records a run it cannot prepare (unknown job type) as failed instead of throwing', async () => {
    const h = harness({
      resolveModule: (type) => {
        throw new Error(`no job type ${type}`);
      },
    });
    const r = await h.m.trigger(jobConfig('bad-type', 'nope'), { trigger: 'manual', slot: null });
    expect(r.status).toBe('failed');
    expect(r.error).toMatchObject({ code: 'INTERNAL_ERROR', message: 'Error: no job type nope' });
    expect(h.finished.map((x) => x.runId)).toEqual([r.runId]);
  });

  it('redacts a secret quoted by a preparation error from the record and the run log', async () => {
    const h = harness({
      connectionsFor: () => {
        throw new Error('lookup failed for password=prep-secret-9');
      },
      secrets: ['prep-secret-9'],
    });
    const r = await h.m.trigger(jobConfig('prep-leak', 'reports-env'), { trigger: 'manual', slot: null });
    expect(r.error).toMatchObject({ code: 'INTERNAL_ERROR', message: 'Error: lookup failed for password=[REDACTED]' });
    const stored = await store.read('prep-leak', r.runId);
    expect(JSON.stringify(stored)).not.toContain('prep-secret-9');
    const log = await readFile(r.logFile, 'utf8');
    expect(log).toContain('password=[REDACTED]');
    expect(log).not.toContain('prep-secret-9');
  });
});

describe('RunManager shutdown', () => {
  it('cancels a run that does not finish within the grace and records cancelled', async () => {
    const h = harness();
    const job: JobConfig = jobConfig('shut-hang', 'hangs-ignoring', { killGraceMs: 500 });
    let noteSeen!: () => void;
    const running = new Promise<void>((r) => (noteSeen = r));
    const p = h.m.trigger(job, { trigger: 'manual', slot: null });
    // Wait until the job itself runs (its record gets the note), so the cancel meets a live job.
    const poll = setInterval(() => {
      if (h.m.running()[0]?.notes.includes('hanging')) noteSeen();
    }, 25);
    await running;
    clearInterval(poll);
    const t0 = Date.now();
    await h.m.shutdown(300);
    const elapsed = Date.now() - t0;
    const r = await p;
    expect(r.status).toBe('cancelled');
    expect(r.error).toMatchObject({ code: 'RUN_CANCELLED' });
    expect(r.exit?.signal).toBe('SIGKILL');
    expect(elapsed).toBeGreaterThanOrEqual(300 + 500);
    expect(elapsed).toBeLessThan(300 + 500 + 3000);
    expect(h.m.running()).toEqual([]);
    await expect(h.m.trigger(job, { trigger: 'manual', slot: null })).rejects.toMatchObject({ code: 'RUN_CANCELLED' });
  });

  it('drops a pending retry and clears its nextRetryAt', async () => {
    const h = harness();
    const cancelled: RunRecord[] = [];
    h.m.on('retryCancelled', (r) => cancelled.push(r));
    const job = jobConfig('shut-retry', 'transient-once', {
      retries: { max: 1, initialDelayMs: 600_000, maxDelayMs: 600_000 },
      params: { counterFile: join(dirs.root, 'counter-shut') },
    });
    const first = await h.m.trigger(job, { trigger: 'manual', slot: null });
    expect(first.nextRetryAt).not.toBeNull();
    await h.m.shutdown(1000);
    expect(cancelled.map((r) => r.runId)).toEqual([first.runId]);
    const onDisk = await store.read('shut-retry', first.runId);
    expect(onDisk?.nextRetryAt).toBeNull();
    expect(onDisk?.notes).toContain('retry cancelled: the daemon is shutting down');
    expect(await store.list('shut-retry')).toHaveLength(1);
  });
});
