import { SisrelayError } from '../errors/sisrelay-error.js';
import type { WallClock } from '../util/dates.js';
import { lastSlotAtOrBefore } from './cron-slots.js';
import { wallTimeOccurrences, zonedParts } from './zoned-time.js';

const DAY_MS = 86_400_000;
const DEADLINE_RE = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** null when `text` is a deadline "HH:MM" (24-hour), else the problem. */
export function validateDeadline(text: string): string | null {
  if (typeof text === 'string' && DEADLINE_RE.test(text)) return null;
  return `expected a time of day "HH:MM" (24-hour, 00:00-23:59), found ${JSON.stringify(text)}`;
}

/**
 * The first instant strictly after `after` at which the wall clock in `zone` reads `deadline`.
 *
 * DST choices (an alert must never silently skip a day, unlike a cron slot):
 * - a deadline inside a spring-forward gap (02:30 on a day that jumps 02:00 → 03:00) falls at
 *   the first minute that exists after it, i.e. the end of the gap (03:00 CDT);
 * - a deadline in a repeated hour falls at its first occurrence (01:30 CDT, not 01:30 CST).
 */
export function nextDeadline(deadline: string, zone: string, after: Date): Date {
  const m = DEADLINE_RE.exec(deadline);
  if (!m) throw new SisrelayError('CONFIG_INVALID', `deadline: ${validateDeadline(deadline)}`, { details: { deadline } });
  const hour = parseInt(m[1]!, 10);
  const minute = parseInt(m[2]!, 10);
  const afterMs = after.getTime();
  const start = zonedParts(new Date(afterMs - DAY_MS), zone);
  for (let i = 0; i < 4; i++) {
    const d = new Date(Date.UTC(start.year, start.month - 1, start.day + i));
    const at = deadlineOn({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour, minute, second: 0 }, zone);
    if (at > afterMs) return new Date(at);
  }
  // Unreachable for real zones (a deadline exists every calendar day); kept as a clear failure.
  throw new SisrelayError('INTERNAL_ERROR', `no ${deadline} found in ${zone} after ${after.toISOString()}`);
}

function deadlineOn(wall: WallClock, zone: string): number {
  const occurrences = wallTimeOccurrences(wall, zone);
  if (occurrences.length > 0) return occurrences[0]!;
  // In a gap: walk forward to the first wall minute that exists (gaps are at most a few hours).
  const base = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute);
  for (let k = 1; k <= 24 * 60; k++) {
    const n = new Date(base + k * 60_000);
    const next = wallTimeOccurrences({
      year: n.getUTCFullYear(), month: n.getUTCMonth() + 1, day: n.getUTCDate(),
      hour: n.getUTCHours(), minute: n.getUTCMinutes(), second: 0,
    }, zone);
    if (next.length > 0) return next[0]!;
  }
  throw new SisrelayError('INTERNAL_ERROR', `no valid wall time after ${JSON.stringify(wall)} in ${zone}`);
}

export interface DeadlineVerdictInput {
  /** The job's schedule; null (manual only) means nothing is ever due. */
  expr: string | null;
  zone: string;
  deadlineAt: Date;
  /** Start time of the job's latest successful run, any trigger; null = none recorded. */
  lastSuccessStartedAt: Date | null;
}

export interface DeadlineVerdict {
  /** The slot the deadline guards: the latest slot in (deadlineAt − 24 h, deadlineAt]. */
  slot: Date | null;
  /** True when a slot was due and no successful run started at or after it. */
  missed: boolean;
}

/** Whether "no successful run by HH:MM" should alert for this deadline instant. */
export function deadlineVerdict({ expr, zone, deadlineAt, lastSuccessStartedAt }: DeadlineVerdictInput): DeadlineVerdict {
  const slot = expr === null ? null : lastSlotAtOrBefore(expr, zone, deadlineAt, DAY_MS);
  if (!slot) return { slot: null, missed: false };
  const missed = lastSuccessStartedAt === null || lastSuccessStartedAt.getTime() < slot.getTime();
  return { slot, missed };
}
