/**
 * Streaming throughput and memory of PostgresSource against psql's \copy.
 *
 *   npx tsx bench/sql-stream.ts            (ROWS=500000 by default)
 *
 * Starts the PostgreSQL test fixture, creates a table of ROWS student-like rows, then exports
 * the same SELECT to CSV twice: through PostgresSource (in a child process, so its peak RSS is
 * the adapter's alone) and through `psql -c "\copy (...) to 'file' csv"`. Prints both times,
 * their ratio (target ≤ 2) and the adapter's peak RSS (target < 200 MB). Each side runs ROUNDS
 * times (default 3), interleaved, and the best run counts; "pg cursor alone" shows what the
 * driver costs by itself. The adapter's file is checked against psql's, line by line.
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { ClientConfig } from 'pg';
import type { SqlValue } from '../src/adapters/adapter-types.js';
import type { NamedConnection, PostgresConnection } from '../src/config/config-types.js';

const ROWS = Number(process.env.ROWS ?? 500_000);
const FETCH_SIZE = Number(process.env.FETCH_SIZE ?? 2000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const QUERY =
  'SELECT id, student_number, last_name, first_name, dob, grade_level, email, enrolled_at, gpa FROM students ORDER BY id';

// ---------------------------------------------------------------------------------------------
// Child: stream through the adapter into a CSV file, report time and peak RSS.

const PAD2 = Array.from({ length: 100 }, (_, i) => (i < 10 ? `0${i}` : `${i}`));
const DAY_MS = 86_400_000;

/** The query's TIMESTAMP columns: a SqlValue Date does not say whether it was a DATE. */
const TIMESTAMP_COLUMNS = new Set(['enrolled_at']);

/**
 * PostgreSQL's text forms: 2024-03-10 for a date, 2024-03-10 02:30:00[.25] for a timestamp,
 * years padded to 4 digits. The fields come from the time value in plain arithmetic (H.
 * Hinnant's civil_from_days): seven getUTC* calls per Date cost more than the rest of the row.
 */
function dateText(d: Date, withTime: boolean): string {
  const t = d.getTime();
  const days = Math.floor(t / DAY_MS);
  let rest = t - days * DAY_MS;
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const ymd = `${year >= 1000 ? year : String(year).padStart(4, '0')}-${PAD2[month]}-${PAD2[day]}`;
  if (!withTime) return ymd;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const mi = Math.floor(rest / 60_000);
  rest -= mi * 60_000;
  const sec = Math.floor(rest / 1000);
  const ms = rest - sec * 1000;
  const hms = `${ymd} ${PAD2[h]}:${PAD2[mi]}:${PAD2[sec]}`;
  return ms === 0 ? hms : `${hms}.${String(ms).padStart(3, '0').replace(/0+$/, '')}`;
}

const NEEDS_QUOTES = /[",\r\n]/;

/** One CSV field as psql's `\copy ... csv` writes it (RFC 4180 quoting only when needed). */
function csvField(v: SqlValue, key: string): string {
  // Most frequent first: text, then numbers.
  if (typeof v === 'string') return NEEDS_QUOTES.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
  if (typeof v === 'number') return `${v}`;
  if (v === null) return '';
  if (v instanceof Date) return dateText(v, TIMESTAMP_COLUMNS.has(key));
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'boolean') return v ? 't' : 'f';
  return `\\x${v.toString('hex')}`;
}

