import http from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient, parseRetryAfter, responseBodyOf, buildUrl } from '../../src/adapters/http/http-client.js';
import type { HttpClientOptions } from '../../src/adapters/adapter-types.js';
import { SisrelayError } from '../../src/errors/sisrelay-error.js';
import { Redactor } from '../../src/util/redactor.js';
import { freePort, startHttpSink, type HttpSink } from '../fixtures/http-sink.js';

const TOKEN = 'tok-9f8e7d6c5b4a';
const redactor = new Redactor([TOKEN]);

let sink: HttpSink;
beforeAll(async () => {
  sink = await startHttpSink();
});
afterAll(async () => {
  await sink.close();
});
afterEach(() => {
  sink.setHandler(() => ({ json: { ok: true } }));
  sink.reset();
});

function client(over: Partial<HttpClientOptions> = {}) {
  const seen: Array<Parameters<NonNullable<HttpClientOptions['onRequest']>>[0]> = [];
  const c = createHttpClient({
    name: 'test-api',
    baseUrl: `${sink.url}/base/`,
    timeoutMs: 2000,
    concurrency: 4,
    ratePerSecond: 0,
    retries: 2,
    retryDelayMs: 20,
    redact: (t) => redactor.redact(t),
    onRequest: (info) => seen.push(info),
    ...over,
  });
  return { c, seen };
}

async function failure(p: Promise<unknown>): Promise<SisrelayError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(SisrelayError);
    return err as SisrelayError;
  }
  throw new Error('expected the request to fail');
}

describe('requests', () => {
  it('joins path and query to the base URL, sends JSON, parses the JSON answer', async () => {
    sink.setHandler((req) => ({ json: { got: JSON.parse(req.body) as unknown, q: req.query.get('n') } }));
    const { c } = client({ headers: { Authorization: 'apikey secret-header' } });
    const res = await c.request<{ got: unknown; q: string }>({ method: 'POST', path: '/v1/items', query: { n: 3, skip: undefined }, json: { a: 1 } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ got: { a: 1 }, q: '3' });
    const req = sink.requests[0]!;
    expect(req.path).toBe('/base/v1/items?n=3');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers.authorization).toBe('apikey secret-header');
  });

  it('sends a form body (Moodle style) and reads text and buffer answers', async () => {
    sink.setHandler((req) => ({ body: `echo:${req.body}` }));
    const { c } = client();
    const form = new URLSearchParams({ wsfunction: 'core_course_get_courses', 'options[ids][0]': '7' });
    const text = await c.request<string>({ method: 'POST', path: 'rest', form, responseType: 'text' });
    expect(text.body).toBe(`echo:${form.toString()}`);
    expect(sink.requests[0]!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const buf = await c.request<Buffer>({ method: 'GET', path: 'bin', responseType: 'buffer' });
    expect(Buffer.isBuffer(buf.body)).toBe(true);
    expect(buf.body.toString()).toBe('echo:');
  });

  it('an absolute URL in path is used as is', () => {
    expect(buildUrl('http://a.example/base/', 'http://b.example/x?y=1').href).toBe('http://b.example/x?y=1');
    expect(buildUrl('http://a.example/base', 'x/y', { t: true }).href).toBe('http://a.example/base/x/y?t=true');
  });
});

