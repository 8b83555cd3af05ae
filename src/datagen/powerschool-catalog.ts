/**
 * Fixed reference data of the generated district: schools, term layouts, course catalogues,
 * rooms and code sets. Everything random lives in the generator; this file only holds the shapes.
 */
import { addDays, isoDate } from './date-util.js';

export type SchoolKind = 'elementary' | 'middle' | 'high';

export interface SchoolInfo {
  readonly schoolNumber: number;
  readonly name: string;
  readonly abbreviation: string;
  readonly alternateSchoolNumber: number | null;
  readonly lowGrade: number;
  readonly highGrade: number;
  /** null for the "Graduated Students" pseudo-school, which has no terms or sections. */
  readonly kind: SchoolKind | null;
}

/** The school whose full-year terms decide the current term year (LittleSIS TERMYEAR_SCHOOL_NUMBER). */
export const TERM_YEAR_SCHOOL_NUMBER = 5;
export const GRADUATED_SCHOOL_NUMBER = 999999;

export const DISTRICT_SCHOOLS: readonly SchoolInfo[] = [
  { schoolNumber: 1, name: 'Prairie View Elementary', abbreviation: 'PVE', alternateSchoolNumber: 2001, lowGrade: 0, highGrade: 5, kind: 'elementary' },
  { schoolNumber: 2, name: "O'Plaine Elementary", abbreviation: 'OPE', alternateSchoolNumber: 2002, lowGrade: 0, highGrade: 5, kind: 'elementary' },
  { schoolNumber: 3, name: 'Oak Grove Elementary', abbreviation: 'OGE', alternateSchoolNumber: 2003, lowGrade: 0, highGrade: 5, kind: 'elementary' },
  { schoolNumber: 4, name: 'Heritage Middle School', abbreviation: 'HMS', alternateSchoolNumber: 1001, lowGrade: 6, highGrade: 8, kind: 'middle' },
  { schoolNumber: 5, name: 'Central High School', abbreviation: 'CHS', alternateSchoolNumber: 1, lowGrade: 9, highGrade: 12, kind: 'high' },
  { schoolNumber: GRADUATED_SCHOOL_NUMBER, name: 'Graduated Students', abbreviation: 'GRAD', alternateSchoolNumber: null, lowGrade: 99, highGrade: 99, kind: null },
];

/** PowerSchool's yearid: school year starting in 2026 → 36. */
export function yearIdFor(schoolYearStart: number): number {
  return schoolYearStart - 1990;
}

export type TermSlot = 'Y' | 'S1' | 'S2' | 'Q1' | 'Q2' | 'Q3' | 'Q4' | 'T1' | 'T2' | 'T3';

export interface TermTemplate {
  readonly slot: TermSlot;
  /** Added to yearid × 100 to form TERMS.id (the same offsets in every school). */
  readonly offset: number;
  readonly name: string;
  readonly abbreviation: string;
  readonly portion: number;
  readonly firstday: (start: number, schoolFirstDay: string) => string;
  readonly lastday: (start: number) => string;
}

const yearEnd = (start: number): string => isoDate(start + 1, 6, 4);

const YEAR_TERM: TermTemplate = {
  slot: 'Y', offset: 0, name: '', abbreviation: '', portion: 1,
  firstday: (_s, first) => first, lastday: yearEnd,
};

/** Middle and high schools: year, semesters, quarters. */
const SECONDARY_TERMS: readonly TermTemplate[] = [
  YEAR_TERM,
  { slot: 'S1', offset: 1, name: 'Semester 1', abbreviation: 'S1', portion: 2, firstday: (_s, f) => f, lastday: (s) => isoDate(s, 12, 18) },
  { slot: 'S2', offset: 2, name: 'Semester 2', abbreviation: 'S2', portion: 2, firstday: (s) => isoDate(s + 1, 1, 5), lastday: yearEnd },
  { slot: 'Q1', offset: 3, name: 'Quarter 1', abbreviation: 'Q1', portion: 4, firstday: (_s, f) => f, lastday: (s) => isoDate(s, 10, 16) },
  { slot: 'Q2', offset: 4, name: 'Quarter 2', abbreviation: 'Q2', portion: 4, firstday: (s) => isoDate(s, 10, 19), lastday: (s) => isoDate(s, 12, 18) },
  { slot: 'Q3', offset: 5, name: 'Quarter 3', abbreviation: 'Q3', portion: 4, firstday: (s) => isoDate(s + 1, 1, 5), lastday: (s) => isoDate(s + 1, 3, 12) },
  { slot: 'Q4', offset: 6, name: 'Quarter 4', abbreviation: 'Q4', portion: 4, firstday: (s) => isoDate(s + 1, 3, 15), lastday: yearEnd },
];

