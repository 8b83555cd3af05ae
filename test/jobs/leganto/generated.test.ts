import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCemExport } from '../../../src/datagen/cem-generator.js';
import { buildAlmaFixture, type AlmaFixture } from '../../../src/datagen/alma-fixture.js';
import { startAlmaSandbox, type AlmaSandbox } from '../../../src/sandbox/alma-sandbox.js';
import job from '../../../src/jobs/leganto-courses/job.js';
import { almaConnection, localConnections, testContext, type TestContext } from './job-context.js';
import { sandboxCourses } from './alma-catalogue.js';
import { coursesParams } from './rules.js';

/**
 * A generated 400-row CEM export (every campus, duplicate kind, term suffix, malformed lines) run
 * through the job, checked against properties computed here directly from the CSV, without the
 * job's code: which course codes must come out and in what order, their operation, section,
 * instructors and placement, and the byte format.
 */
const KEY = 'gen-alma-key-91c3';
const DATE = '2026-08-17';
const STARTED = new Date('2026-08-17T16:20:00Z');

type Cem = Record<string, string>;
let alma: AlmaSandbox;
let fixture: AlmaFixture;
let src: string;
let t: TestContext;
let cemRows: Array<{ line: number; rec: Cem }>;
let malformed: number;
let out: string[][];
let outText: string;

beforeAll(async () => {
  src = await mkdtemp(join(tmpdir(), 'sisrelay-gen-'));
  await mkdir(join(src, 'leganto'));
  await mkdir(join(src, 'drop'));
  const written = await writeCemExport(join(src, 'leganto', 'leganto_export_20260817.csv'), { seed: 'leganto-gen', rows: 400, date: DATE, encoding: 'latin1', includeMalformed: true });
  malformed = written.malformedLines;
  fixture = buildAlmaFixture({ seed: 'leganto-gen', rows: 400, date: DATE, years: [2025, 2026], fillerPerYear: 150 });
  alma = await startAlmaSandbox({ apiKey: KEY, courses: sandboxCourses(fixture), perSecondLimit: 0 });

  // The CEM as plain records, parsed here with papaparse (not the job's reader).
  const text = iconv.decode(await readFile(join(src, 'leganto', 'leganto_export_20260817.csv')), 'latin1');
  const parsed = Papa.parse<string[]>(text.trimEnd(), { header: false });
  const header = parsed.data[0]!;
  cemRows = parsed.data.slice(1).flatMap((fields, i) => (fields.length === header.length ? [{ line: i + 2, rec: Object.fromEntries(header.map((h, k) => [h, fields[k]!])) }] : []));

  t = await testContext({ connections: { ...localConnections(src), alma: almaConnection(alma.url, KEY) }, startedAt: STARTED });
  await job.run(t.ctx, coursesParams({ destinationDir: '/drop' }));
  outText = await readFile(join(src, 'drop', '20260817092000.txt'), 'utf8');
  out = outText.split('\r\n').slice(1, -1).map((l) => l.split('\t'));
}, 60_000);

afterAll(async () => {
  await t?.cleanup();
  await alma?.close();
  await rm(src, { recursive: true, force: true });
});

const usable = (r: Cem) =>
  r.COURSE_STATUS !== 'REQUESTED' && r.TERM !== '' && (r.SLN ?? '').replace(/-/g, '') !== '' && /^\d{4}-\d{2}-\d{2}/.test(r.START_SYNC_DATE ?? '') && /^\d{4}-\d{2}-\d{2}/.test(r.END_SYNC_DATE ?? '');
const isDelete = (r: Cem) => r.COURSE_STATUS === 'DENIED' || r.COURSE_STATUS === 'SUSPENDED';

function expectedCodes(): Array<{ code: string; op: '' | 'DELETE'; approved: Cem[] }> {
  const byCode = new Map<string, Cem[]>();
  for (const { rec } of cemRows) if (usable(rec)) byCode.set(rec.MYASU_COURSE_IDSTRING!, [...(byCode.get(rec.MYASU_COURSE_IDSTRING!) ?? []), rec]);
  const existing = new Map(fixture.courses.map((c) => [c.code, c.reading_lists]));
  const outRows: Array<{ code: string; op: '' | 'DELETE'; approved: Cem[] }> = [];
  for (const [code, rows] of byCode) {
    const approved = rows.filter((r) => !isDelete(r));
    if (approved.length > 0) outRows.push({ code, op: '', approved });
    else if (existing.get(code) === 0) outRows.push({ code, op: 'DELETE', approved: [] });
  }
  return outRows;
}