describe('timeouts and concurrency', () => {
  it('a server slower than the timeout gives HTTP_TIMEOUT after retrying an idempotent GET', async () => {
    sink.setHandler(() => ({ delayMs: 1500, json: {} }));
    const { c, seen } = client({ timeoutMs: 150, retries: 1 });
    const err = await failure(c.request({ method: 'GET', path: 'slow' }));
    expect(err.code).toBe('HTTP_TIMEOUT');
    expect(err.transient).toBe(true);
    expect(err.details).toMatchObject({ method: 'GET', attempt: 2, status: null });
    expect(sink.requests).toHaveLength(2);
    expect(seen.map((s) => s.attempt)).toEqual([1, 2]);
  });

  it('a POST that times out is not retried (the service may have acted on it)', async () => {
    sink.setHandler(() => ({ delayMs: 1500, json: {} }));
    const { c } = client({ timeoutMs: 150, retries: 3 });
    const err = await failure(c.request({ method: 'POST', path: 'slow', json: {} }));
    expect(err.code).toBe('HTTP_TIMEOUT');
    expect(sink.requests).toHaveLength(1);
  });

  it('the timeout also covers a body that stalls after the headers', async () => {
    sink.setHandler(() => ({ partial: '{"a":', delayMs: 1500, body: '1}' }));
    const { c } = client({ timeoutMs: 200, retries: 0 });
    const err = await failure(c.request({ method: 'GET', path: 'stall' }));
    expect(err.code).toBe('HTTP_TIMEOUT');
    expect(err.details).toMatchObject({ status: 200 });
  });

  it('never has more requests in flight than the concurrency', async () => {
    sink.setHandler(() => ({ delayMs: 40, json: {} }));
    const { c } = client({ concurrency: 3 });
    await Promise.all(Array.from({ length: 12 }, (_, i) => c.request({ method: 'GET', path: `c/${i}` })));
    expect(sink.requests).toHaveLength(12);
    expect(sink.maxInFlight).toBeLessThanOrEqual(3);
    // The bound is used, not just respected by being sequential.
    expect(sink.maxInFlight).toBe(3);
  });
});

describe('rate limit', () => {
  it('a burst of 25 at 10/s: the client measures a peak of 10 per second and the server sees them spread', async () => {
    const { c } = client({ ratePerSecond: 10, concurrency: 25 });
    await Promise.all(Array.from({ length: 25 }, (_, i) => c.request({ method: 'GET', path: `r/${i}` })));
    const stats = c.stats();
    expect(stats.requests).toBe(25);
    expect(stats.peakPerSecond).toBeLessThanOrEqual(10);
    expect(stats.peakPerSecond).toBe(10);
    const at = sink.requests.map((r) => r.receivedAt).sort((a, b) => a - b);
    // The 21st start cannot come before two full windows have passed (a little slack for delivery jitter).
    expect(at[20]! - at[0]!).toBeGreaterThanOrEqual(1900);
  });

  it('without a limit the measured peak follows the burst', async () => {
    const { c } = client({ ratePerSecond: 0, concurrency: 15 });
    await Promise.all(Array.from({ length: 15 }, (_, i) => c.request({ method: 'GET', path: `u/${i}` })));
    expect(c.stats().peakPerSecond).toBe(15);
  });
});

