import { siblingModule } from '../../util/module-url.js';
import { SQL_CONNECTION_TYPES, FILE_CONNECTION_TYPES } from '../../config/config-types.js';
import type { JobTypeDescriptor } from '../job-types.js';

export const DEFAULT_STUDENT_COLUMNS = [
  'Student Id', 'Last Name', 'Middle Name', 'First Name', 'Date of Birth', 'Gender', 'District Enrollment', 'Grade',
  'Address', 'City', 'State', 'Zip', 'Race', 'District of Residence', 'County of Residence', 'District of Service',
  'Student Reporting Id', 'Building', 'Building Reporting Id', 'SIS Internal ID',
];
export const DEFAULT_GUARDIAN_COLUMNS = [
  'Student Id', 'Last Name', 'First Name', 'Relationship', 'Address', 'City', 'State', 'Zip', 'Home Phone', 'Work Phone', 'Cell Phone', 'Email', 'Language',
];

export const samegoalParamsSchema = {
  source: { doc: 'PowerSchool connection.', format: 'nonempty-string', default: 'powerschool' },
  destination: { doc: 'SameGoal SFTP connection (public-key auth).', format: 'nonempty-string', default: 'samegoal-sftp' },
  uploadDir: { doc: 'The watched upload directory.', format: 'nonempty-string', default: '/upload' },
  mode: { doc: 'epoch: new /upload/YYYYMMDD-HHMMSS/ with both files then COMPLETE; auto: students_auto.csv and guardians_auto.csv straight into uploadDir.', format: ['epoch', 'auto'], default: 'epoch' },
  marker: { doc: 'Completion marker written last in epoch mode.', format: 'nonempty-string', default: 'COMPLETE' },
  studentColumns: { doc: "students.csv columns, in order (match SameGoal's download spec).", format: 'string-list', default: DEFAULT_STUDENT_COLUMNS },
  guardianColumns: { doc: 'guardians.csv columns, in order.', format: 'string-list', default: DEFAULT_GUARDIAN_COLUMNS },
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
  studentColumns: string[]; guardianColumns: string[]; enrollStatusMap: Record<string, string>;
  enrollStatusDefault: string; maxDropShare: number;
};

export const samegoalDemographics: JobTypeDescriptor<SamegoalParams> = {
  type: 'samegoal-demographics',
  summary: 'PowerSchool students + guardians → students.csv, guardians.csv, COMPLETE in a new SameGoal epoch',
  params: samegoalParamsSchema as never,
  connections: (p) => [
    { param: 'source', name: p.source, types: SQL_CONNECTION_TYPES },
    { param: 'destination', name: p.destination, types: FILE_CONNECTION_TYPES },
  ],
  module: siblingModule(import.meta.url, './job'),
};
