/**
 * Property tests on a generated district (src/datagen): the jobs' output checked against
 * independent, differently written queries rather than against expected bytes.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Papa from 'papaparse';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NamedConnection } from '../../../src/config/config-types.js';
import { loadDatasetWithCopy } from '../../../src/datagen/load-dataset.js';
import { powerSchoolDataset } from '../../../src/datagen/powerschool-generator.js';
import { DEFAULT_TEST_NAMES } from '../../../src/jobs/clever-demographics/descriptor.js';
import cleverJob from '../../../src/jobs/clever-demographics/job.js';
import littlesisJob from '../../../src/jobs/littlesis-roster/job.js';
import samegoalJob from '../../../src/jobs/samegoal-demographics/job.js';
import { startPostgres, type PgFixture } from '../../fixtures/postgres.js';
import { runJobInProcess, type JobRunResult } from '../../helpers/job-harness.js';
import { cleverDefaults, littlesisDefaults, samegoalDefaults } from './helpers.js';

const STUDENTS = 600;
const YEAR_START = 2026;
const YEAR_ID = YEAR_START - 1990;
const STARTED_AT = new Date('2026-10-15T08:00:00Z');
const ZONE = 'America/Chicago';

let pgfx: PgFixture;
let client: pg.Client;
let outDir: string;
let connections: Record<string, NamedConnection>;
const runs: JobRunResult[] = [];

beforeAll(async () => {
  pgfx = await startPostgres();
  await pgfx.createDatabase('district');
  client = await pgfx.client('district');
  await loadDatasetWithCopy(client, powerSchoolDataset({
    seed: 'property-tests',
    students: STUDENTS,
    schoolYearStart: YEAR_START,
    options: { duplicateLepRowRate: 0.05, nonNumericFerRate: 0.01, nullDateLeftRate: 0.02, orphanTeacherRate: 0.02, nullExitDateRate: 0.01 },
  }));
  // A real SIS database has planner statistics; a freshly loaded one has none until analyzed.
  await client.query('ANALYZE');
  outDir = await mkdtemp(join(tmpdir(), 'sisrelay-ps-prop-'));
  connections = {
    powerschool: pgfx.connection('district', { name: 'powerschool' }),
    drop: { name: 'drop', type: 'local', path: outDir, create: true },
  };
});

afterAll(async () => {
  await client?.end();
  await pgfx?.stop();
  for (const r of runs) await r.cleanup();
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

async function run(module: Parameters<typeof runJobInProcess>[0]['module'], params: unknown): Promise<JobRunResult> {
  const r = await runJobInProcess({ module, params, connections, startedAt: STARTED_AT, zone: ZONE });
  runs.push(r);
  if (r.error) throw r.error;
  return r;
}

function parseCsv(text: string): string[][] {
  const parsed = Papa.parse<string[]>(text, { delimiter: ',', newline: '\r\n', skipEmptyLines: false });
  expect(parsed.errors).toEqual([]);
  const rows = parsed.data;
  // The file ends with CRLF, which papaparse reports as one empty last row.
  expect(rows.at(-1)).toEqual(['']);
  return rows.slice(0, -1);
}

async function scalar(sql: string, params: unknown[] = []): Promise<number> {
  const r = await client.query(sql, params);
  return Number(Object.values(r.rows[0] as object)[0]);
}

async function column(sql: string, params: unknown[] = []): Promise<string[]> {
  const r = await client.query(sql, params);
  return r.rows.map((row) => String(Object.values(row as object)[0]));
}

describe('littlesis-roster on a generated district', () => {
  let rows: string[][];
  let report: JobRunResult['report'];

  beforeAll(async () => {
    const r = await run(littlesisJob, littlesisDefaults({ destination: 'drop', remotePath: 'littlesis_roster.csv' }));
    report = r.report;
    const text = await readFile(join(outDir, 'littlesis_roster.csv'), 'utf8');
    expect(text.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/); // CRLF only, no bare LF inside records
    rows = parseCsv(text);
  });

  it('has as many rows as an independent count through SCHOOLSTAFF and USERS', async () => {
    const expected = await scalar(
      `SELECT COUNT(*) FROM cc, students s, terms t, schoolstaff ss, users u
       WHERE s.enroll_status = 0 AND cc.studentid = s.id AND t.id = cc.termid AND t.schoolid = s.schoolid AND t.yearid = $1
         AND ss.id = cc.teacherid AND u.dcid = ss.users_dcid AND u.email_addr IS NOT NULL AND u.email_addr <> ''`,
      [YEAR_ID],
    );
    expect(expected).toBeGreaterThan(STUDENTS);
    expect(rows.length - 1).toBe(expected);
    expect(report.counts.rows_written).toBe(expected);
  });

  it('counts the teacher-less enrollments it left out', async () => {
    const expected = await scalar(
      `SELECT COUNT(*) FROM cc
         JOIN students s ON cc.studentid = s.id AND s.enroll_status = 0
         JOIN terms t ON t.id = cc.termid AND t.schoolid = s.schoolid AND t.yearid = $1
       WHERE NOT EXISTS (SELECT 1 FROM schoolstaff ss JOIN users u ON u.dcid = ss.users_dcid
                         WHERE ss.id = cc.teacherid AND u.email_addr <> '')`,
      [YEAR_ID],
    );
    expect(expected).toBeGreaterThan(0);
    expect(report.counts.enrollments_dropped_no_teacher).toBe(expected);
  });

  it('every row has 16 fields, a positive term id, an active student and an e-mail built from the number', async () => {
    const active = new Set(await column('SELECT student_number FROM students WHERE enroll_status = 0'));
    expect(rows[0]).toHaveLength(16);
    for (const r of rows.slice(1)) {
      expect(r).toHaveLength(16);
      expect(Number(r[2])).toBeGreaterThan(0);
      expect(active.has(r[11]!)).toBe(true);
      expect(r[10]).toBe(`${r[11]}@d118.org`);
      expect(r[9]).toMatch(/@/);
      expect(r[14]).toBe('0');
      for (const i of [5, 12]) expect(r[i]).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
  });

  it('never contains a dropped enrollment (negative term id in CC)', async () => {
    const dropped = await client.query(
      `SELECT s.student_number, cc.course_number, cc.section_number, -cc.termid AS termid
       FROM cc JOIN students s ON s.id = cc.studentid WHERE cc.termid < 0 AND s.enroll_status = 0`,
    );
    expect(dropped.rows.length).toBeGreaterThan(0);
    const kept = new Set(await column(
      `SELECT s.student_number || '|' || cc.course_number || '|' || cc.section_number || '|' || cc.termid
       FROM cc JOIN students s ON s.id = cc.studentid WHERE cc.termid > 0`,
    ));
    const inFile = new Set(rows.slice(1).map((r) => `${r[11]}|${r[0]}|${r[1]}|${r[2]}`));
    for (const key of inFile) expect(kept.has(key)).toBe(true);
    for (const d of dropped.rows as Array<{ student_number: number; course_number: string; section_number: string; termid: number }>) {
      const key = `${d.student_number}|${d.course_number}|${d.section_number}|${d.termid}`;
      // The same class may be on the schedule again under a positive id; only then may it appear.
      if (inFile.has(key)) expect(kept.has(key)).toBe(true);
    }
  });

  it('is sorted by student number as an integer', () => {
    const numbers = rows.slice(1).map((r) => Number(r[11]));
    for (let i = 1; i < numbers.length; i++) expect(numbers[i]!).toBeGreaterThanOrEqual(numbers[i - 1]!);
  });
});

describe('clever-demographics on a generated district', () => {
  let lines: string[][];
  let report: JobRunResult['report'];

  beforeAll(async () => {
    const r = await run(cleverJob, cleverDefaults({ destination: 'drop', remoteDir: '.' }));
    report = r.report;
    const text = await readFile(join(outDir, 'raceethnicity.txt'), 'utf8');
    expect(text).not.toContain('\r');
    lines = text === '' ? [] : text.slice(0, -1).split('\n').map((l) => l.split('\t'));
  });

  it('never includes a test student', async () => {
    const tests = await column(
      'SELECT student_number FROM students WHERE enroll_status = 0 AND (LOWER(first_name) = ANY($1) OR LOWER(last_name) = ANY($1))',
      [DEFAULT_TEST_NAMES],
    );
    expect(tests.length).toBeGreaterThan(0);
    expect(report.counts.test_students_skipped).toBe(tests.length);
    const written = new Set(lines.map((l) => l[0]));
    for (const t of tests) expect(written.has(t)).toBe(false);
  });

  it('writes 4 fields of the allowed values, only for students whose stored values differ', async () => {
    expect(lines.length).toBeGreaterThan(0);
    const stored = new Map(
      (await client.query(
        `SELECT s.student_number, u.custom_ethnicity, u.custom_race, u.custom_lep
         FROM students s LEFT JOIN u_def_ext_students0 u ON u.studentsdcid = s.dcid WHERE s.enroll_status = 0`,
      )).rows.map((r: Record<string, string | null>) => [String(r.student_number), [r.custom_ethnicity ?? '', r.custom_race ?? '', r.custom_lep ?? '']]),
    );
    for (const l of lines) {
      expect(l).toHaveLength(4);
      expect(l[1]).toMatch(/^[YN]$/);
      expect(l[2]).toMatch(/^[IABPWM]?$/);
      expect(l[3]).toMatch(/^[YN]$/);
      expect(stored.get(l[0]!)).not.toEqual(l.slice(1));
    }
  });

  it('accounts for every active student read', async () => {
    const c = report.counts;
    expect(c.students).toBe(await scalar('SELECT COUNT(*) FROM students WHERE enroll_status = 0'));
    expect(c.changes).toBe(lines.length);
    expect(c.invalid_race_codes).toBeGreaterThan(0);
    expect(c.students_with_duplicate_lep_rows).toBeGreaterThan(0);
  });
});

describe('samegoal-demographics on a generated district', () => {
  let students: string[][];
  let guardians: string[][];
  let report: JobRunResult['report'];

  beforeAll(async () => {
    const r = await run(samegoalJob, samegoalDefaults({ destination: 'drop', uploadDir: 'upload' }));
    report = r.report;
    const epoch = join(outDir, 'upload', '20261015-030000');
    students = parseCsv(await readFile(join(epoch, 'students.csv'), 'utf8'));
    guardians = parseCsv(await readFile(join(epoch, 'guardians.csv'), 'utf8'));
    expect(await readFile(join(epoch, 'COMPLETE'), 'utf8')).toBe('');
  });

  it('writes one students.csv row per active student', async () => {
    expect(students.length - 1).toBe(await scalar('SELECT COUNT(*) FROM students WHERE enroll_status = 0'));
    expect(new Set(students.slice(1).map((r) => r[0])).size).toBe(students.length - 1);
    for (const r of students.slice(1)) expect(r[6]).toBe('ENROLLED');
  });

  it('every guardian references a student in students.csv', () => {
    const ids = new Set(students.slice(1).map((r) => r[0]));
    expect(guardians.length).toBeGreaterThan(students.length);
    for (const g of guardians.slice(1)) {
      expect(g).toHaveLength(13);
      expect(ids.has(g[0])).toBe(true);
    }
    expect(report.counts.guardians_skipped_student_not_in_file).toBe(0);
  });

  it('writes one row per active (student, person) contact link', async () => {
    const expected = await scalar(
      `SELECT COUNT(*) FROM (
         SELECT DISTINCT sca.studentdcid, sca.personid
         FROM studentcontactassoc sca
           JOIN studentcontactdetail scd ON scd.studentcontactassocid = sca.studentcontactassocid
           JOIN students s ON s.dcid = sca.studentdcid
           JOIN person p ON p.id = sca.personid
         WHERE scd.isactive = 1 AND s.enroll_status = 0) x`,
    );
    expect(guardians.length - 1).toBe(expected);
  });
});
