import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCemExport } from '../../src/datagen/cem-generator.js';
import type { RunRecord } from '../../src/runner/run-record.js';
import { checkRecords, readRuns, scanDestinations, sha256 } from './harness/audit.js';
import { ensureDist } from './harness/dist.js';
import { DaemonProcess, sisrelay, sleep, startCli, waitUntil, type CliResult } from './harness/processes.js';
import { filesUnder, scanForSecrets } from './harness/secrets.js';
import { CONN, job, startWorld, writeConfig, type World } from './harness/world.js';

/**
 * The whole system as an admin runs it: `sisrelay start` as its own process on a config that
 * points at real PostgreSQL, OpenSSH, the PowerCampus TDS endpoint (bridged to PostgreSQL), SMTP,
 * Slack and the Moodle/Alma sandboxes. Every job fires from its cron schedule at the next minute
 * (`M H * * *` in UTC); one schedule is moved by editing the file and sending SIGHUP, a broken
 * edit is rejected while the old schedule keeps firing. Then every CLI command, broken input
 * data, and a search of everything produced for the secrets.
 */

let world: World;
let dir: string;
let config: string;
let stateDir: string;
let logDir: string;
let daemon: DaemonProcess | null = null;
const cli: CliResult[] = [];

const JOBS = ['littlesis-roster', 'clever-demographics', 'samegoal-demographics', 'moodle-enrollments', 'leganto-courses', 'leganto-rollover-report'] as const;
const ADMIN = 'integration-admin@district.test';

const cron = (at: number): string => {
  const d = new Date(at);
  return `${d.getUTCMinutes()} ${d.getUTCHours()} * * *`;
};

function jobsFor(schedules: Record<string, string>): Record<string, unknown> {
  const ps = { source: CONN.powerschool };
  return {
    'littlesis-roster': job('littlesis-roster', { ...ps, destination: CONN.sftp, remotePath: 'littlesis/littlesis_roster.csv' }, { schedule: schedules['littlesis-roster'] }),
    'clever-demographics': job('clever-demographics', { ...ps, destination: CONN.sftp, remoteDir: 'clever' }, { schedule: schedules['clever-demographics'] }),
    'samegoal-demographics': job('samegoal-demographics', { ...ps, destination: CONN.sftp, uploadDir: '/upload/samegoal' }, { schedule: schedules['samegoal-demographics'] }),
    'moodle-enrollments': job('moodle-enrollments', {
      source: CONN.powercampus, moodle: CONN.moodle, destination: CONN.sftp, remotePath: 'conduit/enrollments.csv',
      mappings: ['acc-academic.json'], hubMappings: ['acc-hubs.json'], academicYear: world.pcTerm.year, academicTerm: world.pcTerm.term,
    }, { schedule: schedules['moodle-enrollments'] }),
    'leganto-courses': job('leganto-courses', {
      source: CONN.sftp, sourceDir: '/upload/leganto', destination: CONN.sftp, destinationDir: '/upload/course_loader', alma: CONN.alma, slack: CONN.slack,
    }, { schedule: schedules['leganto-courses'] }),
    'leganto-rollover-report': job('leganto-rollover-report', {
      source: CONN.sftp, sourceDir: '/upload/leganto', alma: CONN.alma, email: CONN.smtp, emailTo: ['reserves@university.test'], slack: CONN.slack,
    }, { schedule: schedules['leganto-rollover-report'], alerts: { onSuccess: true, email: true, slack: true } }),
    // Its drop directory does not exist: every run fails, and the failure is alerted.
    'littlesis-no-dir': job('littlesis-roster', { ...ps, destination: CONN.sftp, remotePath: 'no-such-dir/littlesis_roster.csv' }, {
      schedule: schedules['littlesis-no-dir'], alerts: { email: true, slack: true },
    }),
    // Manual only: the broken-data runs (`sisrelay run`), on their own inputs and drops.
    'leganto-bad-data': job('leganto-courses', { source: CONN.sftp, sourceDir: '/upload/leganto-bad', destination: CONN.sftp, destinationDir: '/upload/course_loader_bad', alma: CONN.alma }),
    'littlesis-1252': job('littlesis-roster', { ...ps, destination: CONN.sftp, remotePath: 'littlesis-1252/littlesis_roster.csv', encoding: 'windows-1252' }),
    'moodle-bad-data': job('moodle-enrollments', {
      source: CONN.powercampus, moodle: CONN.moodle, destination: CONN.sftp, remotePath: 'conduit-bad/enrollments.csv',
      mappings: ['acc-academic.json'], hubMappings: ['acc-hubs.json'], academicYear: world.pcTerm.year, academicTerm: world.pcTerm.term,
      dropGuard: { maxShare: 1, maxCount: 100_000, courseMaxShare: 1, courseMinSize: 10 },
    }),
  };
}

