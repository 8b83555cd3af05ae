import type { SqlRow } from '../../adapters/adapter-types.js';
import { SisrelayError } from '../../errors/sisrelay-error.js';
import { integerText, optionalText, requiredIntegerText, ymdText } from '../powerschool-shared/sql-values.js';
import type { GuardianColumn, StudentColumn } from './columns.js';

/**
 * Pure rules of the SameGoal students.csv / guardians.csv (jobs-reference §4.3–4.5, product
 * Decision 4). Column lists are config; each known column name has a source below, and a column
 * can be given a fixed text instead (config `studentFixedValues` / `guardianFixedValues`).
 */

/** One student, folded from its consecutive rows (one per race code). */
export interface StudentFacts {
  id: string;
  dcid: string;
  studentNumber: string;
  lastName: string | null;
  middleName: string | null;
  firstName: string | null;
  dob: string | null;
  gender: string | null;
  enrollStatus: string | null;
  grade: string | null;
  street: string | null;
  city: string | null;
  state: string | null;
  zip: string | null;
  stateStudentNumber: string | null;
  schoolName: string | null;
  schoolReportingId: string | null;
  /** Distinct race codes in the order the rows came (ordered by racecd). */
  races: string[];
}

export interface GuardianFacts {
  studentDcid: string;
  studentNumber: string;
  personId: string;
  lastName: string | null;
  firstName: string | null;
  relationship: string | null;
  street: string | null;
  lineTwo: string | null;
  unit: string | null;
  city: string | null;
  state: string | null;
  zip: string | null;
  homePhone: string | null;
  workPhone: string | null;
  cellPhone: string | null;
  email: string | null;
  language: string | null;
}

export interface StudentRules {
  enrollStatusMap: Readonly<Record<string, string>>;
  enrollStatusDefault: string;
}

/** Race codes of one student in the Race column. */
export const RACE_SEPARATOR = ', ';

type Source<T> = (facts: T, rules: StudentRules) => string | null;

/** Student column name → value. Columns without a PowerSchool source are empty unless fixed in config. */
export const STUDENT_COLUMN_SOURCES: Readonly<Record<StudentColumn, Source<StudentFacts>>> = {
  'Student Id': (s) => s.studentNumber,
  'Last Name': (s) => s.lastName,
  'Middle Name': (s) => s.middleName,
  'First Name': (s) => s.firstName,
  'Date of Birth': (s) => s.dob,
  Gender: (s) => s.gender,
  'District Enrollment': (s, r) => districtEnrollment(s.enrollStatus, r),
  Grade: (s) => s.grade,
  Address: (s) => s.street,
  City: (s) => s.city,
  State: (s) => s.state,
  Zip: (s) => s.zip,
  Race: (s) => s.races.join(RACE_SEPARATOR),
  'District of Residence': () => null,
  'County of Residence': () => null,
  'District of Service': () => null,
  'Student Reporting Id': (s) => s.stateStudentNumber,
  Building: (s) => s.schoolName,
  'Building Reporting Id': (s) => s.schoolReportingId,
  'SIS Internal ID': (s) => s.id,
};

/** Guardian column name → value. */
export const GUARDIAN_COLUMN_SOURCES: Readonly<Record<GuardianColumn, Source<GuardianFacts>>> = {
  'Student Id': (g) => g.studentNumber,
  'Last Name': (g) => g.lastName,
  'First Name': (g) => g.firstName,
  Relationship: (g) => g.relationship,
  Address: (g) => guardianAddress(g),
  City: (g) => g.city,
  State: (g) => g.state,
  Zip: (g) => g.zip,
  'Home Phone': (g) => g.homePhone,
  'Work Phone': (g) => g.workPhone,
  'Cell Phone': (g) => g.cellPhone,
  Email: (g) => g.email,
  Language: (g) => g.language,
};

/** enroll_status → District Enrollment through the configured map; other or NULL → the default. */
export function districtEnrollment(status: string | null, rules: StudentRules): string {
  if (status !== null && Object.hasOwn(rules.enrollStatusMap, status)) return rules.enrollStatusMap[status] as string;
  return rules.enrollStatusDefault;
}