describe('retries', () => {
  it('retries after connection refused until the service comes up', async () => {
    const port = await freePort();
    let late: http.Server | undefined;
    const { c, seen } = createWithPort(port, () => {
      // First failure seen: bring the service up on that port before the backoff ends.
      if (late) return;
      late = http.createServer((_q, r) => r.end('{"up":true}'));
      late.listen(port, '127.0.0.1');
    });
    try {
      const res = await c.request<{ up: boolean }>({ method: 'POST', path: 'x', json: {} });
      expect(res.body).toEqual({ up: true });
      expect(seen[0]!.error).toMatch(/^HTTP_CONNECTION: .*connection refused/);
      expect(c.stats().retries).toBeGreaterThanOrEqual(1);
    } finally {
      late?.closeAllConnections();
      await new Promise((r) => late?.close(r));
    }
  });

  it('gives up after the retries with HTTP_CONNECTION (transient) when nothing listens', async () => {
    const port = await freePort();
    const { c } = createWithPort(port);
    const err = await failure(c.request({ method: 'GET', path: 'x' }));
    expect(err.code).toBe('HTTP_CONNECTION');
    expect(err.transient).toBe(true);
    expect(err.details).toMatchObject({ attempt: 3, errno: 'ECONNREFUSED', status: null });
    expect(err.message).toContain(`127.0.0.1:${port}`);
    expect(c.stats()).toMatchObject({ requests: 3, retries: 2 });
  });

  it('retries a GET whose socket the server destroyed', async () => {
    sink.setHandler((_r, i) => (i === 0 ? { destroy: true } : { json: { second: true } }));
    const { c } = client();
    const res = await c.request({ method: 'GET', path: 'd' });
    expect(res.body).toEqual({ second: true });
    expect(sink.requests).toHaveLength(2);
  });

  it('does not repeat a POST whose socket was destroyed mid-request', async () => {
    sink.setHandler(() => ({ destroy: true }));
    const { c } = client();
    const err = await failure(c.request({ method: 'POST', path: 'd', json: {} }));
    expect(err.code).toBe('HTTP_CONNECTION');
    expect(sink.requests).toHaveLength(1);
  });

  it('503 then 200 succeeds on the second attempt', async () => {
    sink.setHandler((_r, i) => (i === 0 ? { status: 503, body: 'busy' } : { json: { fine: 1 } }));
    const { c, seen } = client();
    const res = await c.request({ method: 'GET', path: 's' });
    expect(res.body).toEqual({ fine: 1 });
    expect(seen.map((s) => s.status)).toEqual([503, 200]);
    expect(c.stats().retries).toBe(1);
  });

  it('persistent 500 ends in HTTP_SERVER_ERROR with the status and the body kept off the message', async () => {
    sink.setHandler(() => ({ status: 500, body: 'Student Jane Roe 123456 broke us' }));
    const { c } = client({ retries: 1 });
    const err = await failure(c.request({ method: 'GET', path: 's' }));
    expect(err.code).toBe('HTTP_SERVER_ERROR');
    expect(err.transient).toBe(true);
    expect(err.details).toMatchObject({ status: 500, attempt: 2 });
    expect(err.message).not.toContain('Jane');
    expect(JSON.stringify(err.details)).not.toContain('Jane');
    expect(responseBodyOf(err)).toBe('Student Jane Roe 123456 broke us');
  });

  it('429 with Retry-After: 1 waits about a second before the next attempt', async () => {
    sink.setHandler((_r, i) => (i === 0 ? { status: 429, headers: { 'Retry-After': '1' } } : { json: { ok: 1 } }));
    const { c } = client({ retryDelayMs: 10 });
    const res = await c.request({ method: 'POST', path: 'limited', json: {} });
    expect(res.body).toEqual({ ok: 1 });
    const [first, second] = sink.requests;
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(950);
  });

  it('429 after the last retry is HTTP_RATE_LIMITED; Retry-After is capped by maxRetryDelayMs', async () => {
    sink.setHandler(() => ({ status: 429, headers: { 'Retry-After': '3600' } }));
    const { c } = client({ retries: 1, maxRetryDelayMs: 100 });
    const err = await failure(c.request({ method: 'GET', path: 'limited' }));
    expect(err.code).toBe('HTTP_RATE_LIMITED');
    expect(err.details).toMatchObject({ status: 429, attempt: 2 });
    const [first, second] = sink.requests;
    expect(second!.receivedAt - first!.receivedAt).toBeLessThan(3000);
  });

  it('404 is HTTP_CLIENT_ERROR and not retried', async () => {
    sink.setHandler(() => ({ status: 404, json: { errorList: { error: [{ errorCode: '401006' }] } } }));
    const { c } = client({ retries: 5 });
    const err = await failure(c.request({ method: 'GET', path: 'missing' }));
    expect(err.code).toBe('HTTP_CLIENT_ERROR');
    expect(err.transient).toBe(false);
    expect(err.details).toMatchObject({ status: 404, method: 'GET', attempt: 1 });
    expect(sink.requests).toHaveLength(1);
    expect(JSON.parse(responseBodyOf(err)!)).toEqual({ errorList: { error: [{ errorCode: '401006' }] } });
  });

  it('a body that is not JSON is HTTP_BAD_RESPONSE (not retried)', async () => {
    sink.setHandler(() => ({ status: 200, headers: { 'content-type': 'text/html' }, body: '<html>login</html>' }));
    const { c } = client();
    const err = await failure(c.request({ method: 'GET', path: 'html' }));
    expect(err.code).toBe('HTTP_BAD_RESPONSE');
    expect(err.transient).toBe(false);
    expect(err.message).toContain('text/html');
    expect(sink.requests).toHaveLength(1);
  });

  it('Retry-After parses seconds and HTTP-dates', () => {
    const now = Date.parse('2026-03-01T10:00:00Z');
    expect(parseRetryAfter('2', now)).toBe(2000);
    expect(parseRetryAfter('Sun, 01 Mar 2026 10:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Sun, 01 Mar 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe('abort', () => {
  it('the caller signal ends a pending retry wait', async () => {
    sink.setHandler(() => ({ status: 503 }));
    const { c } = client({ retries: 3, retryDelayMs: 10_000 });
    const ac = new AbortController();
    const p = c.request({ method: 'GET', path: 'a', signal: ac.signal });
    while (sink.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    setTimeout(() => ac.abort(), 50);
    const began = Date.now();
    const err = await failure(p);
    expect(err.code).toBe('RUN_CANCELLED');
    expect(Date.now() - began).toBeLessThan(5000);
    expect(sink.requests).toHaveLength(1);
  });

  it('the caller signal aborts a request in flight', async () => {
    sink.setHandler(() => ({ delayMs: 3000, json: {} }));
    const { c } = client({ timeoutMs: 10_000 });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    const err = await failure(c.request({ method: 'GET', path: 'a', signal: ac.signal }));
    expect(err.code).toBe('RUN_CANCELLED');
    expect(sink.requests).toHaveLength(1);
  });
});

describe('secrets', () => {
  it('a token in the query string appears neither in errors nor in onRequest URLs', async () => {
    sink.setHandler(() => ({ status: 403, body: `invalid token ${TOKEN}` }));
    const unknownKey = 'zz-not-configured-key-42';
    const { c, seen } = client();
    const err = await failure(
      c.request({ method: 'GET', path: 'webservice/rest/server.php', query: { wstoken: TOKEN, apikey: unknownKey, wsfunction: 'x' }, headers: { 'X-Secret-Header': 'hdr-value-77' } }),
    );
    expect(sink.requests[0]!.query.get('wstoken')).toBe(TOKEN);
    const everything = JSON.stringify({ m: err.message, d: err.details, s: err.stack, c: String(err.cause), seen, body: responseBodyOf(err) });
    expect(everything).not.toContain(TOKEN);
    expect(everything).not.toContain(unknownKey);
    expect(everything).not.toContain('hdr-value-77');
    expect(err.details!.url).toBe(`${sink.url}/base/webservice/rest/server.php?wstoken=***&apikey=***&wsfunction=x`);
    expect(seen[0]!.url).toBe(err.details!.url);
  });

  it('a configured secret in the path is redacted and the connection-error cause carries no secret', async () => {
    const port = await freePort();
    const { c } = createWithPort(port, undefined, 0);
    const err = await failure(c.request({ method: 'GET', path: `hooks/${TOKEN}` }));
    expect(err.code).toBe('HTTP_CONNECTION');
    expect(JSON.stringify({ m: err.message, d: err.details, s: err.stack, cs: (err.cause as Error).stack })).not.toContain(TOKEN);
    expect(err.message).toContain('[REDACTED]');
  });
});

function createWithPort(port: number, onFirstFailure?: () => void, retries = 2) {
  const seen: Array<{ error?: string; url: string }> = [];
  const c = createHttpClient({
    name: 'late-api',
    baseUrl: `http://127.0.0.1:${port}/`,
    timeoutMs: 1000,
    concurrency: 1,
    ratePerSecond: 0,
    retries,
    retryDelayMs: 150,
    redact: (t) => redactor.redact(t),
    onRequest: (info) => {
      seen.push(info);
      if (info.error) onFirstFailure?.();
    },
  });
  return { c, seen };
}
