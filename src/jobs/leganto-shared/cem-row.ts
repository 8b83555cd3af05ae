import { formatYmd } from '../../util/dates.js';
import type { LegantoRules } from './leganto-rules.js';
import type { CourseRow } from './loader-row.js';
import { processingDepartment } from './processing-department.js';
import { termCode } from './term-code.js';

/**
 * One CEM export record → a loader row, a skip, or a reject with its reason
 * (leganto_transform.py:122-263). Pure: the caller logs, counts and reports.
 *
 * Where the original crashed the whole run on a missing field (SLN, START_SYNC_DATE,
 * END_SYNC_DATE, the course code) the row is rejected instead, and the rest of the file goes on.
 */

/** The CEM columns the rules read; a file without any of them is refused as a whole. */
export const CEM_COLUMNS = [
  'MYASU_COURSE_IDSTRING',
  'COURSE_STATUS',
  'COURSE_NAME',
  'SLN',
  'ASURITEID',
  'COLLEGE_OR_DIVISION_CODE',
  'CAMPUS',
  'COURSE_ID',
  'TERM',
  'YEAR',
  'START_SYNC_DATE',
  'END_SYNC_DATE',
  'COPY_COURSE_SLN',
  'COPY_COURSE_SEMESTER_YEAR',
  'COPY_COURSE_ID',
  'COPY_COURSE_SEMESTER_TERM',
] as const;

export type CemRecord = Readonly<Record<string, string>>;

export type CemOutcome =
  | { kind: 'row'; row: CourseRow; warnings: string[] }
  | { kind: 'skip'; why: 'status' | 'code-prefix'; courseCode: string; detail: string }
  | { kind: 'reject'; courseCode: string; reason: string };

/** Values that land in the loader file, which is tab-separated without quoting. */
const OUTPUT_COLUMNS = ['MYASU_COURSE_IDSTRING', 'COURSE_NAME', 'SLN', 'ASURITEID', 'COLLEGE_OR_DIVISION_CODE', 'COURSE_ID', 'YEAR'] as const;

export function interpretCemRecord(record: CemRecord, line: number, rules: LegantoRules): CemOutcome {
  const get = (column: string): string => record[column] ?? '';
  const courseCode = get('MYASU_COURSE_IDSTRING');
  const reject = (reason: string): CemOutcome => ({ kind: 'reject', courseCode, reason });

  const skippedPrefix = rules.skipCodePrefixes.find((p) => courseCode.startsWith(p));
  if (skippedPrefix !== undefined) {
    return { kind: 'skip', why: 'code-prefix', courseCode, detail: `course code starts with "${skippedPrefix}" (skipCodePrefixes)` };
  }
  const status = get('COURSE_STATUS');
  if (rules.skipStatuses.has(status)) return { kind: 'skip', why: 'status', courseCode, detail: `COURSE_STATUS ${status}` };

  const missing = ['MYASU_COURSE_IDSTRING', 'SLN', 'TERM', 'START_SYNC_DATE', 'END_SYNC_DATE'].filter((c) => get(c) === '');
  if (missing.length > 0) return reject(`required ${missing.length === 1 ? 'field' : 'fields'} ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} empty`);
  const sectionId = get('SLN').replace(/-/g, '');
  if (sectionId === '') return reject(`SLN ${JSON.stringify(get('SLN'))} holds no section number`);

  for (const column of OUTPUT_COLUMNS) {
    const bad = /[\t\r\n]/.exec(get(column));
    if (bad) return reject(`${column} contains ${bad[0] === '\t' ? 'a TAB' : 'a line break'}, which the tab-separated loader file cannot carry`);
  }

  const courseId = get('COURSE_ID') === '' ? rules.missingCourseId : get('COURSE_ID');
  const campus = get('CAMPUS');
  const college = get('COLLEGE_OR_DIVISION_CODE');
  const placement = processingDepartment({ campus, college, courseId, courseCode }, rules.placement);
  const warnings: string[] = [];
  if (placement.fallback === 'unknown-campus') {
    if (placement.department === null) return reject(`CAMPUS ${JSON.stringify(campus)} is in no campus table and unknownCampusDepartment is null`);
    warnings.push(`CAMPUS ${JSON.stringify(campus)} is in no campus table; processing department ${placement.department}`);
  } else if (placement.fallback === 'unknown-college') {
    if (placement.department === null) {
      return reject(`college ${JSON.stringify(college)} on campus ${campus} is not in tempeCollegeDepartments and unknownTempeCollegeDepartment is null`);
    }
    warnings.push(`college ${JSON.stringify(college)} on campus ${campus} is not in tempeCollegeDepartments; processing department ${placement.department}`);
  }

  const term = get('TERM');
  let term1 = termCode(courseCode, term, rules.termCodes);
  if (term1 === null) {
    if (rules.unknownTermCode === null) return reject(`no termCodes entry matches TERM ${JSON.stringify(term)} for course code ${courseCode} and unknownTermCode is null`);
    term1 = rules.unknownTermCode;
    warnings.push(`no termCodes entry matches TERM ${JSON.stringify(term)} for course code ${courseCode}; Term1 ${JSON.stringify(term1)}`);
  }

  const startDate = loaderDate(get('START_SYNC_DATE'), rules.dateFormat);
  if (startDate === null) return reject(`START_SYNC_DATE ${JSON.stringify(get('START_SYNC_DATE'))} is not a date YYYY-MM-DD[ time]`);
  const endDate = loaderDate(get('END_SYNC_DATE'), rules.dateFormat);
  if (endDate === null) return reject(`END_SYNC_DATE ${JSON.stringify(get('END_SYNC_DATE'))} is not a date YYYY-MM-DD[ time]`);

  const row: CourseRow = {
    line,
    courseCode,
    title: get('COURSE_NAME'),
    sectionId,
    academicDepartment: college,
    processingDepartment: placement.department!,
    term1,
    startDate,
    endDate,
    year: get('YEAR'),
    searchableId1: courseId,
    allSearchableIds: '',
    instructor1: get('ASURITEID'),
    allInstructors: '',
    operation: rules.deleteStatuses.has(status) ? 'DELETE' : '',
    oldCourseCode: '',
    oldSectionId: '',
    copy: {
      sln: get('COPY_COURSE_SLN').replace(/,/g, ''),
      year: get('COPY_COURSE_SEMESTER_YEAR'),
      term: get('COPY_COURSE_SEMESTER_TERM'),
      courseId: get('COPY_COURSE_ID'),
    },
    mergedLines: [],
  };
  return { kind: 'row', row, warnings };
}

/** `2018-08-13 00:00:00.000000000` → the date part in `pattern`; null when it is no calendar date. */
export function loaderDate(timestamp: string, pattern: string): string | null {
  try {
    return formatYmd(timestamp.split(' ', 1)[0] ?? '', pattern);
  } catch {
    return null; // not YYYY-MM-DD, or 2026-02-30 and friends
  }
}
