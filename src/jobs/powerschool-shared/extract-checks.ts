import { SisrelayError } from '../../errors/sisrelay-error.js';
import type { JobContext } from '../job-types.js';
import { extractGuard } from '../shared/extract-guard.js';

/**
 * The delivery guard of the PowerSchool jobs: each named count of this run is compared with the
 * same count of the last successful run (`ctx.previous.counts`), so a half-empty extract (a view
 * that lost rows, a term year that rolled over early, a wrong database) is held back instead of
 * replacing a good roster at the vendor.
 *
 * - held, normal run → throws GUARD_EMPTY_SOURCE (this run read nothing) or GUARD_EXTRACT_DROP,
 *   with every breached metric named in the message; the daemon alerts on the code;
 * - held, forced run (`--force`) → delivery goes ahead, a note and a warning say the guard was
 *   overridden;
 * - held, dry run → nothing is delivered anyway, so the run succeeds and notes that a real run
 *   would have been held (a dry run is a preview of the real one).
 */

export interface GuardMetric {
  /** The run count name compared, e.g. `students`, `rows_written`. */
  metric: string;
  current: number;
}

export interface GuardOutcome {
  verdict: 'ok' | 'held' | 'forced';
  reasons: string[];
}

export function checkExtractDrop(ctx: Pick<JobContext, 'previous' | 'force' | 'dryRun' | 'report' | 'log'>, metrics: readonly GuardMetric[], maxDropShare: number): GuardOutcome {
  const held: string[] = [];
  const forced: string[] = [];
  let empty = false;
  for (const m of metrics) {
    const prev = ctx.previous?.counts[m.metric];
    const previous = typeof prev === 'number' && Number.isFinite(prev) ? prev : null;
    const r = extractGuard({ metric: m.metric, current: m.current, previous, maxDropShare, force: ctx.force });
    if (r.verdict === 'held') {
      held.push(r.reason as string);
      if (m.current === 0) empty = true;
    } else if (r.verdict === 'forced') {
      forced.push(r.reason as string);
    }
  }
  if (forced.length > 0) {
    for (const reason of forced) {
      ctx.log.warn(`extract guard overridden: ${reason}`);
      ctx.report.note(`extract guard overridden (forced run): ${reason}`);
    }
    return { verdict: 'forced', reasons: forced };
  }
  if (held.length === 0) return { verdict: 'ok', reasons: [] };
  const since = ctx.previous ? ` (last successful run ${ctx.previous.runId})` : '';
  if (ctx.dryRun) {
    for (const reason of held) {
      ctx.log.warn(`dry run: a real run would be held by the extract guard: ${reason}`);
      ctx.report.note(`dry run: a real run would be held: ${reason}`);
    }
    return { verdict: 'held', reasons: held };
  }
  throw new SisrelayError(empty ? 'GUARD_EMPTY_SOURCE' : 'GUARD_EXTRACT_DROP', `${held.join('; ')}${since}; rerun with --force to deliver anyway`, {
    details: {
      metrics: metrics.map((m) => ({ metric: m.metric, current: m.current, previous: ctx.previous?.counts[m.metric] ?? null })),
      maxDropShare,
    },
  });
}
