import { describe, expect, it } from 'vitest';
import { interpretCemRecord, loaderDate } from '../../../src/jobs/leganto-shared/cem-row.js';
import { cem, loaderRules, reportRules } from './rules.js';

const rules = loaderRules();
const row = (over: Record<string, string>, r = rules) => {
  const out = interpretCemRecord(cem(over), 7, r);
  if (out.kind !== 'row') throw new Error(`expected a row, got ${JSON.stringify(out)}`);
  return out;
};

describe('one CEM record → loader row (rules 1–6)', () => {
  it('maps every field as the original', () => {
    const { row: r, warnings } = row({});
    expect(warnings).toEqual([]);
    expect(r).toEqual({
      line: 7,
      courseCode: '2026Fall-X-ENG101-70001',
      title: 'First-Year Composition',
      sectionId: '70001',
      academicDepartment: 'LA',
      processingDepartment: 'HAYDEN',
      term1: 'AUTUMN',
      startDate: '20-08-2026',
      endDate: '05-12-2026',
      year: '2026',
      searchableId1: 'ENG 101',
      allSearchableIds: '',
      instructor1: 'jsmith1',
      allInstructors: '',
      operation: '',
      oldCourseCode: '',
      oldSectionId: '',
      copy: { sln: '-', year: '', term: '', courseId: '' },
      mergedLines: [],
    });
  });

  it.each([
    ['APPROVED', ''],
    ['DENIED', 'DELETE'],
    ['SUSPENDED', 'DELETE'],
    ['', ''],
    ['CANCELLED', ''],
  ])('COURSE_STATUS %j → Operation %j', (status, op) => {
    expect(row({ COURSE_STATUS: status }).row.operation).toBe(op);
  });

  it('REQUESTED is skipped before any field is checked', () => {
    expect(interpretCemRecord(cem({ COURSE_STATUS: 'REQUESTED', SLN: '', TERM: '' }), 3, rules)).toEqual({
      kind: 'skip',
      why: 'status',
      courseCode: '2026Fall-X-ENG101-70001',
      detail: 'COURSE_STATUS REQUESTED',
    });
  });

  it('dashes leave the SLN; commas leave the copy SLN', () => {
    const r = row({ SLN: '70-001', COPY_COURSE_SLN: '12,345', COPY_COURSE_SEMESTER_YEAR: '2025', COPY_COURSE_ID: 'ENG 101', COPY_COURSE_SEMESTER_TERM: '7' }).row;
    expect(r.sectionId).toBe('70001');
    expect(r.copy).toEqual({ sln: '12345', year: '2025', term: '7', courseId: 'ENG 101' });
  });

  it('an empty COURSE_ID becomes "-" (Searchable ID 1) and the empty instructor and title stay empty', () => {
    const r = row({ COURSE_ID: '', ASURITEID: '', COURSE_NAME: '' }).row;
    expect(r.searchableId1).toBe('-');
    expect(r.instructor1).toBe('');
    expect(r.title).toBe('');
  });

  it('dates keep the calendar date and follow dateFormat', () => {
    expect(row({ START_SYNC_DATE: '2027-01-08 00:00:00.000000000', END_SYNC_DATE: '2027-05-02' }).row).toMatchObject({ startDate: '08-01-2027', endDate: '02-05-2027' });
    expect(row({}, loaderRules({ dateFormat: 'YYYY-MM-DD' })).row).toMatchObject({ startDate: '2026-08-20', endDate: '2026-12-05' });
  });

  it('keeps accented text as decoded', () => {
    expect(row({ COURSE_NAME: 'Español Intermedio, Café' }).row.title).toBe('Español Intermedio, Café');
  });

  it('an unknown campus, college or term is placed by its fallback with a warning', () => {
    expect(row({ CAMPUS: 'LAKEHAV' }).warnings).toEqual(['CAMPUS "LAKEHAV" is in no campus table; processing department HAYDEN']);
    const college = row({ COLLEGE_OR_DIVISION_CODE: '' });
    expect(college.row.processingDepartment).toBe('COURSE_UNIT');
    expect(college.warnings).toEqual(['college "" on campus TEMPE is not in tempeCollegeDepartments; processing department COURSE_UNIT']);
    const term = row({ TERM: '1' });
    expect(term.row.term1).toBe('');
    expect(term.warnings).toEqual(['no termCodes entry matches TERM "1" for course code 2026Fall-X-ENG101-70001; Term1 ""']);
  });
});

