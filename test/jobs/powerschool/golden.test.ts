/**
 * Golden tests: the three PowerSchool jobs run end to end against a real PostgreSQL holding the
 * hand-made district (golden/district.sql) and deliver to a real OpenSSH server; the delivered
 * bytes are compared with the expected files in golden/, written by hand from the reference rules.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NamedConnection } from '../../../src/config/config-types.js';
import type { SisrelayError } from '../../../src/errors/sisrelay-error.js';
import cleverJob from '../../../src/jobs/clever-demographics/job.js';
import littlesisJob from '../../../src/jobs/littlesis-roster/job.js';
import samegoalJob from '../../../src/jobs/samegoal-demographics/job.js';
import { startPostgres, type PgFixture } from '../../fixtures/postgres.js';
import { placeUpload, startSshd, type SshdFixture } from '../../fixtures/sshd.js';
import { runJobInProcess } from '../../helpers/job-harness.js';
import {
  GOLDEN_INSTANT, GOLDEN_ZONE, cleverDefaults, golden, littlesisDefaults, loadGoldenDistrict, makeUploadDir, samegoalDefaults, uploadPath,
} from './helpers.js';

let pg: PgFixture;
let sshd: SshdFixture;

beforeAll(async () => {
  [pg, sshd] = await Promise.all([startPostgres(), startSshd()]);
  await Promise.all([
    loadGoldenDistrict(pg, 'golden'),
    // windows-1252 success: the one course name the code page cannot hold is renamed.
    loadGoldenDistrict(pg, 'golden_cp1252', ["UPDATE courses SET course_name = 'Vietnamese' WHERE course_number = 'VIET1'"]),
    // Every custom field already holds what Clever computes: no changes.
    loadGoldenDistrict(pg, 'golden_synced', [
      "UPDATE u_def_ext_students0 SET custom_race = 'P' WHERE studentsdcid = 8502",
      "UPDATE u_def_ext_students0 SET custom_ethnicity = 'Y' WHERE studentsdcid = 8507",
      "UPDATE u_def_ext_students0 SET custom_race = NULL, custom_lep = 'Y' WHERE studentsdcid = 8512",
      "INSERT INTO u_def_ext_students0 (studentsdcid, custom_ethnicity, custom_race, custom_lep) VALUES (8503, 'N', 'A', 'Y')",
    ]),
    loadGoldenDistrict(pg, 'empty', [], false),
  ]);
  await makeUploadDir(sshd, 'sftp/clever');
});

afterAll(async () => {
  await Promise.all([pg?.stop(), sshd?.stop()]);
});

const conns = (db: string, sftpName: string, sftpOver: Record<string, unknown> = {}): Record<string, NamedConnection> => ({
  powerschool: pg.connection(db, { name: 'powerschool' }),
  [sftpName]: sshd.sftpConnection({ name: sftpName, ...sftpOver }),
});

const base = { startedAt: GOLDEN_INSTANT, zone: GOLDEN_ZONE };

async function remoteNames(rel: string): Promise<string[]> {
  return (await readdir(uploadPath(sshd, rel))).sort();
}

describe('littlesis-roster golden', () => {
  it('delivers the hand-written roster byte for byte and reports stable counts', async () => {
    await makeUploadDir(sshd, 'ls-golden');
    const r = await runJobInProcess({
      ...base,
      module: littlesisJob,
      params: littlesisDefaults({ remotePath: 'ls-golden/littlesis_roster.csv' }),
      connections: conns('golden', 'littlesis-sftp'),
    });
    expect(r.error).toBeUndefined();
    const delivered = await readFile(uploadPath(sshd, 'ls-golden/littlesis_roster.csv'));
    expect(delivered.toString('utf8')).toBe((await golden('littlesis_roster.csv')).toString('utf8'));
    expect(delivered.equals(await golden('littlesis_roster.csv'))).toBe(true);
    expect(await remoteNames('ls-golden')).toEqual(['littlesis_roster.csv']);
    expect(r.report.counts).toMatchObject({
      students: 10,
      rows_written: 12,
      enrollments_dropped_no_teacher: 3,
      students_with_rows: 7,
      term_year: 36,
      queries: 3,
    });
    expect(r.report.deliveries).toEqual([
      { connection: 'littlesis-sftp', target: 'ls-golden/littlesis_roster.csv', mode: 'replace', status: 'delivered', bytes: delivered.length },
    ]);
    expect(r.report.files).toHaveLength(1);
    expect((await stat(r.report.files[0]!.path)).mode & 0o777).toBe(0o600);
    expect(r.logs.join('\n')).toContain('current term year 36');
    await r.cleanup();
  });

  it('in the summer gap uploads nothing, warns, and succeeds with a "nothing to send" note', async () => {
    await makeUploadDir(sshd, 'ls-summer');
    await placeUpload(sshd, 'ls-summer/littlesis_roster.csv', 'last spring\r\n');
    const r = await runJobInProcess({
      startedAt: new Date('2027-07-05T08:00:00Z'),
      zone: GOLDEN_ZONE,
      module: littlesisJob,
      params: littlesisDefaults({ remotePath: 'ls-summer/littlesis_roster.csv' }),
      connections: conns('golden', 'littlesis-sftp'),
    });
    expect(r.error).toBeUndefined();
    expect(r.report.deliveries).toEqual([]);
    expect(r.report.files).toEqual([]);
    expect(r.report.notes).toHaveLength(1);
    expect(r.report.notes[0]).toMatch(/^nothing to send: no current term year: none of the 3 full-year terms of school 5 runs at 2027-07-05T03:00:00 America\/Chicago/);
    expect(r.entries.filter((e) => e.level === 'warn').map((e) => e.message).join('\n')).toMatch(/nothing uploaded/);
    expect(r.report.counts.students).toBeUndefined();
    expect(await readFile(uploadPath(sshd, 'ls-summer/littlesis_roster.csv'), 'utf8')).toBe('last spring\r\n');
    await r.cleanup();
  });

  it('windows-1252 fails the run naming student, column and character, and delivers nothing', async () => {
    await makeUploadDir(sshd, 'ls-cp1252-fail');
    const r = await runJobInProcess({
      ...base,
      module: littlesisJob,
      params: littlesisDefaults({ remotePath: 'ls-cp1252-fail/littlesis_roster.csv', encoding: 'windows-1252' }),
      connections: conns('golden', 'littlesis-sftp'),
    });
    const err = r.error as SisrelayError;
    expect(err.code).toBe('DATA_ENCODING');
    expect(err.message).toContain('student 9001 COURSES.COURSE_NAME "ế" (U+1EBF)');
    expect(err.message).toMatch(/1 rows hold characters windows-1252 cannot encode/);
    expect(r.report.counts.rows_rejected_encoding).toBe(1);
    expect(r.logs.join('\n')).toContain('student 9001: COURSES.COURSE_NAME holds "ế" (U+1EBF)');
    expect(r.report.deliveries).toEqual([]);
    expect(await remoteNames('ls-cp1252-fail')).toEqual([]);
    await r.cleanup();
  });

  it('windows-1252 writes single-byte accents when every value fits the code page', async () => {
    await makeUploadDir(sshd, 'ls-cp1252');
    const r = await runJobInProcess({
      ...base,
      module: littlesisJob,
      params: littlesisDefaults({ remotePath: 'ls-cp1252/littlesis_roster.csv', encoding: 'windows-1252' }),
      connections: conns('golden_cp1252', 'littlesis-sftp'),
    });
    expect(r.error).toBeUndefined();
    const expected = iconv.encode((await golden('littlesis_roster.csv')).toString('utf8').replace('Tiếng Việt', 'Vietnamese'), 'windows-1252');
    const delivered = await readFile(uploadPath(sshd, 'ls-cp1252/littlesis_roster.csv'));
    expect(delivered.equals(expected)).toBe(true);
    // "Français I" and "Café": ç = 0xE7, é = 0xE9, one byte each.
    expect(delivered.includes(Buffer.from([0x46, 0x72, 0x61, 0x6e, 0xe7, 0x61, 0x69, 0x73]))).toBe(true);
    expect(delivered.includes(Buffer.from([0x43, 0x61, 0x66, 0xe9]))).toBe(true);
    await r.cleanup();
  });

  it('holds the delivery when rows fell by more than the allowed share, and delivers when forced', async () => {
    await makeUploadDir(sshd, 'ls-guard');
    await placeUpload(sshd, 'ls-guard/littlesis_roster.csv', 'yesterday\r\n');
    const previous = { runId: 'prev-1', finishedAt: '2026-10-14T08:01:00Z', counts: { students: 11, rows_written: 30 } };
    const params = littlesisDefaults({ remotePath: 'ls-guard/littlesis_roster.csv' });
    const held = await runJobInProcess({ ...base, module: littlesisJob, params, previous, connections: conns('golden', 'littlesis-sftp') });
    const err = held.error as SisrelayError;
    expect(err.code).toBe('GUARD_EXTRACT_DROP');
    expect(err.message).toContain('rows_written: 12 now against 30 at the last successful run (a drop of 60%, allowed drop 50%)');
    expect(err.message).toContain('prev-1');
    expect(err.message).not.toContain('students:');
    expect(held.report.deliveries).toEqual([]);
    expect(await readFile(uploadPath(sshd, 'ls-guard/littlesis_roster.csv'), 'utf8')).toBe('yesterday\r\n');
    await held.cleanup();

    const forced = await runJobInProcess({ ...base, module: littlesisJob, params, previous, force: true, connections: conns('golden', 'littlesis-sftp') });
    expect(forced.error).toBeUndefined();
    expect(forced.report.notes.some((n) => n.startsWith('extract guard overridden (forced run): rows_written: 12 now against 30'))).toBe(true);
    expect((await readFile(uploadPath(sshd, 'ls-guard/littlesis_roster.csv'))).equals(await golden('littlesis_roster.csv'))).toBe(true);
    await forced.cleanup();
  });

  it('dry run writes the file locally, records a dry-run delivery and leaves the server alone', async () => {
    await makeUploadDir(sshd, 'ls-dry');
    const r = await runJobInProcess({
      ...base,
      dryRun: true,
      module: littlesisJob,
      params: littlesisDefaults({ remotePath: 'ls-dry/littlesis_roster.csv' }),
      connections: conns('golden', 'littlesis-sftp'),
    });
    expect(r.error).toBeUndefined();
    expect((await readFile(join(r.filesDir, 'littlesis_roster.csv'))).equals(await golden('littlesis_roster.csv'))).toBe(true);
    expect(r.report.deliveries).toEqual([
      expect.objectContaining({ connection: 'littlesis-sftp', target: 'ls-dry/littlesis_roster.csv', status: 'dry-run' }),
    ]);
    expect(await remoteNames('ls-dry')).toEqual([]);
    await r.cleanup();
  });
});

describe('clever-demographics golden', () => {
  it('delivers only changed, non-test students into sftp/clever and logs each change per field', async () => {
    const r = await runJobInProcess({ ...base, module: cleverJob, params: cleverDefaults(), connections: conns('golden', 'd118-sftp') });
    expect(r.error).toBeUndefined();
    const delivered = await readFile(uploadPath(sshd, 'sftp/clever/raceethnicity.txt'));
    expect(delivered.equals(await golden('raceethnicity.txt'))).toBe(true);
    expect(r.report.counts).toMatchObject({
      students: 10,
      test_students_skipped: 3,
      invalid_race_codes: 1,
      changes: 4,
      rows_written: 4,
      students_with_duplicate_lep_rows: 1,
      queries: 1,
    });
    const info = r.entries.filter((e) => e.level === 'info').map((e) => e.message);
    expect(info).toEqual(expect.arrayContaining([
      'student 10002: race "I" -> "P"',
      'student 9001: ethnicity "" -> "N"',
      'student 9001: race "" -> "A"',
      'student 9001: lep "" -> "Y"',
      'student 10007: ethnicity "N" -> "Y"',
      'student 10012: race "W" -> ""',
      'student 10012: lep "N" -> "Y"',
    ]));
    expect(info.filter((m) => /^student \d+: /.test(m))).toHaveLength(7);
    expect(r.logs.join('\n')).toContain('student 10011: race code "n/a" is not a number');
    expect(r.report.deliveries).toEqual([
      { connection: 'd118-sftp', target: 'sftp/clever/raceethnicity.txt', mode: 'replace', status: 'delivered', bytes: delivered.length },
    ]);
    await r.cleanup();
  });

  it('delivers an empty file when nothing changed (AutoComm expects the file)', async () => {
    await makeUploadDir(sshd, 'clever-synced');
    await placeUpload(sshd, 'clever-synced/raceethnicity.txt', '10002\tN\tP\tN\n');
    const r = await runJobInProcess({
      ...base,
      module: cleverJob,
      params: cleverDefaults({ remoteDir: 'clever-synced' }),
      connections: conns('golden_synced', 'd118-sftp'),
      previous: { runId: 'p', finishedAt: '2026-10-14T08:00:00Z', counts: { students: 10, changes: 4 } },
    });
    expect(r.error).toBeUndefined();
    expect(r.report.counts).toMatchObject({ students: 10, changes: 0 });
    expect((await readFile(uploadPath(sshd, 'clever-synced/raceethnicity.txt'))).length).toBe(0);
    expect(r.report.deliveries[0]).toMatchObject({ status: 'delivered', bytes: 0 });
    await r.cleanup();
  });

  it('holds the delivery with GUARD_EMPTY_SOURCE when no active student is read but the last run had some', async () => {
    await makeUploadDir(sshd, 'clever-empty');
    const r = await runJobInProcess({
      ...base,
      module: cleverJob,
      params: cleverDefaults({ remoteDir: 'clever-empty' }),
      connections: conns('empty', 'd118-sftp'),
      previous: { runId: 'p', finishedAt: '2026-10-14T08:00:00Z', counts: { students: 10, changes: 4 } },
    });
    expect((r.error as SisrelayError).code).toBe('GUARD_EMPTY_SOURCE');
    expect((r.error as SisrelayError).message).toContain('students: 0 now against 10');
    expect(await remoteNames('clever-empty')).toEqual([]);
    await r.cleanup();
  });
});

describe('samegoal-demographics golden', () => {
  it('creates a new epoch with students.csv, guardians.csv and an empty COMPLETE', async () => {
    await makeUploadDir(sshd, 'sg');
    const r = await runJobInProcess({
      ...base,
      module: samegoalJob,
      params: samegoalDefaults({ uploadDir: '/upload/sg' }),
      connections: conns('golden', 'samegoal-sftp'),
    });
    expect(r.error).toBeUndefined();
    expect(await remoteNames('sg')).toEqual(['20261015-030000']);
    expect(await remoteNames('sg/20261015-030000')).toEqual(['COMPLETE', 'guardians.csv', 'students.csv']);
    const epoch = (n: string) => readFile(uploadPath(sshd, `sg/20261015-030000/${n}`));
    expect((await epoch('students.csv')).toString('utf8')).toBe((await golden('students.csv')).toString('utf8'));
    expect((await epoch('guardians.csv')).toString('utf8')).toBe((await golden('guardians.csv')).toString('utf8'));
    expect((await epoch('students.csv')).equals(await golden('students.csv'))).toBe(true);
    expect((await epoch('guardians.csv')).equals(await golden('guardians.csv'))).toBe(true);
    expect((await epoch('COMPLETE')).length).toBe(0);
    expect(r.report.counts).toMatchObject({
      students: 10,
      guardians: 8,
      rows_written: 18,
      guardian_duplicates_skipped: 1,
      guardians_skipped_student_not_in_file: 0,
      queries: 2,
    });
    expect(r.report.deliveries).toEqual([
      expect.objectContaining({ connection: 'samegoal-sftp', target: '/upload/sg/20261015-030000', mode: 'epoch', status: 'delivered' }),
    ]);
    await r.cleanup();
  });

  it('dry run writes both files locally and creates no epoch', async () => {
    await makeUploadDir(sshd, 'sg-dry');
    const r = await runJobInProcess({
      ...base,
      dryRun: true,
      module: samegoalJob,
      params: samegoalDefaults({ uploadDir: '/upload/sg-dry' }),
      connections: conns('golden', 'samegoal-sftp'),
    });
    expect(r.error).toBeUndefined();
    expect((await readFile(join(r.filesDir, 'students.csv'))).equals(await golden('students.csv'))).toBe(true);
    expect((await readFile(join(r.filesDir, 'guardians.csv'))).equals(await golden('guardians.csv'))).toBe(true);
    expect(r.report.deliveries).toEqual([
      expect.objectContaining({ target: '/upload/sg-dry/20261015-030000', mode: 'epoch', status: 'dry-run' }),
    ]);
    expect(await remoteNames('sg-dry')).toEqual([]);
    await r.cleanup();
  });

  it('a failure before COMPLETE leaves no COMPLETE and is reported', async () => {
    // The epoch name is taken already (a run in the same second): putEpoch must refuse it.
    await makeUploadDir(sshd, 'sg-taken/20261015-030000');
    await placeUpload(sshd, 'sg-taken/20261015-030000/students.csv', 'older\r\n');
    const r = await runJobInProcess({
      ...base,
      module: samegoalJob,
      params: samegoalDefaults({ uploadDir: '/upload/sg-taken' }),
      connections: conns('golden', 'samegoal-sftp'),
    });
    expect((r.error as SisrelayError).code).toBe('TRANSFER_TARGET_EXISTS');
    expect(r.report.deliveries).toEqual([
      expect.objectContaining({ target: '/upload/sg-taken/20261015-030000', mode: 'epoch', status: 'failed', note: expect.stringMatching(/^no COMPLETE written: TRANSFER_TARGET_EXISTS/) }),
    ]);
    expect(await remoteNames('sg-taken/20261015-030000')).toEqual(['students.csv']);
    expect(await readFile(uploadPath(sshd, 'sg-taken/20261015-030000/students.csv'), 'utf8')).toBe('older\r\n');
    await r.cleanup();
  });

  it('auto mode replaces students_auto.csv and guardians_auto.csv in the upload directory; status -1 maps to PRE_ENROLLED', async () => {
    await makeUploadDir(sshd, 'sg-auto');
    const r = await runJobInProcess({
      ...base,
      module: samegoalJob,
      params: samegoalDefaults({ uploadDir: 'sg-auto', mode: 'auto', enrollStatuses: ['0', '-1'] }),
      connections: conns('golden', 'samegoal-sftp'),
    });
    expect(r.error).toBeUndefined();
    expect(await remoteNames('sg-auto')).toEqual(['guardians_auto.csv', 'students_auto.csv']);
    const students = await readFile(uploadPath(sshd, 'sg-auto/students_auto.csv'), 'utf8');
    const expectedLines = (await golden('students.csv')).toString('utf8').split('\r\n');
    // 10008 (pre-enrolled) sorts between 10007 and 10009.
    const i = expectedLines.findIndex((l) => l.startsWith('10009,'));
    expectedLines.splice(i, 0, '10008,Enrolled,,Pre,2012-02-02,F,PRE_ENROLLED,9,3 Maple Dr,Volo,IL,60073,,,,,900000008,Central High School,1,508');
    expect(students).toBe(expectedLines.join('\r\n'));
    expect(await readFile(uploadPath(sshd, 'sg-auto/guardians_auto.csv'), 'utf8')).toBe((await golden('guardians.csv')).toString('utf8'));
    expect(r.report.deliveries.map((d) => [d.target, d.mode, d.status])).toEqual([
      ['sg-auto/students_auto.csv', 'replace', 'delivered'],
      ['sg-auto/guardians_auto.csv', 'replace', 'delivered'],
    ]);
    await r.cleanup();
  });
});

describe('one run in a real run process (executeRun)', () => {
  it('runs littlesis-roster through the runner and delivers the golden bytes', async () => {
    const { RunStore } = await import('../../../src/runner/run-store.js');
    const { executeRun } = await import('../../../src/runner/spawn-run.js');
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { littlesisRoster } = await import('../../../src/jobs/littlesis-roster/descriptor.js');
    const root = await mkdtemp(join(tmpdir(), 'sisrelay-ps-e2e-'));
    try {
      await makeUploadDir(sshd, 'ls-e2e');
      const store = new RunStore(join(root, 'state'), join(root, 'log'));
      const record = await store.create({ job: 'littlesis', type: 'littlesis-roster', trigger: 'manual', slot: null });
      const connections = conns('golden', 'littlesis-sftp');
      const final = await executeRun(
        {
          runId: record.runId,
          job: record.job,
          type: record.type,
          module: littlesisRoster.module.href,
          params: littlesisDefaults({ remotePath: 'ls-e2e/littlesis_roster.csv' }) as unknown as Record<string, unknown>,
          connections,
          trigger: 'manual',
          slot: null,
          attempt: 1,
          startedAt: GOLDEN_INSTANT.toISOString(),
          zone: GOLDEN_ZONE,
          dryRun: false,
          force: false,
          runDir: record.runDir,
          filesDir: join(record.runDir, 'files'),
          dataDir: root,
          logLevel: 'info',
          previous: null,
          secrets: [pg.password, sshd.clientKey],
        },
        record,
        { store, timeoutMs: 60_000, killGraceMs: 2000, maxMemoryMb: 256 },
      );
      expect(final.error).toBeNull();
      expect(final.status).toBe('succeeded');
      expect(final.counts).toMatchObject({ students: 10, rows_written: 12, enrollments_dropped_no_teacher: 3 });
      expect(final.deliveries).toEqual([expect.objectContaining({ status: 'delivered', target: 'ls-e2e/littlesis_roster.csv' })]);
      expect((await readFile(uploadPath(sshd, 'ls-e2e/littlesis_roster.csv'))).equals(await golden('littlesis_roster.csv'))).toBe(true);
      const log = await readFile(final.logFile, 'utf8');
      expect(log).not.toContain(pg.password);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