async function writeJobs(schedules: Record<string, string>, extraJobs: Record<string, unknown> = {}): Promise<void> {
  config = await writeConfig(world, dir, {
    daemon: {
      maxConcurrentRuns: 4,
      notifications: { emailConnection: CONN.smtp, emailTo: [ADMIN], slackConnection: CONN.slack },
    },
    jobs: { ...jobsFor(schedules), ...extraJobs },
  });
}

async function run(args: string[], timeoutMs = 120_000): Promise<CliResult> {
  const withConfig = args[0] === 'config-reference' ? args : [...args, '--config', config];
  const r = await startCli(withConfig, { env: world.env, transcript: world.transcript, timeoutMs }).done;
  cli.push(r);
  return r;
}

function recordsOf(jobName: string): RunRecord[] {
  return readRuns(stateDir).flatMap((r) => (r.job === jobName && r.record ? [r.record] : []));
}

function finalRecordFor(jobName: string, slot: number): RunRecord | undefined {
  return recordsOf(jobName).find((r) => r.slot === new Date(slot).toISOString() && r.status !== 'running');
}

beforeAll(async () => {
  await ensureDist();
  world = await startWorld();
  dir = join(world.root, 'system');
  stateDir = join(dir, 'state');
  logDir = join(dir, 'log');
  await Promise.all(['littlesis', 'clever', 'samegoal', 'conduit', 'conduit-bad', 'course_loader', 'course_loader_bad', 'littlesis-1252'].map((d) => world.sftpDir(d)));
  await world.writeCem('leganto');
}, 240_000);

afterAll(async () => {
  if (daemon?.running()) await daemon.kill9();
  await world?.stop();
});

