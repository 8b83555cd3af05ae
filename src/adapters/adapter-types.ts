/**
 * The small interfaces jobs use to read from systems of record and deliver to vendors.
 * No job imports a driver (oracledb, mssql, pg, ssh2): it asks `ctx.connections` for one of these.
 */

// ---------------------------------------------------------------------------------------------
// SQL sources

/**
 * Row values after normalisation, identical for every driver:
 * - integers and decimals that fit a double → number; larger integers → bigint
 * - character data → string (NULL → null)
 * - DATE / DATETIME / TIMESTAMP without zone → Date whose **UTC fields** hold the stored wall-clock
 *   value (so `toISOString().slice(0, 10)` is the stored date whatever the host zone)
 * - binary → Buffer
 */
export type SqlValue = string | number | bigint | boolean | Date | Buffer | null;
/** Column names are lower-case whatever the driver returned. */
export type SqlRow = Record<string, SqlValue>;
/** Arrays expand into a list of binds (`IN (:ids)`), so no SQL is ever built from values. */
export type BindValue = string | number | bigint | boolean | Date | null | readonly (string | number)[];
export type Binds = Record<string, BindValue>;

export interface QueryOptions {
  /** Abort the statement after this long (SQL_QUERY_TIMEOUT). Default: the connection's. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Rows fetched per round trip (driver hint). */
  fetchSize?: number;
}

/**
 * A read-only source. SQL uses `:name` binds (Oracle style); adapters translate them to the
 * driver's form. Keep statements portable: ANSI joins, no vendor functions, unquoted identifiers.
 */
export interface SqlSource {
  readonly kind: 'oracle' | 'mssql' | 'postgres' | 'pglite';
  /** Safe description for logs: type, host, database, user — never the password. */
  readonly description: string;
  connect(): Promise<void>;
  /** Stream rows with back-pressure; memory stays constant however many rows come back. */
  stream(sql: string, binds?: Binds, options?: QueryOptions): AsyncIterable<SqlRow>;
  /**
   * The rows of stream(), handed over in arrays: one await per batch instead of one per row,
   * which is a large share of the cost of a loop over half a million rows (bench/sql-stream.ts
   * measures both). Same back-pressure and constant memory: the next batch is read only when the
   * caller asks. Batches are never empty and are the caller's to keep; their size is the
   * source's (at most fetchSize rows, except PostgreSQL's COPY path, which hands over the rows
   * of each network read). Leaving the loop early ends the statement as it does for stream().
   */
  streamBatches(sql: string, binds?: Binds, options?: QueryOptions): AsyncIterable<readonly SqlRow[]>;
  /** Convenience for small result sets (lookups). */
  all(sql: string, binds?: Binds, options?: QueryOptions): Promise<SqlRow[]>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// File destinations (SFTP and local directories)

export type DeliveryMode = 'replace' | 'no-overwrite' | 'epoch';

export interface PutResult {
  /** Final remote path. */
  path: string;
  /** 'skipped-exists': no-overwrite mode found the target still present (not consumed yet). */
  status: 'delivered' | 'skipped-exists';
  bytes: number;
}

export interface EpochFile {
  localPath: string;
  /** File name inside the epoch directory. */
  name: string;
}

export interface EpochResult {
  /** The epoch directory created (e.g. /upload/20261122-031500). */
  dir: string;
  files: PutResult[];
  /** Path of the marker written last, or null when no marker was asked for. */
  marker: string | null;
}

export interface RemoteEntry {
  name: string;
  type: 'file' | 'directory' | 'other';
  size: number;
  modifiedAt: Date;
}

export interface FileTarget {
  readonly kind: 'sftp' | 'local';
  /** Safe description for logs: `sftp://user@host:port` or `local:/path`. */
  readonly description: string;
  connect(): Promise<void>;
  /** Atomic replace: upload under a temporary name, then rename over the target. */
  putReplace(localPath: string, remotePath: string): Promise<PutResult>;
  /** Deliver only when the target is absent; never overwrites; never leaves a partial target. */
  putIfAbsent(localPath: string, remotePath: string): Promise<PutResult>;
  /**
   * Create `parentDir/epochName` (must not exist), upload every file into it, then an empty
   * `marker` file last. On failure before the marker, no marker exists.
   */
  putEpoch(parentDir: string, epochName: string, files: EpochFile[], marker: string | null): Promise<EpochResult>;
  list(dir: string): Promise<RemoteEntry[]>;
  exists(remotePath: string): Promise<boolean>;
  /** Download to a local path (written 0600). */
  download(remotePath: string, localPath: string): Promise<{ bytes: number }>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// HTTP

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path (joined to the base URL) or absolute URL. */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string>;
  /** Form body (Moodle) or raw body. */
  form?: URLSearchParams;
  json?: unknown;
  body?: string;
  /** How to read the body. Default 'json'. */
  responseType?: 'json' | 'text' | 'buffer';
  /** Per-request override of the client's timeout. */
  timeoutMs?: number;
  /** Safe to retry after a failure mid-flight (GET default true; POST default false). */
  idempotent?: boolean;
  signal?: AbortSignal;
}

export interface HttpResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

export interface HttpStats {
  requests: number;
  retries: number;
  /** Highest number of requests started within any one-second window. */
  peakPerSecond: number;
}

export interface HttpClient {
  request<T = unknown>(req: HttpRequest): Promise<HttpResponse<T>>;
  stats(): HttpStats;
}

export interface HttpClientOptions {
  /** Name used in errors and logs (the connection name). */
  name: string;
  baseUrl: string;
  timeoutMs: number;
  /** Requests in flight at once. */
  concurrency: number;
  /** Requests started per second across this client (0 = unlimited). */
  ratePerSecond: number;
  /** Retries after the first try, for connection errors, timeouts (idempotent only), 429 and 5xx. */
  retries: number;
  retryDelayMs: number;
  maxRetryDelayMs?: number;
  /** Sent with every request (e.g. `Authorization: apikey ...`). Never logged. */
  headers?: Record<string, string>;
  /** Scrubs secrets from anything the client puts in an error or a log line. */
  redact: (text: string) => string;
  /** Called after every response or failure, with the URL already redacted. */
  onRequest?: (info: { method: string; url: string; status: number | null; ms: number; attempt: number; error?: string }) => void;
}
