import type { Schema } from 'convict';
import type { ConfigProblem, ConnectionType, NamedConnection } from '../config/config-types.js';
import type { FileTarget, HttpClient, SqlSource } from '../adapters/adapter-types.js';
import type { DeliveryRecord, FileRecord, ItemResult, RunTrigger } from '../runner/run-record.js';

/**
 * The contract between the runner and a job. A job module's default export is a JobModule; it
 * runs inside a fresh run process, reads through `ctx.connections`, logs through `ctx.log`,
 * reports counts/files/deliveries through `ctx.report`, and throws SisrelayError to fail.
 * Jobs know nothing about the daemon that started them.
 */

export interface JobLogger {
  debug(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

/** What the job tells the runner as it goes; every call lands in the run record. */
export interface RunReport {
  /** Set a named count (rows_read, rows_written, students, adds, drops, ...). */
  count(name: string, value: number): void;
  /** A file produced in the run's files/ directory. */
  file(file: FileRecord): void;
  delivery(delivery: DeliveryRecord): void;
  items(items: ItemResult[]): void;
  /** A one-line note for the record and the status line ("nothing to send: no current term"). */
  note(text: string): void;
}

/** The last successful run of this job, for guards that compare against it. */
export interface PreviousRun {
  runId: string;
  finishedAt: string;
  counts: Record<string, number>;
}

export interface Connections {
  /** The resolved config of a connection the job declared (throws for an undeclared name). */
  config<T extends ConnectionType>(name: string, ...types: T[]): NamedConnection<Extract<NamedConnection, { type: T }>>;
  sql(name: string): Promise<SqlSource>;
  files(name: string): Promise<FileTarget>;
  http(name: string): Promise<HttpClient>;
  /** Close everything opened through this object (the runner calls it after the job). */
  closeAll(): Promise<void>;
}

export interface JobContext {
  readonly runId: string;
  readonly job: string;
  readonly type: string;
  readonly trigger: RunTrigger;
  /** The scheduled instant this run serves; null for manual runs. */
  readonly slot: Date | null;
  readonly attempt: number;
  /** Run start; jobs use it (not Date.now()) for file names and "today". */
  readonly startedAt: Date;
  /** The job's IANA zone (for "today" and time-stamped file names). */
  readonly zone: string;
  /** Produce files, deliver nothing. */
  readonly dryRun: boolean;
  /** Override guards for this run (`--force`). */
  readonly force: boolean;
  readonly runDir: string;
  /** Where local copies go (created, mode 0700; files inside must be 0600). */
  readonly filesDir: string;
  /** The daemon's data directory (data/mappings lives under it). */
  readonly dataDir: string;
  readonly log: JobLogger;
  /** Aborted when the run is cancelled or timed out; long loops should check it. */
  readonly signal: AbortSignal;
  readonly connections: Connections;
  readonly previous: PreviousRun | null;
  readonly report: RunReport;
  /** Secret values of this run's connections, for jobs that must redact free text themselves. */
  redact(text: string): string;
}

export interface JobModule<P = Record<string, unknown>> {
  run(ctx: JobContext, params: P): Promise<void>;
}

/** A connection reference found in a job's params. */
export interface ConnectionUse {
  /** Params key path holding the name, for error messages (e.g. `source`). */
  param: string;
  name: string;
  /** Connection types acceptable there. */
  types: readonly ConnectionType[];
}

/**
 * What the config loader and CLI know about a job type, without loading its code.
 * `module` points at the job implementation; only the run process imports it.
 */
export interface JobTypeDescriptor<P = any> {
  type: string;
  summary: string;
  /** convict schema of the job's `params` block (strict: unknown keys are errors). */
  params: Schema<P>;
  /** The connections the params name, checked against `connections` at load. */
  connections(params: P): ConnectionUse[];
  /** Cross-field and file checks after the schema passed (mapping files, tables). */
  validate?(params: P, env: { dataDir: string; baseDir: string }): ConfigProblem[];
  /** File URL of the module whose default export is the JobModule. */
  module: URL;
}

export type JobCatalog = ReadonlyMap<string, JobTypeDescriptor>;
