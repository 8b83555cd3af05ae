/**
 * Run start cost: 30 sequential runs of a trivial job, timed from the executeRun() call to the
 * final record (spawn, loading the run process, IPC start, job, result.json, exit, final write).
 *
 *   npx tsx bench/run-start.ts                 # from sources (run process loads through tsx)
 *   npx tsx bench/run-start.ts --dist dist     # also the compiled path (default: dist/ if it exists)
 *
 * Prints median and p90 per mode and ends with `BENCH run_start_median <ms> ms target < 300`
 * lines (one per mode measured; the compiled one, when present, is what production pays).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RunSpec } from '../src/runner/protocol.js';
import type { RunRecord } from '../src/runner/run-record.js';
import type * as SpawnRun from '../src/runner/spawn-run.js';
import type * as Store from '../src/runner/run-store.js';

const RUNS = 30;
const root = resolve(new URL('..', import.meta.url).pathname);
const distArg = process.argv.indexOf('--dist');
const distDir = distArg >= 0 ? resolve(process.argv[distArg + 1] ?? 'dist') : join(root, 'dist');

interface Mode {
  name: string;
  spawnRun: string;
  runStore: string;
  jobModule: (tmp: string) => Promise<string>;
}

const modes: Mode[] = [
  {
    name: 'sources',
    spawnRun: join(root, 'src/runner/spawn-run.ts'),
    runStore: join(root, 'src/runner/run-store.ts'),
    jobModule: async () => pathToFileURL(join(root, 'test/fixtures/jobs/trivial.ts')).href,
  },
];
if (existsSync(join(distDir, 'runner/spawn-run.js')) && existsSync(join(distDir, 'runner/child-entry.js'))) {
  modes.push({
    name: 'compiled',
    spawnRun: join(distDir, 'runner/spawn-run.js'),
    runStore: join(distDir, 'runner/run-store.js'),
    // The compiled run process has no TypeScript loader: give it a plain JS job.
    jobModule: async (tmp) => {
      const p = join(tmp, 'trivial.mjs');
      await writeFile(p, "export default { async run(ctx) { ctx.report.count('ok', 1); } };\n");
      return pathToFileURL(p).href;
    },
  });
} else {
  console.log(`(no compiled build at ${distDir}; measuring sources only — run \`npm run build\` or pass --dist <dir>)`);
}

const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

const results: Array<{ mode: string; median: number; p90: number }> = [];
for (const mode of modes) {
  const { executeRun } = (await import(pathToFileURL(mode.spawnRun).href)) as typeof SpawnRun;
  const { RunStore } = (await import(pathToFileURL(mode.runStore).href)) as typeof Store;
  const tmp = await mkdtemp(join(tmpdir(), 'sisrelay-bench-'));
  const store = new RunStore(join(tmp, 'state'), join(tmp, 'log'));
  const moduleUrl = await mode.jobModule(tmp);
  const total: number[] = [];
  const toReady: number[] = [];
  // One warm-up run (tsx's transform cache, page cache), not counted.
  for (let i = 0; i <= RUNS; i++) {
    const record: RunRecord = await store.create({ job: 'bench', type: 'trivial', trigger: 'manual', slot: null });
    const spec: RunSpec = {
      runId: record.runId, job: 'bench', type: 'trivial', module: moduleUrl, params: {}, connections: {},
      trigger: 'manual', slot: null, attempt: 1, startedAt: record.createdAt, zone: 'UTC', dryRun: false, force: false,
      runDir: record.runDir, filesDir: join(record.runDir, 'files'), dataDir: tmp, logLevel: 'info', previous: null, secrets: ['bench-secret'],
    };
    let readyAt = 0;
    const t0 = performance.now();
    const final = await executeRun(spec, record, {
      store, timeoutMs: 30_000, killGraceMs: 1000, maxMemoryMb: 256,
      onMessage: (m) => {
        if (m.type === 'ready') readyAt = performance.now();
      },
    });
    const ms = performance.now() - t0;
    if (final.status !== 'succeeded') throw new Error(`bench run failed: ${JSON.stringify(final.error)}`);
    if (i > 0) {
      total.push(ms);
      toReady.push(readyAt - t0);
    }
  }
  await rm(tmp, { recursive: true, force: true });
  total.sort((a, b) => a - b);
  toReady.sort((a, b) => a - b);
  const median = pct(total, 50);
  console.log(
    `${mode.name.padEnd(8)} runs=${RUNS} median=${median.toFixed(0)} ms p90=${pct(total, 90).toFixed(0)} ms ` +
      `min=${total[0]!.toFixed(0)} ms max=${total[total.length - 1]!.toFixed(0)} ms ` +
      `(spawn→ready median ${pct(toReady, 50).toFixed(0)} ms)`,
  );
  results.push({ mode: mode.name, median, p90: pct(total, 90) });
}
for (const r of results) console.log(`BENCH run_start_median ${r.median.toFixed(0)} ms target < 300 mode=${r.mode}`);
