import pLimit from 'p-limit';
import type { HttpClient, HttpResponse } from '../adapter-types.js';
import { SisrelayError, isSisrelayError } from '../../errors/sisrelay-error.js';
import { responseBodyOf } from '../http/http-client.js';

/**
 * The Alma courses API over an HttpClient built by the caller from the `alma` connection:
 * base URL = the API gateway (https://api-na.hosted.exlibrisgroup.com), and the key passed as
 * `headers: { authorization: 'apikey <key>' }` in HttpClientOptions. This client never puts the
 * key in a URL (Alma also accepts `?apikey=`, which lands in every access log and error).
 * The 25 calls/second limit and the in-flight bound are the HttpClient's `ratePerSecond` and
 * `concurrency`; 429/5xx retries are its job too.
 *
 * Quota: every answer's `X-Exl-Api-Remaining` is remembered; once it is below `minRemaining`
 * the next call throws ALMA_QUOTA_LOW without being sent, so a run stops before it eats the
 * calls other integrations need today. Alma's own DAILY_THRESHOLD answer maps to the same code.
 *
 * Alma error bodies (`errorsExist`/`errorList`) become ALMA_ERROR with errorCode/errorMessage/
 * trackingId in details (4xx; or a 2xx that still says errorsExist). 429s and 5xx keep the
 * HttpClient's transient codes, with Alma's errorCode added to details when there is one.
 */

export interface AlmaClientOptions {
  /** Stop before X-Exl-Api-Remaining falls below this. */
  minRemaining: number;
  /** Courses per list page (Alma's maximum, 100, by default). */
  pageSize?: number;
  /** List pages requested at once by listCoursesByYear (default 4; the HttpClient bounds it further). */
  pageConcurrency?: number;
}

export interface AlmaCourseRecord {
  id: string;
  code: string;
  name: string;
  section: string;
  year: string;
  searchable_id?: string[];
  status?: string;
  link?: string;
  /** Only with courseById(id, { full: true }); see readingListsOf. */
  reading_lists?: unknown;
  [key: string]: unknown;
}

export interface AlmaReadingListRecord {
  id: string;
  code: string;
  name: string;
  [key: string]: unknown;
}

export interface AlmaSearchOptions {
  /** `field~value` terms joined by ` AND ` (see almaQuery). */
  q: string;
  /** exact_search=true: each term must match the whole field value, not just contain it. */
  exact?: boolean;
  limit?: number;
  offset?: number;
  /** ACTIVE, INACTIVE or ALL (Alma's default). */
  status?: 'ACTIVE' | 'INACTIVE' | 'ALL';
}

export interface AlmaSearchResult {
  total: number;
  courses: AlmaCourseRecord[];
}

export interface AlmaErrorEntry {
  errorCode: string;
  errorMessage: string;
  trackingId?: string;
}

const COURSES = 'almaws/v1/courses';
export const ALMA_MAX_PAGE = 100;

/** Build a `q` value: almaQuery(['section', '12345'], ['year', 2024]) → "section~12345 AND year~2024". */
export function almaQuery(...terms: Array<[field: string, value: string | number]>): string {
  return terms
    .map(([field, value]) => {
      const v = String(value);
      // Alma's brief search has no escaping: these would silently become other terms.
      if (v.includes(' AND ') || v.includes(' OR ') || v.includes('~')) {
        throw new SisrelayError('DATA_INVALID', `Alma search value for ${field} cannot contain " AND ", " OR " or "~": ${JSON.stringify(v)}`);
      }
      return `${field}~${v}`;
    })
    .join(' AND ');
}

export class AlmaClient {
  readonly #http: HttpClient;
  readonly #minRemaining: number;
  readonly #pageSize: number;
  readonly #pageConcurrency: number;
  #calls = 0;
  #remaining: number | null = null;

