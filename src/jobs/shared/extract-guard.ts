import { SisrelayError } from '../../errors/sisrelay-error.js';

/**
 * The "bad night never wipes a roster" check: compare this run's extract size with the last
 * successful run's and hold delivery when it shrank too far. Vendors such as SameGoal and
 * Conduit treat a missing student or enrollment as a removal, so a half-empty pull (a view
 * that lost its rows, a term that rolled over early) must not be sent silently.
 *
 * Held when the current count is 0 and the previous was not, or when it dropped by more than
 * `maxDropShare` of the previous (a drop of exactly the share is allowed). No previous
 * successful run → ok (nothing to compare with). `force` (`--force`) turns held into 'forced'.
 * The caller throws GUARD_EXTRACT_DROP with `reason` on 'held' and notes it on 'forced'.
 */

export interface ExtractGuardInput {
  /** What is counted, as it appears in run counts ("students", "rows_written"). */
  metric: string;
  current: number;
  /** The same count at the last successful run; null when there is none. */
  previous: number | null;
  /** Largest allowed drop as a share of previous, 0..1 (0.5 = half). */
  maxDropShare: number;
  force: boolean;
}

export interface ExtractGuardResult {
  verdict: 'ok' | 'held' | 'forced';
  /** Why it was held or forced; null when ok. */
  reason: string | null;
}

export function extractGuard(input: ExtractGuardInput): ExtractGuardResult {
  const { metric, current, previous, maxDropShare, force } = input;
  if (!(maxDropShare >= 0 && maxDropShare <= 1)) {
    throw new SisrelayError('CONFIG_INVALID', `extract guard for ${metric}: maxDropShare must be between 0 and 1, got ${maxDropShare}`);
  }
  for (const [name, value] of [['current', current], ['previous', previous]] as const) {
    if (value !== null && !(Number.isFinite(value) && value >= 0)) {
      throw new SisrelayError('INTERNAL_ERROR', `extract guard for ${metric}: ${name} count must be a non-negative number, got ${value}`);
    }
  }
  if (previous === null || previous === 0 || current >= previous) return { verdict: 'ok', reason: null };

  const drop = (previous - current) / previous;
  const limit = `allowed drop ${percent(maxDropShare)}`;
  let why: string | null = null;
  if (current === 0) {
    why = `${metric}: 0 now against ${previous} at the last successful run (a drop of 100%, ${limit})`;
  } else if (drop - maxDropShare > 1e-9) {
    // Compared as shares with a tolerance: `previous * (1 - share)` in floating point makes an
    // exact 30% drop of 10 (7 < 7.000000000000001) look like a breach.
    why = `${metric}: ${current} now against ${previous} at the last successful run (a drop of ${percent(drop)}, ${limit})`;
  }
  if (why === null) return { verdict: 'ok', reason: null };
  return force ? { verdict: 'forced', reason: `${why}; delivered anyway because the run was forced` } : { verdict: 'held', reason: `${why}; delivery held` };
}

/** A share as a percentage with at most one decimal, for guard messages: 0.5 → "50%", 0.225 → "22.5%". */
export function percent(share: number): string {
  const p = Math.round(share * 1000) / 10;
  return `${p}%`;
}
