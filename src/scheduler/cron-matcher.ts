import { parse, type ParsedFields } from 'node-cron';
import { SisrelayError } from '../errors/sisrelay-error.js';
import { validateCron } from './cron-expression.js';
import { validateTimeZone } from './time-zone.js';
import { weekdayOf, wallTimeToInstant, zonedParts, type ZonedParts } from './zoned-time.js';

/** node-cron gives up after this many days without a match (MatcherWalker MAX_DAYS). */
const MAX_DAYS = 366 * 100;

type DayToken = number | string;

/**
 * node-cron 4.6.0's next-match algorithm (TimeMatcher + MatcherWalker in dist/_shared.js),
 * re-implemented over the fields its public `parse()` returns, because the internal class is
 * not importable and node-cron's own `getNextRuns()` only starts from "now".
 *
 * The walk goes day by day in the zone's calendar, and within a matching day through the
 * (hour, minute) candidates in ascending order, converting each wall time to an instant with
 * node-cron's conversion and keeping the first that is after the base and still matches the
 * pattern when read back. That read-back is what drops gap times (02:30 → 03:30, no match) and
 * the walk being by wall time is what keeps a repeated hour to one run.
 */
export class CronMatcher {
  readonly expr: string;
  readonly zone: string;
  private readonly seconds: number[];
  private readonly minutes: number[];
  private readonly hours: number[];
  private readonly daysOfMonth: DayToken[];
  private readonly months: number[];
  private readonly daysOfWeek: DayToken[];

  constructor(expr: string, zone: string) {
    const problems = validateCron(expr);
    if (problems.length > 0) {
      throw new SisrelayError('CONFIG_INVALID', `cron expression ${JSON.stringify(expr)}: ${problems.join('; ')}`, {
        details: { expr, problems },
      });
    }
    const zoneProblem = validateTimeZone(zone);
    if (zoneProblem) throw new SisrelayError('CONFIG_INVALID', zoneProblem, { details: { zone } });
    const fields: ParsedFields = parse(expr.trim());
    this.expr = expr;
    this.zone = zone;
    this.seconds = ascending(fields.second);
    this.minutes = ascending(fields.minute);
    this.hours = ascending(fields.hour);
    this.daysOfMonth = fields.dayOfMonth;
    this.months = fields.month;
    this.daysOfWeek = fields.dayOfWeek;
  }

  /** node-cron `task.match(date)`: true for BOTH instants of a repeated wall time. */
  matches(date: Date): boolean {
    return this.matchesParts(zonedParts(date, this.zone));
  }

  /** Whether a calendar day in the zone passes month, day-of-month AND day-of-week. */
  dayMatches(year: number, month: number, day: number): boolean {
    return this.months.includes(month) &&
      matchesDayOfMonth(this.daysOfMonth, year, month, day) &&
      matchesDayOfWeek(this.daysOfWeek, year, month, day, weekdayOf(year, month, day));
  }

  /** Whether a wall-clock minute (seconds 0) is named by the pattern, ignoring whether it exists. */
  matchesWallMinute(year: number, month: number, day: number, hour: number, minute: number): boolean {
    return this.seconds.includes(0) && this.hours.includes(hour) && this.minutes.includes(minute) &&
      this.dayMatches(year, month, day);
  }

  /**
   * The first slot strictly after `base` (node-cron `getNextMatch`), or null when none exists
   * before `untilMs` (a search bound that only saves work; it never changes a found answer).
   */
  next(base: Date, untilMs = Number.POSITIVE_INFINITY): Date | null {
    const baseMs = Math.floor(base.getTime() / 1000) * 1000;
    const baseParts = zonedParts(new Date(baseMs), this.zone);
    // Stop one calendar day after the bound's local date: a wall time on a later date can only
    // be earlier in absolute time across a midnight fall-back, which is at most one day.
    const stopKey = Number.isFinite(untilMs) ? dayKey(nextDay(zonedParts(new Date(untilMs), this.zone))) : Infinity;
    let { year, month, day } = baseParts;
    for (let i = 0; i < MAX_DAYS; i++) {
      if (dayKey({ year, month, day }) > stopKey) return null;
      if (this.dayMatches(year, month, day)) {
        const found = this.firstTimeOnDay(year, month, day, i === 0 ? baseParts : null, baseMs);
        if (found !== null) return new Date(found);
      }
      ({ year, month, day } = nextDay({ year, month, day }));
    }
    throw new SisrelayError('CONFIG_INVALID', `cron expression ${JSON.stringify(this.expr)} has no run within 100 years after ${base.toISOString()} in ${this.zone}`, {
      details: { expr: this.expr, zone: this.zone },
    });
  }

