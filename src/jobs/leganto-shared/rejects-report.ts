import { openDelimitedWriter } from '../../adapters/csv/delimited-writer.js';
import type { FileRecord } from '../../runner/run-record.js';
import { outputPath, recordFile } from '../shared/local-output.js';
import type { RunReport } from '../job-types.js';
import type { Reject } from './course-transform.js';

/**
 * The run's rejects report: every CEM line that was not loaded because it was malformed or broke
 * a rule, with its line number and reason, as CSV (UTF-8, CRLF) in the run's files directory.
 * Written only when there is something to report. Mode 0600: course codes and instructor-bearing
 * lines are student-adjacent data.
 */
export async function writeRejectsReport(filesDir: string, name: string, rejects: readonly Reject[], report: RunReport): Promise<FileRecord | null> {
  if (rejects.length === 0) return null;
  const writer = await openDelimitedWriter(outputPath(filesDir, name), {
    delimiter: ',',
    eol: '\r\n',
    encoding: 'utf-8',
    quoting: 'rfc4180',
    header: ['line', 'course_code', 'reason'],
  });
  try {
    for (const r of [...rejects].sort((a, b) => a.line - b.line)) await writer.writeRow([String(r.line), r.courseCode, r.reason]);
    return recordFile(report, await writer.close());
  } catch (err) {
    await writer.abort();
    throw err;
  }
}
