import type { Connection as PgConnection } from 'pg';
import { SisrelayError } from '../../errors/sisrelay-error.js';
import { leadingCodeStart, type ScalarBind } from './named-binds.js';
import type { CopyColumn } from './copy-text-decoder.js';
import { wallClockText } from './source-support.js';

/**
 * The pieces of PostgresSource's COPY path: which statements take it, how their bind values
 * become literals, and how their result columns are learnt before the COPY starts.
 *
 * Why COPY at all: a cursor hands rows over as DataRow messages that pg takes apart field by
 * field (a string per value, an array per row, a promise per batch); `COPY (query) TO STDOUT`
 * streams the same rows as tab-separated text that CopyTextDecoder reads in one pass. Measured on
 * 500k rows (bench/sql-stream.ts): pg's cursor alone, building nothing, takes 1.4-2x as long as
 * psql's \copy; the adapter through COPY about 2x, through the cursor about 3x.
 */

/** The statement kinds COPY can wrap and that return rows; the rest go through the cursor. */
const COPYABLE_START = /^(?:select|with|values|table)\b/i;

/**
 * The statement as the body of `COPY (...) TO STDOUT`, or null when it is not a query COPY can
 * wrap (DML, SHOW, EXPLAIN...). A trailing semicolon is dropped: it is harmless on its own and a
 * syntax error inside the parentheses.
 */
export function copyableQuery(sql: string): string | null {
  if (!COPYABLE_START.test(sql.slice(leadingCodeStart(sql, 'postgres')))) return null;
  return sql.replace(/[\s;]+$/, '');
}

/** `COPY (query) TO STDOUT` for a body from copyableQuery; the newline ends a trailing `--` comment. */
export function copyStatement(body: string): string {
  return `COPY (\n${body}\n) TO STDOUT`;
}

/**
 * A bind value as a PostgreSQL literal, for COPY, which takes no parameters. The text is what pg
 * would have sent as the parameter (a Date as its wall clock, as pgParam does), quoted by pg's
 * escapeLiteral (libpq's PQescapeLiteral rules: quotes doubled, and an E'' literal with doubled
 * backslashes when there is a backslash). Quoted and untyped, the literal gets its type from its
 * context exactly as an untyped parameter does. A NUL cannot be in PostgreSQL text at all, and in
 * a statement it would cut the statement short, so it is refused.
 */
export function postgresLiteral(escapeLiteral: (text: string) => string): (value: ScalarBind, name: string) => string {
  return (value, name) => {
    if (value === null) return 'NULL';
    const text = typeof value === 'string' ? value : value instanceof Date ? wallClockText(value) : String(value);
    if (text.includes('\u0000')) {
      throw new SisrelayError('SQL_QUERY_FAILED', `SQL bind :${name} holds a NUL character, which PostgreSQL text cannot hold`, {
        details: { bind: name },
      });
    }
    return escapeLiteral(text);
  };
}

interface RowDescriptionMessage {
  fields: ReadonlyArray<{ name: string; dataTypeID: number }>;
}

/**
 * The result columns of a statement without running it: Parse and Describe of the unnamed
 * statement, then Sync, sent as a pg Submittable (the interface pg-cursor and pg-copy-streams
 * use). The answer is a RowDescription, or NoData for a statement that returns no rows (`null`).
 * Parse also refuses more than one statement in the text, before anything runs.
 */
export class DescribeStatement {
  readonly done: Promise<CopyColumn[] | null>;
  #resolve!: (columns: CopyColumn[] | null) => void;
  #reject!: (err: unknown) => void;
  #columns: CopyColumn[] | null = null;

  constructor(readonly text: string) {
    this.done = new Promise<CopyColumn[] | null>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // Settled by the caller's wait; an abort that wins the race leaves nobody listening.
    this.done.catch(() => undefined);
  }

  submit(connection: PgConnection): void {
    const c = connection as PgConnection & {
      parse(q: { text: string; name?: string; types?: number[] }): void;
      describe(m: { type: 'S' | 'P'; name?: string }): void;
      sync(): void;
    };
    c.parse({ text: this.text, name: '', types: [] });
    c.describe({ type: 'S', name: '' });
    c.sync();
  }

  handleRowDescription(msg: RowDescriptionMessage): void {
    this.#columns = msg.fields.map((f) => ({ name: f.name, typeOid: f.dataTypeID }));
  }

  handleError(err: unknown): void {
    this.#reject(err);
  }

  handleReadyForQuery(): void {
    this.#resolve(this.#columns);
  }

  // pg calls these on whatever query is active; none answers Parse/Describe/Sync.
  handleDataRow(): void {}
  handleCommandComplete(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyInResponse(): void {}
  handleCopyData(): void {}
}
