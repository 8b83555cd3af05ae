/**
 * Streaming throughput and memory of PostgresSource against psql's \copy.
 *
 *   npx tsx bench/sql-stream.ts            (ROWS=500000 by default)
 *
 * Starts the PostgreSQL test fixture, creates a table of ROWS student-like rows, then exports
 * the same SELECT to CSV twice: through PostgresSource (in a child process, so its peak RSS is
 * the adapter's alone) and through `psql -c "\copy (...) to 'file' csv"`. Prints both times,
 * their ratio (target ≤ 2) and the adapter's peak RSS (target < 200 MB). Each side runs twice,
 * interleaved, and the best run counts; "pg cursor alone" shows what the driver costs by itself.
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { SqlValue } from '../src/adapters/adapter-types.js';
import type { NamedConnection, PostgresConnection } from '../src/config/config-types.js';

const ROWS = Number(process.env.ROWS ?? 500_000);
const FETCH_SIZE = Number(process.env.FETCH_SIZE ?? 2000);
const QUERY =
  'SELECT id, student_number, last_name, first_name, dob, grade_level, email, enrolled_at, gpa FROM students ORDER BY id';

// ---------------------------------------------------------------------------------------------
// Child: stream through the adapter into a CSV file, report time and peak RSS.

const PAD2 = Array.from({ length: 100 }, (_, i) => (i < 10 ? `0${i}` : `${i}`));
const DAY_MS = 86_400_000;

/** psql's text forms: 2024-03-10 for a date, 2024-03-10 02:30:00 for a timestamp. */
function dateText(d: Date): string {
  const day = `${d.getUTCFullYear()}-${PAD2[d.getUTCMonth() + 1]}-${PAD2[d.getUTCDate()]}`;
  const t = d.getTime();
  if (t % DAY_MS === 0) return day;
  const ms = d.getUTCMilliseconds();
  return `${day} ${PAD2[d.getUTCHours()]}:${PAD2[d.getUTCMinutes()]}:${PAD2[d.getUTCSeconds()]}${ms ? `.${String(ms).padStart(3, '0')}` : ''}`;
}

const NEEDS_QUOTES = /[",\r\n]/;

function csvField(v: SqlValue): string {
  if (v === null) return '';
  if (typeof v === 'string') return NEEDS_QUOTES.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (v instanceof Date) return dateText(v);
  if (typeof v === 'boolean') return v ? 't' : 'f';
  return v.toString('hex');
}

async function child(): Promise<void> {
  const { PostgresSource } = await import('../src/adapters/sql/postgres-source.js');
  const { Redactor } = await import('../src/util/redactor.js');
  const conn = JSON.parse(process.env.BENCH_CONN!) as NamedConnection<PostgresConnection>;
  const out = process.env.BENCH_OUT!;
  const src = new PostgresSource(conn, { redactor: new Redactor([conn.password ?? '']) });
  const started = process.hrtime.bigint();
  await src.connect();
  const file = createWriteStream(out, { mode: 0o600 });
  let chunk = '';
  let rows = 0;
  for await (const row of src.stream(QUERY, {}, { fetchSize: FETCH_SIZE })) {
    let first = true;
    for (const key in row) {
      if (!first) chunk += ',';
      chunk += csvField(row[key]!);
      first = false;
    }
    chunk += '\n';
    rows++;
    if (chunk.length > 65_536) {
      if (!file.write(chunk)) await once(file, 'drain');
      chunk = '';
    }
  }
  file.end(chunk);
  await once(file, 'finish');
  await src.close();
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`${JSON.stringify({ ms, rows, maxRssMb })}\n`);
}

