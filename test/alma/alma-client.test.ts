import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { HttpClient, HttpClientOptions } from '../../src/adapters/adapter-types.js';
import { AlmaClient, almaQuery, readingListsOf, type AlmaClientOptions } from '../../src/adapters/alma/alma-client.js';
import { createHttpClient } from '../../src/adapters/http/http-client.js';
import { isSisrelayError, type SisrelayError } from '../../src/errors/sisrelay-error.js';
import { startAlmaSandbox, type AlmaCourse, type AlmaSandbox } from '../../src/sandbox/alma-sandbox.js';

/** AlmaClient over the real HttpClient against the Alma sandbox on loopback (no fetch mocks). */

const KEY = 'l8xx0123456789abcdef0123456789abcdef';
const YEAR_SIZE = 1_050;

function seed(): AlmaCourse[] {
  const out: AlmaCourse[] = [];
  for (let i = 0; i < YEAR_SIZE; i++) {
    const sln = String(70000 + i);
    out.push({ id: `99${sln}`, code: `2024Fall-T-C${sln}`, name: `Course ${i}`, section: sln, year: '2024', searchable_id: [sln] });
  }
  for (let i = 0; i < 30; i++) out.push({ id: `88${i}`, code: `2023Fall-T-D${i}`, name: `Old ${i}`, section: String(60000 + i), year: '2023' });
  out.push({ id: '5001', code: '2024Spring-X-LIT200-33333', name: 'Literature', section: '33333', year: '2024', reading_lists: [{ id: 'L9', code: 'LIT', name: 'Lit list' }] });
  out.push({ id: '5002', code: '2024Spring-X-LIT200-33333-1', name: 'Literature lab', section: '33334', year: '2024' });
  return out;
}

let sb: AlmaSandbox;
const courses: AlmaCourse[] = [];

