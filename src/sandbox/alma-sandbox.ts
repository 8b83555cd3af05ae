import type http from 'node:http';
import { randomBytes } from 'node:crypto';
import {
  resetConnection,
  sendJson,
  sendText,
  sleep,
  startSandboxServer,
  takeFault,
  type FaultBase,
  type SandboxServer,
} from './sandbox-server.js';

/**
 * A stand-in for the Ex Libris Alma courses API (`/almaws/v1/courses...`), for tests and the demo.
 *
 * Behaviour taken from the Alma developer documentation and recorded client fixtures:
 * - auth by `Authorization: apikey <key>` or the `apikey` query parameter (both accepted, as the
 *   real gateway does; the request log records which one a client used);
 * - `q` is `field~value` terms joined by ` AND `; `~` is "contains" unless `exact_search=true`,
 *   which makes each term match the whole field value (a search for code 2018Fall-X-SDO598-92898
 *   finds 2018Fall-X-SDO598-92898-3964 without it, and only the exact code with it);
 * - `limit` 0–100 (default 10), `offset`; answers carry `total_record_count`, and JSON leaves the
 *   `course` key out entirely when the page is empty;
 * - every answer carries `X-Exl-Api-Remaining` (calls left today);
 * - more than `perSecondLimit` calls within one second → 429 with errorCode PER_SECOND_THRESHOLD
 *   ("HTTP requests are more than allowed per second"); quota exhausted → 429 with DAILY_THRESHOLD;
 * - errors are `{"errorsExist":true,"errorList":{"error":[{errorCode,errorMessage,trackingId}]},"result":null}`.
 *
 * Sandbox choices (not verified against Alma, so clients must not depend on them): a missing or
 * wrong key answers 401 UNAUTHORIZED / 400 INVALID_REQUEST; an unknown course id answers 400 with
 * errorCode 401006; malformed `q`/`limit` answer 400 GENERAL_ERROR. The sandbox matches `~` as a
 * case-insensitive substring (Alma's brief search matches words, which is stricter but agrees for
 * whole-word and code-prefix searches) and `exact_search` as case-insensitive equality.
 *
 * Only JSON is served (`format=json` or `Accept: application/json`); an XML request gets a 400
 * with an XML error body saying so.
 */

export interface AlmaReadingList {
  id: string;
  code: string;
  name: string;
  status?: string;
}

export interface AlmaCourse {
  id: string;
  code: string;
  name: string;
  section: string;
  year: string;
  searchable_id?: string[];
  status?: 'ACTIVE' | 'INACTIVE';
  academic_department?: string;
  processing_department?: string;
  term?: string[];
  start_date?: string;
  end_date?: string;
  instructor?: string[];
  reading_lists?: AlmaReadingList[];
}

export type AlmaRoute = 'GET /courses' | 'GET /courses/{id}' | 'GET /courses/{id}/reading-lists' | 'DELETE /courses/{id}';

export interface AlmaFault extends FaultBase {
  kind: 'http500' | 'http503' | 'http429' | 'hang' | 'reset' | 'badjson';
  route?: AlmaRoute;
  courseId?: string;
  /** Sent as Retry-After on http429/http503. */
  retryAfterSeconds?: number;
}

export interface AlmaRequestLogEntry {
  seq: number;
  method: string;
  path: string;
  /** Raw query string with any apikey value replaced by `***`. */
  query: string;
  route: AlmaRoute | null;
  /** Where the API key came from. A careful client uses only the header. */
  keyLocation: 'header' | 'query' | 'both' | 'none';
  /** The configured key (or its URL-encoded form) appeared anywhere in the raw request URL. */
  keyInUrl: boolean;
  status: number | null;
  /** errorCode of an Alma error answer, if any. */
  errorCode: string | null;
  fault: AlmaFault['kind'] | null;
}