/** The driver alone: the same query through pg's cursor, no normalisation, no CSV. */
async function floorChild(): Promise<void> {
  const pg = (await import('pg')).default;
  const QueryStream = (await import('pg-query-stream')).default;
  const conn = JSON.parse(process.env.BENCH_CONN!) as NamedConnection<PostgresConnection>;
  const client = new pg.Client({ host: conn.host, port: conn.port, user: conn.user, password: conn.password ?? '', database: conn.database });
  const started = process.hrtime.bigint();
  await client.connect();
  const qs = new QueryStream(QUERY, [], { batchSize: FETCH_SIZE });
  client.query(qs);
  let rows = 0;
  for (;;) {
    const batch = (await (qs.cursor as { read(n: number): Promise<unknown[]> }).read(FETCH_SIZE)).length;
    rows += batch;
    if (batch < FETCH_SIZE) break;
  }
  await client.end();
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  process.stdout.write(`${JSON.stringify({ ms, rows, maxRssMb: process.resourceUsage().maxRSS / 1024 })}\n`);
}

// ---------------------------------------------------------------------------------------------
// Parent

async function runChild(mode: '--child' | '--floor', env: Record<string, string>): Promise<{ ms: number; rows: number; maxRssMb: number }> {
  // CHILD_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the child.
  const extra = (process.env.CHILD_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const proc = spawn(process.execPath, [...extra, '--import', 'tsx', fileURLToPath(import.meta.url), mode], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  proc.stdout.on('data', (b: Buffer) => (out += b.toString()));
  const [code] = (await once(proc, 'exit')) as [number];
  if (code !== 0) throw new Error(`bench child ${mode} exited with ${code}`);
  return JSON.parse(out.trim().split('\n').at(-1)!) as { ms: number; rows: number; maxRssMb: number };
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
    const conn = JSON.stringify(fx.connection('bench'));
    // Best of two for each, interleaved, so a burst of load on a shared machine hits both.
    const psqlRuns: number[] = [];
    const adapterRuns: Array<{ ms: number; rows: number; maxRssMb: number }> = [];
    const floorRuns: number[] = [];
    let floorRss = 0;
    for (let round = 0; round < 2; round++) {
      psqlRuns.push(await timed(psql));
      const r = await runChild('--child', { BENCH_CONN: conn, BENCH_OUT: adapterOut });
      if (r.rows !== ROWS) throw new Error(`adapter streamed ${r.rows} rows, expected ${ROWS}`);
      adapterRuns.push(r);
      const f = await runChild('--floor', { BENCH_CONN: conn });
      floorRuns.push(f.ms);
      floorRss = Math.max(floorRss, f.maxRssMb);
    }
    const psqlMs = Math.min(...psqlRuns);
    const result = { ms: Math.min(...adapterRuns.map((r) => r.ms)), maxRssMb: Math.max(...adapterRuns.map((r) => r.maxRssMb)) };
    const floor = { ms: Math.min(...floorRuns) };

    const ratio = result.ms / psqlMs;
    console.log(`psql \\copy      : ${(psqlMs / 1000).toFixed(2)} s  (${(statSync(psqlOut).size / 1e6).toFixed(1)} MB)`);
    console.log(`PostgresSource : ${(result.ms / 1000).toFixed(2)} s  (${(statSync(adapterOut).size / 1e6).toFixed(1)} MB, fetchSize ${FETCH_SIZE}; own process, start-up not counted)`);
    console.log(`pg cursor alone: ${(floor.ms / 1000).toFixed(2)} s  (same query and batches; no normalisation, no CSV: the driver's floor)`);
    console.log(`ratio adapter/psql: ${ratio.toFixed(2)}   (pg cursor alone/psql: ${(floor.ms / psqlMs).toFixed(2)}; load average ${loadavg()[0]!.toFixed(1)})`);
    console.log(`adapter peak RSS : ${result.maxRssMb.toFixed(1)} MB   (pg cursor alone: ${floorRss.toFixed(1)} MB; both include node + tsx)`);
    console.log(`BENCH sql_stream_ratio ${ratio.toFixed(2)} ratio target <= 2`);
    console.log(`BENCH sql_stream_peak_rss ${result.maxRssMb.toFixed(1)} MB target < 200`);
  } finally {
    rmSync(work, { recursive: true, force: true });
    await fx.stop();
  }
}

if (process.argv.includes('--child') || process.argv.includes('--floor')) {
  (process.argv.includes('--floor') ? floorChild() : child()).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
} else {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
