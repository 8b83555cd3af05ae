/**
 * One course in the Alma course-loader layout, and its positional fields.
 *
 * Layout (Ex Libris "Configuring Course Loading"): the original wrote the first 31 standard
 * columns; Alma's current documentation asks for all 34 ("All columns must be present"), so 34 is
 * the default and 31 stays selectable. Term2–4, participants, weekly hours, Searchable ID 2,
 * Instructor 2–10 and the last three columns are always empty, as in the original.
 */

export type LoaderOperation = '' | 'DELETE' | 'ROLLOVER';

/** The copy-course columns of the CEM row, kept for the rollover report. */
export interface CopyCourse {
  /** COPY_COURSE_SLN with commas removed (may be "", "-" or "0": no copy course). */
  sln: string;
  year: string;
  term: string;
  courseId: string;
}

export interface CourseRow {
  /** 1-based line of the CEM record this row came from (the first, when rows were merged). */
  line: number;
  courseCode: string;
  title: string;
  sectionId: string;
  academicDepartment: string;
  processingDepartment: string;
  term1: string;
  startDate: string;
  endDate: string;
  year: string;
  searchableId1: string;
  allSearchableIds: string;
  instructor1: string;
  allInstructors: string;
  operation: LoaderOperation;
  oldCourseCode: string;
  oldSectionId: string;
  copy: CopyCourse;
  /** CEM lines merged into this row (duplicates of its course code), in file order. */
  mergedLines: number[];
}

export const LOADER_HEADER_31 = [
  'Course Code',
  'Course Title',
  'Section ID',
  'Academic Department',
  'Processing Department',
  'Term1',
  'Term2',
  'Term3',
  'Term4',
  'Start Date',
  'End Date',
  'Number of Participants',
  'Weekly Hours',
  'Year',
  'Searchable ID 1',
  'Searchable ID 2',
  'ALL_SEARCHABLE_IDS',
  'Instructor 1',
  'Instructor 2',
  'Instructor 3',
  'Instructor 4',
  'Instructor 5',
  'Instructor 6',
  'Instructor 7',
  'Instructor 8',
  'Instructor 9',
  'Instructor 10',
  'ALL_INSTRUCTORS',
  'Operation',
  'Old Course Code',
  'Old Course Section ID',
] as const;

export const LOADER_HEADER_34 = [...LOADER_HEADER_31, 'Submit Lists By', 'Campus and Participants', 'Reading List Name'] as const;

export function loaderHeader(columns: 31 | 34): readonly string[] {
  return columns === 34 ? LOADER_HEADER_34 : LOADER_HEADER_31;
}

export function loaderFields(row: CourseRow, columns: 31 | 34): string[] {
  const fields = [
    row.courseCode,
    row.title,
    row.sectionId,
    row.academicDepartment,
    row.processingDepartment,
    row.term1,
    '',
    '',
    '',
    row.startDate,
    row.endDate,
    '',
    '',
    row.year,
    row.searchableId1,
    '',
    row.allSearchableIds,
    row.instructor1,
    '',
    '',
    '',
    '',
    '',
    '',
    '',
    '',
    '',
    row.allInstructors,
    row.operation,
    row.oldCourseCode,
    row.oldSectionId,
  ];
  if (columns === 34) fields.push('', '', '');
  return fields;
}
