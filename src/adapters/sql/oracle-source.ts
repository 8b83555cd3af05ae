import type { Connection, Metadata } from 'oracledb';
import type { NamedConnection, OracleConnection } from '../../config/config-types.js';
import type { Redactor } from '../../util/redactor.js';
import type { Binds, QueryOptions, SqlRow, SqlSource } from '../adapter-types.js';
import { translateBinds, type ScalarBind } from './named-binds.js';
import { RowNormalizer, numericFromString, wallClockFromText } from './normalize-row.js';
import { abortReason, batchesFromRows, collectRows, fetchSizeOf, wallClockText } from './source-support.js';
import { describeConnection, sqlError, toSqlError, type SqlErrorContext } from './sql-errors.js';

type OracleDb = typeof import('oracledb');

/**
 * Session settings that make fetched and bound datetimes independent of the host zone.
 *
 * node-oracledb builds a DATE/TIMESTAMP value as `new Date(y, m, d, h, mi, s)` in the *process*
 * zone (thin mode, lib/util.js makeDate) and binds a Date from its local fields. Under TZ=UTC
 * that is harmless, but the same job on a host in America/Chicago would read 02:30 on the
 * spring-forward night as 03:30. So datetimes never pass through a local-zone Date here: they
 * are fetched as text, converted by the database with the fixed formats below (thin mode has
 * the server do a DATE→VARCHAR conversion using the session NLS settings), then parsed into a
 * Date whose UTC fields are that text. Date binds go the other way as the same text.
 */
export const ORACLE_SESSION_SQL =
  "ALTER SESSION SET NLS_DATE_FORMAT = 'YYYY-MM-DD HH24:MI:SS' " +
  "NLS_TIMESTAMP_FORMAT = 'YYYY-MM-DD HH24:MI:SS.FF6' " +
  "NLS_NUMERIC_CHARACTERS = '.,'";

/** Zone-less datetime text as fetched under ORACLE_SESSION_SQL → wall-clock Date. */
export function oracleDateText(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  return wallClockFromText(value);
}

export function oracleNumberText(value: unknown): unknown {
  return typeof value === 'string' ? numericFromString(value) : value;
}

/** Significant digits a double always carries exactly. */
const DOUBLE_SAFE_DIGITS = 15;

/**
 * Per-column fetch rules (the query's fetchTypeHandler):
 * - NUMBER with a declared precision ≤ 15 → the driver's number (exact);
 * - other NUMBERs (unconstrained, COUNT(*), NUMBER(19) ids) → text, then number / bigint /
 *   exact decimal text by numericFromString, so a 19-digit id is never rounded;
 * - DATE, TIMESTAMP → text in the session format, then a wall-clock Date (see above);
 * - CLOB/NCLOB → string, BLOB → Buffer (no Lob objects to close).
 */
export function oracleFetchTypeHandler(oracledb: OracleDb): (m: Metadata<unknown>) => { type: unknown; converter?: (v: unknown) => unknown } | undefined {
  return (m) => {
    switch (m.dbType) {
      case oracledb.DB_TYPE_NUMBER:
        if (m.precision !== undefined && m.precision > 0 && m.precision <= DOUBLE_SAFE_DIGITS) return undefined;
        return { type: oracledb.STRING, converter: oracleNumberText };
      case oracledb.DB_TYPE_DATE:
      case oracledb.DB_TYPE_TIMESTAMP:
        return { type: oracledb.STRING, converter: oracleDateText };
      case oracledb.DB_TYPE_CLOB:
      case oracledb.DB_TYPE_NCLOB:
        return { type: oracledb.STRING };
      case oracledb.DB_TYPE_BLOB:
        return { type: oracledb.BUFFER };
      default:
        return undefined;
    }
  };
}

/** Bind values as oracledb receives them. */
export function oracleBind(value: ScalarBind): string | number | null {
  if (value instanceof Date) {
    // Text, converted by the database under the session formats. Without a fraction it
    // converts to DATE and TIMESTAMP alike (Oracle accepts a string shorter than the format).
    const text = wallClockText(value);
    return text.endsWith('.000') ? text.slice(0, -4) : text;
  }
  if (typeof value === 'boolean') return value ? 1 : 0; // no SQL BOOLEAN before 23ai
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** host:port/service (EZConnect) → facts for messages; anything else is shown as given. */
export function parseConnectString(cs: string): { host: string; port: number | null; service: string } {
  const m = /^(?:[a-z]+:\/\/)?\[?([^\]/:]+)\]?(?::(\d+))?(?:\/([^?:]+))?/i.exec(cs.trim());
  if (!m || cs.includes('(')) return { host: cs.includes('(') ? 'descriptor' : cs, port: null, service: '' };
  return { host: m[1]!, port: m[2] ? Number(m[2]) : 1521, service: m[3] ?? '' };
}

