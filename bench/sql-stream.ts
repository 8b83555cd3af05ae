/**
 * Streaming throughput and memory of PostgresSource against psql's \copy.
 *
 *   npm run bench sql-stream               (builds dist/ first)
 *   npx tsx bench/sql-stream.ts            (uses the dist/ already built; ROWS=500000 by default)
 *
 * Starts the PostgreSQL test fixture, creates a table of ROWS student-like rows, then exports
 * the same SELECT to CSV twice: through PostgresSource.streamBatches() (bench/sql-stream-child.mjs
 * on bare node against the compiled adapter, in its own process so its peak RSS is the adapter's
 * alone, writing with bench/psql-csv-writer.mjs) and through `psql -c "\copy (...) to 'file' csv"`.
 * Prints both times, their ratio (target ≤ 2) and the adapter's peak RSS (target < 200 MB). Each
 * side runs ROUNDS times (default 5), interleaved, and the best run counts (the median of the
 * rounds' own ratios is printed too: on a shared machine the two show how much load moved it). For comparison it
 * also times the same export through stream() (one await per row), the adapter with
 * `copy: false` (rows through a server-side cursor) and pg's cursor alone with every value left
 * as text (the cursor's floor). Every adapter file is checked against psql's, line by line.
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROWS = Number(process.env.ROWS ?? 500_000);
const FETCH_SIZE = Number(process.env.FETCH_SIZE ?? 2000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const QUERY =
  'SELECT id, student_number, last_name, first_name, dob, grade_level, email, enrolled_at, gpa FROM students ORDER BY id';
const CHILD = fileURLToPath(new URL('./sql-stream-child.mjs', import.meta.url));
const DIST_SOURCE = fileURLToPath(new URL('../dist/adapters/sql/postgres-source.js', import.meta.url));

// ---------------------------------------------------------------------------------------------
// Parent

interface ChildResult {
  ms: number;
  rows: number;
  maxRssMb: number;
  /** CPU time of the child over the same span (user + system); less sensitive to a busy machine. */
  cpuMs?: number;
}

