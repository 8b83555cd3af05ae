import type { ConnectionPool, IColumnMetadata, ISqlType, Request, config as MssqlConfig } from 'mssql';
import type { MssqlConnection, NamedConnection } from '../../config/config-types.js';
import type { Redactor } from '../../util/redactor.js';
import type { Binds, QueryOptions, SqlRow, SqlSource, SqlValue } from '../adapter-types.js';
import { translateBinds, type ScalarBind } from './named-binds.js';
import { RowNormalizer, integerFromString, toSqlValue } from './normalize-row.js';
import { abortReason, batchesFromRows, collectRows, fetchSizeOf } from './source-support.js';
import { describeConnection, safeDriverText, sqlError, toSqlError, type SqlErrorContext } from './sql-errors.js';
import { PACKET_NAMES, guardedConnector, type TdsGuardState } from './tds-encryption-guard.js';

type MssqlModule = typeof import('mssql');
type SqlTypeFactory = (() => ISqlType) | ISqlType;

const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;
const NVARCHAR_INLINE_MAX = 4000;

/**
 * SQL Server type for a bind value. Explicit types instead of mssql's guessing: a guessed
 * NVARCHAR(MAX) defeats index seeks, and a JS number guessed as INT overflows on an ID past 2^31.
 */
export function mssqlTypeFor(sql: MssqlModule, value: ScalarBind): SqlTypeFactory {
  if (value === null) return sql.NVarChar(NVARCHAR_INLINE_MAX);
  switch (typeof value) {
    case 'string':
      return sql.NVarChar(value.length <= NVARCHAR_INLINE_MAX ? NVARCHAR_INLINE_MAX : sql.MAX);
    case 'number':
      if (Number.isInteger(value)) return value >= INT32_MIN && value <= INT32_MAX ? sql.Int : sql.BigInt;
      return sql.Float;
    case 'bigint':
      return sql.BigInt;
    case 'boolean':
      return sql.Bit;
    default:
      // Date: DATETIME2 from the UTC fields (tedious useUTC), the wall clock the rows promise.
      return sql.DateTime2(3);
  }
}

/** Rows buffered before the request is paused; it resumes once the consumer takes half. */
function highWater(fetchSize: number): number {
  return Math.max(16, fetchSize);
}

export class MssqlSource implements SqlSource {
  readonly kind = 'mssql' as const;
  readonly description: string;
  readonly #conn: NamedConnection<MssqlConnection>;
  readonly #ctx: SqlErrorContext;
  #sql: MssqlModule | null = null;
  #pool: ConnectionPool | null = null;
  #connecting: Promise<void> | null = null;
  /** Guard state of the most recent socket (encrypt: true only). */
  #guard: TdsGuardState | null = null;

  constructor(conn: NamedConnection<MssqlConnection>, opts: { redactor: Redactor }) {
    this.#conn = conn;
    this.#ctx = {
      facts: { name: conn.name, type: 'mssql', host: conn.server, port: conn.port, database: conn.database, user: conn.user },
      redactor: opts.redactor,
      secrets: [conn.password],
    };
    this.description = describeConnection(this.#ctx.facts);
  }