describe('generated CEM export, checked by independent properties', () => {
  it('bytes: UTF-8, CRLF only, 34 columns on every line, the header first', () => {
    expect(outText.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    expect(outText.endsWith('\r\n')).toBe(true);
    const lines = outText.split('\r\n').slice(0, -1);
    expect(lines[0]!.split('\t')).toHaveLength(34);
    expect(lines[0]!.startsWith('Course Code\tCourse Title\tSection ID\t')).toBe(true);
    expect(lines.every((l) => l.split('\t').length === 34)).toBe(true);
    expect(outText).toContain('Español');
    expect(outText).not.toContain('\uFFFD');
  });

  it('exactly the expected course codes, once each, in first-appearance order', () => {
    expect(out.map((f) => f[0])).toEqual(expectedCodes().map((e) => e.code));
  });

  it('operation: approved codes empty, surviving DELETEs only for courses in Alma without reading lists', () => {
    const expected = new Map(expectedCodes().map((e) => [e.code, e.op]));
    for (const f of out) expect(f[28]).toBe(expected.get(f[0]!));
    expect(out.some((f) => f[28] === 'DELETE')).toBe(true);
  });

  it('section = smallest approved SLN; instructors = every distinct approved instructor', () => {
    const expected = new Map(expectedCodes().map((e) => [e.code, e]));
    let merged = 0;
    for (const f of out) {
      const e = expected.get(f[0]!)!;
      if (e.op === 'DELETE') continue;
      const slns = e.approved.map((r) => BigInt(r.SLN!.replace(/-/g, '')));
      expect(BigInt(f[2]!)).toBe(slns.reduce((a, b) => (b < a ? b : a)));
      const instructors = [...new Set(e.approved.map((r) => r.ASURITEID!).filter((s) => s !== ''))];
      if (e.approved.length === 1) {
        expect(f[17]).toBe(e.approved[0]!.ASURITEID);
        expect(f[27]).toBe('');
        expect(f[14]).toBe(e.approved[0]!.COURSE_ID || '-');
      } else {
        merged++;
        expect(f[17]).toBe('');
        expect(f[14]).toBe('');
        expect(new Set(f[27]!.split(',').filter(Boolean))).toEqual(new Set(instructors));
        // Every other section of the code is listed among the searchable IDs.
        for (const s of slns.slice(1)) expect(f[16]!.split(',')).toContain(String(s));
      }
    }
    expect(merged).toBeGreaterThan(3);
  });

  it('placement for plain campuses, DEV codes and dates from the first approved row', () => {
    const plain: Record<string, string> = { GLENDALE: 'FLETCHER', WEST: 'FLETCHER', POLY: 'POLYTECHNIC', TBIRD: 'THUNDERBIRD', ASUONLI: 'ASU_ONLINE', ICOURSE: 'ASU_ONLINE', TUCSON: 'HAYDEN', CALHC: 'HAYDEN' };
    const special = /^(MDC|MHL|MSC|MSI|MTC|MUE|MUP|MUS|SDO)/;
    const expected = new Map(expectedCodes().map((e) => [e.code, e]));
    let checked = 0;
    for (const f of out) {
      const first = expected.get(f[0]!)!.approved[0];
      if (!first) continue;
      if (f[0]!.startsWith('DEV')) expect(f[4]).toBe('COURSE_UNIT');
      else if (!special.test(first.COURSE_ID!) && plain[first.CAMPUS!]) {
        expect(f[4]).toBe(plain[first.CAMPUS!]);
        checked++;
      }
      const [y, m, d] = first.START_SYNC_DATE!.slice(0, 10).split('-');
      expect(f[9]).toBe(`${d}-${m}-${y}`);
      expect(f[1]).toBe(first.COURSE_NAME);
    }
    expect(checked).toBeGreaterThan(20);
  });

  it('counts lines, malformed lines and rejects consistently', async () => {
    expect(malformed).toBeGreaterThan(0);
    expect(t.report.counts.rows_read).toBe(cemRows.length + malformed);
    expect(t.report.counts.rows_written).toBe(out.length);
    expect(t.report.counts.rows_skipped_requested).toBe(cemRows.filter((r) => r.rec.COURSE_STATUS === 'REQUESTED').length);
    const rejects = await readFile(join(t.filesDir, 'rejects_20260817092000.csv'), 'utf8');
    const rejectLines = Papa.parse<string[]>(rejects.trimEnd(), { header: false }).data.slice(1);
    expect(rejectLines).toHaveLength(t.report.counts.rows_rejected!);
    expect(rejectLines.filter((l) => l[2]!.startsWith('malformed CSV line'))).toHaveLength(malformed);
    const emptyTerm = cemRows.filter((r) => r.rec.COURSE_STATUS !== 'REQUESTED' && r.rec.TERM === '').map((r) => String(r.line));
    expect(emptyTerm.length).toBeGreaterThan(0);
    for (const line of emptyTerm) expect(rejectLines.map((l) => l[0])).toContain(line);
  });

  it('Alma: at most two calls per DELETE course code, every search exact', () => {
    const deleteCodes = new Set(cemRows.filter((r) => usable(r.rec) && isDelete(r.rec)).map((r) => r.rec.MYASU_COURSE_IDSTRING));
    expect(alma.totalCalls()).toBeLessThanOrEqual(2 * deleteCodes.size);
    expect(t.report.counts.alma_calls).toBe(alma.totalCalls());
    expect(alma.requestLog.filter((r) => r.route === 'GET /courses').every((r) => new URLSearchParams(r.query).get('exact_search') === 'true')).toBe(true);
    // A partial-match trap code is never kept as a DELETE.
    for (const code of fixture.partialOnlyCodes) expect(out.find((f) => f[0] === code && f[28] === 'DELETE')).toBeUndefined();
  });
});
