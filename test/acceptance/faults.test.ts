import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCemExport } from '../../src/datagen/cem-generator.js';
import type { RunRecord } from '../../src/runner/run-record.js';
import { checkRecords, readRuns, scanDestinations, sha256, type RunFacts } from './harness/audit.js';
import { ensureDist } from './harness/dist.js';
import { childPids, DaemonProcess, processListing, sleep, startCli, waitUntil, type CliResult } from './harness/processes.js';
import { filesUnder, scanForSecrets } from './harness/secrets.js';
import { CONN, PG_READER_B, job, startWorld, writeConfig, type World } from './harness/world.js';

/**
 * Faults, each repeated with varied timing, against the built executable and real servers:
 * SIGKILL of a run process mid-upload, SIGKILL of the daemon mid-run, sshd stopped mid-transfer,
 * the database connection dropped mid-stream (PostgreSQL and the TDS endpoint), the web services
 * answering 500/429/503 or hanging. Most repetitions use `sisrelay run` (the same run process,
 * record and delivery path as a scheduled run); the daemon-kill family runs the daemon.
 *
 * After all of them: no partial file under a final name at any destination, no delivery made
 * twice, every run has a record whose status matches what happened, the CLI's exit code matches
 * the record, and the daemon still schedules. Repetitions per family are environment variables
 * (SISRELAY_ACCEPTANCE_<FAMILY>=n); the defaults reach more than 100 runs.
 */

const envInt = (name: string, def: number): number => {
  const v = process.env[`SISRELAY_ACCEPTANCE_${name}`];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : def;
};
const N = {
  killUpload: envInt('KILL_UPLOAD', 14),
  killEpoch: envInt('KILL_EPOCH', 8),
  killLoader: envInt('KILL_LOADER', 6),
  sshdStop: envInt('SSHD_STOP', 12),
  dbCut: envInt('DB_CUT', 12),
  dbTerminate: envInt('DB_TERMINATE', 4),
  tdsDrop: envInt('TDS_DROP', 8),
  moodleWs: envInt('MOODLE_WS', 10),
  almaWs: envInt('ALMA_WS', 10),
  daemonKill: envInt('DAEMON_KILL', 6),
};
const DEFAULTS_IN_USE = Object.keys(process.env).every((k) => !k.startsWith('SISRELAY_ACCEPTANCE_') || k === 'SISRELAY_ACCEPTANCE_SEED');
const SEED = Number(process.env.SISRELAY_ACCEPTANCE_SEED ?? Date.now() % 1_000_000);

/** mulberry32: the timing of every fault is reproducible from the printed seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = prng(SEED);
const between = (lo: number, hi: number): number => Math.floor(lo + random() * (hi - lo));

const TEMP_RE = /^\.(.+)\.[0-9a-f]{12}\.part$/;

/** One `sisrelay run` (or daemon life) with the fault it got. */
interface Attempt {
  family: string;
  job: string;
  fault: string;
  /** A fault really reached the run (a kill sent, a connection cut, a fault answer served). */
  injected: boolean;
  /** The fault landed while a temporary upload name existed at the destination. */
  midTransfer: boolean;
  cli: CliResult | null;
  firstRunId: string | null;
  /** Error codes a failed run of this family may truthfully carry. */
  expect: RegExp;
  /** We SIGKILLed its run process. */
  killedRun: boolean;
}

let world: World;
let dir: string;
let config: string;
let dkDir: string;
let dkConfig: string;
const attempts: Attempt[] = [];
const listings: Array<{ what: string; text: string }> = [];
const started = Date.now();
/** First sighting of each no-overwrite file: it must never change afterwards. */
const noOverwrite = new Map<string, { sha: string; ino: number; mtimeMs: number }>();

function watchNoOverwrite(path: string): void {
  if (!existsSync(path)) return;
  const st = statSync(path);
  const now = { sha: sha256(readFileSync(path)), ino: st.ino, mtimeMs: st.mtimeMs };
  if (!noOverwrite.has(path)) noOverwrite.set(path, now);
}

