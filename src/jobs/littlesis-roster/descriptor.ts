import { siblingModule } from '../../util/module-url.js';
import { SQL_CONNECTION_TYPES, FILE_CONNECTION_TYPES } from '../../config/config-types.js';
import type { ConfigProblem } from '../../config/config-types.js';
import type { JobTypeDescriptor } from '../job-types.js';
import { isPlainFileName } from '../shared/local-output.js';

export const littlesisParamsSchema = {
  source: { doc: 'PowerSchool connection (oracle in production).', format: 'nonempty-string', default: 'powerschool' },
  destination: { doc: 'LittleSIS SFTP connection (port 2225).', format: 'nonempty-string', default: 'littlesis-sftp' },
  remotePath: { doc: 'Remote file, relative to the login directory; replaced atomically (temporary name, then rename). Its base name is also the local copy\'s name.', format: 'nonempty-string', default: 'littlesis_roster.csv' },
  termYearSchool: { doc: 'School number whose full-year terms define the current term year (TERMYEAR_SCHOOL_NUMBER).', format: 'natural', default: 5 },
  preStartDays: { doc: 'A full-year term counts as current this many days before its first day.', format: 'natural', default: 30 },
  emailSuffix: { doc: 'Student e-mail = student number + this suffix.', format: 'nonempty-string', default: '@d118.org' },
  encoding: {
    doc: 'Output encoding: utf-8 (default) or windows-1252 (what the original wrote). A value windows-1252 cannot hold fails the run with DATA_ENCODING naming student number, column and character (all of them in the run log); nothing is delivered and no character is ever dropped or replaced.',
    format: ['utf-8', 'windows-1252'],
    default: 'utf-8',
  },
  maxDropShare: { doc: 'Hold the delivery (GUARD_EXTRACT_DROP / GUARD_EMPTY_SOURCE) when active students or roster rows fell by more than this share against the last successful run; --force delivers anyway.', format: 'share', default: 0.5 },
};

export type LittlesisParams = {
  source: string; destination: string; remotePath: string; termYearSchool: number; preStartDays: number;
  emailSuffix: string; encoding: 'utf-8' | 'windows-1252'; maxDropShare: number;
};

/** remotePath must name a file (its base name is also the local copy's name). */
export function validateLittlesisParams(p: LittlesisParams): ConfigProblem[] {
  const base = p.remotePath.split('/').pop() ?? '';
  if (!isPlainFileName(base) || p.remotePath.includes('\\')) {
    return [{ path: 'remotePath', message: `expected a path ending in a file name such as littlesis_roster.csv, found ${JSON.stringify(p.remotePath)}` }];
  }
  return [];
}

export const littlesisRoster: JobTypeDescriptor<LittlesisParams> = {
  type: 'littlesis-roster',
  summary: 'PowerSchool class rosters → littlesis_roster.csv → LittleSIS SFTP',
  params: littlesisParamsSchema as never,
  connections: (p) => [
    { param: 'source', name: p.source, types: SQL_CONNECTION_TYPES },
    { param: 'destination', name: p.destination, types: FILE_CONNECTION_TYPES },
  ],
  validate: (p) => validateLittlesisParams(p),
  module: siblingModule(import.meta.url, './job'),
};