describe('rejects instead of the original crash', () => {
  const reject = (over: Record<string, string>, r = rules) => interpretCemRecord(cem(over), 9, r);

  it.each([
    [{ SLN: '' }, 'required field SLN is empty'],
    [{ MYASU_COURSE_IDSTRING: '' }, 'required field MYASU_COURSE_IDSTRING is empty'],
    [{ TERM: '' }, 'required field TERM is empty'],
    [{ START_SYNC_DATE: '' }, 'required field START_SYNC_DATE is empty'],
    [{ START_SYNC_DATE: '', END_SYNC_DATE: '' }, 'required fields START_SYNC_DATE, END_SYNC_DATE are empty'],
    [{ SLN: '--' }, 'SLN "--" holds no section number'],
    [{ START_SYNC_DATE: '08/20/2026' }, 'START_SYNC_DATE "08/20/2026" is not a date YYYY-MM-DD[ time]'],
    [{ END_SYNC_DATE: '2026-02-30 00:00:00' }, 'END_SYNC_DATE "2026-02-30 00:00:00" is not a date YYYY-MM-DD[ time]'],
    [{ COURSE_NAME: 'Tabs\there' }, 'COURSE_NAME contains a TAB, which the tab-separated loader file cannot carry'],
    [{ COURSE_NAME: 'Two\nlines' }, 'COURSE_NAME contains a line break, which the tab-separated loader file cannot carry'],
    [{ ASURITEID: 'x\ry' }, 'ASURITEID contains a line break, which the tab-separated loader file cannot carry'],
  ] as Array<[Record<string, string>, string]>)('%j → %s', (over, reason) => {
    expect(reject(over)).toEqual({ kind: 'reject', courseCode: over.MYASU_COURSE_IDSTRING ?? '2026Fall-X-ENG101-70001', reason });
  });

  it('null fallbacks reject the rows the tables cannot place', () => {
    const strict = loaderRules({ unknownCampusDepartment: null, unknownTempeCollegeDepartment: null, unknownTermCode: null });
    expect(reject({ CAMPUS: 'LAKEHAV' }, strict)).toMatchObject({ kind: 'reject', reason: 'CAMPUS "LAKEHAV" is in no campus table and unknownCampusDepartment is null' });
    expect(reject({ COLLEGE_OR_DIVISION_CODE: 'ZZ' }, strict)).toMatchObject({ kind: 'reject', reason: expect.stringContaining('unknownTempeCollegeDepartment is null') });
    expect(reject({ TERM: '4' }, strict)).toMatchObject({ kind: 'reject', reason: expect.stringContaining('unknownTermCode is null') });
  });
});

describe('the report skips configured course-code prefixes', () => {
  it('skips 2021Spring rows only when configured', () => {
    const r = reportRules({ skipCodePrefixes: ['2021Spring', '2021Summer'] });
    expect(interpretCemRecord(cem({ MYASU_COURSE_IDSTRING: '2021Spring-X-ENG101-1', TERM: '1' }), 2, r)).toMatchObject({ kind: 'skip', why: 'code-prefix' });
    expect(interpretCemRecord(cem({ MYASU_COURSE_IDSTRING: '2021Fall-X-ENG101-1' }), 2, r).kind).toBe('row');
    expect(interpretCemRecord(cem({ MYASU_COURSE_IDSTRING: '2021Spring-X-ENG101-1', TERM: '1' }), 2, reportRules()).kind).toBe('row');
  });
});

describe('loaderDate', () => {
  it.each([
    ['2018-08-13 00:00:00.000000000', 'DD-MM-YYYY', '13-08-2018'],
    ['2018-08-13', 'DD-MM-YYYY', '13-08-2018'],
    ['2024-02-29 12:00:00', 'MM/DD/YYYY', '02/29/2024'],
    ['2023-02-29 00:00:00', 'DD-MM-YYYY', null],
    ['2018-8-13 00:00:00', 'DD-MM-YYYY', null],
    ['', 'DD-MM-YYYY', null],
  ])('%j in %s → %j', (ts, pattern, expected) => {
    expect(loaderDate(ts, pattern)).toBe(expected);
  });
});
