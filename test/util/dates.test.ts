import { afterEach, describe, expect, it } from 'vitest';
import {
  addDays,
  compactDate,
  epochName,
  formatYmd,
  localDate,
  sqlDateToYmd,
  stamp14,
  wallClockParts,
  ymdToDmy,
} from '../../src/util/dates.js';
import { SisrelayError } from '../../src/errors/sisrelay-error.js';

const CHI = 'America/Chicago';
const PHX = 'America/Phoenix';

// [instant, zone, stamp14, note]
const stamps: [string, string, string, string][] = [
  // 2027-03-14: Chicago springs forward 02:00 CST → 03:00 CDT (08:00Z). Phoenix has no DST (UTC-7).
  ['2027-03-14T07:59:59Z', CHI, '20270314015959', 'last second of CST'],
  ['2027-03-14T08:00:00Z', CHI, '20270314030000', 'first second of CDT: 02:xx never shows'],
  ['2027-03-14T07:59:59Z', PHX, '20270314005959', 'Phoenix unaffected'],
  ['2027-03-14T08:00:00Z', PHX, '20270314010000', 'Phoenix unaffected'],
  ['2027-03-14T09:20:00Z', PHX, '20270314022000', 'Phoenix 02:20 exists'],
  // 2027-11-07: Chicago falls back 02:00 CDT → 01:00 CST (07:00Z); 01:30 happens twice.
  ['2027-11-07T06:30:00Z', CHI, '20271107013000', '01:30 CDT'],
  ['2027-11-07T07:30:00Z', CHI, '20271107013000', '01:30 CST, same wall clock an hour later'],
  ['2027-11-07T08:00:00Z', CHI, '20271107020000', '02:00 CST'],
  ['2027-11-07T07:30:00Z', PHX, '20271107003000', 'Phoenix unaffected'],
  // local midnight vs UTC date
  ['2027-03-15T04:59:59Z', CHI, '20270314235959', 'still the 14th in Chicago (CDT, UTC-5)'],
  ['2027-03-15T05:00:00Z', CHI, '20270315000000', 'the 15th in Chicago'],
  ['2027-01-01T05:59:59Z', CHI, '20261231235959', 'New Year in CST (UTC-6)'],
  ['2027-03-15T06:59:59Z', PHX, '20270314235959', 'Phoenix UTC-7'],
  ['2027-03-15T07:00:00Z', PHX, '20270315000000', 'Phoenix midnight'],
  ['2028-02-29T12:00:00Z', 'UTC', '20280229120000', 'leap day'],
];

describe('zoned wall-clock formats', () => {
  for (const [iso, zone, want, note] of stamps) {
    it(`${iso} in ${zone} → ${want} (${note})`, () => {
      const t = new Date(iso);
      expect(stamp14(t, zone)).toBe(want);
      expect(epochName(t, zone)).toBe(`${want.slice(0, 8)}-${want.slice(8)}`);
      expect(compactDate(t, zone)).toBe(want.slice(0, 8));
      expect(localDate(t, zone)).toBe(`${want.slice(0, 4)}-${want.slice(4, 6)}-${want.slice(6, 8)}`);
      expect(wallClockParts(t, zone)).toEqual({
        year: Number(want.slice(0, 4)),
        month: Number(want.slice(4, 6)),
        day: Number(want.slice(6, 8)),
        hour: Number(want.slice(8, 10)),
        minute: Number(want.slice(10, 12)),
        second: Number(want.slice(12, 14)),
      });
    });
  }

  it('midnight is hour 0, not 24', () => {
    expect(wallClockParts(new Date('2027-06-01T05:00:00Z'), CHI).hour).toBe(0);
  });

  it('an unknown zone is CONFIG_INVALID naming it', () => {
    expect(() => stamp14(new Date(0), 'America/Atlantis')).toThrow(/America\/Atlantis/);
    expect(() => localDate(new Date(0), 'Mars/Olympus')).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });

  it('an invalid Date is DATA_INVALID', () => {
    expect(() => stamp14(new Date('nope'), CHI)).toThrow(SisrelayError);
  });
});