  #config(): MssqlConfig {
    const c = this.#conn;
    return {
      server: c.server,
      port: c.port,
      database: c.database,
      user: c.user,
      password: c.password,
      connectionTimeout: c.connectTimeoutMs,
      requestTimeout: c.requestTimeoutMs,
      // One connection serves the run; no idle pool to babysit. Validate by socket state, not
      // by a `SELECT 1` round trip on every acquire.
      pool: { min: 0, max: 1, idleTimeoutMillis: 30_000 },
      validateConnection: 'socket',
      options: {
        encrypt: c.encrypt as boolean,
        trustServerCertificate: c.trustServerCertificate,
        // Dates travel as their UTC fields both ways: rows get wall-clock-in-UTC Dates.
        useUTC: true,
        appName: 'sisrelay',
        ...(c.encrypt === true ? { connector: guardedConnector((s) => (this.#guard = s)) as never } : {}),
      },
    };
  }

  async connect(): Promise<void> {
    if (this.#pool) return;
    this.#connecting ??= this.#open().finally(() => {
      this.#connecting = null;
    });
    return this.#connecting;
  }

  async #open(): Promise<void> {
    const sql = (this.#sql ??= (await import('mssql')).default);
    this.#guard = null;
    const pool = new sql.ConnectionPool(this.#config());
    // Errors of idle connections surface on the pool; without a listener they would crash the run.
    pool.on('error', () => undefined);
    try {
      await pool.connect();
    } catch (err) {
      await pool.close().catch(() => undefined);
      throw this.#downgradeError(err) ?? toSqlError(err, 'connect', this.#ctx);
    }
    if (this.#conn.encrypt === true && this.#guard !== null && !(this.#guard as TdsGuardState).tls) {
      // Unreachable while the guard works (it blocks LOGIN7 first); kept so a future tedious that
      // bypasses the connector's socket cannot silently log in without TLS.
      await pool.close().catch(() => undefined);
      throw sqlError('SQL_ENCRYPTION_REQUIRED', 'the connection was set up without TLS although encrypt is true', this.#ctx);
    }
    this.#pool = pool;
  }

  #downgradeError(cause: unknown): Error | null {
    const g = this.#guard;
    if (!g || g.blockedPacketType === null) return null;
    const packet = PACKET_NAMES[g.blockedPacketType] ?? `0x${g.blockedPacketType.toString(16)}`;
    return sqlError(
      'SQL_ENCRYPTION_REQUIRED',
      `encrypt is true but the server answered PRELOGIN with encryption ${g.serverEncryption ?? 'unknown'}; ` +
        `the ${packet} packet (with the credentials) was not sent`,
      this.#ctx,
      undefined,
      { serverEncryption: g.serverEncryption, cause: cause instanceof Error ? safeDriverText(cause.message, this.#ctx) : undefined },
    );
  }

  async *stream(sqlText: string, binds?: Binds, options: QueryOptions = {}): AsyncGenerator<SqlRow> {
    const { signal } = options;
    const q = translateBinds(sqlText, binds, 'mssql');
    const hw = highWater(fetchSizeOf(options.fetchSize));
    signal?.throwIfAborted();
    await this.connect();
    const sql = this.#sql!;
    const pool = this.#pool!;
    const RequestCtor = sql.Request as unknown as new (p: ConnectionPool, o: { requestTimeout?: number }) => Request;
    const request = new RequestCtor(pool, { requestTimeout: options.timeoutMs ?? this.#conn.requestTimeoutMs });
    request.stream = true;
    for (const [name, value] of Object.entries(q.named)) {
      request.input(name, mssqlTypeFor(sql, value), value);
    }

    const queue: SqlRow[] = [];
    let failure: unknown = null;
    let finished = false;
    let paused = false;
    let wake: (() => void) | null = null;
    const notify = (): void => {
      const w = wake;
      wake = null;
      w?.();
    };
    let normalizer = new RowNormalizer();

    request.on('recordset', (columns: IColumnMetadata) => {
      const big = new Set(
        Object.values(columns)
          .filter((c) => c.type === sql.BigInt)
          .map((c) => c.name.toLowerCase()),
      );
      // tedious returns BIGINT as text; make it a number (or bigint past 2^53) like the other drivers.
      normalizer = new RowNormalizer((v, key): SqlValue => (big.has(key) && typeof v === 'string' ? integerFromString(v) : toSqlValue(v)));
    });
    request.on('row', (row: Record<string, unknown>) => {
      try {
        queue.push(normalizer.normalize(row));
      } catch (err) {
        failure ??= err;
      }
      if (queue.length >= hw && !paused) {
        paused = true;
        request.pause();
      }
      notify();
    });
    request.on('error', (err: unknown) => {
      failure ??= err;
      notify();
    });
    request.on('done', () => {
      finished = true;
      notify();
    });

    const onAbort = (): void => notify();
    signal?.addEventListener('abort', onAbort, { once: true });
    let completed = false;
    try {
      void request.query(q.sql);
      for (;;) {
        if (signal?.aborted) throw abortReason(signal);
        const row = queue.shift();
        if (row !== undefined) {
          if (paused && queue.length <= hw / 2) {
            paused = false;
            request.resume();
          }
          yield row;
          continue;
        }
        if (failure !== null) throw failure;
        if (finished) break;
        await new Promise<void>((resolve) => (wake = resolve));
      }
      completed = true;
    } catch (err) {
      if (signal?.aborted) throw abortReason(signal);
      // A pooled reconnect is guarded too; its refusal surfaces here as a lost socket.
      const downgrade = this.#downgradeError(err);
      if (downgrade) throw downgrade;
      const mapped = toSqlError(err, 'query', this.#ctx);
      if (mapped.code === 'SQL_CONNECTION_LOST') await this.close().catch(() => undefined);
      throw mapped;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (!completed && !finished && failure === null) {
        // Early exit: stop the server (ATTENTION) instead of reading the rest, and wait until
        // the connection is back in the pool so the next statement can use it.
        const ended = new Promise<void>((resolve) => {
          request.once('done', () => resolve());
          request.once('error', () => resolve());
          setTimeout(resolve, 5000).unref();
        });
        if (paused) request.resume();
        request.cancel();
        await ended;
      }
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
    const pool = this.#pool;
    this.#pool = null;
    if (!pool) return;
    try {
      await pool.close();
    } catch (err) {
      throw sqlError('SQL_CONNECTION_LOST', 'closing the connection failed', this.#ctx, err);
    }
  }
}