/** Elementary schools: year and trimesters; ids 01–03 mean different dates than a secondary school's. */
const ELEMENTARY_TERMS: readonly TermTemplate[] = [
  YEAR_TERM,
  { slot: 'T1', offset: 1, name: 'Trimester 1', abbreviation: 'T1', portion: 3, firstday: (_s, f) => f, lastday: (s) => isoDate(s, 11, 20) },
  { slot: 'T2', offset: 2, name: 'Trimester 2', abbreviation: 'T2', portion: 3, firstday: (s) => isoDate(s, 11, 23), lastday: (s) => isoDate(s + 1, 2, 26) },
  { slot: 'T3', offset: 3, name: 'Trimester 3', abbreviation: 'T3', portion: 3, firstday: (s) => isoDate(s + 1, 3, 1), lastday: yearEnd },
];

export function termTemplates(kind: SchoolKind): readonly TermTemplate[] {
  return kind === 'elementary' ? ELEMENTARY_TERMS : SECONDARY_TERMS;
}

/** High school starts a day earlier (freshman day), so year terms differ between schools. */
export function schoolFirstDay(kind: SchoolKind, start: number): string {
  return kind === 'high' ? isoDate(start, 8, 19) : isoDate(start, 8, 20);
}

export function yearTermName(start: number): string {
  return `${start}-${start + 1}`;
}

export function yearTermAbbreviation(start: number): string {
  return `${String(start % 100).padStart(2, '0')}-${String((start + 1) % 100).padStart(2, '0')}`;
}

/** PowerSchool sets CC.dateleft to the day after the term's last day. */
export function dayAfter(iso: string): string {
  return addDays(iso, 1);
}

export type TermLength = 'Y' | 'S' | 'Q' | 'T';
/** 'office': taught by an office account without e-mail (attendance / commons). */
export type CourseRole = 'required' | 'elective' | 'office';

export interface CourseInfo {
  readonly courseNumber: string;
  readonly name: string;
  /** Used instead of `name` when non-windows-1252 text is switched off. */
  readonly asciiName?: string;
  readonly department: string;
  readonly length: TermLength;
  readonly role: CourseRole;
  /** Alternatives of one requirement (a student takes exactly one course of a group). */
  readonly group?: string;
  /** Present in SECTIONS and CC but missing from COURSES (so COURSES.course_name joins to NULL). */
  readonly notInCourses?: boolean;
  readonly credit: number;
}

const ELEMENTARY_COURSES: readonly CourseInfo[] = [
  { courseNumber: 'ATT100', name: 'Attendance', department: 'OFFICE', length: 'Y', role: 'office', credit: 0 },
  { courseNumber: 'ELA100', name: 'Reading, Writing & Language Arts', department: 'ELA', length: 'Y', role: 'required', credit: 1 },
  { courseNumber: 'MTH100', name: 'Mathematics', department: 'MATH', length: 'Y', role: 'required', credit: 1 },
  { courseNumber: 'SCI100', name: 'Science', department: 'SCI', length: 'Y', role: 'required', credit: 1 },
  { courseNumber: 'SOC100', name: 'Social Studies', department: 'SOC', length: 'Y', role: 'required', credit: 1 },
  { courseNumber: 'ART100', name: 'Art', department: 'ART', length: 'T', role: 'elective', credit: 0.5 },
  { courseNumber: 'MUS100', name: 'Music "General"', department: 'MUS', length: 'T', role: 'elective', credit: 0.5 },
  { courseNumber: 'PE100', name: 'Physical Education', department: 'PE', length: 'T', role: 'elective', credit: 0.5 },
  { courseNumber: 'LIB100', name: 'Library', department: 'LIB', length: 'T', role: 'elective', credit: 0.5 },
  { courseNumber: 'SPA100', name: 'Español', department: 'WL', length: 'T', role: 'elective', credit: 0.5 },
  { courseNumber: 'STM100', name: 'STEM Lab', department: 'SCI', length: 'T', role: 'elective', credit: 0.5 },
];

