import { cronMatcher, slotsBetween } from './cron-slots.js';
import { formatLocalDate, formatWallTime, offsetMinutesAt, zoneAbbreviation, zonedParts } from './zoned-time.js';

export interface DstHazard {
  /** Local calendar date (YYYY-MM-DD) of the affected wall times. */
  date: string;
  kind: 'gap' | 'repeat';
  /** The affected wall time ("02:30") or range ("01:00–01:45"). */
  wallTime: string;
  /** One sentence for `sisrelay validate`, starting with the expression. */
  effect: string;
}

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
/** Sampling step for finding offset changes; real transitions are months apart. */
const SAMPLE_MS = 12 * 3_600_000;

interface Transition {
  /** First instant with the new offset. */
  at: number;
  before: number;
  after: number;
}

/**
 * DST transitions in [from, from + horizon] that change when `expr` runs in `zone`, with the
 * node-cron 4.6.0 effect spelled out (a spring-forward gap time does not run that day; a wall
 * time in a repeated hour runs once; sub-hourly patterns pause through the repeat). Empty for
 * zones without DST (America/Phoenix, UTC) and for schedules that avoid the shifted hours.
 */
export function dstHazards(expr: string, zone: string, from: Date, horizonDays = 400): DstHazard[] {
  const matcher = cronMatcher(expr, zone);
  const out: DstHazard[] = [];
  for (const t of transitions(zone, from.getTime(), from.getTime() + horizonDays * DAY_MS)) {
    const delta = t.after - t.before;
    // Wall-clock minutes that are missing (gap) or occur twice (repeat), as naive UTC ms.
    const startNaive = t.at + Math.min(t.before, t.after) * MINUTE_MS;
    const endNaive = t.at + Math.max(t.before, t.after) * MINUTE_MS;
    const named: number[] = [];
    for (let n = startNaive; n < endNaive; n += MINUTE_MS) {
      const d = new Date(n);
      if (matcher.matchesWallMinute(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes())) {
        named.push(n);
      }
    }
    if (named.length === 0) continue;
    // Wide enough for the whole local day of the change plus the runs either side of it.
    const slots = slotsBetween(expr, zone, new Date(t.at - 30 * 3_600_000), new Date(t.at + 30 * 3_600_000)).map((d) => d.getTime());
    const hazard = delta > 0
      ? gapHazard(expr, zone, t, named, slots)
      : repeatHazard(expr, zone, t, named, slots);
    if (hazard) out.push(hazard);
  }
  return out;
}

function gapHazard(expr: string, zone: string, t: Transition, named: number[], slots: number[]): DstHazard {
  const first = new Date(named[0]!);
  const date = naiveDate(first);
  const gap = `${naiveTime(new Date(t.at + t.before * MINUTE_MS))}–${naiveTime(new Date(t.at + t.after * MINUTE_MS))}`;
  const runsThatDay = slots.some((s) => formatLocalDate(zonedParts(new Date(s), zone)) === date);
  const times = listTimes(named);
  const effect = runsThatDay
    ? `${expr} skips ${times} on ${date} (${named.length === 1 ? 'it falls' : 'they fall'} in the spring-forward gap ${gap})`
    : `${expr} does not run on ${date} (${times} ${named.length === 1 ? 'falls' : 'fall'} in the spring-forward gap ${gap})`;
  return { date, kind: 'gap', wallTime: wallRange(named), effect };
}

function repeatHazard(expr: string, zone: string, t: Transition, named: number[], slots: number[]): DstHazard | null {
  const slotSet = new Set(slots);
  const ran: number[] = [];
  const skipped: number[] = [];
  const twice: number[] = [];
  for (const n of named) {
    const early = n - t.before * MINUTE_MS;
    const late = n - t.after * MINUTE_MS;
    const runs = [early, late].filter((i) => slotSet.has(i));
    if (runs.length === 2) twice.push(n);
    else {
      ran.push(...runs);
      skipped.push(...[early, late].filter((i) => !slotSet.has(i)));
    }
  }
  const date = naiveDate(new Date(named[0]!));
  const wallTime = wallRange(named);
  const label = (i: number): string => `${formatWallTime(zonedParts(new Date(i), zone))} ${zoneAbbreviation(new Date(i), zone)}`;
  if (twice.length > 0) {
    return { date, kind: 'repeat', wallTime, effect: `${expr} runs twice at ${listTimes(twice)} on ${date} (the hour repeats)` };
  }
  if (skipped.length === 0) return null;
  if (named.length === 1) {
    const runLabel = ran.length === 1 ? `runs once on ${date} at ${label(ran[0]!)}` : `does not run on ${date}`;
    const which = skipped[0]! > (ran[0] ?? 0) ? 'repeated' : 'earlier';
    return { date, kind: 'repeat', wallTime, effect: `${expr} ${runLabel}; the ${which} ${label(skipped[0]!)} is skipped` };
  }
  // Sub-hourly patterns: the skipped occurrences form a pause between two real runs.
  skipped.sort((a, b) => a - b);
  const before = [...slots].reverse().find((s) => s < skipped[0]!);
  const after = slots.find((s) => s > skipped[skipped.length - 1]!);
  const skippedText = skipped.length === 1
    ? `the ${label(skipped[0]!)} run is skipped`
    : `the ${formatWallTime(zonedParts(new Date(skipped[0]!), zone))}–${label(skipped[skipped.length - 1]!)} runs (${skipped.length}) are skipped`;
  const pause = before !== undefined && after !== undefined
    ? `pauses ${Math.round((after - before) / MINUTE_MS)} minutes on ${date} (${label(before)} → ${label(after)}); `
    : `runs each wall time once on ${date}; `;
  return { date, kind: 'repeat', wallTime, effect: `${expr} ${pause}${skippedText}` };
}

/** Offset changes in [fromMs, toMs], located to the minute. */
function transitions(zone: string, fromMs: number, toMs: number): Transition[] {
  const out: Transition[] = [];
  let t = fromMs;
  let offset = offsetMinutesAt(new Date(t), zone);
  while (t < toMs) {
    const t2 = Math.min(t + SAMPLE_MS, toMs);
    const offset2 = offsetMinutesAt(new Date(t2), zone);
    if (offset2 !== offset) {
      let lo = t;
      let hi = t2;
      while (hi - lo > MINUTE_MS) {
        const mid = Math.floor((lo + hi) / 2 / MINUTE_MS) * MINUTE_MS;
        if (mid <= lo) break;
        if (offsetMinutesAt(new Date(mid), zone) === offset) lo = mid;
        else hi = mid;
      }
      out.push({ at: hi, before: offset, after: offset2 });
    }
    t = t2;
    offset = offset2;
  }
  return out;
}

function naiveDate(d: Date): string {
  return formatLocalDate({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() });
}

function naiveTime(d: Date): string {
  return formatWallTime({ hour: d.getUTCHours(), minute: d.getUTCMinutes() });
}

function wallRange(naive: number[]): string {
  const first = naiveTime(new Date(naive[0]!));
  return naive.length === 1 ? first : `${first}–${naiveTime(new Date(naive[naive.length - 1]!))}`;
}

/** "02:30", "02:00 and 02:30", "02:00, 02:15, 02:30 and 02:45", or a range for long lists. */
function listTimes(naive: number[]): string {
  const times = naive.map((n) => naiveTime(new Date(n)));
  if (times.length === 1) return times[0]!;
  if (times.length > 6) return `${times.length} runs from ${times[0]} to ${times[times.length - 1]}`;
  return `${times.slice(0, -1).join(', ')} and ${times[times.length - 1]}`;
}
