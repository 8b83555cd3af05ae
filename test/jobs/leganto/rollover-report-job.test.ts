import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import Papa from 'papaparse';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { NamedConnection, SmtpConnection } from '../../../src/config/config-types.js';
import { buildAlmaFixture, type AlmaFixture } from '../../../src/datagen/alma-fixture.js';
import { writeCemExport } from '../../../src/datagen/cem-generator.js';
import { startAlmaSandbox, type AlmaSandbox } from '../../../src/sandbox/alma-sandbox.js';
import job from '../../../src/jobs/leganto-rollover-report/job.js';
import { startHttpSink, type HttpSink } from '../../fixtures/http-sink.js';
import { startSmtpSink, type SmtpSink } from '../../fixtures/smtp-sink.js';
import { caught } from '../../files/test-log.js';
import { sandboxCourses } from './alma-catalogue.js';
import { almaConnection, localConnections, slackConnection, testContext, type TestContext } from './job-context.js';
import { reportParams } from './rules.js';

/**
 * The rollover report in-process: generated CEM export + a consistent Alma catalogue. The expected
 * rollover rows are computed here from the CSV and the catalogue by the rule as stated (first
 * approved row of each code; copy course = the one course of the copy year with that section, else
 * the one whose searchable IDs hold it; it must have reading lists), not by the job's code.
 */
const KEY = 'report-alma-key-3b2e';
const STARTED = new Date('2026-08-17T18:30:00Z'); // 11:30 in Phoenix
const FILE = 'rollover_20260817113000.csv';

let alma: AlmaSandbox;
let fixture: AlmaFixture;
let smtp: SmtpSink;
let slack: HttpSink;
let src: string;
let t: TestContext;

const smtpConnection = (port: number): NamedConnection<SmtpConnection> => ({
  name: 'smtp',
  type: 'smtp',
  host: '127.0.0.1',
  port,
  secure: false,
  requireTls: false,
  user: null,
  password: null,
  from: 'Leganto <leganto@example.edu>',
  timeoutMs: 5000,
});

beforeAll(async () => {
  src = await mkdtemp(join(tmpdir(), 'sisrelay-report-'));
  await mkdir(join(src, 'leganto'));
  await writeCemExport(join(src, 'leganto', 'leganto_export_20260817.csv'), { seed: 'leganto-report', rows: 400, date: '2026-08-17', encoding: 'latin1' });
  fixture = buildAlmaFixture({ seed: 'leganto-report', rows: 400, date: '2026-08-17', years: [2025, 2026], fillerPerYear: 250 });
  alma = await startAlmaSandbox({ apiKey: KEY, courses: sandboxCourses(fixture), perSecondLimit: 0 });
  smtp = await startSmtpSink();
  slack = await startHttpSink(() => ({ status: 200, body: 'ok' }));
}, 60_000);

afterAll(async () => {
  await alma.close();
  await smtp.close();
  await slack.close();
  await rm(src, { recursive: true, force: true });
});

afterEach(async () => {
  await t.cleanup();
  smtp.messages.length = 0;
  slack.reset();
  alma.resetStats();
});

async function run(params: Record<string, unknown> = {}, opts: { dryRun?: boolean; smtpPort?: number; source?: string } = {}) {
  t = await testContext({
    connections: { ...localConnections(opts.source ?? src), alma: almaConnection(alma.url, KEY, { ratePerSecond: 0 }), smtp: smtpConnection(opts.smtpPort ?? smtp.port), slack: slackConnection(new URL('/services/T/B/report', slack.url).toString()) },
    startedAt: STARTED,
    dryRun: opts.dryRun ?? false,
  });
  await job.run(t.ctx, reportParams({ emailTo: ['reserves@example.edu', 'lead@example.edu'], slack: 'slack', ...params }));
}