beforeAll(async () => {
  courses.push(...seed());
  sb = await startAlmaSandbox({ apiKey: KEY, courses, perSecondLimit: 25 });
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

function http(overrides: Partial<HttpClientOptions> = {}): HttpClient {
  return createHttpClient({
    name: 'alma-test',
    baseUrl: sb.url,
    timeoutMs: 5_000,
    concurrency: 5,
    ratePerSecond: 25,
    retries: 2,
    retryDelayMs: 10,
    headers: { authorization: `apikey ${KEY}` },
    redact: (s) => s.split(KEY).join('[REDACTED]'),
    ...overrides,
  });
}

function client(opts: Partial<AlmaClientOptions> = {}, h: HttpClient = http()): AlmaClient {
  return new AlmaClient(h, { minRemaining: 0, ...opts });
}

async function caught(p: Promise<unknown>): Promise<SisrelayError> {
  try {
    await p;
  } catch (err) {
    if (isSisrelayError(err)) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

describe('AlmaClient: listing a year', () => {
  it('fetches 1,050 courses in 11 pages and returns each exactly once', async () => {
    const c = client();
    const list = await c.listCoursesByYear(2024);
    const ids = new Set(list.map((x) => x.id));
    expect(list).toHaveLength(YEAR_SIZE + 2);
    expect(ids.size).toBe(YEAR_SIZE + 2);
    expect(list.every((x) => x.year === '2024')).toBe(true);
    expect(sb.calls['GET /courses']).toBe(11);
    expect(c.callCount).toBe(11);
    expect(sb.requestLog.every((e) => /exact_search=true/.test(e.query) && /limit=100/.test(e.query))).toBe(true);
    expect(sb.maxInFlight()).toBeLessThanOrEqual(4);
  });

  it('a year without courses is [] after one call', async () => {
    const c = client();
    expect(await c.listCoursesByYear(1999)).toEqual([]);
    expect(c.callCount).toBe(1);
  });

  it('a failed page fails the listing instead of being skipped', async () => {
    sb.injectFault({ kind: 'http500', route: 'GET /courses', skip: 3, times: 20 });
    const err = await caught(client({}, http({ retries: 1 })).listCoursesByYear(2024));
    expect(err.code).toBe('HTTP_SERVER_ERROR');
  });
});

describe('AlmaClient: the API key stays out of URLs', () => {
  it('sends the key only in the Authorization header', async () => {
    const c = client();
    await c.searchCourses({ q: almaQuery(['code', '2024Spring-X-LIT200-33333']), exact: true });
    await c.courseById('5001', { full: true });
    await c.readingLists('5001');
    expect(sb.requestLog).toHaveLength(3);
    for (const e of sb.requestLog) expect(e).toMatchObject({ keyLocation: 'header', keyInUrl: false, status: 200 });
  });
});

describe('AlmaClient: searching and reading lists', () => {
  it('exact search finds only the exact code; contains finds the longer one too', async () => {
    const c = client();
    const q = almaQuery(['code', '2024Spring-X-LIT200-33333']);
    expect((await c.searchCourses({ q })).courses.map((x) => x.id).sort()).toEqual(['5001', '5002']);
    const exact = await c.searchCourses({ q, exact: true });
    expect(exact).toMatchObject({ total: 1, courses: [{ id: '5001' }] });
    expect(await c.searchCourses({ q: almaQuery(['section', 'none'], ['year', 2024]) })).toEqual({ total: 0, courses: [] });
  });

  it('almaQuery refuses values that would turn into other terms', () => {
    expect(almaQuery(['section', '123'], ['year', 2024])).toBe('section~123 AND year~2024');
    expect(() => almaQuery(['code', 'A AND year~2020'])).toThrow(/cannot contain/);
  });

  it('tells courses with reading lists from those without', async () => {
    const c = client();
    expect(await c.hasReadingLists('5001')).toBe(true);
    expect(await c.hasReadingLists('5002')).toBe(false);
    const full = await c.courseById('5001', { full: true });
    expect(readingListsOf(full).map((l) => l.code)).toEqual(['LIT']);
    expect(readingListsOf(await c.courseById('5002', { full: true }))).toEqual([]);
  });

  it('deletes a course', async () => {
    await client().deleteCourse('5002');
    expect(courses.some((x) => x.id === '5002')).toBe(false);
  });
});

describe('AlmaClient: errors and limits', () => {
  it('an Alma error body becomes ALMA_ERROR with errorCode and errorMessage', async () => {
    const err = await caught(client().courseById('does-not-exist'));
    expect(err.code).toBe('ALMA_ERROR');
    expect(err.transient).toBe(false);
    expect(err.details).toMatchObject({ status: 400, errorCode: '401006', errorMessage: 'Course with ID does-not-exist not found.', route: 'GET /courses/{id}' });
    expect(err.details!.trackingId).toMatch(/^E01-/);
  });

  it('a wrong key is ALMA_ERROR and never appears in the error', async () => {
    const wrong = 'l8xxnotthekey000000000000000000000000';
    const h = http({ headers: { authorization: `apikey ${wrong}` } });
    const err = await caught(client({}, h).courseById('5001'));
    expect(err.code).toBe('ALMA_ERROR');
    expect(err.details).toMatchObject({ errorCode: 'INVALID_REQUEST' });
    expect(`${err.message} ${JSON.stringify(err.details)}`).not.toContain(wrong);
  });

  it('throws ALMA_QUOTA_LOW before the call that would go below the floor, without sending it', async () => {
    sb.setRemaining(12);
    const c = client({ minRemaining: 10 });
    await c.courseById('5001'); // header 11
    await c.courseById('5001'); // header 10: not below the floor yet
    await c.courseById('5001'); // header 9: answer used, but nothing more is sent
    expect(c.remaining).toBe(9);
    const err = await caught(c.courseById('5001'));
    expect(err.code).toBe('ALMA_QUOTA_LOW');
    expect(err.transient).toBe(false);
    expect(err.message).toContain('9');
    expect(err.message).toContain('10');
    expect(err.details).toMatchObject({ remaining: 9, minRemaining: 10 });
    expect(sb.totalCalls()).toBe(3);
  });

  it('stops a year listing part-way once the floor is crossed', async () => {
    sb.setRemaining(5);
    const c = client({ minRemaining: 3, pageConcurrency: 1 });
    const err = await caught(c.listCoursesByYear(2024));
    expect(err.code).toBe('ALMA_QUOTA_LOW');
    expect(err.details).toMatchObject({ remaining: 2, minRemaining: 3 });
    expect(sb.totalCalls()).toBe(3);
  });

  it("maps Alma's DAILY_THRESHOLD answer to ALMA_QUOTA_LOW", async () => {
    sb.setRemaining(0);
    const err = await caught(client({}, http({ retries: 0 })).courseById('5001'));
    expect(err.code).toBe('ALMA_QUOTA_LOW');
    expect(err.details).toMatchObject({ errorCode: 'DAILY_THRESHOLD' });
  });

  it('a 429 with Retry-After is retried by the HttpClient', async () => {
    sb.injectFault({ kind: 'http429', route: 'GET /courses/{id}', retryAfterSeconds: 1, times: 1 });
    const h = http();
    const course = await client({}, h).courseById('5001');
    expect(course.code).toBe('2024Spring-X-LIT200-33333');
    expect(sb.calls['GET /courses/{id}']).toBe(2);
    expect(h.stats().retries).toBe(1);
  });

  it('a 429 that outlasts the retries stays transient and names the Alma errorCode', async () => {
    sb.injectFault({ kind: 'http429', route: 'GET /courses/{id}', retryAfterSeconds: 0, times: 5 });
    const err = await caught(client({}, http({ retries: 1 })).courseById('5001'));
    expect(err.code).toBe('HTTP_RATE_LIMITED');
    expect(err.transient).toBe(true);
    expect(err.details).toMatchObject({ errorCode: 'PER_SECOND_THRESHOLD' });
  });

  it('garbage instead of JSON is HTTP_BAD_RESPONSE', async () => {
    sb.injectFault({ kind: 'badjson', route: 'GET /courses', times: 1 });
    expect((await caught(client().searchCourses({ q: 'year~2024' }))).code).toBe('HTTP_BAD_RESPONSE');
  });
});
