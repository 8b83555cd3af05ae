import { SisrelayError } from '../../errors/sisrelay-error.js';
import type { SqlRow, SqlValue } from '../adapter-types.js';
import { compileRowFactory, integerFromString, numericFromString, rowLayout, toSqlValue, wallClockAt } from './normalize-row.js';
import { PG_OIDS } from './pg-type-parsers.js';

/**
 * Rows out of PostgreSQL's COPY text format (`COPY (query) TO STDOUT`): the same SqlRows the
 * cursor path builds from DataRow messages.
 *
 * COPY writes each value with the type's output function, the same text a text-format result
 * carries, so every value meets the parser it would meet there. The format adds only this: a row
 * per line, fields separated by tabs, NULL as `\N`, and a backslash before a backslash and before
 * the control characters b f n r t v (PostgreSQL's CopyAttributeOutText). A tab or newline inside
 * a value is always escaped, so splitting on them is exact.
 *
 * Speed is the reason for the COPY path, so the common types are read straight out of the decoded
 * chunk by offset (an integer or a date never becomes a string of its own first), the per-column
 * decision is a switch on a small number instead of a call through a table of closures, and each
 * row object comes from a factory compiled for the query (compileRowFactory).
 */

export interface CopyColumn {
  readonly name: string;
  /** The column's type oid from the statement's RowDescription. */
  readonly typeOid: number;
}

/** A column's text → value, as pg's per-client parser for the oid would give it. */
export type TextParser = (text: string) => unknown;

// How a column is read. Plain numbers rather than an enum: the switch in #decode compiles to a
// jump on a small integer.
const TEXT = 0;
const INT4 = 1;
const INT8 = 2;
const NUMERIC = 3;
const WALL_CLOCK = 4;
const BOOL = 5;
const PARSED = 6;
type Kind = typeof TEXT | typeof INT4 | typeof INT8 | typeof NUMERIC | typeof WALL_CLOCK | typeof BOOL | typeof PARSED;

/** Types whose text output is the value itself (pg hands them over unparsed as well). */
const TEXT_OIDS = new Set([
  18, // "char"
  19, // name
  25, // text
  114, // json (kept as text, see PG_TEXT_PARSERS)
  142, // xml
  705, // unknown (an untyped literal in the select list)
  1042, // bpchar
  1043, // varchar
  2950, // uuid
  3802, // jsonb
]);
const INT4_OIDS = new Set([21, 23, 26]); // int2, int4, oid

function kindOf(oid: number): Kind {
  if (TEXT_OIDS.has(oid)) return TEXT;
  if (INT4_OIDS.has(oid)) return INT4;
  if (oid === PG_OIDS.INT8) return INT8;
  if (oid === PG_OIDS.NUMERIC) return NUMERIC;
  if (oid === PG_OIDS.DATE || oid === PG_OIDS.TIMESTAMP) return WALL_CLOCK;
  if (oid === 16) return BOOL;
  // Floats, timestamptz, time, interval, bytea, arrays, ranges...: pg's own parser for the oid,
  // then the SqlValue rule the cursor path applies (arrays become JSON text).
  return PARSED;
}

/** int2/int4/oid output: an optional minus and at most 10 digits, exact in a double. */
function smallInteger(s: string, a: number, b: number): number {
  let i = a;
  const negative = s.charCodeAt(i) === 45;
  if (negative) i++;
  let n = 0;
  for (; i < b; i++) n = n * 10 + (s.charCodeAt(i) - 48);
  return negative ? -n : n;
}

const POWERS_OF_TEN = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/**
 * numeric output → number, as numericFromString decides but without a string of its own for the
 * common short decimal: up to 15 digits make an integer m below 2^53, exact in a double, and
 * m / 10^k with 10^k exact too is one correctly rounded division, the same double Number(text)
 * gives (Clinger's fast path). Anything else (longer, NaN, Infinity) goes to numericFromString.
 */
function numeric(s: string, a: number, b: number): SqlValue {
  if (b > a && b - a <= 17) {
    let i = a;
    const negative = s.charCodeAt(i) === 45;
    if (negative) i++;
    let m = 0;
    let digits = 0;
    let scale = -1;
    for (; i < b; i++) {
      const c = s.charCodeAt(i);
      if (c >= 48 && c <= 57) {
        m = m * 10 + (c - 48);
        digits++;
        if (scale >= 0) scale++;
      } else if (c === 46 && scale < 0) {
        scale = 0;
      } else {
        break;
      }
    }
    if (i === b && digits > 0 && digits <= 15) {
      const n = scale > 0 ? m / POWERS_OF_TEN[scale]! : m;
      return negative && n !== 0 ? -n : n; // never -0, as numericFromString
    }
  }
  return numericFromString(s.slice(a, b));
}

/** A field with backslash escapes, as the text it stands for. */
export function unescapeCopyText(s: string, a = 0, b = s.length): string {
  let out = '';
  let from = a;
  for (let i = a; i < b; i++) {
    if (s.charCodeAt(i) !== 92) continue;
    out += s.slice(from, i);
    const next = s[i + 1];
    switch (next) {
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'v':
        out += '\v';
        break;
      default:
        out += next ?? ''; // `\\`, and any other character stands for itself
    }
    i++;
    from = i + 1;
  }
  return out + s.slice(from, b);
}