async function expectedRollovers(): Promise<Array<[string, string, string]>> {
  const text = iconv.decode(await readFile(join(src, 'leganto', 'leganto_export_20260817.csv')), 'latin1');
  const rows = Papa.parse<Record<string, string>>(text.trimEnd(), { header: true }).data;
  const firstApproved = new Map<string, Record<string, string>>();
  for (const r of rows) {
    const usable = r.COURSE_STATUS !== 'REQUESTED' && r.TERM !== '' && r.SLN !== '';
    if (usable && r.COURSE_STATUS !== 'DENIED' && r.COURSE_STATUS !== 'SUSPENDED' && !firstApproved.has(r.MYASU_COURSE_IDSTRING!)) firstApproved.set(r.MYASU_COURSE_IDSTRING!, r);
  }
  const out: Array<[string, string, string]> = [];
  for (const [code, r] of firstApproved) {
    const sln = r.COPY_COURSE_SLN!.replace(/,/g, '');
    if (!/^\d+$/.test(sln) || Number(sln) === 0) continue;
    const ofYear = fixture.courses.filter((c) => c.year === r.COPY_COURSE_SEMESTER_YEAR);
    const bySection = ofYear.filter((c) => c.section === sln);
    const hits = bySection.length > 0 ? bySection : ofYear.filter((c) => c.searchable_id.includes(sln));
    if (hits.length === 1 && hits[0]!.reading_lists > 0) out.push([code, hits[0]!.code, sln]);
  }
  return out;
}

