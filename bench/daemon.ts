/**
 * Daemon benchmark, on the compiled build as production runs it (`npx tsx bench/daemon.ts`,
 * about 2.5-3 minutes; builds dist/ first unless --no-build):
 *
 * 1. run start: the compiled RunManager triggers a trivial job 25 times in a row (plus one
 *    warm-up); per run, the time from trigger() to the final record (record written, fresh run
 *    process spawned, job module loaded, result reported, process exited, record finalised).
 * 2. fire lateness: the built daemon (`sisrelay start`, with one extra trivial job type) runs six
 *    `* * * * *` jobs on real timers until three minute slots have fired (2-3 minutes); per fire,
 *    lateness = the run record's startedAt minus its slot.
 * 3. idle RSS, measured during step 2 in a second built daemon with six idle jobs and the
 *    metrics endpoint on: VmRSS from /proc after 15 s of settling, the largest of 10 samples.
 *
 * Ends with `BENCH <name> <value> <unit> target < <limit>` lines.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as RunManagerModule from '../src/runner/run-manager.js';
import type * as RunStoreModule from '../src/runner/run-store.js';
import type { JobConfig } from '../src/config/config-types.js';
import type { RunRecord } from '../src/runner/run-record.js';

const ROOT = new URL('..', import.meta.url).pathname;
const DIST = join(ROOT, 'dist');
const RUNS = 25;
const FIRES = 3;
const LATE_JOBS = 6;

const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

if (!process.argv.includes('--no-build')) {
  log('building dist/ (tsc -p tsconfig.build.json)');
  spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'ignore' });
}
for (const f of ['cli/main.js', 'jobs/catalog.js', 'runner/run-manager.js', 'runner/child-entry.js']) {
  if (!existsSync(join(DIST, f))) throw new Error(`dist/${f} is missing: the build failed (run npm run build)`);
}

const tmp = await mkdtemp(join(tmpdir(), 'sisrelay-bench-daemon-'));
const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

// A plain-JS trivial job (the compiled run process has no TypeScript loader) and a `sisrelay`
// entry that is bin/sisrelay.js plus that one job type in the catalog.
const jobFile = join(tmp, 'trivial-job.mjs');
await writeFile(jobFile, "export default { async run(ctx) { ctx.report.count('ok', 1); } };\n");
const entry = join(tmp, 'sisrelay-bench.mjs');
await writeFile(entry, [
  `const { main } = await import(${JSON.stringify(pathToFileURL(join(DIST, 'cli/main.js')).href)});`,
  `const { jobCatalog } = await import(${JSON.stringify(pathToFileURL(join(DIST, 'jobs/catalog.js')).href)});`,
  `const trivial = { type: 'bench-trivial', summary: 'benchmark', params: {}, connections: () => [], module: new URL(${JSON.stringify(pathToFileURL(jobFile).href)}) };`,
  'process.exitCode = await main(process.argv, jobCatalog([trivial]));',
  '',
].join('\n'));

// ------------------------------------------------------------------------------------------
// 1. run start through the compiled RunManager
log(`run start: ${RUNS} runs of a trivial job through the compiled runner`);
const { RunManager } = (await import(pathToFileURL(join(DIST, 'runner/run-manager.js')).href)) as typeof RunManagerModule;
const { RunStore } = (await import(pathToFileURL(join(DIST, 'runner/run-store.js')).href)) as typeof RunStoreModule;
const store = new RunStore(join(tmp, 'rs-state'), join(tmp, 'rs-log'));
const quiet = { info() {}, warn() {}, error() {} };
const manager = new RunManager({
  store,
  resolveModule: () => pathToFileURL(jobFile),
  connectionsFor: () => ({}),
  secrets: ['bench-secret-value'],
  dataDir: tmp,
  logLevel: 'info',
  maxConcurrentRuns: 1,
  logger: quiet,
});
const benchJob: JobConfig = {
  name: 'bench', type: 'bench-trivial', description: '', enabled: true, schedule: null, timezone: 'UTC', timeoutMs: 30_000, killGraceMs: 1000,
  maxMemoryMb: 256, retries: { max: 0, initialDelayMs: 1000, maxDelayMs: 1000 }, overlap: 'skip', catchUpMs: 0, runOnStart: false,
  retentionMs: 86_400_000, alerts: { onFailure: false, onSuccess: false, deadline: null, email: false, slack: false, emailTo: null }, params: {}, connections: [],
};
let startedAt = 0;
manager.on('started', () => (startedAt = performance.now()));
const total: number[] = [];
const toRecord: number[] = [];
for (let i = 0; i <= RUNS; i++) {
  const t0 = performance.now();
  const final = await manager.trigger(benchJob, { trigger: 'manual', slot: null });
  const ms = performance.now() - t0;
  if (final.status !== 'succeeded') throw new Error(`bench run failed: ${JSON.stringify(final.error)}`);
  if (i > 0) {
    total.push(ms);
    toRecord.push(startedAt - t0);
  }
}
await manager.shutdown(0);
total.sort((a, b) => a - b);
toRecord.sort((a, b) => a - b);
const runMedian = pct(total, 50);
log(`run start: median ${runMedian.toFixed(0)} ms, p90 ${pct(total, 90).toFixed(0)} ms, min ${total[0]!.toFixed(0)} ms, max ${total.at(-1)!.toFixed(0)} ms (trigger → record created: median ${pct(toRecord, 50).toFixed(1)} ms)`);

// ------------------------------------------------------------------------------------------
// 2 + 3. two built daemons: six per-minute jobs (lateness) and six idle jobs (RSS)
interface Daemon { child: ChildProcess; out: () => string; stateDir: string }

async function startDaemon(name: string, config: object): Promise<Daemon> {
  const dir = join(tmp, name);
  const configFile = `${dir}.json`;
  await writeFile(configFile, JSON.stringify(config, null, 2));
  const child = spawn(process.execPath, [entry, 'start', '--config', configFile], { stdio: ['ignore', 'pipe', 'inherit'], env: { PATH: process.env.PATH, TZ: 'UTC' } });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const end = Date.now() + 30_000;
  while (!out.includes(' ready ')) {
    if (child.exitCode !== null || Date.now() > end) throw new Error(`daemon ${name} did not start:\n${out}`);
    await sleep(50);
  }
  return { child, out: () => out, stateDir: join(tmp, `${name}-state`) };
}

async function stopDaemon(d: Daemon): Promise<void> {
  const exited = new Promise((r) => d.child.once('exit', r));
  d.child.kill('SIGTERM');
  await exited;
}

const daemonSection = (name: string, extra: object = {}) => ({
  timezone: 'UTC', stateDir: join(tmp, `${name}-state`), logDir: join(tmp, `${name}-log`), logLevel: 'info', maxConcurrentRuns: LATE_JOBS, ...extra,
});
const benchJobs = (schedule: (i: number) => string) =>
  Object.fromEntries(Array.from({ length: LATE_JOBS }, (_, i) => [`job-${i + 1}`, { type: 'bench-trivial', schedule: schedule(i), timezone: 'UTC', alerts: { onFailure: false } }]));

const firing = await startDaemon('firing', { daemon: daemonSection('firing'), jobs: benchJobs(() => '* * * * *') });
const idle = await startDaemon('idle', {
  daemon: daemonSection('idle', { http: { enabled: true, host: '127.0.0.1', port: 0 } }),
  jobs: benchJobs((i) => `${i * 7} ${i + 1} * * *`),
});
const firstSlot = Math.ceil(Date.now() / 60_000) * 60_000;
const lastSlot = firstSlot + (FIRES - 1) * 60_000;
log(`fire lateness: ${LATE_JOBS} per-minute jobs, waiting for the slots ${new Date(firstSlot).toISOString()} … ${new Date(lastSlot).toISOString()} (real timers)`);

// Idle RSS while the other daemon waits for its slots.
await sleep(15_000);
const rssSamples: number[] = [];
let hwm = 0;
for (let i = 0; i < 10; i++) {
  const status = readFileSync(`/proc/${idle.child.pid}/status`, 'utf8');
  rssSamples.push(Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)![1]) / 1024);
  hwm = Number(/^VmHWM:\s+(\d+) kB$/m.exec(status)![1]) / 1024;
  await sleep(500);
}
const idleRss = Math.max(...rssSamples);
log(`idle RSS: ${idleRss.toFixed(1)} MB (min ${Math.min(...rssSamples).toFixed(1)} MB over ${rssSamples.length} samples; peak VmHWM ${hwm.toFixed(1)} MB)`);
await stopDaemon(idle);

while (Date.now() < lastSlot + 10_000) await sleep(1000);
const firingRss = Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${firing.child.pid}/status`, 'utf8'))![1]) / 1024;
await stopDaemon(firing);

const lateness: number[] = [];
const runsDir = join(firing.stateDir, 'runs');
for (const job of await readdir(runsDir)) {
  for (const runId of await readdir(join(runsDir, job))) {
    const r = JSON.parse(await readFile(join(runsDir, job, runId, 'record.json'), 'utf8')) as RunRecord;
    if (r.trigger !== 'schedule' || r.slot === null || r.startedAt === null) continue;
    if (r.status !== 'succeeded') throw new Error(`run ${job}/${runId} ended ${r.status}: ${JSON.stringify(r.error)}`);
    lateness.push(Date.parse(r.startedAt) - Date.parse(r.slot));
  }
}
lateness.sort((a, b) => a - b);
if (lateness.length < LATE_JOBS * FIRES) throw new Error(`expected ${LATE_JOBS * FIRES} scheduled runs, found ${lateness.length}`);
const p50 = pct(lateness, 50);
const p99 = pct(lateness, 99);
log(`fire lateness over ${lateness.length} fires: p50 ${p50} ms, p99 ${p99} ms, max ${lateness.at(-1)} ms, min ${lateness[0]} ms (firing daemon RSS ${firingRss.toFixed(1)} MB)`);

await rm(tmp, { recursive: true, force: true });
console.log(`BENCH daemon_idle_rss ${idleRss.toFixed(1)} MB target < 80`);
console.log(`BENCH run_start_median ${runMedian.toFixed(0)} ms target < 300`);
console.log(`BENCH fire_lateness_p50 ${p50} ms`);
console.log(`BENCH fire_lateness_p99 ${p99} ms target < 1000`);
