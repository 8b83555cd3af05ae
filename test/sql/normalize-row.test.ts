import { describe, expect, it } from 'vitest';
import {
  RowNormalizer,
  integerFromString,
  normalizeRow,
  numericFromString,
  toSqlValue,
  wallClockDate,
  wallClockFromText,
} from '../../src/adapters/sql/normalize-row.js';
import { wallClockText } from '../../src/adapters/sql/source-support.js';

describe('integerFromString', () => {
  it.each([
    ['0', 0],
    ['-42', -42],
    ['9007199254740991', 9007199254740991],
    ['9007199254740992', 9007199254740992n],
    ['9223372036854775807', 9223372036854775807n],
    ['-9223372036854775808', -9223372036854775808n],
  ])('%s → %s', (text, expected) => {
    expect(integerFromString(text)).toBe(expected);
  });
});

describe('numericFromString', () => {
  it.each<[string, number | bigint | string]>([
    ['1.50', 1.5],
    ['0.1', 0.1],
    ['-0.25', -0.25],
    ['000123.4500', 123.45],
    ['3.0', 3],
    ['12345678901234567890', 12345678901234567890n],
    ['0.0000001', 1e-7],
    ['1E+40', 1e40],
    // 17+ significant digits: a double would silently round it, so the text stays.
    ['0.12345678901234567891', '0.12345678901234567891'],
    ['123456789012345678.5', '123456789012345678.5'],
    ['NaN', 'NaN'],
  ])('%s → %s', (text, expected) => {
    expect(numericFromString(text)).toBe(expected);
  });
});

describe('wallClockFromText', () => {
  it('puts the stored wall clock into the UTC fields', () => {
    expect(wallClockFromText('2024-03-10')).toEqual(new Date('2024-03-10T00:00:00.000Z'));
    expect(wallClockFromText('2024-03-10 02:30:00')).toEqual(new Date('2024-03-10T02:30:00.000Z'));
    expect(wallClockFromText('2024-11-03 01:30:00.123456')).toEqual(new Date('2024-11-03T01:30:00.123Z'));
  });

  it('keeps years below 100 as written (no 19xx mapping)', () => {
    expect((wallClockFromText('0045-06-01') as Date).getUTCFullYear()).toBe(45);
  });

  it('keeps values a Date cannot represent faithfully as text', () => {
    expect(wallClockFromText('infinity')).toBe('infinity');
    expect(wallClockFromText('0044-03-15 BC')).toBe('0044-03-15 BC');
  });

  it('round-trips with wallClockText used for binds', () => {
    const d = wallClockDate(2024, 3, 10, 2, 30, 5, 7);
    expect(wallClockText(d)).toBe('2024-03-10 02:30:05.007');
    expect(wallClockFromText(wallClockText(d))).toEqual(d);
  });
});

describe('toSqlValue', () => {
  it('passes scalars through and converts the rest', () => {
    expect(toSqlValue(undefined)).toBeNull();
    expect(toSqlValue(5n)).toBe(5n);
    const u8 = new Uint8Array([1, 2, 3]);
    const b = toSqlValue(u8);
    expect(Buffer.isBuffer(b)).toBe(true);
    expect([...(b as Buffer)]).toEqual([1, 2, 3]);
    expect(toSqlValue(['a', 1])).toBe('["a",1]');
    expect(toSqlValue({ n: 2n })).toBe('{"n":"2"}');
  });
});

describe('RowNormalizer', () => {
  it('lower-cases keys and keeps values', () => {
    const d = new Date();
    expect(normalizeRow({ STUDENT_NUMBER: 12, FirstName: 'Zoë', dob: d, Gone: null })).toEqual({
      student_number: 12,
      firstname: 'Zoë',
      dob: d,
      gone: null,
    });
  });

  it('applies the per-column converter with the lower-cased key', () => {
    const n = new RowNormalizer((v, key) => (key === 'id' && typeof v === 'string' ? integerFromString(v) : toSqlValue(v)));
    expect(n.normalize({ ID: '9223372036854775807', Name: '9' })).toEqual({ id: 9223372036854775807n, name: '9' });
  });

  it('refuses two columns that only differ in case', () => {
    expect(() => normalizeRow({ ID: 1, id: 2 })).toThrow(/two result columns are both named "id"/);
  });
});
