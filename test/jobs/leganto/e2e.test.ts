import { chown, mkdir, readFile, readdir } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NamedConnection, SmtpConnection } from '../../../src/config/config-types.js';
import { buildAlmaFixture } from '../../../src/datagen/alma-fixture.js';
import { writeCemExport } from '../../../src/datagen/cem-generator.js';
import { legantoCourses } from '../../../src/jobs/leganto-courses/descriptor.js';
import courses from '../../../src/jobs/leganto-courses/job.js';
import report from '../../../src/jobs/leganto-rollover-report/job.js';
import { RunStore } from '../../../src/runner/run-store.js';
import { executeRun } from '../../../src/runner/spawn-run.js';
import { startAlmaSandbox, type AlmaSandbox } from '../../../src/sandbox/alma-sandbox.js';
import { startHttpSink, type HttpSink } from '../../fixtures/http-sink.js';
import { startSmtpSink, type SmtpSink } from '../../fixtures/smtp-sink.js';
import { startSshd, type SshdFixture } from '../../fixtures/sshd.js';
import { newRecord, specFor, tempDirs } from '../../runner/helpers/run-fixtures.js';
import { sandboxCourses } from './alma-catalogue.js';
import { almaConnection, slackConnection, testContext } from './job-context.js';
import { coursesParams, reportParams } from './rules.js';

/**
 * End to end: the CEM export on a real OpenSSH server → the loader file on the same server (the
 * Alma drop), the report e-mail in the SMTP sink, Slack payloads at the local webhook; once
 * in-process for both jobs and once through the runner in a real run process.
 */
const KEY = 'e2e-alma-key-c0ffee';
const DATE = '2026-08-17';

let sshd: SshdFixture;
let alma: AlmaSandbox;
let smtp: SmtpSink;
let slack: HttpSink;
let dirs: Awaited<ReturnType<typeof tempDirs>>;

const smtpConnection = (port: number): NamedConnection<SmtpConnection> => ({
  name: 'smtp', type: 'smtp', host: '127.0.0.1', port, secure: false, requireTls: false, user: null, password: null, from: 'Leganto <leganto@example.edu>', timeoutMs: 5000,
});

const connections = () => ({
  'cem-sftp': sshd.sftpConnection({ name: 'cem-sftp' }),
  'alma-sftp': sshd.sftpConnection({ name: 'alma-sftp' }),
  alma: almaConnection(alma.url, KEY),
  smtp: smtpConnection(smtp.port),
  slack: slackConnection(new URL('/services/T/B/e2e', slack.url).toString()),
});

/** Give a path inside the chroot to the SFTP user, as if it had uploaded it. */
async function ownBySftpUser(path: string): Promise<void> {
  const uid = Number(execFileSync('id', ['-u', sshd.user]).toString().trim());
  const gid = Number(execFileSync('id', ['-g', sshd.user]).toString().trim());
  await chown(path, uid, gid);
}

async function sftpDir(rel: string): Promise<string> {
  const dir = join(sshd.chrootDir, 'upload', rel);
  await mkdir(dir, { recursive: true });
  await ownBySftpUser(dir);
  return dir;
}

beforeAll(async () => {
  [sshd, smtp, slack] = await Promise.all([startSshd(), startSmtpSink(), startHttpSink(() => ({ status: 200, body: 'ok' }))]);
  const fixture = buildAlmaFixture({ seed: 'leganto-e2e', rows: 300, date: DATE, years: [2025, 2026], fillerPerYear: 120 });
  alma = await startAlmaSandbox({ apiKey: KEY, courses: sandboxCourses(fixture), perSecondLimit: 25 });
  const cemDir = await sftpDir('leganto');
  await writeCemExport(join(cemDir, 'leganto_export_20260817.csv'), { seed: 'leganto-e2e', rows: 300, date: DATE, encoding: 'latin1', includeMalformed: true });
  await ownBySftpUser(join(cemDir, 'leganto_export_20260817.csv'));
  await sftpDir('course_loader');
  dirs = await tempDirs();
}, 120_000);

afterAll(async () => {
  await Promise.allSettled([sshd?.stop(), alma?.close(), smtp?.close(), slack?.close(), dirs?.cleanup()]);
});

