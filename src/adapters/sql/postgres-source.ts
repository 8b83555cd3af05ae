import type { Client as PgClient, ClientConfig } from 'pg';
import type { NamedConnection, PostgresConnection } from '../../config/config-types.js';
import { SisrelayError } from '../../errors/sisrelay-error.js';
import type { Redactor } from '../../util/redactor.js';
import type { Binds, QueryOptions, SqlRow, SqlSource } from '../adapter-types.js';
import { CopyOutQuery } from './copy-out-query.js';
import { CopyTextDecoder, type TextParser } from './copy-text-decoder.js';
import { inlineBinds, translateBinds, type ScalarBind } from './named-binds.js';
import { ArrayRowBuilder } from './normalize-row.js';
import { DescribeStatement, copyStatement, copyableQuery, postgresLiteral } from './postgres-copy.js';
import { PG_TEXT_PARSERS } from './pg-type-parsers.js';
import { WaitInterrupter } from './wait-interrupter.js';
import { abortReason, collectRows, fetchSizeOf, rowArraysFromBatches, rowsFromBatches, wallClockText, type RowBatch } from './source-support.js';
import { describeConnection, sqlError, toSqlError, type SqlErrorContext } from './sql-errors.js';

type PgModule = (typeof import('pg'))['default'];

/** The part of pg-cursor used here (pg-query-stream exposes its cursor as `.cursor`). */
interface PgCursor {
  read(rows: number): Promise<unknown[][]>;
  close(): Promise<void>;
}

const CLOSE_TIMEOUT_MS = 10_000;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Per-client type overrides (ClientConfig.types). Never pg.types.setTypeParser: that is process
 * global and would change every other pg user in the process.
 */
export function pgTypeOverrides(pg: PgModule): NonNullable<ClientConfig['types']> {
  const getTypeParser = ((oid: number, format?: 'text' | 'binary') => {
    if ((format ?? 'text') === 'text') {
      const own = PG_TEXT_PARSERS[oid];
      if (own) return own;
    }
    return (pg.types.getTypeParser as (oid: number, format?: string) => unknown)(oid, format);
  }) as NonNullable<ClientConfig['types']>['getTypeParser'];
  return { getTypeParser };
}

/** Bind values as pg should see them (see wallClockText for why Dates are pre-formatted). */
export function pgParam(value: ScalarBind): unknown {
  if (value instanceof Date) return wallClockText(value);
  if (typeof value === 'bigint') return value.toString();
  return value;
}

export class PostgresSource implements SqlSource {
  readonly kind = 'postgres' as const;
  readonly description: string;
  readonly #conn: NamedConnection<PostgresConnection>;
  readonly #ctx: SqlErrorContext;
  #pg: PgModule | null = null;
  #client: PgClient | null = null;
  #connecting: Promise<void> | null = null;
  /** Set when the connection died between queries; the next call reports it. */
  #lost: unknown = null;
  #sessionTimeoutMs: number;
  #textParser: ((oid: number) => TextParser) | null = null;

  constructor(conn: NamedConnection<PostgresConnection>, opts: { redactor: Redactor }) {
    this.#conn = conn;
    this.#ctx = {
      facts: { name: conn.name, type: 'postgres', host: conn.host, port: conn.port, database: conn.database, user: conn.user },
      redactor: opts.redactor,
      secrets: conn.password ? [conn.password] : [],
    };
    this.description = describeConnection(this.#ctx.facts);
    this.#sessionTimeoutMs = conn.statementTimeoutMs;
  }

