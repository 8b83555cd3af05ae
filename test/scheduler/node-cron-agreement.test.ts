import { createTask, type Logger } from 'node-cron';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { nextSlots, slotsBetween } from '../../src/scheduler/cron-slots.js';

/**
 * The proof that `sisrelay next` and catch-up agree with what node-cron actually fires: real
 * node-cron tasks run under fake timers through three days around each transition, and the
 * `ctx.date` of every fire must equal `slotsBetween` for the same window.
 */

const silent: Logger = { info() {}, warn() {}, error() {}, debug() {} };
const DAY_MS = 86_400_000;
const FAKE = { toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] as const };

afterEach(() => {
  vi.useRealTimers();
});

async function fired(expr: string, zone: string, start: Date, ms: number): Promise<string[]> {
  vi.useFakeTimers({ now: start, toFake: [...FAKE.toFake] });
  const dates: string[] = [];
  const task = createTask(expr, (ctx) => { dates.push(ctx.date.toISOString()); }, { timezone: zone, logger: silent });
  const missed: string[] = [];
  task.on('execution:missed', (ctx) => { missed.push(ctx.date.toISOString()); });
  await task.start();
  await vi.advanceTimersByTimeAsync(ms);
  await task.destroy();
  expect(missed).toEqual([]);
  expect(vi.getTimerCount()).toBe(0);
  return dates;
}

const WINDOWS = [
  { label: 'Chicago spring 2027', zone: 'America/Chicago', start: '2027-03-12T18:07:00Z' },
  { label: 'Chicago autumn 2027', zone: 'America/Chicago', start: '2027-11-05T18:07:00Z' },
  { label: 'Berlin autumn 2027', zone: 'Europe/Berlin', start: '2027-10-29T18:07:00Z' },
];
const EXPRS = ['30 2 * * *', '30 1 * * *', '*/15 * * * *', '0 * * * *', '0 2 * * *', '20 9 * * 1-5'];

describe('node-cron 4.6.0 fires exactly the slots slotsBetween computes', () => {
  for (const w of WINDOWS) {
    for (const expr of EXPRS) {
      it(`${expr} in ${w.zone} through ${w.label}`, async () => {
        const start = new Date(w.start);
        const got = await fired(expr, w.zone, start, 3 * DAY_MS);
        const want = slotsBetween(expr, w.zone, start, new Date(start.getTime() + 3 * DAY_MS)).map((d) => d.toISOString());
        expect(want.length).toBeGreaterThan(0);
        expect(got).toEqual(want);
      });
    }
  }

  it('20 9 * * * America/Phoenix through both 2027 Chicago transitions', async () => {
    for (const startIso of ['2027-03-12T18:07:00Z', '2027-11-05T18:07:00Z']) {
      const start = new Date(startIso);
      const got = await fired('20 9 * * *', 'America/Phoenix', start, 3 * DAY_MS);
      expect(got).toEqual(slotsBetween('20 9 * * *', 'America/Phoenix', start, new Date(start.getTime() + 3 * DAY_MS)).map((d) => d.toISOString()));
      expect(got.every((d) => d.endsWith('T16:20:00.000Z'))).toBe(true);
      vi.useRealTimers();
    }
  });
});

describe('node-cron getNextRuns(n) from a faked "now" equals nextSlots from that instant', () => {
  // Bases every 7m13s across ±3 h of the 2027 Chicago transitions, including bases inside the
  // repeated hour, where a naive implementation picks the wrong occurrence.
  const cases: Array<{ expr: string; transitionAt: string }> = [];
  for (const expr of ['30 1 * * *', '30 2 * * *', '*/15 * * * *', '0 * * * *', '10 1,2 * * *']) {
    for (const transitionAt of ['2027-03-14T08:00:00Z', '2027-11-07T07:00:00Z']) cases.push({ expr, transitionAt });
  }
  it.each(cases)('$expr around $transitionAt', ({ expr, transitionAt }) => {
    const zone = 'America/Chicago';
    const t = Date.parse(transitionAt);
    for (let base = t - 3 * 3_600_000; base < t + 3 * 3_600_000; base += 433_000) {
      vi.useFakeTimers({ now: new Date(base), toFake: [...FAKE.toFake] });
      const task = createTask(expr, () => undefined, { timezone: zone, logger: silent });
      const theirs = task.getNextRuns(6).map((d) => d.toISOString());
      void task.destroy();
      vi.useRealTimers();
      expect(nextSlots(expr, zone, new Date(base), 6).map((d) => d.toISOString()), new Date(base).toISOString()).toEqual(theirs);
    }
  });
});