describe('leganto end to end over SFTP', () => {
  it('in-process: CEM on sshd → loader file on sshd, Slack Push; then the report by e-mail', async () => {
    const t = await testContext({ connections: connections(), startedAt: new Date('2026-08-17T16:20:00Z') });
    try {
      await courses.run(t.ctx, coursesParams({ sourceDir: '/upload/leganto', destinationDir: '/upload/course_loader', slack: 'slack' }));
      const remote = await readFile(join(sshd.chrootDir, 'upload', 'course_loader', '20260817092000.txt'));
      expect(remote.equals(await readFile(join(t.filesDir, '20260817092000.txt')))).toBe(true);
      expect(remote.toString('utf8').split('\r\n').length - 2).toBe(t.report.counts.rows_written);
      expect(t.report.counts.rows_written).toBeGreaterThan(200);
      expect(t.report.counts.rows_rejected).toBeGreaterThan(0);
      expect(JSON.parse(slack.requests.at(-1)!.body).blocks[2].text.text).toBe('successfully transferred 20260817092000.txt');
      // No temporary or partial names are left in the Alma-polled directory.
      expect(await readdir(join(sshd.chrootDir, 'upload', 'course_loader'))).toEqual(['20260817092000.txt']);
      expect(alma.peakPerSecond()).toBeLessThanOrEqual(25);
    } finally {
      await t.cleanup();
    }

    // Each run has its own limiter; the two jobs run at different times of the morning.
    alma.resetStats();
    const r = await testContext({ connections: connections(), startedAt: new Date('2026-08-17T18:30:00Z') });
    try {
      await report.run(r.ctx, reportParams({ sourceDir: '/upload/leganto', emailTo: ['reserves@example.edu'], slack: 'slack' }));
      const mail = smtp.messages.at(-1)!;
      expect(mail.subject).toBe('Daily Potential Rollover Report');
      expect(mail.attachments[0]!.filename).toBe('rollover_20260817113000.csv');
      expect(mail.attachments[0]!.content.equals(await readFile(join(r.filesDir, 'rollover_20260817113000.csv')))).toBe(true);
      expect(mail.text.trim()).toBe(`Attached is the daily potential rollover report rollover_20260817113000.csv with ${r.report.counts.rows_written} rows`);
      expect(r.report.counts.rows_written).toBeGreaterThan(0);
      expect(JSON.parse(slack.requests.at(-1)!.body).blocks[0].elements[0].text).toBe('*Leganto Rollover Daily Report*');
      expect(alma.peakPerSecond()).toBeLessThanOrEqual(25);
    } finally {
      await r.cleanup();
    }
  });

  it('through the runner: a real run process loads the file and records counts, files and deliveries', async () => {
    const store = new RunStore(dirs.stateDir, dirs.logDir);
    const record = await newRecord(store, 'leganto-courses', 'leganto-courses');
    const conns = connections();
    const spec = specFor(record, 'unused', {
      module: legantoCourses.module.href,
      params: coursesParams({ sourceDir: '/upload/leganto', destinationDir: '/upload/course_loader' }) as unknown as Record<string, unknown>,
      connections: { 'cem-sftp': conns['cem-sftp'], 'alma-sftp': conns['alma-sftp'], alma: conns.alma },
      startedAt: '2026-08-17T16:25:00.000Z',
      zone: 'America/Phoenix',
      secrets: [KEY, conns['cem-sftp'].privateKey!],
    });
    const final = await executeRun(spec, record, { store, timeoutMs: 60_000, killGraceMs: 2_000, maxMemoryMb: 256 });
    expect(final.error).toBeNull();
    expect(final.status).toBe('succeeded');
    expect(final.files.map((f) => f.name)).toEqual(['cem_20260817.csv', '20260817092500.txt', 'rejects_20260817092500.csv']);
    expect(final.deliveries).toEqual([{ connection: 'alma-sftp', target: '/upload/course_loader/20260817092500.txt', mode: 'no-overwrite', status: 'delivered', bytes: final.files[1]!.bytes }]);
    expect(final.counts.rows_written).toBe(final.files[1]!.rows);
    const remote = await readFile(join(sshd.chrootDir, 'upload', 'course_loader', '20260817092500.txt'));
    expect(remote.equals(await readFile(final.files[1]!.path))).toBe(true);
    const log = await readFile(final.logFile, 'utf8');
    expect(log).toMatch(/DELETE .* \(line \d+\): (kept|dropped)/);
    expect(log).not.toContain(KEY);
  }, 90_000);
});
