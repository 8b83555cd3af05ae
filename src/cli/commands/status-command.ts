import type { CliIo } from '../cli-io.js';
import { loadCliConfig, reportError } from '../cli-io.js';
import { RunStore } from '../../runner/run-store.js';
import { runningDaemonPid } from '../../daemon/pid-lock.js';
import { nextRunOf, nextRunText } from '../next-run.js';

/** `sisrelay status`: is the daemon up, and per job the last run, last success and next run. */
export async function statusCommand(io: CliIo, opts: { config?: string; json?: boolean }): Promise<number> {
  try {
    const config = loadCliConfig(io, opts.config, { resolveSecrets: false });
    const store = new RunStore(config.daemon.stateDir, config.daemon.logDir, { onProblem: (p) => io.err(`warning: ${p.path}: ${p.problem}`) });
    const daemonPid = runningDaemonPid(config.daemon.stateDir);
    const now = new Date();
    const rows = [];
    for (const job of Object.values(config.jobs)) {
      const recent = await store.list(job.name, { limit: 50 });
      const last = recent.find((r) => r.status !== 'running') ?? null;
      const running = recent.filter((r) => r.status === 'running');
      const success = recent.find((r) => r.status === 'succeeded') ?? (await store.latestSuccess(job.name));
      const next = nextRunOf(job, now);
      rows.push({ job, last, running, success, next });
    }
    if (opts.json) {
      io.out(JSON.stringify({
        daemon: { running: daemonPid !== null, pid: daemonPid, config: config.file },
        jobs: rows.map((r) => ({
          job: r.job.name,
          enabled: r.job.enabled,
          running: r.running.map((x) => x.runId),
          last: r.last && { runId: r.last.runId, status: r.last.status, finishedAt: r.last.finishedAt, error: r.last.error?.code ?? null },
          lastSuccess: r.success?.finishedAt ?? null,
          next: r.next?.toISOString() ?? null,
        })),
      }, null, 2));
      return 0;
    }
    io.out(daemonPid !== null ? `daemon: running (pid ${daemonPid}), config ${config.file}` : `daemon: not running (state ${config.daemon.stateDir})`);
    for (const r of rows) {
      io.out('');
      io.out(`${r.job.name} (${r.job.type})${r.job.enabled ? '' : ' [disabled]'}`);
      for (const x of r.running) io.out(`  running:      ${x.runId} since ${x.startedAt}`);
      io.out(`  last run:     ${r.last ? `${r.last.status} ${r.last.finishedAt ?? ''} ${r.last.runId}${r.last.error ? ` ${r.last.error.code}` : ''}` : 'never'}`);
      io.out(`  last success: ${r.success?.finishedAt ?? 'never'}`);
      io.out(`  next run:     ${nextRunText(r.job, r.next)}`);
    }
    return 0;
  } catch (err) {
    return reportError(io, err);
  }
}