describe('leganto-rollover-report', () => {
  it('writes the candidates whose copy course has reading lists, e-mails the file and posts the summary', async () => {
    await run();
    const expected = await expectedRollovers();
    expect(expected.length).toBeGreaterThan(5);
    const local = await readFile(join(t.filesDir, FILE));
    const lines = local.toString('utf8').split('\r\n').slice(0, -1);
    expect(lines[0]!.split('\t')).toHaveLength(34);
    const rows = lines.slice(1).map((l) => l.split('\t'));
    expect(rows.map((f) => [f[0], f[29], f[30]])).toEqual(expected);
    expect(rows.every((f) => f.length === 34 && f[28] === 'ROLLOVER')).toBe(true);

    expect(smtp.messages).toHaveLength(1);
    const mail = smtp.messages[0]!;
    expect(mail.subject).toBe('Daily Potential Rollover Report');
    expect(mail.envelope.to).toEqual(['reserves@example.edu', 'lead@example.edu']);
    expect(mail.text.trim()).toBe(`Attached is the daily potential rollover report ${FILE} with ${expected.length} rows`);
    expect(mail.attachments).toHaveLength(1);
    expect(mail.attachments[0]!.filename).toBe(FILE);
    expect(mail.attachments[0]!.content.equals(local)).toBe(true);

    expect(slack.requests).toHaveLength(1);
    const body = JSON.parse(slack.requests[0]!.body) as { blocks: Array<{ elements?: Array<{ text: string }>; text?: { text: string } }> };
    expect(body.blocks[0]!.elements![0]!.text).toBe('*Leganto Rollover Daily Report*');
    expect(body.blocks[2]!.text!.text).toBe(`Rollover report ${FILE} sent with ${expected.length} rows.`);

    expect(t.report.counts.rows_written).toBe(expected.length);
    expect(t.report.deliveries.map((d) => [d.mode, d.status])).toEqual([
      ['email', 'delivered'],
      ['slack', 'delivered'],
    ]);
  });

  it('spends calls only on list pages, searches and reading lists of matched copy courses', async () => {
    await run();
    const c = t.report.counts;
    expect(c.alma_calls).toBe(alma.totalCalls());
    expect(c.alma_calls).toBe(c.alma_list_pages! + c.alma_searches! + c.reading_list_checks!);
    expect(c.reading_list_checks).toBeLessThanOrEqual(c.copy_courses_found!);
    // DELETE rows are never looked up by the report.
    expect(alma.requestLog.some((r) => new URLSearchParams(r.query).get('q')?.startsWith('code~'))).toBe(false);
    expect(alma.requestLog.filter((r) => r.route === 'GET /courses').every((r) => new URLSearchParams(r.query).get('exact_search') === 'true')).toBe(true);
  });

  it('never (search only) and always (year lists) give the same report', async () => {
    await run({ courseCache: 'never' });
    const searched = await readFile(join(t.filesDir, FILE));
    await t.cleanup();
    smtp.messages.length = 0;
    await run({ courseCache: 'always' });
    expect((await readFile(join(t.filesDir, FILE))).equals(searched)).toBe(true);
    expect(t.report.counts.alma_searches).toBe(0);
  });

  it('places online courses through the Tempe college table (Hayden colleges → FLETCHER)', async () => {
    await run({ courseCache: 'always' });
    const rows = (await readFile(join(t.filesDir, FILE), 'utf8')).split('\r\n').slice(1, -1).map((l) => l.split('\t'));
    const text = iconv.decode(await readFile(join(src, 'leganto', 'leganto_export_20260817.csv')), 'latin1');
    const cemByCode = new Map<string, Record<string, string>>();
    for (const r of Papa.parse<Record<string, string>>(text.trimEnd(), { header: true }).data) if (!cemByCode.has(r.MYASU_COURSE_IDSTRING!)) cemByCode.set(r.MYASU_COURSE_IDSTRING!, r);
    const hayden = ['AS', 'BA', 'CS', 'FI', 'GC', 'HO', 'LA', 'LS', 'PP', 'PR', 'SU', 'TB', 'TE', 'UC', 'GF'];
    const online = rows.filter((f) => ['ASUONLI', 'ICOURSE'].includes(cemByCode.get(f[0]!)!.CAMPUS!));
    expect(online.length).toBeGreaterThan(0);
    expect(online.every((f) => f[4] !== 'ASU_ONLINE')).toBe(true);
    const plainHayden = online.filter((f) => hayden.includes(f[3]!) && !/^(MDC|MHL|MSC|MSI|MTC|MUE|MUP|MUS|SDO)/.test(cemByCode.get(f[0]!)!.COURSE_ID!) && !f[0]!.startsWith('DEV'));
    expect(plainHayden.length).toBeGreaterThan(0);
    expect(plainHayden.every((f) => f[4] === 'FLETCHER')).toBe(true);
  });

  it('skips configured course-code prefixes', async () => {
    await run({ skipCodePrefixes: ['2026', 'DEV'] });
    expect(t.report.counts.rows_written).toBe(0);
    expect(t.report.counts.rows_skipped_prefix).toBeGreaterThan(300);
  });

  it('sends the mail even with zero rows', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'sisrelay-report-empty-'));
    try {
      await mkdir(join(empty, 'leganto'));
      await copyFile(join(import.meta.dirname, 'golden', 'cem-golden.csv'), join(empty, 'leganto', 'leganto_export_20260817.csv'));
      await run({}, { source: empty });
      expect(smtp.messages).toHaveLength(1);
      expect(smtp.messages[0]!.text.trim()).toBe(`Attached is the daily potential rollover report ${FILE} with 0 rows`);
      expect(smtp.messages[0]!.attachments[0]!.content.toString('utf8').split('\r\n')).toHaveLength(2);
      // The golden's "abc" copy SLN (line 9) is a reject in the report, not a crash.
      expect(await readFile(join(t.filesDir, 'rejects_20260817113000.csv'), 'utf8')).toContain('9,2026SpringB-X-BIO181-70008,"COPY_COURSE_SLN ""abc"" is neither ""-"" nor a number"');
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('dry run: the file is written, nothing is sent', async () => {
    await run({}, { dryRun: true });
    await readFile(join(t.filesDir, FILE));
    expect(smtp.messages).toHaveLength(0);
    expect(slack.requests).toHaveLength(0);
    expect(t.report.deliveries).toEqual([expect.objectContaining({ mode: 'email', status: 'dry-run' })]);
  });

  it('a refused e-mail fails the run and says so on Slack', async () => {
    const refusing = await startSmtpSink({ failWith: { code: 550, message: 'Mailbox unavailable' } });
    try {
      const err = await caught(() => run({}, { smtpPort: refusing.port }));
      expect(err.code).toBe('MAIL_FAILED');
      expect(slack.requests).toHaveLength(1);
      expect(JSON.parse(slack.requests[0]!.body).blocks[2].text.text).toMatch(new RegExp(`^Couldn't email rollover report ${FILE}: `));
    } finally {
      await refusing.close();
    }
  });
});
