import { checkWithSchema } from '../../../src/config/check-with-schema.js';
import { legantoCoursesParamsSchema, type LegantoCoursesParams } from '../../../src/jobs/leganto-courses/descriptor.js';
import { legantoRolloverParamsSchema, type LegantoRolloverParams } from '../../../src/jobs/leganto-rollover-report/descriptor.js';
import { rulesFromParams, type LegantoRules } from '../../../src/jobs/leganto-shared/leganto-rules.js';
import type { CourseRow } from '../../../src/jobs/leganto-shared/loader-row.js';

/** Params as the config loader would produce them from `input` (defaults filled by convict). */
export function coursesParams(input: Record<string, unknown> = {}): LegantoCoursesParams {
  const { value, problems } = checkWithSchema<LegantoCoursesParams>(legantoCoursesParamsSchema, input, 'params');
  if (value === null) throw new Error(problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
  return value;
}

export function reportParams(input: Record<string, unknown> = {}): LegantoRolloverParams {
  const { value, problems } = checkWithSchema<LegantoRolloverParams>(legantoRolloverParamsSchema, { emailTo: ['reserves@example.edu'], ...input }, 'params');
  if (value === null) throw new Error(problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
  return value;
}

/** The loader's rules from config `input` (default: the original's tables). */
export function loaderRules(input: Record<string, unknown> = {}): LegantoRules {
  return rulesFromParams(coursesParams(input));
}

/** The rollover report's rules (online campuses placed through the Tempe table). */
export function reportRules(input: Record<string, unknown> = {}): LegantoRules {
  const p = reportParams(input);
  return rulesFromParams(p, { onlineCampuses: p.onlineCampuses, onlineDepartmentOverrides: p.onlineDepartmentOverrides, skipCodePrefixes: p.skipCodePrefixes });
}

/** A CEM record with plausible values; override what the test is about. */
export function cem(over: Record<string, string> = {}): Record<string, string> {
  return {
    MYASU_COURSE_IDSTRING: '2026Fall-X-ENG101-70001',
    COURSE_STATUS: 'APPROVED',
    COURSE_NAME: 'First-Year Composition',
    SLN: '70001',
    ASURITEID: 'jsmith1',
    COLLEGE_OR_DIVISION_CODE: 'LA',
    CAMPUS: 'TEMPE',
    COURSE_ID: 'ENG 101',
    TERM: '7',
    YEAR: '2026',
    START_SYNC_DATE: '2026-08-20 00:00:00.000000000',
    END_SYNC_DATE: '2026-12-05 00:00:00.000000000',
    COPY_COURSE_SLN: '-',
    COPY_COURSE_SEMESTER_YEAR: '',
    COPY_COURSE_ID: '',
    COPY_COURSE_SEMESTER_TERM: '',
    ...over,
  };
}

/** A loader row with plausible values (no copy course); override what the test is about. */
export function courseRow(over: Partial<CourseRow> = {}): CourseRow {
  return {
    line: 4,
    courseCode: '2026Fall-X-ENG101-70001',
    title: 'T',
    sectionId: '70001',
    academicDepartment: 'LA',
    processingDepartment: 'HAYDEN',
    term1: 'AUTUMN',
    startDate: '20-08-2026',
    endDate: '05-12-2026',
    year: '2026',
    searchableId1: 'ENG 101',
    allSearchableIds: '',
    instructor1: 'a1',
    allInstructors: '',
    operation: '',
    oldCourseCode: '',
    oldSectionId: '',
    copy: { sln: '-', year: '', term: '', courseId: '' },
    mergedLines: [],
    ...over,
  };
}
