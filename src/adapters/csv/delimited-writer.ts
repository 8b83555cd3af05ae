import { fsyncDir } from '../../util/fsync-dir.js';
import { createHash, type Hash } from 'node:crypto';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { SisrelayError } from '../../errors/sisrelay-error.js';
import { tempFileName } from '../files/temp-name.js';
import { encoderFor, type OutputEncoding, type TextEncoderFn } from './output-encoding.js';

/**
 * Streaming writer for the vendor files (LittleSIS/SameGoal/Conduit CSV, Clever and Alma TSV).
 *
 * Byte contract:
 * - `quoting: 'rfc4180'` quotes a field only when it holds the delimiter, `"`, CR or LF, and
 *   doubles embedded quotes (RFC 4180 §2 minimal quoting). A row that is one empty field is
 *   written as `""` so it does not read back as a blank line (as Python's csv module does).
 * - `quoting: 'never'` (Clever, Alma) cannot carry the delimiter, CR or LF at all: such a field
 *   throws DATA_INVALID naming row, column and character, and the row is not written.
 * - NULL → empty field. No BOM. Header first when given. Every line ends with `eol`.
 * - windows-1252: a character the code page cannot hold is never replaced by `?` (iconv-lite's
 *   default) — see `onUnencodable`. UTF-8: a lone surrogate (which Node would turn into U+FFFD)
 *   is treated the same way.
 *
 * Safety: the file is created mode 0600 under a hidden temporary name in the same directory and
 * renamed over the final name only by `close()` after fsync, so a crash or an `abort()` never
 * leaves a complete-looking file under the final name. Rows are buffered up to 64 KiB and then
 * written with an awaited write, so memory stays constant and a slow disk slows the producer.
 *
 * Row numbers in errors and problems count `writeRow` calls from 1 (the header is not a row);
 * columns count from 1 and are named by the header when there is one.
 */

export type DelimitedQuoting = 'rfc4180' | 'never';

export interface DelimitedWriterOptions {
  delimiter: ',' | '\t';
  eol: '\r\n' | '\n';
  encoding: OutputEncoding;
  quoting: DelimitedQuoting;
  header?: readonly string[] | null;
  /**
   * What to do with a row holding a character the encoding cannot represent:
   * - 'error' (default): `writeRow` throws DATA_ENCODING and the row is not written;
   * - 'report': the row is not written, `writeRow` resolves `false` and the problem is appended
   *   to `writer.problems` for the job to report (the run decides whether that fails it).
   * Either way the character is never dropped or replaced.
   */
  onUnencodable?: 'error' | 'report';
  /** At most this many problems are kept in `problems` (all are counted). Default 1000. */
  maxProblems?: number;
}

/** A row the writer refused because of a character it could not encode. */
export interface WriteProblem {
  code: 'DATA_ENCODING';
  /** writeRow call number, 1-based. */
  row: number;
  /** 1-based column. */
  column: number;
  columnName: string | null;
  /** The offending character itself and its code point as `U+XXXX`. */
  character: string;
  codePoint: string;
  message: string;
}

export interface WrittenFile {
  /** Final path. */
  path: string;
  bytes: number;
  /** Data rows written (header not counted). */
  rows: number;
  /** Hex SHA-256 of the file's bytes. */
  sha256: string;
}

export interface DelimitedWriter {
  /**
   * Append one row; resolves once it is buffered (and flushed when the buffer is full).
   * Resolves `true` when written, `false` when refused under `onUnencodable: 'report'`.
   * Throws DATA_INVALID / DATA_ENCODING for a row it refuses (the writer stays usable) and
   * INTERNAL_ERROR for a field count that differs from the header or first row.
   */
  writeRow(fields: ReadonlyArray<string | null>): Promise<boolean>;
  /** Data rows written so far. */
  readonly rows: number;
  /** Rows refused under `onUnencodable: 'report'` (first `maxProblems` of them). */
  readonly problems: readonly WriteProblem[];
  /** How many rows were refused under 'report' (may exceed `problems.length`). */
  readonly rejectedRows: number;
  /**
   * Flush, fsync, rename into place. If any write failed, deletes the temporary file and throws
   * that failure instead. Do not call concurrently with `abort()`.
   */
  close(): Promise<WrittenFile>;
  /** Stop and delete the temporary file; nothing appears under the final name. */
  abort(): Promise<void>;
}

const FLUSH_CHARS = 64 * 1024;

