import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import type { JobConfig, NamedConnection } from '../config/config-types.js';
import { serializeError } from '../errors/serialize-error.js';
import { SisrelayError } from '../errors/sisrelay-error.js';
import type { PreviousRun } from '../jobs/job-types.js';
import { Redactor } from '../util/redactor.js';
import type { RunSpec } from './protocol.js';
import { retryDelayMs, shouldRetry } from './retry-backoff.js';
import type { RunRecord, RunTrigger } from './run-record.js';
import { withoutStack, type RunStore } from './run-store.js';
import { executeRun } from './spawn-run.js';

/**
 * Runs jobs on request (scheduler ticks, `sisrelay run`, operators): one run at a time per job
 * (overlap policy skip or queue), at most maxConcurrentRuns across jobs, retries of transient
 * failures after backoff, and a bounded shutdown. Every attempt is its own run record; this
 * class never interprets what a job does.
 */

export interface ManagerLogger {
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

export interface RunManagerOptions {
  store: RunStore;
  /** File URL of the module implementing a job type. */
  resolveModule(type: string): URL;
  /** The resolved connections a job declared (secrets included; they travel only over IPC). */
  connectionsFor(job: JobConfig): Record<string, NamedConnection>;
  /** Every secret value in the config; each run gets the ones its connections and params hold. */
  secrets: readonly string[] | (() => readonly string[]);
  dataDir: string;
  logLevel: RunSpec['logLevel'];
  /** Runs in progress across all jobs; further triggers wait for a slot. */
  maxConcurrentRuns: number;
  /** Daemon lifecycle logger (journald): one line per event with job and runId, no student data. */
  logger: ManagerLogger;
  /** @default () => new Date() */
  now?(): Date;
  /** Extra environment for run processes (never secrets). */
  env?: NodeJS.ProcessEnv;
  /** Override the run process entry (tests). */
  childEntry?: URL;
}

export interface TriggerRequest {
  trigger: RunTrigger;
  slot: Date | null;
  dryRun?: boolean;
  force?: boolean;
  /** Resolve only when retries are exhausted or one succeeded (`sisrelay run`). @default false */
  waitForRetries?: boolean;
}

export interface RunManagerEvents {
  started: [record: RunRecord];
  /** Every final record, skipped ones included; a failed one with nextRetryAt set will be retried. */
  finished: [record: RunRecord];
  retryScheduled: [record: RunRecord, at: Date];
  /** A scheduled retry was dropped (shutdown); the record's nextRetryAt is cleared again. */
  retryCancelled: [record: RunRecord];
}

interface ActiveRun {
  /** null while waiting for a concurrency slot. */
  record: RunRecord | null;
  cancel: AbortController;
}

interface PendingRetry {
  record: RunRecord;
  at: Date;
  timer: NodeJS.Timeout;
  settle(go: boolean): void;
}

interface QueuedTrigger {
  job: JobConfig;
  req: TriggerRequest;
  resolve(record: RunRecord): void;
  reject(err: unknown): void;
}

interface JobState {
  active: ActiveRun | null;
  retry: PendingRetry | null;
  queued: QueuedTrigger | null;
}

export class RunManager extends EventEmitter<RunManagerEvents> {
  readonly #opts: RunManagerOptions;
  readonly #now: () => Date;
  readonly #jobs = new Map<string, JobState>();
  /** Everything in flight (chains, skip writes), so shutdown can wait for all of it. */
  readonly #inflight = new Set<Promise<unknown>>();
  readonly #slotWaiters: Array<{ grant(): boolean }> = [];
  #slotsInUse = 0;
  #closing = false;

  constructor(options: RunManagerOptions) {
    super();
    if (!Number.isInteger(options.maxConcurrentRuns) || options.maxConcurrentRuns < 1) {
      throw new SisrelayError('CONFIG_INVALID', `maxConcurrentRuns: expected a positive integer, got ${String(options.maxConcurrentRuns)}`);
    }
    this.#opts = options;
    this.#now = options.now ?? (() => new Date());
  }

