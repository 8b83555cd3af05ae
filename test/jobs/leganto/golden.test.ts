import { copyFile, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startAlmaSandbox, type AlmaSandbox } from '../../../src/sandbox/alma-sandbox.js';
import job from '../../../src/jobs/leganto-courses/job.js';
import { startHttpSink, type HttpSink } from '../../fixtures/http-sink.js';
import { almaConnection, localConnections, slackConnection, testContext, type TestContext } from './job-context.js';
import { coursesParams } from './rules.js';

/**
 * The golden file: golden/cem-golden.csv (78 hand-written CEM lines in ISO-8859-1, built by
 * golden/make-input.ts) → golden/expected-20260817092000.txt, written by hand from the rules in
 * golden/expected-loader.pipes (`|` for TAB; converted to TAB + CRLF with sed) and checked line by
 * line, and golden/expected-rejects.csv.
 *
 * The Alma catalogue below decides the four DELETE rows that survive de-duplication:
 * HST400 exists without reading lists (kept), HST410 has reading lists (dropped), SDO598-92899
 * exists only as the longer code …-92899-3964 (dropped: exact search), HST420 is unknown (dropped).
 * PSY240's DELETE is replaced by a later approved row and must never be looked up.
 */
const GOLDEN = join(import.meta.dirname, 'golden');
const API_KEY = 'golden-alma-key-5f1d';
const STARTED = new Date('2026-08-17T16:20:00Z'); // 09:20 in America/Phoenix

const rl = (id: string) => [{ id: `RL${id}`, code: `RL-${id}`, name: 'Reading list' }];
const catalogue = () => [
  { id: '1001', code: '2026Fall-X-HST400-70090', name: 'Historiography', section: '70090', year: '2026' },
  { id: '1002', code: '2026Fall-X-HST410-70092', name: 'Digital History', section: '70092', year: '2026', reading_lists: rl('1002') },
  { id: '1003', code: '2026Fall-X-SDO598-92899-3964', name: 'Legal Writing (old)', section: '92899', year: '2026', reading_lists: rl('1003') },
  { id: '1004', code: '2026Fall-X-PSY240-70082', name: 'Developmental Psychology', section: '70082', year: '2026', reading_lists: rl('1004') },
  { id: '1005', code: '2026Fall-X-ENG101-70001', name: 'First-Year Composition', section: '70001', year: '2026' },
];

let alma: AlmaSandbox;
let slack: HttpSink;
let src: string;
let t: TestContext;

beforeAll(async () => {
  alma = await startAlmaSandbox({ apiKey: API_KEY, courses: catalogue(), perSecondLimit: 0 });
  slack = await startHttpSink(() => ({ status: 200, body: 'ok' }));
});
afterAll(async () => {
  await alma.close();
  await slack.close();
});

async function setUp(input: string): Promise<void> {
  src = await mkdtemp(join(tmpdir(), 'sisrelay-golden-'));
  await mkdir(join(src, 'leganto'));
  await mkdir(join(src, 'course_loader'), { recursive: true });
  await copyFile(join(GOLDEN, input), join(src, 'leganto', 'leganto_export_20260817.csv'));
  alma.courses.splice(0, alma.courses.length, ...catalogue());
  alma.resetStats();
  slack.reset();
  t = await testContext({
    connections: { ...localConnections(src), alma: almaConnection(alma.url, API_KEY), slack: slackConnection(new URL("/services/T0/B0/golden", slack.url).toString()) },
    startedAt: STARTED,
  });
}

afterEach(async () => {
  await t.cleanup();
  await rm(src, { recursive: true, force: true });
});

const params = () => coursesParams({ destinationDir: '/course_loader', slack: 'slack' });

