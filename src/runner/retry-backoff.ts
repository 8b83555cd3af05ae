import type { RetryPolicy } from '../config/config-types.js';
import type { RunRecord } from './run-record.js';

/**
 * Delay before retrying after attempt `attempt` (1-based) failed: initialDelayMs, doubling per
 * attempt, capped at maxDelayMs. Attempt 1 failed → initialDelayMs; attempt 2 → ×2; ...
 */
export function retryDelayMs(attempt: number, policy: RetryPolicy): number {
  const n = Math.max(1, Math.floor(attempt));
  // Cap the exponent: 2 ** 1100 is Infinity, and an overflow must still land on the cap.
  const raw = policy.initialDelayMs * 2 ** Math.min(n - 1, 52);
  return Math.max(0, Math.min(raw, policy.maxDelayMs));
}

/**
 * Retry only a `failed` run whose error is transient and that has attempts left. Timed-out,
 * cancelled and interrupted runs are never retried: a run that hung once will likely hang again,
 * and a cancel was somebody's decision.
 */
export function shouldRetry(record: Pick<RunRecord, 'status' | 'error' | 'attempt'>, policy: RetryPolicy): boolean {
  return record.status === 'failed' && record.error?.transient === true && record.attempt <= policy.max;
}
