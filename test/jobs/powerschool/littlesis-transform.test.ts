import { describe, expect, it } from 'vitest';
import { LITTLESIS_HEADER, RosterFormatter, localNowStamp, pickTermYear, rosterRecord, termQualifies, type YearTerm } from '../../../src/jobs/littlesis-roster/transform.js';
import type { SqlRow } from '../../../src/adapters/adapter-types.js';
import { validateLittlesisParams } from '../../../src/jobs/littlesis-roster/descriptor.js';
import { littlesisDefaults } from './helpers.js';

const term = (dcid: number, yearid: number, firstday: string | null, lastday: string | null): YearTerm => ({ id: yearid * 100, dcid, yearid, firstday, lastday });

describe('localNowStamp', () => {
  it.each([
    ['2026-10-15T08:00:00.123Z', 'America/Chicago', '2026-10-15T03:00:00.123'],
    // The evening before in Chicago: the date a term rule sees is the local one.
    ['2026-08-19T04:30:00.000Z', 'America/Chicago', '2026-08-18T23:30:00.000'],
    // Right after the spring-forward jump (02:00 CST → 03:00 CDT).
    ['2026-03-08T08:30:00.000Z', 'America/Chicago', '2026-03-08T03:30:00.000'],
    ['2026-03-08T07:59:59.999Z', 'America/Chicago', '2026-03-08T01:59:59.999'],
    ['2026-10-15T08:00:00.000Z', 'Asia/Kolkata', '2026-10-15T13:30:00.000'],
    ['2026-10-15T08:00:00.000Z', 'UTC', '2026-10-15T08:00:00.000'],
  ])('%s in %s is %s', (iso, zone, expected) => {
    expect(localNowStamp(new Date(iso), zone)).toBe(expected);
  });
});

describe('termQualifies (firstday − buffer < now < lastday, dates at midnight)', () => {
  const y = term(5101, 36, '2026-08-19', '2027-06-04');
  it.each([
    ['2026-07-19T23:59:59.999', 30, false],
    ['2026-07-20T00:00:00.000', 30, false], // equal to the buffer start: not strictly after
    ['2026-07-20T00:00:00.001', 30, true],
    ['2026-07-20T03:00:00.000', 30, true],
    ['2026-08-18T23:59:59.999', 0, false],
    ['2026-08-19T00:00:00.001', 0, true],
    ['2027-06-03T23:59:59.999', 30, true],
    ['2027-06-04T00:00:00.000', 30, false], // the last day itself is excluded from midnight on
    ['2027-06-04T03:00:00.000', 30, false],
  ] as const)('now %s, buffer %i days → %s', (now, buffer, expected) => {
    expect(termQualifies(y, now, buffer)).toBe(expected);
  });

  it('a term without dates never qualifies', () => {
    expect(termQualifies(term(1, 36, null, '2027-06-04'), '2026-10-15T03:00:00.000', 30)).toBe(false);
    expect(termQualifies(term(1, 36, '2026-08-19', null), '2026-10-15T03:00:00.000', 30)).toBe(false);
  });
});

describe('pickTermYear', () => {
  const y35 = term(5001, 35, '2025-08-20', '2026-06-04');
  const y36 = term(5101, 36, '2026-08-19', '2027-06-04');
  const y37 = term(5201, 37, '2027-08-18', '2028-06-02');

  it.each([
    ['2026-10-15T03:00:00.000', 36],
    ['2026-06-03T12:00:00.000', 35],
    ['2026-07-21T03:00:00.000', 36], // inside the 30-day pre-start buffer
    ['2027-07-05T03:00:00.000', null], // summer gap
    ['2026-06-10T03:00:00.000', null],
  ] as const)('at %s the term year is %s', (now, yearid) => {
    expect(pickTermYear([y37, y36, y35], now, 30)?.yearid ?? null).toBe(yearid);
  });

  it('when several full-year terms qualify, the lowest dcid wins (the original tie-break), whatever the input order', () => {
    // A long year record overlapping next year's pre-start window.
    const long36 = term(5101, 36, '2026-08-19', '2027-08-30');
    const now = '2027-08-01T03:00:00.000';
    expect(termQualifies(y37, now, 30)).toBe(true);
    expect(pickTermYear([y37, long36], now, 30)?.yearid).toBe(36);
    expect(pickTermYear([long36, y37], now, 30)?.yearid).toBe(36);
    // A duplicate year record with a lower dcid but another yearid wins too.
    const dup = term(4000, 99, '2026-08-19', '2027-06-04');
    expect(pickTermYear([y36, dup], '2026-10-15T03:00:00.000', 30)?.dcid).toBe(4000);
  });

  it('the lowest dcid only wins among qualifying terms', () => {
    const oldLowDcid = term(10, 30, '2019-08-20', '2020-06-04');
    expect(pickTermYear([oldLowDcid, y36], '2026-10-15T03:00:00.000', 30)?.dcid).toBe(5101);
  });

  it('respects the configured buffer', () => {
    expect(pickTermYear([y36], '2026-08-01T03:00:00.000', 30)?.yearid).toBe(36);
    expect(pickTermYear([y36], '2026-08-01T03:00:00.000', 10)).toBeNull();
  });
});

