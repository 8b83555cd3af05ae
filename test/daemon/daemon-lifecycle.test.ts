import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { getTasks } from 'node-cron';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Daemon } from '../../src/daemon/daemon.js';
import { RunStore } from '../../src/runner/run-store.js';
import { startHttpSink } from '../fixtures/http-sink.js';
import { pidGone } from '../runner/helpers/run-fixtures.js';
import {
  daemonLog,
  daemonLogLines,
  fixtureCatalog,
  isFinal,
  job,
  records,
  testDirs,
  waitFor,
  waitForRecord,
  writeConfig,
  type TestDirs,
} from './helpers/daemon-harness.js';

const catalog = fixtureCatalog();
const DAY = 86_400_000;
let dirs: TestDirs;
let daemon: Daemon | null = null;

beforeEach(async () => {
  dirs = await testDirs();
});

afterEach(async () => {
  await daemon?.stop();
  daemon = null;
  await dirs.cleanup();
});

function newDaemon(env: NodeJS.ProcessEnv = {}): Daemon {
  daemon = new Daemon({ configFile: dirs.configFile, catalog, env, console: false });
  return daemon;
}

describe('daemon shutdown', () => {
  it('cancels a run that ignores SIGTERM within shutdownGrace + killGrace, records it cancelled and removes the pid file', async () => {
    await writeConfig(dirs, {
      daemon: { shutdownGrace: '1s' },
      jobs: { stuck: job('hangs-ignoring', { runOnStart: true, killGrace: '500ms' }) },
    });
    const d = newDaemon();
    await d.start();
    const running = await waitForRecord(dirs, 'stuck', (r) => r.pid !== null && r.status === 'running');

    const t0 = Date.now();
    await d.stop('SIGTERM');
    const took = Date.now() - t0;
    // 1 s grace + 0.5 s SIGTERM→SIGKILL grace, plus slack for a loaded 2-core machine.
    expect(took).toBeGreaterThanOrEqual(1000);
    expect(took).toBeLessThan(1500 + 3000);

    const [final] = await records(dirs, 'stuck');
    expect(final).toMatchObject({ runId: running.runId, status: 'cancelled', error: { code: 'RUN_CANCELLED' } });
    expect(pidGone(running.pid!)).toBe(true);
    expect(existsSync(join(dirs.stateDir, 'daemon.pid'))).toBe(false);
    const lines = daemonLogLines(dirs);
    expect(lines.some((l) => l.includes('stopping (SIGTERM): no new runs; waiting up to 1s for 1 running'))).toBe(true);
    expect(lines.filter((l) => l.includes(`run=${running.runId} run finished`))).toEqual([expect.stringContaining('status=cancelled')]);
  });

  it('lets a run that finishes inside the grace period succeed instead of killing it', async () => {
    await writeConfig(dirs, { daemon: { shutdownGrace: '20s' }, jobs: { slow: job('succeeds', { runOnStart: true, params: { delayMs: 800 } }) } });
    const d = newDaemon();
    await d.start();
    await waitForRecord(dirs, 'slow', (r) => r.pid !== null);
    await d.stop();
    const [final] = await records(dirs, 'slow');
    expect(final).toMatchObject({ status: 'succeeded', counts: { rows_written: 3 } });
  });

  it('waits for an alert still being sent before it closes its log', async () => {
    const slow = await startHttpSink(() => ({ status: 200, body: 'ok', delayMs: 700 }));
    try {
      await writeConfig(dirs, {
        daemon: { notifications: { slackConnection: 'chat' } },
        connections: { chat: { type: 'slack', webhookUrl: { env: 'HOOK' }, timeout: '5s' } },
        jobs: { bad: job('throws-permanent', { runOnStart: true, alerts: { slack: true, email: false } }) },
      });
      const d = newDaemon({ HOOK: `${slow.url}/hook/secret-path` });
      await d.start();
      await waitForRecord(dirs, 'bad', isFinal);
      await waitFor(() => slow.requests.length === 1, 5000, 'the Slack post to arrive');
      await d.stop();
      const lines = daemonLogLines(dirs);
      const sent = lines.findIndex((l) => l.includes('alert failure for job bad sent via slack'));
      expect(sent).toBeGreaterThan(0);
      expect(sent).toBeLessThan(lines.findIndex((l) => l.endsWith(' stopped')));
    } finally {
      await slow.close();
    }
  });
});

