/**
 * Runs a job module in the test process against real connections, with a JobContext built the
 * way the run process builds it: `createConnections` over the given named connections, a temp
 * run directory (0700) with files/ (0700), a log collector and a report collector. Generic: any
 * job type (PowerSchool, Moodle, Leganto) can be run through it.
 *
 *   const r = await runJobInProcess({ module: littlesisJob, params, connections: { ps: pgConn, ls: sftpConn } });
 *   expect(r.error).toBeUndefined();
 *   expect(r.report.counts.rows_written).toBe(12);
 *   await r.cleanup();
 *
 * The error (if the job threw) is returned, not thrown, so a test can assert on failed runs too.
 * Connections are always closed, whatever the outcome.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createConnections, type ConnectionsOptions } from '../../src/adapters/connections.js';
import type { NamedConnection } from '../../src/config/config-types.js';
import type { JobContext, JobLogger, JobModule, PreviousRun, RunReport } from '../../src/jobs/job-types.js';
import type { DeliveryRecord, FileRecord, ItemResult, RunTrigger } from '../../src/runner/run-record.js';
import { Redactor } from '../../src/util/redactor.js';

export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  meta?: Record<string, unknown>;
  /** Milliseconds since the harness started the run. */
  ms: number;
}

export interface CollectedReport {
  counts: Record<string, number>;
  files: FileRecord[];
  deliveries: DeliveryRecord[];
  notes: string[];
  items: ItemResult[];
}

export interface RunJobOptions<P> {
  /** The job module itself, or a URL / path to import its default export from. */
  module: JobModule<P> | URL | string;
  params: P;
  /** Named connections the job may use (keys are the names its params refer to). */
  connections: Record<string, NamedConnection>;
  previous?: PreviousRun | null;
  force?: boolean;
  dryRun?: boolean;
  /** Run start (the job derives "today" and time-stamped names from it). Default: now. */
  startedAt?: Date;
  /** The job's IANA zone. Default 'UTC'. */
  zone?: string;
  job?: string;
  type?: string;
  trigger?: RunTrigger;
  /** Default: the run directory. */
  dataDir?: string;
  /** Abort to cancel the run mid-way. */
  signal?: AbortSignal;
  /** Override adapter loaders (e.g. to inject a fake file target). */
  loaders?: ConnectionsOptions['loaders'];
  /** Parent of the temp run directory. Default: os.tmpdir(). */
  tmpRoot?: string;
}

export interface JobRunResult {
  report: CollectedReport;
  /** Every log line as `level message key=value ...`, redacted like a run log. */
  logs: string[];
  entries: LogEntry[];
  /** What the job threw, if it failed. */
  error?: unknown;
  runDir: string;
  filesDir: string;
  ms: number;
  /** Removes the run directory. */
  cleanup(): Promise<void>;
}

/** Secret-looking fields of any connection type, for the redactor. */
const SECRET_FIELDS = ['password', 'privateKey', 'passphrase', 'token', 'apiKey', 'webhookUrl'];

export function connectionSecrets(connections: Record<string, NamedConnection>): string[] {
  const out: string[] = [];
  for (const c of Object.values(connections)) {
    for (const f of SECRET_FIELDS) {
      const v = (c as unknown as Record<string, unknown>)[f];
      if (typeof v === 'string' && v !== '') out.push(v);
    }
  }
  return out;
}

function formatMeta(meta?: Record<string, unknown>): string {
  if (!meta) return '';
  const parts = Object.entries(meta).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return parts.length ? ` ${parts.join(' ')}` : '';
}

async function loadModule<P>(m: JobModule<P> | URL | string): Promise<JobModule<P>> {
  if (typeof m === 'object' && !(m instanceof URL)) return m;
  const mod = (await import(m instanceof URL ? m.href : m)) as { default?: JobModule<P> };
  if (typeof mod.default?.run !== 'function') throw new Error(`job module ${String(m)} has no default export with run()`);
  return mod.default;
}

export async function runJobInProcess<P>(opts: RunJobOptions<P>): Promise<JobRunResult> {
  const runDir = await mkdtemp(join(opts.tmpRoot ?? tmpdir(), 'sisrelay-jobrun-'));
  const filesDir = join(runDir, 'files');
  await mkdir(filesDir, { mode: 0o700 });

  const redactor = new Redactor(connectionSecrets(opts.connections));
  const entries: LogEntry[] = [];
  const logs: string[] = [];
  const t0 = performance.now();
  const push = (level: LogEntry['level']) => (message: string, meta?: Record<string, unknown>) => {
    const safeMessage = redactor.redact(message);
    const safeMeta = meta ? (redactor.redactValue(meta) as Record<string, unknown>) : undefined;
    const ms = Math.round(performance.now() - t0);
    entries.push(safeMeta ? { level, message: safeMessage, meta: safeMeta, ms } : { level, message: safeMessage, ms });
    logs.push(`${level} ${safeMessage}${formatMeta(safeMeta)}`);
  };
  const log: JobLogger = { debug: push('debug'), info: push('info'), warn: push('warn'), error: push('error') };

  const report: CollectedReport = { counts: {}, files: [], deliveries: [], notes: [], items: [] };
  const reporter: RunReport = {
    count: (name, value) => void (report.counts[name] = value),
    file: (file) => void report.files.push(file),
    delivery: (d) => void report.deliveries.push(d),
    items: (items) => void report.items.push(...items),
    note: (text) => void report.notes.push(redactor.redact(text)),
  };

  const abort = new AbortController();
  const onAbort = () => abort.abort(opts.signal?.reason);
  if (opts.signal?.aborted) onAbort();
  else opts.signal?.addEventListener('abort', onAbort, { once: true });

  const connections = createConnections(opts.connections, {
    redactor,
    log,
    signal: abort.signal,
    ...(opts.loaders ? { loaders: opts.loaders } : {}),
  });

  const ctx: JobContext = {
    runId: `test-${randomBytes(4).toString('hex')}`,
    job: opts.job ?? 'test-job',
    type: opts.type ?? 'test',
    trigger: opts.trigger ?? 'manual',
    slot: null,
    attempt: 1,
    startedAt: opts.startedAt ?? new Date(),
    zone: opts.zone ?? 'UTC',
    dryRun: opts.dryRun ?? false,
    force: opts.force ?? false,
    runDir,
    filesDir,
    dataDir: opts.dataDir ?? runDir,
    log,
    signal: abort.signal,
    connections,
    previous: opts.previous ?? null,
    report: reporter,
    redact: (text) => redactor.redact(text),
  };

  const started = Date.now();
  let error: unknown;
  try {
    const job = await loadModule(opts.module);
    await job.run(ctx, opts.params);
  } catch (err) {
    error = err;
  } finally {
    await connections.closeAll();
    opts.signal?.removeEventListener('abort', onAbort);
  }
  const result: JobRunResult = {
    report,
    logs,
    entries,
    runDir,
    filesDir,
    ms: Date.now() - started,
    cleanup: () => rm(runDir, { recursive: true, force: true }),
  };
  if (error !== undefined) result.error = error;
  return result;
}
