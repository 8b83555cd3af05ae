import { describe, expect, it } from 'vitest';
import { processingDepartment } from '../../../src/jobs/leganto-shared/processing-department.js';
import { loaderRules, reportRules } from './rules.js';

const loader = loaderRules().placement;
const report = reportRules().placement;
const place = (campus: string, college = 'LA', courseId = 'ENG 101', courseCode = '2026Fall-X-ENG101-70001', tables = loader) =>
  processingDepartment({ campus, college, courseId, courseCode }, tables);

describe('processing department by campus (leganto_transform.py:144-185)', () => {
  it.each([
    ['CALHC', 'HAYDEN'],
    ['CHANDGI', 'HAYDEN'],
    ['EAC', 'HAYDEN'],
    ['HAINAN', 'HAYDEN'],
    ['MESATEM', 'HAYDEN'],
    ['OTHERAZ', 'HAYDEN'],
    ['OTHERUS', 'HAYDEN'],
    ['OUTSIDE', 'HAYDEN'],
    ['SCOTTSD', 'HAYDEN'],
    ['TUCSON', 'HAYDEN'],
    ['ASUONLI', 'ASU_ONLINE'],
    ['ICOURSE', 'ASU_ONLINE'],
    ['DTPHX', 'DOWNTOWN'],
    ['PHOENIX', 'DOWNTOWN'],
    ['GLENDALE', 'FLETCHER'],
    ['WEST', 'FLETCHER'],
    ['POLY', 'POLYTECHNIC'],
    ['TBIRD', 'THUNDERBIRD'],
  ])('%s → %s', (campus, dept) => {
    expect(place(campus, 'BA')).toEqual({ department: dept, fallback: null });
  });

  it.each([['DTPHX'], ['PHOENIX']])('%s with college LW → LAW', (campus) => {
    expect(place(campus, 'LW').department).toBe('LAW');
  });

  it('an unknown or empty campus falls back to HAYDEN and says so', () => {
    expect(place('LAKEHAV')).toEqual({ department: 'HAYDEN', fallback: 'unknown-campus' });
    expect(place('')).toEqual({ department: 'HAYDEN', fallback: 'unknown-campus' });
  });

  it('campus codes are case-sensitive, as in the original', () => {
    expect(place('tempe').fallback).toBe('unknown-campus');
  });
});

describe('Tempe by college', () => {
  it.each([
    ...['AS', 'BA', 'CS', 'FI', 'GC', 'HO', 'LA', 'LS', 'PP', 'PR', 'SU', 'TB', 'TE', 'UC', 'GF'].map((c) => [c, 'HAYDEN']),
    ['ES', 'NOBLE'],
    ['NH', 'NOBLE'],
    ['NU', 'NOBLE'],
    ['HI', 'DESIGN'],
    ['LW', 'LAW'],
  ])('TEMPE + %s → %s', (college, dept) => {
    expect(place('TEMPE', college)).toEqual({ department: dept, fallback: null });
  });

  it.each([['ZZ'], ['']])('TEMPE + unknown college %j → COURSE_UNIT with a warning', (college) => {
    expect(place('TEMPE', college)).toEqual({ department: 'COURSE_UNIT', fallback: 'unknown-college' });
  });
});

