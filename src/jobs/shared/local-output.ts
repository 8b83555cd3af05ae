import { basename, join } from 'node:path';
import { SisrelayError } from '../../errors/sisrelay-error.js';
import type { WrittenFile } from '../../adapters/csv/delimited-writer.js';
import type { RunReport } from '../job-types.js';
import type { FileRecord } from '../../runner/run-record.js';

/**
 * Glue between the delimited writer and the run record: where a job's local copy goes and how
 * the finished file is reported.
 */

/**
 * A name that stays inside its directory: not empty, `.` or `..`, and without `/`, `\` or NUL.
 * Descriptors check configured names with it, so config load refuses what outputPath would.
 */
export function isPlainFileName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !/[/\\\0]/.test(name);
}

/**
 * Path of a generated file inside the run's files/ directory. The name comes from config or a
 * time stamp; a separator or `..` in it would write outside the run directory, so it is refused.
 */
export function outputPath(filesDir: string, name: string): string {
  if (!isPlainFileName(name)) {
    throw new SisrelayError('CONFIG_INVALID', `output file name ${JSON.stringify(name)} must be a plain file name (no directory parts)`);
  }
  return join(filesDir, name);
}

/** Report a closed writer's file to the run record and return the record entry. */
export function recordFile(report: RunReport, written: WrittenFile): FileRecord {
  const file: FileRecord = {
    name: basename(written.path),
    path: written.path,
    bytes: written.bytes,
    sha256: written.sha256,
    rows: written.rows,
  };
  report.file(file);
  return file;
}
