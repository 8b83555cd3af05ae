import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AlmaClient } from '../../../src/adapters/alma/alma-client.js';
import { createHttpClient } from '../../../src/adapters/http/http-client.js';
import { startAlmaSandbox, type AlmaCourse, type AlmaSandbox } from '../../../src/sandbox/alma-sandbox.js';
import { checkDelete, deleteVerdict, sameCodeCourses } from '../../../src/jobs/leganto-courses/delete-checks.js';
import { CopyCourseLookup } from '../../../src/jobs/leganto-rollover-report/course-cache.js';
import { captureLog, caught } from '../../files/test-log.js';

/** DELETE checks and copy-course lookups over the real HttpClient against the Alma sandbox. */

const KEY = 'lookup-alma-key-77aa';
const rl = (id: string) => [{ id: `RL${id}`, code: `RL${id}`, name: 'list' }];

function seed(): AlmaCourse[] {
  const out: AlmaCourse[] = [
    { id: 'd1', code: '2026Fall-X-HST400-70090', name: 'n', section: '70090', year: '2026' },
    { id: 'd2', code: '2026Fall-X-HST410-70092', name: 'n', section: '70092', year: '2026', reading_lists: rl('d2') },
    { id: 'd3', code: '2026Fall-X-SDO598-92898-3964', name: 'n', section: '92898', year: '2026', reading_lists: rl('d3') },
    // Copy courses of 2025: unique by section, ambiguous by section, unique by searchable id, ambiguous by id.
    { id: 'c1', code: '2025Fall-X-ENG101-11111', name: 'n', section: '11111', year: '2025', reading_lists: rl('c1') },
    { id: 'c2', code: '2025Fall-X-ENG102-22222', name: 'n', section: '22222', year: '2025' },
    { id: 'c3', code: '2025Fall-X-ENG102-22222-B', name: 'n', section: '22222', year: '2025' },
    { id: 'c4', code: '2025Fall-X-ENG103-40000', name: 'n', section: '40000', year: '2025', searchable_id: ['33333', '-'], reading_lists: rl('c4') },
    { id: 'c5', code: '2025Fall-X-ENG104-50000', name: 'n', section: '50000', year: '2025', searchable_id: ['44444'] },
    { id: 'c6', code: '2025Fall-X-ENG105-60000', name: 'n', section: '60000', year: '2025', searchable_id: ['44444'] },
    { id: 'c7', code: '2024Fall-X-ENG101-11111', name: 'n', section: '11111', year: '2024', reading_lists: rl('c7') },
  ];
  // Filler so 2025 spans three pages.
  for (let i = 0; i < 240; i++) out.push({ id: `f${i}`, code: `2025Spring-X-FIL-${90000 + i}`, name: 'n', section: String(90000 + i), year: '2025' });
  return out;
}

let sb: AlmaSandbox;
const courses: AlmaCourse[] = [];
beforeAll(async () => {
  sb = await startAlmaSandbox({ apiKey: KEY, courses, perSecondLimit: 0 });
});
afterAll(() => sb.close());
beforeEach(() => {
  courses.splice(0, courses.length, ...seed());
  sb.clearFaults();
  sb.resetStats();
  sb.setRemaining(100_000);
});

const alma = (minRemaining = 0) =>
  new AlmaClient(
    createHttpClient({ name: 'alma', baseUrl: sb.url, timeoutMs: 5000, concurrency: 4, ratePerSecond: 0, retries: 2, retryDelayMs: 5, headers: { Authorization: `apikey ${KEY}` }, redact: (s) => s }),
    { minRemaining },
  );

describe('DELETE checks', () => {
  it('verdicts', () => {
    expect(deleteVerdict([], [])).toEqual({ keep: false, reason: 'not-in-alma' });
    expect(deleteVerdict(['1', '2'], ['2'])).toEqual({ keep: false, reason: 'has-reading-lists', courseIds: ['2'] });
    expect(deleteVerdict(['1'], [])).toEqual({ keep: true, reason: 'no-reading-lists', courseIds: ['1'] });
  });

  it('ignores hits with another code should Alma ignore exact_search', () => {
    const r = { total: 2, courses: [{ id: '1', code: 'A-1', name: '', section: '', year: '' }, { id: '2', code: 'a', name: '', section: '', year: '' }] };
    expect(sameCodeCourses('A', r)).toEqual(['2']);
  });

  it('in Alma without reading lists → kept after 2 calls', async () => {
    const a = alma();
    expect(await checkDelete(a, '2026Fall-X-HST400-70090')).toEqual({ keep: true, reason: 'no-reading-lists', courseIds: ['d1'] });
    expect(a.callCount).toBe(2);
  });

  it('with reading lists → dropped', async () => {
    expect(await checkDelete(alma(), '2026Fall-X-HST410-70092')).toEqual({ keep: false, reason: 'has-reading-lists', courseIds: ['d2'] });
  });

  it('only a longer code exists → dropped after 1 exact search (the original kept it)', async () => {
    const a = alma();
    expect(await checkDelete(a, '2026Fall-X-SDO598-92898')).toEqual({ keep: false, reason: 'not-in-alma' });
    expect(a.callCount).toBe(1);
    expect(new URLSearchParams(sb.requestLog[0]!.query).get('exact_search')).toBe('true');
  });

  it('a code Alma search cannot express is not sent and not kept', async () => {
    const a = alma();
    expect(await checkDelete(a, 'ODD~CODE')).toMatchObject({ keep: false, reason: 'unsearchable' });
    expect(a.callCount).toBe(0);
  });

  it('a 503 is retried by the client; a quota below the floor stops the job', async () => {
    sb.injectFault({ kind: 'http503', route: 'GET /courses', times: 1 });
    expect((await checkDelete(alma(), '2026Fall-X-HST400-70090')).keep).toBe(true);
    sb.setRemaining(5);
    const a = alma(10);
    await checkDelete(a, '2026Fall-X-HST410-70092').catch(() => undefined);
    const err = await caught(() => checkDelete(a, '2026Fall-X-HST400-70090'));
    expect(err.code).toBe('ALMA_QUOTA_LOW');
  });
});