async function child(): Promise<void> {
  const { PostgresSource } = await import('../src/adapters/sql/postgres-source.js');
  const { Redactor } = await import('../src/util/redactor.js');
  const conn = JSON.parse(process.env.BENCH_CONN!) as NamedConnection<PostgresConnection>;
  const out = process.env.BENCH_OUT!;
  const src = new PostgresSource(conn, { redactor: new Redactor([conn.password ?? '']) });
  // The driver's modules are loaded before the clock starts, as in the floor child: loading
  // them is start-up, which is not counted (connecting is).
  await import('pg');
  await import('pg-query-stream');
  const started = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  await src.connect();
  // A 1 MiB buffer lets the disk write of one chunk overlap the formatting of the next; with
  // the default 16 KiB every 64 KiB chunk waited for its own write to finish.
  const file = createWriteStream(out, { mode: 0o600, highWaterMark: 1 << 20 });
  let chunk = '';
  let rows = 0;
  for await (const row of src.stream(QUERY, {}, { fetchSize: FETCH_SIZE })) {
    let first = true;
    for (const key in row) {
      if (!first) chunk += ',';
      chunk += csvField(row[key]!, key);
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
  const cpu = process.cpuUsage(cpu0);
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`${JSON.stringify({ ms, rows, maxRssMb, cpuMs: (cpu.user + cpu.system) / 1000 })}\n`);
}

/** The driver alone: the same query through pg's cursor, no value parsing, no normalisation, no CSV. */
async function floorChild(): Promise<void> {
  const pg = (await import('pg')).default;
  const QueryStream = (await import('pg-query-stream')).default;
  const conn = JSON.parse(process.env.BENCH_CONN!) as NamedConnection<PostgresConnection>;
  // Every value stays the text the server sent: pg's default parsers would build dates in the
  // host zone through a regex parser that costs more than the adapter's whole conversion, and
  // this line is meant to show the protocol's own cost.
  const asText = (text: string): string => text;
  const client = new pg.Client({
    host: conn.host,
    port: conn.port,
    user: conn.user,
    password: conn.password ?? '',
    database: conn.database,
    types: { getTypeParser: () => asText } as unknown as NonNullable<ClientConfig['types']>,
  });
  const started = process.hrtime.bigint();
  await client.connect();
  const qs = new QueryStream(QUERY, [], { batchSize: FETCH_SIZE });
  client.query(qs);
  const cursor = qs.cursor as { read(n: number): Promise<unknown[]> };
  let rows = 0;
  // The next batch is asked for as soon as one arrives, as the adapter does.
  let next = cursor.read(FETCH_SIZE);
  for (;;) {
    const batch = (await next).length;
    rows += batch;
    if (batch < FETCH_SIZE) break;
    next = cursor.read(FETCH_SIZE);
  }
  await client.end();
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  process.stdout.write(`${JSON.stringify({ ms, rows, maxRssMb: process.resourceUsage().maxRSS / 1024 })}\n`);
}

// ---------------------------------------------------------------------------------------------
// Parent

interface ChildResult {
  ms: number;
  rows: number;
  maxRssMb: number;
  /** CPU time of the child over the same span (user + system); less sensitive to a busy machine. */
  cpuMs?: number;
}

async function runChild(mode: '--child' | '--floor', env: Record<string, string>): Promise<ChildResult> {
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
  return JSON.parse(out.trim().split('\n').at(-1)!) as ChildResult;
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
    const conn = JSON.stringify(fx.connection('bench'));
    // Best of ROUNDS for each, interleaved, so a burst of load on a shared machine hits both.
    const psqlRuns: number[] = [];
    const adapterRuns: ChildResult[] = [];
    const floorRuns: number[] = [];
    let floorRss = 0;
    for (let round = 0; round < ROUNDS; round++) {
      psqlRuns.push(await timed(psql));
      const r = await runChild('--child', { BENCH_CONN: conn, BENCH_OUT: adapterOut });
      if (r.rows !== ROWS) throw new Error(`adapter streamed ${r.rows} rows, expected ${ROWS}`);
      adapterRuns.push(r);
      const f = await runChild('--floor', { BENCH_CONN: conn });
      floorRuns.push(f.ms);
      floorRss = Math.max(floorRss, f.maxRssMb);
    }
    const psqlMs = Math.min(...psqlRuns);
    const result = {
      ms: Math.min(...adapterRuns.map((r) => r.ms)),
      cpuMs: Math.min(...adapterRuns.map((r) => r.cpuMs ?? Infinity)),
      maxRssMb: Math.max(...adapterRuns.map((r) => r.maxRssMb)),
    };
    await sameCsv(psqlOut, adapterOut);
    const floor = { ms: Math.min(...floorRuns) };

    const ratio = result.ms / psqlMs;
    console.log(`psql \\copy      : ${(psqlMs / 1000).toFixed(2)} s  (${(statSync(psqlOut).size / 1e6).toFixed(1)} MB)`);
    console.log(`PostgresSource : ${(result.ms / 1000).toFixed(2)} s  (${(statSync(adapterOut).size / 1e6).toFixed(1)} MB, fetchSize ${FETCH_SIZE}; own process, start-up not counted; best CPU ${(result.cpuMs / 1000).toFixed(2)} s)`);
    console.log(`pg cursor alone: ${(floor.ms / 1000).toFixed(2)} s  (same query and batches; values left as text, no SqlRows, no CSV: the driver's floor)`);
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