export interface AlmaSandboxOptions {
  apiKey: string;
  courses: AlmaCourse[];
  latencyMs?: number;
  /** Calls allowed in any one-second window (default 25, Alma's per-institution threshold; 0 = no limit). */
  perSecondLimit?: number;
  /** Calls allowed "today" (default 100,000). */
  dailyQuota?: number;
  host?: string;
  port?: number;
  /** Milliseconds clock for the per-second window (tests). */
  now?: () => number;
}

export interface AlmaSandbox {
  /** Base URL with trailing slash (what an `alma` connection's `url` would hold). */
  readonly url: string;
  /** Live course list (DELETE removes from it). */
  readonly courses: AlmaCourse[];
  /** Requests per route (every routed request, throttled and faulted ones included). */
  readonly calls: Record<string, number>;
  readonly requestLog: AlmaRequestLogEntry[];
  totalCalls(): number;
  /** Most requests that arrived within any one-second window. */
  peakPerSecond(): number;
  /** What the next X-Exl-Api-Remaining header would start from. */
  remaining(): number;
  setRemaining(n: number): void;
  maxInFlight(): number;
  injectFault(fault: AlmaFault): void;
  clearFaults(): void;
  setLatency(ms: number): void;
  resetStats(): void;
  close(): Promise<void>;
}

const BASE = '/almaws/v1/courses';
const WINDOW_MS = 1000;
const SEARCH_FIELDS = new Set(['code', 'section', 'year', 'searchable_ids', 'name', 'all']);

interface AlmaFailure {
  status: number;
  code: string;
  message: string;
}

