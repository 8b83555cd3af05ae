import type { NamedConnection } from '../config/config-types.js';
import type { SerializedError } from '../errors/serialize-error.js';
import type { PreviousRun } from '../jobs/job-types.js';
import type { DeliveryRecord, FileRecord, ItemResult, RunTrigger } from './run-record.js';

/**
 * Messages between the runner (parent) and a run process (child), over Node's IPC channel.
 * Closed unions: adding a message is a compile error until both sides handle it.
 * Secrets travel only here (never in argv or the environment, which `ps` and /proc show).
 */

export interface RunSpec {
  runId: string;
  job: string;
  type: string;
  /** File URL of the job module (from the job catalog). */
  module: string;
  params: Record<string, unknown>;
  /** Only the connections this job uses, secrets resolved. */
  connections: Record<string, NamedConnection>;
  trigger: RunTrigger;
  slot: string | null;
  attempt: number;
  startedAt: string;
  zone: string;
  dryRun: boolean;
  force: boolean;
  runDir: string;
  filesDir: string;
  dataDir: string;
  logLevel: 'error' | 'warn' | 'info' | 'debug';
  previous: PreviousRun | null;
  /** Values to redact from everything the child writes. */
  secrets: string[];
}

export type ToChild =
  | { type: 'start'; spec: RunSpec }
  /** Cooperative cancel: the child aborts ctx.signal; the parent still escalates to SIGKILL. */
  | { type: 'cancel'; reason: 'timeout' | 'shutdown' | 'operator' };

export type FromChild =
  | { type: 'ready' }
  | { type: 'count'; name: string; value: number }
  | { type: 'file'; file: FileRecord }
  | { type: 'delivery'; delivery: DeliveryRecord }
  | { type: 'items'; items: ItemResult[] }
  | { type: 'note'; text: string }
  | { type: 'done' }
  | { type: 'failed'; error: SerializedError };

/** Written by the child into the run directory just before it exits, so a record can be
 * finalised truthfully even when the daemon died before it heard the result. */
export interface ChildResult {
  runId: string;
  outcome: 'succeeded' | 'failed';
  error: SerializedError | null;
  finishedAt: string;
  /** What the run reported (additive): lets recovery finalise counts and files too. */
  report?: ChildReportSummary;
}

export interface ChildReportSummary {
  counts: Record<string, number>;
  files: FileRecord[];
  deliveries: DeliveryRecord[];
  items: ItemResult[];
  notes: string[];
}

export function isFromChild(msg: unknown): msg is FromChild {
  if (typeof msg !== 'object' || msg === null) return false;
  const t = (msg as { type?: unknown }).type;
  return (
    t === 'ready' || t === 'count' || t === 'file' || t === 'delivery' || t === 'items' || t === 'note' ||
    t === 'done' || t === 'failed'
  );
}
