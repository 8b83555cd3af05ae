import { openDelimitedWriter } from '../../adapters/csv/delimited-writer.js';
import { isSisrelayError } from '../../errors/sisrelay-error.js';
import type { FileRecord } from '../../runner/run-record.js';
import type { RunReport } from '../job-types.js';
import { outputPath, recordFile } from '../shared/local-output.js';
import { loaderFields, loaderHeader, type CourseRow } from './loader-row.js';

/**
 * Write rows in the Alma course-loader layout: header row, TAB-separated, no quoting, CRLF,
 * UTF-8 without BOM (Ex Libris: "UTF-8 or ASCII with CRLF"). The file appears under its final
 * name only when complete (0600). A row holding a TAB or line break is refused by the writer and
 * handed to `onRefused` instead of corrupting the file; every other failure aborts the file.
 */
export async function writeLoaderFile(
  filesDir: string,
  name: string,
  rows: Iterable<CourseRow>,
  columns: 31 | 34,
  report: RunReport,
  onRefused: (row: CourseRow, reason: string) => void,
): Promise<FileRecord> {
  const writer = await openDelimitedWriter(outputPath(filesDir, name), {
    delimiter: '\t',
    eol: '\r\n',
    encoding: 'utf-8',
    quoting: 'never',
    header: loaderHeader(columns),
  });
  try {
    for (const row of rows) {
      try {
        await writer.writeRow(loaderFields(row, columns));
      } catch (err) {
        if (!isSisrelayError(err) || (err.code !== 'DATA_INVALID' && err.code !== 'DATA_ENCODING')) throw err;
        onRefused(row, err.message);
      }
    }
    return recordFile(report, await writer.close());
  } catch (err) {
    await writer.abort();
    throw err;
  }
}
