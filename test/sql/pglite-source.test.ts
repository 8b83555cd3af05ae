import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgliteSource, defaultSnapshotDir, type SnapshotRequest } from '../../src/adapters/sql/pglite-source.js';
import { wallClockDate } from '../../src/adapters/sql/normalize-row.js';
import type { NamedConnection, PgliteConnection } from '../../src/config/config-types.js';
import { SisrelayError } from '../../src/errors/sisrelay-error.js';
import { Redactor } from '../../src/util/redactor.js';

/**
 * PgliteSource on a tiny snapshot made here with PGlite itself (the dataset generator's
 * snapshot module is exercised by its own tests).
 */

let dir: string;
let tarball: string;
const requests: SnapshotRequest[] = [];
let src: PgliteSource;

const conn = (overrides: Partial<PgliteConnection> = {}): NamedConnection<PgliteConnection> => ({
  name: 'demo-powerschool',
  type: 'pglite',
  dataset: 'powerschool',
  seed: 7,
  students: 3,
  snapshotDir: null,
  schoolYearStart: 2025,
  academicYear: null,
  academicTerm: null,
  courses: 30,
  ...overrides,
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sisrelay-pglite-test-'));
  const db = await PGlite.create();
  await db.exec(`
    CREATE TABLE students ("Student_Number" int8 PRIMARY KEY, last_name text, middle text, dob date, entry_ts timestamp, gpa numeric);
    INSERT INTO students VALUES
      (1001, 'Núñez', NULL, '2010-03-10', '2024-03-10 02:30:00', 3.50),
      (1002, '李', 'Q', '2011-12-31', NULL, NULL),
      (9007199254740993, 'Big', NULL, NULL, NULL, 0.12345678901234567891);
    CREATE SEQUENCE probe;
  `);
  const blob = await db.dumpDataDir('gzip');
  await db.close();
  tarball = join(dir, 'tiny.tar.gz');
  writeFileSync(tarball, Buffer.from(await blob.arrayBuffer()));
  src = new PgliteSource(conn(), {
    redactor: new Redactor(),
    snapshot: async (req) => {
      requests.push(req);
      return tarball;
    },
  });
  await src.connect();
});

afterAll(async () => {
  await src?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('PgliteSource', () => {
  it('asks for the snapshot of its dataset, in the default snapshot dir when none is configured', () => {
    expect(requests).toEqual([{ dataset: 'powerschool', seed: 7, students: 3, dir: defaultSnapshotDir(), schoolYearStart: 2025 }]);
    expect(defaultSnapshotDir()).toBe(join(tmpdir(), 'sisrelay-pglite-snapshots'));
  });

  it('asks for a PowerCampus term by year, term and course count', () => {
    const pc = new PgliteSource(conn({ dataset: 'powercampus', academicYear: '2026', academicTerm: 'Fall', courses: 12, schoolYearStart: null }), { redactor: new Redactor() });
    expect(pc.snapshotRequest()).toEqual({ dataset: 'powercampus', seed: 7, students: 3, dir: defaultSnapshotDir(), year: 2026, term: 'Fall', courses: 12 });
    const bad = new PgliteSource(conn({ dataset: 'powercampus', academicYear: '2025-26' }), { redactor: new Redactor() });
    expect(() => bad.snapshotRequest()).toThrow(/academicYear must be a year/);
  });

  it('opens the generator\'s own snapshot when no provider is injected', async () => {
    const generated = new PgliteSource(conn({ students: 8, snapshotDir: join(dir, 'generated') }), { redactor: new Redactor() });
    try {
      const rows = await generated.all('SELECT count(*)::int AS n FROM students');
      expect(rows).toEqual([{ n: 8 }]);
    } finally {
      await generated.close();
    }
  });

  it('uses the configured snapshotDir', async () => {
    const seen: SnapshotRequest[] = [];
    const other = new PgliteSource(conn({ snapshotDir: '/var/lib/sisrelay/snapshots' }), {
      redactor: new Redactor(),
      snapshot: async (req) => {
        seen.push(req);
        throw new Error('disk full');
      },
    });
    const err = await other.connect().catch((e: unknown) => e);
    expect(seen[0]?.dir).toBe('/var/lib/sisrelay/snapshots');
    expect(err).toBeInstanceOf(SisrelayError);
    expect((err as SisrelayError).message).toContain('the powerschool snapshot could not be prepared');
    expect((err as SisrelayError).message).toContain('disk full');
  });

  it('returns rows under the SqlValue contract', async () => {
    const rows = await src.all('SELECT * FROM students ORDER BY 1');
    expect(rows).toEqual([
      { student_number: 1001, last_name: 'Núñez', middle: null, dob: wallClockDate(2010, 3, 10), entry_ts: wallClockDate(2024, 3, 10, 2, 30), gpa: 3.5 },
      { student_number: 1002, last_name: '李', middle: 'Q', dob: wallClockDate(2011, 12, 31), entry_ts: null, gpa: null },
      { student_number: 9007199254740993n, last_name: 'Big', middle: null, dob: null, entry_ts: null, gpa: '0.12345678901234567891' },
    ]);
  });

  it('translates :name binds including lists and dates', async () => {
    const rows = await src.all('SELECT last_name FROM students WHERE "Student_Number" IN (:ids) AND dob < :before ORDER BY 1', {
      ids: [1001, 1002, 5],
      before: wallClockDate(2011, 12, 31),
    });
    expect(rows).toEqual([{ last_name: 'Núñez' }]);
  });

  it('fetches in batches through a cursor: breaking early leaves the rest unproduced', async () => {
    // Row 5000 divides by zero. Fetched in batches of 100 and abandoned after 10 rows, the
    // query never reaches it; a source that materialised the whole result would fail.
    let n = 0;
    for await (const row of src.stream('SELECT g, 1 / (5000 - g) AS boom FROM generate_series(1, 20000) g', {}, { fetchSize: 100 })) {
      expect(row.g).toBe(++n);
      if (n === 10) break;
    }
    expect(n).toBe(10);
    const err = await src.all('SELECT g, 1 / (5000 - g) AS boom FROM generate_series(1, 20000) g').catch((e: unknown) => e);
    expect((err as SisrelayError).message).toContain('division by zero');
  });

  it('runs statements read-only', async () => {
    const err = await src.all("SELECT nextval('probe')").catch((e: unknown) => e);
    expect((err as SisrelayError).code).toBe('SQL_QUERY_FAILED');
    expect((err as SisrelayError).message).toContain('read-only transaction');
  });

  it('streams every row across batch boundaries', async () => {
    let n = 0;
    for await (const _ of src.stream('SELECT g FROM generate_series(1, 2500) g', {}, { fetchSize: 1000 })) n++;
    expect(n).toBe(2500);
  });

  it('hands over the same rows in arrays of at most fetchSize through streamBatches', async () => {
    const sizes: number[] = [];
    const values: unknown[] = [];
    for await (const batch of src.streamBatches('SELECT g FROM generate_series(1, 2500) g', {}, { fetchSize: 1000 })) {
      sizes.push(batch.length);
      for (const row of batch) values.push(row.g);
    }
    expect(sizes).toEqual([1000, 1000, 500]);
    expect(values).toEqual(Array.from({ length: 2500 }, (_, i) => i + 1));
  });

  it('maps bad SQL to SQL_QUERY_FAILED and stays usable', async () => {
    const err = await src.all('SELECT * FROM nope').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SisrelayError);
    expect((err as SisrelayError).code).toBe('SQL_QUERY_FAILED');
    expect((err as SisrelayError).message).toContain('relation "nope" does not exist');
    expect(await src.all('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });
});
