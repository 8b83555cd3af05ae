import { describe, expect, it } from 'vitest';
import { RateLimiter, StartCounter, type Clock } from '../../src/adapters/http/rate-limiter.js';

/** A clock that only moves when the test says so; sleeps resolve when their deadline is passed. */
class FakeClock implements Clock {
  t = 0;
  #sleepers: Array<{ at: number; resolve: () => void; reject: (e: unknown) => void }> = [];

  now(): number {
    return this.t;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const entry = { at: this.t + ms, resolve, reject };
      this.#sleepers.push(entry);
      signal?.addEventListener('abort', () => {
        this.#sleepers = this.#sleepers.filter((s) => s !== entry);
        reject(signal.reason);
      }, { once: true });
    });
  }

  get sleeping(): number {
    return this.#sleepers.length;
  }

  /** Move time forward in 1 ms steps, waking due sleepers and letting their continuations run. */
  async advance(ms: number): Promise<void> {
    for (let i = 0; i < ms; i++) {
      this.t += 1;
      const due = this.#sleepers.filter((s) => s.at <= this.t);
      this.#sleepers = this.#sleepers.filter((s) => s.at > this.t);
      for (const s of due) s.resolve();
      if (due.length > 0) await flush();
    }
  }
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Brute force: the most start times within any half-open window (t-1000, t]. */
function maxInAnyWindow(times: number[]): number {
  let best = 0;
  for (const end of times) best = Math.max(best, times.filter((t) => t > end - 1000 && t <= end).length);
  return best;
}

describe('RateLimiter (fake clock)', () => {
  it('spaces a burst evenly at 1000/N ms, in call order', async () => {
    const clock = new FakeClock();
    const rl = new RateLimiter(20, clock);
    const started: number[] = [];
    const all = Array.from({ length: 5 }, () => rl.acquire().then(() => started.push(clock.now())));
    await flush();
    expect(started).toEqual([0]);
    await clock.advance(200);
    await Promise.all(all);
    expect(started).toEqual([0, 50, 100, 150, 200]);
  });

  it('a late wake-up does not let the waiters behind it catch up in a bunch', async () => {
    const clock = new FakeClock();
    const rl = new RateLimiter(20, clock);
    const started: number[] = [];
    await rl.acquire();
    started.push(clock.now());
    // The event loop stalls for 200 ms: nobody runs until then.
    clock.t = 250;
    const all = Array.from({ length: 3 }, () => rl.acquire().then(() => started.push(clock.now())));
    await flush();
    await clock.advance(100);
    await Promise.all(all);
    expect(started).toEqual([0, 250, 300, 350]);
  });

  it('a start after a quiet spell goes at once', async () => {
    const clock = new FakeClock();
    const rl = new RateLimiter(5, clock);
    await rl.acquire();
    clock.t = 5000;
    let went = false;
    const p = rl.acquire().then(() => (went = true));
    await flush();
    expect(went).toBe(true);
    await p;
  });

  it('never lets more than N starts into any one-second window under an uneven load', async () => {
    const clock = new FakeClock();
    const rl = new RateLimiter(10, clock);
    const started: number[] = [];
    const pending: Promise<unknown>[] = [];
    // Waves of 1..13 arrivals every 137 ms: some waves fit, most overflow and queue.
    for (let wave = 0; wave < 25; wave++) {
      for (let i = 0; i < (wave * 7) % 13 + 1; i++) pending.push(rl.acquire().then(() => started.push(clock.now())));
      await flush();
      await clock.advance(137);
    }
    while (started.length < pending.length) await clock.advance(100);
    await Promise.all(pending);
    expect(started.length).toBe(pending.length);
    expect(maxInAnyWindow(started)).toBe(10);
    // FIFO: start times never go backwards in arrival order.
    expect([...started].sort((a, b) => a - b)).toEqual(started);
  });

  it('an aborted waiter rejects, takes no slot, and the queue moves on', async () => {
    const clock = new FakeClock();
    const rl = new RateLimiter(1, clock);
    await rl.acquire();
    const ac = new AbortController();
    const aborted = rl.acquire(ac.signal);
    const next = rl.acquire();
    let nextAt: number | null = null;
    void next.then(() => (nextAt = clock.now()));
    await flush();
    ac.abort(new Error('stop'));
    await expect(aborted).rejects.toThrow('stop');
    await clock.advance(1000);
    await next;
    expect(nextAt).toBe(1000);
  });

  it('0 means unlimited', async () => {
    const clock = new FakeClock();
    const rl = new RateLimiter(0, clock);
    await Promise.all(Array.from({ length: 1000 }, () => rl.acquire()));
    expect(clock.sleeping).toBe(0);
  });

  it('rejects a negative or fractional rate', () => {
    expect(() => new RateLimiter(-1)).toThrow(RangeError);
    expect(() => new RateLimiter(2.5)).toThrow(RangeError);
  });
});

describe('StartCounter', () => {
  it('reports the busiest one-second window', () => {
    const clock = new FakeClock();
    const c = new StartCounter(clock);
    for (const t of [0, 100, 200, 999, 1000, 1001, 1002, 2500]) {
      clock.t = t;
      c.record();
    }
    // (2, 1002] holds 100, 200, 999, 1000, 1001, 1002; the start at 0 has just left it.
    expect(c.peak).toBe(6);
    expect(maxInAnyWindow([0, 100, 200, 999, 1000, 1001, 1002, 2500])).toBe(6);
    expect(c.total).toBe(8);
  });
});
