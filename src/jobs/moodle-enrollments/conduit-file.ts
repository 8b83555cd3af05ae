import { openDelimitedWriter, type WrittenFile } from '../../adapters/csv/delimited-writer.js';
import type { EnrollmentChange } from './enrollment-diff.js';

/**
 * Open LMS Conduit's enrollments file (jobs-reference §3.5, MUST KEEP): header
 * `action,shortname,idnumber,role`, comma-separated, LF, UTF-8 without BOM, minimal RFC 4180
 * quoting (pandas' default — a shortname may hold a comma or a quote), action `add`/`drop`,
 * role = Moodle role shortname. The writer creates the file 0600 under a temporary name and
 * renames it into place on close, so a half-written file never carries the final name.
 */

export const CONDUIT_FILE_NAME = 'enrollments.csv';
export const CONDUIT_HEADER = ['action', 'shortname', 'idnumber', 'role'] as const;

/** Write `changes` (already in file order) to `path`. */
export async function writeConduitFile(path: string, changes: readonly EnrollmentChange[]): Promise<WrittenFile> {
  const writer = await openDelimitedWriter(path, { delimiter: ',', eol: '\n', encoding: 'utf-8', quoting: 'rfc4180', header: CONDUIT_HEADER });
  try {
    for (const c of changes) await writer.writeRow([c.action, c.shortname, c.idnumber, c.role]);
  } catch (err) {
    await writer.abort();
    throw err;
  }
  return writer.close();
}
