import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getTasks } from 'node-cron';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Scheduler, type FireTrigger, type ScheduleEntry } from '../../src/scheduler/scheduler.js';
import { SlotStateStore } from '../../src/scheduler/slot-state-store.js';

const MIN = 60_000;
const H = 60 * MIN;
const FAKE = ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] as const;

let stateDir: string;
let running: Scheduler[] = [];

beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'sisrelay-sched-'));
});

afterEach(async () => {
  for (const s of running) await s.stop();
  running = [];
  vi.useRealTimers();
  vi.restoreAllMocks();
  await rm(stateDir, { recursive: true, force: true });
});

function entry(job: string, schedule: string | null, extra: Partial<ScheduleEntry> = {}): ScheduleEntry {
  return { job, schedule, timezone: 'America/Chicago', catchUpMs: 0, runOnStart: false, deadline: null, ...extra };
}

function harness(missedToleranceMs = 10 * MIN) {
  const fires: Array<{ job: string; slot: string; trigger: FireTrigger; at: string }> = [];
  const missed: Array<{ job: string; slot: string; lateByMs: number }> = [];
  const deadlines: Array<{ job: string; deadlineAt: string; at: string }> = [];
  const logs: string[] = [];
  const scheduler = new Scheduler({
    stateDir,
    missedToleranceMs,
    onFire: (job, slot, trigger) => fires.push({ job, slot: slot.toISOString(), trigger, at: new Date().toISOString() }),
    onMissed: (job, slot, lateByMs) => missed.push({ job, slot: slot.toISOString(), lateByMs }),
    onDeadline: (job, deadlineAt) => deadlines.push({ job, deadlineAt: deadlineAt.toISOString(), at: new Date().toISOString() }),
    logger: {
      info: (m) => logs.push(`info ${m}`),
      warn: (m) => logs.push(`warn ${m}`),
      error: (m) => logs.push(`error ${m}`),
      debug: (m) => logs.push(`debug ${m}`),
    },
  });
  running.push(scheduler);
  return { scheduler, fires, missed, deadlines, logs };
}

function taskIdsByName(): Map<string, string> {
  const out = new Map<string, string>();
  for (const task of getTasks().values()) if (task.name) out.set(task.name, task.id);
  return out;
}

describe('Scheduler firing', () => {
  it('fires onFire with slot instants, records the last slot, and reports next runs', async () => {
    vi.useFakeTimers({ now: new Date('2027-03-15T16:00:00Z'), toFake: [...FAKE] });
    const { scheduler, fires } = harness();
    await scheduler.start([entry('sync', '*/15 * * * *'), entry('leganto', '20 9 * * *', { timezone: 'America/Phoenix' })]);
    expect(scheduler.lastTick()).toBeNull();

    await vi.advanceTimersByTimeAsync(H);

    expect(fires.map((f) => [f.job, f.slot, f.trigger])).toEqual([
      ['sync', '2027-03-15T16:15:00.000Z', 'schedule'],
      ['leganto', '2027-03-15T16:20:00.000Z', 'schedule'],
      ['sync', '2027-03-15T16:30:00.000Z', 'schedule'],
      ['sync', '2027-03-15T16:45:00.000Z', 'schedule'],
      ['sync', '2027-03-15T17:00:00.000Z', 'schedule'],
    ]);
    expect(scheduler.lastTick()?.toISOString()).toBe('2027-03-15T17:00:00.000Z');
    expect(scheduler.nextRun('sync')?.toISOString()).toBe('2027-03-15T17:15:00.000Z');
    expect(scheduler.nextRun('leganto')?.toISOString()).toBe('2027-03-16T16:20:00.000Z');
    expect(scheduler.nextRun('unknown')).toBeNull();
    expect(scheduler.jobs()).toEqual(['leganto', 'sync']);

    await scheduler.stop();
    const store = new SlotStateStore(stateDir);
    expect(await store.get('sync')).toMatchObject({ lastSlot: '2027-03-15T17:00:00.000Z', trigger: 'schedule' });
    expect(await store.get('leganto')).toMatchObject({ lastSlot: '2027-03-15T16:20:00.000Z', trigger: 'schedule' });
  });

  it('fires through the repeated hour exactly as node-cron does (01:45 CDT, then 02:00 CST)', async () => {
    vi.useFakeTimers({ now: new Date('2027-11-07T06:30:00Z'), toFake: [...FAKE] });
    const { scheduler, fires } = harness();
    await scheduler.start([entry('sync', '*/15 * * * *')]);
    await vi.advanceTimersByTimeAsync(2 * H);
    expect(fires.map((f) => f.slot)).toEqual(['2027-11-07T06:45:00.000Z', '2027-11-07T08:00:00.000Z', '2027-11-07T08:15:00.000Z', '2027-11-07T08:30:00.000Z']);
  });
});

