import pLimit from 'p-limit';
import type { HttpClient, HttpClientOptions, HttpRequest, HttpResponse, HttpStats } from '../adapter-types.js';
import type { ErrorCode } from '../../errors/error-codes.js';
import { SisrelayError, isSisrelayError } from '../../errors/sisrelay-error.js';
import { formatDuration } from '../../util/duration.js';
import { RateLimiter, StartCounter, systemClock, type Clock } from './rate-limiter.js';
import { maskUrl } from './safe-url.js';

/**
 * HTTP for the web-service adapters (Moodle, Alma) on Node's global fetch (undici).
 *
 * Each *attempt* takes a concurrency slot (p-limit) and then a start slot from the rate limiter,
 * so vendor limits (Alma: 25 calls/s) count retries too. Backoff waits happen outside the
 * concurrency slot so one struggling request does not starve the others.
 *
 * Retried (up to `retries` times, exponential backoff from `retryDelayMs`, capped at
 * `maxRetryDelayMs`):
 * - connection refused / host unreachable (nothing was sent), always;
 * - 429 and 503 (the service says "later", honouring Retry-After), always;
 * - connection reset mid-request, timeouts and other 5xx only when the request is idempotent,
 *   because the service may already have acted on it (a second POST could enrol twice).
 * Never retried: other 4xx (HTTP_CLIENT_ERROR), bodies that do not parse (HTTP_BAD_RESPONSE).
 *
 * Nothing secret reaches an error or `onRequest`: URLs are masked (credential-like query values)
 * and passed through `options.redact`; headers and request bodies are never quoted. A failed
 * answer's body is kept on the error's `cause` (an HttpResponseError, redacted, truncated) for the
 * calling adapter to inspect in-process; it is not in the message or details, because a vendor's
 * error body can quote student data and details end up in run records and alerts.
 */

export const DEFAULT_MAX_RETRY_DELAY_MS = 60_000;
/** How much of a failed answer's body is kept on HttpResponseError. */
export const ERROR_BODY_LIMIT = 4000;

/** The `cause` of an HTTP status or bad-body error: the answer as the adapter may need it. */
export class HttpResponseError extends Error {
  readonly status: number;
  /** Redacted and cut to ERROR_BODY_LIMIT characters. */
  readonly body: string;
  readonly contentType: string | null;

  constructor(status: number, statusText: string, body: string, contentType: string | null) {
    // The message is what folds into run-log stacks: status only, never the body.
    super(`HTTP ${status}${statusText ? ` ${statusText}` : ''}`);
    this.name = 'HttpResponseError';
    this.status = status;
    this.body = body;
    this.contentType = contentType;
  }
}

/** The (redacted, truncated) body of the failed answer behind an HTTP error, if there was one. */
export function responseBodyOf(err: unknown): string | undefined {
  let cur: unknown = err;
  for (let depth = 0; cur instanceof Error && depth < 5; depth++) {
    if (cur instanceof HttpResponseError) return cur.body;
    cur = cur.cause;
  }
  return undefined;
}

/** Retry-After as milliseconds from `nowMs`: delta-seconds or an HTTP-date; undefined if absent/garbled. */
export function parseRetryAfter(value: string | null | undefined, nowMs: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** Join a request path to the base URL (appending, not replacing the base path) and add the query. */
export function buildUrl(baseUrl: string, path: string, query?: HttpRequest['query']): URL {
  const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(path)
    ? new URL(path)
    : new URL(path.replace(/^\/+/, ''), baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v !== undefined) url.searchParams.append(k, String(v));
  }
  return url;
}

/** Connection failures that happen before a byte of the request could reach the service. */
const CONNECT_PHASE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

const CONNECTION_WORDS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by the server',
  EPIPE: 'connection closed while sending',
  UND_ERR_SOCKET: 'the server closed the connection before answering',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed (temporary)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connect timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connect timed out',
  CERT_HAS_EXPIRED: 'the server certificate has expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the server certificate is self-signed',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the server certificate could not be verified',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the server certificate does not match the host name',
};

