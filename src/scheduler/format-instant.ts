import { nextSlots } from './cron-slots.js';
import { formatLocalDate, pad2, zonedParts } from './zoned-time.js';

/**
 * ISO-8601 local time with the zone's offset at that instant, seconds precision
 * (`2027-03-15T09:20:00-07:00`). A zero offset prints as `+00:00` so the first token of a
 * `next` line always has the same shape.
 */
export function formatInZone(date: Date, zone: string): string {
  const ms = Math.floor(date.getTime() / 1000) * 1000;
  const p = zonedParts(new Date(ms), zone);
  // The offset is measured from the wall-clock fields themselves, so it is exact even for
  // zones whose abbreviation Intl cannot express as "GMT±h:mm".
  const offsetSec = Math.round((Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - ms) / 1000);
  const sign = offsetSec < 0 ? '-' : '+';
  const abs = Math.abs(offsetSec);
  const seconds = abs % 60;
  const offset = `${sign}${pad2(Math.floor(abs / 3600))}:${pad2(Math.floor(abs / 60) % 60)}${seconds ? `:${pad2(seconds)}` : ''}`;
  return `${formatLocalDate(p)}T${pad2(p.hour)}:${pad2(p.minute)}:${pad2(p.second)}${offset}`;
}

/** The UTC instant, seconds precision (`2027-03-15T16:20:00Z`). */
function formatUtc(date: Date): string {
  return new Date(Math.floor(date.getTime() / 1000) * 1000).toISOString().replace(/\.000Z$/, 'Z');
}

/** One `sisrelay next` line: local time with offset, a space, the UTC instant. */
export function formatNextRunLine(date: Date, zone: string): string {
  return `${formatInZone(date, zone)} ${formatUtc(date)}`;
}

/** `count` `sisrelay next` lines for the slots strictly after `from`. */
export function describeNextRuns(expr: string, zone: string, from: Date, count: number): string[] {
  return nextSlots(expr, zone, from, count).map((d) => formatNextRunLine(d, zone));
}
