import { siblingModule } from '../../util/module-url.js';
import { FILE_CONNECTION_TYPES } from '../../config/config-types.js';
import type { ConnectionUse, JobTypeDescriptor } from '../job-types.js';

export const legantoCoursesParamsSchema = {
  source: { doc: 'SFTP (or local) connection holding the CEM export.', format: 'nonempty-string', default: 'cem-sftp' },
  sourceDir: { doc: 'Directory of the CEM export.', format: 'nonempty-string', default: '/leganto' },
  filePattern: { doc: "Name prefix of today's export; {YYYYMMDD} is today's date in the job zone.", format: 'nonempty-string', default: 'leganto_export_{YYYYMMDD}' },
  encoding: { doc: 'CEM encoding when the file has no UTF-8 BOM.', format: ['latin1', 'utf-8'], default: 'latin1' },
  destination: { doc: 'Alma course-loader SFTP connection.', format: 'nonempty-string', default: 'alma-sftp' },
  destinationDir: { doc: 'The directory the Alma integration profile polls.', format: 'nonempty-string', default: '/share/LSP-SFTP/prod/course_loader' },
  alma: { doc: 'Alma API connection (DELETE checks).', format: 'nonempty-string', default: 'alma' },
  slack: { doc: 'Slack connection for pull/push notices (null = none).', format: 'string-or-null', default: null as string | null },
};

export type LegantoCoursesParams = {
  source: string; sourceDir: string; filePattern: string; encoding: 'latin1' | 'utf-8';
  destination: string; destinationDir: string; alma: string; slack: string | null;
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
  module: siblingModule(import.meta.url, './job'),
};
