import type { CliIo } from '../cli-io.js';
import { loadCliConfig, reportError } from '../cli-io.js';
import { nextRunOf, nextRunText } from '../next-run.js';

/** `sisrelay jobs`: every job with its type, schedule, zone and next run (local and UTC). */
export function jobsCommand(io: CliIo, opts: { config?: string; json?: boolean }): number {
  try {
    const config = loadCliConfig(io, opts.config, { resolveSecrets: false });
    const now = new Date();
    const rows = Object.values(config.jobs).map((j) => ({ job: j.name, type: j.type, enabled: j.enabled, schedule: j.schedule, timezone: j.timezone, next: nextRunOf(j, now) }));
    if (opts.json) {
      io.out(JSON.stringify(rows.map((r) => ({ ...r, next: r.next?.toISOString() ?? null })), null, 2));
      return 0;
    }
    const w = Math.max(3, ...rows.map((r) => r.job.length));
    const tw = Math.max(4, ...rows.map((r) => r.type.length));
    io.out(`${'JOB'.padEnd(w)}  ${'TYPE'.padEnd(tw)}  ${'SCHEDULE'.padEnd(14)}  ${'ZONE'.padEnd(16)}  NEXT RUN (local, UTC)`);
    for (const r of rows) {
      io.out(`${r.job.padEnd(w)}  ${r.type.padEnd(tw)}  ${(r.schedule ?? '-').padEnd(14)}  ${r.timezone.padEnd(16)}  ${nextRunText(r, r.next)}`);
    }
    return 0;
  } catch (err) {
    return reportError(io, err);
  }
}
