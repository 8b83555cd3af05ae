import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import iconv from 'iconv-lite';
import Papa from 'papaparse';
import { SisrelayError } from '../../errors/sisrelay-error.js';

/**
 * Streaming reader for delimited input files (the CEM export), with a header row.
 *
 * Decoding: 'latin1' (ISO-8859-1), 'windows-1252', 'utf-8', or 'auto-bom' — UTF-8 when the file starts with a
 * UTF-8 BOM, else `fallbackEncoding` (default latin1). The BOM is never part of the first column
 * name. In UTF-8 and windows-1252 a record holding a byte sequence the encoding does not define
 * (decoded as U+FFFD) is reported and skipped rather than passed on with the damage.
 *
 * Parsing is papaparse's own parser (RFC 4180 quoting, quoted fields may span lines), driven one
 * decoded chunk at a time from this async generator. We do not use papaparse's stream mode:
 * its pause()/resume() re-parses from a stale base index, so cursors (and therefore line numbers)
 * go wrong after the first pause, and it polls with timers while resuming. Pulling chunks only when
 * the consumer asks for more gives exact back-pressure and constant memory.
 *
 * Malformed records are reported in `problems` with the 1-based physical line where they start,
 * and reading continues: a wrong field count skips that record; a quoting error (unterminated
 * quote, text after a closing quote, a record longer than `maxRecordChars`) skips the record's
 * first physical line and resumes parsing at the next one, so one stray quote cannot swallow the
 * rest of the file. Empty lines are ignored. A missing header or required column is fatal.
 */

/** 'latin1' is ISO-8859-1 (bytes 0x80–0x9F are C1 controls); 'windows-1252' maps them to € ‘ ’ etc. */
export type InputEncoding = 'latin1' | 'windows-1252' | 'utf-8';

export interface ReadDelimitedOptions {
  encoding: InputEncoding | 'auto-bom';
  /** Used by 'auto-bom' when no BOM is present. Default 'latin1'. */
  fallbackEncoding?: InputEncoding;
  /** Default ','. */
  delimiter?: string;
  /** Record separator; default: detected from the first line break in the file. */
  newline?: '\n' | '\r\n' | '\r';
  /** Header names that must be present (after trimming spaces). */
  requiredColumns?: readonly string[];
  /** At most this many problems are kept (all are counted in `problemCount`). Default 1000. */
  maxProblems?: number;
  /** A record longer than this many characters is treated as a quoting error. Default 1 MiB. */
  maxRecordChars?: number;
  /** Bytes read per chunk. Default 64 KiB (tests use tiny chunks to cross boundaries). */
  chunkBytes?: number;
}

export interface DelimitedRecord {
  /** 1-based physical line where the record starts. */
  line: number;
  /** Header name → field text (exactly as in the file, after decoding and unquoting). */
  record: Record<string, string>;
}

export interface ReadProblem {
  line: number;
  reason: string;
}

export function readDelimited(path: string, opts: ReadDelimitedOptions): DelimitedReader {
  return new DelimitedReader(path, opts);
}

interface ParsedRow {
  start: number;
  end: number;
  fields: string[];
  quoteError: string | null;
}

export class DelimitedReader implements AsyncIterable<DelimitedRecord> {
  /** The first `maxProblems` malformed records, in file order. Complete once iteration ends. */
  readonly problems: ReadProblem[] = [];
  problemCount = 0;
  /** Records yielded. */
  records = 0;
  /** Header names (trimmed) once the header has been read. */
  columns: string[] | null = null;
  /** The encoding actually used (after BOM detection), once reading started. */
  encoding: InputEncoding | null = null;

  private started = false;
  private readonly delimiter: string;
  private readonly maxProblems: number;
  private readonly maxRecordChars: number;
  private readonly name: string;