/** PERSONADDRESS keeps street, second line and unit apart; SameGoal has one Address column. */
export function guardianAddress(g: Pick<GuardianFacts, 'street' | 'lineTwo' | 'unit'>): string | null {
  const parts = [g.street, g.lineTwo, g.unit].filter((p): p is string => p !== null && p.trim() !== '');
  return parts.length === 0 ? null : parts.join(', ');
}

/** The columns of one file in config order, with fixed values replacing sources. */
export function rowMaker<T>(
  columns: readonly string[],
  sources: Readonly<Record<string, Source<T>>>,
  fixed: Readonly<Record<string, string>>,
  rules: StudentRules,
): (facts: T) => (string | null)[] {
  const getters = columns.map((c): Source<T> => {
    if (Object.hasOwn(fixed, c)) {
      const v = fixed[c] as string;
      return () => v;
    }
    const src = Object.hasOwn(sources, c) ? sources[c] : undefined;
    // The descriptor's validate() refuses unknown names; this is the backstop.
    if (!src) throw new SisrelayError('INTERNAL_ERROR', `column ${JSON.stringify(c)} has no PowerSchool source and no fixed value; expected one of ${Object.keys(sources).join(', ')}`);
    return src;
  });
  return (facts) => getters.map((g) => g(facts, rules));
}

function columnText(row: SqlRow, column: string, who: string): string | null {
  return optionalText(row[column] ?? null, column, who);
}

/** First row of a student → its facts (races empty; add them with addRace). */
export function studentFactsOf(row: SqlRow): StudentFacts {
  const studentNumber = requiredIntegerText(row.student_number ?? null, 'student_number');
  const who = studentNumber;
  const text = (c: string): string | null => columnText(row, c, who);
  return {
    id: requiredIntegerText(row.id ?? null, 'id', who),
    dcid: requiredIntegerText(row.dcid ?? null, 'dcid', who),
    studentNumber,
    lastName: text('last_name'),
    middleName: text('middle_name'),
    firstName: text('first_name'),
    dob: ymdText(row.dob ?? null, 'dob', who),
    gender: text('gender'),
    enrollStatus: integerText(row.enroll_status ?? null, 'enroll_status', who),
    grade: integerText(row.grade_level ?? null, 'grade_level', who),
    street: text('street'),
    city: text('city'),
    state: text('state'),
    zip: text('zip'),
    stateStudentNumber: text('state_studentnumber'),
    schoolName: text('school_name'),
    schoolReportingId: integerText(row.alternate_school_number ?? null, 'alternate_school_number', who),
    races: [],
  };
}

/** Adds the row's race code to the student (NULL from the LEFT JOIN and repeats ignored). */
export function addRace(student: StudentFacts, row: SqlRow): void {
  const code = optionalText(row.racecd ?? null, 'racecd', student.studentNumber);
  if (code === null || code.trim() === '') return;
  if (!student.races.includes(code)) student.races.push(code);
}

export function guardianFactsOf(row: SqlRow): GuardianFacts {
  const studentNumber = requiredIntegerText(row.student_number ?? null, 'student_number');
  const who = studentNumber;
  const text = (c: string): string | null => columnText(row, c, who);
  return {
    studentDcid: requiredIntegerText(row.student_dcid ?? null, 'student_dcid', who),
    studentNumber,
    personId: requiredIntegerText(row.person_id ?? null, 'person_id', who),
    lastName: text('lastname'),
    firstName: text('firstname'),
    relationship: text('relationship'),
    street: text('street'),
    lineTwo: text('linetwo'),
    unit: text('unit'),
    city: text('city'),
    state: text('state_code'),
    zip: text('postalcode'),
    homePhone: text('home_phone'),
    workPhone: text('work_phone'),
    cellPhone: text('cell_phone'),
    email: text('emailaddress'),
    language: text('language_code'),
  };
}
