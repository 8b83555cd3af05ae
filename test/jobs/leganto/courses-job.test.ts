import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startAlmaSandbox, type AlmaSandbox } from '../../../src/sandbox/alma-sandbox.js';
import job from '../../../src/jobs/leganto-courses/job.js';
import { legantoCourses } from '../../../src/jobs/leganto-courses/descriptor.js';
import { legantoRolloverReport } from '../../../src/jobs/leganto-rollover-report/descriptor.js';
import { startHttpSink, type HttpSink } from '../../fixtures/http-sink.js';
import { caught } from '../../files/test-log.js';
import { almaConnection, localConnections, slackConnection, testContext, type TestContext } from './job-context.js';
import { coursesParams, reportParams } from './rules.js';

/** leganto-courses failure paths and options, in-process against plain directories and the Alma sandbox. */
const KEY = 'courses-alma-key-0d9e';
const STARTED = new Date('2026-08-17T16:20:00Z');
const GOLDEN = join(import.meta.dirname, 'golden');

let alma: AlmaSandbox;
let slack: HttpSink;
let root: string;
let t: TestContext;

beforeAll(async () => {
  alma = await startAlmaSandbox({ apiKey: KEY, courses: [{ id: '1001', code: '2026Fall-X-HST400-70090', name: 'n', section: '70090', year: '2026' }], perSecondLimit: 0 });
  slack = await startHttpSink(() => ({ status: 200, body: 'ok' }));
});
afterAll(async () => {
  await alma.close();
  await slack.close();
});
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'sisrelay-courses-'));
  await mkdir(join(root, 'leganto'));
  await mkdir(join(root, 'drop'));
  slack.reset();
  alma.resetStats();
  alma.setRemaining(100_000);
});
afterEach(async () => {
  await t?.cleanup();
  await rm(root, { recursive: true, force: true });
});

async function run(over: Record<string, unknown> = {}, opts: { dryRun?: boolean; minRemaining?: number } = {}): Promise<void> {
  t = await testContext({
    connections: { ...localConnections(root), alma: almaConnection(alma.url, KEY, { minRemaining: opts.minRemaining ?? 0 }), slack: slackConnection(new URL('/services/T/B/c', slack.url).toString()) },
    startedAt: STARTED,
    dryRun: opts.dryRun ?? false,
  });
  await job.run(t.ctx, coursesParams({ destinationDir: '/drop', slack: 'slack', ...over }));
}

const slackTexts = () => slack.requests.map((r) => JSON.parse(r.body) as { blocks: Array<{ elements?: Array<{ text: string }>; text?: { text: string } }> }).map((b) => `${b.blocks[0]!.elements![0]!.text} ${b.blocks[2]!.text!.text}`);

describe('leganto-courses: input', () => {
  it('no export today → INPUT_NOT_FOUND naming the directory and pattern, a Slack "Pull" notice, nothing pushed', async () => {
    await writeFile(join(root, 'leganto', 'leganto_export_20260816.csv'), 'yesterday');
    const err = await caught(() => run());
    expect(err.code).toBe('INPUT_NOT_FOUND');
    expect(err.message).toMatch(/no CEM export for 20260817 in \/leganto on local:.* no file matches "leganto_export_20260817\*"/);
    expect(slackTexts()).toEqual([expect.stringMatching(/^\*Leganto Pull\* Tried to pull the CEM export from cem-sftp but failed: no CEM export for 20260817/)]);
    expect(await readdir(join(root, 'drop'))).toEqual([]);
  });

  it('"today" is the date in the job zone, not UTC (00:30 UTC on the 18th is the 17th in Phoenix)', async () => {
    await copyFile(join(GOLDEN, 'cem-golden.csv'), join(root, 'leganto', 'leganto_export_20260817.csv'));
    t = await testContext({ connections: { ...localConnections(root), alma: almaConnection(alma.url, KEY) }, startedAt: new Date('2026-08-18T00:30:00Z') });
    await job.run(t.ctx, coursesParams({ destinationDir: '/drop' }));
    expect(await readdir(join(root, 'drop'))).toEqual(['20260817173000.txt']);
  });

  it('a file without a CEM column is refused as a whole', async () => {
    await writeFile(join(root, 'leganto', 'leganto_export_20260817.csv'), 'MYASU_COURSE_IDSTRING,COURSE_STATUS\r\nA,APPROVED\r\n');
    const err = await caught(() => run());
    expect(err.code).toBe('DATA_INVALID');
    expect(err.message).toMatch(/missing required columns COURSE_NAME, SLN/);
    expect(await readdir(join(root, 'drop'))).toEqual([]);
  });

  it('a latin1 export read as utf-8 by config is not mangled silently: the accented lines are rejected', async () => {
    await copyFile(join(GOLDEN, 'cem-golden.csv'), join(root, 'leganto', 'leganto_export_20260817.csv'));
    await run({ encoding: 'utf-8' });
    const rejects = await readFile(join(t.filesDir, 'rejects_20260817092000.csv'), 'utf8');
    expect(rejects).toMatch(/^8,,.*not valid in utf-8/m);
    expect(t.report.counts.rows_written).toBeLessThan(59);
  });
});