type Failure = { ok: false; error: SisrelayError; retryable: boolean; retryAfterMs?: number };
type Attempt<T> = { ok: true; response: HttpResponse<T> } | Failure;

export interface HttpClientDeps {
  /** Clock for the rate limiter, the peak counter and backoff waits (tests). */
  clock?: Clock;
}

export function createHttpClient(options: HttpClientOptions, deps: HttpClientDeps = {}): HttpClient {
  checkOptions(options);
  const clock = deps.clock ?? systemClock;
  const limit = pLimit(options.concurrency);
  const limiter = new RateLimiter(options.ratePerSecond, clock);
  const starts = new StartCounter(clock);
  const maxDelay = options.maxRetryDelayMs ?? DEFAULT_MAX_RETRY_DELAY_MS;
  let retries = 0;

  const safe = (url: URL | string): string => options.redact(maskUrl(url));
  const scrub = (text: string): string => options.redact(text);
  const answerOf = (res: Response, text: string): HttpResponseError =>
    new HttpResponseError(res.status, res.statusText, scrub(text).slice(0, ERROR_BODY_LIMIT), res.headers.get('content-type'));

  async function request<T = unknown>(req: HttpRequest): Promise<HttpResponse<T>> {
    let url: URL;
    try {
      url = buildUrl(options.baseUrl, req.path, req.query);
    } catch {
      throw new SisrelayError('HTTP_CLIENT_ERROR', `${options.name}: ${req.method} ${safe(req.path)} is not a valid URL against base ${safe(options.baseUrl)}`, {
        transient: false,
        details: { status: null, method: req.method, url: safe(req.path), attempt: 0 },
      });
    }
    const idempotent = req.idempotent ?? req.method !== 'POST';
    const maxAttempts = options.retries + 1;

    for (let attempt = 1; ; attempt++) {
      const outcome = await limit(() => once<T>(req, url, attempt, idempotent));
      if (outcome.ok) return outcome.response;
      if (!outcome.retryable || attempt >= maxAttempts) throw outcome.error;
      const delay = Math.min(maxDelay, outcome.retryAfterMs ?? options.retryDelayMs * 2 ** (attempt - 1));
      retries++;
      try {
        await clock.sleep(delay, req.signal);
      } catch (err) {
        throw cancelled(req, url, attempt, err);
      }
    }
  }

  async function once<T>(req: HttpRequest, url: URL, attempt: number, idempotent: boolean): Promise<Attempt<T>> {
    try {
      await limiter.acquire(req.signal);
    } catch (err) {
      throw cancelled(req, url, attempt - 1, err);
    }
    starts.record();
    const began = performance.now();
    const timeoutMs = req.timeoutMs ?? options.timeoutMs;
    const ac = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ac.abort(new Error('timeout'));
    }, timeoutMs);
    const onCallerAbort = (): void => ac.abort(req.signal?.reason);
    if (req.signal?.aborted) onCallerAbort();
    else req.signal?.addEventListener('abort', onCallerAbort, { once: true });

    const report = (status: number | null, error?: SisrelayError): void => {
      if (!options.onRequest) return;
      const info: Parameters<NonNullable<HttpClientOptions['onRequest']>>[0] = {
        method: req.method,
        url: safe(url),
        status,
        ms: Math.round(performance.now() - began),
        attempt,
      };
      if (error) info.error = `${error.code}: ${error.message}`;
      try {
        options.onRequest(info);
      } catch {
        // A broken log callback must not turn a good answer into a failure.
      }
    };
    const details = (status: number | null): Record<string, unknown> => ({ status, method: req.method, url: safe(url), attempt });
    const what = (): string => `${options.name}: ${req.method} ${safe(url)}`;

    let status: number | null = null;
    try {
      const res = await fetch(url, {
        method: req.method,
        headers: buildHeaders(options.headers, req),
        body: requestBody(req),
        signal: ac.signal,
        redirect: 'follow',
      });
      status = res.status;

      if (res.status < 200 || res.status > 299) {
        const cause = answerOf(res, await res.text().catch(() => ''));
        const out = statusFailure(res, attempt, idempotent, cause, what(), details(res.status), maxDelay);
        report(res.status, out.error);
        return out;
      }

      const body = await readBody(res, req.responseType ?? 'json');
      if (!body.ok) {
        const cause = answerOf(res, body.text);
        const error = new SisrelayError(
          'HTTP_BAD_RESPONSE',
          `${what()} answered ${res.status} with a body that is not valid JSON (content-type ${res.headers.get('content-type') ?? 'none'}, ${Buffer.byteLength(body.text)} bytes)`,
          { cause, details: details(res.status) },
        );
        report(res.status, error);
        return { ok: false, error, retryable: false };
      }
      report(res.status);
      return { ok: true, response: { status: res.status, headers: res.headers, body: body.value as T } };
    } catch (err) {
      if (timedOut) {
        const error = new SisrelayError('HTTP_TIMEOUT', `${what()} got no complete answer within ${formatDuration(timeoutMs)} (attempt ${attempt})`, {
          details: details(status),
        });
        report(status, error);
        return { ok: false, error, retryable: idempotent };
      }
      if (req.signal?.aborted) {
        const error = cancelled(req, url, attempt, err);
        report(status, error);
        throw error;
      }
      const code = errnoOf(err);
      const words = (code && CONNECTION_WORDS[code]) ?? `network error${code ? ` (${code})` : ''}`;
      const error = new SisrelayError('HTTP_CONNECTION', `${what()} failed: ${words} (${url.host}, attempt ${attempt})`, {
        cause: scrubbedError(err, (t) => scrub(t.split(url.href).join(safe(url)))),
        details: { ...details(status), errno: code ?? null },
      });
      report(status, error);
      const connectPhase = code !== undefined && CONNECT_PHASE_CODES.has(code);
      return { ok: false, error, retryable: connectPhase || idempotent };
    } finally {
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onCallerAbort);
    }
  }

  function cancelled(req: HttpRequest, url: URL, attempt: number, reason: unknown): SisrelayError {
    const r = req.signal?.reason ?? reason;
    if (isSisrelayError(r)) return r;
    return new SisrelayError('RUN_CANCELLED', `${options.name}: ${req.method} ${safe(url)} was aborted by the caller`, {
      details: { status: null, method: req.method, url: safe(url), attempt },
    });
  }

  return {
    request,
    stats(): HttpStats {
      return { requests: starts.total, retries, peakPerSecond: starts.peak };
    },
  };
}

