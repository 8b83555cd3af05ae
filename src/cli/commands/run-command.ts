import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { CliIo } from '../cli-io.js';
import { jobOrThrow, loadCliConfig, reportError } from '../cli-io.js';
import { jobConnections } from '../../config/job-connections.js';
import { RunStore } from '../../runner/run-store.js';
import { RunManager } from '../../runner/run-manager.js';
import type { RunRecord } from '../../runner/run-record.js';
import { Notifier } from '../../notify/notifier.js';
import { failureAlert, successAlert } from '../../notify/alert-message.js';
import { isAlive } from '../../daemon/pid-lock.js';
import { formatDuration } from '../../util/duration.js';
import { SisrelayError } from '../../errors/sisrelay-error.js';
import { startSandbox, type SandboxHandle } from '../../daemon/sandbox-process.js';

export interface RunOptions {
  config?: string;
  dryRun?: boolean;
  force?: boolean;
  retries?: boolean;
  notify?: boolean;
  allowOverlap?: boolean;
}

/**
 * `sisrelay run <job>`: one run now, in the foreground, with the same isolation (a fresh run
 * process), record, retries and log as a scheduled run. Exit 0 only when the run succeeded.
 * Usable from systemd timers, Kubernetes CronJobs or Airflow instead of the daemon's scheduler.
 */
export async function runCommand(io: CliIo, jobName: string, opts: RunOptions): Promise<number> {
  let manager: RunManager | null = null;
  let sandbox: SandboxHandle | null = null;
  const onSignal = () => {
    io.err('sisrelay: cancelling the run (signal received)');
    void manager?.shutdown(0);
  };
  try {
    const config = loadCliConfig(io, opts.config, { resolveSecrets: true });
    const configured = jobOrThrow(config, jobName);
    // --no-retries must mean no retry at all. Only not *waiting* for retries would still leave the
    // retry scheduled: the record would promise a retry and the process would linger to run it.
    const job = opts.retries === false ? { ...configured, retries: { ...configured.retries, max: 0 } } : configured;
    const d = config.daemon;
    await mkdir(d.stateDir, { recursive: true, mode: 0o700 });
    await mkdir(d.logDir, { recursive: true, mode: 0o750 });
    const store = new RunStore(d.stateDir, d.logDir, { onProblem: (p) => io.err(`warning: unreadable run record ${p.path}: ${p.problem}`) });

    // The daemon may be running this job right now; two runs would race on the same delivery.
    if (!opts.allowOverlap) {
      const live = (await store.list(job.name, { limit: 20 })).find((r) => r.status === 'running' && r.pid !== null && isAlive(r.pid));
      if (live) {
        throw new SisrelayError('RUN_CANCELLED', `expected no run of ${job.name} in progress, found run ${live.runId} (pid ${live.pid}); wait for it or pass --allow-overlap`);
      }
    }

    // The demo's stand-in services: `sisrelay run <job> --config config/demo.json` works without
    // the daemon. When the daemon is up, its sandbox already holds the ports: use that one.
    if (config.sandbox?.enabled) {
      const log = { info: (m: string) => io.err(m), warn: (m: string) => io.err(m), error: (m: string) => io.err(m), debug: () => {}, close: async () => {} };
      try {
        sandbox = await startSandbox(config, log);
      } catch (err) {
        const code = (err as SisrelayError).details?.code;
        if (code !== 'EADDRINUSE') throw err;
        io.err('sandbox services are already listening (the demo daemon is running): using them');
      }
    }

    manager = new RunManager({
      store,
      resolveModule: (type) => {
        const desc = io.catalog.get(type);
        if (!desc) throw new SisrelayError('CONFIG_INVALID', `job type ${type} is not known`);
        return desc.module;
      },
      connectionsFor: (j) => jobConnections(config, j),
      secrets: config.secrets,
      dataDir: d.dataDir,
      logLevel: d.logLevel,
      maxConcurrentRuns: 1,
      logger: {
        info: (m, meta) => io.err(`${m}${meta?.runId ? ` ${meta.runId}` : ''}`),
        warn: (m, meta) => io.err(`warning: ${m}${meta?.runId ? ` ${meta.runId}` : ''}`),
        error: (m, meta) => io.err(`error: ${m}${meta?.runId ? ` ${meta.runId}` : ''}`),
      },
    });
    manager.on('started', (r) => io.out(`run ${r.runId} started (attempt ${r.attempt}${r.dryRun ? ', dry run' : ''}${r.force ? ', forced' : ''})\n  run directory: ${r.runDir}\n  log: ${r.logFile}`));
    manager.on('retryScheduled', (r, at) => io.out(`run ${r.runId} failed with ${r.error?.code} (transient); retry at ${at.toISOString()}`));
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);

    const record = await manager.trigger(job, {
      trigger: 'manual',
      slot: null,
      dryRun: opts.dryRun ?? false,
      force: opts.force ?? false,
      waitForRetries: true,
    });
    printOutcome(io, record);

    if (opts.notify) {
      const notifier = new Notifier({
        connections: config.connections,
        defaults: d.notifications,
        redact: (t) => io.redactor.redact(t),
        logger: { info: (m) => io.err(m), warn: (m) => io.err(`warning: ${m}`) },
      });
      const alert = record.status === 'succeeded' ? successAlert(record, { hostname: hostname(), zone: job.timezone }) : failureAlert(record, { hostname: hostname(), zone: job.timezone });
      await notifier.notify(job, alert, record.status === 'succeeded' ? 'success' : 'failure');
    }
    return record.status === 'succeeded' ? 0 : 1;
  } catch (err) {
    return reportError(io, err);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await sandbox?.stop();
  }
}

function printOutcome(io: CliIo, r: RunRecord): void {
  const took = r.durationMs === null ? '' : ` in ${formatDuration(r.durationMs)}`;
  io.out(`run ${r.runId} ${r.status}${took}`);
  io.out(`  run directory: ${r.runDir}`);
  if (r.error) io.out(`  error: ${r.error.code}: ${r.error.message}`);
  const counts = Object.entries(r.counts).map(([k, v]) => `${k}=${v}`).join(' ');
  if (counts) io.out(`  counts: ${counts}`);
  for (const f of r.files) io.out(`  file: ${f.path} (${f.bytes} bytes${f.rows !== undefined ? `, ${f.rows} rows` : ''})`);
  for (const dl of r.deliveries) io.out(`  delivery: ${dl.status} ${dl.mode} ${dl.connection}:${dl.target}${dl.note ? ` (${dl.note})` : ''}`);
  for (const n of r.notes) io.out(`  note: ${n}`);
}