describe('Scheduler missed-execution tolerance', () => {
  async function jumpAcrossSlot(toleranceMs: number) {
    // 09:19 MST; the clock steps forward 5 s one second before the 09:20 slot.
    vi.useFakeTimers({ now: new Date('2027-03-10T16:19:00Z'), toFake: [...FAKE] });
    const consoleSpies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) => vi.spyOn(console, m).mockImplementation(() => undefined));
    const h = harness(toleranceMs);
    await h.scheduler.start([entry('leganto', '20 9 * * *', { timezone: 'America/Phoenix' })]);
    await vi.advanceTimersByTimeAsync(59_000);
    vi.setSystemTime(new Date('2027-03-10T16:20:04Z'));
    await vi.advanceTimersByTimeAsync(2_000);
    return { ...h, consoleSpies };
  }

  it('still runs the slot late when the jump is within a 10-minute tolerance', async () => {
    const { fires, missed } = await jumpAcrossSlot(10 * MIN);
    expect(fires).toEqual([{ job: 'leganto', slot: '2027-03-10T16:20:00.000Z', trigger: 'schedule', at: '2027-03-10T16:20:05.000Z' }]);
    expect(missed).toEqual([]);
  });

  it('reports the slot missed (and does not fire) with a 1-second tolerance, without node-cron printing', async () => {
    const { fires, missed, logs, consoleSpies } = await jumpAcrossSlot(1_000);
    expect(fires).toEqual([]);
    expect(missed).toHaveLength(1);
    expect(missed[0]).toMatchObject({ job: 'leganto', slot: '2027-03-10T16:20:00.000Z' });
    expect(missed[0]!.lateByMs).toBeGreaterThanOrEqual(5_000);
    expect(missed[0]!.lateByMs).toBeLessThan(6_000);
    expect(logs.some((l) => l.startsWith('warn scheduler: job leganto: slot 2027-03-10T09:20:00-07:00 2027-03-10T16:20:00Z missed'))).toBe(true);
    for (const spy of consoleSpies) expect(spy).not.toHaveBeenCalled();
  });
});