function temps(dirPath: string, deep = false): string[] {
  if (!existsSync(dirPath)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dirPath)) {
    if (TEMP_RE.test(name)) out.push(join(dirPath, name));
    else if (deep && /^\d{8}-\d{6}$/.test(name)) out.push(...temps(join(dirPath, name)));
  }
  return out;
}

/** Alive and not a zombie waiting to be reaped (its run already ended). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

async function runPidOf(cliPid: number, timeoutMs = 20_000): Promise<number | null> {
  let pid: number | null = null;
  await waitUntil(() => {
    pid = childPids(cliPid)[0] ?? null;
    return pid !== null;
  }, timeoutMs, 'the run process').catch(() => undefined);
  return pid;
}

/**
 * `sisrelay run <job>` with a fault applied while it runs: `during` gets the run process pid once
 * it exists and returns what it did.
 */
async function attempt(
  family: string,
  jobName: string,
  fault: string,
  expect: RegExp,
  during?: (runPid: number, cliPid: number) => Promise<{ injected: boolean; midTransfer?: boolean; killedRun?: boolean }>,
): Promise<Attempt> {
  const cli = startCli(['run', jobName, '--config', config], { env: world.env, transcript: world.transcript, timeoutMs: 120_000 });
  const a: Attempt = { family, job: jobName, fault, injected: false, midTransfer: false, cli: null, firstRunId: null, expect, killedRun: false };
  if (during) {
    const pid = await runPidOf(cli.child.pid!);
    if (pid !== null) {
      // Between fork and exec the child still shows the CLI's own environment; look once the
      // run process is really running (its argv names the run entry).
      await waitUntil(() => (processListing(pid) ?? 'child-entry').includes('child-entry'), 5_000, 'the run process to exec', 2).catch(() => undefined);
      const listing = processListing(pid);
      if (listing?.includes('child-entry')) listings.push({ what: `/proc/${pid} (run process of ${jobName})`, text: listing });
      const r = await during(pid, cli.child.pid!);
      a.injected = r.injected;
      a.midTransfer = r.midTransfer ?? false;
      a.killedRun = r.killedRun ?? false;
    }
  }
  a.cli = await cli.done;
  a.firstRunId = cli.runId();
  attempts.push(a);
  return a;
}

/** Kill the run process: at a random moment, or a random moment after an upload began. */
function killer(watchAll: () => string[], mode: 'on-temp' | 'random'): (pid: number) => Promise<{ injected: boolean; midTransfer: boolean; killedRun: boolean }> {
  return async (pid) => {
    // Temporary names an earlier killed run left behind are not this run's upload: the run
    // process was just started and has not begun to upload yet.
    const stale = new Set(watchAll());
    const watch = (): string[] => watchAll().filter((t) => !stale.has(t));
    if (mode === 'on-temp') {
      await waitUntil(() => watch().length > 0 || !running(pid), 30_000, 'an upload to start', 5).catch(() => undefined);
      await sleep(between(0, 250));
    } else {
      await sleep(between(100, 3500));
    }
    if (!running(pid)) return { injected: false, midTransfer: false, killedRun: false };
    const mid = watch().length > 0;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      return { injected: false, midTransfer: false, killedRun: false };
    }
    return { injected: true, midTransfer: mid, killedRun: true };
  };
}

/** Every descendant of a process (sshd's per-connection children). */
function descendants(pid: number): number[] {
  const out: number[] = [];
  for (const c of childPids(pid)) out.push(c, ...descendants(c));
  return out;
}

/** Stop the second sshd the hard way (listener and every session), keep it down, start it again. */
async function stopSshdB(downMs: number): Promise<void> {
  const sshd = world.sshdB!;
  const listener = sshd.pid;
  const sessions = descendants(listener);
  try {
    process.kill(listener, 'SIGTERM');
  } catch {
    /* already gone */
  }
  for (const p of sessions) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  await sleep(downMs);
  await sshd.restart();
}