const MIDDLE_COURSES: readonly CourseInfo[] = [
  { courseNumber: 'ATT200', name: 'Attendance', department: 'OFFICE', length: 'Y', role: 'office', credit: 0 },
  { courseNumber: 'ADV200', name: 'Advisory', department: 'ADV', length: 'Y', role: 'required', credit: 0 },
  { courseNumber: 'ENG200', name: 'Language Arts', department: 'ELA', length: 'Y', role: 'required', credit: 1 },
  { courseNumber: 'MTH200', name: 'Math 8, Accelerated', department: 'MATH', length: 'Y', role: 'required', group: 'math', credit: 1 },
  { courseNumber: 'MTH201', name: 'Pre-Algebra', department: 'MATH', length: 'Y', role: 'required', group: 'math', credit: 1 },
  { courseNumber: 'SCI200', name: 'Earth & Life Science', department: 'SCI', length: 'Y', role: 'required', credit: 1 },
  { courseNumber: 'SOC200', name: 'U.S. History', department: 'SOC', length: 'Y', role: 'required', credit: 1 },
  { courseNumber: 'PE200', name: 'Physical Education', department: 'PE', length: 'S', role: 'elective', credit: 0.5 },
  { courseNumber: 'HLT200', name: 'Health', department: 'PE', length: 'Q', role: 'elective', credit: 0.25 },
  { courseNumber: 'ART200', name: 'Art: "Making Marks"', department: 'ART', length: 'Q', role: 'elective', credit: 0.25 },
  { courseNumber: 'MUS200', name: 'Band', department: 'MUS', length: 'Y', role: 'elective', credit: 1 },
  { courseNumber: 'MUS201', name: 'Chorus', department: 'MUS', length: 'S', role: 'elective', credit: 0.5 },
  { courseNumber: 'TEC200', name: 'Intro to Coding, Part 1', department: 'TECH', length: 'Q', role: 'elective', credit: 0.25 },
  { courseNumber: 'SPA200', name: 'Español I', department: 'WL', length: 'Y', role: 'elective', credit: 1 },
  { courseNumber: 'FRE200', name: 'Français I', department: 'WL', length: 'Y', role: 'elective', credit: 1 },
];

const HIGH_COURSES: readonly CourseInfo[] = [
  { courseNumber: 'COM300', name: 'Commons / Study Hall', department: 'OFFICE', length: 'S', role: 'office', credit: 0 },
  { courseNumber: 'ENG300', name: 'English 9', department: 'ELA', length: 'Y', role: 'required', group: 'english', credit: 1 },
  { courseNumber: 'ENG301', name: 'English 10, Honors', department: 'ELA', length: 'Y', role: 'required', group: 'english', credit: 1 },
  { courseNumber: 'MTH300', name: 'Algebra I', department: 'MATH', length: 'Y', role: 'required', group: 'math', credit: 1 },
  { courseNumber: 'MTH301', name: 'Geometry', department: 'MATH', length: 'Y', role: 'required', group: 'math', credit: 1 },
  { courseNumber: 'MTH302', name: 'AP® Calculus AB', department: 'MATH', length: 'Y', role: 'required', group: 'math', credit: 1 },
  { courseNumber: 'SCI300', name: 'Biology', department: 'SCI', length: 'Y', role: 'required', group: 'science', credit: 1 },
  { courseNumber: 'SCI301', name: 'Chemistry', department: 'SCI', length: 'Y', role: 'required', group: 'science', credit: 1 },
  { courseNumber: 'SOC300', name: 'World History', department: 'SOC', length: 'Y', role: 'required', credit: 1 },
  { courseNumber: 'PE300', name: 'Physical Education', department: 'PE', length: 'S', role: 'required', credit: 0.5 },
  { courseNumber: 'SOC301', name: 'Government & Economics', department: 'SOC', length: 'S', role: 'elective', credit: 0.5 },
  { courseNumber: 'HLT300', name: 'Health', department: 'PE', length: 'Q', role: 'elective', credit: 0.25 },
  { courseNumber: 'ART300', name: 'Ceramics, Sculpture & 3D Design', department: 'ART', length: 'S', role: 'elective', credit: 0.5 },
  { courseNumber: 'MUS300', name: 'Concert Band', department: 'MUS', length: 'Y', role: 'elective', credit: 1 },
  { courseNumber: 'SPA300', name: 'Español II', department: 'WL', length: 'Y', role: 'elective', credit: 1 },
  { courseNumber: 'VIE300', name: 'Tiếng Việt I', asciiName: 'Vietnamese I', department: 'WL', length: 'S', role: 'elective', credit: 0.5 },
  { courseNumber: 'CSC300', name: 'AP® Computer Science "A"', department: 'TECH', length: 'Y', role: 'elective', credit: 1 },
  { courseNumber: 'BUS300', name: 'Personal Finance', department: 'BUS', length: 'Q', role: 'elective', credit: 0.25 },
  { courseNumber: 'DRV300', name: 'Driver Education', department: 'PE', length: 'Q', role: 'elective', credit: 0.25 },
  { courseNumber: 'LEG999', name: 'Advisory (legacy)', department: 'ADV', length: 'S', role: 'elective', notInCourses: true, credit: 0 },
];