  constructor(
    readonly path: string,
    private readonly opts: ReadDelimitedOptions,
  ) {
    this.delimiter = opts.delimiter ?? ',';
    this.maxProblems = opts.maxProblems ?? 1000;
    this.maxRecordChars = opts.maxRecordChars ?? 1024 * 1024;
    this.name = basename(path);
    if (this.delimiter.length === 0 || /["\r\n]/.test(this.delimiter)) {
      throw new SisrelayError('INTERNAL_ERROR', `${this.name}: invalid delimiter ${JSON.stringify(this.delimiter)}`);
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<DelimitedRecord, void, undefined> {
    if (this.started) throw new SisrelayError('INTERNAL_ERROR', `${this.name}: a delimited reader can be iterated only once`);
    this.started = true;
    const encoding = await this.chooseEncoding();
    this.encoding = encoding;
    const decoder = iconv.getDecoder(encoding); // strips a UTF-8 BOM

    // `text` holds the not-yet-parsed tail of the input; `base` is its offset in the whole text.
    let text = '';
    let base = 0;
    let newline = this.opts.newline ?? null;
    // Line counting runs forward only: `counted` is an offset ≥ base whose line is `countedLine`.
    let counted = 0;
    let countedLine = 1;
    let header: { names: string[]; keep: number[] } | null = null;

    const lineAt = (offset: number): number => {
      const lineChar = newline === '\r' ? '\r' : '\n';
      let i = text.indexOf(lineChar, counted - base);
      const stop = offset - base;
      while (i !== -1 && i < stop) {
        countedLine++;
        i = text.indexOf(lineChar, i + 1);
      }
      counted = offset;
      return countedLine;
    };
    const advance = (offset: number): void => {
      lineAt(offset);
      text = text.slice(offset - base);
      base = offset;
    };
    /** Offset just after the first line break at or after `from` (end of text when none). */
    const nextLineStart = (from: number): number => {
      const nl = newline ?? '\n';
      const i = text.indexOf(nl, from - base);
      return i === -1 ? base + text.length : base + i + nl.length;
    };

    const self = this;
    function* handle(rows: ParsedRow[]): Generator<DelimitedRecord> {
      for (const row of rows) {
        if (row.fields.length === 1 && row.fields[0] === '' && row.quoteError === null) continue;
        const line = lineAt(row.start);
        if (header === null) {
          if (row.quoteError !== null) {
            throw new SisrelayError('DATA_INVALID', `${self.name}: the header row (line ${line}) is malformed: ${row.quoteError}`, {
              details: { line },
            });
          }
          header = self.acceptHeader(row.fields, line);
          continue;
        }
        if (row.quoteError !== null) {
          self.problem(line, row.quoteError);
          continue;
        }
        if (row.fields.length !== header.names.length) {
          self.problem(line, `expected ${header.names.length} fields (as in the header), found ${row.fields.length}`);
          continue;
        }
        if (encoding !== 'latin1' && row.fields.some((f) => f.includes('\uFFFD'))) {
          self.problem(line, `byte sequence not valid in ${encoding} in the record`);
          continue;
        }
        const record = Object.create(null) as Record<string, string>;
        for (const i of header.keep) record[header.names[i]!] = row.fields[i]!;
        self.records++;
        yield { line, record };
      }
    }

    /** Parse as much of `text` as is complete; on the last call everything is complete. */
    const drain = function* (final: boolean): Generator<DelimitedRecord> {
      for (;;) {
        const rows: ParsedRow[] = [];
        let rowStart = base;
        let resyncFrom: number | null = null;
        const parser = new Papa.Parser({
          delimiter: self.delimiter,
          newline: newline ?? '\n',
          quoteChar: '"',
          escapeChar: '"',
          // The bare Parser hands step a batch holding one row (ParserHandle would unwrap it).
          step(result: { data: string[][]; errors: Papa.ParseError[]; meta: Papa.ParseMeta }) {
            const end = result.meta.cursor;
            const quoteError = describeQuoteErrors(result.errors);
            rows.push({ start: rowStart, end, fields: result.data[0] ?? [''], quoteError });
            if (quoteError !== null) {
              resyncFrom = rowStart;
              // Rows after this one were cut by its wrong extent; they are re-parsed after resync.
              parser.abort();
            }
            rowStart = end;
          },
        } as unknown as Papa.ParseConfig);
        parser.parse(text, base, !final);
        yield* handle(rows);
        if (resyncFrom !== null) {
          advance(nextLineStart(resyncFrom));
          continue;
        }
        if (final) {
          advance(base + text.length);
          return;
        }
        advance(rowStart);
        if (text.length > self.maxRecordChars) {
          // Most likely an opening quote that is never closed: resume on the next line.
          self.problem(lineAt(base), `record longer than ${self.maxRecordChars} characters (unterminated quote?)`);
          advance(nextLineStart(base));
          continue;
        }
        return;
      }
    };

    const stream = createReadStream(this.path, { highWaterMark: this.opts.chunkBytes ?? 64 * 1024 });
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        text += decoder.write(chunk);
        if (newline === null) {
          newline = detectNewline(text);
          if (newline === null) {
            if (text.length > this.maxRecordChars) {
              throw new SisrelayError('DATA_INVALID', `${this.name}: no line break in the first ${text.length} characters; is this a ${this.delimiterLabel()} file?`);
            }
            continue;
          }
        }
        yield* drain(false);
      }
    } catch (err) {
      throw readError(err, this.path);
    } finally {
      stream.destroy();
    }
    text += decoder.end() ?? '';
    yield* drain(true);
    if (header === null) {
      const wanted = this.opts.requiredColumns?.length ? `; expected a header with ${this.opts.requiredColumns.join(', ')}` : '';
      throw new SisrelayError('DATA_INVALID', `${this.name}: the file is empty (no header row)${wanted}`);
    }
  }

  private acceptHeader(fields: string[], line: number): { names: string[]; keep: number[] } {
    const names = fields.map((f) => f.trim());
    const seen = new Set<string>();
    const keep: number[] = [];
    const duplicates = new Set<string>();
    names.forEach((n, i) => {
      if (seen.has(n)) duplicates.add(n);
      else {
        seen.add(n);
        keep.push(i);
      }
    });
    const required = this.opts.requiredColumns ?? [];
    const missing = required.filter((c) => !seen.has(c));
    if (missing.length > 0) {
      throw new SisrelayError(
        'DATA_INVALID',
        `${this.name}: missing required column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}; ` +
          `the header (line ${line}, ${this.delimiterLabel()}-separated, ${this.encoding}) has ${names.length} column${names.length === 1 ? '' : 's'}: ${names.join(', ')}`,
        { details: { missing, found: names } },
      );
    }
    const ambiguous = required.filter((c) => duplicates.has(c));
    if (ambiguous.length > 0) {
      throw new SisrelayError('DATA_INVALID', `${this.name}: required column${ambiguous.length > 1 ? 's' : ''} ${ambiguous.join(', ')} appear more than once in the header`, {
        details: { duplicates: ambiguous },
      });
    }
    this.columns = names;
    return { names, keep };
  }

  private problem(line: number, reason: string): void {
    this.problemCount++;
    if (this.problems.length < this.maxProblems) this.problems.push({ line, reason });
  }

  private delimiterLabel(): string {
    return this.delimiter === ',' ? 'comma' : this.delimiter === '\t' ? 'tab' : JSON.stringify(this.delimiter);
  }

  private async chooseEncoding(): Promise<InputEncoding> {
    // An explicit encoding needs no look at the file; a missing one fails as the stream opens.
    if (this.opts.encoding !== 'auto-bom') return this.opts.encoding;
    let fh;
    try {
      fh = await open(this.path, 'r');
    } catch (err) {
      throw readError(err, this.path);
    }
    try {
      const head = Buffer.alloc(3);
      const { bytesRead } = await fh.read(head, 0, 3, 0);
      const bom = bytesRead === 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf;
      return bom ? 'utf-8' : (this.opts.fallbackEncoding ?? 'latin1');
    } finally {
      await fh.close();
    }
  }
}

function detectNewline(text: string): '\n' | '\r\n' | '\r' | null {
  const lf = text.indexOf('\n');
  const cr = text.indexOf('\r');
  if (lf === -1 && cr === -1) return null;
  if (cr === -1 || (lf !== -1 && lf < cr)) return '\n';
  if (cr === text.length - 1) return null; // a CRLF may be split across chunks: wait for more
  return text[cr + 1] === '\n' ? '\r\n' : '\r';
}

function describeQuoteErrors(errors: Papa.ParseError[]): string | null {
  if (errors.length === 0) return null;
  // A quote that is never closed often shows up as "InvalidQuotes" at some later quote the
  // parser mistook for the closing one, so only a pure MissingQuotes case gets the precise words.
  if (errors.every((e) => e.code === 'MissingQuotes')) return 'unterminated quoted field';
  if (errors.every((e) => e.type === 'Quotes')) return 'malformed quoting (a quote is not closed, or text follows a closing quote)';
  return errors[0]!.message;
}

function readError(err: unknown, path: string): unknown {
  if (err instanceof SisrelayError) return err;
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT') return new SisrelayError('INPUT_NOT_FOUND', `input file ${path} does not exist`, { cause: err });
  if (code === 'EACCES' || code === 'EPERM') {
    return new SisrelayError('TRANSFER_PERMISSION_DENIED', `input file ${path} cannot be read: permission denied`, { cause: err });
  }
  return new SisrelayError('INTERNAL_ERROR', `reading ${path} failed: ${code ?? (err instanceof Error ? err.message : String(err))}`, { cause: err });
}