beforeAll(async () => {
  await ensureDist();
  world = await startWorld({ secondSshd: true, httpTimeout: '1500ms' });
  dir = join(world.root, 'faults');
  dkDir = join(world.root, 'daemon-kill');
  await Promise.all(['ls-kill', 'sg-kill', 'lg-kill', 'dk-ls', 'dk-sg'].map((d) => world.sftpDir(d)));
  await Promise.all(['ls-sshd', 'sg-sshd'].map((d) => world.sftpDirB(d)));
  const cemDir = join(world.root, 'local-drop', 'cem');
  await mkdir(cemDir, { recursive: true });
  await writeCemExport(join(cemDir, `leganto_export_${world.today.replaceAll('-', '')}.csv`), { seed: 'acceptance-cem', rows: 160, date: world.today, encoding: 'latin1', includeMalformed: true });

  const ps = { source: CONN.powerschool };
  const retryOnce = { retries: { max: 1, initialDelay: '200ms', maxDelay: '1s' } };
  const moodle = (source: string, site: string, destination: string, remotePath: string) => ({
    source, moodle: site, destination, remotePath, mappings: ['acc-academic.json'], hubMappings: ['acc-hubs.json'],
    academicYear: world.pcTerm.year, academicTerm: world.pcTerm.term,
  });
  // Faults go to the first Moodle/Alma sandbox only; jobs of other families use the second.
  const legantoLocal = { source: CONN.local, sourceDir: 'cem', alma: CONN.alma };
  const legantoClean = { source: CONN.local, sourceDir: 'cem', alma: CONN.almaB };
  config = await writeConfig(world, dir, {
    daemon: { maxConcurrentRuns: 2 },
    jobs: {
      'ls-kill': job('littlesis-roster', { ...ps, destination: CONN.sftpSlow, remotePath: 'ls-kill/littlesis_roster.csv' }),
      'sg-kill': job('samegoal-demographics', { ...ps, destination: CONN.sftpSlow, uploadDir: '/upload/sg-kill' }),
      'lg-kill': job('leganto-courses', { ...legantoClean, destination: CONN.sftpCrawl, destinationDir: '/upload/lg-kill' }),
      'ls-sshd': job('littlesis-roster', { ...ps, destination: CONN.sftpB, remotePath: 'ls-sshd/littlesis_roster.csv' }),
      'sg-sshd': job('samegoal-demographics', { ...ps, destination: CONN.sftpB, uploadDir: '/upload/sg-sshd' }),
      'ls-db': job('littlesis-roster', { source: CONN.powerschoolCut, destination: CONN.local, remotePath: 'ls-db/littlesis_roster.csv' }, retryOnce),
      'cl-db': job('clever-demographics', { source: CONN.powerschoolB, destination: CONN.local, remoteDir: 'cl-db' }),
      'md-tds': job('moodle-enrollments', moodle(CONN.powercampus, CONN.moodleB, CONN.local, 'md-tds/enrollments.csv'), retryOnce),
      'md-ws': job('moodle-enrollments', moodle(CONN.powercampusPg, CONN.moodle, CONN.local, 'md-ws/enrollments.csv')),
      'lg-alma': job('leganto-courses', { ...legantoLocal, destination: CONN.local, destinationDir: 'lg-alma' }, retryOnce),
      'rb-alma': job('leganto-rollover-report', { ...legantoLocal, email: CONN.smtp, emailTo: ['reserves@university.test'], slack: CONN.slack }),
    },
  });
  await writeDaemonKillConfig(true);
}, 240_000);