export async function openDelimitedWriter(path: string, opts: DelimitedWriterOptions): Promise<DelimitedWriter> {
  if (opts.delimiter !== ',' && opts.delimiter !== '\t') {
    throw new SisrelayError('INTERNAL_ERROR', `delimited writer for ${basename(path)}: delimiter must be "," or TAB, got ${JSON.stringify(opts.delimiter)}`);
  }
  if (opts.eol !== '\r\n' && opts.eol !== '\n') {
    throw new SisrelayError('INTERNAL_ERROR', `delimited writer for ${basename(path)}: eol must be CRLF or LF, got ${JSON.stringify(opts.eol)}`);
  }
  const encode = encoderFor(opts.encoding);
  const tempPath = join(dirname(path), tempFileName(basename(path)));
  let fh: FileHandle;
  try {
    // 'wx': never write into a file someone else created; mode 0600 because these are student data.
    fh = await open(tempPath, 'wx', 0o600);
  } catch (err) {
    throw fileError(err, path, 'create');
  }
  try {
    // The umask may have removed bits from 0600 (e.g. 0377 → 0400); set the mode explicitly.
    await fh.chmod(0o600);
  } catch (err) {
    await fh.close().catch(() => undefined);
    await unlink(tempPath).catch(() => undefined);
    throw fileError(err, path, 'set the mode of');
  }
  const writer = new FileDelimitedWriter(path, tempPath, fh, opts, encode);
  if (opts.header) {
    try {
      writer.writeHeader(opts.header);
    } catch (err) {
      await writer.abort();
      throw err;
    }
  }
  return writer;
}

type State = 'open' | 'closing' | 'closed' | 'aborted';

class FileDelimitedWriter implements DelimitedWriter {
  private state: State = 'open';
  private calls = 0;
  private written = 0;
  private rejected = 0;
  private readonly collected: WriteProblem[] = [];
  private pending = '';
  private bytes = 0;
  private readonly hash: Hash = createHash('sha256');
  /** Writes are chained so rows stay in order even if a caller forgets to await. */
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown = null;
  private expectedColumns: number | null;
  private readonly columnNames: readonly string[] | null;
  private readonly needsQuote: RegExp;
  private readonly forbidden: RegExp;
  private readonly maxProblems: number;

  constructor(
    private readonly finalPath: string,
    private readonly tempPath: string,
    private readonly fh: FileHandle,
    private readonly opts: DelimitedWriterOptions,
    private readonly encode: TextEncoderFn,
  ) {
    this.columnNames = opts.header ?? null;
    this.expectedColumns = opts.header ? opts.header.length : null;
    this.needsQuote = opts.delimiter === ',' ? /[,"\r\n]/ : /[\t"\r\n]/;
    this.forbidden = opts.delimiter === ',' ? /[,\r\n]/ : /[\t\r\n]/;
    this.maxProblems = opts.maxProblems ?? 1000;
  }

  get rows(): number {
    return this.written;
  }

  get problems(): readonly WriteProblem[] {
    return this.collected;
  }

  get rejectedRows(): number {
    return this.rejected;
  }

  writeHeader(header: readonly string[]): void {
    // A header the encoding cannot carry is a configuration mistake: always an error.
    const line = this.formatRow(header, 0, 'error');
    if (line !== null) this.pending += line;
  }

  async writeRow(fields: ReadonlyArray<string | null>): Promise<boolean> {
    this.assertWritable('writeRow');
    const row = ++this.calls;
    if (this.expectedColumns === null) this.expectedColumns = fields.length;
    if (fields.length !== this.expectedColumns) {
      throw new SisrelayError(
        'INTERNAL_ERROR',
        `${basename(this.finalPath)}: row ${row} has ${fields.length} fields; expected ${this.expectedColumns} ` +
          `(${this.columnNames ? 'the header' : 'the first row'})`,
        { details: { row, expected: this.expectedColumns, found: fields.length } },
      );
    }
    const line = this.formatRow(fields, row, this.opts.onUnencodable ?? 'error');
    if (line === null) return false;
    this.pending += line;
    this.written++;
    if (this.pending.length >= FLUSH_CHARS) await this.flush();
    return true;
  }

  async close(): Promise<WrittenFile> {
    if (this.failure !== null && this.state === 'open') {
      // An earlier write failed: the file has a hole, so it must not become final.
      const failure = this.failure;
      await this.abort();
      throw failure;
    }
    this.assertWritable('close');
    this.state = 'closing';
    try {
      await this.flush();
      await this.fh.sync();
      await this.fh.close();
      await rename(this.tempPath, this.finalPath);
      await fsyncDir(dirname(this.finalPath));
    } catch (err) {
      this.state = 'aborted';
      await this.fh.close().catch(() => undefined);
      await unlink(this.tempPath).catch(() => undefined);
      throw err instanceof SisrelayError ? err : fileError(err, this.finalPath, 'finish');
    }
    this.state = 'closed';
    return { path: this.finalPath, bytes: this.bytes, rows: this.written, sha256: this.hash.digest('hex') };
  }

  async abort(): Promise<void> {
    // After a successful close the file is final and belongs to the caller; abort is a no-op.
    if (this.state === 'closed' || this.state === 'aborted') return;
    this.state = 'aborted';
    this.pending = '';
    await this.chain.catch(() => undefined);
    await this.fh.close().catch(() => undefined);
    await unlink(this.tempPath).catch(() => undefined);
  }

  private assertWritable(op: string): void {
    if (this.failure !== null) throw this.failure;
    if (this.state !== 'open') {
      throw new SisrelayError('INTERNAL_ERROR', `${basename(this.finalPath)}: ${op} called on a writer that is ${this.state}`);
    }
  }

