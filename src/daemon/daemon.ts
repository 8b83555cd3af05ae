import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { createTask, type ScheduledTask } from 'node-cron';
import { ConfigError, loadConfig } from '../config/load-config.js';
import type { Config, JobConfig } from '../config/config-types.js';
import { jobConnections } from '../config/job-connections.js';
import { isSisrelayError } from '../errors/sisrelay-error.js';
import type { JobCatalog } from '../jobs/job-types.js';
import { Notifier } from '../notify/notifier.js';
import { deadlineAlert, failureAlert, successAlert } from '../notify/alert-message.js';
import { createDaemonLogger, type DaemonLogger } from '../observability/daemon-logger.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import { startHealthServer, type HealthServer } from '../observability/health-server.js';
import { cleanupRuns } from '../runner/retention.js';
import { RunManager } from '../runner/run-manager.js';
import type { RunRecord, RunTrigger } from '../runner/run-record.js';
import { RunStore } from '../runner/run-store.js';
import { Scheduler, type ScheduleEntry } from '../scheduler/scheduler.js';
import { deadlineVerdict } from '../scheduler/deadline.js';
import { formatDuration } from '../util/duration.js';
import { Redactor } from '../util/redactor.js';
import { watchConfigFile } from './config-watcher.js';
import { PidLock } from './pid-lock.js';
import { startSandbox, type SandboxHandle } from './sandbox-process.js';

export interface DaemonOptions {
  configFile: string;
  catalog: JobCatalog;
  env?: NodeJS.ProcessEnv;
  /** Reload on config file changes too (`--watch`), in addition to daemon.watchConfig. */
  watch?: boolean;
  /** Log lifecycle lines to stdout (journald). Default true. */
  console?: boolean;
  now?: () => Date;
}

/** Statuses that raise a failure alert once no retry is pending. */
const ALERT_STATUSES = new Set(['failed', 'timed_out', 'interrupted']);

/**
 * The long-running service: scheduler → runner, plus alerts, metrics, retention, reload and
 * shutdown. Composition only; the scheduling maths, run isolation and job logic live elsewhere,
 * and this file imports no job code (the catalog gives module URLs the run process imports).
 */
export class Daemon {
  readonly #opts: DaemonOptions;
  readonly #now: () => Date;
  readonly #redactor = new Redactor();
  #config!: Config;
  #generation = 0;
  #log!: DaemonLogger;
  #store!: RunStore;
  #runs!: RunManager;
  #scheduler!: Scheduler;
  #notifier!: Notifier;
  #metrics!: Metrics;
  #health: HealthServer | null = null;
  #retention: ScheduledTask | null = null;
  #watcher: { close(): void } | null = null;
  #sandbox: SandboxHandle | null = null;
  #lock: PidLock | null = null;
  #stopping: Promise<void> | null = null;
  #reloading: Promise<boolean> = Promise.resolve(true);
  /**
   * Work started from callbacks and not awaited there (alerts, missed-slot records, deadline
   * checks, retention). stop() waits for it before closing the log: a line written after the log
   * closed is a "write after end" exception that would kill the daemon on its way out, and an
   * alert about the last failed run would be lost.
   */
  readonly #background = new Set<Promise<unknown>>();
  #logClosed = false;

  constructor(options: DaemonOptions) {
    this.#opts = options;
    this.#now = options.now ?? (() => new Date());
  }

  get config(): Config {
    return this.#config;
  }

  get generation(): number {
    return this.#generation;
  }

  /** Base URL of the /healthz and /metrics endpoint once started with daemon.http.enabled, else null. */
  get healthUrl(): string | null {
    return this.#health?.url ?? null;
  }

  /**
   * Load and validate the config (throws ConfigError listing every problem), then start. When a
   * later step fails (the pid lock is held, the health port is taken), everything already started
   * is undone before the error is thrown: armed cron tasks would otherwise keep the process alive
   * and a pid file would be left behind for a daemon that never ran.
   */
  async start(): Promise<void> {
    try {
      await this.#start();
    } catch (err) {
      // The start error is what the admin needs to see; a failure while undoing must not hide it.
      await this.#undoStart(err).catch(() => undefined);
      throw err;
    }
  }

