import {
  FILE_CONNECTION_TYPES,
  SQL_CONNECTION_TYPES,
  type ConnectionType,
  type NamedConnection,
} from '../config/config-types.js';
import { SisrelayError } from '../errors/sisrelay-error.js';
import type { Connections, JobLogger } from '../jobs/job-types.js';
import type { Redactor } from '../util/redactor.js';
import type { FileTarget, HttpClient, HttpClientOptions, SqlSource } from './adapter-types.js';

/**
 * `ctx.connections` inside a run process. Adapter modules are imported only when a job asks for
 * one, so a run that only reads PostgreSQL never pays for loading oracledb, mssql or ssh2
 * (run start time matters: it is paid on every run).
 */

type SqlModule = { openSqlSource(conn: NamedConnection, opts: { redactor: Redactor }): SqlSource };
type FilesModule = { openFileTarget(conn: NamedConnection, opts: { redactor: Redactor; log: JobLogger }): FileTarget };
type HttpModule = { createHttpClient(options: HttpClientOptions): HttpClient };

export interface ConnectionsOptions {
  redactor: Redactor;
  log: JobLogger;
  /** Once aborted, no new connection is opened (the run is being cancelled). */
  signal: AbortSignal;
  /** Module loaders, replaceable in tests. @default dynamic imports of the adapter modules */
  loaders?: {
    sql?: () => Promise<SqlModule>;
    files?: () => Promise<FilesModule>;
    http?: () => Promise<HttpModule>;
  };
}

const HTTP_CONNECTION_TYPES = ['moodle', 'alma', 'slack'] as const satisfies readonly ConnectionType[];

export function createConnections(connections: Record<string, NamedConnection>, opts: ConnectionsOptions): Connections {
  const loadSql = opts.loaders?.sql ?? (() => import('./sql/open-sql-source.js') as Promise<SqlModule>);
  const loadFiles = opts.loaders?.files ?? (() => import('./files/open-file-target.js') as Promise<FilesModule>);
  const loadHttp = opts.loaders?.http ?? (() => import('./http/http-client.js') as Promise<HttpModule>);

  const sqlCache = new Map<string, Promise<SqlSource>>();
  const filesCache = new Map<string, Promise<FileTarget>>();
  const httpCache = new Map<string, Promise<HttpClient>>();

  function config<T extends ConnectionType>(name: string, ...types: T[]): NamedConnection<Extract<NamedConnection, { type: T }>> {
    const conn = Object.hasOwn(connections, name) ? connections[name] : undefined;
    if (!conn) {
      const declared = Object.keys(connections);
      throw new SisrelayError(
        'CONFIG_INVALID',
        `job uses connection ${JSON.stringify(name)} which it did not declare (declared: ${declared.length ? declared.join(', ') : 'none'})`,
      );
    }
    if (types.length > 0 && !(types as ConnectionType[]).includes(conn.type)) {
      throw new SisrelayError(
        'CONFIG_INVALID',
        `connection ${JSON.stringify(name)} is of type ${conn.type}; this use expects ${types.join(' or ')}`,
      );
    }
    return conn as NamedConnection<Extract<NamedConnection, { type: T }>>;
  }

  function cached<T>(cache: Map<string, Promise<T>>, name: string, open: () => Promise<T>): Promise<T> {
    const hit = cache.get(name);
    if (hit) return hit;
    if (opts.signal.aborted) {
      return Promise.reject(
        new SisrelayError('RUN_CANCELLED', `connection ${JSON.stringify(name)} not opened: the run is being cancelled`),
      );
    }
    const p = open();
    cache.set(name, p);
    // A failed load must not poison the name for the rest of the run.
    p.catch(() => {
      if (cache.get(name) === p) cache.delete(name);
    });
    return p;
  }

  return {
    config,

    sql(name) {
      return cached(sqlCache, name, async () => {
        const conn = config(name, ...SQL_CONNECTION_TYPES);
        const { openSqlSource } = await loadSql();
        return openSqlSource(conn, { redactor: opts.redactor });
      });
    },

    files(name) {
      return cached(filesCache, name, async () => {
        const conn = config(name, ...FILE_CONNECTION_TYPES);
        const { openFileTarget } = await loadFiles();
        return openFileTarget(conn, { redactor: opts.redactor, log: opts.log });
      });
    },

    http(name) {
      return cached(httpCache, name, async () => {
        const conn = config(name, ...HTTP_CONNECTION_TYPES);
        const { createHttpClient } = await loadHttp();
        return createHttpClient(httpOptionsFor(conn, opts));
      });
    },

    async closeAll() {
      const closers: Array<Promise<{ close(): Promise<void>; description: string }>> = [
        ...sqlCache.values(),
        ...filesCache.values(),
      ];
      sqlCache.clear();
      filesCache.clear();
      httpCache.clear();
      // One after another, and keep going: a failing close must not leave the others open.
      for (const pending of closers) {
        let target: { close(): Promise<void>; description: string };
        try {
          target = await pending;
        } catch {
          continue; // never opened
        }
        try {
          await target.close();
        } catch (err) {
          opts.log.warn('closing a connection failed', {
            connection: target.description,
            error: opts.redactor.redact(err instanceof Error ? err.message : String(err)),
          });
        }
      }
    },
  };
}

/** HTTP client options from a moodle/alma/slack connection. Exported for tests. */
export function httpOptionsFor(
  conn: NamedConnection<Extract<NamedConnection, { type: 'moodle' | 'alma' | 'slack' }>>,
  opts: Pick<ConnectionsOptions, 'redactor' | 'log'>,
): HttpClientOptions {
  const redact = (text: string): string => opts.redactor.redact(text);
  const onRequest: HttpClientOptions['onRequest'] = (info) => {
    opts.log.debug('http request', { connection: conn.name, ...info });
  };
  if (conn.type === 'slack') {
    // The webhook URL is the credential; the client never logs it unredacted.
    return {
      name: conn.name,
      baseUrl: conn.webhookUrl,
      timeoutMs: conn.timeoutMs,
      concurrency: 1,
      ratePerSecond: 1,
      retries: 2,
      retryDelayMs: 1000,
      redact,
      onRequest,
    };
  }
  return {
    name: conn.name,
    baseUrl: conn.url,
    timeoutMs: conn.timeoutMs,
    concurrency: conn.concurrency,
    ratePerSecond: conn.ratePerSecond,
    retries: conn.retries,
    retryDelayMs: conn.retryDelayMs,
    // Moodle authenticates by a `wstoken` form/query field, which the Moodle job adds itself
    // from config(name).token; there is no header form.
    ...(conn.type === 'alma' ? { headers: { Authorization: `apikey ${conn.apiKey}`, Accept: 'application/json' } } : {}),
    redact,
    onRequest,
  };
}
