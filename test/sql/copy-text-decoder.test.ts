import { describe, expect, it } from 'vitest';
import { CopyTextDecoder, unescapeCopyText, type CopyColumn } from '../../src/adapters/sql/copy-text-decoder.js';
import { compileRowFactory, numericFromString, rowLayout, wallClockAt, wallClockDate } from '../../src/adapters/sql/normalize-row.js';
import { SisrelayError } from '../../src/errors/sisrelay-error.js';

/** Pure tests of the COPY text reader; postgres-row-streaming.test.ts runs it against a server. */

const TEXT = 25;
const INT4 = 23;
const INT8 = 20;
const NUMERIC = 1700;
const DATE = 1082;
const TIMESTAMP = 1114;
const BOOL = 16;
const FLOAT8 = 701;

const col = (name: string, typeOid: number): CopyColumn => ({ name, typeOid });
const parserFor = (oid: number) => (oid === FLOAT8 ? (t: string) => parseFloat(t) : (t: string) => `parsed:${t}`);

function decodeAll(columns: CopyColumn[], ...chunks: (string | Buffer)[]): Record<string, unknown>[] {
  const d = new CopyTextDecoder(columns, parserFor);
  const rows = chunks.flatMap((c) => d.push(typeof c === 'string' ? Buffer.from(c, 'utf8') : c));
  d.end();
  return rows;
}

function failure(fn: () => unknown): SisrelayError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SisrelayError);
    return err as SisrelayError;
  }
  throw new Error('expected a failure');
}

describe('CopyTextDecoder', () => {
  const columns = [col('ID', INT4), col('Name', TEXT), col('dob', DATE), col('gpa', NUMERIC), col('active', BOOL)];

  it('reads each type, NULLs and lower-cases the keys', () => {
    expect(decodeAll(columns, '1\tNúñez\t2010-03-10\t3.25\tt\n-2\t\\N\t\\N\t-0.5\tf\n')).toEqual([
      { id: 1, name: 'Núñez', dob: wallClockDate(2010, 3, 10), gpa: 3.25, active: true },
      { id: -2, name: null, dob: null, gpa: -0.5, active: false },
    ]);
  });

  it('gives the same rows however the bytes are cut into chunks, even inside a multi-byte character', () => {
    const text = Buffer.from('1\tZoë 李\t2010-03-10\t3.25\tt\n2\ta\\tb\t\\N\t0\tf\n3\t\\\\N\t1999-12-31\t12.5\tt\n', 'utf8');
    const whole = decodeAll(columns, text);
    expect(whole).toHaveLength(3);
    expect(whole[1]!.name).toBe('a\tb');
    expect(whole[2]!.name).toBe('\\N');
    for (let cut = 1; cut < text.length; cut++) {
      expect(decodeAll(columns, text.subarray(0, cut), text.subarray(cut)), `cut at byte ${cut}`).toEqual(whole);
    }
    // One byte at a time.
    expect(decodeAll(columns, ...Array.from(text, (b) => Buffer.from([b])))).toEqual(whole);
  });

  it('reads int8 past 2^53 as bigint and short ones as numbers, negative too', () => {
    const rows = decodeAll([col('n', INT8)], '42\n-42\n9007199254740993\n-9223372036854775808\n123456789012345\n');
    expect(rows.map((r) => r.n)).toEqual([42, -42, 9007199254740993n, -9223372036854775808n, 123456789012345]);
  });

  it('hands other types to the parser for their oid', () => {
    expect(decodeAll([col('f', FLOAT8), col('x', 1186)], '1.5\t1 day\nNaN\t\\N\n')).toEqual([
      { f: 1.5, x: 'parsed:1 day' },
      { f: Number.NaN, x: null },
    ]);
  });

  it('keeps the first position and last value of a repeated name, as pg row objects do', () => {
    expect(decodeAll([col('a', INT4), col('b', INT4), col('a', INT4)], '1\t2\t3\n')).toEqual([{ a: 3, b: 2 }]);
    expect(Object.keys(decodeAll([col('a', INT4), col('b', INT4), col('a', INT4)], '1\t2\t3\n')[0]!)).toEqual(['a', 'b']);
  });

  it('refuses names that collide once lower-cased', () => {
    expect(failure(() => new CopyTextDecoder([col('ID', INT4), col('id', INT4)], parserFor)).message).toContain('"id"');
  });

  it.each([
    ['a missing field', '1\tx\t2010-03-10\t1\n', 'row 1 is malformed: expected 5 fields, found 4'],
    ['an extra field', '1\tx\t2010-03-10\t1\tt\tmore\n', 'row 1 is malformed: expected 5 fields, found more'],
    ['a bad second row', '1\tx\t2010-03-10\t1\tt\n2\n', 'row 2 is malformed: expected 5 fields, found 1'],
  ])('names the row and what is wrong for %s', (_what, data, message) => {
    expect(failure(() => decodeAll(columns, data)).message).toContain(message);
  });

  it('refuses a second field in a one-column result, and data cut inside a row', () => {
    expect(failure(() => decodeAll([col('n', INT4)], '1\n2\t3\n')).message).toContain('expected 1 field, found more');
    const d = new CopyTextDecoder([col('n', INT4)], parserFor);
    expect(d.push(Buffer.from('1\n2'))).toEqual([{ n: 1 }]);
    expect(failure(() => d.end()).message).toContain('row 2 is malformed: the data ended inside a row (1 bytes after the last newline)');
  });
});

