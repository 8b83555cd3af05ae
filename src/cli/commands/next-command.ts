import type { CliIo } from '../cli-io.js';
import { jobOrThrow, loadCliConfig, reportError } from '../cli-io.js';
import { describeNextRuns } from '../../scheduler/format-instant.js';
import { SisrelayError } from '../../errors/sisrelay-error.js';

/**
 * `sisrelay next <job> [n] [--count N] [--from ISO]`: one line per upcoming run, the local
 * instant with the job zone's offset, then UTC. Computed with node-cron's own DST rules
 * (see src/scheduler/cron-slots.ts), so it matches what the daemon fires.
 */
export function nextCommand(io: CliIo, jobName: string, opts: { config?: string; count?: string; from?: string; positionalCount?: string }): number {
  try {
    const config = loadCliConfig(io, opts.config, { resolveSecrets: false });
    const job = jobOrThrow(config, jobName);
    const countText = opts.count ?? opts.positionalCount ?? '5';
    const count = Number(countText);
    if (!Number.isInteger(count) || count < 1 || count > 1000) {
      throw new SisrelayError('CONFIG_INVALID', `--count: expected a whole number 1-1000, found ${JSON.stringify(countText)}`);
    }
    let from = new Date();
    if (opts.from !== undefined) {
      from = new Date(opts.from);
      if (Number.isNaN(from.getTime())) throw new SisrelayError('CONFIG_INVALID', `--from: expected an ISO-8601 instant such as 2027-03-13T12:00:00Z, found ${JSON.stringify(opts.from)}`);
    }
    if (job.schedule === null) {
      io.err(`${job.name} has no schedule (manual or external scheduler only)`);
      return 0;
    }
    for (const line of describeNextRuns(job.schedule, job.timezone, from, count)) io.out(line);
    if (!job.enabled) io.err(`note: ${job.name} is disabled; the daemon will not run these slots`);
    return 0;
  } catch (err) {
    return reportError(io, err);
  }
}
