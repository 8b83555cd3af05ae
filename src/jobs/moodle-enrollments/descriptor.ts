import { siblingModule } from '../../util/module-url.js';
import { SQL_CONNECTION_TYPES, FILE_CONNECTION_TYPES } from '../../config/config-types.js';
import type { ConfigProblem } from '../../config/config-types.js';
import type { ConnectionUse, JobTypeDescriptor } from '../job-types.js';
import { mappingsDir, readMappingFiles } from './mapping-file.js';

export const moodleParamsSchema = {
  source: { doc: 'PowerCampus connection (mssql in production).', format: 'nonempty-string', default: 'powercampus' },
  moodle: { doc: 'Moodle web-services connection.', format: 'nonempty-string', default: 'moodle' },
  mode: { doc: 'conduit: write enrollments.csv for Open LMS Conduit; webservice: enrol/unenrol directly through Moodle web services.', format: ['conduit', 'webservice'], default: 'conduit' },
  destination: { doc: 'Conduit SFTP connection (conduit mode).', format: 'string-or-null', default: 'conduit-sftp' as string | null },
  remotePath: { doc: 'Conduit file path relative to the login directory; never overwritten while Conduit has not consumed it.', format: 'nonempty-string', default: 'webcampus.uws.edu/conduit/enrollments.csv' },
  mappings: {
    doc: 'Course mapping file names in <dataDir>/mappings, JSON: {"<Moodle shortname>": {"courses": ["<EVENT_ID>", ...], "section"?: "01", "id": <Moodle course id>}}. No section = all sections; several courses = cross-listed (rosters unioned). Checked at config load.',
    format: 'string-list',
    default: [] as string[],
  },
  hubMappings: {
    doc: 'Non-academic hub mapping file names in <dataDir>/mappings, JSON: {"<Moodle shortname>": {"program": "<CURRICULUM>", "id": <Moodle course id>}}. Every student of the program in the term is added as student; nobody is dropped.',
    format: 'string-list',
    default: [] as string[],
  },
  academicYear: { doc: 'PowerCampus ACADEMIC_YEAR of the term to sync, e.g. "2027".', format: 'nonempty-string', default: null as unknown as string },
  academicTerm: { doc: 'PowerCampus ACADEMIC_TERM, e.g. "Winter".', format: 'nonempty-string', default: null as unknown as string },
  roles: {
    student: { doc: 'Moodle role id of "student".', format: 'positive-int', default: 5 },
    auditingstudent: { doc: 'Moodle role id of "auditingstudent".', format: 'positive-int', default: 14 },
  },
  dropGuard: {
    maxShare: { doc: 'Hold the cycle when drops exceed this share of current site enrollments.', format: 'share', default: 0.2 },
    maxCount: { doc: 'Hold the cycle when drops exceed this many enrollments site-wide.', format: 'natural', default: 500 },
    courseMaxShare: { doc: 'Hold the cycle when one course would lose more than this share of its enrollments.', format: 'share', default: 0.5 },
    courseMinSize: { doc: 'Courses with fewer current enrollments than this are exempt from courseMaxShare.', format: 'natural', default: 10 },
  },
  batchSize: { doc: 'Enrolments per enrol/unenrol call in webservice mode.', format: 'positive-int', default: 100 },
};

export type MoodleParams = {
  source: string; moodle: string; mode: 'conduit' | 'webservice'; destination: string | null; remotePath: string;
  mappings: string[]; hubMappings: string[]; academicYear: string; academicTerm: string;
  roles: { student: number; auditingstudent: number };
  dropGuard: { maxShare: number; maxCount: number; courseMaxShare: number; courseMinSize: number };
  batchSize: number;
};

export const moodleEnrollments: JobTypeDescriptor<MoodleParams> = {
  type: 'moodle-enrollments',
  summary: 'PowerCampus rosters vs Moodle → enrollments.csv for Conduit, or direct enrol/unenrol',
  params: moodleParamsSchema as never,
  connections: (p) => {
    const uses: ConnectionUse[] = [
      { param: 'source', name: p.source, types: SQL_CONNECTION_TYPES },
      { param: 'moodle', name: p.moodle, types: ['moodle'] },
    ];
    if (p.mode === 'conduit' && p.destination !== null) uses.push({ param: 'destination', name: p.destination, types: FILE_CONNECTION_TYPES });
    return uses;
  },
  validate: (p, env) => {
    const problems: ConfigProblem[] = [];
    if (p.mode === 'conduit' && p.destination === null) problems.push({ path: 'destination', message: 'expected a file connection for conduit mode, found null' });
    if (p.roles.student === p.roles.auditingstudent) {
      problems.push({ path: 'roles.auditingstudent', message: `expected a role id different from roles.student, found ${p.roles.auditingstudent} for both` });
    }
    // Mapping problems carry their own path (`mappings/<file>: "<shortname>".<field>`).
    problems.push(...readMappingFiles(p, mappingsDir(env.dataDir, env.baseDir)).problems);
    return problems;
  },
  module: siblingModule(import.meta.url, './job'),
};
