import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startAlmaSandbox, type AlmaCourse, type AlmaSandbox } from '../../src/sandbox/alma-sandbox.js';

/** The Alma sandbox on the wire (raw fetch): search semantics, paging, quota headers, thresholds. */

const KEY = 'l8xxa1b2c3d4e5f60718293a4b5c6d7e8f90';

function seed(): AlmaCourse[] {
  const courses: AlmaCourse[] = [
    { id: '9001', code: '2018Fall-X-SDO598-92898', name: 'Design Studio', section: '92898', year: '2018', searchable_id: ['92898'] },
    { id: '9002', code: '2018Fall-X-SDO598-92898-3964', name: 'Design Studio (combined)', section: '3964', year: '2018', searchable_id: ['92898', '3964'] },
    {
      id: '9003',
      code: '2018Fall-T-BIO100-11111',
      name: 'Biology',
      section: '11111',
      year: '2018',
      reading_lists: [{ id: 'RL1', code: 'BIO100-RL', name: 'Biology readings' }],
    },
  ];
  for (let i = 0; i < 25; i++) courses.push({ id: String(7000 + i), code: `2019Spring-T-ENG${String(i).padStart(3, '0')}`, name: `English ${i}`, section: String(20000 + i), year: '2019' });
  return courses;
}

let sb: AlmaSandbox;
const courses: AlmaCourse[] = [];

beforeAll(async () => {
  courses.push(...seed());
  sb = await startAlmaSandbox({ apiKey: KEY, courses, perSecondLimit: 0 });
});
afterAll(async () => {
  await sb.close();
});
beforeEach(() => {
  courses.length = 0;
  courses.push(...seed());
  sb.clearFaults();
  sb.resetStats();
  sb.setRemaining(100_000);
});

async function get(path: string, opts: { key?: string | null; accept?: string } = {}): Promise<{ status: number; headers: Headers; body: any; text: string }> {
  const headers: Record<string, string> = { accept: opts.accept ?? 'application/json' };
  if (opts.key !== null) headers.authorization = `apikey ${opts.key ?? KEY}`;
  const res = await fetch(new URL(path, sb.url), { headers });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, body, text };
}

const search = (q: string, extra = ''): Promise<{ status: number; headers: Headers; body: any; text: string }> =>
  get(`almaws/v1/courses?q=${encodeURIComponent(q)}${extra}`);

describe('Alma sandbox: searching', () => {
  it('"~" contains: a partial code matches the longer code unless exact_search=true', async () => {
    const loose = await search('code~2018Fall-X-SDO598-92898');
    expect(loose.body.total_record_count).toBe(2);
    expect(loose.body.course.map((c: { id: string }) => c.id).sort()).toEqual(['9001', '9002']);
    const exact = await search('code~2018Fall-X-SDO598-92898', '&exact_search=true');
    expect(exact.body.total_record_count).toBe(1);
    expect(exact.body.course[0].code).toBe('2018Fall-X-SDO598-92898');
  });

  it('ANDs terms and searches searchable_ids', async () => {
    const both = await search('searchable_ids~92898 AND year~2018');
    expect(both.body.total_record_count).toBe(2);
    const narrowed = await search('searchable_ids~3964 AND year~2018', '&exact_search=true');
    expect(narrowed.body.course.map((c: { id: string }) => c.id)).toEqual(['9002']);
    const otherYear = await search('section~92898 AND year~2019');
    expect(otherYear.body).toEqual({ total_record_count: 0 });
  });

  it('pages with limit/offset, reports total_record_count and omits course when a page is empty', async () => {
    const page = await search('year~2019', '&limit=10&offset=20');
    expect(page.body.total_record_count).toBe(25);
    expect(page.body.course).toHaveLength(5);
    const dflt = await search('year~2019');
    expect(dflt.body.course).toHaveLength(10);
    const countOnly = await search('year~2019', '&limit=0');
    expect(countOnly.body).toEqual({ total_record_count: 25 });
    const past = await search('year~2019', '&limit=10&offset=30');
    expect(past.body).toEqual({ total_record_count: 25 });
    const over = await search('year~2019', '&limit=101');
    expect(over.status).toBe(400);
    expect(over.body.errorList.error[0].errorCode).toBe('GENERAL_ERROR');
  });

  it('pages do not overlap and cover every match', async () => {
    const ids = new Set<string>();
    for (const offset of [0, 10, 20]) {
      for (const c of (await search('year~2019', `&limit=10&offset=${offset}`)).body.course) ids.add(c.id);
    }
    expect(ids.size).toBe(25);
  });
});

