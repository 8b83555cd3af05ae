/**
 * Wall-clock <-> instant conversions in an IANA zone, written to give the same answers as
 * node-cron 4.6.0's internal `LocalizedTime`/`localTimeToTimestamp` (dist/_shared.js), which
 * cannot be imported (the package's exports map hides it). Our previews, catch-up and DST
 * warnings must agree with what node-cron fires, so the quirks are copied on purpose:
 * - a wall time inside a spring-forward gap maps to the later of the two offset candidates
 *   (02:30 CST-that-never-was → 03:30 CDT), which then fails the pattern check and is skipped;
 * - a wall time in a repeated hour maps to whichever offset the "guess" instant reads back to
 *   (the first occurrence in zones west of UTC, e.g. 01:30 CDT in America/Chicago).
 */
import { wallClockParts, type WallClock } from '../util/dates.js';

export interface ZonedParts extends WallClock {
  /** 0 = Sunday … 6 = Saturday */
  weekday: number;
}

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();
const nameFormatters = new Map<string, Intl.DateTimeFormat>();

function offsetFormatter(zone: string): Intl.DateTimeFormat {
  let f = offsetFormatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'shortOffset' });
    offsetFormatters.set(zone, f);
  }
  return f;
}

/**
 * Recent conversions per zone. Walking a schedule converts the same instants repeatedly (a slot
 * is read back as a match, then becomes the next walk's base), and Intl formatting dominates
 * the cost. Bounded; cleared wholesale when full.
 */
const partsMemo = new Map<string, Map<number, ZonedParts>>();
const MEMO_LIMIT = 4096;

/** Wall-clock fields of `date` in `zone` (seconds precision). Treat the result as read-only. */
export function zonedParts(date: Date, zone: string): ZonedParts {
  const ms = date.getTime();
  let memo = partsMemo.get(zone);
  if (!memo) {
    memo = new Map();
    partsMemo.set(zone, memo);
  }
  const hit = memo.get(ms);
  if (hit) return hit;
  // hourCycle h23 reads midnight as 0, where node-cron maps the "24" some ICU versions print.
  const wall = wallClockParts(date, zone);
  const parts: ZonedParts = { ...wall, weekday: weekdayOf(wall.year, wall.month, wall.day) };
  if (memo.size >= MEMO_LIMIT) memo.clear();
  memo.set(ms, parts);
  return parts;
}

/** 0 = Sunday … 6 = Saturday for a calendar date (no zone involved). */
export function weekdayOf(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay();
}

/**
 * UTC offset in minutes at `date`, as node-cron reads it (the `shortOffset` zone name, where a
 * name it cannot parse counts as 0). Derived from the wall-clock fields when the offset is a
 * whole number of minutes (every modern offset; same tz data, same answer, one Intl call saved);
 * otherwise (pre-1900 local mean time such as -5:50:36) read exactly as node-cron does.
 */
export function offsetMinutesAt(date: Date, zone: string): number {
  const ms = Math.floor(date.getTime() / 1000) * 1000;
  const p = zonedParts(new Date(ms), zone);
  const diff = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - ms;
  if (diff % 60_000 === 0) return diff / 60_000;
  return shortOffsetMinutes(date, zone);
}

function shortOffsetMinutes(date: Date, zone: string): number {
  const name = offsetFormatter(zone).formatToParts(date).find((p) => p.type === 'timeZoneName')?.value;
  if (!name || name === 'GMT') return 0;
  const m = /^GMT([+-])(\d{1,2})(?::(\d{2}))?$/.exec(name);
  if (!m) return 0;
  const minutes = parseInt(m[2]!, 10) * 60 + parseInt(m[3] ?? '0', 10);
  return m[1] === '+' ? minutes : -minutes;
}

function readsBackTo(ms: number, wall: WallClock, zone: string): boolean {
  const p = zonedParts(new Date(ms), zone);
  return p.year === wall.year && p.month === wall.month && p.day === wall.day &&
    p.hour === wall.hour && p.minute === wall.minute && p.second === wall.second;
}

/**
 * The instant (ms) node-cron assigns to a wall-clock time in `zone`. Gap times map forward past
 * the gap (the caller must re-check the pattern, as node-cron does); repeated times map to one
 * occurrence only.
 */
export function wallTimeToInstant(wall: WallClock, zone: string): number {
  const guess = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second, 0);
  const firstOffset = offsetMinutesAt(new Date(guess), zone);
  const candidate1 = guess - firstOffset * 60_000;
  const secondOffset = offsetMinutesAt(new Date(candidate1), zone);
  if (secondOffset === firstOffset) return candidate1;
  const candidate2 = guess - secondOffset * 60_000;
  if (readsBackTo(candidate1, wall, zone)) return candidate1;
  if (readsBackTo(candidate2, wall, zone)) return candidate2;
  return Math.max(candidate1, candidate2);
}

/** Short zone name at `date` ("CDT", "MST"); zones without one give "GMT+1" style names. */
export function zoneAbbreviation(date: Date, zone: string): string {
  let f = nameFormatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'short' });
    nameFormatters.set(zone, f);
  }
  return f.formatToParts(date).find((p) => p.type === 'timeZoneName')?.value ?? zone;
}

/** "YYYY-MM-DD" */
export function formatLocalDate(p: { year: number; month: number; day: number }): string {
  return `${String(p.year).padStart(4, '0')}-${pad2(p.month)}-${pad2(p.day)}`;
}

/** "HH:MM" */
export function formatWallTime(p: { hour: number; minute: number }): string {
  return `${pad2(p.hour)}:${pad2(p.minute)}`;
}

export function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/**
 * Every instant whose wall clock in `zone` reads `wall`, ascending: none in a spring-forward gap,
 * two in a repeated hour, one otherwise. (node-cron's conversion picks one; deadlines need to
 * choose deliberately.)
 */
export function wallTimeOccurrences(wall: WallClock, zone: string): number[] {
  const guess = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second, 0);
  const offsets = new Set<number>();
  for (const probe of [guess - 86_400_000, guess, guess + 86_400_000]) offsets.add(offsetMinutesAt(new Date(probe), zone));
  const out = new Set<number>();
  for (const offset of offsets) {
    const candidate = guess - offset * 60_000;
    if (readsBackTo(candidate, wall, zone)) out.add(candidate);
  }
  return [...out].sort((a, b) => a - b);
}
