import { describe, expect, it } from 'vitest';
import { extractGuard } from '../../src/jobs/shared/extract-guard.js';
import { SisrelayError } from '../../src/errors/sisrelay-error.js';

type Row = [current: number, previous: number | null, share: number, force: boolean, verdict: 'ok' | 'held' | 'forced'];

const table: Row[] = [
  [100, null, 0.5, false, 'ok'], // no previous success
  [0, null, 0.5, false, 'ok'],
  [100, 100, 0.5, false, 'ok'],
  [150, 100, 0.5, false, 'ok'], // growth
  [50, 100, 0.5, false, 'ok'], // exactly 50% drop is allowed
  [49, 100, 0.5, false, 'held'], // just past it
  [49, 100, 0.5, true, 'forced'],
  [51, 100, 0.5, false, 'ok'],
  [0, 100, 0.5, false, 'held'], // empty extract
  [0, 100, 1, false, 'held'], // empty is held even when any drop is allowed
  [0, 100, 1, true, 'forced'],
  [1, 100, 1, false, 'ok'],
  [0, 0, 0.5, false, 'ok'], // nothing before, nothing now
  [99, 100, 0, false, 'held'], // share 0: any drop
  [7, 10, 0.3, false, 'ok'], // exactly 30% (float: 10 × 0.7 = 7.000000000000001)
  [6, 10, 0.3, false, 'held'],
  [10, 100, 0.9, false, 'ok'], // exactly 90% (float: 100 × 0.1 = 9.999999999999998)
  [9, 100, 0.9, false, 'held'],
  [1, 3, 2 / 3, false, 'ok'],
];

describe('extractGuard', () => {
  it.each(table)('current %d, previous %s, share %d, force %s → %s', (current, previous, share, force, verdict) => {
    const r = extractGuard({ metric: 'students', current, previous, maxDropShare: share, force });
    expect(r.verdict).toBe(verdict);
    if (verdict === 'ok') expect(r.reason).toBeNull();
    else {
      expect(r.reason).toContain('students');
      expect(r.reason).toContain(`${current} now`);
      expect(r.reason).toContain(`${previous} at the last successful run`);
      expect(r.reason).toContain(`allowed drop ${Math.round(share * 1000) / 10}%`);
    }
  });

  it('names the metric, both numbers, the drop and the limit', () => {
    expect(extractGuard({ metric: 'rows_written', current: 40, previous: 120, maxDropShare: 0.5, force: false })).toEqual({
      verdict: 'held',
      reason: 'rows_written: 40 now against 120 at the last successful run (a drop of 66.7%, allowed drop 50%); delivery held',
    });
    expect(extractGuard({ metric: 'students', current: 0, previous: 8, maxDropShare: 0.25, force: true })).toEqual({
      verdict: 'forced',
      reason: 'students: 0 now against 8 at the last successful run (a drop of 100%, allowed drop 25%); delivered anyway because the run was forced',
    });
  });

  it.each([-0.1, 1.5, Number.NaN])('rejects maxDropShare %d as CONFIG_INVALID', (share) => {
    try {
      extractGuard({ metric: 'm', current: 1, previous: 2, maxDropShare: share, force: false });
      throw new Error('expected a throw');
    } catch (err) {
      expect(err).toBeInstanceOf(SisrelayError);
      expect((err as SisrelayError).code).toBe('CONFIG_INVALID');
    }
  });

  it.each([
    [-1, 10],
    [Number.NaN, 10],
    [5, -3],
  ])('rejects impossible counts current %d previous %d', (current, previous) => {
    expect(() => extractGuard({ metric: 'm', current, previous, maxDropShare: 0.5, force: false })).toThrow(/non-negative/);
  });
});