  #clientConfig(pg: PgModule): ClientConfig {
    const c = this.#conn;
    return {
      host: c.host,
      port: c.port,
      database: c.database,
      user: c.user,
      // An explicit empty string stops pg from falling back to PGPASSWORD / ~/.pgpass.
      password: c.password ?? '',
      ssl: c.ssl ? { rejectUnauthorized: true } : false,
      connectionTimeoutMillis: c.connectTimeoutMs,
      keepAlive: true,
      application_name: 'sisrelay',
      types: pgTypeOverrides(pg),
      // Sent in the startup packet, so it is in force before the first statement.
      ...(c.statementTimeoutMs > 0 ? { statement_timeout: c.statementTimeoutMs } : {}),
    };
  }

  async connect(): Promise<void> {
    if (this.#client) return;
    this.#connecting ??= this.#open().finally(() => {
      this.#connecting = null;
    });
    return this.#connecting;
  }

  async #open(): Promise<void> {
    const pg = (this.#pg ??= (await import('pg')).default);
    const client = new pg.Client(this.#clientConfig(pg));
    // Without a listener, an idle connection the server drops would crash the run process.
    client.on('error', (err) => {
      this.#lost = err;
    });
    try {
      await client.connect();
    } catch (err) {
      await client.end().catch(() => undefined);
      throw toSqlError(err, 'connect', this.#ctx);
    }
    this.#lost = null;
    this.#sessionTimeoutMs = this.#conn.statementTimeoutMs;
    this.#client = client;
  }

  async #ready(): Promise<PgClient> {
    // A connection that died is replaced with a fresh one: a drop mid-query was already
    // reported to that query, and a drop while idle (the 'error' event) harmed nothing.
    if (this.#lost !== null) await this.#discard();
    await this.connect();
    return this.#client!;
  }

  async #discard(): Promise<void> {
    const client = this.#client;
    this.#client = null;
    this.#lost = null;
    await client?.end().catch(() => undefined);
  }

  /** statement_timeout for the next statement; one extra round trip only when it changes. */
  async #useTimeout(client: PgClient, timeoutMs: number): Promise<void> {
    if (timeoutMs === this.#sessionTimeoutMs) return;
    await client.query('SELECT set_config($1, $2, false)', ['statement_timeout', String(Math.max(0, Math.round(timeoutMs)))]);
    this.#sessionTimeoutMs = timeoutMs;
  }

  /** Ask the server to stop the running statement (a CancelRequest on a second connection). */
  #cancelRunning(client: PgClient, query: unknown): void {
    const pg = this.#pg;
    if (!pg) return;
    try {
      const canceller = new pg.Client(this.#clientConfig(pg)) as PgClient & {
        cancel(c: PgClient, q: unknown): void;
        connection: { on(event: 'error', listener: () => void): void };
      };
      canceller.on('error', () => undefined);
      // Client.cancel() opens the client's Connection without the listeners connect() adds, so
      // a refused or reset cancel connection would be an 'error' event with no listener: an
      // uncaught exception that ends the run process.
      canceller.connection.on('error', () => undefined);
      canceller.cancel(client, query);
    } catch {
      // Best effort: closing the cursor below still ends the query once the server answers.
    }
  }

  /**
   * Queries (SELECT, WITH, VALUES, TABLE) stream through `COPY (query) TO STDOUT` unless the
   * connection sets `copy: false`; anything else, and every statement then, through a cursor.
   * Both give the same rows (test/sql/postgres-row-streaming.test.ts runs every type through both).
   */
  stream(sql: string, binds?: Binds, options: QueryOptions = {}): AsyncIterableIterator<SqlRow> {
    return rowsFromBatches(this.#batches(sql, binds, options));
  }

  /** stream()'s rows as they are read: a COPY chunk's rows, or one cursor fetch. */
  streamBatches(sql: string, binds?: Binds, options: QueryOptions = {}): AsyncGenerator<SqlRow[], void, undefined> {
    return rowArraysFromBatches(this.#batches(sql, binds, options));
  }

  #batches(sql: string, binds: Binds | undefined, options: QueryOptions): AsyncGenerator<RowBatch<unknown>, void, undefined> {
    const useCopy = this.#conn.copy && copyableQuery(sql) !== null;
    return useCopy ? this.#copyBatches(sql, binds, options) : this.#cursorBatches(sql, binds, options);
  }

  /** A ready connection with the statement timeout the call asks for. */
  async #prepared(options: QueryOptions): Promise<PgClient> {
    options.signal?.throwIfAborted();
    const client = await this.#ready();
    try {
      await this.#useTimeout(client, options.timeoutMs ?? this.#conn.statementTimeoutMs);
    } catch (err) {
      throw this.#mapped(err);
    }
    return client;
  }

  /** A driver error as a SisrelayError; a lost connection is noted so the next call replaces it. */
  #mapped(err: unknown): SisrelayError {
    if (err instanceof SisrelayError) return err;
    const mapped = toSqlError(err, 'query', this.#ctx);
    if (mapped.code === 'SQL_CONNECTION_LOST') this.#lost = err;
    return mapped;
  }

  /**
   * Waits that end early when the caller aborts (after asking the server to stop the statement
   * running, `active()`, and retiring the connection, whose protocol state is then unknown) or
   * when the connection ends. pg-cursor drops an error that arrives after the portal's
   * CommandComplete and before ReadyForQuery (its handleError returns early once the portal is
   * closed), and a COPY whose socket is paused sees nothing at all, so a read could wait forever
   * when the server ends the connection at that moment (pg_terminate_backend, a restart): the
   * connection's own end event settles the wait instead, as SQL_CONNECTION_LOST.
   */
  #watch(client: PgClient, signal: AbortSignal | undefined, active: () => unknown): { waitFor: WaitInterrupter['waitFor']; dispose(): void } {
    const waits = new WaitInterrupter();
    const onAbort = (): void => {
      this.#lost ??= new Error('a statement was aborted on this connection');
      const query = active();
      if (query) this.#cancelRunning(client, query);
      waits.interrupt(abortReason(signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const onEnd = (): void => waits.interrupt(this.#lost ?? new Error('Connection terminated unexpectedly'));
    client.once('end', onEnd);
    return {
      waitFor: (p) => waits.waitFor(p),
      dispose: () => {
        signal?.removeEventListener('abort', onAbort);
        client.removeListener('end', onEnd);
      },
    };
  }

  #parserFor(): (oid: number) => TextParser {
    const getTypeParser = pgTypeOverrides(this.#pg!).getTypeParser as (oid: number, format: 'text') => TextParser;
    return (this.#textParser ??= (oid) => getTypeParser(oid, 'text'));
  }

  /**
   * COPY streams as fast as the consumer reads: CopyOutQuery reads the paused socket only when
   * asked, so TCP holds the server back and memory stays at a chunk or two. Bind values become
   * literals (COPY takes no parameters; see postgresLiteral), and the result columns are described
   * first, from the very text the COPY will run, so each value gets its type's parser.
   */
  async *#copyBatches(sql: string, binds: Binds | undefined, options: QueryOptions): AsyncGenerator<RowBatch<unknown>, void, undefined> {
    const { signal } = options;
    const pg = (this.#pg ??= (await import('pg')).default);
    const body = copyableQuery(inlineBinds(sql, binds, 'postgres', postgresLiteral(pg.escapeLiteral)))!;
    const client = await this.#prepared(options);
    let active: unknown = null;
    const watch = this.#watch(client, signal, () => active);
    let copy: CopyOutQuery | null = null;
    /** The COPY ended, well or with an error from the server: the connection is in step again. */
    let ended = false;
    try {
      const describe = new DescribeStatement(body);
      active = describe;
      client.query(describe);
      const columns = await watch.waitFor(describe.done);
      if (columns === null) {
        // Began like a query but returns no rows (WITH ... INSERT without RETURNING): no COPY.
        ended = true;
        watch.dispose();
        yield* this.#cursorBatches(sql, binds, options);
        return;
      }
      const decoder = new CopyTextDecoder(columns, this.#parserFor());
      copy = new CopyOutQuery(copyStatement(body));
      active = copy;
      const settled = copy.done.finally(() => {
        ended = true;
      });
      settled.catch(() => undefined);
      client.query(copy);
      for (;;) {
        const bytes = await watch.waitFor(copy.read());
        if (signal?.aborted) throw abortReason(signal);
        if (bytes === null) break;
        const rows = decoder.push(bytes);
        if (rows.length > 0) yield { raw: rows, toRow: identity };
      }
      const sent = await watch.waitFor(copy.done);
      decoder.end();
      if (sent !== decoder.rowCount) {
        throw sqlError('SQL_QUERY_FAILED', `the server reported ${sent} rows for the COPY but ${decoder.rowCount} arrived`, this.#ctx);
      }
    } catch (err) {
      if (signal?.aborted) throw abortReason(signal);
      throw this.#mapped(err);
    } finally {
      watch.dispose();
      // Left early (the consumer stopped, or a row could not be read): a COPY cannot be
      // stopped half way with the connection kept, so the statement is cancelled and the
      // connection retired; the next call opens a fresh one.
      if (copy && !ended && this.#lost === null) {
        this.#lost = new Error('a COPY was left unfinished on this connection');
        this.#cancelRunning(client, copy);
      }
    }
  }

  async *#cursorBatches(sql: string, binds: Binds | undefined, options: QueryOptions): AsyncGenerator<RowBatch<unknown[]>, void, undefined> {
    const { signal } = options;
    const q = translateBinds(sql, binds, 'postgres');
    const batchSize = fetchSizeOf(options.fetchSize);
    const QueryStream = (await import('pg-query-stream')).default;
    const client = await this.#prepared(options);
    // The cursor (pg-cursor, as exposed by pg-query-stream) reads one batch per round trip
    // through a server-side portal. The next batch is requested as soon as the current one
    // arrives, so the server produces batch N+1 while the consumer works through batch N (the
    // two overlap, as with COPY); no further batch is asked for until the consumer has taken
    // the current one, so memory holds at most two batches. The Readable side of QueryStream
    // is not used: its destroy() waits for the server to confirm the portal closed, which never
    // happens once the connection is gone, so a dropped connection would hang the iterator.
    // rowMode 'array': pg hands over each row's parsed values as an array, and the row object is
    // built once from names lower-cased once per query (see ArrayRowBuilder), instead of pg
    // building an object that is then walked key by key to lower-case and convert it.
    const qs = new QueryStream(q.sql, q.values.map(pgParam), { batchSize, rowMode: 'array' });
    const cursor = qs.cursor as PgCursor;
    const result = qs._result as { fields: ReadonlyArray<{ name: string }> };
    const watch = this.#watch(client, signal, () => qs);
    let builder: ArrayRowBuilder | null = null;
    let finished = false;
    let next: Promise<unknown[][]> | null = null;
    const prefetch = (): Promise<unknown[][]> => {
      const p = cursor.read(batchSize);
      // Handled here so a failure that arrives while the consumer is busy is not reported as
      // an unhandled rejection; it is rethrown below when the batch is awaited.
      p.catch(() => undefined);
      return p;
    };
    try {
      client.query(qs);
      next = prefetch();
      for (;;) {
        let rows: unknown[][];
        try {
          rows = await watch.waitFor(next!);
        } catch (err) {
          // A failed cursor has already synced with the server, and an abort retires the
          // connection: nothing to close. (Any other failure, such as two columns whose names
          // collide once lower-cased, leaves the portal open, and finally closes it: left open,
          // every later statement on this connection would wait behind it forever.)
          finished = true;
          throw err;
        }
        next = null;
        if (signal?.aborted) throw abortReason(signal);
        const last = rows.length < batchSize;
        if (!last) next = prefetch();
        if (rows.length > 0) {
          builder ??= new ArrayRowBuilder(result.fields.map((f) => f.name));
          yield { raw: rows, toRow: builder.build };
        }
        if (last) break;
      }
      finished = true;
    } catch (err) {
      if (signal?.aborted) throw abortReason(signal);
      throw this.#mapped(err);
    } finally {
      watch.dispose();
      // Early exit (break, or a consumer error): let the batch in flight arrive, then close the
      // portal, so the connection is idle and in step for the next statement.
      if (!finished && this.#lost === null) {
        const closed = (next ? next.then(() => undefined, () => undefined) : Promise.resolve()).then(() => cursor.close());
        await withTimeout(closed, CLOSE_TIMEOUT_MS).catch(() => {
          this.#lost = new Error('the cursor did not close');
        });
      }
    }
  }

  all(sql: string, binds?: Binds, options?: QueryOptions): Promise<SqlRow[]> {
    return collectRows(this.stream(sql, binds, options));
  }

  async close(): Promise<void> {
    const client = this.#client;
    this.#client = null;
    this.#lost = null;
    if (!client) return;
    try {
      await client.end();
    } catch (err) {
      throw sqlError('SQL_CONNECTION_LOST', 'closing the connection failed', this.#ctx, err);
    }
  }
}

/** COPY batches hold finished rows already. */
const identity = (row: unknown): SqlRow => row as SqlRow;
