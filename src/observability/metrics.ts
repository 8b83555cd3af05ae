import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { FINAL_STATUSES, type RunRecord, type RunStatus } from '../runner/run-record.js';

/**
 * Prometheus metrics for the daemon, on a private registry (never prom-client's global one, so
 * two daemons in one test process, or a library that also uses prom-client, cannot collide).
 *
 * Per-job series carry a `job` label and are removed by `removeJob` when a reload drops a job, so
 * a deleted job does not keep alerting on a stale "last success".
 */
export interface Metrics {
  readonly registry: Registry;
  readonly contentType: string;
  runStarted(record: RunRecord): void;
  runFinished(record: RunRecord): void;
  setNextRun(job: string, at: Date | null): void;
  setConfigGeneration(n: number): void;
  tick(at: Date): void;
  removeJob(job: string): void;
  render(): Promise<string>;
}

/** Statuses that count as failures in sisrelay_run_failures_total (not skipped, not cancelled). */
const FAILURE_STATUSES: readonly RunStatus[] = ['failed', 'timed_out', 'interrupted'];

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const lastSuccess = new Gauge({
    name: 'sisrelay_job_last_success_timestamp_seconds',
    help: 'Unix time the job last finished successfully.',
    labelNames: ['job'] as const,
    registers,
  });
  const lastStatus = new Gauge({
    name: 'sisrelay_job_last_status',
    help: "1 for the status of the job's last finished run, 0 for the other statuses.",
    labelNames: ['job', 'status'] as const,
    registers,
  });
  const lastDuration = new Gauge({
    name: 'sisrelay_job_last_duration_seconds',
    help: "Duration of the job's last finished run.",
    labelNames: ['job'] as const,
    registers,
  });
  const nextRun = new Gauge({
    name: 'sisrelay_job_next_run_timestamp_seconds',
    help: 'Unix time of the next scheduled run (absent when the job has no schedule).',
    labelNames: ['job'] as const,
    registers,
  });
  const running = new Gauge({ name: 'sisrelay_runs_running', help: 'Runs in progress.', registers });
  const runningByJob = new Gauge({
    name: 'sisrelay_runs_running_by_job',
    help: 'Runs in progress, per job.',
    labelNames: ['job'] as const,
    registers,
  });
  const failures = new Counter({
    name: 'sisrelay_run_failures_total',
    help: 'Runs that ended failed, timed out or interrupted, by error code.',
    labelNames: ['job', 'code'] as const,
    registers,
  });
  const runs = new Counter({
    name: 'sisrelay_runs_total',
    help: 'Finished runs by final status.',
    labelNames: ['job', 'status'] as const,
    registers,
  });
  const generation = new Gauge({ name: 'sisrelay_config_generation', help: 'Config generation in force (1 at start, +1 per successful reload).', registers });
  const lastTick = new Gauge({ name: 'sisrelay_scheduler_last_tick_timestamp_seconds', help: 'Unix time of the scheduler\'s last tick.', registers });

  // Runs are tracked by id so a duplicate or out-of-order event cannot drive the gauges negative.
  const inProgress = new Map<string, string>();
  const codesSeen = new Map<string, Set<string>>();
  const statusesSeen = new Map<string, Set<string>>();

  const seconds = (iso: string | null): number | null => {
    if (iso === null) return null;
    const t = Date.parse(iso);
    return Number.isNaN(t) ? null : t / 1000;
  };

  function refreshRunning(job: string): void {
    running.set(inProgress.size);
    let n = 0;
    for (const j of inProgress.values()) if (j === job) n++;
    runningByJob.set({ job }, n);
  }

  function remember(map: Map<string, Set<string>>, job: string, value: string): void {
    let set = map.get(job);
    if (!set) map.set(job, (set = new Set()));
    set.add(value);
  }

  running.set(0);
  generation.set(0);

  return {
    registry,
    contentType: registry.contentType,

    runStarted(record) {
      inProgress.set(record.runId, record.job);
      refreshRunning(record.job);
    },

    runFinished(record) {
      const job = record.job;
      inProgress.delete(record.runId);
      refreshRunning(job);
      if (!FINAL_STATUSES.includes(record.status)) return;

      runs.inc({ job, status: record.status });
      remember(statusesSeen, job, record.status);
      if (record.status !== 'skipped') {
        for (const s of FINAL_STATUSES) lastStatus.set({ job, status: s }, s === record.status ? 1 : 0);
        if (record.durationMs !== null) lastDuration.set({ job }, record.durationMs / 1000);
      }
      if (record.status === 'succeeded') {
        const at = seconds(record.finishedAt) ?? Date.now() / 1000;
        lastSuccess.set({ job }, at);
      }
      if (FAILURE_STATUSES.includes(record.status)) {
        const code = record.error?.code ?? 'UNKNOWN';
        failures.inc({ job, code });
        remember(codesSeen, job, code);
      }
    },

    setNextRun(job, at) {
      if (at === null) nextRun.remove({ job });
      else nextRun.set({ job }, at.getTime() / 1000);
    },

    setConfigGeneration(n) {
      generation.set(n);
    },

    tick(at) {
      lastTick.set(at.getTime() / 1000);
    },

    removeJob(job) {
      lastSuccess.remove({ job });
      lastDuration.remove({ job });
      nextRun.remove({ job });
      for (const s of FINAL_STATUSES) lastStatus.remove({ job, status: s });
      for (const code of codesSeen.get(job) ?? []) failures.remove({ job, code });
      for (const status of statusesSeen.get(job) ?? []) runs.remove({ job, status });
      codesSeen.delete(job);
      statusesSeen.delete(job);
      // A run still in progress keeps its job's running gauge until it finishes.
      if (![...inProgress.values()].includes(job)) runningByJob.remove({ job });
    },

    render() {
      return registry.metrics();
    },
  };
}
