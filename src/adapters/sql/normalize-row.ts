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

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  return era * 146_097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719_468;
}

/** daysFromCivil of the 1st of each month 1900-2199, filled on first use (NaN = not yet). */
const MONTH_START_FROM = 1900;
const MONTH_STARTS = new Float64Array(300 * 12).fill(Number.NaN);

function daysOf(year: number, month: number, day: number): number {
  const k = (year - MONTH_START_FROM) * 12 + month - 1;
  if (k < 0 || k >= MONTH_STARTS.length) return daysFromCivil(year, month, day);
  let first = MONTH_STARTS[k]!;
  if (Number.isNaN(first)) first = MONTH_STARTS[k] = daysFromCivil(year, month, 1);
  return first + day - 1;
}

/**
 * Zone-less date/timestamp text ('2024-03-10', '2024-03-10 02:30:00.123456') → wall-clock Date.
 * Values a Date cannot hold faithfully ('infinity', BC dates) stay text rather than becoming a
 * wrong date.
 */
export function wallClockFromText(text: string): Date | string {
  return wallClockAt(text, 0, text.length);
}

/**
 * wallClockFromText of `s.slice(start, end)`, without making the slice: the COPY reader parses
 * dates straight out of the chunk it decoded. This runs for every date of every row, so the
 * fields are read character by character and the time value is computed in plain arithmetic
 * from a per-month table: Date.UTC and a lookup cache keyed by the text both cost more than the
 * whole parse. Fractions beyond milliseconds are cut, as a Date cannot hold them.
 */
