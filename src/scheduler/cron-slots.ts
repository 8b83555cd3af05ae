import { CronMatcher } from './cron-matcher.js';

/**
 * Schedule slots computed exactly as node-cron 4.6.0 chains them (each slot is node-cron's next
 * match after the previous one), for any base date. Host TZ never matters: every calendar
 * computation is done in `zone`.
 *
 * DST (America/Chicago): `30 2 * * *` does not run on a spring-forward day; `30 1 * * *` runs
 * once (01:30 CDT) on a fall-back day; `*\/15 * * * *` goes 01:45 CDT → 02:00 CST (75 minutes).
 * Day-of-month and day-of-week are ANDed, as node-cron does.
 */

const CACHE_LIMIT = 256;
const matchers = new Map<string, CronMatcher>();

/** A compiled matcher for (expr, zone); throws SisrelayError(CONFIG_INVALID) when either is bad. */
export function cronMatcher(expr: string, zone: string): CronMatcher {
  const key = `${zone}\u0000${expr}`;
  let m = matchers.get(key);
  if (!m) {
    m = new CronMatcher(expr, zone);
    if (matchers.size >= CACHE_LIMIT) matchers.delete(matchers.keys().next().value!);
    matchers.set(key, m);
  }
  return m;
}

/** The next `count` slots strictly after `after`. */
export function nextSlots(expr: string, zone: string, after: Date, count: number): Date[] {
  const m = cronMatcher(expr, zone);
  const out: Date[] = [];
  let cursor = after;
  for (let i = 0; i < count; i++) {
    const next = m.next(cursor);
    if (!next) break;
    out.push(next);
    cursor = next;
  }
  return out;
}

/** Slots s with fromExclusive < s <= toInclusive, ascending, at most `limit` (default 10 000). */
export function slotsBetween(expr: string, zone: string, fromExclusive: Date, toInclusive: Date, limit = 10_000): Date[] {
  const m = cronMatcher(expr, zone);
  const toMs = toInclusive.getTime();
  const out: Date[] = [];
  let cursor = fromExclusive;
  while (out.length < limit) {
    const next = m.next(cursor, toMs);
    if (!next || next.getTime() > toMs) break;
    out.push(next);
    cursor = next;
  }
  return out;
}

/** The latest slot s with at − lookbackMs < s <= at, or null when the window holds none. */
export function lastSlotAtOrBefore(expr: string, zone: string, at: Date, lookbackMs: number): Date | null {
  if (!(lookbackMs > 0)) return null;
  const m = cronMatcher(expr, zone);
  const atMs = at.getTime();
  let last: Date | null = null;
  let cursor = new Date(atMs - lookbackMs);
  for (;;) {
    const next = m.next(cursor, atMs);
    if (!next || next.getTime() > atMs) return last;
    last = next;
    cursor = next;
  }
}