describe('daemon start failures', () => {
  it('undoes a half-done start (health port taken): no pid file, no armed cron task, and a later start works', async () => {
    const blocker = http.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const tasksBefore = getTasks().size;
      await writeConfig(dirs, { daemon: { http: { enabled: true, port } }, jobs: { nightly: job('trivial', { schedule: '0 3 * * *' }) } });
      const d = newDaemon();
      await expect(d.start()).rejects.toThrow(`could not listen on 127.0.0.1:${port} (EADDRINUSE)`);
      expect(existsSync(join(dirs.stateDir, 'daemon.pid'))).toBe(false);
      expect(getTasks().size).toBe(tasksBefore);
      expect(daemonLog(dirs)).toMatch(/error start failed: CONFIG_INVALID: daemon.http: could not listen/);
      await d.stop(); // a no-op after a failed start

      await writeConfig(dirs, { daemon: { http: { enabled: true, port: 0 } }, jobs: { nightly: job('trivial', { schedule: '0 3 * * *' }) } });
      const again = newDaemon();
      await again.start();
      expect(again.healthUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      blocker.close();
    }
  });

  it('refuses an invalid config with every problem and leaves nothing behind', async () => {
    await writeConfig(dirs, { jobs: { a: job('succeeds', { schedule: '61 * * * *' }), b: job('no-such-type') } });
    const d = newDaemon();
    const err = (await d.start().catch((e: unknown) => e)) as { problems?: Array<{ path: string }> };
    expect(err.problems?.map((p) => p.path)).toEqual(['jobs.a.schedule', 'jobs.b.type']);
    expect(existsSync(dirs.stateDir)).toBe(false);
  });
});

describe('daemon retention', () => {
  it('removes run directories older than the job or default retention at start, and logs each one', async () => {
    const store = new RunStore(dirs.stateDir, dirs.logDir);
    const now = Date.now();
    const finished = async (jobName: string, ageMs: number) => {
      const r = await store.create({ job: jobName, type: 'succeeds', trigger: 'schedule', slot: null, now: new Date(now - ageMs - 1000) });
      await store.write({ ...r, status: 'succeeded', finishedAt: new Date(now - ageMs).toISOString(), durationMs: 1000 });
      return r;
    };
    const ancient = await finished('nightly', 50 * DAY); // default retention: 42 days
    const recent = await finished('nightly', 10 * DAY);
    const shortLived = await finished('hourly', 2 * DAY); // the job keeps 1 day
    const gone = await finished('removed-job', 43 * DAY); // no longer in config: default applies

    await writeConfig(dirs, {
      jobs: { nightly: job('trivial', { schedule: '0 3 * * *' }), hourly: job('trivial', { schedule: '0 * * * *', retention: '1d' }) },
    });
    const d = newDaemon();
    await d.start();
    await waitFor(() => daemonLog(dirs).includes('retention cleanup (start)'), 10_000, 'the start cleanup');
    await d.stop();

    expect(existsSync(ancient.runDir)).toBe(false);
    expect(existsSync(shortLived.runDir)).toBe(false);
    expect(existsSync(gone.runDir)).toBe(false);
    expect(existsSync(recent.runDir)).toBe(true);
    const log = daemonLog(dirs);
    for (const r of [ancient, shortLived, gone]) expect(log).toContain(`job=${r.job} run=${r.runId} retention removed run`);
    expect(log).not.toContain(`run=${recent.runId}`);
    expect(log).toMatch(/retention cleanup \(start\) removed 3 run directories/);
  });
});

describe('daemon health and metrics', () => {
  it('serves /healthz and /metrics on the bound loopback port with per-job series', async () => {
    await writeConfig(dirs, {
      daemon: { http: { enabled: true, host: '127.0.0.1', port: 0 } },
      jobs: { nightly: job('succeeds', { schedule: '0 3 * * *', runOnStart: true }), manual: job('trivial') },
    });
    const d = newDaemon();
    await d.start();
    const url = d.healthUrl!;
    await waitForRecord(dirs, 'nightly', isFinal);
    await waitFor(async () => (await (await fetch(`${url}/metrics`)).text()).includes('sisrelay_runs_total{job="nightly",status="succeeded"} 1'), 5000, 'the finished run in the metrics');

    const health = (await (await fetch(`${url}/healthz`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ status: 'ok', configGeneration: 1, runningRuns: 0 });
    expect(typeof health.lastTick).toBe('string');

    const metrics = await (await fetch(`${url}/metrics`)).text();
    const next = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate() + (new Date().getUTCHours() >= 3 ? 1 : 0), 3) / 1000;
    expect(metrics).toContain(`sisrelay_job_next_run_timestamp_seconds{job="nightly"} ${next}`);
    expect(metrics).not.toMatch(/sisrelay_job_next_run_timestamp_seconds\{job="manual"\} \d/);
    expect(metrics).toContain('sisrelay_job_last_status{job="nightly",status="succeeded"} 1');
    expect(metrics).toMatch(/sisrelay_job_last_success_timestamp_seconds\{job="nightly"\} \d+/);
    expect(metrics).toContain('sisrelay_config_generation 1');
    expect(metrics).toContain('sisrelay_runs_running 0');
    expect(daemonLog(dirs)).toContain(`health endpoint listening url=${url}`);
    await d.stop();
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});
