import { rename, writeFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Daemon } from '../../src/daemon/daemon.js';
import { daemonLog, daemonLogLines, fixtureCatalog, isFinal, job, records, testDirs, waitFor, waitForRecord, writeConfig, type TestDirs } from './helpers/daemon-harness.js';

const catalog = fixtureCatalog();
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

const http = { enabled: true, host: '127.0.0.1', port: 0 };

/** The next instant at HH:MM UTC after now, in Unix seconds (what the next-run gauge holds). */
function nextUtc(hour: number, minute: number): number {
  const now = new Date();
  let t = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), hour, minute);
  if (t <= now.getTime()) t += 86_400_000;
  return t / 1000;
}

async function nextRunGauge(d: Daemon, jobName: string): Promise<string | null> {
  const text = await (await fetch(`${d.healthUrl}/metrics`)).text();
  const m = new RegExp(`^sisrelay_job_next_run_timestamp_seconds\\{job="${jobName}"\\} (\\S+)$`, 'm').exec(text);
  return m ? m[1]! : null;
}

describe('daemon reload', () => {
  it('applies a valid edit while a run is in flight: the run finishes with its old config, the new schedule is armed', async () => {
    await writeConfig(dirs, {
      daemon: { http },
      jobs: { slow: job('succeeds', { schedule: '0 3 * * *', runOnStart: true, params: { delayMs: 1500, rows: 3 } }) },
    });
    const d = (daemon = new Daemon({ configFile: dirs.configFile, catalog, env: {}, console: false }));
    await d.start();
    const running = await waitForRecord(dirs, 'slow', (r) => r.pid !== null && r.status === 'running');
    expect(await nextRunGauge(d, 'slow')).toBe(String(nextUtc(3, 0)));

    await writeConfig(dirs, {
      daemon: { http },
      jobs: {
        slow: job('succeeds', { schedule: '30 5 * * *', runOnStart: true, params: { delayMs: 0, rows: 7 } }),
        added: job('trivial', { schedule: '45 6 * * *' }),
      },
    });
    expect(await d.reload('SIGHUP')).toBe(true);
    expect(d.generation).toBe(2);
    expect(d.config.jobs.slow!.params).toEqual({ delayMs: 0, rows: 7 });

    const final = await waitForRecord(dirs, 'slow', (r) => r.runId === running.runId && isFinal(r));
    expect(final).toMatchObject({ status: 'succeeded', counts: { rows_written: 3 } });
    expect(await nextRunGauge(d, 'slow')).toBe(String(nextUtc(5, 30)));
    expect(await nextRunGauge(d, 'added')).toBe(String(nextUtc(6, 45)));
    // A reload never fires run-on-start again.
    expect(await records(dirs, 'slow')).toHaveLength(1);
    expect(await records(dirs, 'added')).toHaveLength(0);
    await waitFor(() => / info  reloaded \(SIGHUP\) generation=2 added=added removed=- changed=slow/.test(daemonLog(dirs)), 2000, 'the reload to be logged');
    expect((await (await fetch(`${d.healthUrl}/metrics`)).text())).toContain('sisrelay_config_generation 2');
  });

  it('rejects an invalid edit: every problem is logged, the old config and generation stay, a later valid edit still applies', async () => {
    await writeConfig(dirs, { daemon: { http }, jobs: { nightly: job('trivial', { schedule: '0 3 * * *' }) } });
    const d = (daemon = new Daemon({ configFile: dirs.configFile, catalog, env: {}, console: false }));
    await d.start();

    await writeConfig(dirs, {
      daemon: { http },
      jobs: { nightly: job('trivial', { schedule: '0 25 * * *' }), other: job('trivial', { shedule: '0 4 * * *' }) },
    });
    expect(await d.reload('SIGHUP')).toBe(false);
    expect(d.generation).toBe(1);
    expect(d.config.jobs.nightly!.schedule).toBe('0 3 * * *');
    await waitFor(() => daemonLog(dirs).includes('jobs.other.shedule'), 2000, 'the problems to be logged');
    expect(Object.keys(d.config.jobs)).toEqual(['nightly']);
    expect(await nextRunGauge(d, 'nightly')).toBe(String(nextUtc(3, 0)));

    const lines = daemonLogLines(dirs);
    const at = lines.findIndex((l) => l.includes('reload rejected (SIGHUP): keeping generation 1'));
    expect(at).toBeGreaterThan(0);
    expect(lines[at]).toContain('problems=2');
    expect(lines.slice(at + 1, at + 3)).toEqual([
      expect.stringMatching(/ error   jobs\.nightly\.schedule: hour: expected hours 0-23.*found "25"/),
      expect.stringMatching(/ error   jobs\.other\.shedule: unknown key; expected one of: .*schedule/),
    ]);

    // A syntax error is rejected the same way.
    await writeConfig(dirs, { raw: '{ daemon: { ' });
    expect(await d.reload('SIGHUP')).toBe(false);
    await waitFor(() => /error   \S+sisrelay\.json:\d+:\d+: expected JSON/.test(daemonLog(dirs)), 2000, 'the syntax error to be logged');

    await writeConfig(dirs, { daemon: { http }, jobs: { nightly: job('trivial', { schedule: '15 4 * * *' }) } });
    expect(await d.reload('SIGHUP')).toBe(true);
    expect(d.generation).toBe(2);
    expect(await nextRunGauge(d, 'nightly')).toBe(String(nextUtc(4, 15)));
  });

  it('reloads on file change with daemon.watchConfig, also when an editor renames a new file over the old one', async () => {
    await writeConfig(dirs, { daemon: { watchConfig: true }, jobs: { nightly: job('trivial', { schedule: '0 3 * * *' }) } });
    const d = (daemon = new Daemon({ configFile: dirs.configFile, catalog, env: {}, console: false }));
    await d.start();

    await writeConfig(dirs, { daemon: { watchConfig: true }, jobs: { nightly: job('trivial', { schedule: '0 4 * * *' }) } });
    await waitFor(() => d.generation === 2, 5000, 'the in-place write to be reloaded');
    expect(d.config.jobs.nightly!.schedule).toBe('0 4 * * *');

    // Save by rename: the watch on the directory survives the inode swap.
    const temp = `${dirs.configFile}.swp`;
    await writeFile(temp, JSON.stringify({ daemon: { watchConfig: true, timezone: 'UTC', stateDir: dirs.stateDir, logDir: dirs.logDir }, jobs: { nightly: job('trivial', { schedule: '0 5 * * *' }) } }));
    await rename(temp, dirs.configFile);
    await waitFor(() => d.generation === 3, 5000, 'the renamed file to be reloaded');
    expect(d.config.jobs.nightly!.schedule).toBe('0 5 * * *');
    await waitFor(() => /reloaded \(file change\) generation=3/.test(daemonLog(dirs)), 2000, 'the reload to be logged');
  });

  it('reloads on file change with the --watch option when the config does not ask for it; a broken save is rejected', async () => {
    await writeConfig(dirs, { jobs: { nightly: job('trivial', { schedule: '0 3 * * *' }) } });
    const d = (daemon = new Daemon({ configFile: dirs.configFile, catalog, env: {}, console: false, watch: true }));
    await d.start();
    await writeConfig(dirs, { raw: '{ "jobs": ' });
    await waitFor(() => daemonLog(dirs).includes('reload rejected (file change)'), 5000, 'the broken save to be rejected');
    expect(d.generation).toBe(1);
    await writeConfig(dirs, { jobs: { nightly: job('trivial', { schedule: '0 6 * * *' }) } });
    await waitFor(() => d.generation === 2, 5000, 'the fixed file to be reloaded');
  });
});