describe('rosterRecord', () => {
  const d = (ymd: string) => new Date(`${ymd}T00:00:00Z`);
  const row = (over: Partial<SqlRow> = {}): SqlRow => ({
    course_number: 'SCI101',
    section_number: '2',
    termid: 3601,
    cc_schoolid: 5,
    expression: '2(A)',
    dateenrolled: d('2026-08-19'),
    dateleft: d('2026-12-19'),
    course_name: 'Biology, Honors',
    room: 'Lab 2',
    email_addr: 'obrien@d118.org',
    student_id: 501,
    student_number: 10001,
    entrydate: d('2026-08-19'),
    exitdate: d('2027-06-05'),
    enroll_status: 0,
    abbreviation: 'CHS',
    ...over,
  });

  it('maps the 16 columns in header order with a synthesised student e-mail', () => {
    const out = rosterRecord(row(), '@d118.org');
    expect(LITTLESIS_HEADER).toHaveLength(16);
    expect(out).toEqual({
      kind: 'row',
      studentNumber: '10001',
      fields: ['SCI101', '2', '3601', '5', '2(A)', '2026-08-19', '2026-12-19', 'Biology, Honors', 'Lab 2', 'obrien@d118.org',
        '10001@d118.org', '10001', '2026-08-19', '2027-06-05', '0', 'CHS'],
    });
  });

  it.each([null, '', '   '])('an enrollment whose teacher e-mail is %j is dropped', (email) => {
    expect(rosterRecord(row({ email_addr: email }), '@x.org')).toEqual({ kind: 'no-teacher', studentNumber: '10001' });
  });

  it('NULL room, course name, dates and abbreviation become empty fields, not "None"', () => {
    const out = rosterRecord(row({ room: null, course_name: null, dateleft: null, exitdate: null, abbreviation: null }), '@d118.org');
    if (out.kind !== 'row') throw new Error('expected a row');
    expect(out.fields[7]).toBeNull();
    expect(out.fields[8]).toBeNull();
    expect(out.fields[6]).toBeNull();
    expect(out.fields[13]).toBeNull();
    expect(out.fields[15]).toBeNull();
  });

  it('accepts integers as text or bigint (Oracle NUMBER) and prints them as digits', () => {
    const out = rosterRecord(row({ student_number: '0010001', termid: 3601n, cc_schoolid: '5' }), '@d118.org');
    if (out.kind !== 'row') throw new Error('expected a row');
    expect(out.fields.slice(2, 4)).toEqual(['3601', '5']);
    expect(out.fields[10]).toBe('10001@d118.org');
    expect(out.fields[11]).toBe('10001');
  });

  it('takes the student\'s own fields from its first row and reuses them on the following rows', () => {
    const f = new RosterFormatter('@d118.org');
    const fieldsOf = (o: ReturnType<typeof f.record>) => (o.kind === 'row' ? o.fields : []);
    f.record(row({ student_row: 1 }));
    const second = f.record(row({ student_row: 2, course_number: 'ENG9', dateenrolled: d('2026-09-01'), entrydate: null, exitdate: null, abbreviation: null }));
    expect(fieldsOf(second).slice(10, 16)).toEqual(['10001@d118.org', '10001', '2026-08-19', '2027-06-05', '0', 'CHS']);
    expect(fieldsOf(second)[5]).toBe('2026-09-01');
    // The next student's first row brings its own values, NULLs included.
    const next = f.record(row({ student_row: 1, student_number: 10002, entrydate: d('2026-09-14'), exitdate: null, abbreviation: 'HMS' }));
    expect(fieldsOf(next).slice(10, 16)).toEqual(['10002@d118.org', '10002', '2026-09-14', null, '0', 'HMS']);
  });

  it('refuses a later row of a student whose first row it has not seen', () => {
    const f = new RosterFormatter('@d118.org');
    f.record(row({ student_row: 1 }));
    expect(() => f.record(row({ student_row: 2, student_number: 10002 }))).toThrow(/roster row 2 of student 10002 arrived before its first row/);
  });

  it('refuses a fractional student number with DATA_INVALID', () => {
    expect(() => rosterRecord(row({ student_number: 10001.5 }), '@d118.org')).toThrow(/student_number: expected an integer, found number 10001.5/);
  });

  it('refuses a non-date in a date column, naming student and column', () => {
    expect(() => rosterRecord(row({ dateleft: 'soon' }), '@d118.org')).toThrow(/student 10001, column dateleft: expected a date/);
  });
});

describe('validateLittlesisParams', () => {
  it.each([['littlesis_roster.csv', 0], ['in/littlesis_roster.csv', 0], ['in/', 1], ['..', 1], ['a\\b.csv', 1], ['in/a\0.csv', 1]] as const)('remotePath %j → %i problems', (remotePath, n) => {
    expect(validateLittlesisParams(littlesisDefaults({ remotePath }))).toHaveLength(n);
  });
});
