import type { CliIo } from '../cli-io.js';
import { jobOrThrow, loadCliConfig, reportError } from '../cli-io.js';
import { RunStore } from '../../runner/run-store.js';
import { formatDuration } from '../../util/duration.js';
import { SisrelayError } from '../../errors/sisrelay-error.js';

/** `sisrelay history <job> [--json] [--limit N]`: the job's runs, newest first, from the records. */
export async function historyCommand(io: CliIo, jobName: string, opts: { config?: string; json?: boolean; limit?: string }): Promise<number> {
  try {
    const config = loadCliConfig(io, opts.config, { resolveSecrets: false });
    jobOrThrow(config, jobName);
    const limit = Number(opts.limit ?? '20');
    if (!Number.isInteger(limit) || limit < 1) throw new SisrelayError('CONFIG_INVALID', `--limit: expected a whole number 1 or more, found ${JSON.stringify(opts.limit)}`);
    const store = new RunStore(config.daemon.stateDir, config.daemon.logDir, { onProblem: (p) => io.err(`warning: ${p.path}: ${p.problem}`) });
    const records = await store.list(jobName, { limit });
    if (opts.json) {
      io.out(JSON.stringify(records, null, 2));
      return 0;
    }
    if (records.length === 0) {
      io.out(`no runs of ${jobName} recorded in ${store.runsDir}`);
      return 0;
    }
    io.out(`${'RUN'.padEnd(28)}  ${'TRIGGER'.padEnd(8)}  ${'STATUS'.padEnd(11)}  ${'STARTED (UTC)'.padEnd(20)}  ${'TOOK'.padEnd(8)}  DETAIL`);
    for (const r of records) {
      const started = (r.startedAt ?? r.createdAt).replace(/\.\d{3}Z$/, 'Z');
      const took = r.durationMs === null ? '-' : formatDuration(r.durationMs);
      const detail = r.error ? `${r.error.code}: ${r.error.message.split('\n')[0]}` : (r.notes[0] ?? Object.entries(r.counts).map(([k, v]) => `${k}=${v}`).join(' '));
      io.out(`${r.runId.padEnd(28)}  ${r.trigger.padEnd(8)}  ${r.status.padEnd(11)}  ${started.padEnd(20)}  ${took.padEnd(8)}  ${detail}`);
    }
    return 0;
  } catch (err) {
    return reportError(io, err);
  }
}
