import { existsSync, lstatSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Daemon } from '../../src/daemon/daemon.js';
import { RunStore } from '../../src/runner/run-store.js';
import { SlotStateStore } from '../../src/scheduler/slot-state-store.js';
import {
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
/** Clock and timers; setImmediate and nextTick stay real. */
const CLOCK = ['Date', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] as const;
let dirs: TestDirs;
let daemon: Daemon | null = null;

beforeEach(async () => {
  dirs = await testDirs();
});

afterEach(async () => {
  await daemon?.stop();
  daemon = null;
  vi.useRealTimers();
  await dirs.cleanup();
});

function newDaemon(): Daemon {
  daemon = new Daemon({ configFile: dirs.configFile, catalog, env: {}, console: false });
  return daemon;
}

describe('daemon: a run from start to finish', () => {
  it('runs a run-on-start job: record, run log, <job>.log link, one daemon log line per event with job and run id', async () => {
    await writeConfig(dirs, { jobs: { nightly: job('succeeds', { schedule: '0 3 * * *', runOnStart: true }), idle: job('trivial', { schedule: '0 4 * * *' }) } });
    const d = newDaemon();
    await d.start();
    expect(d.generation).toBe(1);
    expect(readFileSync(join(dirs.stateDir, 'daemon.pid'), 'utf8').trim()).toBe(String(process.pid));

    const record = await waitForRecord(dirs, 'nightly', isFinal);
    expect(record).toMatchObject({ job: 'nightly', type: 'succeeds', trigger: 'start', status: 'succeeded', attempt: 1, error: null });
    expect(record.counts).toEqual({ rows_read: 3, rows_written: 3 });
    expect(record.files.map((f) => f.name)).toEqual(['out.csv']);
    expect(statSync(record.logFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(record.logFile, 'utf8')).toContain('wrote file');
    const link = join(dirs.logDir, 'nightly.log');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(record.logFile);
    // The idle job was never run.
    expect(await records(dirs, 'idle')).toEqual([]);

    await d.stop();
    expect(existsSync(join(dirs.stateDir, 'daemon.pid'))).toBe(false);
    const lines = daemonLogLines(dirs);
    for (const l of lines) expect(l).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (error|warn |info |debug) /);
    const ofRun = lines.filter((l) => l.includes(`run=${record.runId}`));
    expect(ofRun.map((l) => l.replace(/^\S+ \S+\s+/, '').split(' ').slice(0, 4).join(' '))).toEqual([
      `job=nightly run=${record.runId} run started`,
      `job=nightly run=${record.runId} run finished`,
    ]);
    expect(ofRun[1]).toMatch(/ status=succeeded durationMs=\d+ counts=rows_read=3,rows_written=3$/);
    expect(lines.some((l) => /job=nightly scheduled schedule="0 3 \* \* \*" zone=UTC next=\S+T03:00:00.000Z/.test(l))).toBe(true);
    expect(lines.some((l) => / info  ready scheduled=2 jobs=2/.test(l))).toBe(true);
    expect(lines.at(-1)).toMatch(/ info  stopped$/);
  });

  it('fires a cron slot in the job zone: the run serves the slot instant and the slot is recorded as handled', async () => {
    // The clock is shifted (to 09:19:30 in Phoenix) and otherwise runs at real speed, so the run
    // process and the runner's own timers behave as in production. Starting 30 s early leaves a
    // slow machine time to start the daemon; the wait is then skipped up to a second before.
    vi.useFakeTimers({ now: new Date('2027-03-15T16:19:30Z'), toFake: [...CLOCK], shouldAdvanceTime: true, advanceTimeDelta: 10 });
    await writeConfig(dirs, { jobs: { leganto: job('succeeds', { schedule: '20 9 * * *', timezone: 'America/Phoenix' }) } });
    const d = newDaemon();
    await d.start();
    await vi.advanceTimersByTimeAsync(Date.parse('2027-03-15T16:19:59Z') - Date.now());
    const record = await waitForRecord(dirs, 'leganto', isFinal);
    expect(record).toMatchObject({ trigger: 'schedule', slot: '2027-03-15T16:20:00.000Z', status: 'succeeded' });
    expect(Date.parse(record.startedAt!)).toBeGreaterThanOrEqual(Date.parse('2027-03-15T16:20:00Z'));
    await d.stop();
    expect(await new SlotStateStore(dirs.stateDir).get('leganto')).toMatchObject({ lastSlot: '2027-03-15T16:20:00.000Z', trigger: 'schedule' });
    const lines = daemonLogLines(dirs);
    expect(lines.some((l) => l.includes('job=leganto scheduled') && l.includes('next=2027-03-15T16:20:00.000Z'))).toBe(true);
  });

  it('records a slot whose timer woke later than the tolerance as a skipped run with a "missed" note, and does not run it', async () => {
    vi.useFakeTimers({ now: new Date('2027-03-15T16:19:30Z'), toFake: [...CLOCK], shouldAdvanceTime: true, advanceTimeDelta: 10 });
    await writeConfig(dirs, { daemon: { missedTolerance: '1s' }, jobs: { leganto: job('succeeds', { schedule: '20 9 * * *', timezone: 'America/Phoenix' }) } });
    const d = newDaemon();
    await d.start();
    // The wall clock steps a minute forward before the slot (a stall, a suspend, an NTP step);
    // the timer set for 09:20:00 then wakes far past it.
    vi.setSystemTime(new Date('2027-03-15T16:20:45Z'));
    await vi.advanceTimersByTimeAsync(31_000);
    const record = await waitForRecord(dirs, 'leganto', () => true, 10_000);
    expect(record).toMatchObject({ status: 'skipped', trigger: 'schedule', slot: '2027-03-15T16:20:00.000Z', pid: null });
    expect(record.notes).toHaveLength(1);
    // Armed at about 09:19:30 for 09:20:00, woken 30 s later on a clock that jumped 75 s.
    expect(record.notes[0]).toMatch(/^missed: the timer fired 1m1[3-5]s late \(tolerance 1s\)$/);
    await d.stop();
    expect((await records(dirs, 'leganto')).map((r) => r.status)).toEqual(['skipped']);
    const warn = daemonLogLines(dirs).filter((l) => l.includes(`run=${record.runId}`));
    expect(warn).toHaveLength(1);
    expect(warn[0]).toMatch(/ warn  job=leganto run=\S+ missed: the timer fired .* slot=2027-03-15T16:20:00.000Z$/);
  });

  it('catches up the latest slot missed while it was down (catchUp window), once, as a catch-up run', async () => {
    // 08:30 UTC; the 08:00 slot passed while no daemon ran, and the one before was handled.
    vi.useFakeTimers({ now: new Date('2027-03-15T08:30:00Z'), toFake: [...CLOCK], shouldAdvanceTime: true, advanceTimeDelta: 10 });
    await new SlotStateStore(dirs.stateDir).set('nightly', { lastSlot: new Date('2027-03-14T08:00:00Z'), lastFiredAt: new Date('2027-03-14T08:00:01Z'), trigger: 'schedule' });
    await writeConfig(dirs, {
      jobs: {
        nightly: job('succeeds', { schedule: '0 8 * * *', catchUp: '2h', runOnStart: true }),
        sync: job('trivial', { schedule: '0 8 * * *' }), // no catch-up window: the missed slot is not replayed
      },
    });
    const d = newDaemon();
    await d.start();
    const record = await waitForRecord(dirs, 'nightly', isFinal);
    await d.stop();
    expect(record).toMatchObject({ trigger: 'catchup', slot: '2027-03-15T08:00:00.000Z', status: 'succeeded' });
    // Run-on-start is skipped right after a catch-up run: one run, not two.
    expect(await records(dirs, 'nightly')).toHaveLength(1);
    expect(await records(dirs, 'sync')).toEqual([]);
    expect(await new SlotStateStore(dirs.stateDir).get('nightly')).toMatchObject({ lastSlot: '2027-03-15T08:00:00.000Z', trigger: 'catchup' });
  });
});
