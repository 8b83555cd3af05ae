import { describe, expect, it } from 'vitest';
import type { RetryPolicy } from '../../src/config/config-types.js';
import { retryDelayMs, shouldRetry } from '../../src/runner/retry-backoff.js';
import type { RunRecord } from '../../src/runner/run-record.js';

const policy: RetryPolicy = { max: 3, initialDelayMs: 30_000, maxDelayMs: 300_000 };

describe('retryDelayMs', () => {
  it.each([
    [1, 30_000],
    [2, 60_000],
    [3, 120_000],
    [4, 240_000],
    [5, 300_000], // 480 000 capped
    [60, 300_000],
    [2000, 300_000], // 2 ** 1999 overflows; still the cap
    [0, 30_000], // nonsense attempt numbers behave like the first
  ])('after attempt %i waits %i ms', (attempt, expected) => {
    expect(retryDelayMs(attempt, policy)).toBe(expected);
  });

  it('never exceeds a cap below the initial delay', () => {
    expect(retryDelayMs(1, { max: 1, initialDelayMs: 10_000, maxDelayMs: 5_000 })).toBe(5_000);
  });
});

describe('shouldRetry', () => {
  const rec = (status: RunRecord['status'], transient: boolean | null, attempt: number): Pick<RunRecord, 'status' | 'error' | 'attempt'> => ({
    status,
    attempt,
    error: transient === null ? null : { code: transient ? 'SQL_CONNECT_REFUSED' : 'DATA_INVALID', message: 'x', transient },
  });

  it.each([
    ['failed', true, 1, true],
    ['failed', true, 3, true], // third attempt failed, max 3 retries: one left
    ['failed', true, 4, false], // retries exhausted
    ['failed', false, 1, false], // permanent
    ['failed', null, 1, false],
    ['timed_out', true, 1, false],
    ['cancelled', true, 1, false],
    ['interrupted', true, 1, false],
    ['succeeded', null, 1, false],
  ] as const)('%s transient=%s attempt=%i → %s', (status, transient, attempt, expected) => {
    expect(shouldRetry(rec(status, transient, attempt), policy)).toBe(expected);
  });

  it('does not retry when the policy allows none', () => {
    expect(shouldRetry(rec('failed', true, 1), { ...policy, max: 0 })).toBe(false);
  });
});