describe('Alma sandbox: single courses and reading lists', () => {
  it('view=full includes reading_lists; without it, none; a course without lists has none either way', async () => {
    const full = await get('almaws/v1/courses/9003?view=full');
    expect(full.body.reading_lists.reading_list).toEqual([expect.objectContaining({ id: 'RL1', code: 'BIO100-RL' })]);
    expect((await get('almaws/v1/courses/9003')).body).not.toHaveProperty('reading_lists');
    expect((await get('almaws/v1/courses/9001?view=full')).body).not.toHaveProperty('reading_lists');
  });

  it('GET /courses/{id}/reading-lists lists them, {} when none', async () => {
    expect((await get('almaws/v1/courses/9003/reading-lists')).body.reading_list).toHaveLength(1);
    expect((await get('almaws/v1/courses/9001/reading-lists')).body).toEqual({});
  });

  it('an unknown id is an Alma error body with status 400; DELETE removes a course', async () => {
    const missing = await get('almaws/v1/courses/nope');
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ errorsExist: true, errorList: { error: [{ errorCode: '401006' }] }, result: null });
    expect(missing.body.errorList.error[0].trackingId).toMatch(/^E01-/);
    const del = await fetch(new URL('almaws/v1/courses/9001', sb.url), { method: 'DELETE', headers: { authorization: `apikey ${KEY}`, accept: 'application/json' } });
    expect(del.status).toBe(204);
    expect(courses.map((c) => c.id)).not.toContain('9001');
    expect(sb.calls['DELETE /courses/{id}']).toBe(1);
  });
});

describe('Alma sandbox: keys, quota and thresholds', () => {
  it('accepts the key in the header or the query and records which', async () => {
    await get('almaws/v1/courses/9001');
    const viaQuery = await fetch(new URL(`almaws/v1/courses/9001?apikey=${KEY}&format=json`, sb.url));
    expect(viaQuery.status).toBe(200);
    expect(sb.requestLog.map((e) => [e.keyLocation, e.keyInUrl])).toEqual([
      ['header', false],
      ['query', true],
    ]);
    expect(sb.requestLog[1]!.query).toBe('apikey=***&format=json');
    expect(JSON.stringify(sb.requestLog)).not.toContain(KEY);
  });

  it('refuses a wrong or missing key with an Alma error body', async () => {
    const wrong = await get('almaws/v1/courses/9001', { key: 'l8xxwrong' });
    expect(wrong.status).toBe(400);
    expect(wrong.body.errorList.error[0]).toMatchObject({ errorCode: 'INVALID_REQUEST', errorMessage: 'Invalid API Key' });
    const none = await get('almaws/v1/courses/9001', { key: null });
    expect(none.status).toBe(401);
    expect(none.body.errorList.error[0].errorCode).toBe('UNAUTHORIZED');
  });

  it('serves JSON only: an XML request is a 400', async () => {
    const xml = await get('almaws/v1/courses/9001', { accept: 'application/xml' });
    expect(xml.status).toBe(400);
    expect(xml.text).toContain('<errorsExist>true</errorsExist>');
  });

  it('X-Exl-Api-Remaining goes down by one per call and DAILY_THRESHOLD answers when it is spent', async () => {
    sb.setRemaining(3);
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) seen.push((await get('almaws/v1/courses/9001')).headers.get('x-exl-api-remaining')!);
    expect(seen).toEqual(['2', '1', '0']);
    const spent = await get('almaws/v1/courses/9001');
    expect(spent.status).toBe(429);
    expect(spent.body.errorList.error[0].errorCode).toBe('DAILY_THRESHOLD');
    expect(spent.headers.get('x-exl-api-remaining')).toBe('0');
  });

  it('answers 429 PER_SECOND_THRESHOLD past the per-second limit', async () => {
    const frozen = await startAlmaSandbox({ apiKey: KEY, courses, perSecondLimit: 5, now: () => 42_000 });
    try {
      const statuses: number[] = [];
      const codes: string[] = [];
      for (let i = 0; i < 8; i++) {
        const res = await fetch(new URL('almaws/v1/courses/9001', frozen.url), { headers: { authorization: `apikey ${KEY}`, accept: 'application/json' } });
        statuses.push(res.status);
        const body = (await res.json()) as { errorList?: { error: Array<{ errorCode: string; errorMessage: string }> } };
        if (res.status === 429) codes.push(`${body.errorList!.error[0]!.errorCode}: ${body.errorList!.error[0]!.errorMessage}`);
      }
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
      expect(new Set(codes)).toEqual(new Set(['PER_SECOND_THRESHOLD: HTTP requests are more than allowed per second']));
      expect(frozen.peakPerSecond()).toBe(8);
      expect(frozen.remaining()).toBe(100_000 - 5);
    } finally {
      await frozen.close();
    }
  });

  it('injects 429 with Retry-After, 503 and garbage per route', async () => {
    sb.injectFault({ kind: 'http429', route: 'GET /courses/{id}', retryAfterSeconds: 7, times: 1 });
    const limited = await get('almaws/v1/courses/9001');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect((await get('almaws/v1/courses?q=year~2019')).status).toBe(200);
    sb.injectFault({ kind: 'badjson', route: 'GET /courses', times: 1 });
    expect((await get('almaws/v1/courses?q=year~2019')).body).toBeUndefined();
    expect(sb.calls).toEqual({ 'GET /courses/{id}': 1, 'GET /courses': 2 });
  });
});
