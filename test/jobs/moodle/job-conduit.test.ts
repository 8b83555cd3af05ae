import { chown, mkdir, mkdtemp, readFile, rm, stat, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { NamedConnection } from '../../../src/config/config-types.js';
import type { MoodleParams } from '../../../src/jobs/moodle-enrollments/descriptor.js';
import { isSisrelayError } from '../../../src/errors/sisrelay-error.js';
import { POWERCAMPUS_DDL } from '../../../src/datagen/powercampus-schema.js';
import { startMoodleSandbox, type MoodleSandbox } from '../../../src/sandbox/moodle-sandbox.js';
import { startPostgres, type PgFixture } from '../../fixtures/postgres.js';
import { SFTP_USER, startSshd, type SshdFixture } from '../../fixtures/sshd.js';
import { runJobInProcess, type JobRunResult } from '../../helpers/job-harness.js';
import { EXPECTED_CSV, handmadeMoodleState, idn, loadHandmadePowerCampus, writeHandmadeMappings } from './handmade.js';
import { JOB_MODULE, MOODLE_TOKEN, moodleConnection, moodleParams } from './job-setup.js';

/**
 * The job end to end on the hand-made term: PowerCampus in a real PostgreSQL, Moodle in the
 * sandbox, Conduit's drop on a real OpenSSH SFTP server. The expected file is written by hand.
 */

const REMOTE_DIR = 'webcampus.test/conduit';
let pg: PgFixture;
let sshd: SshdFixture;
let sb: MoodleSandbox;
let dataDir: string;
let mappingFiles: { mappings: string[]; hubMappings: string[] };
const results: JobRunResult[] = [];

const remoteFile = (): string => join(sshd.chrootDir, 'upload', REMOTE_DIR, 'enrollments.csv');
const remoteExists = async (): Promise<boolean> => stat(remoteFile()).then(() => true, () => false);

beforeAll(async () => {
  [pg, sshd] = await Promise.all([startPostgres(), startSshd()]);
  await pg.createDatabase('pc');
  await pg.createDatabase('pc_empty');
  const c = await pg.client('pc');
  const e = await pg.client('pc_empty');
  try {
    await loadHandmadePowerCampus(c);
    for (const ddl of POWERCAMPUS_DDL) await e.query(ddl);
  } finally {
    await c.end();
    await e.end();
  }
  const dir = join(sshd.chrootDir, 'upload', REMOTE_DIR);
  await mkdir(dir, { recursive: true });
  const uid = Number(execFileSync('id', ['-u', SFTP_USER]).toString().trim());
  const gid = Number(execFileSync('id', ['-g', SFTP_USER]).toString().trim());
  await chown(join(sshd.chrootDir, 'upload', 'webcampus.test'), uid, gid);
  await chown(dir, uid, gid);
  sb = await startMoodleSandbox({ token: MOODLE_TOKEN, state: handmadeMoodleState() });
  dataDir = await mkdtemp(join(tmpdir(), 'sisrelay-moodle-data-'));
  mappingFiles = await writeHandmadeMappings(dataDir);
}, 60_000);

afterAll(async () => {
  for (const r of results) await r.cleanup();
  await sb?.close();
  await Promise.all([sshd?.stop(), pg?.stop()]);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

beforeEach(async () => {
  Object.assign(sb.state, handmadeMoodleState());
  sb.clearFaults();
  sb.resetStats();
  await unlink(remoteFile()).catch(() => undefined);
});

function connections(db = 'pc'): Record<string, NamedConnection> {
  return {
    powercampus: pg.connection(db, { name: 'powercampus' }),
    moodle: moodleConnection(sb),
    conduit: sshd.sftpConnection({ name: 'conduit' }),
  };
}

async function run(over: Partial<MoodleParams> = {}, opts: { db?: string; force?: boolean; dryRun?: boolean; conns?: Record<string, NamedConnection> } = {}): Promise<JobRunResult> {
  const r = await runJobInProcess({
    module: JOB_MODULE,
    params: moodleParams({ ...mappingFiles, ...over }),
    connections: opts.conns ?? connections(opts.db),
    dataDir,
    force: opts.force ?? false,
    dryRun: opts.dryRun ?? false,
  });
  results.push(r);
  return r;
}

function code(r: JobRunResult): string | undefined {
  return isSisrelayError(r.error) ? r.error.code : r.error === undefined ? undefined : String(r.error);
}

describe('moodle-enrollments, conduit mode, end to end', () => {
  it('delivers the hand-written enrollments.csv to Conduit over SFTP, with a 0600 local audit copy', async () => {
    const r = await run();
    expect(r.error).toBeUndefined();
    expect(await readFile(remoteFile(), 'utf8')).toBe(EXPECTED_CSV);
    const local = r.report.files[0]!;
    expect(local.name).toBe('enrollments.csv');
    expect(await readFile(local.path, 'utf8')).toBe(EXPECTED_CSV);
    expect((await stat(local.path)).mode & 0o777).toBe(0o600);
    expect(r.report.deliveries).toEqual([
      { connection: 'conduit', target: `${REMOTE_DIR}/enrollments.csv`, mode: 'no-overwrite', status: 'delivered', bytes: Buffer.byteLength(EXPECTED_CSV) },
    ]);
    expect(r.report.counts).toEqual({
      courses_mapped: 4,
      sis_rows: 8,
      courses_read_failed: 0,
      adds: 5,
      drops: 5,
      rows_written: 10,
      // core_webservice_get_site_info once, then one core_enrol_get_enrolled_users per course.
      moodle_calls: 5,
    });
    expect(sb.calls).toEqual({ core_webservice_get_site_info: 1, core_enrol_get_enrolled_users: 4 });
    // The token travels only in POST bodies and never reaches the run's log.
    expect(sb.requestLog.every((q) => q.method === 'POST' && q.tokenLocation === 'body' && !q.tokenInUrl)).toBe(true);
    expect(r.logs.join('\n')).not.toContain(MOODLE_TOKEN);
  });

  it('a second cycle while Conduit has not consumed the file skips delivery and succeeds with a note', async () => {
    expect((await run()).error).toBeUndefined();
    const before = await readFile(remoteFile());
    sb.state.enrolments = sb.state.enrolments.filter((e) => e.userid !== 1101); // a change Conduit would see next time
    const r = await run();
    expect(r.error).toBeUndefined();
    expect(r.report.deliveries).toEqual([
      { connection: 'conduit', target: `${REMOTE_DIR}/enrollments.csv`, mode: 'no-overwrite', status: 'skipped-exists', bytes: 0, note: 'delivery skipped: previous enrollments.csv not yet consumed by Conduit' },
    ]);
    expect(r.report.notes).toContain('delivery skipped: previous enrollments.csv not yet consumed by Conduit');
    expect((await readFile(remoteFile())).equals(before)).toBe(true);
  });

  it('an empty SIS pull delivers nothing and raises GUARD_EMPTY_SOURCE', async () => {
    const r = await run({}, { db: 'pc_empty' });
    expect(code(r)).toBe('GUARD_EMPTY_SOURCE');
    expect((r.error as Error).message).toContain('PowerCampus returned no enrollment rows for ACADEMIC_YEAR "2027", ACADEMIC_TERM "Winter"');
    expect(await remoteExists()).toBe(false);
    expect(r.report.deliveries).toEqual([{ connection: 'conduit', target: `${REMOTE_DIR}/enrollments.csv`, mode: 'no-overwrite', status: 'held', note: 'GUARD_EMPTY_SOURCE' }]);
  });

  it('a wrong term delivers nothing and raises GUARD_EMPTY_SOURCE; --force lets it through', async () => {
    const r = await run({ academicTerm: 'Spring' });
    expect(code(r)).toBe('GUARD_EMPTY_SOURCE');
    expect(await remoteExists()).toBe(false);

    const forced = await run({ academicTerm: 'Spring' }, { force: true });
    expect(forced.error).toBeUndefined();
    expect(forced.report.notes[0]).toMatch(/^guard GUARD_EMPTY_SOURCE overridden by --force: PowerCampus returned no enrollment rows/);
    // Everyone in the academic courses is dropped; hub courses are add-only and the hub pull is empty too.
    const text = await readFile(remoteFile(), 'utf8');
    expect(text.split('\n').filter((l) => l.startsWith('drop,')).length).toBe(8);
    expect(text).not.toContain('add,');
  });

  it('drops past the limits hold the cycle with GUARD_DROP_LIMIT naming site and numbers; the local copy is kept for review', async () => {
    const r = await run({ dropGuard: { maxShare: 0.2, maxCount: 500, courseMaxShare: 0.5, courseMinSize: 10 } });
    expect(code(r)).toBe('GUARD_DROP_LIMIT');
    expect((r.error as Error).message).toBe('delivery held: site: 5 drops of 8 current enrollments (62.5%) exceed dropGuard.maxShare 20%');
    expect(await remoteExists()).toBe(false);
    expect(r.report.files).toHaveLength(1);
    expect(r.report.deliveries[0]!.status).toBe('held');

    const small = await run({ dropGuard: { maxShare: 1, maxCount: 500, courseMaxShare: 0.5, courseMinSize: 3 } });
    expect((small.error as Error).message).toContain('course: "BIO101-01" (id 201) 3 of 5 (60%)');

    const forced = await run({ dropGuard: { maxShare: 0.2, maxCount: 4, courseMaxShare: 0.5, courseMinSize: 10 } }, { force: true });
    expect(forced.error).toBeUndefined();
    expect(await readFile(remoteFile(), 'utf8')).toBe(EXPECTED_CSV);
    expect(forced.report.notes[0]).toContain('guard GUARD_DROP_LIMIT overridden by --force: site: 5 drops exceed dropGuard.maxCount 4');
  });

  it('a course whose Moodle read fails is left out and reported; the rest is delivered', async () => {
    sb.injectFault({ kind: 'exception', wsfunction: 'core_enrol_get_enrolled_users', courseid: 202, exception: { exception: 'dml_read_exception', errorcode: 'dmlreadexception', message: 'Error reading from database' } });
    const r = await run();
    expect(r.error).toBeUndefined();
    const expected = EXPECTED_CSV.split('\n').filter((l) => !l.includes('BIO101-02')).join('\n');
    expect(await readFile(remoteFile(), 'utf8')).toBe(expected);
    expect(r.report.counts.courses_read_failed).toBe(1);
    expect(r.report.notes).toContain('Moodle read failed for 1 of 4 courses (ids 202); they are left out of this cycle');
    expect(r.logs.some((l) => l.startsWith('warn Moodle course read failed') && l.includes('courseId=202'))).toBe(true);
  });

  it('every course read failing fails the run (transient when the failures were)', async () => {
    sb.injectFault({ kind: 'exception', wsfunction: 'core_enrol_get_enrolled_users' });
    const r = await run();
    expect(code(r)).toBe('MOODLE_EXCEPTION');
    expect(isSisrelayError(r.error) && r.error.transient).toBe(true);
    expect(await remoteExists()).toBe(false);
  });

  it('a bad token fails once at site info (invalidtoken), before any course is read', async () => {
    const conns = { ...connections(), moodle: moodleConnection(sb, { token: 'wrong-token-0123456789abcdef' }) };
    const r = await run({}, { conns });
    expect(code(r)).toBe('MOODLE_EXCEPTION');
    expect(isSisrelayError(r.error) && r.error.details).toMatchObject({ errorcode: 'invalidtoken', wsfunction: 'core_webservice_get_site_info' });
    expect(sb.calls).toEqual({ core_webservice_get_site_info: 1 });
    expect(r.report.counts.moodle_calls).toBe(1);
  });

  it('webservice mode with a token whose service lacks a needed function fails before any read, naming it', async () => {
    const limited = await startMoodleSandbox({
      token: MOODLE_TOKEN,
      state: handmadeMoodleState(),
      serviceFunctions: ['core_webservice_get_site_info', 'core_enrol_get_enrolled_users', 'enrol_manual_enrol_users', 'enrol_manual_unenrol_users'],
    });
    try {
      const r = await run({ mode: 'webservice', destination: null }, { conns: { ...connections(), moodle: moodleConnection(limited) } });
      expect(code(r)).toBe('MOODLE_EXCEPTION');
      expect((r.error as Error).message).toContain('may not call core_user_get_users_by_field: add it to the external service of the token');
      expect(limited.calls).toEqual({ core_webservice_get_site_info: 1 });
    } finally {
      await limited.close();
    }
  });

  it('a dry run writes the local file and delivers nothing', async () => {
    const r = await run({}, { dryRun: true });
    expect(r.error).toBeUndefined();
    expect(await readFile(r.report.files[0]!.path, 'utf8')).toBe(EXPECTED_CSV);
    expect(await remoteExists()).toBe(false);
    expect(r.report.deliveries).toEqual([{ connection: 'conduit', target: `${REMOTE_DIR}/enrollments.csv`, mode: 'no-overwrite', status: 'dry-run' }]);
  });
});

describe('moodle-enrollments, webservice mode, end to end', () => {
  it('enrols and unenrols until Moodle matches PowerCampus; the next conduit cycle finds nothing to change', async () => {
    const r = await run({ mode: 'webservice', destination: null });
    expect(r.error).toBeUndefined();
    expect(r.report.counts).toMatchObject({ enrolled: 5, unenrolled: 5, failed_items: 0, drops_skipped: 0, adds: 5, drops: 5 });
    // 114 held auditingstudent only; PowerCampus says student: unenrolled, then enrolled as student.
    const in201 = sb.state.enrolments.filter((e) => e.courseid === 201).map((e) => `${e.userid}:${e.roleid}`).sort();
    expect(in201).toEqual(['1101:5', '1114:5', '1118:5', '1119:5', '1120:5', '900:3', '901:5']);
    expect(r.report.items.filter((i) => i.status !== 'ok')).toEqual([]);
    expect(r.report.items.find((i) => i.item === `BIO101-01 ${idn(114)}` && i.action.startsWith('unenrol'))).toBeDefined();

    const again = await run();
    expect(again.error).toBeUndefined();
    expect(again.report.counts).toMatchObject({ adds: 0, drops: 0, rows_written: 0 });
    expect(again.report.files).toEqual([]);
    expect(again.report.deliveries).toEqual([]);
    expect(again.report.notes).toEqual(['nothing to change: Moodle matches PowerCampus in the 4 courses read; nothing delivered']);
    expect(await remoteExists()).toBe(false);
  });
});