export function wallClockAt(s: string, start: number, end: number): Date | string {
  const a = start;
  const len = end - start;
  if ((len === 10 || (len >= 19 && len <= 29)) && s.charCodeAt(a + 4) === 45 && s.charCodeAt(a + 7) === 45) {
    // Each digit as charCode - 48, checked to be 0-9 below; written out because this is the
    // hottest code of a large extract and helper calls here were not inlined (profiled).
    const y0 = s.charCodeAt(a) - 48;
    const y1 = s.charCodeAt(a + 1) - 48;
    const y2 = s.charCodeAt(a + 2) - 48;
    const y3 = s.charCodeAt(a + 3) - 48;
    const m0 = s.charCodeAt(a + 5) - 48;
    const m1 = s.charCodeAt(a + 6) - 48;
    const d0 = s.charCodeAt(a + 8) - 48;
    const d1 = s.charCodeAt(a + 9) - 48;
    if (
      y0 >= 0 && y0 <= 9 && y1 >= 0 && y1 <= 9 && y2 >= 0 && y2 <= 9 && y3 >= 0 && y3 <= 9 &&
      m0 >= 0 && m0 <= 1 && m1 >= 0 && m1 <= 9 && d0 >= 0 && d0 <= 3 && d1 >= 0 && d1 <= 9
    ) {
      const y = y0 * 1000 + y1 * 100 + y2 * 10 + y3;
      const mo = m0 * 10 + m1;
      const d = d0 * 10 + d1;
      if (y >= 100 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31) {
        if (len === 10) return new Date(daysOf(y, mo, d) * DAY_MS);
        if ((s.charCodeAt(a + 10) === 32 || s.charCodeAt(a + 10) === 84) && s.charCodeAt(a + 13) === 58 && s.charCodeAt(a + 16) === 58) {
          const h0 = s.charCodeAt(a + 11) - 48;
          const h1 = s.charCodeAt(a + 12) - 48;
          const i0 = s.charCodeAt(a + 14) - 48;
          const i1 = s.charCodeAt(a + 15) - 48;
          const s0 = s.charCodeAt(a + 17) - 48;
          const s1 = s.charCodeAt(a + 18) - 48;
          if (h0 >= 0 && h0 <= 2 && h1 >= 0 && h1 <= 9 && i0 >= 0 && i0 <= 5 && i1 >= 0 && i1 <= 9 && s0 >= 0 && s0 <= 6 && s1 >= 0 && s1 <= 9) {
            const h = h0 * 10 + h1;
            const sec = s0 * 10 + s1;
            let ms = 0;
            let ok = len === 19;
            if (len >= 21 && s.charCodeAt(a + 19) === 46) {
              ok = true;
              for (let i = a + 20; i < end; i++) {
                const digit = s.charCodeAt(i) - 48;
                if (digit < 0 || digit > 9) ok = false;
                else if (i < a + 23) ms = ms * 10 + digit;
              }
              for (let i = end; i < a + 23; i++) ms *= 10;
            }
            if (ok && h <= 23 && sec <= 60) {
              return new Date(daysOf(y, mo, d) * DAY_MS + h * 3_600_000 + (i0 * 10 + i1) * 60_000 + sec * 1000 + ms);
            }
          }
        }
      }
    }
  }
  // Rare shapes: years below 100 or above 9999 (Date.UTC would map 0-99 to 19xx). Fields out of
  // range stay text, as above: a Date would roll them over into another day.
  const text = start === 0 && end === s.length ? s : s.slice(start, end);
  const dm = PG_DATE_RE.exec(text) ?? PG_TIMESTAMP_RE.exec(text);
  if (!dm) return text;
  const [mo, d, h, mi, sec] = [2, 3, 4, 5, 6].map((i) => Number(dm[i] ?? 0)) as [number, number, number, number, number];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return text;
  const ms = dm[7] ? Math.floor(Number(`0.${dm[7]}`) * 1000 + 1e-9) : 0;
  return wallClockDate(Number(dm[1]), mo, d, h, mi, sec, ms);
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
 * Where each key of a row comes from, for result columns `names`: keys lower-cased, a name that
 * appears twice keeps its first position and its last value (as pg's row objects do), and two
 * names that differ only in case are refused.
 */
export interface RowLayout {
  readonly keys: readonly string[];
  /** For each key, the index of the column its value is taken from. */
  readonly columns: readonly number[];
}

export function rowLayout(names: readonly string[]): RowLayout {
  const lastIndex = new Map<string, number>();
  names.forEach((name, i) => lastIndex.set(name, i));
  const seen = new Set<string>();
  const keys: string[] = [];
  const columns: number[] = [];
  for (const [name, i] of lastIndex) {
    const lower = name.toLowerCase();
    if (seen.has(lower)) {
      throw new SisrelayError('SQL_QUERY_FAILED', `two result columns are both named "${lower}" once lower-cased; alias one of them`);
    }
    seen.add(lower);
    keys.push(lower);
    columns.push(i);
  }
  return { keys, columns };
}

/**
 * A function that builds one row object from an array of SqlValues. It is compiled per query
 * from the column names (each written as a JSON string literal, so no name can become code):
 * an object literal with fixed keys is the cheapest object V8 can make, a third of the time of
 * copying a template and assigning each key, which counts at a million rows. `__proto__` is
 * written as a computed key, which defines an own property instead of setting the prototype.
 * Where code generation is disabled (--disallow-code-generation-from-strings) the template way
 * is used instead.
 */
export function compileRowFactory(layout: RowLayout): (values: readonly SqlValue[]) => SqlRow {
  const { keys, columns } = layout;
  const props = keys.map((k, i) => `${k === '__proto__' ? `[${JSON.stringify(k)}]` : JSON.stringify(k)}: v[${columns[i]!}]`);
  try {
    return new Function('v', `"use strict"; return { ${props.join(', ')} };`) as (values: readonly SqlValue[]) => SqlRow;
  } catch {
    const template: Record<string, null> = Object.fromEntries(keys.map((k) => [k, null]));
    return (values) => {
      const row: SqlRow = { ...template };
      for (let i = 0; i < keys.length; i++) row[keys[i]!] = values[columns[i]!]!;
      return row;
    };
  }
}

/**
 * Builds SqlRows from arrays of driver values (pg's rowMode 'array'), with the column names
 * lower-cased and checked once per query instead of once per row (see rowLayout). The rows are
 * the ones RowNormalizer makes of the driver's own row objects.
 */
export class ArrayRowBuilder {
  readonly #make: (values: readonly SqlValue[]) => SqlRow;
  readonly #converted: SqlValue[];

  constructor(names: readonly string[]) {
    this.#make = compileRowFactory(rowLayout(names));
    this.#converted = new Array<SqlValue>(names.length).fill(null);
  }

  /** Bound, so it can be handed around as a plain function. */
  readonly build = (values: readonly unknown[]): SqlRow => {
    const converted = this.#converted;
    for (let i = 0; i < converted.length; i++) converted[i] = toSqlValue(values[i]);
    return this.#make(converted);
  };
}

/** One-off helper (tests, small lookups). */
export function normalizeRow(row: Record<string, unknown>): SqlRow {
  return new RowNormalizer().normalize(row);
}
