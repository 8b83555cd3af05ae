import { describe, expect, it } from 'vitest';
import type { SisrelayError } from '../../../src/errors/sisrelay-error.js';
import type { JobLogger, PreviousRun, RunReport } from '../../../src/jobs/job-types.js';
import { checkExtractDrop } from '../../../src/jobs/powerschool-shared/extract-checks.js';
import { integerText, isOne, optionalText, ymdText } from '../../../src/jobs/powerschool-shared/sql-values.js';
import { queryBatches } from '../../../src/jobs/powerschool-shared/query-batches.js';
import { cancelCheck } from '../../../src/jobs/shared/cancel-check.js';
import type { SqlSource } from '../../../src/adapters/adapter-types.js';
import { sqlDateToYmd } from '../../../src/util/dates.js';

function fakeCtx(over: { previous?: PreviousRun | null; force?: boolean; dryRun?: boolean } = {}) {
  const notes: string[] = [];
  const warnings: string[] = [];
  const report = { note: (t: string) => notes.push(t) } as unknown as RunReport;
  const log = { warn: (m: string) => warnings.push(m) } as unknown as JobLogger;
  return { ctx: { previous: over.previous ?? null, force: over.force ?? false, dryRun: over.dryRun ?? false, report, log }, notes, warnings };
}

const prev = (counts: Record<string, number>): PreviousRun => ({ runId: 'run-7', finishedAt: '2026-10-14T08:00:00Z', counts });

describe('checkExtractDrop', () => {
  it('passes without a previous run, and when a count is new', () => {
    expect(checkExtractDrop(fakeCtx().ctx, [{ metric: 'students', current: 0 }], 0.5).verdict).toBe('ok');
    expect(checkExtractDrop(fakeCtx({ previous: prev({ other: 5 }) }).ctx, [{ metric: 'students', current: 1 }], 0.5).verdict).toBe('ok');
  });

  it('passes a drop of exactly the allowed share', () => {
    expect(checkExtractDrop(fakeCtx({ previous: prev({ students: 100 }) }).ctx, [{ metric: 'students', current: 50 }], 0.5).verdict).toBe('ok');
  });

  it('throws GUARD_EXTRACT_DROP naming every breached metric and the previous run', () => {
    const { ctx } = fakeCtx({ previous: prev({ students: 100, rows_written: 800 }) });
    let err: SisrelayError | undefined;
    try {
      checkExtractDrop(ctx, [{ metric: 'students', current: 40 }, { metric: 'rows_written', current: 100 }], 0.5);
    } catch (e) {
      err = e as SisrelayError;
    }
    expect(err?.code).toBe('GUARD_EXTRACT_DROP');
    expect(err?.message).toBe(
      'students: 40 now against 100 at the last successful run (a drop of 60%, allowed drop 50%); delivery held; ' +
        'rows_written: 100 now against 800 at the last successful run (a drop of 87.5%, allowed drop 50%); delivery held ' +
        '(last successful run run-7); rerun with --force to deliver anyway',
    );
    expect(err?.details).toMatchObject({ maxDropShare: 0.5 });
  });

  it('throws GUARD_EMPTY_SOURCE when a metric fell to zero', () => {
    const { ctx } = fakeCtx({ previous: prev({ students: 100, rows_written: 800 }) });
    expect(() => checkExtractDrop(ctx, [{ metric: 'students', current: 0 }, { metric: 'rows_written', current: 0 }], 0.5)).toThrow(
      expect.objectContaining({ code: 'GUARD_EMPTY_SOURCE' }),
    );
  });

  it('a forced run delivers, with a note and a warning saying the guard was overridden', () => {
    const { ctx, notes, warnings } = fakeCtx({ previous: prev({ students: 100 }), force: true });
    expect(checkExtractDrop(ctx, [{ metric: 'students', current: 10 }], 0.5).verdict).toBe('forced');
    expect(notes).toEqual([expect.stringMatching(/^extract guard overridden \(forced run\): students: 10 now against 100 .*delivered anyway because the run was forced$/)]);
    expect(warnings).toHaveLength(1);
  });

  it('a dry run does not throw but notes that a real run would be held', () => {
    const { ctx, notes } = fakeCtx({ previous: prev({ students: 100 }), dryRun: true });
    expect(checkExtractDrop(ctx, [{ metric: 'students', current: 10 }], 0.5).verdict).toBe('held');
    expect(notes).toEqual([expect.stringMatching(/^dry run: a real run would be held: students: 10 now against 100/)]);
  });
});