async function writeDaemonKillConfig(runOnStart: boolean): Promise<void> {
  const ps = { source: CONN.powerschool };
  dkConfig = await writeConfig(world, dkDir, {
    daemon: { maxConcurrentRuns: 2, shutdownGrace: '20s' },
    jobs: {
      'dk-ls': job('littlesis-roster', { ...ps, destination: CONN.sftpSlow, remotePath: 'dk-ls/littlesis_roster.csv' }, { schedule: '* * * * *', runOnStart }),
      'dk-sg': job('samegoal-demographics', { ...ps, destination: CONN.sftpSlow, uploadDir: '/upload/dk-sg' }, { schedule: '* * * * *', runOnStart }),
    },
  });
}

afterAll(async () => {
  await world?.stop();
});

// ---------------------------------------------------------------------------------------------
// The fault families. Each is a sequence; families run side by side (they use separate
// destinations, and the sshd that gets stopped is a second server used by nobody else).

async function runKillFamilies(): Promise<void> {
  const up = world.upload;
  for (let i = 0; i < N.killUpload; i++) {
    await attempt('kill run mid-upload', 'ls-kill', 'SIGKILL run process', /^RUN_CRASHED$/, killer(() => temps(join(up, 'ls-kill')), i % 3 === 2 ? 'random' : 'on-temp'));
  }
  for (let i = 0; i < N.killEpoch; i++) {
    await attempt('kill run mid-upload', 'sg-kill', 'SIGKILL run process (epoch)', /^RUN_CRASHED$/, killer(() => temps(join(up, 'sg-kill'), true), i % 3 === 2 ? 'random' : 'on-temp'));
  }
  for (let i = 0; i < N.killLoader; i++) {
    await attempt('kill run mid-upload', 'lg-kill', 'SIGKILL run process (no-overwrite)', /^RUN_CRASHED$/, killer(() => temps(join(up, 'lg-kill')), i % 3 === 2 ? 'random' : 'on-temp'));
  }
}

async function runSshdFamily(): Promise<void> {
  const up = world.uploadB!;
  for (let i = 0; i < N.sshdStop; i++) {
    const epoch = i % 3 === 1;
    const jobName = epoch ? 'sg-sshd' : 'ls-sshd';
    const watchAll = (): string[] => temps(join(up, jobName), epoch);
    await attempt('sshd stopped mid-transfer', jobName, 'sshd stopped', /^(SFTP_|TRANSFER_)/, async (pid) => {
      const stale = new Set(watchAll());
      const watch = (): string[] => watchAll().filter((t) => !stale.has(t));
      const seen = await waitUntil(() => watch().length > 0 || !running(pid), 30_000, 'an upload', 5).then(() => watch().length > 0, () => false);
      if (!seen) await sleep(between(0, 1500));
      else await sleep(between(0, 200));
      if (!running(pid)) return { injected: false };
      const mid = watch().length > 0;
      await stopSshdB(between(100, 1500));
      return { injected: true, midTransfer: mid };
    });
  }
}

