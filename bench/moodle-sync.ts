/**
 * The Moodle enrollment sync at university scale: COURSES mapped courses, COURSES × PER_COURSE
 * PowerCampus enrollments (in the PostgreSQL test fixture; the mssql path is covered by the TDS
 * tests), the sandbox Moodle answering every call after LATENCY_MS, CONCURRENCY calls in flight.
 *
 *   npx tsx bench/moodle-sync.ts        (COURSES=2000 PER_COURSE=30 LATENCY_MS=50 CONCURRENCY=10)
 *
 * Each cycle runs in a fresh child process (as the runner does), so its peak RSS is the job's
 * own, not the sandbox's. Cycles:
 *   1. Moodle already matches PowerCampus: must deliver nothing (asserted);
 *   2. about 1% of enrolments perturbed (pending adds and drops): delivers enrollments.csv.
 * Reported: cycle time against the floor (Moodle calls × latency ÷ concurrency — the calls are
 * one core_webservice_get_site_info, which runs first and alone, plus one
 * core_enrol_get_enrolled_users per course; nothing else in conduit mode), the ratio, the call
 * count seen by the server, and the peak RSS.
 *
 * Ends with `BENCH <name> <value> <unit> target <op> <value>` lines.
 */
import { fork } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NamedConnection } from '../src/config/config-types.js';
import type { MoodleParams } from '../src/jobs/moodle-enrollments/descriptor.js';

const COURSES = Number(process.env.COURSES ?? 2000);
const PER_COURSE = Number(process.env.PER_COURSE ?? 30);
const STUDENTS = Number(process.env.STUDENTS ?? 15_000);
const LATENCY_MS = Number(process.env.LATENCY_MS ?? 50);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 10);
const TOKEN = 'bench-token-0123456789abcdef0123';
const SELF = fileURLToPath(import.meta.url);

interface ChildRequest {
  /** 'baseline': the same Moodle calls through MoodleClient alone, no job around them. */
  kind: 'job' | 'baseline';
  params: MoodleParams;
  connections: Record<string, NamedConnection>;
  dataDir: string;
}
interface ChildReply {
  ms: number;
  /** CPU (user + system) the run process spent in the job. */
  cpuMs: number;
  maxRssMb: number;
  counts: Record<string, number>;
  deliveries: number;
  notes: string[];
  error: string | null;
}

// ---------------------------------------------------------------------------------------------
// Child: one run of the job, then time, counts and peak RSS back over IPC (connections included:
// they hold the fixture's password, which never goes into argv or the environment).

async function child(): Promise<void> {
  const req = await new Promise<ChildRequest>((resolve) => process.once('message', (m) => resolve(m as ChildRequest)));
  if (req.kind === 'baseline') return baseline(req);
  const { runJobInProcess } = await import('../test/helpers/job-harness.js');
  const mod = (await import('../src/jobs/moodle-enrollments/job.js')) as { default: Parameters<typeof runJobInProcess>[0]['module'] };
  const cpu0 = process.cpuUsage();
  const r = await runJobInProcess({ module: mod.default, params: req.params, connections: req.connections, dataDir: req.dataDir });
  const cpu = process.cpuUsage(cpu0);
  await r.cleanup();
  const reply: ChildReply = {
    ms: r.ms,
    cpuMs: (cpu.user + cpu.system) / 1000,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    counts: r.report.counts,
    deliveries: r.report.deliveries.length,
    notes: r.report.notes,
    error: r.error ? String((r.error as Error).message ?? r.error) : null,
  };
  process.send!(reply, () => process.exit(0));
}

/**
 * What the machine allows right now: siteInfo then one roster read per course through the same
 * MoodleClient and HttpClient, nothing else. The job's time over this is the job's own overhead.
 */
async function baseline(req: ChildRequest): Promise<void> {
  const { createHttpClient } = await import('../src/adapters/http/http-client.js');
  const { MoodleClient } = await import('../src/adapters/moodle/moodle-client.js');
  const conn = req.connections.moodle as Extract<NamedConnection, { type: 'moodle' }>;
  const http = createHttpClient({ name: 'moodle', baseUrl: conn.url, timeoutMs: conn.timeoutMs, concurrency: conn.concurrency, ratePerSecond: 0, retries: conn.retries, retryDelayMs: conn.retryDelayMs, redact: (t) => t });
  const client = new MoodleClient(http, { token: conn.token });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await client.siteInfo();
  await Promise.all(Array.from({ length: COURSES }, (_, c) => client.enrolledUsers(c + 1, { userfields: ['idnumber', 'roles'] })));
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const reply: ChildReply = { ms, cpuMs: (cpu.user + cpu.system) / 1000, maxRssMb: process.resourceUsage().maxRSS / 1024, counts: { moodle_calls: http.stats().requests }, deliveries: 0, notes: [], error: null };
  process.send!(reply, () => process.exit(0));
}