  async #start(): Promise<void> {
    const env = this.#opts.env ?? process.env;
    const config = loadConfig({ file: this.#opts.configFile, catalog: this.#opts.catalog, env });
    this.#config = config;
    this.#generation = 1;
    this.#redactor.add(config.secrets);
    const d = config.daemon;
    await mkdir(d.stateDir, { recursive: true, mode: 0o700 });
    this.#log = this.#guardedLog(createDaemonLogger({ level: d.logLevel, logDir: d.logDir, redactor: this.#redactor, console: this.#opts.console ?? true }));
    this.#lock = new PidLock(d.stateDir);
    this.#lock.acquire();
    const jobs = Object.values(config.jobs);
    this.#log.info('starting', { pid: process.pid, config: config.file, jobs: jobs.length, state: d.stateDir, logs: d.logDir });
    for (const w of config.warnings) this.#log.warn(`config warning: ${w}`);

    this.#metrics = createMetrics();
    this.#metrics.setConfigGeneration(this.#generation);
    this.#notifier = this.#makeNotifier(config);
    this.#store = new RunStore(d.stateDir, d.logDir, {
      onProblem: (p) => this.#log.warn('unreadable run record skipped', { path: p.path, problem: p.problem }),
    });

    for (const record of await this.#store.recover(this.#now())) {
      this.#log.warn(`run found ${record.status} after restart`, { job: record.job, run: record.runId, code: record.error?.code });
      const job = this.#config.jobs[record.job];
      if (job && ALERT_STATUSES.has(record.status)) this.#alertRun(job, record, 'failure');
    }

