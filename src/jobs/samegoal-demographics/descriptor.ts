import { siblingModule } from '../../util/module-url.js';
import { SQL_CONNECTION_TYPES, FILE_CONNECTION_TYPES } from '../../config/config-types.js';
import type { ConfigProblem } from '../../config/config-types.js';
import type { JobTypeDescriptor } from '../job-types.js';
import { isPlainFileName } from '../shared/local-output.js';
import { GUARDIAN_SOURCE_COLUMNS, STUDENT_SOURCE_COLUMNS, unknownColumns } from './columns.js';

/** Documented students.csv columns (jobs-reference §4.3). */
export const DEFAULT_STUDENT_COLUMNS: string[] = [...STUDENT_SOURCE_COLUMNS];
/** Assumed guardians.csv columns (jobs-reference §4.4). */
export const DEFAULT_GUARDIAN_COLUMNS: string[] = [...GUARDIAN_SOURCE_COLUMNS];

export const samegoalParamsSchema = {
  source: { doc: 'PowerSchool connection.', format: 'nonempty-string', default: 'powerschool' },
  destination: { doc: 'SameGoal SFTP connection (public-key auth).', format: 'nonempty-string', default: 'samegoal-sftp' },
  uploadDir: { doc: 'The watched upload directory.', format: 'nonempty-string', default: '/upload' },
  mode: { doc: 'epoch: new /upload/YYYYMMDD-HHMMSS/ with both files then COMPLETE; auto: students_auto.csv and guardians_auto.csv straight into uploadDir.', format: ['epoch', 'auto'], default: 'epoch' },
  marker: { doc: 'Completion marker written last in epoch mode.', format: 'nonempty-string', default: 'COMPLETE' },
  studentColumns: {
    doc: "students.csv columns, in order (match SameGoal's download spec). Known names: " + STUDENT_SOURCE_COLUMNS.join(', ') +
      '. District/County of Residence and District of Service have no PowerSchool source and stay empty unless set in studentFixedValues.',
    format: 'string-list',
    default: DEFAULT_STUDENT_COLUMNS,
  },
  guardianColumns: {
    doc: 'guardians.csv columns, in order (the list is assumed: SameGoal does not publish it). Known names: ' + GUARDIAN_SOURCE_COLUMNS.join(', ') + '.',
    format: 'string-list',
    default: DEFAULT_GUARDIAN_COLUMNS,
  },
  studentFixedValues: { doc: 'students.csv column → fixed text for every student (also allows columns with no PowerSchool source).', format: 'string-map', default: {} as Record<string, string> },
  guardianFixedValues: { doc: 'guardians.csv column → fixed text for every guardian.', format: 'string-map', default: {} as Record<string, string> },
  enrollStatuses: { doc: 'PowerSchool enroll_status values exported (0 = active; add "-1" for pre-enrolled). Guardians follow the same students.', format: 'string-list', default: ['0'] },
  enrollStatusMap: {
    doc: 'PowerSchool enroll_status → District Enrollment value.',
    format: 'string-map',
    default: { '-1': 'PRE_ENROLLED', '0': 'ENROLLED', '2': 'TRANSFERRED', '3': 'GRADUATED', '4': 'HISTORICAL_IDLE' } as Record<string, string>,
  },
  enrollStatusDefault: { doc: 'District Enrollment for any other enroll_status.', format: 'nonempty-string', default: 'INACTIVE' },
  maxDropShare: { doc: 'Hold the delivery when students or guardian rows fell by more than this share against the last successful run.', format: 'share', default: 0.5 },
};

export type SamegoalParams = {
  source: string; destination: string; uploadDir: string; mode: 'epoch' | 'auto'; marker: string;
  studentColumns: string[]; guardianColumns: string[]; studentFixedValues: Record<string, string>;
  guardianFixedValues: Record<string, string>; enrollStatuses: string[]; enrollStatusMap: Record<string, string>;
  enrollStatusDefault: string; maxDropShare: number;
};

/** Column names without a source, duplicate names, non-integer statuses, marker clashes. */
export function validateSamegoalParams(p: SamegoalParams): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const files = [
    ['studentColumns', p.studentColumns, STUDENT_SOURCE_COLUMNS, p.studentFixedValues, 'studentFixedValues'],
    ['guardianColumns', p.guardianColumns, GUARDIAN_SOURCE_COLUMNS, p.guardianFixedValues, 'guardianFixedValues'],
  ] as const;
  for (const [key, columns, sources, fixed, fixedKey] of files) {
    if (columns.length === 0) problems.push({ path: key, message: 'expected at least one column, found an empty list' });
    for (const c of unknownColumns(columns, sources, fixed)) {
      problems.push({ path: key, message: `column ${JSON.stringify(c)} has no PowerSchool source; expected one of ${sources.join(', ')}, or a fixed text for it in ${fixedKey}` });
    }
    const seen = new Set<string>();
    for (const c of columns) {
      if (seen.has(c)) problems.push({ path: key, message: `column ${JSON.stringify(c)} appears twice` });
      seen.add(c);
    }
  }
  if (p.enrollStatuses.length === 0) problems.push({ path: 'enrollStatuses', message: 'expected at least one enroll_status, found an empty list' });
  for (const s of p.enrollStatuses) {
    if (!/^-?\d+$/.test(s)) problems.push({ path: 'enrollStatuses', message: `expected integer enroll_status values such as "0" or "-1", found ${JSON.stringify(s)}` });
  }
  if (!isPlainFileName(p.marker)) {
    problems.push({ path: 'marker', message: `expected a plain file name, found ${JSON.stringify(p.marker)}` });
  }
  return problems;
}

export const samegoalDemographics: JobTypeDescriptor<SamegoalParams> = {
  type: 'samegoal-demographics',
  summary: 'PowerSchool students + guardians → students.csv, guardians.csv, COMPLETE in a new SameGoal epoch',
  params: samegoalParamsSchema as never,
  connections: (p) => [
    { param: 'source', name: p.source, types: SQL_CONNECTION_TYPES },
    { param: 'destination', name: p.destination, types: FILE_CONNECTION_TYPES },
  ],
  validate: (p) => validateSamegoalParams(p),
  module: siblingModule(import.meta.url, './job'),
};