describe('leganto-courses: delivery', () => {
  beforeEach(async () => {
    await copyFile(join(GOLDEN, 'cem-golden.csv'), join(root, 'leganto', 'leganto_export_20260817.csv'));
  });

  it('never overwrites: an existing file of the same name fails the run (retryable under a new stamp)', async () => {
    await writeFile(join(root, 'drop', '20260817092000.txt'), 'someone else');
    const err = await caught(() => run());
    expect(err.code).toBe('TRANSFER_TARGET_EXISTS');
    expect(err.transient).toBe(true);
    expect(await readFile(join(root, 'drop', '20260817092000.txt'), 'utf8')).toBe('someone else');
    expect(slackTexts()).toEqual([expect.stringMatching(/^\*Leganto Push\* Leganto push failed: \/drop\/20260817092000.txt already exists/)]);
    expect(t.report.deliveries).toContainEqual(expect.objectContaining({ mode: 'no-overwrite', status: 'skipped-exists' }));
  });

  it('dry run: the file is produced, nothing is pushed or posted', async () => {
    await run({}, { dryRun: true });
    await readFile(join(t.filesDir, '20260817092000.txt'));
    expect(await readdir(join(root, 'drop'))).toEqual([]);
    expect(slack.requests).toHaveLength(0);
    expect(t.report.deliveries).toEqual([expect.objectContaining({ status: 'dry-run', target: '/drop/20260817092000.txt' })]);
  });

  it('a Slack failure is logged and recorded, never the reason the load fails', async () => {
    slack.setHandler(() => ({ status: 404, body: 'no_service' }));
    try {
      await run();
    } finally {
      slack.setHandler(() => ({ status: 200, body: 'ok' }));
    }
    expect(await readdir(join(root, 'drop'))).toEqual(['20260817092000.txt']);
    expect(t.report.deliveries).toContainEqual(expect.objectContaining({ mode: 'slack', status: 'failed' }));
    expect(t.log.text()).not.toContain('/services/T/B/c');
  });

  it('stops before Alma runs out of calls for the day', async () => {
    alma.setRemaining(50);
    const err = await caught(() => run({}, { minRemaining: 100 }));
    expect(err.code).toBe('ALMA_QUOTA_LOW');
    expect(await readdir(join(root, 'drop'))).toEqual([]);
  });

  it('a cancelled run stops without delivering', async () => {
    t = await testContext({ connections: { ...localConnections(root), alma: almaConnection(alma.url, KEY) }, startedAt: STARTED });
    t.abort.abort(new Error('cancelled by test'));
    await expect(job.run(t.ctx, coursesParams({ destinationDir: '/drop' }))).rejects.toThrow();
    expect(await readdir(join(root, 'drop'))).toEqual([]);
  });
});

describe('descriptors', () => {
  it('defaults are the original values and pass validation', () => {
    const p = coursesParams();
    expect(p).toMatchObject({
      filePattern: 'leganto_export_{YYYYMMDD}*',
      destinationDir: '/share/LSP-SFTP/prod/course_loader',
      encoding: 'latin1',
      dateFormat: 'DD-MM-YYYY',
      columns: 34,
      skipStatuses: ['REQUESTED'],
      deleteStatuses: ['DENIED', 'SUSPENDED'],
      unknownCampusDepartment: 'HAYDEN',
      unknownTempeCollegeDepartment: 'COURSE_UNIT',
      unknownTermCode: '',
      missingCourseId: '-',
    });
    expect(Object.keys(p.termCodes)).toHaveLength(15);
    expect(legantoCourses.validate!(p, { dataDir: '/', baseDir: '/' })).toEqual([]);
    const r = reportParams();
    expect(r).toMatchObject({ skipCodePrefixes: [], onlineCampuses: ['ASUONLI', 'ICOURSE'], onlineDepartmentOverrides: { HAYDEN: 'FLETCHER' }, subject: 'Daily Potential Rollover Report', courseCache: 'auto' });
    expect(legantoRolloverReport.validate!(r, { dataDir: '/', baseDir: '/' })).toEqual([]);
  });

  it('reports every bad table entry with its key path', () => {
    const p = coursesParams({ termCodes: { SPRING: 'X' }, campusCollegeDepartments: { DTPHX: 'LAW' }, dateFormat: 'DD/MM', campusDepartments: { X: 'HAS\tTAB' }, unknownCampusDepartment: ' ' });
    expect(legantoCourses.validate!(p, { dataDir: '/', baseDir: '/' }).map((x) => x.path).sort()).toEqual([
      'campusCollegeDepartments.DTPHX',
      'campusDepartments.X',
      'dateFormat',
      'termCodes.SPRING',
      'unknownCampusDepartment',
    ]);
    const r = reportParams({ emailTo: [], fileName: 'report.csv' });
    expect(legantoRolloverReport.validate!(r, { dataDir: '/', baseDir: '/' }).map((x) => x.path)).toEqual(['emailTo', 'fileName']);
  });

  it('a TAB in dateFormat and in missingCourseId is reported for each, naming the value', () => {
    const p = coursesParams({ dateFormat: 'DD\tMM-YYYY', missingCourseId: 'n\ta' });
    expect(legantoCourses.validate!(p, { dataDir: '/', baseDir: '/' })).toEqual([
      { path: 'dateFormat', message: 'expected no TAB or line break (the loader file is tab-separated without quoting), found "DD\\tMM-YYYY"' },
      { path: 'missingCourseId', message: 'expected no TAB or line break (the loader file is tab-separated without quoting), found "n\\ta"' },
    ]);
  });

  it('unknown keys and wrong types are config errors', () => {
    expect(() => coursesParams({ columns: 33 })).toThrow(/columns/);
    expect(() => coursesParams({ campusDepartmens: {} })).toThrow(/unknown key/);
  });

  it('declares the connections it uses', () => {
    expect(legantoCourses.connections(coursesParams({ slack: 'ops' })).map((u) => u.name)).toEqual(['cem-sftp', 'alma-sftp', 'alma', 'ops']);
    expect(legantoRolloverReport.connections(reportParams()).map((u) => u.name)).toEqual(['cem-sftp', 'alma', 'smtp']);
  });
});
