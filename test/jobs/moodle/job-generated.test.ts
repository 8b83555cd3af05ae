import { chown, mkdir, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NamedConnection } from '../../../src/config/config-types.js';
import { loadDatasetWithCopy } from '../../../src/datagen/load-dataset.js';
import { buildMoodleFixture, sisRoster, type MoodleFixture, type MoodleFixtureParams } from '../../../src/datagen/moodle-fixture.js';
import { powerCampusDataset } from '../../../src/datagen/powercampus-generator.js';
import type { MoodleParams } from '../../../src/jobs/moodle-enrollments/descriptor.js';
import { createMoodleState, startMoodleSandbox, type MoodleSandbox, type MoodleState } from '../../../src/sandbox/moodle-sandbox.js';
import { startPostgres, type PgFixture } from '../../fixtures/postgres.js';
import { SFTP_USER, startSshd, type SshdFixture } from '../../fixtures/sshd.js';
import { runJobInProcess, type JobRunResult } from '../../helpers/job-harness.js';
import { JOB_MODULE, MOODLE_TOKEN, moodleConnection, moodleParams } from './job-setup.js';

/**
 * The job on a generated PowerCampus term and a Moodle site built to match it with known
 * perturbations (pending adds, pending drops, hub members missing, accounts without idnumber,
 * teachers, suspended enrolments). The expected file is assembled from the perturbation list —
 * the generator's account of what differs, not this job's diff.
 */

const GEN: MoodleFixtureParams = { seed: 'moodle-e2e', students: 600, year: 2027, term: 'Winter', courses: 30 };
const REMOTE = 'conduit/enrollments.csv';

let pg: PgFixture;
let sshd: SshdFixture;
let sb: MoodleSandbox;
let fixture: MoodleFixture;
let dataDir: string;
const results: JobRunResult[] = [];

function sandboxState(f: MoodleFixture): MoodleState {
  return createMoodleState({
    roles: f.roles.map((r) => ({ id: r.id, shortname: r.shortname, name: r.name, sortorder: r.id })),
    courses: f.courses.map((c) => ({ id: c.id, shortname: c.shortname, fullname: c.fullname })),
    users: f.users.map((u) => ({ id: u.id, username: u.username, firstname: u.firstname, lastname: u.lastname, email: u.email, idnumber: u.idnumber })),
    enrolments: f.enrolments.map((e) => ({ userid: e.userid, courseid: e.courseid, roleid: e.roleid, suspended: e.status === 1 })),
  });
}

beforeAll(async () => {
  [pg, sshd] = await Promise.all([startPostgres(), startSshd()]);
  await pg.createDatabase('pc');
  const c = await pg.client('pc');
  try {
    await loadDatasetWithCopy(c, powerCampusDataset(GEN));
  } finally {
    await c.end();
  }
  const uid = Number(execFileSync('id', ['-u', SFTP_USER]).toString().trim());
  const gid = Number(execFileSync('id', ['-g', SFTP_USER]).toString().trim());
  await mkdir(join(sshd.chrootDir, 'upload', 'conduit'));
  await chown(join(sshd.chrootDir, 'upload', 'conduit'), uid, gid);

  fixture = buildMoodleFixture(GEN);
  sb = await startMoodleSandbox({ token: MOODLE_TOKEN, state: sandboxState(fixture), latencyMs: 2 });
  dataDir = await mkdtemp(join(tmpdir(), 'sisrelay-moodle-gen-'));
  await mkdir(join(dataDir, 'mappings'));
  await writeFile(join(dataDir, 'mappings', 'generated.json'), JSON.stringify(fixture.mapping, null, 2));
  await writeFile(join(dataDir, 'mappings', 'generated-hubs.json'), JSON.stringify(fixture.nonAcademicMapping, null, 2));
}, 120_000);