function runChild(req: ChildRequest): Promise<ChildReply> {
  return new Promise((resolve, reject) => {
    const c = fork(SELF, ['--child'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let reply: ChildReply | null = null;
    c.on('message', (m) => (reply = m as ChildReply));
    c.on('error', reject);
    c.on('exit', (code) => (reply ? resolve(reply) : reject(new Error(`bench child exited ${code} without a reply`))));
    c.send(req);
  });
}

function cpuMs(u: NodeJS.CpuUsage): number {
  return (u.user + u.system) / 1000;
}

function availableCores(): number {
  return availableParallelism();
}

// ---------------------------------------------------------------------------------------------
// Data: the same formulas build PowerCampus (in SQL) and Moodle (in JS), so they agree exactly.

const eventId = (c: number): string => `C${String(c).padStart(5, '0')}`;
const idnumber = (s: number): string => String(s).padStart(9, '0');
/** Student k of course c; distinct within a course as long as PER_COURSE × 7 < STUDENTS. */
const studentOf = (c: number, k: number): number => (c * PER_COURSE + k * 7) % STUDENTS;
/** Auditing when (c + k) % 33 = 0, as in the SQL below. */
const audits = (c: number, k: number): boolean => (c + k) % 33 === 0;

async function loadPowerCampus(client: import('pg').Client): Promise<void> {
  const { POWERCAMPUS_DDL } = await import('../src/datagen/powercampus-schema.js');
  for (const ddl of POWERCAMPUS_DDL) await client.query(ddl);
  await client.query(`INSERT INTO PEOPLE (PEOPLE_CODE, PEOPLE_ID, PEOPLE_CODE_ID, PERSONID, FIRST_NAME, LAST_NAME)
    SELECT 'P', lpad(s::text, 9, '0'), 'P' || lpad(s::text, 9, '0'), s, 'F' || s, 'L' || s FROM generate_series(0, $1 - 1) s`, [STUDENTS]);
  await client.query(`INSERT INTO ACADEMIC (PEOPLE_CODE_ID, PEOPLE_ID, ACADEMIC_YEAR, ACADEMIC_TERM, ACADEMIC_SESSION, PROGRAM, DEGREE, CURRICULUM, ENROLL_SEPARATION)
    SELECT 'P' || lpad(s::text, 9, '0'), lpad(s::text, 9, '0'), t.y, t.t, '', 'DC', 'DC', 'CHIRO', 'ENRL'
    FROM generate_series(0, $1 - 1) s CROSS JOIN (VALUES ('2027', 'Winter'), ('2026', 'Fall')) AS t(y, t)`, [STUDENTS]);
  await client.query(`INSERT INTO SECTIONS (ACADEMIC_YEAR, ACADEMIC_TERM, ACADEMIC_SESSION, EVENT_ID, EVENT_SUB_TYPE, SECTION)
    SELECT t.y, t.t, '', 'C' || lpad(c::text, 5, '0'), 'LEC', '01'
    FROM generate_series(0, $1 - 1) c CROSS JOIN (VALUES ('2027', 'Winter'), ('2026', 'Fall')) AS t(y, t)`, [COURSES]);
  // The term's registrations, then noise the filters must drop: dropped registrations and the previous term.
  await client.query(`INSERT INTO TRANSCRIPTDETAIL (TRANSCRIPTDETAILID, PEOPLE_CODE_ID, PEOPLE_ID, ACADEMIC_YEAR, ACADEMIC_TERM, ACADEMIC_SESSION, EVENT_ID, EVENT_SUB_TYPE, SECTION, ADD_DROP_WAIT, FINAL_GRADE)
    SELECT row_number() OVER (), 'P' || lpad(st::text, 9, '0'), lpad(st::text, 9, '0'), t.y, t.t, '', 'C' || lpad(c::text, 5, '0'), 'LEC', '01', t.adw,
           CASE WHEN (c + k) % 33 = 0 THEN 'AU' ELSE '' END
    FROM generate_series(0, $1 - 1) c CROSS JOIN generate_series(0, $2 - 1) k
      CROSS JOIN LATERAL (SELECT (c * $2 + k * 7) % $3 AS st) x
      CROSS JOIN (VALUES ('2027', 'Winter', 'A'), ('2026', 'Fall', 'A')) AS t(y, t, adw)`, [COURSES, PER_COURSE, STUDENTS]);
  await client.query('ANALYZE');
}

async function main(): Promise<void> {
  const { startPostgres } = await import('../test/fixtures/postgres.js');
  const { createMoodleState, startMoodleSandbox } = await import('../src/sandbox/moodle-sandbox.js');
  const work = await mkdtemp(join(tmpdir(), 'sisrelay-bench-moodle-'));
  const pg = await startPostgres();
  let sandbox: Awaited<ReturnType<typeof startMoodleSandbox>> | null = null;
  try {
    const t0 = performance.now();
    await pg.createDatabase('pc');
    const client = await pg.client('pc');
    try {
      await loadPowerCampus(client);
    } finally {
      await client.end();
    }
    const loadMs = performance.now() - t0;

    const mapping: Record<string, { courses: string[]; section?: string; id: number }> = {};
    for (let c = 0; c < COURSES; c++) mapping[`${eventId(c)}-Winter2027`] = c % 10 === 0 ? { courses: [eventId(c)], section: '01', id: c + 1 } : { courses: [eventId(c)], id: c + 1 };
    const dataDir = join(work, 'data');
    await mkdir(join(dataDir, 'mappings'), { recursive: true });
    await writeFile(join(dataDir, 'mappings', 'bench.json'), JSON.stringify(mapping));
    const drop = join(work, 'drop');
    await mkdir(join(drop, 'conduit'), { recursive: true });

    const enrolments: Array<{ userid: number; courseid: number; roleid: number }> = [];
    for (let c = 0; c < COURSES; c++) {
      for (let k = 0; k < PER_COURSE; k++) enrolments.push({ userid: 100_000 + studentOf(c, k), courseid: c + 1, roleid: audits(c, k) ? 14 : 5 });
    }
    const state = createMoodleState({
      courses: Array.from({ length: COURSES }, (_, c) => ({ id: c + 1, shortname: `${eventId(c)}-Winter2027`, fullname: eventId(c) })),
      users: Array.from({ length: STUDENTS }, (_, s) => ({ id: 100_000 + s, username: `u${s}`, firstname: 'F', lastname: `L${s}`, email: `u${s}@example.edu`, idnumber: idnumber(s) })),
      enrolments,
    });
    sandbox = await startMoodleSandbox({ token: TOKEN, state, latencyMs: LATENCY_MS });
    const connections: Record<string, NamedConnection> = {
      powercampus: pg.connection('pc', { name: 'powercampus' }),
      moodle: { name: 'moodle', type: 'moodle', url: sandbox.url, token: TOKEN, timeoutMs: 30_000, concurrency: CONCURRENCY, ratePerSecond: 0, retries: 2, retryDelayMs: 200 },
      conduit: { name: 'conduit', type: 'local', path: drop, create: false },
    };
    const params: MoodleParams = {
      source: 'powercampus',
      moodle: 'moodle',
      mode: 'conduit',
      destination: 'conduit',
      remotePath: 'conduit/enrollments.csv',
      mappings: ['bench.json'],
      hubMappings: [],
      academicYear: '2027',
      academicTerm: 'Winter',
      roles: { student: 5, auditingstudent: 14 },
      dropGuard: { maxShare: 0.2, maxCount: 5000, courseMaxShare: 0.5, courseMinSize: 10 },
      batchSize: 100,
    };

    // Cycle 1: nothing to change.
    sandbox.resetStats();
    const load0 = loadavg()[0]!;
    let cpu0 = process.cpuUsage();
    const quiet = await runChild({ kind: 'job', params, connections, dataDir });
    const quietSandboxCpu = cpuMs(process.cpuUsage(cpu0));
    const quietCalls = Object.values(sandbox.calls).reduce((a, b) => a + b, 0);
    const quietInFlight = sandbox.maxInFlight();
    if (quiet.error) throw new Error(`no-change cycle failed: ${quiet.error}`);
    if (quiet.deliveries !== 0 || quiet.counts.rows_written !== 0 || (await readdir(join(drop, 'conduit'))).length !== 0) {
      throw new Error(`a cycle with no changes delivered something: ${JSON.stringify(quiet)}`);
    }
    if (quiet.counts.adds !== 0 || quiet.counts.drops !== 0) throw new Error(`expected no changes, got ${JSON.stringify(quiet.counts)}`);

    // Cycle 2: ~1% of enrolments perturbed (every 100th removed = pending adds; one outsider per 20th course = pending drops).
    const kept = enrolments.filter((_, i) => i % 100 !== 0);
    for (let c = 0; c < COURSES; c += 20) kept.push({ userid: 100_000 + ((studentOf(c, 0) + STUDENTS / 2 + 1) % STUDENTS), courseid: c + 1, roleid: 5 });
    state.enrolments = kept;
    sandbox.resetStats();
    cpu0 = process.cpuUsage();
    const busy = await runChild({ kind: 'job', params, connections, dataDir });
    const busySandboxCpu = cpuMs(process.cpuUsage(cpu0));
    const load1 = loadavg()[0]!;
    if (busy.error) throw new Error(`changes cycle failed: ${busy.error}`);

    sandbox.resetStats();
    const base = await runChild({ kind: 'baseline', params, connections, dataDir });

    const calls = quiet.counts.moodle_calls!;
    const floorMs = (calls * LATENCY_MS) / CONCURRENCY;
    const ratio = quiet.ms / floorMs;
    const busyRatio = busy.ms / floorMs;
    const f = (n: number, d = 2): string => n.toFixed(d);
    console.log(`data: ${COURSES} mapped courses, ${quiet.counts.sis_rows} SIS enrollments (${COURSES * PER_COURSE * 2} TRANSCRIPTDETAIL rows incl. the previous term), ${STUDENTS} students; loaded in ${f(loadMs / 1000)} s`);
    console.log(`moodle: latency ${LATENCY_MS} ms per call, concurrency ${CONCURRENCY}; server saw ${quietCalls} calls (${JSON.stringify(quiet.counts.moodle_calls === quietCalls ? 'client and server agree' : 'MISMATCH')}), max in flight ${quietInFlight}`);
    console.log(`calls: 1 core_webservice_get_site_info (first, alone) + ${COURSES} core_enrol_get_enrolled_users = ${calls}`);
    console.log(`floor: ${calls} × ${LATENCY_MS} ms ÷ ${CONCURRENCY} = ${f(floorMs / 1000)} s`);
    console.log(`cycle 1 (no changes): ${f(quiet.ms / 1000)} s, ratio ${f(ratio)}x, peak RSS ${f(quiet.maxRssMb, 0)} MB, delivered nothing (${quiet.notes.join('; ')})`);
    console.log(`cycle 2 (${busy.counts.adds} adds, ${busy.counts.drops} drops, ${busy.counts.rows_written} rows delivered): ${f(busy.ms / 1000)} s, ratio ${f(busyRatio)}x, peak RSS ${f(busy.maxRssMb, 0)} MB`);
    console.log(`baseline (MoodleClient alone, the same ${base.counts.moodle_calls} calls, no job): ${f(base.ms / 1000)} s, ratio ${f(base.ms / floorMs)}x to the floor, cpu ${f(base.cpuMs / 1000)} s, peak RSS ${f(base.maxRssMb, 0)} MB; job ÷ baseline ${f(quiet.ms / base.ms)}x`);
    console.log(
      `cpu: job ${f(quiet.cpuMs / 1000)} s / ${f(busy.cpuMs / 1000)} s, sandbox Moodle (same machine) ${f(quietSandboxCpu / 1000)} s / ${f(busySandboxCpu / 1000)} s; ` +
        `load average ${f(load0)} → ${f(load1)} on ${availableCores()} cores (a ratio above 1 on a busy machine is CPU starvation, not waiting on Moodle)`,
    );
    console.log(
      [
        `BENCH moodle_sync_cycle_no_changes ${f(quiet.ms / 1000)} s target <= ${f((1.5 * floorMs) / 1000)}`,
        `BENCH moodle_sync_vs_floor_ratio ${f(ratio)} x target <= 1.5`,
        `BENCH moodle_sync_cycle_with_changes_ratio ${f(busyRatio)} x target <= 1.5`,
        `BENCH moodle_sync_vs_client_baseline ${f(quiet.ms / base.ms)} x target <= 1.2`,
        `BENCH moodle_sync_moodle_calls ${calls} calls target == ${COURSES + 1}`,
        `BENCH moodle_sync_max_in_flight ${quietInFlight} requests target <= ${CONCURRENCY}`,
        `BENCH moodle_sync_peak_rss ${f(Math.max(quiet.maxRssMb, busy.maxRssMb), 0)} MB target < 250`,
      ].join('\n'),
    );
  } finally {
    await sandbox?.close();
    await pg.stop();
    await rm(work, { recursive: true, force: true });
  }
}

if (process.argv.includes('--child')) await child();
else await main();