export function courseCatalog(kind: SchoolKind): readonly CourseInfo[] {
  switch (kind) {
    case 'elementary': return ELEMENTARY_COURSES;
    case 'middle': return MIDDLE_COURSES;
    case 'high': return HIGH_COURSES;
  }
}

/** Every distinct course (COURSES is district-wide in PowerSchool). */
export function allCourses(): CourseInfo[] {
  return [...ELEMENTARY_COURSES, ...MIDDLE_COURSES, ...HIGH_COURSES];
}

export function termSlotsFor(kind: SchoolKind, length: TermLength): TermSlot[] {
  switch (length) {
    case 'Y': return ['Y'];
    case 'S': return ['S1', 'S2'];
    case 'Q': return ['Q1', 'Q2', 'Q3', 'Q4'];
    case 'T':
      if (kind !== 'elementary') throw new RangeError('trimester course outside an elementary school');
      return ['T1', 'T2', 'T3'];
  }
}

/** Rooms, including values that break unquoted CSV (comma, quote) and an accent. */
export const ROOMS_SPECIAL = ['Lab 2, West Wing', 'Band Room "B"', 'Café', 'Gym', 'Library'];

// Code sets (CODESET rows) used by the contact model.
export interface CodeSetRow {
  readonly codesetid: number;
  readonly codetype: string;
  readonly code: string;
  readonly displayvalue: string;
}

export const RELATIONSHIP_CODES = {
  Mother: 100, Father: 101, Guardian: 102, Grandmother: 103, Grandfather: 104,
  Stepmother: 105, Stepfather: 106, Aunt: 107, Uncle: 108, Other: 109,
} as const;
export const PHONE_TYPE_CODES = { Home: 200, Work: 201, Mobile: 202 } as const;
export const EMAIL_TYPE_CODES = { Current: 300, Work: 301 } as const;
export const ADDRESS_TYPE_CODES = { Home: 400, Mailing: 401 } as const;
export const STATE_CODES = { IL: 500, WI: 501, IN: 502 } as const;
export const LANGUAGE_CODES = {
  en: { id: 600, name: 'English' },
  es: { id: 601, name: 'Spanish' },
  pl: { id: 602, name: 'Polish' },
  vi: { id: 603, name: 'Vietnamese' },
  ar: { id: 604, name: 'Arabic' },
  zh: { id: 605, name: 'Chinese' },
  ur: { id: 606, name: 'Urdu' },
} as const;

export function codeSetRows(): CodeSetRow[] {
  const rows: CodeSetRow[] = [];
  const add = (codetype: string, map: Record<string, number>) => {
    for (const [code, id] of Object.entries(map)) rows.push({ codesetid: id, codetype, code, displayvalue: code });
  };
  add('Relationship', RELATIONSHIP_CODES);
  add('Phone', PHONE_TYPE_CODES);
  add('Email', EMAIL_TYPE_CODES);
  add('Address', ADDRESS_TYPE_CODES);
  add('States', STATE_CODES);
  for (const [code, { id, name }] of Object.entries(LANGUAGE_CODES)) {
    rows.push({ codesetid: id, codetype: 'Language', code, displayvalue: name });
  }
  return rows;
}

export const STREETS = [
  'Main St', 'Oak Ave', "O'Plaine Rd", 'Maple Dr', 'Lakeview Ct', 'Church St', 'Rue Saint-Étienne',
  'Bonner Rd', 'Garland Rd', 'Cedar Ln', 'Prairie Trl', 'Elm St',
];
export const CITIES = ['Wauconda', 'Island Lake', 'Lake Zurich', 'Volo', 'Port Barrington', 'Lakemoor'];