describe('golden: hand-written CEM export → expected loader bytes', () => {
  beforeEach(() => setUp('cem-golden.csv'));

  it('writes exactly the expected file, locally and at the destination', async () => {
    await job.run(t.ctx, params());
    const expected = await readFile(join(GOLDEN, 'expected-20260817092000.txt'));
    const local = await readFile(join(t.filesDir, '20260817092000.txt'));
    const pushed = await readFile(join(src, 'course_loader', '20260817092000.txt'));
    // Line-by-line first, for a readable diff; then the bytes themselves.
    expect(local.toString('utf8').split('\r\n')).toEqual(expected.toString('utf8').split('\r\n'));
    expect(local.equals(expected)).toBe(true);
    expect(pushed.equals(expected)).toBe(true);
    expect((await stat(join(t.filesDir, '20260817092000.txt'))).mode & 0o777).toBe(0o600);
  });

  it('writes the rejects report with line numbers and reasons', async () => {
    await job.run(t.ctx, params());
    const rejects = await readFile(join(t.filesDir, 'rejects_20260817092000.csv'), 'utf8');
    expect(rejects).toBe(await readFile(join(GOLDEN, 'expected-rejects.csv'), 'utf8'));
    expect(t.report.files.map((f) => f.name)).toEqual(['cem_20260817.csv', '20260817092000.txt', 'rejects_20260817092000.csv']);
  });

  it('reports the counts', async () => {
    await job.run(t.ctx, params());
    expect(t.report.counts).toEqual({
      rows_read: 78,
      rows_rejected: 6,
      rows_skipped_requested: 3,
      rows_merged: 4,
      rows_duplicate_dropped: 2,
      deletes_checked: 4,
      deletes_dropped: 3,
      rows_written: 59,
      alma_calls: 6,
      // Six paced calls all start within one second.
      alma_peak_per_second: 6,
    });
  });

  it('checks each surviving DELETE once, by exact code, with the key in the header only', async () => {
    await job.run(t.ctx, params());
    const searches = alma.requestLog.filter((r) => r.route === 'GET /courses').map((r) => new URLSearchParams(r.query));
    expect(searches.map((q) => q.get('q')).sort()).toEqual([
      'code~2026Fall-X-HST400-70090',
      'code~2026Fall-X-HST410-70092',
      'code~2026Fall-X-HST420-70093',
      'code~2026Fall-X-SDO598-92899',
    ]);
    expect(searches.every((q) => q.get('exact_search') === 'true')).toBe(true);
    expect(alma.requestLog.filter((r) => r.route === 'GET /courses/{id}/reading-lists').map((r) => r.path).sort()).toEqual([
      '/almaws/v1/courses/1001/reading-lists',
      '/almaws/v1/courses/1002/reading-lists',
    ]);
    expect(alma.requestLog.every((r) => r.keyLocation === 'header' && !r.keyInUrl)).toBe(true);
    const decisions = t.log.lines.filter((l) => l.message.startsWith('DELETE ')).map((l) => l.message).sort();
    expect(decisions).toEqual([
      'DELETE 2026Fall-X-HST400-70090 (line 68): kept: course 1001 has no reading lists',
      'DELETE 2026Fall-X-HST410-70092 (line 70): dropped: course 1002 has reading lists',
      'DELETE 2026Fall-X-HST420-70093 (line 72): dropped: no course with this code in Alma',
      'DELETE 2026Fall-X-SDO598-92899 (line 71): dropped: no course with this code in Alma',
    ]);
  });

  it('logs the fallbacks it applied as warnings', async () => {
    await job.run(t.ctx, params());
    const warnings = t.log.lines.filter((l) => l.level === 'warn').map((l) => l.message);
    expect(warnings).toContain('line 22: college "ZZ" on campus TEMPE is not in tempeCollegeDepartments; processing department COURSE_UNIT');
    expect(warnings).toContain('line 44: CAMPUS "LAKEHAV" is in no campus table; processing department HAYDEN');
    expect(warnings).toContain('line 51: no termCodes entry matches TERM "7" for course code 2026Spring-X-HST300-70048; Term1 ""');
  });

  it('announces the push on Slack as the original did', async () => {
    await job.run(t.ctx, params());
    expect(t.log.lines.filter((l) => l.message.includes("Slack"))).toEqual([]);
    expect(slack.requests).toHaveLength(1);
    const body = JSON.parse(slack.requests[0]!.body) as { text: string; blocks: Array<{ type: string; elements?: Array<{ text: string }>; text?: { text: string } }> };
    expect(body.text).toBe('Leganto Status Update');
    expect(body.blocks[0]!.elements![0]!.text).toBe('*Leganto Push*');
    expect(body.blocks[2]!.text!.text).toBe('successfully transferred 20260817092000.txt');
    expect(t.report.notes).toContain('pushed 20260817092000.txt');
    expect(t.report.deliveries).toContainEqual({ connection: 'alma-sftp', target: '/course_loader/20260817092000.txt', mode: 'no-overwrite', status: 'delivered', bytes: expect.any(Number) });
  });
});

describe('golden: the same export in UTF-8 with a BOM', () => {
  beforeEach(() => setUp('cem-golden-utf8-bom.csv'));

  it('decodes as UTF-8 and writes the same bytes', async () => {
    await job.run(t.ctx, params());
    const expected = await readFile(join(GOLDEN, 'expected-20260817092000.txt'));
    expect((await readFile(join(t.filesDir, '20260817092000.txt'))).equals(expected)).toBe(true);
  });
});

describe('golden: 31 columns', () => {
  beforeEach(() => setUp('cem-golden.csv'));

  it('drops exactly the last three (empty) columns', async () => {
    await job.run(t.ctx, coursesParams({ destinationDir: '/course_loader', columns: 31 }));
    const expected = (await readFile(join(GOLDEN, 'expected-20260817092000.txt'), 'utf8')).split('\r\n');
    const got = (await readFile(join(t.filesDir, '20260817092000.txt'), 'utf8')).split('\r\n');
    expect(got).toEqual(expected.map((line) => (line === '' ? '' : line.split('\t').slice(0, 31).join('\t'))));
  });
});