  constructor(http: HttpClient, opts: AlmaClientOptions) {
    if (!Number.isInteger(opts.minRemaining) || opts.minRemaining < 0) {
      throw new RangeError(`AlmaClient: minRemaining must be an integer >= 0, got ${String(opts.minRemaining)}`);
    }
    const pageSize = opts.pageSize ?? ALMA_MAX_PAGE;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > ALMA_MAX_PAGE) {
      throw new RangeError(`AlmaClient: pageSize must be an integer from 1 to ${ALMA_MAX_PAGE}, got ${String(pageSize)}`);
    }
    this.#http = http;
    this.#minRemaining = opts.minRemaining;
    this.#pageSize = pageSize;
    this.#pageConcurrency = checkConcurrency(opts.pageConcurrency ?? 4);
  }

  /** Calls sent by this client (retries inside the HttpClient not counted). */
  get callCount(): number {
    return this.#calls;
  }

  /** The last X-Exl-Api-Remaining seen, or null before the first answer. */
  get remaining(): number | null {
    return this.#remaining;
  }

  async searchCourses(opts: AlmaSearchOptions): Promise<AlmaSearchResult> {
    const limit = opts.limit ?? 10;
    if (!Number.isInteger(limit) || limit < 0 || limit > ALMA_MAX_PAGE) throw new RangeError(`Alma searchCourses: limit must be 0-${ALMA_MAX_PAGE}, got ${String(limit)}`);
    const query: Record<string, string | number> = { q: opts.q, limit, offset: opts.offset ?? 0 };
    if (opts.exact) query.exact_search = 'true';
    if (opts.status) query.status = opts.status;
    const body = await this.#send('GET', COURSES, query);
    if (!isObject(body) || typeof body.total_record_count !== 'number') {
      throw shapeError('GET /courses', 'an object with a numeric total_record_count', body);
    }
    // Alma leaves `course` out when the page is empty.
    const courses = listOf(body.course);
    if (!courses.every(isCourse)) throw shapeError('GET /courses', 'courses with id and code', body.course);
    return { total: body.total_record_count, courses };
  }

  /**
   * Every course of a year: one page to learn total_record_count, then the remaining pages
   * concurrently. A failed page fails the whole listing (after in-flight pages settle); no page
   * is skipped silently. A year without courses gives [].
   */
  async listCoursesByYear(year: string | number, opts: { pageConcurrency?: number; exact?: boolean } = {}): Promise<AlmaCourseRecord[]> {
    const q = almaQuery(['year', year]);
    const exact = opts.exact ?? true;
    const first = await this.searchCourses({ q, exact, limit: this.#pageSize, offset: 0 });
    const offsets: number[] = [];
    for (let o = this.#pageSize; o < first.total; o += this.#pageSize) offsets.push(o);

    const limit = pLimit(checkConcurrency(opts.pageConcurrency ?? this.#pageConcurrency));
    const pages: AlmaCourseRecord[][] = new Array<AlmaCourseRecord[]>(offsets.length);
    let failure: unknown;
    let failed = false;
    await Promise.all(
      offsets.map((offset, i) =>
        limit(async () => {
          if (failed) return;
          try {
            pages[i] = (await this.searchCourses({ q, exact, limit: this.#pageSize, offset })).courses;
          } catch (err) {
            if (!failed) {
              failed = true;
              failure = err;
            }
          }
        }),
      ),
    );
    if (failed) throw failure;

    // Courses added or removed while paging shift later pages; never return one course twice.
    const seen = new Set<string>();
    const out: AlmaCourseRecord[] = [];
    for (const c of [first.courses, ...pages].flat()) {
      if (seen.has(c.id)) continue;
      seen.add(c.id);
      out.push(c);
    }
    return out;
  }

  async courseById(id: string, opts: { full?: boolean } = {}): Promise<AlmaCourseRecord> {
    const body = await this.#send('GET', `${COURSES}/${encodeURIComponent(id)}`, opts.full ? { view: 'full' } : {});
    if (!isCourse(body)) throw shapeError('GET /courses/{id}', 'a course with id and code', body);
    return body;
  }

  async readingLists(courseId: string): Promise<AlmaReadingListRecord[]> {
    const body = await this.#send('GET', `${COURSES}/${encodeURIComponent(courseId)}/reading-lists`, {});
    if (!isObject(body)) throw shapeError('GET /courses/{id}/reading-lists', 'an object', body);
    return listOf(body.reading_list) as AlmaReadingListRecord[];
  }

  async hasReadingLists(courseId: string): Promise<boolean> {
    return (await this.readingLists(courseId)).length > 0;
  }

  async deleteCourse(id: string): Promise<void> {
    await this.#send('DELETE', `${COURSES}/${encodeURIComponent(id)}`, {}, 'text');
  }

  async #send(method: 'GET' | 'DELETE', path: string, query: Record<string, string | number>, responseType: 'json' | 'text' = 'json'): Promise<unknown> {
    const route = `${method} ${path.replace(/^almaws\/v1/, '').replace(/\/courses\/[^/]+/, '/courses/{id}')}`;
    if (this.#remaining !== null && this.#remaining < this.#minRemaining) {
      throw new SisrelayError(
        'ALMA_QUOTA_LOW',
        `Alma reports ${this.#remaining} API calls left today (X-Exl-Api-Remaining), below the safety floor of ${this.#minRemaining} (minRemaining); not sending ${route} or any further Alma call this run`,
        { details: { remaining: this.#remaining, minRemaining: this.#minRemaining, route } },
      );
    }
    this.#calls++;
    let res: HttpResponse<unknown>;
    try {
      // GET and DELETE are both safe to repeat (a second DELETE of a gone course is an error, not damage).
      res = await this.#http.request<unknown>({ method, path, query, headers: { accept: 'application/json' }, responseType, idempotent: true });
    } catch (err) {
      throw mapError(err, route);
    }
    const remaining = res.headers.get('x-exl-api-remaining');
    if (remaining !== null && /^\d+$/.test(remaining.trim())) this.#remaining = Number(remaining.trim());
    const entries = errorEntries(res.body);
    if (entries.length > 0) throw almaError(route, res.status, entries);
    return res.body;
  }
}

/** The reading lists inside a `view=full` course, whatever shape Alma gave them ([] when absent). */
export function readingListsOf(course: AlmaCourseRecord): AlmaReadingListRecord[] {
  const rl = course.reading_lists;
  if (!isObject(rl)) return [];
  return listOf(rl.reading_list) as AlmaReadingListRecord[];
}

/** Alma's error entries from a body (object or JSON text); [] when it is not an error body. */
export function errorEntries(body: unknown): AlmaErrorEntry[] {
  let b = body;
  if (typeof b === 'string') {
    try {
      b = JSON.parse(b);
    } catch {
      return [];
    }
  }
  if (!isObject(b) || (b.errorsExist !== true && b.errorsExist !== 'true')) return [];
  const list = isObject(b.errorList) ? b.errorList.error : undefined;
  return listOf(list)
    .filter(isObject)
    .map((e) => ({
      errorCode: String(e.errorCode ?? ''),
      errorMessage: String(e.errorMessage ?? ''),
      ...(e.trackingId === undefined ? {} : { trackingId: String(e.trackingId) }),
    }));
}

function mapError(err: unknown, route: string): unknown {
  if (!isSisrelayError(err)) return err;
  const body = responseBodyOf(err);
  const entries = body === undefined ? [] : errorEntries(body);
  const first = entries[0];
  if (!first) return err;
  const status = typeof err.details?.status === 'number' ? err.details.status : null;
  if (first.errorCode === 'DAILY_THRESHOLD') {
    return new SisrelayError('ALMA_QUOTA_LOW', `Alma refused ${route}: the institution's daily API threshold is reached (DAILY_THRESHOLD)`, {
      cause: err,
      details: { status, route, errorCode: first.errorCode, trackingId: first.trackingId ?? null },
    });
  }
  if (err.code === 'HTTP_CLIENT_ERROR') return almaError(route, status, entries, err);
  // 429 PER_SECOND_THRESHOLD after the HttpClient's retries, 5xx with an Alma body: stay transient.
  return new SisrelayError(err.code, `${err.message} [Alma ${first.errorCode}]`, {
    transient: err.transient,
    cause: err,
    details: { ...(err.details ?? {}), errorCode: first.errorCode, errorMessage: first.errorMessage, trackingId: first.trackingId ?? null },
  });
}

function almaError(route: string, status: number | null, entries: AlmaErrorEntry[], cause?: unknown): SisrelayError {
  const first = entries[0]!;
  return new SisrelayError('ALMA_ERROR', `Alma ${route} answered${status === null ? '' : ` ${status}`} with error ${first.errorCode}: ${first.errorMessage}`, {
    cause,
    details: { status, route, errorCode: first.errorCode, errorMessage: first.errorMessage, trackingId: first.trackingId ?? null, errors: entries.length },
  });
}

function listOf(v: unknown): unknown[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isCourse(v: unknown): v is AlmaCourseRecord {
  return isObject(v) && typeof v.id === 'string' && typeof v.code === 'string';
}

function checkConcurrency(n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`AlmaClient: pageConcurrency must be an integer >= 1, got ${String(n)}`);
  return n;
}

function shapeError(route: string, expected: string, got: unknown): SisrelayError {
  const found = got === null ? 'null' : Array.isArray(got) ? `a list of ${got.length}` : typeof got;
  return new SisrelayError('HTTP_BAD_RESPONSE', `Alma ${route} answered with ${found}; expected ${expected}`, { details: { route } });
}