function statusFailure(
  res: Response,
  attempt: number,
  idempotent: boolean,
  cause: HttpResponseError,
  what: string,
  details: Record<string, unknown>,
  maxDelay: number,
): Failure {
  const s = res.status;
  const answered = `${what} answered ${s}${res.statusText ? ` ${res.statusText}` : ''}`;
  const retryAfter = res.headers.get('retry-after');
  const retryAfterMs = parseRetryAfter(retryAfter);
  const afterNote = retryAfterMs === undefined ? '' : `, Retry-After ${Math.ceil(Math.min(retryAfterMs, maxDelay) / 1000)}s`;
  let code: ErrorCode;
  let retryable: boolean;
  if (s === 429) {
    code = 'HTTP_RATE_LIMITED';
    retryable = true;
  } else if (s >= 500) {
    code = 'HTTP_SERVER_ERROR';
    retryable = s === 503 || idempotent;
  } else if (s >= 400) {
    code = 'HTTP_CLIENT_ERROR';
    retryable = false;
  } else {
    // 1xx/3xx left over after redirects were followed: nothing we can use.
    code = 'HTTP_BAD_RESPONSE';
    retryable = false;
  }
  const error = new SisrelayError(code, `${answered} (attempt ${attempt}${afterNote})`, { cause, details });
  const out: Failure = { ok: false, error, retryable };
  if (retryable && retryAfterMs !== undefined) out.retryAfterMs = retryAfterMs;
  return out;
}