describe('copy-course lookups', () => {
  const slns = ['11111', '22222', '33333', '44444', '55555'];
  const byYear = new Map([['2025', new Set(slns)]]);

  async function decisions(mode: 'always' | 'never') {
    const lookup = new CopyCourseLookup(alma(), { mode, concurrency: 3, signal: new AbortController().signal, log: captureLog() });
    const plans = await lookup.prepare(byYear);
    const out: Record<string, string> = {};
    for (const s of slns) {
      const m = await lookup.match(s, '2025');
      out[s] = m.kind === 'unique' ? `${m.kind}:${m.course.code}:${m.by}` : m.kind === 'ambiguous' ? `${m.kind}:${m.by}:${m.count}` : m.kind;
    }
    return { out, plans, lookup };
  }

  it('the year list and per-candidate searches reach the same decisions', async () => {
    const cached = await decisions('always');
    const searched = await decisions('never');
    expect(cached.out).toEqual({
      '11111': 'unique:2025Fall-X-ENG101-11111:section',
      '22222': 'ambiguous:section:2',
      '33333': 'unique:2025Fall-X-ENG103-40000:searchable-id',
      '44444': 'ambiguous:searchable-id:2',
      '55555': 'none',
    });
    expect(searched.out).toEqual(cached.out);
    expect(cached.plans).toEqual([{ year: '2025', plan: 'cache', total: 246, candidates: 5 }]);
    expect(cached.lookup.pages).toBe(3);
    expect(cached.lookup.searches).toBe(0);
    expect(searched.plans).toEqual([{ year: '2025', plan: 'search', total: null, candidates: 5 }]);
    // Section search first; searchable IDs only when no section matched (33333, 44444, 55555).
    expect(searched.lookup.searches).toBe(8);
  });

  it('auto: lists the year only when that costs no more calls than searching', async () => {
    const few = new CopyCourseLookup(alma(), { mode: 'auto', concurrency: 3, signal: new AbortController().signal, log: captureLog() });
    expect(await few.prepare(new Map([['2025', new Set(['11111'])]]))).toEqual([{ year: '2025', plan: 'search', total: 246, candidates: 1 }]);
    expect(few.pages).toBe(1);
    const many = new CopyCourseLookup(alma(), { mode: 'auto', concurrency: 3, signal: new AbortController().signal, log: captureLog() });
    expect((await many.prepare(new Map([['2025', new Set(['1', '2'])]])))[0]!.plan).toBe('cache');
    expect(many.pages).toBe(3);
  });

  it('a year without courses is simply empty (the original crashed)', async () => {
    const lookup = new CopyCourseLookup(alma(), { mode: 'always', concurrency: 3, signal: new AbortController().signal, log: captureLog() });
    await lookup.prepare(new Map([['2019', new Set(['11111'])]]));
    expect(await lookup.match('11111', '2019')).toEqual({ kind: 'none' });
  });

  it('a failed page fails the lookup instead of being swallowed', async () => {
    sb.injectFault({ kind: 'badjson', route: 'GET /courses', times: 1, skip: 1 });
    const lookup = new CopyCourseLookup(alma(), { mode: 'always', concurrency: 3, signal: new AbortController().signal, log: captureLog() });
    const err = await caught(() => lookup.prepare(byYear));
    expect(err.code).toBe('HTTP_BAD_RESPONSE');
  });

  it('asks for reading lists once per course', async () => {
    const lookup = new CopyCourseLookup(alma(), { mode: 'never', concurrency: 3, signal: new AbortController().signal, log: captureLog() });
    expect(await Promise.all([lookup.hasReadingLists('c1'), lookup.hasReadingLists('c1'), lookup.hasReadingLists('c2')])).toEqual([true, true, false]);
    expect(lookup.readingListChecks).toBe(2);
    expect(sb.calls['GET /courses/{id}/reading-lists']).toBe(2);
  });
});