async function runDatabaseFamilies(): Promise<void> {
  for (let i = 0; i < N.dbCut; i++) {
    world.pgProxy.clearPending();
    const cutsBefore = world.pgProxy.cuts;
    // Anywhere from the login to the end of the roster stream (~300 kB of results); or right
    // after one of the four statements completed, before the server said it was ready again.
    const byMessage = i % 3 === 0;
    const k = between(1, 5);
    world.pgProxy.cutNext(byMessage ? { afterPgCommandComplete: k } : { afterServerBytes: between(2_000, 320_000) });
    const a = await attempt('database dropped mid-stream', 'ls-db', byMessage ? `PostgreSQL connection reset after CommandComplete #${k}` : 'PostgreSQL connection reset after N bytes', /^SQL_/);
    a.injected = world.pgProxy.cuts > cutsBefore;
    // Mid-stream: the cut failed the run after its 4th statement (the roster) had started.
    const first = readRuns(join(dir, 'state')).find((r) => r.runId === a.firstRunId)?.record;
    a.midTransfer = a.injected && first?.status === 'failed' && (first.error?.code ?? '').startsWith('SQL_') && first.counts.queries === 4;
  }
  world.pgProxy.clearPending();
  for (let i = 0; i < N.dbTerminate; i++) {
    await attempt('database dropped mid-stream', 'cl-db', 'pg_terminate_backend', /^SQL_/, async (pid) => {
      const admin = await world.pg.client('postgres');
      try {
        const end = Date.now() + between(100, 2500);
        let killed = 0;
        while (Date.now() < end + 5000 && running(pid) && killed === 0) {
          if (Date.now() >= end) {
            const r = await admin.query(`SELECT pg_terminate_backend(pid) AS t FROM pg_stat_activity WHERE usename = '${PG_READER_B}' AND datname = 'powerschool'`);
            killed = r.rows.filter((x: { t: boolean }) => x.t).length;
          }
          await sleep(5);
        }
        return { injected: killed > 0 };
      } finally {
        await admin.end();
      }
    });
  }
  for (let i = 0; i < N.tdsDrop; i++) {
    world.tds.clearFaults();
    const hub = i % 4 === 3;
    const afterRows = hub ? between(1, 20) : between(1, 560);
    world.tds.dropNext({ afterRows, match: hub ? /FROM ACADEMIC/ : /FROM TRANSCRIPTDETAIL/ });
    const statementsBefore = world.tds.statements.length;
    const a = await attempt('database dropped mid-stream', 'md-tds', `TDS connection reset mid-result (${hub ? 'hub' : 'roster'} query)`, /^SQL_/);
    a.injected = world.tds.pendingFaults() === 0;
    // The bridge sent part of the rows, then reset the connection: a drop in the middle of the stream.
    const dropped = world.tds.statements.slice(statementsBefore).find((st) => st.fault === 'drop');
    a.midTransfer = dropped !== undefined && dropped.rows > afterRows;
    watchNoOverwrite(join(world.root, 'local-drop', 'md-tds', 'enrollments.csv'));
  }
  world.tds.clearFaults();
}

async function runWebServiceFamilies(): Promise<void> {
  const moodleKinds = ['http500', 'http503', 'hang', 'reset', 'exception'] as const;
  for (let i = 0; i < N.moodleWs; i++) {
    const kind = moodleKinds[i % moodleKinds.length]!;
    world.moodle.clearFaults();
    // Some faults hit a few course reads (the course is left out), some every read (the run fails).
    const times = i % 2 === 0 ? between(1, 4) : 100;
    world.moodle.injectFault({ kind, wsfunction: 'core_enrol_get_enrolled_users', times });
    const before = world.moodle.requestLog.filter((r) => r.fault !== null).length;
    const a = await attempt('web service 5xx/hang', 'md-ws', `Moodle ${kind} x${times}`, /^(HTTP_|MOODLE_)/);
    a.injected = world.moodle.requestLog.filter((r) => r.fault !== null).length > before;
    watchNoOverwrite(join(world.root, 'local-drop', 'md-ws', 'enrollments.csv'));
  }
  world.moodle.clearFaults();
  const almaKinds = ['http429', 'http500', 'hang', 'http503', 'reset'] as const;
  for (let i = 0; i < N.almaWs; i++) {
    const kind = almaKinds[i % almaKinds.length]!;
    world.alma.clearFaults();
    const times = i % 2 === 0 ? between(1, 3) : 200;
    world.alma.injectFault({ kind, times, ...(kind === 'http429' || kind === 'http503' ? { retryAfterSeconds: 1 } : {}) });
    const before = world.alma.requestLog.filter((r) => r.fault !== null).length;
    const jobName = i % 2 === 0 ? 'lg-alma' : 'rb-alma';
    const a = await attempt('web service 5xx/429/hang', jobName, `Alma ${kind} x${times}`, /^(HTTP_|ALMA_)/);
    a.injected = world.alma.requestLog.filter((r) => r.fault !== null).length > before;
  }
  world.alma.clearFaults();
}