describe('overrides, later wins', () => {
  it.each(['MDC', 'MHL', 'MSC', 'MSI', 'MTC', 'MUE', 'MUP', 'MUS'])('COURSE_ID %s… → MUSIC whatever the campus', (prefix) => {
    expect(place('POLY', 'BA', `${prefix} 310`).department).toBe('MUSIC');
    expect(place('TEMPE', 'LW', `${prefix}310`).department).toBe('MUSIC');
  });

  it('COURSE_ID SDO… → LAW', () => {
    expect(place('WEST', 'BA', 'SDO 598').department).toBe('LAW');
  });

  it('course code DEV… → COURSE_UNIT, even over a music course id', () => {
    expect(place('TEMPE', 'LA', 'MUS 101', 'DEV2026Fall-X-MUS101-70001').department).toBe('COURSE_UNIT');
  });

  it('a prefix must start the value (ENG MUS is not music) and "-" matches nothing', () => {
    expect(place('POLY', 'BA', 'ENG MUS').department).toBe('POLYTECHNIC');
    expect(place('POLY', 'BA', '-').department).toBe('POLYTECHNIC');
  });

  it('an override places a row whose campus fell back, keeping the warning', () => {
    expect(place('LAKEHAV', 'BA', 'MUS 101')).toEqual({ department: 'MUSIC', fallback: 'unknown-campus' });
  });
});

describe('configurable tables', () => {
  it('null fallbacks leave the row unplaced (the caller rejects it)', () => {
    const t = loaderRules({ unknownCampusDepartment: null, unknownTempeCollegeDepartment: null }).placement;
    expect(place('LAKEHAV', 'BA', 'ENG 101', 'x', t)).toEqual({ department: null, fallback: 'unknown-campus' });
    expect(place('TEMPE', 'ZZ', 'ENG 101', 'x', t)).toEqual({ department: null, fallback: 'unknown-college' });
    expect(place('LAKEHAV', 'BA', 'MUS 101', 'x', t).department).toBe('MUSIC');
  });

  it('entries merge with the defaults and "" removes one', () => {
    const t = loaderRules({ campusDepartments: { LAKEHAV: 'LAKE', TUCSON: '' }, courseIdPrefixDepartments: { SDO: '', 'MUS 4': 'GRAD_MUSIC' } }).placement;
    expect(place('LAKEHAV', 'BA', 'ENG 101', 'x', t).department).toBe('LAKE');
    expect(place('TUCSON', 'BA', 'ENG 101', 'x', t)).toEqual({ department: 'HAYDEN', fallback: 'unknown-campus' });
    expect(place('POLY', 'BA', 'SDO 598', 'x', t).department).toBe('POLYTECHNIC');
    // Longest prefix wins whatever the key order.
    expect(place('POLY', 'BA', 'MUS 410', 'x', t).department).toBe('GRAD_MUSIC');
    expect(place('POLY', 'BA', 'MUS 310', 'x', t).department).toBe('MUSIC');
  });

  it('tempeCampuses decides which campuses go by college', () => {
    const t = loaderRules({ tempeCampuses: ['TEMPE', 'POLY'] }).placement;
    expect(place('POLY', 'ES', 'ENG 101', 'x', t).department).toBe('NOBLE');
  });
});

describe('rollover report: online campuses through the Tempe table (leganto_shared.py:125-161)', () => {
  it.each([
    ['ASUONLI', 'AS', 'FLETCHER'],
    ['ICOURSE', 'UC', 'FLETCHER'],
    ['ASUONLI', 'ES', 'NOBLE'],
    ['ICOURSE', 'HI', 'DESIGN'],
    ['ASUONLI', 'LW', 'LAW'],
    ['ASUONLI', 'ZZ', 'COURSE_UNIT'],
  ])('%s + %s → %s', (campus, college, dept) => {
    expect(place(campus, college, 'ENG 101', 'x', report).department).toBe(dept);
  });

  it('other campuses are placed as in the loader', () => {
    expect(place('TEMPE', 'AS', 'ENG 101', 'x', report).department).toBe('HAYDEN');
    expect(place('DTPHX', 'LW', 'ENG 101', 'x', report).department).toBe('LAW');
    expect(place('ASUONLI', 'AS', 'MUS 101', 'x', report).department).toBe('MUSIC');
  });

  it('onlineCampuses [] places online courses like the loader', () => {
    const t = reportRules({ onlineCampuses: [] }).placement;
    expect(place('ASUONLI', 'AS', 'ENG 101', 'x', t).department).toBe('ASU_ONLINE');
  });
});