const NEWLINE = 10;

export class CopyTextDecoder {
  readonly #kinds: Kind[];
  readonly #parsers: (TextParser | null)[];
  readonly #make: (values: readonly SqlValue[]) => SqlRow;
  readonly #values: SqlValue[];
  /** Bytes after the last complete line of the previous chunk. */
  #carry: Buffer | null = null;
  #rows = 0;

  constructor(columns: readonly CopyColumn[], parserFor: (oid: number) => TextParser) {
    if (columns.length === 0) throw new RangeError('a COPY result has at least one column');
    this.#kinds = columns.map((c) => kindOf(c.typeOid));
    this.#parsers = columns.map((c, i) => (this.#kinds[i] === PARSED ? parserFor(c.typeOid) : null));
    this.#make = compileRowFactory(rowLayout(columns.map((c) => c.name)));
    this.#values = new Array<SqlValue>(columns.length).fill(null);
  }

  /** Rows decoded so far. */
  get rowCount(): number {
    return this.#rows;
  }

  /**
   * The complete rows in `chunk` and whatever the previous chunk left over. A line may be cut
   * anywhere between two chunks, even inside a multi-byte character; the cut is made at the last
   * newline byte, which is never part of a multi-byte UTF-8 sequence.
   */
  push(chunk: Buffer): SqlRow[] {
    const lastNewline = chunk.lastIndexOf(NEWLINE);
    if (lastNewline === -1) {
      this.#carry = this.#carry ? Buffer.concat([this.#carry, chunk]) : Buffer.from(chunk);
      return [];
    }
    const rows: SqlRow[] = [];
    let from = 0;
    if (this.#carry) {
      // The row cut at the end of the last chunk, completed on its own: concatenating just that
      // row is cheaper than copying the whole chunk behind the leftover bytes.
      const firstNewline = chunk.indexOf(NEWLINE);
      const row = Buffer.concat([this.#carry, chunk.subarray(0, firstNewline + 1)]);
      this.#decode(row.toString('utf8'), rows);
      from = firstNewline + 1;
    }
    // Copied, so the chunk it came from is not kept alive by a few leftover bytes.
    this.#carry = lastNewline + 1 < chunk.length ? Buffer.from(chunk.subarray(lastNewline + 1)) : null;
    if (from <= lastNewline) this.#decode(chunk.toString('utf8', from, lastNewline + 1), rows);
    return rows;
  }

  /** The data is complete: a partial last line means it was cut. */
  end(): void {
    if (this.#carry) throw this.#malformed(`the data ended inside a row (${this.#carry.length} bytes after the last newline)`);
  }

  #malformed(what: string): SisrelayError {
    return new SisrelayError('SQL_QUERY_FAILED', `COPY output row ${this.#rows + 1} is malformed: ${what}`);
  }

  #field(kind: Kind, c: number, s: string, a: number, b: number): SqlValue {
    switch (kind) {
      case TEXT:
        return s.slice(a, b);
      case INT4:
        return smallInteger(s, a, b);
      case INT8:
        return b - a <= 15 ? smallInteger(s, a, b) : integerFromString(s.slice(a, b));
      case NUMERIC:
        return numeric(s, a, b);
      case WALL_CLOCK:
        return wallClockAt(s, a, b);
      case BOOL:
        return s.charCodeAt(a) === 116; // 't'
      default:
        return toSqlValue(this.#parsers[c]!(s.slice(a, b)));
    }
  }

  /** Appends the rows of `s` (whole lines) to `rows`. */
  #decode(s: string, rows: SqlRow[]): void {
    const kinds = this.#kinds;
    const values = this.#values;
    const last = kinds.length - 1;
    const len = s.length;
    // Where the next backslash is: a field that ends before it has no escapes and is not NULL,
    // so only the rare field that needs it is looked at twice.
    let backslash = s.indexOf('\\');
    if (backslash === -1) backslash = len;
    // The extra-field check below looks back from the end of the row to the tab before the
    // last field; with a single column there is none, so it is made once for the whole chunk.
    if (last === 0 && s.indexOf('\t') !== -1) throw this.#malformed('expected 1 field, found more');
    let pos = 0;
    while (pos < len) {
      const rowEnd = s.indexOf('\n', pos);
      for (let c = 0; c <= last; c++) {
        let end: number;
        if (c < last) {
          end = s.indexOf('\t', pos);
          if (end === -1 || end > rowEnd) throw this.#malformed(`expected ${last + 1} fields, found ${c + 1}`);
        } else {
          end = rowEnd;
          if (last > 0 && s.lastIndexOf('\t', rowEnd) >= pos) throw this.#malformed(`expected ${last + 1} fields, found more`);
        }
        if (backslash < end) {
          if (end - pos === 2 && s.charCodeAt(pos + 1) === 78) {
            values[c] = null; // \N
          } else {
            const text = unescapeCopyText(s, pos, end);
            values[c] = this.#field(kinds[c]!, c, text, 0, text.length);
          }
          backslash = s.indexOf('\\', end);
          if (backslash === -1) backslash = len;
        } else {
          values[c] = this.#field(kinds[c]!, c, s, pos, end);
        }
        pos = end + 1;
      }
      rows.push(this.#make(values));
      this.#rows++;
    }
  }
}