interface DaemonLife {
  killedMidRun: boolean;
  startedRuns: number;
}
const daemonLives: DaemonLife[] = [];
let finalDaemon: { scheduledRun: RunRecord | null; exit: { code: number | null; signal: string | null }; recoveredLines: number } | null = null;

async function runDaemonKillFamily(): Promise<void> {
  const stateDir = join(dkDir, 'state');
  const live = (): RunRecord[] => readRuns(stateDir).flatMap((r) => (r.record && r.record.status === 'running' && r.record.pid !== null && running(r.record.pid) ? [r.record] : []));
  for (let i = 0; i < N.daemonKill; i++) {
    const d = await DaemonProcess.start(dkConfig, { env: world.env, transcript: world.transcript, label: `daemon life ${i + 1}` });
    // Each life starts both jobs (runOnStart); kill at a random point of their runs.
    await d.waitFor(/job=dk-(ls|sg) run=\S+ run started/, 30_000);
    await sleep(between(100, 3000));
    const midRun = live().length > 0;
    const listing = processListing(d.pid);
    if (listing) listings.push({ what: `/proc/${d.pid} argv (daemon)`, text: listing.split('\n')[0]! });
    await d.kill9();
    daemonLives.push({ killedMidRun: midRun, startedRuns: (d.out().match(/ run started /g) ?? []).length });
    attempts.push({ family: 'daemon SIGKILL mid-run', job: 'dk-*', fault: 'SIGKILL daemon', injected: midRun, midTransfer: false, cli: null, firstRunId: null, expect: /^RUN_INTERRUPTED$/, killedRun: false });
  }
  // The last life: recovery, then the daemon must keep scheduling (a `* * * * *` slot runs). No
  // run at start this time, so the slot is not skipped as overlapping it.
  await writeDaemonKillConfig(false);
  const d = await DaemonProcess.start(dkConfig, { env: world.env, transcript: world.transcript, label: 'daemon final life' });
  const since = new Date().toISOString();
  let scheduled: RunRecord | null = null;
  await waitUntil(() => {
    scheduled = readRuns(stateDir).map((r) => r.record).find((r): r is RunRecord => r !== null && r.trigger === 'schedule' && r.createdAt > since && r.status !== 'running') ?? null;
    return scheduled !== null;
  }, 150_000, 'a scheduled run after the last restart', 500).catch(() => undefined);
  const exit = await d.stop();
  finalDaemon = { scheduledRun: scheduled, exit, recoveredLines: (d.out().match(/ after restart/g) ?? []).length };
}

// ---------------------------------------------------------------------------------------------

