import { describe, expect, it } from 'vitest';
import type { SqlRow } from '../../../src/adapters/adapter-types.js';
import { DEFAULT_GUARDIAN_COLUMNS, DEFAULT_STUDENT_COLUMNS, validateSamegoalParams } from '../../../src/jobs/samegoal-demographics/descriptor.js';
import {
  GUARDIAN_COLUMN_SOURCES, STUDENT_COLUMN_SOURCES, addRace, districtEnrollment, guardianAddress, guardianFactsOf, rowMaker, studentFactsOf,
} from '../../../src/jobs/samegoal-demographics/transform.js';
import { samegoalDefaults } from './helpers.js';

const defaults = samegoalDefaults();
const rules = { enrollStatusMap: defaults.enrollStatusMap, enrollStatusDefault: defaults.enrollStatusDefault };

describe('districtEnrollment (reference §4.5 mapping)', () => {
  it.each([
    ['-1', 'PRE_ENROLLED'], ['0', 'ENROLLED'], ['2', 'TRANSFERRED'], ['3', 'GRADUATED'], ['4', 'HISTORICAL_IDLE'],
    ['1', 'INACTIVE'], ['-2', 'INACTIVE'], [null, 'INACTIVE'],
  ] as const)('enroll_status %j → %s', (status, expected) => {
    expect(districtEnrollment(status, rules)).toBe(expected);
  });
});

describe('guardianAddress', () => {
  it.each([
    [{ street: '12 Main St', lineTwo: null, unit: 'Apt 4' }, '12 Main St, Apt 4'],
    [{ street: '400 Oak Ave', lineTwo: 'Rear', unit: null }, '400 Oak Ave, Rear'],
    [{ street: '1 Elm', lineTwo: ' ', unit: '' }, '1 Elm'],
    [{ street: null, lineTwo: null, unit: null }, null],
  ])('%j → %j', (parts, expected) => {
    expect(guardianAddress(parts)).toBe(expected);
  });
});

describe('students', () => {
  const row = (over: Partial<SqlRow> = {}): SqlRow => ({
    id: 502, dcid: 8502, student_number: 10002, last_name: 'Garcia, Jr.', middle_name: null, first_name: 'Liam',
    dob: new Date('2010-11-02T00:00:00Z'), gender: 'M', enroll_status: 0, grade_level: 10, street: '400 Oak Ave', city: 'Volo',
    state: 'IL', zip: '60073', state_studentnumber: '900000002', school_name: 'Central High School', alternate_school_number: 1, racecd: 'B',
    ...over,
  });

  it('folds race rows into one de-duplicated list and maps the default columns in order', () => {
    const s = studentFactsOf(row());
    addRace(s, row({ racecd: 'B' }));
    addRace(s, row({ racecd: 'W' }));
    addRace(s, row({ racecd: 'B' }));
    addRace(s, row({ racecd: null }));
    const make = rowMaker(DEFAULT_STUDENT_COLUMNS, STUDENT_COLUMN_SOURCES, {}, rules);
    expect(make(s)).toEqual([
      '10002', 'Garcia, Jr.', null, 'Liam', '2010-11-02', 'M', 'ENROLLED', '10', '400 Oak Ave', 'Volo', 'IL', '60073', 'B, W',
      null, null, null, '900000002', 'Central High School', '1', '502',
    ]);
  });

  it('puts columns in config order and lets fixed values fill columns without a source', () => {
    const s = studentFactsOf(row({ enroll_status: -1 }));
    const make = rowMaker(['District of Service', 'Student Id', 'District Enrollment', 'Grade'], STUDENT_COLUMN_SOURCES, { 'District of Service': 'D118', Grade: 'n/a' }, rules);
    expect(make(s)).toEqual(['D118', '10002', 'PRE_ENROLLED', 'n/a']);
  });
});

describe('guardians', () => {
  it('maps the assumed guardian columns', () => {
    const g = guardianFactsOf({
      student_dcid: 8501, student_number: 10001, person_id: 30001, lastname: 'Nguyễn', firstname: 'María', relationship: 'Mother',
      street: '12 Main St', linetwo: null, unit: 'Apt 4', city: 'Wauconda', state_code: 'IL', postalcode: '60084',
      home_phone: '(847) 555-0101', work_phone: null, cell_phone: '(847) 555-0102', emailaddress: 'm@example.com', language_code: 'es',
    });
    const make = rowMaker(DEFAULT_GUARDIAN_COLUMNS, GUARDIAN_COLUMN_SOURCES, {}, rules);
    expect(make(g)).toEqual([
      '10001', 'Nguyễn', 'María', 'Mother', '12 Main St, Apt 4', 'Wauconda', 'IL', '60084', '(847) 555-0101', null, '(847) 555-0102', 'm@example.com', 'es',
    ]);
  });
});

describe('validateSamegoalParams', () => {
  it('accepts the defaults', () => {
    expect(validateSamegoalParams(defaults)).toEqual([]);
  });

  it('names unknown and duplicate columns, bad statuses and a marker with a directory', () => {
    const problems = validateSamegoalParams(samegoalDefaults({
      studentColumns: ['Student Id', 'Shoe Size', 'Student Id', 'Language'],
      studentFixedValues: { Language: 'en' },
      guardianColumns: [],
      enrollStatuses: ['0', 'active'],
      marker: '../COMPLETE',
    }));
    expect(problems.map((p) => p.path)).toEqual(['studentColumns', 'studentColumns', 'guardianColumns', 'enrollStatuses', 'marker']);
    expect(problems[0]!.message).toMatch(/column "Shoe Size" has no PowerSchool source; expected one of Student Id, .* or a fixed text for it in studentFixedValues/);
    expect(problems[1]!.message).toBe('column "Student Id" appears twice');
    expect(problems[3]!.message).toMatch(/found "active"/);
  });
});
