/**
 * Benchmark (not a test): generate and load the PowerSchool dataset into a real PostgreSQL.
 *
 *   PGURL=postgres://postgres@127.0.0.1:55432/postgres STUDENTS=50000 \
 *     node --import tsx test/datagen/load-benchmark.mts
 *
 * Prints generation-only time, then INSERT and COPY load times into fresh schemas.
 */
import pg from 'pg';
import { loadDataset, loadDatasetWithCopy } from '../../src/datagen/load-dataset.js';
import { generatePowerSchool, powerSchoolDataset } from '../../src/datagen/powerschool-generator.js';

const url = process.env.PGURL;
if (!url) {
  console.error('set PGURL to a PostgreSQL URL the benchmark may create schemas in');
  process.exit(2);
}
const students = Number(process.env.STUDENTS ?? 50_000);
const params = { seed: 'bench', students, schoolYearStart: 2026 };

let t = Date.now();
let rows = 0;
let cc = 0;
for (const r of generatePowerSchool(params)) {
  rows++;
  if (r.table === 'cc') cc++;
}
console.log(`generate only: ${rows} rows (${cc} cc) in ${Date.now() - t} ms`);

const client = new pg.Client({ connectionString: url });
await client.connect();
try {
  for (const mode of ['insert', 'unnest', 'copy'] as const) {
    const schema = `bench_${mode}`;
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    t = Date.now();
    const stats = mode === 'copy'
      ? await loadDatasetWithCopy(client, powerSchoolDataset(params), { schema })
      : await loadDataset((s, p) => client.query(s, p), powerSchoolDataset(params), { schema, method: mode === 'unnest' ? 'unnest' : 'values' });
    console.log(`${mode}: ${stats.rows} rows, ${stats.statements} statements, ${Date.now() - t} ms, rss ${Math.round(process.memoryUsage().rss / 1e6)} MB`);
    await client.query(`DROP SCHEMA ${schema} CASCADE`);
  }
} finally {
  await client.end();
}