async function readBody(res: Response, type: 'json' | 'text' | 'buffer'): Promise<{ ok: true; value: unknown } | { ok: false; text: string }> {
  if (type === 'buffer') return { ok: true, value: Buffer.from(await res.arrayBuffer()) };
  const text = await res.text();
  if (type === 'text') return { ok: true, value: text };
  if (res.status === 204 || res.status === 205) return { ok: true, value: null };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, text };
  }
}

function buildHeaders(base: Record<string, string> | undefined, req: HttpRequest): Headers {
  const h = new Headers(base);
  for (const [k, v] of Object.entries(req.headers ?? {})) h.set(k, v);
  if (!h.has('user-agent')) h.set('user-agent', 'sisrelay');
  if (!h.has('accept') && (req.responseType ?? 'json') === 'json') h.set('accept', 'application/json');
  if (!h.has('content-type')) {
    if (req.form !== undefined) h.set('content-type', 'application/x-www-form-urlencoded');
    else if (req.json !== undefined) h.set('content-type', 'application/json');
  }
  return h;
}

function requestBody(req: HttpRequest): string | undefined {
  if (req.form !== undefined) return req.form.toString();
  if (req.json !== undefined) return JSON.stringify(req.json);
  return req.body;
}

/** The errno-style code behind a fetch failure (undici nests it in `cause`, sometimes in an AggregateError). */
function errnoOf(err: unknown): string | undefined {
  let cur: unknown = err;
  for (let depth = 0; depth < 5 && cur !== null && typeof cur === 'object'; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const errors = (cur as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.length > 0) {
      const inner = errnoOf(errors[0]);
      if (inner !== undefined) return inner;
    }
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * A copy of a driver error safe to keep as `cause`: run logs print cause stacks, and undici
 * quotes the URL in some messages ("Failed to parse URL from ...").
 */
function scrubbedError(err: unknown, scrub: (text: string) => string): Error {
  const src = err instanceof Error ? err : new Error(String(err));
  const innerCode = errnoOf(src);
  const inner = src.cause instanceof Error ? src.cause : undefined;
  const copy = new Error(scrub(inner ? `${src.message}: ${inner.message}` : src.message));
  copy.name = src.name;
  if (innerCode !== undefined) (copy as Error & { code?: string }).code = innerCode;
  copy.stack = scrub(src.stack ?? `${src.name}: ${src.message}`);
  return copy;
}

function checkOptions(o: HttpClientOptions): void {
  const problems: string[] = [];
  if (!Number.isInteger(o.concurrency) || o.concurrency < 1) problems.push(`concurrency: expected an integer >= 1, got ${String(o.concurrency)}`);
  if (!Number.isInteger(o.ratePerSecond) || o.ratePerSecond < 0) problems.push(`ratePerSecond: expected an integer >= 0, got ${String(o.ratePerSecond)}`);
  if (!Number.isInteger(o.retries) || o.retries < 0) problems.push(`retries: expected an integer >= 0, got ${String(o.retries)}`);
  if (!(o.timeoutMs > 0)) problems.push(`timeoutMs: expected a positive number, got ${String(o.timeoutMs)}`);
  if (!(o.retryDelayMs >= 0)) problems.push(`retryDelayMs: expected a number >= 0, got ${String(o.retryDelayMs)}`);
  try {
    new URL(o.baseUrl);
  } catch {
    problems.push(`baseUrl: expected an absolute URL, got ${o.redact(maskUrl(o.baseUrl))}`);
  }
  if (problems.length > 0) throw new RangeError(`http client ${o.name}: ${problems.join('; ')}`);
}