export async function startAlmaSandbox(opts: AlmaSandboxOptions): Promise<AlmaSandbox> {
  const courses = opts.courses;
  const perSecond = opts.perSecondLimit ?? 25;
  const now = opts.now ?? (() => Date.now());
  const faults: AlmaFault[] = [];
  const calls: Record<string, number> = {};
  const requestLog: AlmaRequestLogEntry[] = [];
  const window: number[] = [];
  let remaining = opts.dailyQuota ?? 100_000;
  let latencyMs = opts.latencyMs ?? 0;
  let peak = 0;
  let total = 0;
  let seq = 0;
  let server: SandboxServer | undefined;

  const handler = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const rawUrl = req.url ?? '/';
    const u = new URL(rawUrl, 'http://sandbox.invalid');
    const path = u.pathname.replace(/\/+$/, '');
    const method = req.method ?? 'GET';
    const routed = route(method, path);
    const headerKey = apikeyFromHeader(req.headers.authorization);
    const queryKey = u.searchParams.get('apikey');
    const entry: AlmaRequestLogEntry = {
      seq: ++seq,
      method,
      path: u.pathname,
      query: u.search.slice(1).replace(/(^|&)(apikey=)[^&]*/gi, '$1$2***'),
      route: routed?.route ?? null,
      keyLocation: headerKey !== null && queryKey !== null ? 'both' : headerKey !== null ? 'header' : queryKey !== null ? 'query' : 'none',
      keyInUrl: opts.apiKey.length > 0 && (rawUrl.includes(opts.apiKey) || rawUrl.includes(encodeURIComponent(opts.apiKey))),
      status: null,
      errorCode: null,
      fault: null,
    };
    requestLog.push(entry);
    const json = u.searchParams.get('format') === 'json' || (req.headers.accept ?? '').toLowerCase().includes('application/json');

    // Every answer carries the quota left, as Alma's gateway does.
    const withRemaining = (headers: Record<string, string> = {}): Record<string, string> => ({ 'x-exl-api-remaining': String(remaining), ...headers });
    const fail = (f: AlmaFailure, headers: Record<string, string> = {}): void => {
      entry.status = f.status;
      entry.errorCode = f.code;
      const trackingId = `E01-${new Date().toISOString().slice(0, 10).replace(/-/g, '')}-${randomBytes(6).toString('hex').toUpperCase()}`;
      const common = withRemaining(headers);
      if (json) {
        sendJson(res, f.status, { errorsExist: true, errorList: { error: [{ errorCode: f.code, errorMessage: f.message, trackingId }] }, result: null }, common);
      } else {
        sendText(
          res,
          f.status,
          `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<web_service_result xmlns="http://com/exlibris/urm/general/xmlbeans"><errorsExist>true</errorsExist>` +
            `<errorList><error><errorCode>${xmlEscape(f.code)}</errorCode><errorMessage>${xmlEscape(f.message)}</errorMessage>` +
            `<trackingId>${trackingId}</trackingId></error></errorList></web_service_result>`,
          'application/xml;charset=UTF-8',
          common,
        );
      }
    };

    if (!routed) {
      fail({ status: 404, code: 'GENERAL_ERROR', message: `No API at ${method} ${u.pathname}` });
      return;
    }
    calls[routed.route] = (calls[routed.route] ?? 0) + 1;
    total++;
    // The per-second window is judged on arrival, before any latency, as a gateway would.
    const t = now();
    while (window.length > 0 && window[0]! <= t - WINDOW_MS) window.shift();
    window.push(t);
    peak = Math.max(peak, window.length);
    const overPerSecond = perSecond > 0 && window.length > perSecond;

    await sleep(latencyMs);

    const fault = takeFault(faults, (f) => (f.route === undefined || f.route === routed.route) && (f.courseId === undefined || f.courseId === routed.id));
    if (fault) {
      entry.fault = fault.kind;
      const retryAfter: Record<string, string> = fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) };
      switch (fault.kind) {
        case 'hang':
          return;
        case 'reset':
          resetConnection(req);
          return;
        case 'http500':
          entry.status = 500;
          sendText(res, 500, '<html><body>Internal Server Error</body></html>', 'text/html', withRemaining());
          return;
        case 'http503':
          entry.status = 503;
          sendText(res, 503, '<html><body>Service Unavailable</body></html>', 'text/html', withRemaining(retryAfter));
          return;
        case 'http429':
          fail({ status: 429, code: 'PER_SECOND_THRESHOLD', message: 'HTTP requests are more than allowed per second' }, retryAfter);
          return;
        case 'badjson':
          entry.status = 200;
          sendText(res, 200, '{"total_record_count": 3, "course": [', 'application/json', withRemaining());
          return;
      }
    }

    if (headerKey === null && queryKey === null) {
      fail({ status: 401, code: 'UNAUTHORIZED', message: 'API-key not defined or not configured to allow this API.' });
      return;
    }
    if ((headerKey ?? queryKey) !== opts.apiKey || (queryKey !== null && queryKey !== opts.apiKey)) {
      fail({ status: 400, code: 'INVALID_REQUEST', message: 'Invalid API Key' });
      return;
    }
    if (!json) {
      fail({ status: 400, code: 'GENERAL_ERROR', message: 'The sisrelay Alma sandbox serves JSON only: send format=json or Accept: application/json' });
      return;
    }
    if (overPerSecond) {
      fail({ status: 429, code: 'PER_SECOND_THRESHOLD', message: 'HTTP requests are more than allowed per second' });
      return;
    }
    if (remaining <= 0) {
      fail({
        status: 429,
        code: 'DAILY_THRESHOLD',
        message: 'Daily API Request Threshold has been reached. For details see: https://developers.exlibrisgroup.com/alma/apis/#threshold',
      });
      return;
    }
    remaining--;

    const result = handle(routed, u.searchParams);
    if ('failure' in result) {
      fail(result.failure);
      return;
    }
    entry.status = result.status;
    if (result.status === 204) res.writeHead(204, withRemaining()).end();
    else sendJson(res, result.status, result.body, withRemaining());
  };

  type Result = { status: number; body?: unknown } | { failure: AlmaFailure };

  function handle(r: { route: AlmaRoute; id?: string }, sp: URLSearchParams): Result {
    switch (r.route) {
      case 'GET /courses':
        return list(sp);
      case 'GET /courses/{id}': {
        const c = find(r.id!);
        if (!c) return notFound(r.id!);
        return { status: 200, body: courseJson(c, sp.get('view') === 'full') };
      }
      case 'GET /courses/{id}/reading-lists': {
        const c = find(r.id!);
        if (!c) return notFound(r.id!);
        const lists = c.reading_lists ?? [];
        return { status: 200, body: lists.length === 0 ? {} : { reading_list: lists.map((l) => readingListJson(c, l)) } };
      }
      case 'DELETE /courses/{id}': {
        const i = courses.findIndex((c) => c.id === r.id);
        if (i < 0) return notFound(r.id!);
        courses.splice(i, 1);
        return { status: 204 };
      }
    }
  }

  function list(sp: URLSearchParams): Result {
    const limitText = sp.get('limit') ?? '10';
    const offsetText = sp.get('offset') ?? '0';
    if (!/^\d+$/.test(limitText) || Number(limitText) > 100) {
      return { failure: { status: 400, code: 'GENERAL_ERROR', message: `limit must be an integer from 0 to 100, got "${limitText}"` } };
    }
    if (!/^\d+$/.test(offsetText)) {
      return { failure: { status: 400, code: 'GENERAL_ERROR', message: `offset must be a non-negative integer, got "${offsetText}"` } };
    }
    const exact = (sp.get('exact_search') ?? '').toLowerCase() === 'true';
    const terms: Array<{ field: string; value: string }> = [];
    const q = (sp.get('q') ?? '').trim();
    if (q !== '') {
      for (const term of q.split(' AND ')) {
        const i = term.indexOf('~');
        const field = i < 0 ? '' : term.slice(0, i).trim().toLowerCase();
        if (i < 0 || !SEARCH_FIELDS.has(field)) {
          return { failure: { status: 400, code: 'GENERAL_ERROR', message: `Illegal search query term "${term}": expected field~value with a field among ${[...SEARCH_FIELDS].join(', ')}` } };
        }
        terms.push({ field, value: term.slice(i + 1).trim() });
      }
    }
    const status = (sp.get('status') ?? 'ALL').toUpperCase();
    const direction = (sp.get('direction') ?? 'ASC').toUpperCase() === 'DESC' ? -1 : 1;
    const orderBy = sp.get('order_by') ?? 'code';
    const hits = courses
      .filter((c) => status === 'ALL' || (c.status ?? 'ACTIVE') === status)
      .filter((c) => terms.every((t) => fieldValues(c, t.field).some((v) => (exact ? eq(v, t.value) : contains(v, t.value)))))
      // Code-unit order, not localeCompare: Intl collation made a 15,000-course page sort stall
      // this server's event loop for most of a second, which showed up as bunched arrivals.
      .sort((a, b) => direction * (cmp(sortKey(a, orderBy), sortKey(b, orderBy)) || cmp(a.id, b.id)));
    const offset = Number(offsetText);
    const page = hits.slice(offset, offset + Number(limitText));
    const body: Record<string, unknown> = {};
    if (page.length > 0) body.course = page.map((c) => courseJson(c, false));
    body.total_record_count = hits.length;
    return { status: 200, body };
  }

  function find(id: string): AlmaCourse | undefined {
    return courses.find((c) => c.id === id);
  }

  function notFound(id: string): Result {
    return { failure: { status: 400, code: '401006', message: `Course with ID ${id} not found.` } };
  }

  function courseJson(c: AlmaCourse, full: boolean): Record<string, unknown> {
    const out: Record<string, unknown> = {
      id: c.id,
      code: c.code,
      name: c.name,
      section: c.section,
      academic_department: { value: c.academic_department ?? '', desc: c.academic_department ?? '' },
      processing_department: { value: c.processing_department ?? 'COURSE_UNIT', desc: c.processing_department ?? 'COURSE_UNIT' },
      term: (c.term ?? []).map((t) => ({ value: t, desc: t })),
      status: c.status ?? 'ACTIVE',
      visibility: 'FULL',
      start_date: c.start_date ?? `${c.year}-01-01Z`,
      end_date: c.end_date ?? `${c.year}-12-31Z`,
      weekly_hours: 0,
      participants: 0,
      year: c.year,
      instructor: (c.instructor ?? []).map((primary_id) => ({ primary_id })),
      campus: [],
      searchable_id: c.searchable_id ?? [],
      note: [],
      link: `${server!.url}almaws/v1/courses/${encodeURIComponent(c.id)}`,
    };
    const lists = c.reading_lists ?? [];
    // Alma's JSON omits empty collections; a client must treat "absent" as "none".
    if (full && lists.length > 0) out.reading_lists = { reading_list: lists.map((l) => readingListJson(c, l)) };
    return out;
  }

  function readingListJson(c: AlmaCourse, l: AlmaReadingList): Record<string, unknown> {
    return {
      id: l.id,
      code: l.code,
      name: l.name,
      status: { value: l.status ?? 'Complete', desc: l.status ?? 'Complete' },
      visibility: { value: 'RESTRICTED', desc: 'Restricted' },
      link: `${server!.url}almaws/v1/courses/${encodeURIComponent(c.id)}/reading-lists/${encodeURIComponent(l.id)}`,
    };
  }

  server = await startSandboxServer(handler, { host: opts.host, port: opts.port });

  return {
    url: server.url,
    courses,
    calls,
    requestLog,
    totalCalls: () => total,
    peakPerSecond: () => peak,
    remaining: () => remaining,
    setRemaining: (n) => {
      remaining = n;
    },
    maxInFlight: () => server!.maxInFlight(),
    injectFault: (f) => {
      faults.push({ ...f });
    },
    clearFaults: () => {
      faults.length = 0;
    },
    setLatency: (ms) => {
      latencyMs = ms;
    },
    resetStats: () => {
      for (const k of Object.keys(calls)) delete calls[k];
      requestLog.length = 0;
      window.length = 0;
      peak = 0;
      total = 0;
      server!.resetMaxInFlight();
    },
    close: () => server!.close(),
  };
}

