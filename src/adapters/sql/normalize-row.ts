import { SisrelayError } from '../../errors/sisrelay-error.js';
import type { SqlRow, SqlValue } from '../adapter-types.js';

/**
 * One row shape for every driver (the SqlValue contract in adapter-types.ts):
 * lower-case keys; numbers as number, integers past 2^53 as bigint; zone-less dates as a Date
 * whose UTC fields hold the stored wall clock. Jobs then format dates with getUTC* / toISOString
 * and never depend on the zone of the host that ran them.
 */

const INTEGER_RE = /^[+-]?\d+$/;
const DECIMAL_RE = /^([+-]?)(\d*)(?:\.(\d*))?$/;

/** Integer text (pg INT8, mssql BIGINT) → number when exact, else bigint. */
export function integerFromString(text: string): number | bigint {
  const n = Number(text);
  if (Number.isSafeInteger(n)) return n;
  return BigInt(text);
}

/**
 * Decimal text (pg NUMERIC, Oracle NUMBER fetched as text) → number when the double prints back
 * as the same decimal, bigint for integers too large for a double, else the text itself: a
 * value such as 0.12345678901234567891 would be silently rounded by a double, and a silently
 * changed grade or balance is worse than a string.
 */
export function numericFromString(text: string): number | bigint | string {
  // Fast path for the common case: 15 characters hold at most 15 significant digits, and every
  // decimal of up to 15 significant digits survives a double exactly.
  if (text.length <= 15 && DECIMAL_RE.test(text)) {
    const n = Number(text);
    if (Number.isFinite(n) && text !== '' && text !== '.' && text !== '-' && text !== '+') return n === 0 ? 0 : n;
  }
  const t = text.trim();
  if (INTEGER_RE.test(t)) return integerFromString(t);
  const m = DECIMAL_RE.exec(t);
  if (!m) {
    // Exponent form (Oracle prints very large/small NUMBERs that way), NaN, Infinity.
    const n = Number(t);
    return Number.isFinite(n) ? n : t;
  }
  const sign = m[1] === '-' ? '-' : '';
  const intPart = (m[2] ?? '').replace(/^0+(?=\d)/, '') || '0';
  const frac = (m[3] ?? '').replace(/0+$/, '');
  const n = Number(t);
  if (!Number.isFinite(n)) return t;
  if (frac === '') return integerFromString(`${sign}${intPart}`);
  const canonical = `${sign === '-' && (intPart !== '0' || frac !== '') ? '-' : ''}${intPart}.${frac}`;
  return plainDecimal(n) === canonical ? n : t;
}

/** The shortest round-trip text of a double, without exponent notation (String(1e-7) is "1e-7"). */
function plainDecimal(n: number): string {
  const s = String(n);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  const digits = `${m[2]}${m[3] ?? ''}`;
  const point = 1 + Number(m[4]); // position of the decimal point within `digits`
  let body: string;
  if (point <= 0) body = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) body = `${digits}${'0'.repeat(point - digits.length)}`;
  else body = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return `${m[1]}${body}`;
}

/**
 * A Date whose UTC fields are the given wall clock. Built with setUTCFullYear so years 0-99 are
 * not read as 1900-1999 (Date.UTC's legacy rule).
 */
export function wallClockDate(
  year: number,
  month: number,
  day: number,
  hour = 0,
  minute = 0,
  second = 0,
  ms = 0,
): Date {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, ms);
  return d;
}

const DAY_MS = 86_400_000;
const PG_DATE_RE = /^(\d{4,})-(\d{2})-(\d{2})$/;
const PG_TIMESTAMP_RE = /^(\d{4,})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;

const digit = (text: string, i: number): number => {
  const d = text.charCodeAt(i) - 48;
  return d >= 0 && d <= 9 ? d : NaN;
};
const num2 = (text: string, i: number): number => digit(text, i) * 10 + digit(text, i + 1);

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  return era * 146_097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719_468;
}

/**
 * Zone-less date/timestamp text ('2024-03-10', '2024-03-10 02:30:00.123456') → wall-clock Date.
 * Values a Date cannot hold faithfully ('infinity', BC dates) stay text rather than becoming a
 * wrong date. This runs for every date of every row, so 4-digit years are read character by
 * character and the time value is computed in plain arithmetic: Date.UTC and a lookup cache
 * keyed by the text both cost more than the whole parse.
 */
