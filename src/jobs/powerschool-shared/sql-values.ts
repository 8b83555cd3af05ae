import type { SqlValue } from '../../adapters/adapter-types.js';
import { SisrelayError } from '../../errors/sisrelay-error.js';
import { sqlDateToYmd } from '../../util/dates.js';

/**
 * SqlValue → vendor text for the PowerSchool jobs. The same column can arrive as a number from
 * one driver and as text from another (Oracle NUMBER, PostgreSQL NUMERIC), so every conversion is
 * explicit here instead of `String(value)` at the call site, which would print a Date in the
 * host's zone or a large NUMBER as `1e+21`.
 */

const INTEGER_TEXT = /^[+-]?\d+$/;
const YMD_PREFIX = /^(\d{4}-\d{2}-\d{2})(?:$|[T ])/;

/**
 * Where a value came from, for error messages ("student 12345, column termid"): the column and,
 * optionally, the student number of the row. Plain strings, built into a message only on error,
 * because these functions run for every field of every row and an allocation per field is
 * measurable at 400,000 rows.
 */
function where(column: string, student: string | undefined): string {
  return student ? `student ${student}, column ${column}` : `column ${column}`;
}

function describeValue(v: SqlValue): string {
  if (v instanceof Date) return 'a date';
  if (Buffer.isBuffer(v)) return 'binary data';
  return `${typeof v} ${JSON.stringify(typeof v === 'bigint' ? v.toString() : v)}`.slice(0, 80);
}

/**
 * An integer column (student_number, termid, schoolid, enroll_status) as digits, the way the
 * original printed Python ints. NULL → null. A fraction or non-numeric text is DATA_INVALID:
 * "1234.5" in a student number is a data error, not something to round.
 */
export function integerText(v: SqlValue, column: string, student?: string): string | null {
  if (v === null) return null;
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return String(v);
  } else if (typeof v === 'bigint') {
    return v.toString();
  } else if (typeof v === 'string') {
    const t = v.trim();
    if (INTEGER_TEXT.test(t)) return t.replace(/^\+/, '').replace(/^(-?)0+(?=\d)/, '$1');
  }
  throw new SisrelayError('DATA_INVALID', `${where(column, student)}: expected an integer, found ${describeValue(v)}`, {
    details: { column },
  });
}

/** Like integerText but NULL is an error too (keys such as student_number). */
export function requiredIntegerText(v: SqlValue, column: string, student?: string): string {
  const t = integerText(v, column, student);
  if (t === null) throw new SisrelayError('DATA_INVALID', `${where(column, student)}: expected an integer, found NULL`, { details: { column } });
  return t;
}

/** A character column as text; NULL → null. Numbers print plainly (some drivers type codes as NUMBER). */
export function optionalText(v: SqlValue, column: string, student?: string): string | null {
  if (v === null) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'boolean') return v ? '1' : '0';
  throw new SisrelayError('DATA_INVALID', `${where(column, student)}: expected text, found ${describeValue(v)}`, { details: { column } });
}

/**
 * A DATE column as `YYYY-MM-DD`; NULL → null. Adapters deliver DATE as a Date whose UTC fields
 * hold the stored date; text that starts with a calendar date (a driver configured to fetch
 * dates as strings) is accepted too.
 */
export function ymdText(v: SqlValue, column: string, student?: string): string | null {
  if (v === null) return null;
  if (v instanceof Date) return sqlDateToYmd(v);
  if (typeof v === 'string') {
    const m = YMD_PREFIX.exec(v.trim());
    if (m) return m[1] as string;
  }
  throw new SisrelayError('DATA_INVALID', `${where(column, student)}: expected a date, found ${describeValue(v)}`, { details: { column } });
}

/** True when an integer-ish flag column holds exactly 1 (number 1, text "1", bigint 1n, true). */
export function isOne(v: SqlValue): boolean {
  if (typeof v === 'number') return v === 1;
  if (typeof v === 'bigint') return v === 1n;
  if (typeof v === 'string') return v.trim() === '1';
  if (typeof v === 'boolean') return v;
  return false;
}

/** A count column (COUNT(*)) as a number; NULL → 0. */
export function countValue(v: SqlValue): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && INTEGER_TEXT.test(v.trim())) return Number(v);
  return 0;
}