describe('Scheduler start: catch-up and run-on-start', () => {
  it('fires a missed nightly once with trigger catchup, persists it, and not again after a restart', async () => {
    const store = new SlotStateStore(stateDir);
    await store.set('nightly', { lastSlot: new Date('2027-03-15T08:00:00Z'), lastFiredAt: new Date('2027-03-15T08:00:01Z'), trigger: 'schedule' });
    // 08:00 CDT: the 03:00 CDT slot (08:00Z) passed while the daemon was down.
    vi.useFakeTimers({ now: new Date('2027-03-16T13:00:00Z'), toFake: [...FAKE] });
    const entries = [
      entry('nightly', '0 3 * * *', { catchUpMs: 12 * H }),
      entry('sync', '*/15 * * * *', { catchUpMs: 0 }),
      entry('demo', '0 4 * * *', { runOnStart: true }),
      entry('fresh', '0 3 * * *', { catchUpMs: 12 * H, runOnStart: true }),
    ];

    const first = harness();
    await first.scheduler.start(entries);
    expect(first.fires).toEqual([
      { job: 'nightly', slot: '2027-03-16T08:00:00.000Z', trigger: 'catchup', at: '2027-03-16T13:00:00.000Z' },
      { job: 'fresh', slot: '2027-03-16T08:00:00.000Z', trigger: 'catchup', at: '2027-03-16T13:00:00.000Z' },
      { job: 'demo', slot: '2027-03-16T13:00:00.000Z', trigger: 'start', at: '2027-03-16T13:00:00.000Z' },
    ]);
    expect(await store.get('nightly')).toEqual({
      job: 'nightly', lastSlot: '2027-03-16T08:00:00.000Z', lastFiredAt: '2027-03-16T13:00:00.000Z', trigger: 'catchup',
    });
    await first.scheduler.stop();

    const second = harness();
    await second.scheduler.start(entries);
    // Nothing left to catch up, so `fresh` now gets its ordinary run-on-start.
    expect(second.fires.map((f) => [f.job, f.trigger])).toEqual([['demo', 'start'], ['fresh', 'start']]);
  });

  it('logs a corrupt state file and skips only that job\'s catch-up', async () => {
    vi.useFakeTimers({ now: new Date('2027-03-16T13:00:00Z'), toFake: [...FAKE] });
    const { writeFile, mkdir } = await import('node:fs/promises');
    await mkdir(join(stateDir, 'scheduler'), { recursive: true });
    await writeFile(join(stateDir, 'scheduler', 'nightly.json'), 'not json');
    const { scheduler, fires, logs } = harness();
    await scheduler.start([entry('nightly', '0 3 * * *', { catchUpMs: 12 * H }), entry('other', '0 3 * * *', { catchUpMs: 12 * H })]);
    expect(fires.map((f) => f.job)).toEqual(['other']);
    expect(logs.find((l) => l.startsWith('error'))).toContain(`${join(stateDir, 'scheduler', 'nightly.json')} is corrupt`);
    expect(scheduler.jobs()).toEqual(['nightly', 'other']);
  });

  it('refuses invalid entries without arming anything', async () => {
    vi.useFakeTimers({ now: new Date('2027-03-16T13:00:00Z'), toFake: [...FAKE] });
    const { scheduler } = harness();
    await expect(scheduler.start([
      entry('ok', '*/15 * * * *'),
      entry('bad', '30 2 * * *', { timezone: 'Mountain Standard Time' }),
    ])).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('job bad: timezone: expected an IANA time zone name') });
    expect(vi.getTimerCount()).toBe(0);
    expect(scheduler.jobs()).toEqual([]);
  });
});

describe('Scheduler apply (config reload)', () => {
  it('keeps unchanged tasks, replaces changed ones, removes removed ones, adds new ones, never catches up', async () => {
    vi.useFakeTimers({ now: new Date('2027-03-15T16:00:00Z'), toFake: [...FAKE] });
    const { scheduler, fires } = harness();
    await scheduler.start([
      entry('a', '*/15 * * * *'),
      entry('b', '0 * * * *'),
      entry('c', '20 9 * * *', { timezone: 'America/Phoenix' }),
      entry('e', '0 * * * *'),
    ]);
    const before = taskIdsByName();

    const result = await scheduler.apply([
      entry('a', '*/15 * * * *', { catchUpMs: 12 * H, runOnStart: true }),
      entry('b', '30 * * * *'),
      entry('d', '*/30 * * * *', { catchUpMs: 12 * H, runOnStart: true }),
      entry('e', '0 * * * *', { timezone: 'America/Phoenix' }),
    ]);
    expect(result).toEqual({ added: ['d'], removed: ['c'], changed: ['b', 'e'] });
    expect(fires).toEqual([]);

    const after = taskIdsByName();
    expect(after.get('a')).toBe(before.get('a'));
    expect(after.get('b')).not.toBe(before.get('b'));
    expect(after.has('c')).toBe(false);
    expect(after.has('d')).toBe(true);
    expect(scheduler.jobs()).toEqual(['a', 'b', 'd', 'e']);

    await vi.advanceTimersByTimeAsync(H);
    const byJob = (job: string) => fires.filter((f) => f.job === job).map((f) => f.slot.slice(11, 16));
    expect(byJob('a')).toEqual(['16:15', '16:30', '16:45', '17:00']);
    expect(byJob('b')).toEqual(['16:30']);
    expect(byJob('c')).toEqual([]);
    expect(byJob('d')).toEqual(['16:30', '17:00']);
    expect(byJob('e')).toEqual(['17:00']);
  });

  it('treats a deadline change as a change', async () => {
    vi.useFakeTimers({ now: new Date('2027-03-15T16:00:00Z'), toFake: [...FAKE] });
    const { scheduler } = harness();
    await scheduler.start([entry('n', '0 3 * * *', { deadline: '06:00' })]);
    expect(await scheduler.apply([entry('n', '0 3 * * *', { deadline: '07:00' })])).toEqual({ added: [], removed: [], changed: ['n'] });
    expect(scheduler.nextDeadline('n')?.toISOString()).toBe('2027-03-16T12:00:00.000Z');
  });
});

