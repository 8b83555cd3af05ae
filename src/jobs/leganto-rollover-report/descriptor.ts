import { siblingModule } from '../../util/module-url.js';
import { FILE_CONNECTION_TYPES } from '../../config/config-types.js';
import type { ConnectionUse, JobTypeDescriptor } from '../job-types.js';

export const legantoRolloverParamsSchema = {
  source: { doc: 'SFTP (or local) connection holding the CEM export.', format: 'nonempty-string', default: 'cem-sftp' },
  sourceDir: { doc: 'Directory of the CEM export.', format: 'nonempty-string', default: '/leganto' },
  filePattern: { doc: "Name prefix of today's export; {YYYYMMDD} is today's date in the job zone.", format: 'nonempty-string', default: 'leganto_export_{YYYYMMDD}' },
  encoding: { doc: 'CEM encoding when the file has no UTF-8 BOM.', format: ['latin1', 'utf-8'], default: 'latin1' },
  alma: { doc: 'Alma API connection.', format: 'nonempty-string', default: 'alma' },
  email: { doc: 'smtp connection the report is sent through.', format: 'nonempty-string', default: 'smtp' },
  emailTo: { doc: 'Report recipients.', format: 'email-list', default: [] as string[] },
  subject: { doc: 'E-mail subject.', format: 'nonempty-string', default: 'Daily Potential Rollover Report' },
  slack: { doc: 'Slack connection for the summary (null = none).', format: 'string-or-null', default: null as string | null },
};

export type LegantoRolloverParams = {
  source: string; sourceDir: string; filePattern: string; encoding: 'latin1' | 'utf-8';
  alma: string; email: string; emailTo: string[]; subject: string; slack: string | null;
};

export const legantoRolloverReport: JobTypeDescriptor<LegantoRolloverParams> = {
  type: 'leganto-rollover-report',
  summary: 'CEM export + Alma course cache → potential rollover report by e-mail and Slack',
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
  validate: (p) => (p.emailTo.length === 0 ? [{ path: 'emailTo', message: 'expected at least one recipient, found an empty list' }] : []),
  module: siblingModule(import.meta.url, './job'),
};