describe('sql-values', () => {
  const site = ['termid', 'student 1'] as const;
  it.each([
    [3600, '3600'], [3600n, '3600'], ['3600', '3600'], [' 0042 ', '42'], ['-3600', '-3600'], ['+7', '7'], ['-007', '-7'], [null, null],
  ] as const)('integerText(%s) → %s', (v, expected) => {
    expect(integerText(v, ...site)).toBe(expected);
  });

  it.each([[1.5], ['1.5'], ['abc'], [new Date(0)], [true]] as const)('integerText(%j) is DATA_INVALID', (v) => {
    expect(() => integerText(v, ...site)).toThrow(expect.objectContaining({ code: 'DATA_INVALID' }));
  });

  it('ymdText takes adapter dates (UTC fields) and date text, never the host zone', () => {
    expect(ymdText(new Date('2026-08-19T00:00:00Z'), ...site)).toBe('2026-08-19');
    expect(ymdText('2026-08-19 00:00:00', ...site)).toBe('2026-08-19');
    expect(ymdText(null, ...site)).toBeNull();
    expect(() => ymdText('19/08/2026', ...site)).toThrow(/student 1, column termid: expected a date/);
  });

  it('ymdText formats every calendar day of years 1000-9999 like sqlDateToYmd (sampled), and falls back outside', () => {
    for (let day = -354_285; day < 2_932_897; day += 97) {
      const date = new Date(day * 86_400_000);
      expect(ymdText(date, 'x')).toBe(sqlDateToYmd(date));
    }
    for (const iso of ['0999-12-31T00:00:00Z', '1000-01-01T00:00:00Z', '2024-02-29T00:00:00Z', '9999-12-31T00:00:00Z', '2026-08-19T05:00:00Z']) {
      expect(ymdText(new Date(iso), 'x')).toBe(sqlDateToYmd(new Date(iso)));
    }
    expect(() => ymdText(new Date(Number.NaN), 'x')).toThrow(/invalid Date/);
  });

  it('optionalText refuses a Date (it would print in the host zone)', () => {
    expect(optionalText('x', ...site)).toBe('x');
    expect(optionalText(12, ...site)).toBe('12');
    expect(() => optionalText(new Date(0), ...site)).toThrow(/expected text, found a date/);
  });

  it.each([[1, true], ['1', true], [' 1 ', true], [1n, true], [0, false], [-1, false], [null, false], ['Y', false]] as const)('isOne(%s) → %s', (v, expected) => {
    expect(isOne(v)).toBe(expected);
  });
});

describe('queryBatches + cancelCheck', () => {
  function fakeSource(total: number) {
    const state = { closed: false, signalPassed: false };
    const source = {
      async *streamBatches(_sql: string, _binds?: unknown, options?: { signal?: AbortSignal }) {
        state.signalPassed = options?.signal !== undefined;
        try {
          for (let i = 0; i < total; i += 700) yield Array.from({ length: Math.min(700, total - i) }, (_, k) => ({ n: i + k }));
        } finally {
          state.closed = true;
        }
      },
    } as unknown as SqlSource;
    return { source, state };
  }

  it('yields every row and hands the run signal to the source (a cancel stops a long sort too)', async () => {
    const { source, state } = fakeSource(3000);
    const seen: unknown[] = [];
    for await (const batch of queryBatches(source, 'SELECT 1', {}, new AbortController().signal)) for (const row of batch) seen.push(row.n);
    expect(seen).toEqual(Array.from({ length: 3000 }, (_, i) => i));
    expect(state.signalPassed).toBe(true);
  });

  it('stops within about a thousand rows of a cancel, with the signal reason, and closes the statement', async () => {
    const { source, state } = fakeSource(100_000);
    const ac = new AbortController();
    const reason = new Error('run cancelled');
    let n = 0;
    await expect(async () => {
      const tick = cancelCheck(ac.signal);
      for await (const batch of queryBatches(source, 'SELECT 1', {}, ac.signal)) {
        for (const _ of batch) {
          tick();
          if (++n === 1500) ac.abort(reason);
        }
      }
    }).rejects.toBe(reason);
    expect(n).toBeLessThanOrEqual(2048);
    expect(state.closed).toBe(true);
  });

  it('refuses to start when the run is already cancelled', async () => {
    const { source } = fakeSource(10);
    const ac = new AbortController();
    ac.abort(new Error('gone'));
    expect(() => queryBatches(source, 'SELECT 1', {}, ac.signal)).toThrow('gone');
  });
});