  private firstTimeOnDay(year: number, month: number, day: number, lowerBound: ZonedParts | null, baseMs: number): number | null {
    for (const hour of this.hours) {
      if (lowerBound && hour < lowerBound.hour) continue;
      for (const minute of this.minutes) {
        for (const second of this.seconds) {
          if (lowerBound && !isLaterInDay(hour, minute, second, lowerBound)) continue;
          const ts = wallTimeToInstant({ year, month, day, hour, minute, second }, this.zone);
          if (ts > baseMs && this.matches(new Date(ts))) return ts;
        }
      }
    }
    return null;
  }

  private matchesParts(p: ZonedParts): boolean {
    return this.seconds.includes(p.second) &&
      this.minutes.includes(p.minute) &&
      this.hours.includes(p.hour) &&
      matchesDayOfMonth(this.daysOfMonth, p.year, p.month, p.day) &&
      this.months.includes(p.month) &&
      matchesDayOfWeek(this.daysOfWeek, p.year, p.month, p.day, p.weekday);
  }
}

function ascending(values: number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

function isLaterInDay(hour: number, minute: number, second: number, bound: { hour: number; minute: number; second: number }): boolean {
  return hour * 3600 + minute * 60 + second > bound.hour * 3600 + bound.minute * 60 + bound.second;
}

function nextDay(d: { year: number; month: number; day: number }): { year: number; month: number; day: number } {
  const n = new Date(Date.UTC(d.year, d.month - 1, d.day + 1));
  return { year: n.getUTCFullYear(), month: n.getUTCMonth() + 1, day: n.getUTCDate() };
}

function dayKey(d: { year: number; month: number; day: number }): number {
  return d.year * 10_000 + d.month * 100 + d.day;
}

// Day-of-month and day-of-week tokens, as node-cron 4.6.0 evaluates them.

function lastDayOfMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function nearestWeekday(year: number, month: number, target: number): number {
  const last = lastDayOfMonth(year, month);
  if (target < 1 || target > last) return -1;
  const weekday = weekdayOf(year, month, target);
  if (weekday === 6) return target === 1 ? target + 2 : target - 1;
  if (weekday === 0) return target === last ? target - 2 : target + 1;
  return target;
}

function matchesDayOfMonth(field: DayToken[], year: number, month: number, day: number): boolean {
  for (const value of field) {
    if (value === day) return true;
    if (value === 'L' && day === lastDayOfMonth(year, month)) return true;
    if (typeof value === 'string') {
      const w = /^(\d{1,2}|L)W$/.exec(value);
      if (w) {
        const target = w[1] === 'L' ? lastDayOfMonth(year, month) : parseInt(w[1]!, 10);
        if (nearestWeekday(year, month, target) === day) return true;
      }
      const off = /^L-(\d{1,2})$/.exec(value);
      if (off) {
        const target = lastDayOfMonth(year, month) - parseInt(off[1]!, 10);
        if (target >= 1 && target === day) return true;
      }
    }
  }
  return false;
}

function isLastWeekdayOfMonth(year: number, month: number, day: number): boolean {
  return new Date(Date.UTC(year, month - 1, day + 7)).getUTCMonth() + 1 !== month;
}

function matchesDayOfWeek(field: DayToken[], year: number, month: number, day: number, weekday: number): boolean {
  for (const value of field) {
    if (value === weekday) return true;
    if (typeof value !== 'string') continue;
    const nth = /^([0-7])#([1-5])$/.exec(value);
    if (nth) {
      if (parseInt(nth[1]!, 10) % 7 === weekday && Math.floor((day - 1) / 7) + 1 === parseInt(nth[2]!, 10)) return true;
      continue;
    }
    const last = /^([0-7])L$/i.exec(value);
    if (last && parseInt(last[1]!, 10) % 7 === weekday && isLastWeekdayOfMonth(year, month, day)) return true;
  }
  return false;
}
