import { setTimeout as sleepTimer } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';

/** Time source for the limiter; tests pass a fake one so no test waits on the wall clock. */
export interface Clock {
  /** Monotonic milliseconds. */
  now(): number;
  /** Resolves after `ms`; rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  sleep: (ms, signal) => sleepTimer(ms, undefined, signal === undefined ? undefined : { signal }),
};

export const WINDOW_MS = 1000;

/**
 * Admits at most `perSecond` starts in any one-second window, spaced evenly: each start waits until
 * 1000/perSecond ms after the previous one actually started. A plain sliding window would let a
 * full second's worth start in one burst at each window edge, and network jitter then moves part
 * of one burst next to the following one: Alma's gateway, counting arrivals, saw 1.5 × the limit
 * in one second. The sliding window (over the start times of the last second) stays as a second
 * guard. Waiters are served in arrival order, one at a time.
 *
 * A window is the half-open interval (t - 1000 ms, t]: two starts exactly 1000 ms apart are in
 * different windows. `StartCounter` measures with the same definition, so the limiter's promise
 * and the measured peak agree.
 */
export class RateLimiter {
  readonly perSecond: number;
  readonly #clock: Clock;
  readonly #starts: number[] = [];
  #tail: Promise<void> = Promise.resolve();

  constructor(perSecond: number, clock: Clock = systemClock) {
    if (!Number.isInteger(perSecond) || perSecond < 0) {
      throw new RangeError(`ratePerSecond: expected an integer >= 0, got ${String(perSecond)}`);
    }
    this.perSecond = perSecond;
    this.#clock = clock;
  }

  /** Wait for a start slot and take it. Rejects (taking no slot) when `signal` aborts first. */
  acquire(signal?: AbortSignal): Promise<void> {
    if (this.perSecond === 0) {
      return signal?.aborted ? Promise.reject(abortReason(signal)) : Promise.resolve();
    }
    const turn = this.#tail.then(() => this.#take(signal));
    // The next waiter queues behind this one whether it got its slot or was aborted.
    this.#tail = turn.catch(() => undefined);
    return turn;
  }

  async #take(signal: AbortSignal | undefined): Promise<void> {
    for (;;) {
      if (signal?.aborted) throw abortReason(signal);
      const now = this.#clock.now();
      while (this.#starts.length > 0 && this.#starts[0]! <= now - WINDOW_MS) this.#starts.shift();
      const last = this.#starts.at(-1);
      // Measured from the previous start as it really happened, so a stalled event loop that
      // wakes several waiters late cannot send them together.
      const spacingWait = last === undefined ? 0 : last + WINDOW_MS / this.perSecond - now;
      const windowWait = this.#starts.length < this.perSecond ? 0 : this.#starts[0]! + WINDOW_MS - now;
      const wait = Math.max(spacingWait, windowWait);
      if (wait <= 0) {
        this.#starts.push(now);
        return;
      }
      // Timers may fire a fraction early; the loop re-checks instead of trusting the wait.
      await this.#clock.sleep(Math.max(1, Math.ceil(wait)), signal);
    }
  }
}

/** Counts starts and remembers the most seen within any one-second window. */
export class StartCounter {
  readonly #clock: Clock;
  readonly #recent: number[] = [];
  #peak = 0;
  #total = 0;

  constructor(clock: Clock = systemClock) {
    this.#clock = clock;
  }

  record(): void {
    const now = this.#clock.now();
    while (this.#recent.length > 0 && this.#recent[0]! <= now - WINDOW_MS) this.#recent.shift();
    this.#recent.push(now);
    this.#total++;
    // The busiest window always ends at some start, so checking at each start finds the peak.
    if (this.#recent.length > this.#peak) this.#peak = this.#recent.length;
  }

  get peak(): number {
    return this.#peak;
  }

  get total(): number {
    return this.#total;
  }
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}