describe('the daemon, as a separate process, on real servers', () => {
  let m1 = 0;
  let m2 = 0;

  it('fires every job from its schedule; a SIGHUP edit moves a schedule, a broken edit is rejected and the old one keeps firing', async () => {
    // The next minute boundary at least 25 s away: time to start and reload before it.
    const now = Date.now();
    const boundary = Math.ceil((now + 1) / 60_000) * 60_000;
    m1 = boundary - now >= 25_000 ? boundary : boundary + 60_000;
    m2 = m1 + 60_000;
    const at1 = cron(m1);
    const gen1 = {
      'littlesis-roster': at1, 'clever-demographics': '* * * * *', 'samegoal-demographics': at1, 'moodle-enrollments': at1,
      'leganto-courses': at1, 'leganto-rollover-report': at1, 'littlesis-no-dir': at1,
    };
    await writeJobs(gen1);
    daemon = await DaemonProcess.start(config, { env: world.env, transcript: world.transcript, label: 'sisrelay start (system)' });
    // The per-job lines follow "ready"; the last job's line ends the start-up report.
    await daemon.waitFor(/job=littlesis-no-dir scheduled /, 10_000);
    const out0 = daemon.out();
    expect(out0).toContain(`job=littlesis-roster scheduled schedule="${at1}" zone=UTC next=${new Date(m1).toISOString()}`);
    expect(out0).toContain(`job=clever-demographics scheduled schedule="* * * * *" zone=UTC next=`);
    expect(out0).toMatch(/ info {2}ready scheduled=7 jobs=10/);

    // Edit: littlesis-roster moves one minute later; SIGHUP applies it without a restart.
    await writeJobs({ ...gen1, 'littlesis-roster': cron(m2) });
    let from = daemon.offset;
    daemon.signal('SIGHUP');
    const reloaded = await daemon.waitFor(/reloaded \(SIGHUP\)/, 15_000, from);
    expect(reloaded).toMatch(/generation=2 added=- removed=- changed=littlesis-roster/);
    expect(Date.now()).toBeLessThan(m1 - 2_000);

    // Meanwhile, every CLI command against the live daemon's config.
    await exerciseCliBeforeFirstSlot(m2);

    // m1: every job but littlesis-roster fires.
    const firing = ['clever-demographics', 'samegoal-demographics', 'moodle-enrollments', 'leganto-courses', 'leganto-rollover-report', 'littlesis-no-dir'];
    await waitUntil(() => firing.every((j) => finalRecordFor(j, m1) !== undefined), Math.max(0, m1 - Date.now()) + 150_000, 'the m1 runs to finish', 250);
    expect(recordsOf('littlesis-roster')).toEqual([]);

    // A broken edit: a bad cron for samegoal, plus a valid-looking change that would stop clever.
    await writeJobs({ ...gen1, 'littlesis-roster': cron(m2), 'clever-demographics': '0 0 1 1 *', 'samegoal-demographics': '61 * * * *' });
    from = daemon.offset;
    daemon.signal('SIGHUP');
    await daemon.waitFor(/reload rejected \(SIGHUP\): keeping generation 2/, 15_000, from);
    await daemon.waitFor(/jobs\.samegoal-demographics\.schedule: minute: expected minutes 0-59 .*found "61"/, 5_000, from);
    expect(Date.now()).toBeLessThan(m2);

    // m2: littlesis-roster fires on its new schedule, clever on the schedule the broken edit could not replace.
    await waitUntil(() => finalRecordFor('littlesis-roster', m2) !== undefined && finalRecordFor('clever-demographics', m2) !== undefined, Math.max(0, m2 - Date.now()) + 120_000, 'the m2 runs', 250);
    expect(recordsOf('samegoal-demographics').filter((r) => r.slot === new Date(m2).toISOString())).toEqual([]);

    from = daemon.offset;
    const exit = await daemon.stop();
    expect(exit).toEqual({ code: 0, signal: null });
    expect(daemon.out().slice(from)).toMatch(/ info {2}stopped\n?$/);
    // The admin fixes the file; the commands below read it.
    await writeJobs({ ...gen1, 'littlesis-roster': cron(m2) });
  }, 330_000);

  it('records every scheduled run truthfully, with the delivered files, run logs, daemon log and alerts to match', async () => {
    const slot1 = new Date(m1).toISOString();
    const slot2 = new Date(m2).toISOString();
    const runs = readRuns(stateDir);
    const problems = checkRecords(runs);
    expect(problems).toEqual({ missing: [], untruthful: [] });

    const scheduled = runs.flatMap((r) => (r.record?.trigger === 'schedule' ? [r.record] : []));
    for (const j of ['clever-demographics', 'samegoal-demographics', 'moodle-enrollments', 'leganto-courses', 'leganto-rollover-report']) {
      const r = finalRecordFor(j, m1)!;
      expect(r, j).toBeDefined();
      expect({ job: j, status: r.status, error: r.error }).toEqual({ job: j, status: 'succeeded', error: null });
      expect(r.exit).toEqual({ code: 0, signal: null });
    }
    const ls = finalRecordFor('littlesis-roster', m2)!;
    expect(ls.status).toBe('succeeded');
    expect(scheduled.filter((r) => r.job === 'littlesis-roster').map((r) => r.slot)).toEqual([slot2]);
    // Skipped only if the m1 run was still going at m2 (overlap: skip); either way the slot fired.
    expect(['succeeded', 'skipped']).toContain(finalRecordFor('clever-demographics', m2)!.status);
    const noDir = finalRecordFor('littlesis-no-dir', m1)!;
    expect(noDir.status).toBe('failed');
    expect(noDir.error?.code).toBe('TRANSFER_NO_SUCH_PATH');
    expect(noDir.deliveries).toEqual([expect.objectContaining({ status: 'failed', target: 'no-such-dir/littlesis_roster.csv' })]);

    // Delivered bytes are the bytes each run recorded.
    const up = world.upload;
    const fileOf = (r: RunRecord, name: string) => r.files.find((f) => f.name === name)!;
    expect(sha256(readFileSync(join(up, 'littlesis', 'littlesis_roster.csv')))).toBe(fileOf(ls, 'littlesis_roster.csv').sha256);
    const cleverLatest = recordsOf('clever-demographics').filter((r) => r.status === 'succeeded').sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0]!;
    expect(sha256(readFileSync(join(up, 'clever', 'raceethnicity.txt')))).toBe(fileOf(cleverLatest, 'raceethnicity.txt').sha256);
    const sg = finalRecordFor('samegoal-demographics', m1)!;
    const epoch = sg.deliveries[0]!.target;
    expect(sg.deliveries).toEqual([expect.objectContaining({ mode: 'epoch', status: 'delivered' })]);
    expect(readdirSync(join(world.sshd.chrootDir, epoch)).sort()).toEqual(['COMPLETE', 'guardians.csv', 'students.csv']);
    for (const name of ['students.csv', 'guardians.csv']) expect(sha256(readFileSync(join(world.sshd.chrootDir, epoch, name)))).toBe(fileOf(sg, name).sha256);
    const md = finalRecordFor('moodle-enrollments', m1)!;
    expect(md.counts.adds! + md.counts.drops!).toBeGreaterThan(0);
    expect(sha256(readFileSync(join(up, 'conduit', 'enrollments.csv')))).toBe(fileOf(md, 'enrollments.csv').sha256);
    const lg = finalRecordFor('leganto-courses', m1)!;
    const loader = lg.files.find((f) => /^\d{14}\.txt$/.test(f.name))!;
    expect(sha256(readFileSync(join(up, 'course_loader', loader.name)))).toBe(loader.sha256);
    const rb = finalRecordFor('leganto-rollover-report', m1)!;
    const report = rb.files.find((f) => f.name.startsWith('rollover_'))!;
    const reportMail = world.smtp.messages.find((m) => m.to.includes('reserves@university.test'))!;
    expect(reportMail.attachments[0]!.content.equals(readFileSync(report.path))).toBe(true);

    const dest = scanDestinations([{
      label: 'sshd', root: up, ignore: (rel) => rel.startsWith('leganto'),
      owners: { samegoal: ['samegoal-demographics'], course_loader: ['leganto-courses'], course_loader_bad: ['leganto-bad-data'] },
    }], runs);
    expect({ partial: dest.partialFinals, temps: dest.tempLeftovers, duplicates: dest.duplicateDeliveries, unattributed: dest.unattributed }).toEqual({ partial: [], temps: [], duplicates: [], unattributed: [] });

    // Logs: one daemon log for all jobs, a run log per run, a stable <job>.log link to the latest.
    const daemonLog = readFileSync(join(logDir, 'sisrelay.log'), 'utf8');
    for (const r of scheduled) {
      expect(daemonLog).toMatch(new RegExp(`job=${r.job} run=${r.runId} run started attempt=1 trigger=schedule`));
      const runLog = readFileSync(r.logFile, 'utf8');
      expect(runLog).toMatch(new RegExp(`runner finished status=${r.status}`));
    }
    expect(daemonLog).toMatch(/reloaded \(SIGHUP\) generation=2/);
    expect(daemonLog).toMatch(/reload rejected \(SIGHUP\): keeping generation 2/);
    // Every stdout (journald) line is in sisrelay.log too. Each transport stamps its own copy, so
    // the milliseconds may differ: compare what follows the timestamp.
    const fileLines = new Set(daemonLog.trim().split('\n').map((l) => l.slice(25)));
    for (const line of daemon!.out().trim().split('\n')) expect(fileLines.has(line.slice(25)), line).toBe(true);
    const latestLs = resolve(logDir, readlinkSync(join(logDir, 'littlesis-roster.log')));
    expect(latestLs).toBe(ls.logFile);
    // The journal never carries student data: no student numbers, only counts and ids.
    // (Column 12 of the LittleSIS file is the student number.)
    const roster = Papa.parse<string[]>(readFileSync(join(up, 'littlesis', 'littlesis_roster.csv'), 'utf8'), { newline: '\r\n', skipEmptyLines: true }).data.slice(1);
    const studentNumbers = [...new Set(roster.map((f) => f[11]!))].filter((sn) => /^\d{4,}$/.test(sn)).slice(0, 40);
    expect(studentNumbers.length).toBeGreaterThan(5);
    for (const sn of studentNumbers) expect(daemonLog).not.toMatch(new RegExp(`\\b${sn}\\b`));

    // Alerts: the failure to the admin by e-mail and Slack; the report job's success too.
    const failMail = world.smtp.messages.filter((m) => m.to.includes(ADMIN) && /littlesis-no-dir/.test(m.subject));
    expect(failMail.length).toBeGreaterThanOrEqual(1);
    expect(failMail[0]!.subject).toMatch(/^\[sisrelay\] littlesis-no-dir FAILED on .*: TRANSFER_NO_SUCH_PATH$/);
    expect(failMail[0]!.text).toContain(noDir.runId);
    const successMail = world.smtp.messages.filter((m) => m.to.includes(ADMIN) && /^\[sisrelay\] leganto-rollover-report succeeded/.test(m.subject));
    expect(successMail.length).toBeGreaterThanOrEqual(1);
    const slackBodies = world.slack.requests.map((r) => r.body);
    expect(slackBodies.some((b) => b.includes('littlesis-no-dir') && b.includes('TRANSFER_NO_SUCH_PATH'))).toBe(true);
    expect(slackBodies.some((b) => b.includes('leganto-rollover-report succeeded'))).toBe(true);
    // Jobs whose alerts are off (the default in these configs) sent none.
    expect(world.smtp.messages.filter((m) => m.to.includes(ADMIN) && /\] (clever|samegoal|moodle)/.test(m.subject))).toEqual([]);
  });

  it('answers every CLI command from the records the daemon wrote', async () => {
    const status = await run(['status', '--json']);
    expect(status.code).toBe(0);
    const st = JSON.parse(status.out) as { daemon: { running: boolean }; jobs: Array<{ job: string; last: { status: string } | null }> };
    expect(st.daemon.running).toBe(false);
    expect(st.jobs.find((j) => j.job === 'littlesis-no-dir')!.last!.status).toBe('failed');
    expect(st.jobs.find((j) => j.job === 'leganto-courses')!.last!.status).toBe('succeeded');

    const history = await run(['history', 'clever-demographics', '--json']);
    expect(history.code).toBe(0);
    const hist = JSON.parse(history.out) as RunRecord[];
    expect(hist.map((r) => r.slot)).toEqual(expect.arrayContaining([new Date(m1).toISOString(), new Date(m2).toISOString()]));
    const table = await run(['history', 'littlesis-no-dir']);
    expect(table.out).toMatch(/schedule +failed .*TRANSFER_NO_SUCH_PATH/);

    const latest = hist[0]!;
    const logs = await run(['logs', 'clever-demographics']);
    expect(logs.code).toBe(0);
    expect(logs.out.trimEnd()).toBe(readFileSync(latest.logFile, 'utf8').trimEnd());
    const one = await run(['logs', 'clever-demographics', '--run', hist.at(-1)!.runId]);
    expect(one.out).toContain(`runId=${hist.at(-1)!.runId}`);

    // logs -f follows until interrupted.
    const follow = startCli(['logs', 'leganto-courses', '-f', '--config', config], { env: world.env, transcript: world.transcript });
    await waitUntil(() => /runner finished/.test(follow.out()), 20_000, 'logs -f to print the latest run');
    follow.child.kill('SIGINT');
    const followed = await follow.done;
    cli.push(followed);
    expect(followed.code).toBe(0);

    // A manual dry run: same isolation and record, nothing delivered.
    const before = readdirSync(join(world.upload, 'course_loader')).sort();
    await sleep(1100); // a new second: a new loader name
    const dry = await run(['run', 'leganto-courses', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.out).toMatch(/delivery: dry-run no-overwrite sftp:\/upload\/course_loader\/\d{14}\.txt/);
    expect(readdirSync(join(world.upload, 'course_loader')).sort()).toEqual(before);
    const dryRecord = recordsOf('leganto-courses').find((r) => r.trigger === 'manual')!;
    expect(dryRecord).toMatchObject({ status: 'succeeded', dryRun: true });
  });

  it('reports broken input data without losing the rest of the run', async () => {
    // CEM: a line with too many fields, one with too few, one without status and SLN (NULLs).
    const base = join(world.root, 'cem-base.csv');
    await writeCemExport(base, { seed: 'acceptance-bad-cem', rows: 80, date: world.today, encoding: 'latin1', includeMalformed: false });
    const lines = (await readFile(base, 'latin1')).split('\n');
    const header = lines[0]!.split(',');
    const sample = lines[10]!;
    const fields = sample.split(',');
    const blank = (names: string[]): string => fields.map((v, i) => (names.includes(header[i]!) ? '' : v)).join(',');
    lines.splice(5 - 1, 0, `${sample},EXTRA,FIELDS`);
    lines.splice(20 - 1, 0, fields.slice(0, 6).join(','));
    lines.splice(40 - 1, 0, blank(['COURSE_STATUS', 'SLN', 'MYASU_COURSE_IDSTRING']));
    await world.sftpDir('leganto-bad');
    await world.placeSftpFile(`leganto-bad/leganto_export_${world.today.replaceAll('-', '')}.csv`, Buffer.from(lines.join('\n'), 'latin1'));
    const lg = await run(['run', 'leganto-bad-data']);
    expect(lg.code, lg.out + lg.err).toBe(0);
    const lgRec = recordsOf('leganto-bad-data')[0]!;
    const rejects = lgRec.files.find((f) => f.name.startsWith('rejects_'))!;
    const rejectLines = readFileSync(rejects.path, 'utf8').split('\r\n');
    for (const n of [5, 20, 40]) expect(rejectLines.some((l) => l.startsWith(`${n},`)), `line ${n} in the rejects report:\n${rejectLines.join('\n')}`).toBe(true);
    expect(lgRec.counts.rows_rejected).toBeGreaterThanOrEqual(3);
    expect(lgRec.counts.rows_written).toBeGreaterThan(40);
    const loader = lgRec.files.find((f) => /^\d{14}\.txt$/.test(f.name))!;
    expect(readFileSync(join(world.upload, 'course_loader_bad', loader.name)).equals(readFileSync(loader.path))).toBe(true);

    // PowerSchool: a room name windows-1252 cannot encode. Every affected student is named; the
    // rest of the roster is extracted.
    const delivered = Papa.parse<string[]>(readFileSync(join(world.upload, 'littlesis', 'littlesis_roster.csv'), 'utf8'), { newline: '\r\n', skipEmptyLines: true }).data.slice(1);
    const [course, section, termid, school] = delivered[0]!;
    const victims = [...new Set(delivered.filter((f) => f[0] === course && f[1] === section && f[2] === termid && f[3] === school).map((f) => f[11]!))];
    expect(victims.length).toBeGreaterThan(0);
    const ps = await world.pg.client('powerschool');
    try {
      const r = await ps.query(`UPDATE sections SET room = 'Ŵ-12' WHERE course_number = $1 AND section_number = $2 AND termid = $3 AND schoolid = $4`, [course, section, Number(termid), Number(school)]);
      expect(r.rowCount).toBeGreaterThan(0);
    } finally {
      await ps.end();
    }
    const enc = await run(['run', 'littlesis-1252', '--no-retries']);
    expect(enc.code).toBe(1);
    const encRec = recordsOf('littlesis-1252')[0]!;
    expect(encRec.error?.code).toBe('DATA_ENCODING');
    expect(encRec.error!.message).toContain(`student ${victims[0]}`);
    const encLog = readFileSync(encRec.logFile, 'utf8');
    for (const v of victims) expect(encLog).toMatch(new RegExp(`student ${v}: \\S+ holds ".+" \\(U\\+[0-9A-F]{4,}\\), which windows-1252 cannot encode`));
    expect(encLog).toMatch(/: \S*ROOM holds "Ŵ" \(U\+0174\)/);
    // One log line per rejected row (the section's room is on every row of it), and together the
    // written and the rejected rows are exactly the roster the daemon delivered before the edit.
    // (The generated district already has course names such as "ế" besides the room set here.)
    const logged = encLog.match(/student \d+: \S+ holds ".+" \(U\+[0-9A-F]{4,}\), which windows-1252 cannot encode/g) ?? [];
    expect(encRec.counts.rows_rejected_encoding).toBe(logged.length);
    expect(encRec.counts.rows_rejected_encoding).toBeGreaterThanOrEqual(victims.length);
    expect(encRec.counts.rows_written! + encRec.counts.rows_rejected_encoding!).toBe(delivered.length);
    const local = encRec.files.find((f) => f.name === 'littlesis_roster.csv')!;
    expect(local.rows).toBe(encRec.counts.rows_written);
    expect(local.rows!).toBeGreaterThan(100);
    expect(readFileSync(local.path).length).toBe(local.bytes);
    // By policy nothing is delivered when a value cannot be encoded (no character is ever dropped).
    expect(encRec.deliveries).toEqual([]);
    expect(readdirSync(join(world.upload, 'littlesis-1252'))).toEqual([]);

    // Clever: race codes that are not numbers are reported per student; the others are delivered.
    const clever = finalRecordFor('clever-demographics', m1)!;
    expect(clever.counts.invalid_race_codes).toBeGreaterThan(0);
    expect(clever.notes).toContain(`${clever.counts.invalid_race_codes} students left out: race code not a number (see the run log)`);
    expect((readFileSync(clever.logFile, 'utf8').match(/student \d+: race code .* is not a number; student left out/g) ?? []).length).toBe(clever.counts.invalid_race_codes);
    expect(clever.counts.rows_written).toBeGreaterThan(0);

    // PowerCampus: registrations whose PEOPLE row is missing (NULL idnumber) are skipped and counted.
    const pc = await world.pg.client('powercampus');
    let removed: number;
    try {
      const r = await pc.query(`DELETE FROM people WHERE people_code_id IN (
        SELECT td.people_code_id FROM transcriptdetail td WHERE td.academic_year = $1 AND td.academic_term = $2 AND td.add_drop_wait = 'A' ORDER BY 1 LIMIT 3)`, [world.pcTerm.year, world.pcTerm.term]);
      removed = r.rowCount ?? 0;
    } finally {
      await pc.end();
    }
    expect(removed).toBeGreaterThan(0);
    const md = await run(['run', 'moodle-bad-data']);
    expect(md.code, md.out + md.err).toBe(0);
    const mdRec = recordsOf('moodle-bad-data')[0]!;
    expect(readFileSync(mdRec.logFile, 'utf8')).toMatch(/PowerCampus registrations without a PEOPLE row were skipped rows=[1-9]/);
    expect(mdRec.counts.rows_written).toBeGreaterThan(0);
    expect(readFileSync(join(world.upload, 'conduit-bad', 'enrollments.csv')).equals(readFileSync(mdRec.files[0]!.path))).toBe(true);
  }, 180_000);

  it('puts no secret in any log, record, CLI output, generated file, e-mail or webhook body', () => {
    const files = filesUnder(world.root, world.upload).filter((f) => !f.endsWith('/sftp-client-key'));
    const texts = [
      ...world.transcript.entries,
      ...world.smtp.messages.map((m, i) => ({ what: `e-mail ${i} (${m.subject})`, text: `${m.subject}\n${m.text}\n${m.attachments.map((x) => x.content.toString('latin1')).join('\n')}` })),
      ...world.slack.requests.map((r) => ({ what: `slack request ${r.index}`, text: r.body })),
    ];
    const scan = scanForSecrets(world.secretValues, files, texts);
    console.log(`acceptance system secret scan: ${scan.filesScanned} files, ${scan.textsScanned} texts, ${Math.round(scan.bytesScanned / 1024)} KiB`);
    // Every command ran, and the daemon's own output is in the transcript.
    const commands = new Set(world.transcript.entries.map((e) => e.what.split(' ')[1]));
    for (const c of ['start', 'run', 'validate', 'jobs', 'next', 'status', 'history', 'logs', 'check', 'config-reference']) expect(commands.has(c), c).toBe(true);
    expect(scan.filesScanned).toBeGreaterThan(50);
    expect(scan.leaks).toEqual([]);
  });
});