  private flush(): Promise<void> {
    if (this.pending.length === 0) return this.chain;
    const chunk = this.encode(this.pending);
    this.pending = '';
    this.hash.update(chunk);
    this.bytes += chunk.length;
    this.chain = this.chain.then(() => writeAll(this.fh, chunk)).catch((err: unknown) => {
      // Keep the first I/O failure: every later call reports it instead of writing past a hole.
      if (this.failure === null) this.failure = fileError(err, this.finalPath, 'write');
      throw this.failure;
    });
    return this.chain;
  }

  /** The row's text with its eol, or null when refused under 'report'. Throws otherwise. */
  private formatRow(fields: ReadonlyArray<string | null>, row: number, onUnencodable: 'error' | 'report'): string | null {
    const { delimiter, quoting } = this.opts;
    let line = '';
    for (let i = 0; i < fields.length; i++) {
      const value = this.fieldText(fields[i], row, i);
      const bad = this.encode.firstUnencodable(value);
      if (bad !== -1) {
        const problem = this.encodingProblem(value, bad, row, i);
        if (onUnencodable === 'report' && row > 0) {
          this.rejected++;
          if (this.collected.length < this.maxProblems) this.collected.push(problem);
          return null;
        }
        throw new SisrelayError('DATA_ENCODING', problem.message, {
          details: { row, column: problem.column, columnName: problem.columnName, codePoint: problem.codePoint },
        });
      }
      let text = value;
      if (quoting === 'rfc4180') {
        if (this.needsQuote.test(value)) text = `"${value.replace(/"/g, '""')}"`;
      } else {
        const m = this.forbidden.exec(value);
        if (m) {
          const ch = m[0];
          const where = this.where(row, i);
          throw new SisrelayError(
            'DATA_INVALID',
            `${where}: the value contains ${charName(ch)}, which this ${delimiterName(delimiter)}-separated format without quoting cannot carry`,
            { details: { row, column: i + 1, columnName: this.columnNames?.[i] ?? null, codePoint: codePoint(ch) } },
          );
        }
      }
      line += i === 0 ? text : delimiter + text;
    }
    if (quoting === 'rfc4180' && fields.length === 1 && line === '') line = '""';
    return line + this.opts.eol;
  }

  private fieldText(value: unknown, row: number, index: number): string {
    if (typeof value === 'string') return value;
    if (value === null || value === undefined) return '';
    // A Date or number stringified here would take the host's zone or locale: make the job say how.
    throw new SisrelayError(
      'INTERNAL_ERROR',
      `${this.where(row, index)}: expected a string or null, got ${value instanceof Date ? 'a Date' : typeof value}`,
    );
  }

  private encodingProblem(value: string, index: number, row: number, column: number): WriteProblem {
    const cp = value.codePointAt(index) ?? 0;
    const character = String.fromCodePoint(cp);
    const isLoneSurrogate = cp >= 0xd800 && cp <= 0xdfff;
    const u = codePoint(character);
    const what = isLoneSurrogate ? `a lone surrogate (${u}), which is not a character` : `character "${character}" (${u})`;
    return {
      code: 'DATA_ENCODING',
      row,
      column: column + 1,
      columnName: this.columnNames?.[column] ?? null,
      character,
      codePoint: u,
      message: `${this.where(row, column)}: ${what} cannot be encoded in ${this.opts.encoding}`,
    };
  }

  private where(row: number, index: number): string {
    const name = this.columnNames?.[index];
    const col = `column ${index + 1}${name !== undefined ? ` (${name})` : ''}`;
    return `${basename(this.finalPath)}: ${row === 0 ? 'header' : `row ${row}`}, ${col}`;
  }
}

async function writeAll(fh: FileHandle, chunk: Buffer): Promise<void> {
  let offset = 0;
  while (offset < chunk.length) {
    const { bytesWritten } = await fh.write(chunk, offset, chunk.length - offset);
    offset += bytesWritten;
  }
}


function fileError(err: unknown, path: string, verb: string): SisrelayError {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  const what = `could not ${verb} ${path}`;
  if (code === 'ENOENT') {
    return new SisrelayError('TRANSFER_NO_SUCH_PATH', `${what}: directory ${dirname(path)} does not exist`, { cause: err, details: { errno: code } });
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new SisrelayError('TRANSFER_PERMISSION_DENIED', `${what}: permission denied (${code})`, { cause: err, details: { errno: code } });
  }
  // Disk full or I/O error on a local disk: retrying the run immediately would not help.
  return new SisrelayError('TRANSFER_FAILED', `${what}: ${code ?? (err instanceof Error ? err.message : String(err))}`, {
    cause: err,
    transient: false,
    details: { errno: code ?? null },
  });
}

function codePoint(ch: string): string {
  return `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

function charName(ch: string): string {
  switch (ch) {
    case '\t':
      return 'a TAB (U+0009)';
    case '\n':
      return 'a line feed (U+000A)';
    case '\r':
      return 'a carriage return (U+000D)';
    default:
      return `"${ch}" (${codePoint(ch)})`;
  }
}

function delimiterName(d: string): string {
  return d === '\t' ? 'tab' : 'comma';
}