export function wallClockFromText(text: string): Date | string {
  const len = text.length;
  if ((len === 10 || (len >= 19 && len <= 29)) && text.charCodeAt(4) === 45 && text.charCodeAt(7) === 45) {
    const y = num2(text, 0) * 100 + num2(text, 2);
    const mo = num2(text, 5);
    const d = num2(text, 8);
    if (len === 10) {
      if (y >= 100 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31) return new Date(daysFromCivil(y, mo, d) * DAY_MS);
    } else if ((text.charCodeAt(10) === 32 || text.charCodeAt(10) === 84) && text.charCodeAt(13) === 58 && text.charCodeAt(16) === 58) {
      const h = num2(text, 11);
      const mi = num2(text, 14);
      const sec = num2(text, 17);
      let ms = 0;
      let ok = len === 19;
      if (len >= 21 && text.charCodeAt(19) === 46) {
        ok = true;
        for (let i = 20; i < 23; i++) ms = ms * 10 + (i < len ? digit(text, i) : 0);
        for (let i = 23; i < len; i++) if (Number.isNaN(digit(text, i))) ok = false;
      }
      if (ok && y >= 100 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 23 && mi <= 59 && sec <= 60 && !Number.isNaN(ms)) {
        return new Date(daysFromCivil(y, mo, d) * DAY_MS + h * 3_600_000 + mi * 60_000 + sec * 1000 + ms);
      }
    }
  }
  // Rare shapes: years below 100 or above 9999 (Date.UTC would map 0-99 to 19xx).
  const dm = PG_DATE_RE.exec(text);
  if (dm) return wallClockDate(Number(dm[1]), Number(dm[2]), Number(dm[3]));
  const t = PG_TIMESTAMP_RE.exec(text);
  if (t) {
    const ms = t[7] ? Math.floor(Number(`0.${t[7]}`) * 1000 + 1e-9) : 0;
    return wallClockDate(Number(t[1]), Number(t[2]), Number(t[3]), Number(t[4]), Number(t[5]), Number(t[6]), ms);
  }
  return text;
}

/** Any driver value → SqlValue. Structured values (pg arrays, JSON) become JSON text. */
export function toSqlValue(value: unknown): SqlValue {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'bigint':
    case 'boolean':
      return value;
    default:
      break;
  }
  if (value instanceof Date || Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

/**
 * Lower-cases keys and converts values. Keeps a per-query cache of key spellings, because
 * lower-casing every key of every row of a million-row extract is measurable. Rows whose keys
 * are already lower-case (PostgreSQL's usual case) are converted in place instead of copied:
 * the drivers hand over a fresh object per row, and one allocation less per row is a third of
 * the garbage of a large extract.
 */
export class RowNormalizer {
  #keys = new Map<string, string>();
  #checked = false;
  readonly #convert: (value: unknown, key: string) => SqlValue;

  constructor(convert: (value: unknown, key: string) => SqlValue = toSqlValue) {
    this.#convert = convert;
  }

  #lower(key: string): string {
    let lower = this.#keys.get(key);
    if (lower === undefined) {
      lower = key.toLowerCase();
      this.#keys.set(key, lower);
    }
    return lower;
  }

  normalize(row: Record<string, unknown>): SqlRow {
    let inPlace = true;
    for (const key in row) {
      if (this.#lower(key) !== key) {
        inPlace = false; // values converted so far are SqlValues already; the copy keeps them
        break;
      }
      const v = row[key];
      const c = this.#convert(v, key);
      if (c !== v) row[key] = c;
    }
    if (inPlace) {
      this.#checked = true;
      return row as SqlRow;
    }
    const out: SqlRow = {};
    let count = 0;
    for (const key in row) {
      const lower = this.#lower(key);
      out[lower] = this.#convert(row[key], lower);
      count++;
    }
    // A query's column set is fixed, so one check on the first row covers them all.
    if (!this.#checked && Object.keys(out).length !== count) {
      const seen = new Set<string>();
      const dup = Object.keys(row).find((k) => {
        const l = k.toLowerCase();
        if (seen.has(l)) return true;
        seen.add(l);
        return false;
      });
      throw new SisrelayError(
        'SQL_QUERY_FAILED',
        `two result columns are both named "${dup?.toLowerCase() ?? '?'}" once lower-cased; alias one of them`,
      );
    }
    this.#checked = true;
    return out;
  }
}

/**
 * Builds SqlRows from arrays of driver values (pg's rowMode 'array'), with the column names
 * lower-cased and checked once per query instead of once per row. The rows are the ones
 * RowNormalizer makes of the driver's own row objects: a name that appears twice keeps its first
 * position and its last value (as pg's row objects do), and two names that differ only in case
 * are refused.
 */
export class ArrayRowBuilder {
  readonly #keys: string[] = [];
  readonly #columns: number[] = [];
  /** Every key already in place (set with define semantics, so even "__proto__" is a plain key). */
  readonly #template: Record<string, null>;

  constructor(names: readonly string[]) {
    const lastIndex = new Map<string, number>();
    names.forEach((name, i) => lastIndex.set(name, i));
    const seen = new Set<string>();
    for (const [name, i] of lastIndex) {
      const lower = name.toLowerCase();
      if (seen.has(lower)) {
        throw new SisrelayError('SQL_QUERY_FAILED', `two result columns are both named "${lower}" once lower-cased; alias one of them`);
      }
      seen.add(lower);
      this.#keys.push(lower);
      this.#columns.push(i);
    }
    this.#template = Object.fromEntries(this.#keys.map((k) => [k, null]));
  }

  /** Bound, so it can be handed around as a plain function. */
  readonly build = (values: readonly unknown[]): SqlRow => {
    // Cloning a template that has every key is as cheap as an empty literal and gives every row
    // of the query the same shape from the start.
    const row: SqlRow = { ...this.#template };
    const keys = this.#keys;
    const columns = this.#columns;
    for (let i = 0; i < keys.length; i++) row[keys[i]!] = toSqlValue(values[columns[i]!]);
    return row;
  };
}

/** One-off helper (tests, small lookups). */
export function normalizeRow(row: Record<string, unknown>): SqlRow {
  return new RowNormalizer().normalize(row);
}
