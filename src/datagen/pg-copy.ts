/**
 * `COPY … FROM STDIN` over an ordinary pg.Client, without pg-copy-streams.
 *
 * pg accepts any object with a `submit(connection)` method as a query (pg-cursor and
 * pg-query-stream use the same hook) and routes the backend's CopyInResponse, CommandComplete,
 * ErrorResponse and ReadyForQuery to it. The connection's `sendCopyFromChunk` / `endCopyFrom`
 * write CopyData / CopyDone. This file is the only place that relies on those internals.
 */
import { once } from 'node:events';
import type { Client } from 'pg';

interface PgConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
  stream: NodeJS.WritableStream & { writableNeedDrain?: boolean };
}

class CopyInQuery {
  readonly text: string;
  #connection: PgConnection | null = null;
  #error: Error | null = null;
  #ready: Promise<void>;
  #readyResolve!: () => void;
  #readyReject!: (err: Error) => void;
  #done: Promise<number>;
  #doneResolve!: (rows: number) => void;
  #doneReject!: (err: Error) => void;
  #rowCount = 0;

  constructor(text: string) {
    this.text = text;
    this.#ready = new Promise((resolve, reject) => {
      this.#readyResolve = resolve;
      this.#readyReject = reject;
    });
    this.#done = new Promise((resolve, reject) => {
      this.#doneResolve = resolve;
      this.#doneReject = reject;
    });
    // Both promises may reject before anyone awaits them; keep Node from reporting that.
    this.#ready.catch(() => undefined);
    this.#done.catch(() => undefined);
  }

  // --- pg's Submittable hooks -------------------------------------------------------------
  submit(connection: PgConnection): void {
    this.#connection = connection;
    connection.query(this.text);
  }

  handleCopyInResponse(): void {
    this.#readyResolve();
  }

  handleCommandComplete(msg: { text?: string }): void {
    const m = /(\d+)$/.exec(msg.text ?? '');
    this.#rowCount = m ? Number(m[1]) : 0;
  }

  // pg clears its active query before calling this, so ReadyForQuery will not reach us: settle now.
  handleError(err: Error): void {
    this.#error = err;
    this.#readyReject(err);
    this.#doneReject(err);
  }

  handleReadyForQuery(): void {
    if (this.#error) this.#doneReject(this.#error);
    else this.#doneResolve(this.#rowCount);
  }

  // Rows never come back from COPY FROM; pg calls these only if the statement was not a COPY.
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handleCopyData(): void {}

  // --- driver side --------------------------------------------------------------------------
  async run(chunks: AsyncIterable<Buffer> | Iterable<Buffer>): Promise<number> {
    await this.#ready;
    const connection = this.#connection as PgConnection;
    for await (const chunk of chunks) {
      // After an ErrorResponse the server ignores CopyData; stop producing.
      if (this.#error) break;
      connection.sendCopyFromChunk(chunk);
      if (connection.stream.writableNeedDrain) await once(connection.stream, 'drain');
    }
    if (!this.#error) connection.endCopyFrom();
    return this.#done;
  }
}

/** Run `sql` (a `COPY … FROM STDIN` statement) and stream `chunks` into it; resolves to the row count. */
export async function copyFrom(client: Client, sql: string, chunks: AsyncIterable<Buffer> | Iterable<Buffer>): Promise<number> {
  const query = new CopyInQuery(sql);
  // pg types do not list custom submittables for this overload.
  void (client as unknown as { query(q: unknown): unknown }).query(query);
  return query.run(chunks);
}

/** One value in COPY text format: NULL is \N; backslash, tab, newline and CR are escaped. */
export function copyTextValue(value: string | number | null): string {
  if (value === null) return '\\N';
  if (typeof value === 'number') return String(value);
  return /[\\\t\n\r]/.test(value)
    ? value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r')
    : value;
}
