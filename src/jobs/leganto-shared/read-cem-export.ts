import { readDelimited, type DelimitedReader, type InputEncoding } from '../../adapters/csv/delimited-reader.js';
import { CEM_COLUMNS } from './cem-row.js';

/**
 * The CEM export as a stream of records: comma CSV with a header, every column text, decoded as
 * `encoding` unless the file starts with a UTF-8 BOM. Malformed lines end up in the reader's
 * `problems` (line + reason) and reading goes on; a missing CEM column refuses the whole file.
 */
export function readCemExport(path: string, encoding: InputEncoding): DelimitedReader {
  return readDelimited(path, {
    encoding: 'auto-bom',
    fallbackEncoding: encoding,
    requiredColumns: CEM_COLUMNS,
    maxProblems: 100_000,
  });
}