export class OracleSource implements SqlSource {
  readonly kind = 'oracle' as const;
  readonly description: string;
  readonly #conn: NamedConnection<OracleConnection>;
  readonly #ctx: SqlErrorContext;
  #oracledb: OracleDb | null = null;
  #connection: Connection | null = null;
  #connecting: Promise<void> | null = null;

  constructor(conn: NamedConnection<OracleConnection>, opts: { redactor: Redactor }) {
    this.#conn = conn;
    const where = parseConnectString(conn.connectString);
    this.#ctx = {
      facts: { name: conn.name, type: 'oracle', host: where.host, port: where.port, database: where.service, user: conn.user },
      redactor: opts.redactor,
      secrets: [conn.password],
    };
    this.description = describeConnection(this.#ctx.facts);
  }

  async connect(): Promise<void> {
    if (this.#connection) return;
    this.#connecting ??= this.#open().finally(() => {
      this.#connecting = null;
    });
    return this.#connecting;
  }

  async #open(): Promise<void> {
    // Thin mode only: initOracleClient() is never called, so no Instant Client is needed.
    const oracledb = (this.#oracledb ??= (await import('oracledb')).default);
    const seconds = Math.max(1, Math.ceil(this.#conn.connectTimeoutMs / 1000)); // the driver takes whole seconds
    let connection: Connection;
    try {
      connection = await oracledb.getConnection({
        user: this.#conn.user,
        password: this.#conn.password,
        connectString: this.#conn.connectString,
        connectTimeout: seconds,
        transportConnectTimeout: seconds,
      });
    } catch (err) {
      throw toSqlError(err, 'connect', this.#ctx);
    }
    try {
      connection.callTimeout = this.#conn.callTimeoutMs;
      await connection.execute(ORACLE_SESSION_SQL);
    } catch (err) {
      await connection.close().catch(() => undefined);
      throw toSqlError(err, 'query', this.#ctx);
    }
    this.#connection = connection;
  }

  async *stream(sql: string, binds?: Binds, options: QueryOptions = {}): AsyncGenerator<SqlRow> {
    const { signal } = options;
    const q = translateBinds(sql, binds, 'oracle');
    const fetchArraySize = fetchSizeOf(options.fetchSize);
    signal?.throwIfAborted();
    await this.connect();
    const oracledb = this.#oracledb!;
    const connection = this.#connection!;
    const bindObject: Record<string, string | number | null> = {};
    for (const [name, value] of Object.entries(q.named)) bindObject[name] = oracleBind(value);
    // callTimeout bounds each round trip (parse/execute/each fetch), not the whole extract.
    connection.callTimeout = options.timeoutMs ?? this.#conn.callTimeoutMs;
    const stream = connection.queryStream<Record<string, unknown>>(q.sql, bindObject, {
      outFormat: oracledb.OUT_FORMAT_OBJECT,
      fetchArraySize,
      prefetchRows: fetchArraySize + 1,
      fetchTypeHandler: oracleFetchTypeHandler(oracledb) as never,
    });
    const onAbort = (): void => {
      // break() interrupts a statement the server is still running; destroy() closes the cursor.
      void connection.break().catch(() => undefined);
      stream.destroy(abortReason(signal!) as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const normalizer = new RowNormalizer();
    try {
      for await (const row of stream as AsyncIterable<Record<string, unknown>>) {
        yield normalizer.normalize(row);
      }
    } catch (err) {
      if (signal?.aborted) throw abortReason(signal);
      const mapped = toSqlError(err, 'query', this.#ctx);
      if (mapped.code === 'SQL_CONNECTION_LOST') await this.close().catch(() => undefined);
      throw mapped;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (!stream.destroyed) stream.destroy();
      if (this.#connection) this.#connection.callTimeout = this.#conn.callTimeoutMs;
    }
  }

  /** stream()'s rows in arrays of at most fetchSize: the driver hands rows over one by one. */
  async *streamBatches(sql: string, binds?: Binds, options: QueryOptions = {}): AsyncGenerator<SqlRow[], void, undefined> {
    yield* batchesFromRows(this.stream(sql, binds, options), fetchSizeOf(options.fetchSize));
  }

  all(sql: string, binds?: Binds, options?: QueryOptions): Promise<SqlRow[]> {
    return collectRows(this.stream(sql, binds, options));
  }

  async close(): Promise<void> {
    const connection = this.#connection;
    this.#connection = null;
    if (!connection) return;
    try {
      await connection.close();
    } catch (err) {
      throw sqlError('SQL_CONNECTION_LOST', 'closing the connection failed', this.#ctx, err);
    }
  }
}
