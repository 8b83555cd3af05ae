import { setTimeout as sleep } from 'node:timers/promises';
import type { HttpClient } from '../../adapters/adapter-types.js';

/**
 * Hands requests to `inner` no closer together than 1000/perSecond ms.
 *
 * Why: the HttpClient's limiter admits up to N starts per sliding second, which it uses as
 * bursts of N at each window edge. Network and connection-setup jitter then moves some of one
 * burst's arrivals next to the following burst, and Alma's gateway, counting arrivals, saw up to
 * 1.5 × N in one second in the sandbox (30 at N = 20, over Alma's 25). Even spacing keeps every
 * second of arrivals at about N. Requests go in call order; an aborted caller gives up its turn
 * without delaying the next one.
 */
export interface PacerClock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

const systemPacerClock: PacerClock = {
  now: () => performance.now(),
  sleep: (ms, signal) => sleep(ms, undefined, signal ? { signal } : undefined),
};

export function pacedHttpClient(inner: HttpClient, perSecond: number, clock: PacerClock = systemPacerClock): HttpClient {
  if (!(perSecond > 0)) return inner;
  const interval = 1000 / perSecond;
  let lastSend = -Infinity;
  let tail: Promise<void> = Promise.resolve();
  return {
    async request(req) {
      // Measured from the previous request's actual hand-over, so a stalled event loop that
      // wakes several waiters late cannot send them together.
      const turn = tail.then(async () => {
        const wait = lastSend + interval - clock.now();
        if (wait > 0) await clock.sleep(wait, req.signal);
        else req.signal?.throwIfAborted();
        lastSend = clock.now();
      });
      tail = turn.catch(() => undefined);
      await turn;
      return inner.request(req);
    },
    stats: () => inner.stats(),
  };
}