describe('unescapeCopyText', () => {
  it.each([
    ['plain', 'plain'],
    ['a\\tb', 'a\tb'],
    ['line\\nnext\\r', 'line\nnext\r'],
    ['\\b\\f\\v', '\b\f\v'],
    ['C:\\\\dir\\\\', 'C:\\dir\\'],
    ['\\\\N', '\\N'],
    ['trailing\\', 'trailing'],
    ['other \\q', 'other q'],
  ])('%j → %j', (escaped, text) => {
    expect(unescapeCopyText(escaped)).toBe(text);
  });
});

describe('numeric values read by offset', () => {
  it('equal numericFromString for decimals of every length, scale and sign', () => {
    // A deterministic spread of decimals: 1-20 digits, 0-10 after the point, both signs.
    let seed = 7;
    const next = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed;
    };
    const values: string[] = ['0', '-0', '0.00', '-0.00', '1', '0.1', '0.10', '100.5', '999999999999999', '9999999999999999', '0.000000000000001'];
    for (let i = 0; i < 5000; i++) {
      const digits = 1 + (next() % 20);
      let s = '';
      for (let k = 0; k < digits; k++) s += String(next() % 10);
      const scale = next() % Math.min(11, digits + 1);
      let text = scale === 0 ? s : `${s.slice(0, digits - scale) || '0'}.${s.slice(digits - scale)}`;
      if (next() % 2) text = `-${text}`;
      values.push(text);
    }
    const rows = decodeAll([col('n', NUMERIC)], `${values.join('\n')}\n`);
    const mismatches = values.filter((v, i) => !Object.is(rows[i]!.n, numericFromString(v)));
    expect(mismatches).toEqual([]);
  });

  it('keeps NaN and long decimals as numericFromString does', () => {
    expect(decodeAll([col('n', NUMERIC)], 'NaN\n0.12345678901234567891\n').map((r) => r.n)).toEqual(['NaN', '0.12345678901234567891']);
  });
});

describe('wall-clock dates read by offset', () => {
  /** The slow, obvious way: the fields through setUTCFullYear (years 0-99 stay themselves). */
  const reference = (text: string): number => {
    const m = /^(\d+)-(\d\d)-(\d\d)(?: (\d\d):(\d\d):(\d\d)(?:\.(\d+))?)?$/.exec(text)!;
    const ms = m[7] ? Number(m[7].padEnd(3, '0').slice(0, 3)) : 0;
    return wallClockDate(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0), ms).getTime();
  };

  it('match the field-by-field reference for every day from 1899 to 2201 and for timestamps with 0-6 fraction digits', () => {
    const texts: string[] = [];
    for (let t = Date.UTC(1899, 0, 1); t <= Date.UTC(2201, 11, 31); t += 86_400_000) texts.push(new Date(t).toISOString().slice(0, 10));
    const fractions = ['', '.5', '.25', '.125', '.1234', '.12345', '.999999'];
    const days = texts.length;
    for (let i = 0; i < days; i += 7) texts.push(`${texts[i]} ${String(i % 24).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:59${fractions[i % 7]}`);
    const line = ` ${texts.join('|')}|`;
    const mismatches: string[] = [];
    let start = 1;
    for (const text of texts) {
      const got = wallClockAt(line, start, start + text.length);
      if (!(got instanceof Date) || got.getTime() !== reference(text)) mismatches.push(`${text} → ${String(got)}`);
      start += text.length + 1;
    }
    expect(texts.length).toBeGreaterThan(120_000); // ~110k days and ~16k timestamps
    expect(mismatches).toEqual([]);
  });

  it.each([
    ['0099-01-01', wallClockDate(99, 1, 1).getTime()],
    ['12000-01-01', wallClockDate(12000, 1, 1).getTime()],
  ])('reads the rare year %s through the slow path', (text, time) => {
    expect((wallClockAt(`x${text}x`, 1, 1 + text.length) as Date).getTime()).toBe(time);
  });

  it.each(['infinity', '-infinity', '2024-13-01', '2024-02-3x', '2024-03-10 25:00:00', '2024-03-10 01:60:00'])('leaves %s as text', (text) => {
    expect(wallClockAt(text, 0, text.length)).toBe(text);
  });
});

describe('compileRowFactory', () => {
  it('makes own properties of awkward names, __proto__ included, without touching the prototype', () => {
    const names = ['__proto__', 'a"b', "it's", 'line\nbreak', 'constructor'];
    const make = compileRowFactory(rowLayout(names));
    const row = make([1, 2, 3, 4, 5]);
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    expect(Object.keys(row)).toEqual(names);
    expect(Object.getOwnPropertyDescriptor(row, '__proto__')?.value).toBe(1);
    expect(row['a"b']).toBe(2);
    expect(row['line\nbreak']).toBe(4);
    expect(row.constructor).toBe(5);
  });
});
