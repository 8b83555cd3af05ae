import { describe, expect, it } from 'vitest';
import type { HttpClient, HttpRequest } from '../../../src/adapters/adapter-types.js';
import { pacedHttpClient, type PacerClock } from '../../../src/jobs/leganto-shared/paced-http-client.js';

/** A manual clock: `drain()` wakes sleepers one at a time in wake-up order, advancing `now`. */
function fakeClock(): PacerClock & { t: number; stall: number; drain(): Promise<void> } {
  const waiting: Array<{ wake: number; resolve: () => void; reject: (e: unknown) => void }> = [];
  const c = {
    t: 0,
    /** Added to the next wake-up: an event loop that was busy when the timer was due. */
    stall: 0,
    now: () => c.t,
    sleep(ms: number, signal?: AbortSignal) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      return new Promise<void>((resolve, reject) => waiting.push({ wake: c.t + ms, resolve, reject }));
    },
    async drain() {
      // Sleepers register as the chain advances, so keep turning the event loop until it is quiet.
      for (let quiet = 0; quiet < 3; ) {
        await new Promise((r) => setImmediate(r));
        if (waiting.length === 0) {
          quiet++;
          continue;
        }
        quiet = 0;
        waiting.sort((a, b) => a.wake - b.wake);
        const w = waiting.shift()!;
        c.t = w.wake + c.stall;
        c.stall = 0;
        w.resolve();
      }
    },
  };
  return c;
}

function recorder(clock: { now(): number }): HttpClient & { at: number[] } {
  const at: number[] = [];
  return {
    at,
    request: async () => {
      at.push(clock.now());
      return { status: 200, headers: new Headers(), body: {} } as never;
    },
    stats: () => ({ requests: at.length, retries: 0, peakPerSecond: 0 }),
  };
}

const req: HttpRequest = { method: 'GET', path: '/x' };

describe('pacedHttpClient', () => {
  it('spaces a burst evenly at 1000/perSecond ms, in call order', async () => {
    const clock = fakeClock();
    const inner = recorder(clock);
    const paced = pacedHttpClient(inner, 20, clock);
    const all = Promise.all(Array.from({ length: 5 }, () => paced.request(req)));
    await clock.drain();
    await all;
    expect(inner.at).toEqual([0, 50, 100, 150, 200]);
  });

  it('a late wake-up does not let the following requests catch up in a bunch', async () => {
    const clock = fakeClock();
    const inner = recorder(clock);
    const paced = pacedHttpClient(inner, 20, clock);
    clock.stall = 200;
    const all = Promise.all(Array.from({ length: 4 }, () => paced.request(req)));
    await clock.drain();
    await all;
    expect(inner.at).toEqual([0, 250, 300, 350]);
  });

  it('a request after a quiet spell goes at once', async () => {
    const clock = fakeClock();
    const inner = recorder(clock);
    const paced = pacedHttpClient(inner, 20, clock);
    await paced.request(req);
    clock.t = 5000;
    await paced.request(req);
    expect(inner.at).toEqual([0, 5000]);
  });

  it('rate 0 (unlimited) returns the inner client itself', () => {
    const inner = recorder(fakeClock());
    expect(pacedHttpClient(inner, 0)).toBe(inner);
  });

  it('an aborted caller does not reach the inner client', async () => {
    const clock = fakeClock();
    const inner = recorder(clock);
    const paced = pacedHttpClient(inner, 20, clock);
    await paced.request(req);
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    const aborted = paced.request({ ...req, signal: ac.signal }).then(
      () => null,
      (err: unknown) => err,
    );
    const after = paced.request(req);
    await clock.drain();
    expect(await aborted).toEqual(new Error('stop'));
    await after;
    // The aborted request never reached the inner client and did not hold up the next one.
    expect(inner.at).toEqual([0, 50]);
  });
});
