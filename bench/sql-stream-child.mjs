// The measured side of bench/sql-stream.ts, in plain JavaScript so it runs on bare `node` against
// the compiled adapter in dist/, as a run process does in production (no tsx loader hooks in the
// timed window). Modes:
//   --adapter  PostgresSource.streamBatches() (or stream() with ITERATE=rows) from dist/ → a CSV
//              file written as psql writes its own (psql-csv-writer.mjs)
//   --floor    the same query through pg's cursor alone: values left as text, no rows, no CSV
// Environment: BENCH_CONN (NamedConnection JSON), BENCH_QUERY, BENCH_OUT, FETCH_SIZE, COPY (0/1),
// ITERATE (batches/rows).
// Prints one JSON line: { ms, rows, maxRssMb, cpuMs }.
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PsqlCsvWriter } from './psql-csv-writer.mjs';

const root = new URL('..', import.meta.url).pathname;
const conn = JSON.parse(process.env.BENCH_CONN);
const QUERY = process.env.BENCH_QUERY;
const FETCH_SIZE = Number(process.env.FETCH_SIZE ?? 2000);

/** The query's TIMESTAMP columns: a Date does not say whether it came from a DATE. */
const TIMESTAMP_COLUMNS = ['enrolled_at'];

function report(started, cpu0, rows) {
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(`${JSON.stringify({ ms, rows, maxRssMb: process.resourceUsage().maxRSS / 1024, cpuMs: (cpu.user + cpu.system) / 1000 })}\n`);
}

async function adapter() {
  const dist = (p) => import(pathToFileURL(join(root, 'dist', p.replace(/^src\//, ''))).href);
  const { PostgresSource } = await dist('src/adapters/sql/postgres-source.js');
  const { Redactor } = await dist('src/util/redactor.js');
  const { civilFromDays } = await dist('src/util/dates.js');
  // The driver modules load before the clock starts, as the adapter's first statement would
  // load them: loading is start-up, which is not counted (connecting is).
  await import('pg');
  await import('pg-query-stream');
  const src = new PostgresSource({ ...conn, copy: process.env.COPY !== '0' }, { redactor: new Redactor([conn.password ?? '']) });
  const started = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  await src.connect();
  // Each full buffer goes to the file as it is (the writer starts a new one); the loops below
  // wait for the file only when it falls more than 1 MiB behind, so the disk writes of one
  // buffer overlap the formatting of the next.
  const file = createWriteStream(process.env.BENCH_OUT, { mode: 0o600, highWaterMark: 1 << 20 });
  const csv = new PsqlCsvWriter({ timestampColumns: TIMESTAMP_COLUMNS, civilFromDays, flush: (bytes) => file.write(bytes) });
  const options = { fetchSize: FETCH_SIZE };
  let rows = 0;
  if (process.env.ITERATE === 'rows') {
    // stream(): one await per row.
    for await (const row of src.stream(QUERY, {}, options)) {
      csv.row(row);
      if ((++rows & 1023) === 0 && file.writableNeedDrain) await once(file, 'drain');
    }
  } else {
    // streamBatches(): one await per batch.
    for await (const batch of src.streamBatches(QUERY, {}, options)) {
      for (const row of batch) csv.row(row);
      rows += batch.length;
      if (file.writableNeedDrain) await once(file, 'drain');
    }
  }
  csv.end();
  file.end();
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
