// The measured side of bench/sql-stream.ts, in plain JavaScript so it runs on bare `node` against
// the compiled adapter in dist/, as a run process does in production (no tsx loader hooks in the
// timed window). Modes:
//   --adapter  PostgresSource.stream() from dist/ → a CSV file written as psql writes its own
//   --floor    the same query through pg's cursor alone: values left as text, no rows, no CSV
// Environment: BENCH_CONN (NamedConnection JSON), BENCH_QUERY, BENCH_OUT, FETCH_SIZE, COPY (0/1).
// Prints one JSON line: { ms, rows, maxRssMb, cpuMs }.
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = new URL('..', import.meta.url).pathname;
const conn = JSON.parse(process.env.BENCH_CONN);
const QUERY = process.env.BENCH_QUERY;
const FETCH_SIZE = Number(process.env.FETCH_SIZE ?? 2000);

/** The query's TIMESTAMP columns: a Date does not say whether it came from a DATE. */
const TIMESTAMP_COLUMNS = new Set(['enrolled_at']);
const PAD2 = Array.from({ length: 100 }, (_, i) => (i < 10 ? `0${i}` : `${i}`));
const DAY_MS = 86_400_000;

/** 'YYYY-MM-DD' per day number, as a CSV writer for extracts full of repeated dates would keep. */
const dayTexts = new Map();
let civilFromDays = null; // dist/util/dates.js, loaded by the mode that formats dates

/** A day number as PostgreSQL prints a date: years padded to 4 digits. */
function dayText(days) {
  let text = dayTexts.get(days);
  if (text !== undefined) return text;
  const { year, month, day } = civilFromDays(days);
  text = `${year >= 1000 ? year : String(year).padStart(4, '0')}-${PAD2[month]}-${PAD2[day]}`;
  if (dayTexts.size > 100_000) dayTexts.clear();
  dayTexts.set(days, text);
  return text;
}

/** psql's text for a date (2024-03-10) or timestamp (2024-03-10 02:30:00[.25]) held as a wall-clock Date. */
function dateText(d, withTime) {
  const t = d.getTime();
  const days = Math.floor(t / DAY_MS);
  if (!withTime) return dayText(days);
  let rest = t - days * DAY_MS;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const mi = Math.floor(rest / 60_000);
  rest -= mi * 60_000;
  const sec = Math.floor(rest / 1000);
  const ms = rest - sec * 1000;
  const hms = `${dayText(days)} ${PAD2[h]}:${PAD2[mi]}:${PAD2[sec]}`;
  return ms === 0 ? hms : `${hms}.${String(ms).padStart(3, '0').replace(/0+$/, '')}`;
}

const NEEDS_QUOTES = /[",\r\n]/;

/** One CSV field as psql's `\copy ... csv` writes it (RFC 4180 quoting only when needed). */
function csvField(v, key) {
  if (typeof v === 'string') return NEEDS_QUOTES.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
  if (typeof v === 'number') return `${v}`;
  if (v === null) return '';
  if (v instanceof Date) return dateText(v, TIMESTAMP_COLUMNS.has(key));
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'boolean') return v ? 't' : 'f';
  return `\\x${v.toString('hex')}`;
}

function report(started, cpu0, rows) {
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(`${JSON.stringify({ ms, rows, maxRssMb: process.resourceUsage().maxRSS / 1024, cpuMs: (cpu.user + cpu.system) / 1000 })}\n`);
}

async function adapter() {
  const dist = (p) => import(pathToFileURL(join(root, 'dist', p.replace(/^src\//, ''))).href);
  const { PostgresSource } = await dist('src/adapters/sql/postgres-source.js');
  const { Redactor } = await dist('src/util/redactor.js');
  ({ civilFromDays } = await dist('src/util/dates.js'));
  // The driver modules load before the clock starts, as the adapter's first statement would
  // load them: loading is start-up, which is not counted (connecting is).
  await import('pg');
  await import('pg-query-stream');
  const src = new PostgresSource({ ...conn, copy: process.env.COPY !== '0' }, { redactor: new Redactor([conn.password ?? '']) });
  const started = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  await src.connect();
  // A 1 MiB buffer lets the disk write of one chunk overlap the formatting of the next.
  const file = createWriteStream(process.env.BENCH_OUT, { mode: 0o600, highWaterMark: 1 << 20 });
  let chunk = '';
  let rows = 0;
  for await (const row of src.stream(QUERY, {}, { fetchSize: FETCH_SIZE })) {
    let first = true;
    for (const key in row) {
      if (!first) chunk += ',';
      chunk += csvField(row[key], key);
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
  report(started, cpu0, rows);
}

async function floor() {
  const pg = (await import('pg')).default;
  const QueryStream = (await import('pg-query-stream')).default;
  // Every value stays the text the server sent: this line shows the protocol's own cost.
  const asText = (text) => text;
  const client = new pg.Client({ host: conn.host, port: conn.port, user: conn.user, password: conn.password ?? '', database: conn.database, types: { getTypeParser: () => asText } });
  const started = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  await client.connect();
  const qs = new QueryStream(QUERY, [], { batchSize: FETCH_SIZE });
  client.query(qs);
  let rows = 0;
  // The next batch is asked for as soon as one arrives, as the adapter's cursor path does.
  let next = qs.cursor.read(FETCH_SIZE);
  for (;;) {
    const batch = (await next).length;
    rows += batch;
    if (batch < FETCH_SIZE) break;
    next = qs.cursor.read(FETCH_SIZE);
  }
  await client.end();
  report(started, cpu0, rows);
}

const mode = process.argv[2];
(mode === '--floor' ? floor() : mode === '--adapter' ? adapter() : Promise.reject(new Error(`unknown mode ${mode}`))).catch((err) => {
  console.error(err);
  process.exit(1);
});