afterAll(async () => {
  for (const r of results) await r.cleanup();
  await sb?.close();
  await Promise.all([sshd?.stop(), pg?.stop()]);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function run(over: Partial<MoodleParams> = {}): Promise<JobRunResult> {
  const connections: Record<string, NamedConnection> = {
    powercampus: pg.connection('pc', { name: 'powercampus' }),
    moodle: moodleConnection(sb, { concurrency: 6 }),
    conduit: sshd.sftpConnection({ name: 'conduit' }),
  };
  const r = await runJobInProcess({
    module: JOB_MODULE,
    params: moodleParams({
      mappings: ['generated.json'],
      hubMappings: ['generated-hubs.json'],
      remotePath: REMOTE,
      dropGuard: { maxShare: 0.2, maxCount: 500, courseMaxShare: 0.5, courseMinSize: 10 },
      ...over,
    }),
    connections,
    dataDir,
  });
  results.push(r);
  return r;
}

/** The documented order, spelled out here independently of the job's comparator. */
function expectedCsv(f: MoodleFixture): string {
  const rows: Array<[string, string, string, string]> = [
    ...f.perturbations.missingFromMoodle.map((p): [string, string, string, string] => ['add', p.shortname, p.idnumber, p.role]),
    ...f.perturbations.missingFromHubs.map((p): [string, string, string, string] => ['add', p.shortname, p.idnumber, 'student']),
    ...f.perturbations.extraInMoodle.map((p): [string, string, string, string] => ['drop', p.shortname, p.idnumber, p.role]),
  ];
  const key = (r: [string, string, string, string]): string[] => [r[3] === 'student' ? '0' : '1', r[1], r[0], r[2]];
  rows.sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i]! < kb[i]! ? -1 : 1;
    return 0;
  });
  const field = (s: string): string => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return ['action,shortname,idnumber,role', ...rows.map((r) => r.map(field).join(','))].join('\n') + '\n';
}

describe('moodle-enrollments on a generated term', () => {
  it('conduit: the file on the SFTP server is exactly the fixture\'s pending adds and drops', async () => {
    const expected = expectedCsv(fixture);
    expect(expected.split('\n').length).toBeGreaterThan(20); // the fixture really differs from the SIS
    const r = await run();
    expect(r.error).toBeUndefined();
    expect(await readFile(join(sshd.chrootDir, 'upload', REMOTE), 'utf8')).toBe(expected);
    const courses = Object.keys(fixture.mapping).length + Object.keys(fixture.nonAcademicMapping).length;
    expect(r.report.counts).toMatchObject({ courses_mapped: courses, courses_read_failed: 0, moodle_calls: courses + 1 });
    await unlink(join(sshd.chrootDir, 'upload', REMOTE));
  });

  it('webservice: afterwards every mapped course holds exactly the SIS roster, hubs every program student', async () => {
    const r = await run({ mode: 'webservice', destination: null });
    expect(r.error).toBeUndefined();
    expect(r.report.counts).toMatchObject({ failed_items: 0, drops_skipped: 0 });
    expect(r.report.counts.enrolled).toBe(r.report.counts.adds);

    const userById = new Map(sb.state.users.map((u) => [u.id, u.idnumber]));
    const moodleSet = (courseId: number, roleId: number): string[] =>
      [...new Set(sb.state.enrolments.filter((e) => e.courseid === courseId && e.roleid === roleId).map((e) => userById.get(e.userid)!).filter((id) => id !== ''))].sort();
    const sis = sisRoster(GEN);
    for (const [shortname, entry] of Object.entries(fixture.mapping)) {
      for (const [role, roleId] of [['student', 5], ['auditingstudent', 14]] as const) {
        const want = [...new Set(sis.filter((s) => entry.courses.includes(s.course) && (entry.section === undefined || s.section === entry.section) && s.role === role).map((s) => s.idnumber))].sort();
        expect(moodleSet(entry.id, roleId), `${shortname} ${role}`).toEqual(want);
      }
    }
    for (const [shortname, hub] of Object.entries(fixture.nonAcademicMapping)) {
      const missing = fixture.perturbations.missingFromHubs.filter((m) => m.shortname === shortname).map((m) => m.idnumber);
      const present = new Set(moodleSet(hub.id, 5));
      expect(missing.every((id) => present.has(id)), shortname).toBe(true);
    }

    const again = await run();
    expect(again.error).toBeUndefined();
    expect(again.report.counts).toMatchObject({ adds: 0, drops: 0 });
    expect(again.report.deliveries).toEqual([]);
  });
});
