import { siblingModule } from '../../util/module-url.js';
import { FILE_CONNECTION_TYPES } from '../../config/config-types.js';
import type { ConfigProblem } from '../../config/config-types.js';
import type { ConnectionUse, JobTypeDescriptor } from '../job-types.js';
import { legantoRuleParamsSchema, validateLegantoRuleParams, type LegantoRuleParams } from '../leganto-shared/rule-params.js';
import { isPlainFileName } from '../shared/local-output.js';

export const legantoRolloverParamsSchema = {
  source: { doc: 'sftp (or local) connection holding the CEM export.', format: 'nonempty-string', default: 'cem-sftp' },
  sourceDir: { doc: 'Directory of the CEM export on the source.', format: 'nonempty-string', default: '/leganto' },
  filePattern: {
    doc: "Name of today's CEM export (the same file leganto-courses loads): {YYYYMMDD} is today's date in the job's zone, * any characters, ? one character.",
    format: 'nonempty-string',
    default: 'leganto_export_{YYYYMMDD}*',
  },
  alma: { doc: 'alma connection: course lists, copy-course searches and reading-list checks.', format: 'nonempty-string', default: 'alma' },
  email: { doc: 'smtp connection the report is sent through.', format: 'nonempty-string', default: 'smtp' },
  emailTo: { doc: 'Report recipients (the original sent to HaydenReserve@asu.edu).', format: 'email-list', default: [] as string[] },
  subject: { doc: 'E-mail subject.', format: 'nonempty-string', default: 'Daily Potential Rollover Report' },
  slack: { doc: 'slack connection for the "Rollover Daily Report" summary (null = none).', format: 'string-or-null', default: null as string | null },
  fileName: {
    doc: 'Report file name; {YYYYMMDDHHMMSS} is the run start in the job zone. Same tab-separated layout as the loader file despite the .csv the original used.',
    format: 'nonempty-string',
    default: 'rollover_{YYYYMMDDHHMMSS}.csv',
  },
  skipCodePrefixes: {
    doc: 'Course-code prefixes whose rows the report ignores (the original hard-coded 2021Spring and 2021Summer).',
    format: 'string-list',
    default: [] as string[],
  },
  onlineCampuses: {
    doc: 'Campuses the report places through tempeCollegeDepartments and then onlineDepartmentOverrides, as the original report did for online courses (the loader puts them in ASU_ONLINE). [] places them as the loader does.',
    format: 'string-list',
    default: ['ASUONLI', 'ICOURSE'],
  },
  onlineDepartmentOverrides: {
    doc: 'For onlineCampuses: department from the college table → department in the report (Hayden courses taught online go to FLETCHER). "" removes an entry.',
    format: 'string-map',
    default: { HAYDEN: 'FLETCHER' } as Record<string, string>,
  },
  courseCache: {
    doc: 'How copy courses are looked up per copy year: "auto" fetches the year\'s whole course list (100 per page) when that takes fewer Alma calls than searching each candidate, "always" always fetches it, "never" always searches.',
    format: ['auto', 'always', 'never'],
    default: 'auto',
  },
  ...legantoRuleParamsSchema,
};

export type LegantoRolloverParams = LegantoRuleParams & {
  source: string;
  sourceDir: string;
  filePattern: string;
  alma: string;
  email: string;
  emailTo: string[];
  subject: string;
  slack: string | null;
  fileName: string;
  skipCodePrefixes: string[];
  onlineCampuses: string[];
  onlineDepartmentOverrides: Record<string, string>;
  courseCache: 'auto' | 'always' | 'never';
};

export const legantoRolloverReport: JobTypeDescriptor<LegantoRolloverParams> = {
  type: 'leganto-rollover-report',
  summary: 'CEM export + Alma course lists → potential rollover report by e-mail and Slack',
  params: legantoRolloverParamsSchema as never,
  connections: (p) => {
    const uses: ConnectionUse[] = [
      { param: 'source', name: p.source, types: FILE_CONNECTION_TYPES },
      { param: 'alma', name: p.alma, types: ['alma'] },
      { param: 'email', name: p.email, types: ['smtp'] },
    ];
    if (p.slack !== null) uses.push({ param: 'slack', name: p.slack, types: ['slack'] });
    return uses;
  },
  validate: (p) => {
    const problems: ConfigProblem[] = validateLegantoRuleParams(p);
    if (p.emailTo.length === 0) problems.push({ path: 'emailTo', message: 'expected at least one recipient, found an empty list' });
    if (!p.fileName.includes('{YYYYMMDDHHMMSS}')) {
      problems.push({ path: 'fileName', message: `expected a name holding {YYYYMMDDHHMMSS} so each day's report has its own name, found ${JSON.stringify(p.fileName)}` });
    }
    if (!isPlainFileName(p.fileName)) problems.push({ path: 'fileName', message: `expected a plain file name without directory parts, found ${JSON.stringify(p.fileName)}` });
    return problems;
  },
  module: siblingModule(import.meta.url, './job'),
};