function route(method: string, path: string): { route: AlmaRoute; id?: string } | null {
  if (path === BASE) return method === 'GET' ? { route: 'GET /courses' } : null;
  if (!path.startsWith(`${BASE}/`)) return null;
  const rest = path.slice(BASE.length + 1).split('/');
  const id = safeDecode(rest[0] ?? '');
  if (id === '') return null;
  if (rest.length === 1) {
    if (method === 'GET') return { route: 'GET /courses/{id}', id };
    if (method === 'DELETE') return { route: 'DELETE /courses/{id}', id };
    return null;
  }
  if (rest.length === 2 && rest[1] === 'reading-lists' && method === 'GET') return { route: 'GET /courses/{id}/reading-lists', id };
  return null;
}

function apikeyFromHeader(h: string | undefined): string | null {
  if (h === undefined) return null;
  const m = /^apikey\s+(.+)$/i.exec(h.trim());
  return m ? m[1]!.trim() : null;
}

function fieldValues(c: AlmaCourse, field: string): string[] {
  switch (field) {
    case 'code':
      return [c.code];
    case 'section':
      return [c.section];
    case 'year':
      return [c.year];
    case 'name':
      return [c.name];
    case 'searchable_ids':
      return c.searchable_id ?? [];
    default:
      return [c.code, c.name, c.section, ...(c.searchable_id ?? [])];
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortKey(c: AlmaCourse, orderBy: string): string {
  switch (orderBy) {
    case 'name':
      return c.name;
    case 'section':
      return c.section;
    case 'year':
      return c.year;
    default:
      return c.code;
  }
}

const contains = (field: string, value: string): boolean => field.toLowerCase().includes(value.toLowerCase());
const eq = (field: string, value: string): boolean => field.toLowerCase() === value.toLowerCase();

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
