import { SisrelayError } from '../errors/sisrelay-error.js';

/**
 * Date helpers for file names and vendor fields. Every function is pure and names its zone
 * explicitly: nothing reads the host's zone (`getHours()`, `toLocaleString()` without a zone), so
 * the same run produces the same bytes on a server set to UTC, Chicago or Tokyo.
 *
 * Two kinds of value are kept apart:
 * - an *instant* (`Date`) is a point in time; it becomes a wall-clock reading only with a zone;
 * - a *calendar date* is a `YYYY-MM-DD` string with no zone at all (database DATE columns, CEM
 *   dates). SQL adapters deliver DATE values as a `Date` whose UTC fields hold the stored date,
 *   which `sqlDateToYmd` turns back into that string.
 */

export interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const YMD_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch (err) {
      throw new SisrelayError('CONFIG_INVALID', `unknown time zone ${JSON.stringify(zone)}; expected an IANA name such as America/Chicago`, { cause: err });
    }
    formatters.set(zone, f);
  }
  return f;
}

function assertInstant(instant: Date, what: string): void {
  if (!(instant instanceof Date) || Number.isNaN(instant.getTime())) {
    throw new SisrelayError('DATA_INVALID', `${what}: expected a valid date, got ${instant instanceof Date ? 'an invalid Date' : typeof instant}`);
  }
}

/** The wall-clock reading of `instant` in `zone` (IANA name). */
export function wallClockParts(instant: Date, zone: string): WallClock {
  assertInstant(instant, 'wallClockParts');
  const out: WallClock = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const part of formatterFor(zone).formatToParts(instant)) {
    switch (part.type) {
      case 'year':
      case 'month':
      case 'day':
      case 'hour':
      case 'minute':
      case 'second':
        out[part.type] = Number(part.value);
        break;
      default:
        break;
    }
  }
  return out;
}

const p2 = (n: number): string => String(n).padStart(2, '0');
const p4 = (n: number): string => String(n).padStart(4, '0');

/** `YYYY-MM-DD` of `instant` in `zone` ("today" for a job). */
export function localDate(instant: Date, zone: string): string {
  const w = wallClockParts(instant, zone);
  return `${p4(w.year)}-${p2(w.month)}-${p2(w.day)}`;
}

/** `YYYYMMDD` of `instant` in `zone`. */
export function compactDate(instant: Date, zone: string): string {
  const w = wallClockParts(instant, zone);
  return `${p4(w.year)}${p2(w.month)}${p2(w.day)}`;
}

/** `YYYYMMDDHHMMSS` of `instant` in `zone` (Alma course-loader file names). */
export function stamp14(instant: Date, zone: string): string {
  const w = wallClockParts(instant, zone);
  return `${p4(w.year)}${p2(w.month)}${p2(w.day)}${p2(w.hour)}${p2(w.minute)}${p2(w.second)}`;
}

/** `YYYYMMDD-HHMMSS` of `instant` in `zone` (SameGoal epoch directory names). */
export function epochName(instant: Date, zone: string): string {
  const w = wallClockParts(instant, zone);
  return `${p4(w.year)}${p2(w.month)}${p2(w.day)}-${p2(w.hour)}${p2(w.minute)}${p2(w.second)}`;
}

/** A database DATE (UTC fields hold the stored date) as `YYYY-MM-DD`; null → ''. */
export function sqlDateToYmd(d: Date | null): string {
  if (d === null) return '';
  const t = d.getTime();
  // Fast path for the common case, a midnight date in years 1000-9999: dates are a quarter of a
  // roster's fields, and integer arithmetic beats three getUTC* calls plus padding.
  if (t % DAY_MS === 0 && t >= -30_610_224_000_000 && t < 253_402_300_800_000) {
    const c = civilFromDays(t / DAY_MS);
    return `${c.year}-${PAD2[c.month]}-${PAD2[c.day]}`;
  }
  assertInstant(d, 'sqlDateToYmd');
  return `${p4(d.getUTCFullYear())}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())}`;
}

const DAY_MS = 86_400_000;
const PAD2 = Array.from({ length: 32 }, (_, i) => String(i).padStart(2, '0'));

/** The proleptic Gregorian date of a day number (days since 1970-01-01; H. Hinnant's civil_from_days). */
export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

function parseYmd(ymd: string, what: string): { y: number; m: number; d: number } {
  const m = typeof ymd === 'string' ? YMD_RE.exec(ymd) : null;
  if (m) {
    const y = Number(m[1]);
    const mo = Number(m[2]);
    const d = Number(m[3]);
    const t = new Date(Date.UTC(y, mo - 1, d));
    // Rejects 2026-02-30 and friends, which Date.UTC would silently roll into March.
    if (t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d) return { y, m: mo, d };
  }
  throw new SisrelayError('DATA_INVALID', `${what}: expected a calendar date YYYY-MM-DD, got ${JSON.stringify(ymd)}`, {
    details: { value: typeof ymd === 'string' ? ymd.slice(0, 40) : typeof ymd },
  });
}

/**
 * Re-emit a `YYYY-MM-DD` date in a vendor's pattern. Tokens: `YYYY`, `MM`, `DD`; every other
 * character is copied. Used for the Alma profile's configurable date format.
 */
export function formatYmd(ymd: string, pattern: string): string {
  const { y, m, d } = parseYmd(ymd, 'formatYmd');
  return pattern.replace(/YYYY|MM|DD/g, (t) => (t === 'YYYY' ? p4(y) : t === 'MM' ? p2(m) : p2(d)));
}

/** `2026-08-17` → `17-08-2026` (the original Leganto date format). */
export function ymdToDmy(ymd: string): string {
  return formatYmd(ymd, 'DD-MM-YYYY');
}

/**
 * Calendar arithmetic on `YYYY-MM-DD` (no zone, no DST: a day is a calendar day). For "yesterday
 * in the job's zone" use `addDays(localDate(instant, zone), -1)`, never `instant - 24h`, which is
 * wrong across a DST change.
 */
export function addDays(ymd: string, days: number): string {
  if (!Number.isInteger(days)) {
    throw new SisrelayError('INTERNAL_ERROR', `addDays: expected a whole number of days, got ${days}`);
  }
  const { y, m, d } = parseYmd(ymd, 'addDays');
  const t = new Date(Date.UTC(y, m - 1, d + days));
  return sqlDateToYmd(t);
}