describe('faults, repeated with varied timing', () => {
  it('leaves no partial file, no duplicate delivery, no missing or untruthful record, and the daemon keeps scheduling', async () => {
    await Promise.all([runKillFamilies(), runSshdFamily(), runDatabaseFamilies(), runWebServiceFamilies(), runDaemonKillFamily()]);

    const runs: RunFacts[] = [...readRuns(join(dir, 'state')), ...readRuns(join(dkDir, 'state'))];
    const records = checkRecords(runs);
    const byId = new Map(runs.flatMap((r) => (r.record ? [[r.runId, r.record] as const] : [])));
    const untruthful = [...records.untruthful];
    const missing = [...records.missing];

    // Each CLI invocation: a record for its run id, the exit code agreeing with the last attempt,
    // and a failure code that belongs to the fault it got.
    for (const a of attempts) {
      if (!a.cli) continue;
      if (!a.firstRunId) {
        missing.push(`${a.job} (${a.fault}): the CLI printed no run id; exit ${a.cli.code}: ${a.cli.err.slice(-300)}`);
        continue;
      }
      const chain = [...byId.values()].filter((r) => r.job === a.job && (r.runId === a.firstRunId || chainHas(byId, r, a.firstRunId!))).sort((x, y) => x.attempt - y.attempt);
      if (chain.length === 0) {
        missing.push(`${a.job}/${a.firstRunId}: no record`);
        continue;
      }
      const last = chain.at(-1)!;
      if ((a.cli.code === 0) !== (last.status === 'succeeded')) untruthful.push(`${a.job}/${last.runId}: exit ${a.cli.code} but record says ${last.status}`);
      for (const r of chain) {
        if (r.status === 'succeeded' || r.status === 'skipped') continue;
        const code = r.error?.code ?? '';
        const first = r.runId === a.firstRunId;
        const ok = first && a.killedRun ? code === 'RUN_CRASHED' && r.exit?.signal === 'SIGKILL' : a.expect.test(code);
        if (!ok) untruthful.push(`${a.job}/${r.runId} (${a.fault}, attempt ${r.attempt}): ${r.status} ${code}: ${r.error?.message ?? ''}`);
      }
      if (a.killedRun) {
        const first = byId.get(a.firstRunId)!;
        if (first.status === 'succeeded' && a.midTransfer && !first.deliveries.some((d) => d.status === 'delivered')) {
          untruthful.push(`${a.job}/${first.runId}: killed mid-upload, recorded succeeded without a delivery`);
        }
      }
    }
    // Daemon kills: every run of the killed lives is finished truthfully after the restarts.
    for (const r of readRuns(join(dkDir, 'state'))) {
      const rec = r.record;
      if (!rec || rec.status === 'succeeded' || rec.status === 'skipped') continue;
      if (!/^(RUN_INTERRUPTED|RUN_CANCELLED)$/.test(rec.error?.code ?? '')) untruthful.push(`${r.job}/${r.runId}: ${rec.status} ${rec.error?.code}: ${rec.error?.message}`);
    }

    const dest = scanDestinations(
      [
        { label: 'sshd', root: world.upload, owners: { 'sg-kill': ['sg-kill'], 'lg-kill': ['lg-kill'], 'dk-sg': ['dk-sg'] } },
        { label: 'sshd-b', root: world.uploadB!, owners: { 'sg-sshd': ['sg-sshd'] } },
        { label: 'local', root: join(world.root, 'local-drop'), ignore: (rel) => rel.startsWith('cem/'), owners: { 'lg-alma': ['lg-alma'] } },
      ],
      runs,
    );
    // A no-overwrite target is written once and never again.
    const overwritten: string[] = [];
    for (const [path, first] of noOverwrite) {
      const st = statSync(path);
      if (st.ino !== first.ino || st.mtimeMs !== first.mtimeMs || sha256(readFileSync(path)) !== first.sha) overwritten.push(path);
    }

    const injected = attempts.filter((a) => a.injected).length;
    const families = new Map<string, { runs: number; injected: number; mid: number }>();
    for (const a of attempts) {
      const f = families.get(a.family) ?? { runs: 0, injected: 0, mid: 0 };
      f.runs++;
      if (a.injected) f.injected++;
      if (a.midTransfer) f.mid++;
      families.set(a.family, f);
    }
    const statuses: Record<string, number> = {};
    for (const r of runs) statuses[r.record?.status ?? 'none'] = (statuses[r.record?.status ?? 'none'] ?? 0) + 1;
    const totals = {
      seed: SEED,
      runs: runs.length,
      invocations: attempts.length,
      faultsInjected: injected,
      partialFiles: dest.partialFinals.length,
      recordsMissing: missing.length,
      untruthfulRecords: untruthful.length,
      duplicateDeliveries: dest.duplicateDeliveries.length,
      noOverwriteViolations: overwritten.length,
      tempLeftovers: dest.tempLeftovers.length,
      incompleteEpochsLeft: dest.incompleteEpochs.length,
      completeEpochs: dest.completeEpochs,
      finalFilesChecked: dest.finalsChecked,
      daemonLivesKilledMidRun: daemonLives.filter((l) => l.killedMidRun).length,
      seconds: Math.round((Date.now() - started) / 1000),
    };
    console.log(`acceptance faults: ${JSON.stringify(totals)}`);
    for (const [name, f] of families) console.log(`  ${name}: ${f.runs} runs, ${f.injected} faults injected, ${f.mid} mid-transfer or mid-stream`);
    console.log(`  record statuses: ${JSON.stringify(statuses)}`);
    if (dest.tempLeftovers.length > 0) console.log(`  temporary upload names left behind (${dest.tempLeftovers.length}): ${dest.tempLeftovers.slice(0, 5).join(', ')}${dest.tempLeftovers.length > 5 ? ', ...' : ''}`);
    if (dest.incompleteEpochs.length > 0) console.log(`  incomplete epochs left (no COMPLETE): ${dest.incompleteEpochs.join(', ')}`);

    expect(dest.partialFinals).toEqual([]);
    expect(missing).toEqual([]);
    expect(untruthful).toEqual([]);
    expect(dest.duplicateDeliveries).toEqual([]);
    expect(overwritten).toEqual([]);
    expect(dest.unattributed).toEqual([]);
    // The faults really happened, and in the middle of transfers.
    for (const [name, f] of families) expect(f.injected, `${name}: faults injected`).toBeGreaterThan(0);
    expect(families.get('kill run mid-upload')!.mid).toBeGreaterThan(0);
    if (N.sshdStop > 0) expect(families.get('sshd stopped mid-transfer')!.mid).toBeGreaterThan(0);
    if (N.dbCut + N.tdsDrop > 0) expect(families.get('database dropped mid-stream')!.mid).toBeGreaterThan(0);
    expect(daemonLives.some((l) => l.killedMidRun)).toBe(true);
    if (DEFAULTS_IN_USE) expect(totals.runs).toBeGreaterThanOrEqual(100);
    // Some runs got through despite the faults (retries, skipped courses), some did not.
    expect(statuses.succeeded ?? 0).toBeGreaterThan(0);
    expect((statuses.failed ?? 0) + (statuses.interrupted ?? 0)).toBeGreaterThan(0);

    // The daemon keeps scheduling after being killed again and again, and stops cleanly.
    expect(finalDaemon?.scheduledRun, 'a `* * * * *` slot ran after the last restart').not.toBeNull();
    expect(finalDaemon!.scheduledRun!.status).toBe('succeeded');
    expect(finalDaemon!.exit).toEqual({ code: 0, signal: null });
    expect(daemonLives.every((l) => l.startedRuns >= 1)).toBe(true);
  }, 600_000);

  it('puts no secret in any log, record, CLI output, generated file, e-mail, webhook body or process listing', () => {
    // Everything under the test's root (configs, state, logs, run directories, local drops) and both
    // SFTP servers' upload trees; only the private key file itself holds a secret by design.
    const files = filesUnder(world.root, world.upload, world.uploadB!).filter((f) => !f.endsWith('/sftp-client-key'));
    const texts = [
      ...world.transcript.entries,
      ...listings,
      ...world.smtp.messages.map((m, i) => ({ what: `e-mail ${i} (${m.subject})`, text: `${m.subject}\n${m.text}\n${m.attachments.map((x) => x.content.toString('latin1')).join('\n')}` })),
      ...world.slack.requests.map((r) => ({ what: `slack request ${r.index}`, text: r.body })),
    ];
    const scan = scanForSecrets(world.secretValues, files, texts);
    console.log(`acceptance faults secret scan: ${scan.filesScanned} files, ${scan.textsScanned} texts, ${Math.round(scan.bytesScanned / 1024)} KiB`);
    expect(scan.filesScanned).toBeGreaterThan(100);
    expect(listings.length).toBeGreaterThan(0);
    expect(scan.leaks).toEqual([]);
  });
});

function chainHas(byId: Map<string, RunRecord>, r: RunRecord, root: string): boolean {
  let cur: RunRecord | undefined = r;
  for (let i = 0; i < 20 && cur; i++) {
    if (cur.retryOf === root) return true;
    cur = cur.retryOf ? byId.get(cur.retryOf) : undefined;
  }
  return false;
}