describe('Scheduler deadlines', () => {
  it('calls onDeadline at the deadline instant, once a day', async () => {
    vi.useFakeTimers({ now: new Date('2027-03-16T10:00:00Z'), toFake: [...FAKE] });
    const { scheduler, deadlines } = harness();
    await scheduler.start([entry('nightly', '0 3 * * *', { deadline: '06:00' })]);
    expect(scheduler.nextDeadline('nightly')?.toISOString()).toBe('2027-03-16T11:00:00.000Z');
    await vi.advanceTimersByTimeAsync(26 * H);
    expect(deadlines).toEqual([
      { job: 'nightly', deadlineAt: '2027-03-16T11:00:00.000Z', at: '2027-03-16T11:00:00.000Z' },
      { job: 'nightly', deadlineAt: '2027-03-17T11:00:00.000Z', at: '2027-03-17T11:00:00.000Z' },
    ]);
  });

  it('fires a deadline inside the spring-forward gap at the gap end (03:00 CDT)', async () => {
    vi.useFakeTimers({ now: new Date('2027-03-14T06:00:00Z'), toFake: [...FAKE] });
    const { scheduler, deadlines } = harness();
    await scheduler.start([entry('nightly', '0 1 * * *', { deadline: '02:30' })]);
    await vi.advanceTimersByTimeAsync(4 * H);
    expect(deadlines).toEqual([{ job: 'nightly', deadlineAt: '2027-03-14T08:00:00.000Z', at: '2027-03-14T08:00:00.000Z' }]);
  });

  it('still fires (once) after a forward clock jump past the deadline', async () => {
    vi.useFakeTimers({ now: new Date('2027-03-16T10:55:00Z'), toFake: [...FAKE] });
    const { scheduler, deadlines } = harness();
    await scheduler.start([entry('nightly', '0 3 * * *', { deadline: '06:00' })]);
    vi.setSystemTime(new Date('2027-03-16T14:00:00Z'));
    await vi.advanceTimersByTimeAsync(10 * MIN);
    expect(deadlines.map((d) => d.deadlineAt)).toEqual(['2027-03-16T11:00:00.000Z']);
  });
});

describe('Scheduler stop', () => {
  it('leaves no timers and no node-cron tasks, and fires nothing afterwards', async () => {
    vi.useFakeTimers({ now: new Date('2027-03-15T16:00:00Z'), toFake: [...FAKE] });
    const { scheduler, fires, deadlines } = harness();
    await scheduler.start([
      entry('sync', '*/15 * * * *', { deadline: '12:00' }),
      entry('manual', null, { deadline: '06:00' }),
    ]);
    expect(vi.getTimerCount()).toBe(3);
    await vi.advanceTimersByTimeAsync(20 * MIN);
    expect(fires).toHaveLength(1);

    await scheduler.stop();
    expect(vi.getTimerCount()).toBe(0);
    expect([...getTasks().values()].filter((t) => t.name === 'sync')).toEqual([]);
    expect(scheduler.nextRun('sync')).toBeNull();
    await vi.advanceTimersByTimeAsync(2 * 24 * H);
    expect(fires).toHaveLength(1);
    expect(deadlines).toEqual([]);
    await expect(scheduler.apply([])).rejects.toThrow(/needs a started scheduler/);
  });
});