async function runChild(mode: '--adapter' | '--floor', env: Record<string, string>): Promise<ChildResult> {
  // CHILD_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the child.
  const extra = (process.env.CHILD_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const proc = spawn(process.execPath, [...extra, CHILD, mode], {
    env: { ...process.env, BENCH_QUERY: QUERY, FETCH_SIZE: String(FETCH_SIZE), ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  proc.stdout.on('data', (b: Buffer) => (out += b.toString()));
  const [code] = (await once(proc, 'exit')) as [number];
  if (code !== 0) throw new Error(`bench child ${mode} exited with ${code}`);
  return JSON.parse(out.trim().split("\n").at(-1)!) as ChildResult;
}

/**
 * The adapter's CSV must say what psql's says, or the race is unfair. The one allowed difference
 * is the NUMERIC column (last): the adapter hands over numbers (0.1), psql the column's text (0.10).
 */
async function sameCsv(psqlPath: string, adapterPath: string): Promise<void> {
  const lines = (path: string): AsyncIterator<string> =>
    createInterface({ input: createReadStream(path), crlfDelay: Infinity })[Symbol.asyncIterator]();
  const a = lines(psqlPath);
  const b = lines(adapterPath);
  for (let n = 1; ; n++) {
    const [x, y] = await Promise.all([a.next(), b.next()]);
    if (x.done || y.done) {
      if (x.done !== y.done) throw new Error(`adapter CSV has ${x.done ? 'more' : 'fewer'} lines than psql's (line ${n})`);
      return;
    }
    const cut = (line: string): [string, number] => [line.slice(0, line.lastIndexOf(',')), Number(line.slice(line.lastIndexOf(',') + 1))];
    const [px, nx] = cut(x.value);
    const [py, ny] = cut(y.value);
    if (px !== py || nx !== ny) throw new Error(`adapter CSV differs from psql's at line ${n}:\n  psql:    ${x.value}\n  adapter: ${y.value}`);
  }
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

async function main(): Promise<void> {
  const { startPostgres } = await import('../test/fixtures/postgres.js');
  const fx = await startPostgres();
  const work = mkdtempSync(join(tmpdir(), 'sisrelay-bench-'));
  try {
    await fx.createDatabase('bench');
    const c = await fx.client('bench');
    const loadMs = await timed(async () => {
      await c.query(`
        CREATE TABLE students (id int PRIMARY KEY, student_number text, last_name text, first_name text, dob date,
                               grade_level int, email text, enrolled_at timestamp, gpa numeric(4,2));
        INSERT INTO students
        SELECT g, lpad(g::text, 8, '0'), 'Núñez-' || (g % 997), 'Zoë ' || (g % 313), DATE '2008-01-01' + (g % 3650),
               g % 13, 's' || g || '@example.edu', TIMESTAMP '2024-08-15 07:30:00' + (g % 1000) * interval '1 minute',
               round(((g % 400) / 100.0)::numeric, 2)
        FROM generate_series(1, ${ROWS}) g;
        ANALYZE students;`);
    });
    await c.end();
    console.log(`loaded ${ROWS} rows in ${(loadMs / 1000).toFixed(2)} s`);

    const psqlBin = '/usr/bin/psql';
    const psqlOut = join(work, 'psql.csv');
    const psql = async (): Promise<void> => {
      await promisify(execFile)(psqlBin, ['-h', fx.host, '-p', String(fx.port), '-U', fx.superuser, '-d', 'bench', '-X', '-q', '-c', `\\copy (${QUERY}) to '${psqlOut}' csv`], {
        env: { ...process.env, PGPASSWORD: fx.password },
      });
    };
    await psql(); // warm-up: the table in shared buffers for every run
    const adapterOut = join(work, 'adapter.csv');
    const perRowOut = join(work, 'per-row.csv');
    const cursorOut = join(work, 'cursor.csv');
    const conn = JSON.stringify(fx.connection('bench'));
    // Best of ROUNDS for each, interleaved, so a burst of load on a shared machine hits all.
    const psqlRuns: number[] = [];
    const adapterRuns: ChildResult[] = [];
    const perRowRuns: number[] = [];
    const cursorRuns: number[] = [];
    const floorRuns: number[] = [];
    let floorRss = 0;
    for (let round = 0; round < ROUNDS; round++) {
      psqlRuns.push(await timed(psql));
      const r = await runChild('--adapter', { BENCH_CONN: conn, BENCH_OUT: adapterOut, COPY: '1' });
      if (r.rows !== ROWS) throw new Error(`adapter streamed ${r.rows} rows, expected ${ROWS}`);
      adapterRuns.push(r);
      perRowRuns.push((await runChild('--adapter', { BENCH_CONN: conn, BENCH_OUT: perRowOut, COPY: '1', ITERATE: 'rows' })).ms);
      cursorRuns.push((await runChild('--adapter', { BENCH_CONN: conn, BENCH_OUT: cursorOut, COPY: '0' })).ms);
      const f = await runChild('--floor', { BENCH_CONN: conn });
      floorRuns.push(f.ms);
      floorRss = Math.max(floorRss, f.maxRssMb);
    }
    const psqlMs = Math.min(...psqlRuns);
    const list = (xs: number[]): string => xs.map((x) => (x / 1000).toFixed(2)).join(' ');
    console.log(
      `rounds (s): psql ${list(psqlRuns)} | adapter ${list(adapterRuns.map((r) => r.ms))} | per row ${list(perRowRuns)} | copy:false ${list(cursorRuns)} | pg cursor alone ${list(floorRuns)}`,
    );
    const result = {
      ms: Math.min(...adapterRuns.map((r) => r.ms)),
      cpuMs: Math.min(...adapterRuns.map((r) => r.cpuMs ?? Infinity)),
      maxRssMb: Math.max(...adapterRuns.map((r) => r.maxRssMb)),
    };
    await sameCsv(psqlOut, adapterOut);
    await sameCsv(psqlOut, perRowOut);
    await sameCsv(psqlOut, cursorOut);
    const perRowMs = Math.min(...perRowRuns);
    const cursorMs = Math.min(...cursorRuns);
    const floorMs = Math.min(...floorRuns);

    const ratio = result.ms / psqlMs;
    const roundRatios = adapterRuns.map((r, i) => r.ms / psqlRuns[i]!).sort((a, b) => a - b);
    const medianRatio = roundRatios[Math.floor(roundRatios.length / 2)]!;
    console.log(`psql \\copy        : ${(psqlMs / 1000).toFixed(2)} s  (${(statSync(psqlOut).size / 1e6).toFixed(1)} MB)`);
    console.log(`PostgresSource   : ${(result.ms / 1000).toFixed(2)} s  (streamBatches(), rows through COPY; ${(statSync(adapterOut).size / 1e6).toFixed(1)} MB; own process on bare node, start-up not counted; best CPU ${(result.cpuMs / 1000).toFixed(2)} s)`);
    console.log(`  row by row     : ${(perRowMs / 1000).toFixed(2)} s  (stream(): the same rows with one await per row)`);
    console.log(`  with copy:false: ${(cursorMs / 1000).toFixed(2)} s  (streamBatches(), rows through a server-side cursor, fetchSize ${FETCH_SIZE})`);
    console.log(`pg cursor alone  : ${(floorMs / 1000).toFixed(2)} s  (same query and batches; values left as text, no SqlRows, no CSV: the cursor's floor)`);
    console.log(
      `ratio adapter/psql: ${ratio.toFixed(2)}, median of the rounds' own ratios ${medianRatio.toFixed(2)}   (row by row/psql ${(perRowMs / psqlMs).toFixed(2)}, copy:false/psql ${(cursorMs / psqlMs).toFixed(2)}, pg cursor alone/psql ${(floorMs / psqlMs).toFixed(2)}; load average ${loadavg()[0]!.toFixed(1)})`,
    );
    console.log(`adapter peak RSS : ${result.maxRssMb.toFixed(1)} MB   (pg cursor alone: ${floorRss.toFixed(1)} MB)`);
    console.log(`BENCH sql_stream_ratio ${ratio.toFixed(2)} ratio target <= 2`);
    console.log(`BENCH sql_stream_ratio_row_by_row ${(perRowMs / psqlMs).toFixed(2)} ratio`);
    console.log(`BENCH sql_stream_ratio_round_median ${medianRatio.toFixed(2)} ratio`);
    console.log(`BENCH sql_stream_peak_rss ${result.maxRssMb.toFixed(1)} MB target < 200`);
  } finally {
    rmSync(work, { recursive: true, force: true });
    await fx.stop();
  }
}

if (!existsSync(DIST_SOURCE)) {
  console.error(`${DIST_SOURCE} is missing: run \`npm run build\` first (npm run bench does)`);
  process.exit(1);
}
main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
