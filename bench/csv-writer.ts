/**
 * Delimited writer throughput: 400k rows × 16 columns (the LittleSIS roster shape) to a temp
 * file, RFC 4180 quoting, CRLF, UTF-8 and windows-1252. Prints one BENCH line per encoding.
 * Run: npx tsx bench/csv-writer.ts
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDelimitedWriter } from '../src/adapters/csv/delimited-writer.js';

const ROWS = 400_000;
const header = Array.from({ length: 16 }, (_, i) => `COL_${i + 1}`);

function row(i: number): (string | null)[] {
  return [
    `MAT${i % 500}`, String(i % 12), '2700', '101', '1(A)', '2026-08-17', '2027-06-01',
    i % 50 === 0 ? 'Algebra, Honors' : 'Algebra I', i % 7 === 0 ? null : `R${i % 300}`,
    `teacher${i % 900}@d118.org`, `${100000 + i}@students.d118.org`, String(100000 + i),
    '2026-08-17', '2027-06-01', '0', i % 3 === 0 ? 'WHS' : 'Müller Élémentaire',
  ];
}

const dir = await mkdtemp(join(tmpdir(), 'sisrelay-bench-'));
try {
  for (const encoding of ['utf-8', 'windows-1252'] as const) {
    const path = join(dir, `roster-${encoding}.csv`);
    const started = process.hrtime.bigint();
    const w = await openDelimitedWriter(path, { delimiter: ',', eol: '\r\n', encoding, quoting: 'rfc4180', header });
    for (let i = 0; i < ROWS; i++) await w.writeRow(row(i));
    const res = await w.close();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const rate = Math.round(res.rows / seconds);
    const mb = (res.bytes / 1e6).toFixed(1);
    console.log(`# ${encoding}: ${res.rows} rows, ${mb} MB in ${seconds.toFixed(2)} s`);
    console.log(`BENCH csv_writer_rows_per_s${encoding === 'utf-8' ? '' : '_cp1252'} ${rate} rows/s target >= 0`);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
