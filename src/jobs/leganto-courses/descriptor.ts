import { siblingModule } from '../../util/module-url.js';
import { FILE_CONNECTION_TYPES } from '../../config/config-types.js';
import type { ConnectionUse, JobTypeDescriptor } from '../job-types.js';
import { legantoRuleParamsSchema, validateLegantoRuleParams, type LegantoRuleParams } from '../leganto-shared/rule-params.js';

export const legantoCoursesParamsSchema = {
  source: { doc: 'sftp (or local) connection holding the CEM export.', format: 'nonempty-string', default: 'cem-sftp' },
  sourceDir: { doc: 'Directory of the CEM export on the source.', format: 'nonempty-string', default: '/leganto' },
  filePattern: {
    doc: "Name of today's CEM export: {YYYYMMDD} is today's date in the job's zone, * any characters, ? one character. Several matches: the newest is taken. None: the run fails with INPUT_NOT_FOUND.",
    format: 'nonempty-string',
    default: 'leganto_export_{YYYYMMDD}*',
  },
  destination: { doc: 'sftp (or local) connection of the Alma course-loader drop.', format: 'nonempty-string', default: 'alma-sftp' },
  destinationDir: {
    doc: 'Directory the Alma course-loader integration profile polls. The file is named YYYYMMDDHHMMSS.txt (run start in the job zone) and never overwrites an existing file.',
    format: 'nonempty-string',
    default: '/share/LSP-SFTP/prod/course_loader',
  },
  alma: { doc: 'alma connection used to check DELETE rows (exact course-code search, then reading lists).', format: 'nonempty-string', default: 'alma' },
  slack: { doc: 'slack connection for the "Pull" and "Push" notices (null = none).', format: 'string-or-null', default: null as string | null },
  ...legantoRuleParamsSchema,
};

export type LegantoCoursesParams = LegantoRuleParams & {
  source: string;
  sourceDir: string;
  filePattern: string;
  destination: string;
  destinationDir: string;
  alma: string;
  slack: string | null;
};

export const legantoCourses: JobTypeDescriptor<LegantoCoursesParams> = {
  type: 'leganto-courses',
  summary: 'CEM export → Alma course-loader file → Alma SFTP',
  params: legantoCoursesParamsSchema as never,
  connections: (p) => {
    const uses: ConnectionUse[] = [
      { param: 'source', name: p.source, types: FILE_CONNECTION_TYPES },
      { param: 'destination', name: p.destination, types: FILE_CONNECTION_TYPES },
      { param: 'alma', name: p.alma, types: ['alma'] },
    ];
    if (p.slack !== null) uses.push({ param: 'slack', name: p.slack, types: ['slack'] });
    return uses;
  },
  validate: (p) => validateLegantoRuleParams(p),
  module: siblingModule(import.meta.url, './job'),
};
