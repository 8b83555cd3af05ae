import type { SerializedError } from '../errors/serialize-error.js';

/**
 * A run record: one JSON file per run (`<stateDir>/runs/<job>/<runId>/record.json`), written
 * atomically (temp file, fsync, rename) by the parent at every state change, so a daemon killed
 * at any instant leaves either the previous or the next version, never a torn file.
 */

export type RunStatus =
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'timed_out'
  | 'cancelled'
  | 'skipped'
  | 'interrupted';

export const FINAL_STATUSES: readonly RunStatus[] = ['succeeded', 'failed', 'timed_out', 'cancelled', 'skipped', 'interrupted'];

/** Why the run exists. */
/**
 * The note of a run whose process was killed after it reported how the job ended: the record
 * keeps the reported outcome (spawn-run.ts), and audits recognise the case by this note.
 */
export function killedAfterReportingNote(signal: string): string {
  return `the run process was killed by ${signal} after it reported its outcome`;
}

export type RunTrigger = 'schedule' | 'catchup' | 'start' | 'manual' | 'retry';

/** A file the run produced (a local copy in the run's files/ directory, mode 0600). */
export interface FileRecord {
  name: string;
  path: string;
  bytes: number;
  sha256: string;
  rows?: number;
}

/** One delivery attempt's outcome. */
export interface DeliveryRecord {
  /** Connection name from config. */
  connection: string;
  /** Final remote path (or epoch directory). */
  target: string;
  mode: 'replace' | 'no-overwrite' | 'epoch' | 'webservice' | 'email' | 'slack';
  status: 'delivered' | 'skipped-exists' | 'dry-run' | 'held' | 'failed';
  bytes?: number;
  note?: string;
}

/** Per-item outcome (e.g. each enrol/unenrol in Moodle webservice mode). */
export interface ItemResult {
  item: string;
  action: string;
  status: 'ok' | 'failed' | 'skipped';
  message?: string;
}

export interface RunRecord {
  version: 1;
  runId: string;
  job: string;
  type: string;
  trigger: RunTrigger;
  /** The scheduled instant this run serves (ISO), null for manual runs. */
  slot: string | null;
  /** 1 for the first attempt; retries count up and point back with retryOf. */
  attempt: number;
  retryOf: string | null;
  status: RunStatus;
  dryRun: boolean;
  force: boolean;
  /** ISO instants. */
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  host: string;
  pid: number | null;
  /** Named counts the job reported (rows_read, rows_written, students, ...). */
  counts: Record<string, number>;
  files: FileRecord[];
  deliveries: DeliveryRecord[];
  items: ItemResult[];
  notes: string[];
  error: Omit<SerializedError, 'stack'> | null;
  exit: { code: number | null; signal: string | null } | null;
  /** Absolute paths. */
  runDir: string;
  logFile: string;
  /** When a retry of this failed attempt is scheduled (ISO), if one is. */
  nextRetryAt: string | null;
}
