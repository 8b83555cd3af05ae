import { describe, expect, it } from 'vitest';
import { ArrayRowBuilder, RowNormalizer, wallClockDate, wallClockFromText } from '../../src/adapters/sql/normalize-row.js';
import { SisrelayError } from '../../src/errors/sisrelay-error.js';

describe('ArrayRowBuilder', () => {
  it('lower-cases the names and converts the values as RowNormalizer does', () => {
    const b = new ArrayRowBuilder(['StudentID', 'dob', 'Photo', 'Tags', 'Gone']);
    const dob = wallClockDate(2010, 3, 10);
    const row = b.build([7, dob, new Uint8Array([1, 2]), ['a', 1], undefined]);
    expect(row).toEqual({ studentid: 7, dob, photo: Buffer.from([1, 2]), tags: '["a",1]', gone: null });
    expect(Buffer.isBuffer(row.photo)).toBe(true);
    expect(row).toEqual(new RowNormalizer().normalize({ StudentID: 7, dob, Photo: new Uint8Array([1, 2]), Tags: ['a', 1], Gone: undefined }));
  });

  it('keeps the first position and the last value of a name that appears twice (as pg row objects do)', () => {
    const row = new ArrayRowBuilder(['id', 'name', 'id']).build([1, 'x', 2]);
    expect(row).toEqual({ id: 2, name: 'x' });
    expect(Object.keys(row)).toEqual(['id', 'name']);
  });

  it('refuses two names that only differ in case', () => {
    let err: unknown;
    try {
      new ArrayRowBuilder(['ID', 'name', 'id']);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SisrelayError);
    expect((err as SisrelayError).code).toBe('SQL_QUERY_FAILED');
    expect((err as SisrelayError).message).toMatch(/two result columns are both named "id"/);
  });

  it('builds a fresh row each time, with a column named __proto__ as a plain key', () => {
    const b = new ArrayRowBuilder(['__proto__', 'a']);
    const first = b.build(['p', 1]);
    const second = b.build(['q', 2]);
    expect(Object.keys(first)).toEqual(['__proto__', 'a']);
    expect(Object.getPrototypeOf(first)).toBe(Object.prototype);
    expect(first['__proto__']).toBe('p');
    first.a = 99;
    expect(second).toEqual(Object.fromEntries([['__proto__', 'q'], ['a', 2]]));
  });

  it('builds empty rows for a statement without columns', () => {
    expect(new ArrayRowBuilder([]).build([])).toEqual({});
  });
});

describe('wallClockFromText (arithmetic fast path)', () => {
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

  it('agrees with wallClockDate on every month end, leap day and century of years 100-9999', () => {
    const mismatches: string[] = [];
    const years = [100, 399, 400, 1582, 1600, 1899, 1900, 1970, 1999, 2000, 2024, 2100, 2400, 9999];
    for (let y = 101; y < 9999; y += 97) years.push(y);
    for (const y of years) {
      for (let m = 1; m <= 12; m++) {
        const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
        const last = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]!;
        for (const d of [1, 15, last]) {
          const date = `${pad(y, 4)}-${pad(m)}-${pad(d)}`;
          const got = wallClockFromText(date);
          if (!(got instanceof Date) || got.getTime() !== wallClockDate(y, m, d).getTime()) mismatches.push(date);
          const ts = `${date} 23:59:59.987654`;
          const gotTs = wallClockFromText(ts);
          if (!(gotTs instanceof Date) || gotTs.getTime() !== wallClockDate(y, m, d, 23, 59, 59, 987).getTime()) mismatches.push(ts);
        }
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('reads 1 to 6 fractional digits as milliseconds, truncating below the millisecond', () => {
    expect(wallClockFromText('2024-03-10 02:30:00.5')).toEqual(wallClockDate(2024, 3, 10, 2, 30, 0, 500));
    expect(wallClockFromText('2024-03-10 02:30:00.25')).toEqual(wallClockDate(2024, 3, 10, 2, 30, 0, 250));
    expect(wallClockFromText('2024-03-10 02:30:00.0019')).toEqual(wallClockDate(2024, 3, 10, 2, 30, 0, 1));
    expect(wallClockFromText('2024-03-10T02:30:00')).toEqual(wallClockDate(2024, 3, 10, 2, 30, 0));
  });

  it('returns a new Date for every call, so one caller changing it cannot affect another row', () => {
    const a = wallClockFromText('2024-03-10') as Date;
    const b = wallClockFromText('2024-03-10') as Date;
    expect(a).not.toBe(b);
    a.setUTCFullYear(1999);
    expect(b.getUTCFullYear()).toBe(2024);
  });
});
