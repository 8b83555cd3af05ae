import { register as globalRegister } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/observability/metrics.js';
import type { RunRecord } from '../../src/runner/run-record.js';

function rec(over: Partial<RunRecord>): RunRecord {
  return {
    version: 1,
    runId: 'r1',
    job: 'clever',
    type: 'clever',
    trigger: 'schedule',
    slot: null,
    attempt: 1,
    retryOf: null,
    status: 'running',
    dryRun: false,
    force: false,
    createdAt: '2026-05-01T06:30:00.000Z',
    startedAt: '2026-05-01T06:30:00.000Z',
    finishedAt: null,
    durationMs: null,
    host: 'h',
    pid: 1,
    counts: {},
    files: [],
    deliveries: [],
    items: [],
    notes: [],
    error: null,
    exit: null,
    runDir: '/x',
    logFile: '/x/run.log',
    nextRetryAt: null,
    ...over,
  };
}

/** The value of one series line in Prometheus text, or undefined when the series is absent. */
function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('createMetrics', () => {
  it('tracks running runs, last status, success time, duration, totals and failures', async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.runStarted(rec({ runId: 'a', job: 'clever' }));
    m.runStarted(rec({ runId: 'b', job: 'moodle' }));
    let t = await m.render();
    expect(value(t, 'sisrelay_runs_running')).toBe(2);
    expect(value(t, 'sisrelay_runs_running_by_job{job="clever"}')).toBe(1);

    m.runFinished(rec({ runId: 'a', job: 'clever', status: 'succeeded', finishedAt: '2026-05-01T06:31:40.000Z', durationMs: 100_000 }));
    m.runFinished(rec({ runId: 'b', job: 'moodle', status: 'failed', durationMs: 2500, error: { code: 'GUARD_DROP_LIMIT', message: 'x', transient: false } }));
    // A duplicate finish must not drive the gauge negative or double count the failure's running state.
    m.runFinished(rec({ runId: 'b', job: 'moodle', status: 'failed', durationMs: 2500, error: { code: 'GUARD_DROP_LIMIT', message: 'x', transient: false } }));
    t = await m.render();
    expect(value(t, 'sisrelay_runs_running')).toBe(0);
    expect(value(t, 'sisrelay_runs_running_by_job{job="clever"}')).toBe(0);
    expect(value(t, 'sisrelay_job_last_success_timestamp_seconds{job="clever"}')).toBe(Date.parse('2026-05-01T06:31:40Z') / 1000);
    expect(value(t, 'sisrelay_job_last_success_timestamp_seconds{job="moodle"}')).toBeUndefined();
    expect(value(t, 'sisrelay_job_last_duration_seconds{job="clever"}')).toBe(100);
    expect(value(t, 'sisrelay_job_last_status{job="clever",status="succeeded"}')).toBe(1);
    expect(value(t, 'sisrelay_job_last_status{job="clever",status="failed"}')).toBe(0);
    expect(value(t, 'sisrelay_job_last_status{job="moodle",status="failed"}')).toBe(1);
    expect(value(t, 'sisrelay_runs_total{job="clever",status="succeeded"}')).toBe(1);
    expect(value(t, 'sisrelay_run_failures_total{job="moodle",code="GUARD_DROP_LIMIT"}')).toBe(2);
  });

  it('a skipped run counts in runs_total but leaves the last status alone', async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.runFinished(rec({ runId: 'a', status: 'succeeded', finishedAt: '2026-05-01T06:31:00Z', durationMs: 1000 }));
    m.runFinished(rec({ runId: 'b', status: 'skipped' }));
    const t = await m.render();
    expect(value(t, 'sisrelay_runs_total{job="clever",status="skipped"}')).toBe(1);
    expect(value(t, 'sisrelay_job_last_status{job="clever",status="succeeded"}')).toBe(1);
    expect(value(t, 'sisrelay_job_last_status{job="clever",status="skipped"}')).toBe(0);
  });

  it('next run, config generation and tick; removeJob drops every series of the job', async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.setNextRun('clever', new Date('2026-05-02T06:30:00Z'));
    m.setNextRun('manual-only', null);
    m.setConfigGeneration(3);
    m.tick(new Date('2026-05-01T07:00:00Z'));
    m.runFinished(rec({ runId: 'x', status: 'timed_out', durationMs: 5, error: { code: 'RUN_TIMED_OUT', message: 'm', transient: false } }));
    m.runFinished(rec({ runId: 'y', job: 'other', status: 'succeeded', durationMs: 5, finishedAt: '2026-05-01T06:00:00Z' }));
    let t = await m.render();
    expect(value(t, 'sisrelay_job_next_run_timestamp_seconds{job="clever"}')).toBe(Date.parse('2026-05-02T06:30:00Z') / 1000);
    expect(t).not.toContain('job="manual-only"');
    expect(value(t, 'sisrelay_config_generation')).toBe(3);
    expect(value(t, 'sisrelay_scheduler_last_tick_timestamp_seconds')).toBe(Date.parse('2026-05-01T07:00:00Z') / 1000);
    expect(value(t, 'sisrelay_runs_running')).toBe(0);

    m.removeJob('clever');
    t = await m.render();
    expect(t).not.toContain('job="clever"');
    expect(value(t, 'sisrelay_runs_total{job="other",status="succeeded"}')).toBe(1);
  });

  it('uses a private registry with default process metrics, and two instances do not collide', async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.setConfigGeneration(1);
    b.setConfigGeneration(2);
    expect(value(await a.render(), 'sisrelay_config_generation')).toBe(1);
    expect(value(await b.render(), 'sisrelay_config_generation')).toBe(2);
    expect(await a.render()).toContain('process_cpu_user_seconds_total');
    expect(await globalRegister.metrics()).not.toContain('sisrelay_');
    expect(a.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });
});