describe('host zone independence', () => {
  const saved = process.env.TZ;
  afterEach(() => {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  });

  it('gives the same answers whatever TZ the host has', () => {
    const t = new Date('2027-11-07T07:30:00Z');
    const d = new Date(Date.UTC(2026, 7, 17));
    const results = ['UTC', 'Asia/Tokyo', 'Pacific/Pago_Pago', 'America/Chicago'].map((tz) => {
      process.env.TZ = tz;
      return [stamp14(t, CHI), epochName(t, PHX), localDate(t, 'Asia/Tokyo'), sqlDateToYmd(d), addDays('2027-03-13', 1)];
    });
    // Prove TZ changes take effect in this process, so the equality below means something.
    process.env.TZ = 'Asia/Tokyo';
    const tokyoHour = new Date('2027-01-01T00:00:00Z').getHours();
    process.env.TZ = 'UTC';
    expect(new Date('2027-01-01T00:00:00Z').getHours()).not.toBe(tokyoHour);
    for (const r of results) expect(r).toEqual(['20271107013000', '20271107-003000', '2027-11-07', '2026-08-17', '2027-03-14']);
  });
});

describe('calendar dates', () => {
  it.each([
    [new Date(Date.UTC(2026, 7, 17)), '2026-08-17'],
    [new Date(Date.UTC(2026, 0, 1, 23, 59, 59)), '2026-01-01'],
    [new Date(Date.UTC(1999, 11, 31)), '1999-12-31'],
    [null, ''],
  ])('sqlDateToYmd(%s) → %j', (d, want) => {
    expect(sqlDateToYmd(d)).toBe(want);
  });

  it.each([
    ['2026-08-17', '17-08-2026'],
    ['2027-01-05', '05-01-2027'],
    ['2028-02-29', '29-02-2028'],
  ])('ymdToDmy(%s) → %s', (ymd, want) => {
    expect(ymdToDmy(ymd)).toBe(want);
  });

  it.each([
    ['2026-08-17', 'MM/DD/YYYY', '08/17/2026'],
    ['2026-08-17', 'YYYYMMDD', '20260817'],
    ['2026-08-17', 'DD.MM.YYYY', '17.08.2026'],
  ])('formatYmd(%s, %s) → %s', (ymd, pattern, want) => {
    expect(formatYmd(ymd, pattern)).toBe(want);
  });

  it.each(['2026-8-17', '2026-02-30', '2027-02-29', '17-08-2026', '2026-08-17 00:00:00', '', '2026-13-01'])(
    'rejects %j as a calendar date',
    (bad) => {
      expect(() => ymdToDmy(bad)).toThrow(expect.objectContaining({ code: 'DATA_INVALID', message: expect.stringContaining(JSON.stringify(bad)) }));
    },
  );

  it.each([
    ['2027-03-13', 1, '2027-03-14'],
    ['2027-03-14', 1, '2027-03-15'],
    ['2027-11-07', -1, '2027-11-06'],
    ['2027-11-06', 1, '2027-11-07'],
    ['2028-02-28', 1, '2028-02-29'],
    ['2027-02-28', 1, '2027-03-01'],
    ['2026-12-31', 1, '2027-01-01'],
    ['2027-01-01', -1, '2026-12-31'],
    ['2027-03-31', -31, '2027-02-28'],
    ['2027-05-05', 0, '2027-05-05'],
  ])('addDays(%s, %i) → %s', (ymd, days, want) => {
    expect(addDays(ymd, days)).toBe(want);
  });

  it('addDays refuses fractional days', () => {
    expect(() => addDays('2027-03-14', 0.5)).toThrow(/whole number/);
  });

  it('yesterday in Chicago right after the spring-forward night is the calendar day before', () => {
    // 2027-03-15 00:30 CDT; 24 hours earlier is 2027-03-13 23:30 CST, which is the wrong "yesterday".
    const t = new Date('2027-03-15T05:30:00Z');
    expect(addDays(localDate(t, CHI), -1)).toBe('2027-03-14');
    expect(localDate(new Date(t.getTime() - 86_400_000), CHI)).toBe('2027-03-13');
  });
});
