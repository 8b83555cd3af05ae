import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SisrelayError } from '../../src/errors/sisrelay-error.js';
import { isLoopbackHost, startHealthServer, type HealthInfo, type HealthServer } from '../../src/observability/health-server.js';
import { createMetrics } from '../../src/observability/metrics.js';

const NOW = Date.parse('2026-05-01T12:00:00Z');
let info: HealthInfo;
let server: HealthServer;
const metrics = createMetrics({ defaultMetrics: false });

beforeAll(async () => {
  metrics.setConfigGeneration(4);
  server = await startHealthServer({ host: '127.0.0.1', port: 0, metrics, health: () => info, now: () => NOW });
});
afterAll(async () => {
  await server.close();
});

describe('health server', () => {
  it('GET /healthz answers the JSON health report', async () => {
    info = { lastTick: new Date(NOW - 30_000), configGeneration: 4, runningRuns: 2, maxTickAgeMs: 120_000 };
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 'ok', reasons: [], lastTick: '2026-05-01T11:59:30.000Z', configGeneration: 4, runningRuns: 2 });
    const delay = body.eventLoopDelayMs as { p50: number; p99: number; max: number };
    expect(Object.keys(delay).sort()).toEqual(['max', 'p50', 'p99']);
    for (const v of Object.values(delay)) expect(Number.isFinite(v) && v >= 0).toBe(true);
    expect(delay.p99).toBeGreaterThanOrEqual(delay.p50);
    expect(typeof body.uptimeSeconds).toBe('number');
  });

  it("is 'degraded' when the last tick is older than the caller's threshold", async () => {
    info = { lastTick: new Date(NOW - 600_000), configGeneration: 4, runningRuns: 0, maxTickAgeMs: 120_000 };
    const body = (await (await fetch(`${server.url}/healthz?x=1`)).json()) as { status: string; reasons: string[] };
    expect(body.status).toBe('degraded');
    expect(body.reasons[0]).toContain('last scheduler tick 600 s ago');
  });

  it("is 'degraded' when the event-loop delay p99 exceeds the caller's threshold", async () => {
    // A fresh server, so its first window holds only a few dozen samples and three stalls of
    // ~60 ms dominate the 99th percentile.
    const own = await startHealthServer({ host: '127.0.0.1', port: 0, metrics, health: () => info });
    try {
      for (let i = 0; i < 3; i++) {
        const until = Date.now() + 60;
        while (Date.now() < until) {
          /* stall the loop */
        }
        await new Promise((r) => setTimeout(r, 15));
      }
      info = { lastTick: null, configGeneration: 4, runningRuns: 0, maxEventLoopDelayMs: 30 };
      const body = (await (await fetch(`${own.url}/healthz`)).json()) as { status: string; reasons: string[]; lastTick: null; eventLoopDelayMs: { max: number } };
      expect(body.eventLoopDelayMs.max).toBeGreaterThanOrEqual(40);
      expect(body.status).toBe('degraded');
      expect(body.reasons[0]).toMatch(/^event-loop delay p99 [\d.]+ ms > 30 ms$/);
      expect(body.lastTick).toBeNull();
    } finally {
      await own.close();
    }
  });

  it('GET /metrics answers Prometheus text with its content type', async () => {
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(metrics.contentType);
    expect(await res.text()).toContain('sisrelay_config_generation 4');
  });

  it('unknown paths are 404, other methods 405', async () => {
    expect((await fetch(`${server.url}/`)).status).toBe(404);
    expect((await fetch(`${server.url}/metrics/extra`)).status).toBe(404);
    const post = await fetch(`${server.url}/healthz`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET');
  });

  it('refuses 0.0.0.0 and other non-loopback hosts unless allowed', async () => {
    for (const host of ['0.0.0.0', '::', '10.0.0.5']) {
      await expect(startHealthServer({ host, port: 0, metrics, health: () => info })).rejects.toSatisfy(
        (e: unknown) => e instanceof SisrelayError && e.code === 'CONFIG_INVALID' && e.message.includes(host),
      );
    }
    const open = await startHealthServer({ host: '0.0.0.0', port: 0, metrics, health: () => info, allowNonLoopback: true });
    expect((await fetch(`http://127.0.0.1:${open.port}/metrics`)).status).toBe(200);
    await open.close();
  });

  it('binds ::1 and localhost', async () => {
    const v6 = await startHealthServer({ host: '::1', port: 0, metrics, health: () => info });
    expect(v6.url).toBe(`http://[::1]:${v6.port}`);
    expect((await fetch(`${v6.url}/metrics`)).status).toBe(200);
    await v6.close();
  });
});

describe('isLoopbackHost', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.8.9.10', true],
    ['localhost', true],
    ['::1', true],
    ['[::1]', true],
    ['::ffff:127.0.0.1', true],
    ['0.0.0.0', false],
    ['::', false],
    ['192.168.1.10', false],
    ['128.0.0.1', false],
    ['example.com', false],
    ['::ffff:10.0.0.1', false],
  ])('%s → %s', (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });
});