  /** Start a run of `job` (see TriggerRequest); resolves with its final record. */
  trigger(job: JobConfig, req: TriggerRequest): Promise<RunRecord> {
    if (this.#closing) {
      return Promise.reject(new SisrelayError('RUN_CANCELLED', `not starting job ${job.name}: the daemon is shutting down`));
    }
    const st = this.#state(job.name);
    if (st.active || st.retry) {
      if (job.overlap === 'queue' && !st.queued) {
        return new Promise((resolve, reject) => {
          st.queued = { job, req, resolve, reject };
        });
      }
      return this.#track(this.#skip(job, req, this.#skipReason(st)));
    }
    return this.#startChain(job, req);
  }

  /** A job has a run in progress, waiting for a slot, or a retry pending. */
  busy(job: string): boolean {
    const st = this.#jobs.get(job);
    return Boolean(st && (st.active || st.retry));
  }

  /** Snapshots of the runs in progress. */
  running(): RunRecord[] {
    const out: RunRecord[] = [];
    for (const st of this.#jobs.values()) {
      if (st.active?.record) out.push(structuredClone(st.active.record));
    }
    return out;
  }

  /**
   * Stop accepting triggers, drop pending retries and queued triggers, let running runs finish
   * for up to graceMs, then cancel them (cancel → SIGTERM → killGraceMs → SIGKILL, recorded as
   * `cancelled`). Resolves when every record is final.
   */
  async shutdown(graceMs: number): Promise<void> {
    this.#closing = true;
    for (const st of this.#jobs.values()) {
      if (st.retry) {
        clearTimeout(st.retry.timer);
        st.retry.settle(false);
      }
      if (st.queued) {
        const q = st.queued;
        st.queued = null;
        this.#track(this.#skip(q.job, q.req, 'skipped: the daemon is shutting down')).then(q.resolve, q.reject);
      }
    }
    for (const w of this.#slotWaiters.splice(0)) w.grant();

    let graceTimer: NodeJS.Timeout | undefined;
    const all = (): Promise<unknown> => Promise.allSettled([...this.#inflight]);
    await Promise.race([all(), new Promise((r) => (graceTimer = setTimeout(r, graceMs)))]);
    clearTimeout(graceTimer);
    for (const st of this.#jobs.values()) {
      if (st.active && !st.active.cancel.signal.aborted) st.active.cancel.abort('shutdown');
    }
    // Chains can add work (a skip written as a slot waiter gives up), so wait until quiet.
    while (this.#inflight.size > 0) await all();
  }

  #state(job: string): JobState {
    let st = this.#jobs.get(job);
    if (!st) {
      st = { active: null, retry: null, queued: null };
      this.#jobs.set(job, st);
    }
    return st;
  }

  #skipReason(st: JobState): string {
    if (st.active?.record) return `skipped: previous run ${st.active.record.runId} still running`;
    if (st.retry) return `skipped: retry of run ${st.retry.record.runId} pending at ${st.retry.at.toISOString()}`;
    if (st.queued) return 'skipped: a run is already queued';
    return 'skipped: previous run still waiting for a free run slot';
  }

  #track<T>(p: Promise<T>): Promise<T> {
    this.#inflight.add(p);
    const drop = (): void => void this.#inflight.delete(p);
    p.then(drop, drop);
    return p;
  }

  #startChain(job: JobConfig, req: TriggerRequest): Promise<RunRecord> {
    const st = this.#state(job.name);
    // Claim the job synchronously, before any await, so a trigger arriving meanwhile sees it busy.
    st.active = { record: null, cancel: new AbortController() };
    let resolveFirst!: (r: RunRecord) => void;
    const first = new Promise<RunRecord>((r) => (resolveFirst = r));

    const chain = (async (): Promise<RunRecord> => {
      let attempt = 1;
      let retryOf: string | null = null;
      let trigger = req.trigger;
      for (;;) {
        const record = await this.#attempt(job, req, st, { attempt, retryOf, trigger });
        st.active = null;
        if (!this.#closing && shouldRetry(record, job.retries)) {
          const at = new Date(this.#now().getTime() + retryDelayMs(record.attempt, job.retries));
          const go = this.#waitForRetry(st, record, at);
          record.nextRetryAt = at.toISOString();
          await this.#opts.store.write(record);
          this.#emitFinished(record);
          this.emit('retryScheduled', record, at);
          this.#opts.logger.warn('run retry scheduled', { job: job.name, runId: record.runId, attempt: record.attempt, at: record.nextRetryAt });
          if (!req.waitForRetries) resolveFirst(record);
          if (!(await go)) {
            record.nextRetryAt = null;
            record.notes.push('retry cancelled: the daemon is shutting down');
            await this.#opts.store.write(record);
            this.emit('retryCancelled', record);
            return record;
          }
          st.active = { record: null, cancel: new AbortController() };
          attempt += 1;
          retryOf = record.runId;
          trigger = 'retry';
          continue;
        }
        this.#emitFinished(record);
        return record;
      }
    })();

    const tracked = this.#track(chain);
    tracked
      .then(resolveFirst, () => undefined)
      .finally(() => {
        st.active = null;
        st.retry = null;
        this.#startQueued(job.name);
      })
      .catch(() => undefined);
    return req.waitForRetries ? tracked : Promise.race([first, tracked]);
  }

  #waitForRetry(st: JobState, record: RunRecord, at: Date): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const delay = Math.max(0, at.getTime() - this.#now().getTime());
      const settle = (go: boolean): void => {
        st.retry = null;
        resolve(go);
      };
      st.retry = { record, at, timer: setTimeout(() => settle(true), delay), settle };
    });
  }

  #startQueued(job: string): void {
    const st = this.#jobs.get(job);
    if (!st || st.active || st.retry || !st.queued) return;
    const q = st.queued;
    st.queued = null;
    if (this.#closing) {
      this.#track(this.#skip(q.job, q.req, 'skipped: the daemon is shutting down')).then(q.resolve, q.reject);
      return;
    }
    this.#startChain(q.job, q.req).then(q.resolve, q.reject);
  }

  /** One attempt: wait for a slot, create the record, run it in a fresh process. */
  async #attempt(
    job: JobConfig,
    req: TriggerRequest,
    st: JobState,
    a: { attempt: number; retryOf: string | null; trigger: RunTrigger },
  ): Promise<RunRecord> {
    const active = st.active!;
    if (!(await this.#acquireSlot(active.cancel.signal))) {
      return this.#skip(job, req, 'skipped: the daemon is shutting down before a run slot was free', false);
    }
    try {
      const { store } = this.#opts;
      const record = await store.create({
        job: job.name,
        type: job.type,
        trigger: a.trigger,
        slot: req.slot,
        attempt: a.attempt,
        retryOf: a.retryOf,
        dryRun: req.dryRun ?? false,
        force: req.force ?? false,
        now: this.#now(),
      });
      active.record = record;
      this.emit('started', structuredClone(record));
      this.#opts.logger.info('run started', { job: job.name, runId: record.runId, attempt: a.attempt, trigger: a.trigger });

      let spec: RunSpec;
      try {
        spec = await this.#spec(job, req, record);
      } catch (err) {
        // An unknown job type or broken connection lookup fails this run, not the daemon. The
        // error comes from code that handles resolved connections, and no run redactor exists yet.
        const e = new Redactor(this.#secrets()).redactValue(serializeError(err));
        record.status = 'failed';
        record.error = withoutStack(e);
        record.finishedAt = this.#now().toISOString();
        record.durationMs = 0;
        await store.appendLog(record, 'error', `runner could not prepare the run: ${e.code}: ${e.message}`);
        await store.write(record);
        this.#logFinished(record);
        return record;
      }
      const final = await executeRun(spec, record, {
        store,
        timeoutMs: job.timeoutMs,
        killGraceMs: job.killGraceMs,
        maxMemoryMb: job.maxMemoryMb,
        env: this.#opts.env,
        childEntry: this.#opts.childEntry,
        cancelSignal: active.cancel.signal,
      });
      this.#logFinished(final);
      return final;
    } finally {
      this.#releaseSlot();
    }
  }

  async #spec(job: JobConfig, req: TriggerRequest, record: RunRecord): Promise<RunSpec> {
    const connections = this.#opts.connectionsFor(job);
    const moduleUrl = this.#opts.resolveModule(job.type);
    const prev = await this.#opts.store.latestSuccess(job.name);
    const previous: PreviousRun | null = prev?.finishedAt ? { runId: prev.runId, finishedAt: prev.finishedAt, counts: prev.counts } : null;
    return {
      runId: record.runId,
      job: job.name,
      type: job.type,
      module: moduleUrl.href,
      params: job.params,
      connections,
      trigger: record.trigger,
      slot: record.slot,
      attempt: record.attempt,
      startedAt: record.startedAt ?? record.createdAt,
      zone: job.timezone,
      dryRun: req.dryRun ?? false,
      force: req.force ?? false,
      runDir: record.runDir,
      filesDir: join(record.runDir, 'files'),
      dataDir: this.#opts.dataDir,
      logLevel: this.#opts.logLevel,
      previous,
      secrets: secretsUsedBy([connections, job.params], this.#secrets()),
    };
  }

  #secrets(): readonly string[] {
    return typeof this.#opts.secrets === 'function' ? this.#opts.secrets() : this.#opts.secrets;
  }

  async #skip(job: JobConfig, req: TriggerRequest, note: string, emit = true): Promise<RunRecord> {
    const record = await this.#opts.store.create({
      job: job.name,
      type: job.type,
      trigger: req.trigger,
      slot: req.slot,
      dryRun: req.dryRun ?? false,
      force: req.force ?? false,
      status: 'skipped',
      notes: [note],
      now: this.#now(),
    });
    await this.#opts.store.appendLog(record, 'info', note);
    this.#opts.logger.info('run skipped', { job: job.name, runId: record.runId, reason: note });
    if (emit) this.#emitFinished(record);
    return record;
  }

  #emitFinished(record: RunRecord): void {
    this.emit('finished', structuredClone(record));
  }

  #logFinished(r: RunRecord): void {
    const meta = { job: r.job, runId: r.runId, status: r.status, code: r.error?.code, durationMs: r.durationMs, counts: r.counts };
    if (r.status === 'succeeded') this.#opts.logger.info('run finished', meta);
    else if (r.status === 'cancelled') this.#opts.logger.warn('run finished', meta);
    else this.#opts.logger.error('run finished', meta);
  }

  #acquireSlot(signal: AbortSignal): Promise<boolean> {
    if (this.#slotsInUse < this.#opts.maxConcurrentRuns && !this.#closing) {
      this.#slotsInUse += 1;
      return Promise.resolve(true);
    }
    if (this.#closing) return Promise.resolve(false);
    return new Promise((resolve) => {
      this.#slotWaiters.push({
        grant: () => {
          if (this.#closing || signal.aborted) {
            resolve(false);
            return false;
          }
          this.#slotsInUse += 1;
          resolve(true);
          return true;
        },
      });
    });
  }

  #releaseSlot(): void {
    this.#slotsInUse -= 1;
    // Hand the slot to the first waiter that still wants it.
    for (let w = this.#slotWaiters.shift(); w; w = this.#slotWaiters.shift()) {
      if (w.grant()) break;
    }
  }
}

/** The secrets that appear in a run's connections or params: the only ones its process gets. */
export function secretsUsedBy(values: unknown[], secrets: readonly string[]): string[] {
  const strings: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') strings.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') Object.values(v).forEach(walk);
  };
  values.forEach(walk);
  return secrets.filter((s) => s.length > 0 && strings.some((str) => str.includes(s)));
}