/** jobs, next, status, validate, check (every job), config-reference: while the daemon runs. */
async function exerciseCliBeforeFirstSlot(m2: number): Promise<void> {
  const v = await run(['validate']);
  expect(v.code).toBe(0);
  expect(v.out).toMatch(/config OK: .*\n {2}10 jobs \(7 scheduled\), 1[0-9] connections/);

  const jobs = await run(['jobs', '--json']);
  const listed = JSON.parse(jobs.out) as Array<{ job: string; next: string | null }>;
  // The edited file is what `jobs` reads: the moved schedule.
  expect(listed.find((j) => j.job === 'littlesis-roster')!.next).toBe(new Date(m2).toISOString());
  expect(listed.find((j) => j.job === 'leganto-bad-data')!.next).toBeNull();

  const next = await run(['next', 'clever-demographics', '3']);
  expect(next.code).toBe(0);
  expect(next.out.trim().split('\n')).toHaveLength(3);

  const status = await run(['status']);
  expect(status.out).toMatch(new RegExp(`^daemon: running \\(pid ${daemon!.pid}\\), config `));

  const ref = await run(['config-reference']);
  expect(ref.out).toMatch(/^### `daemon`/);

  // check: every connection of every job answers (login, host key, token), nothing is run.
  const checks = await Promise.all(JOBS.map((j) => run(['check', j])));
  for (const [i, c] of checks.entries()) {
    expect(c.code, `${JOBS[i]}: ${c.out}${c.err}`).toBe(0);
    expect(c.out).toMatch(new RegExp(`all \\d connections of ${JOBS[i]} work`));
  }
  expect(checks[3]!.out).toMatch(/ok {4}powercampus \(mssql\): logged in/);
  expect(checks[0]!.out).toMatch(/ok {4}sftp \(sftp\): host key verified, logged in/);
}