    this.#runs = new RunManager({
      store: this.#store,
      resolveModule: (type) => this.#moduleFor(type),
      connectionsFor: (job) => jobConnections(this.#config, job),
      secrets: () => this.#config.secrets,
      dataDir: d.dataDir,
      logLevel: d.logLevel,
      maxConcurrentRuns: d.maxConcurrentRuns,
      logger: {
        info: (m, meta) => this.#log.info(m, fieldsOf(meta)),
        warn: (m, meta) => this.#log.warn(m, fieldsOf(meta)),
        error: (m, meta) => this.#log.error(m, fieldsOf(meta)),
      },
      now: this.#now,
    });
    this.#runs.on('started', (r) => this.#metrics.runStarted(r));
    this.#runs.on('finished', (r) => this.#onFinished(r));

    if (config.sandbox?.enabled) {
      this.#sandbox = await startSandbox(config, this.#log);
    }

    this.#scheduler = new Scheduler({
      stateDir: d.stateDir,
      missedToleranceMs: d.missedToleranceMs,
      onFire: (job, slot, trigger) => this.#fire(job, slot, trigger),
      onMissed: (job, slot, lateByMs) => this.#inBackground(this.#recordMissed(job, slot, lateByMs)),
      onDeadline: (job, at) => this.#inBackground(this.#checkDeadline(job, at)),
      logger: {
        info: (m) => this.#log.info(m),
        warn: (m) => this.#log.warn(m),
        error: (m) => this.#log.error(m),
        debug: (m) => this.#log.debug(m),
      },
      now: this.#now,
    });
    await this.#scheduler.start(this.#entries(config));
    this.#refreshNextRuns();

    this.#armRetention();
    this.#inBackground(this.#cleanup('start'));

    if (d.http.enabled) {
      this.#health = await startHealthServer({
        host: d.http.host,
        port: d.http.port,
        metrics: this.#metrics,
        health: () => ({
          lastTick: this.#scheduler.lastTick(),
          configGeneration: this.#generation,
          runningRuns: this.#runs.running().length,
        }),
      });
      this.#log.info('health endpoint listening', { url: this.#health.url });
    }

    if (this.#opts.watch || d.watchConfig) {
      this.#watcher = watchConfigFile(config.file, () => void this.reload('file change'));
    }
    const scheduled = jobs.filter((j) => j.enabled && j.schedule !== null);
    this.#log.info('ready', { scheduled: scheduled.length, jobs: jobs.length });
    for (const j of scheduled) {
      const next = this.#scheduler.nextRun(j.name);
      this.#log.info('scheduled', { job: j.name, schedule: j.schedule, zone: j.timezone, next: next?.toISOString() ?? 'none' });
    }
  }

  /**
   * Re-read the config (SIGHUP, --watch). A valid file replaces the schedule without touching
   * running runs (they keep the config they started with); an invalid one is rejected with every
   * problem logged and the old config keeps running.
   */
  reload(reason = 'SIGHUP'): Promise<boolean> {
    // Never rejects: callers are signal handlers and file watchers (`void daemon.reload()`), where
    // a rejection would be unhandled and end the daemon; and one failed reload must not poison
    // the chain so that every later SIGHUP is skipped.
    this.#reloading = this.#reloading.then(() => this.#reload(reason)).catch((err: unknown) => {
      this.#log.error(`reload failed (${reason}): ${isSisrelayError(err) ? err.message : String(err)}; generation stays ${this.#generation}`);
      return false;
    });
    return this.#reloading;
  }

  async #reload(reason: string): Promise<boolean> {
    if (this.#stopping) return false;
    let next: Config;
    try {
      next = loadConfig({ file: this.#config.file, catalog: this.#opts.catalog, env: this.#opts.env ?? process.env });
    } catch (err) {
      const problems = err instanceof ConfigError ? err.problems.map((p) => `${p.path}: ${p.message}`) : [isSisrelayError(err) ? err.message : String(err)];
      this.#log.error(`reload rejected (${reason}): keeping generation ${this.#generation}`, { problems: problems.length });
      for (const p of problems) this.#log.error(`  ${p}`);
      return false;
    }
    const before = this.#config;
    this.#redactor.add(next.secrets);
    for (const key of ['stateDir', 'logDir', 'http', 'maxConcurrentRuns', 'logLevel'] as const) {
      if (JSON.stringify(before.daemon[key]) !== JSON.stringify(next.daemon[key])) {
        this.#log.warn(`daemon.${key} changed; it takes effect after a restart`);
      }
    }
    const result = await this.#scheduler.apply(this.#entries(next));
    this.#config = next;
    this.#generation += 1;
    this.#notifier = this.#makeNotifier(next);
    for (const job of result.removed) this.#metrics.removeJob(job);
    this.#metrics.setConfigGeneration(this.#generation);
    this.#refreshNextRuns();
    if (before.daemon.retention.schedule !== next.daemon.retention.schedule || before.daemon.timezone !== next.daemon.timezone) this.#armRetention();
    for (const w of next.warnings) this.#log.warn(`config warning: ${w}`);
    this.#log.info(`reloaded (${reason})`, {
      generation: this.#generation,
      added: result.added.join(',') || '-',
      removed: result.removed.join(',') || '-',
      changed: result.changed.join(',') || '-',
    });
    return true;
  }

  /**
   * SIGTERM: stop firing, let running runs finish for up to daemon.shutdownGrace, kill what is
   * left (recorded cancelled), then release everything. Idempotent.
   */
  stop(signal = 'SIGTERM'): Promise<void> {
    // Before start() (or after a failed one, which already cleaned up) there is nothing to stop.
    if (!this.#runs) return Promise.resolve();
    this.#stopping ??= this.#stop(signal);
    return this.#stopping;
  }

  async #stop(signal: string): Promise<void> {
    const grace = this.#config.daemon.shutdownGraceMs;
    this.#log.info(`stopping (${signal}): no new runs; waiting up to ${formatDuration(grace)} for ${this.#runs.running().length} running`);
    this.#watcher?.close();
    this.#retention?.destroy();
    await this.#scheduler.stop();
    await this.#runs.shutdown(grace);
    // Alerts about runs that just ended are bounded by each channel's timeout.
    await this.#settleBackground();
    await this.#health?.close();
    await this.#sandbox?.stop();
    this.#lock?.release();
    this.#log.info('stopped');
    this.#logClosed = true;
    await this.#log.close();
  }

  /** Tear down whatever a failed start() got to, in reverse order; the error is the caller's. */
  async #undoStart(err: unknown): Promise<void> {
    this.#stopping = Promise.resolve();
    this.#watcher?.close();
    this.#retention?.destroy();
    try {
      await this.#scheduler?.stop();
      await this.#runs?.shutdown(0);
      await this.#settleBackground();
      await this.#health?.close();
      await this.#sandbox?.stop();
    } finally {
      this.#lock?.release();
      if (this.#log && !this.#logClosed) {
        this.#log.error(`start failed: ${isSisrelayError(err) ? `${err.code}: ${err.message}` : String(err)}`);
        this.#logClosed = true;
        await this.#log.close();
      }
    }
  }

  // ---------------------------------------------------------------------------------------------

  #inBackground(task: Promise<unknown>): void {
    const tracked = task.catch((err: unknown) => this.#log.error(`background task failed: ${String(err)}`));
    this.#background.add(tracked);
    void tracked.finally(() => this.#background.delete(tracked));
  }

  async #settleBackground(): Promise<void> {
    while (this.#background.size > 0) await Promise.allSettled([...this.#background]);
  }

  /** Lines logged after the log was closed are dropped instead of throwing "write after end". */
  #guardedLog(log: DaemonLogger): DaemonLogger {
    const guard = (write: DaemonLogger['info']): DaemonLogger['info'] => (message, fields) => {
      if (!this.#logClosed) write(message, fields);
    };
    return { error: guard(log.error), warn: guard(log.warn), info: guard(log.info), debug: guard(log.debug), close: () => log.close() };
  }

  #entries(config: Config): ScheduleEntry[] {
    return Object.values(config.jobs)
      .filter((j) => j.enabled)
      .map((j) => ({ job: j.name, schedule: j.schedule, timezone: j.timezone, catchUpMs: j.catchUpMs, runOnStart: j.runOnStart, deadline: j.alerts.deadline }));
  }

  #fire(jobName: string, slot: Date, trigger: RunTrigger): void {
    const job = this.#config.jobs[jobName];
    if (!job || !job.enabled) return;
    this.#metrics.tick(this.#now());
    this.#runs.trigger(job, { trigger, slot }).then(
      () => this.#refreshNextRuns(),
      (err) => this.#log.error(`could not start run: ${isSisrelayError(err) ? err.message : String(err)}`, { job: jobName }),
    );
  }

  /** A slot node-cron could not run in time becomes a skipped record, so silence is visible. */
  async #recordMissed(jobName: string, slot: Date, lateByMs: number): Promise<void> {
    const job = this.#config.jobs[jobName];
    if (!job) return;
    const note = `missed: the timer fired ${formatDuration(lateByMs)} late (tolerance ${formatDuration(this.#config.daemon.missedToleranceMs)})`;
    try {
      const record = await this.#store.create({ job: job.name, type: job.type, trigger: 'schedule', slot, status: 'skipped', notes: [note], now: this.#now() });
      this.#log.warn(note, { job: job.name, run: record.runId, slot: slot.toISOString() });
      this.#metrics.runFinished(record);
    } catch (err) {
      this.#log.error(`could not record missed slot: ${String(err)}`, { job: job.name });
    }
  }

  async #checkDeadline(jobName: string, deadlineAt: Date): Promise<void> {
    const job = this.#config.jobs[jobName];
    if (!job || job.schedule === null) return;
    const last = await this.#store.latestSuccess(job.name);
    const verdict = deadlineVerdict({
      expr: job.schedule,
      zone: job.timezone,
      deadlineAt,
      lastSuccessStartedAt: last?.startedAt ? new Date(last.startedAt) : null,
    });
    if (!verdict.missed) {
      this.#log.debug('deadline met', { job: job.name });
      return;
    }
    this.#log.warn('deadline missed: no successful run for the latest slot', { job: job.name, slot: verdict.slot?.toISOString() ?? null, deadline: deadlineAt.toISOString() });
    await this.#notifier.notify(job, deadlineAlert({ job: job.name, deadlineAt, zone: job.timezone, slot: verdict.slot, lastSuccess: last, hostname: hostname() }), 'deadline');
  }

  #onFinished(record: RunRecord): void {
    this.#metrics.runFinished(record);
    this.#refreshNextRuns();
    const job = this.#config.jobs[record.job];
    if (!job) return;
    if (ALERT_STATUSES.has(record.status) && record.nextRetryAt === null) this.#alertRun(job, record, 'failure');
    else if (record.status === 'succeeded') this.#alertRun(job, record, 'success');
  }

  #alertRun(job: JobConfig, record: RunRecord, kind: 'failure' | 'success'): void {
    const opts = { hostname: hostname(), zone: job.timezone };
    this.#inBackground(this.#notifier.notify(job, kind === 'failure' ? failureAlert(record, opts) : successAlert(record, opts), kind));
  }

  #armRetention(): void {
    this.#retention?.destroy();
    const d = this.#config.daemon;
    this.#retention = createTask(d.retention.schedule, () => this.#inBackground(this.#cleanup('schedule')), {
      timezone: d.timezone,
      name: 'sisrelay-retention',
      missedExecutionTolerance: d.missedToleranceMs,
      logger: { info: () => {}, warn: (m) => this.#log.warn(m), error: (m) => this.#log.error(String(m)), debug: () => {} },
    });
    void this.#retention.start();
  }

  async #cleanup(trigger: string): Promise<void> {
    try {
      const c = this.#config;
      const result = await cleanupRuns({
        store: this.#store,
        retention: Object.values(c.jobs).map((j) => ({ job: j.name, maxAgeMs: j.retentionMs })),
        defaultMaxAgeMs: c.daemon.retention.maxAgeMs,
        now: this.#now(),
      });
      for (const r of result.removed) this.#log.info('retention removed run', { job: r.job, run: r.runId, finished: r.finishedAt });
      this.#log.info(`retention cleanup (${trigger}) removed ${result.removed.length} run directories, ${Math.round(result.bytesFreed / 1024)} KiB`);
    } catch (err) {
      this.#log.error(`retention cleanup failed: ${String(err)}`);
    }
  }

  #refreshNextRuns(): void {
    for (const job of Object.values(this.#config.jobs)) {
      this.#metrics.setNextRun(job.name, job.enabled ? this.#scheduler.nextRun(job.name) : null);
    }
  }

  #moduleFor(type: string): URL {
    const d = this.#opts.catalog.get(type);
    if (!d) throw new Error(`job type ${type} is not in the catalog`);
    return d.module;
  }

  #makeNotifier(config: Config): Notifier {
    return new Notifier({
      connections: config.connections,
      defaults: config.daemon.notifications,
      redact: (t) => this.#redactor.redact(t),
      logger: { info: (m, meta) => this.#log.info(m, fieldsOf(meta)), warn: (m, meta) => this.#log.warn(m, fieldsOf(meta)) },
    });
  }
}

function fieldsOf(meta: Record<string, unknown> | undefined): Record<string, string | number | boolean | null | undefined> {
  if (!meta) return {};
  const out: Record<string, string | number | boolean | null | undefined> = {};
  for (const [k, v] of Object.entries(meta)) {
    const key = k === 'runId' ? 'run' : k;
    out[key] = v === null || v === undefined || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : flatValue(v);
  }
  return out;
}

/**
 * Objects of plain values (a run's counts) read as `rows_read=3,rows_written=3` instead of quoted
 * JSON with escaped quotes; an empty one is left out of the line.
 */
function flatValue(v: unknown): string | undefined {
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const entries = Object.entries(v);
    if (entries.every(([, x]) => typeof x === 'number' || typeof x === 'string' || typeof x === 'boolean')) {
      return entries.length === 0 ? undefined : entries.map(([k, x]) => `${k}=${String(x)}`).join(',');
    }
  }
  return JSON.stringify(v);
}
