import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { SisrelayError } from '../errors/sisrelay-error.js';

/** What the daemon reports at each /healthz request. */
export interface HealthInfo {
  lastTick: Date | null;
  configGeneration: number;
  runningRuns: number;
  /**
   * The last tick may be at most this old before the daemon is 'degraded'. Null/absent: not
   * checked. The daemon leaves it unset: its scheduler ticks only when a job's timer fires, so a
   * long quiet spell between daily jobs is normal, not a stall.
   */
  maxTickAgeMs?: number | null;
  /** Event-loop delay p99 above this is 'degraded'. Default 1000 ms. */
  maxEventLoopDelayMs?: number;
}

export interface HealthReport {
  status: 'ok' | 'degraded';
  /** Why the status is degraded (empty when ok). */
  reasons: string[];
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  lastTick: string | null;
  configGeneration: number;
  runningRuns: number;
  uptimeSeconds: number;
}

export interface HealthServerOptions {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  metrics: { render(): Promise<string>; contentType: string };
  health: () => HealthInfo;
  /** Bind a non-loopback address anyway (behind a firewall or reverse proxy). Default false. */
  allowNonLoopback?: boolean;
  /** Event-loop delay is measured over windows this long. Default 10 s. */
  eventLoopWindowMs?: number;
  /** For tests: the clock used for the tick-age check. */
  now?: () => number;
}

export interface HealthServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export const DEFAULT_MAX_EVENT_LOOP_DELAY_MS = 1000;
/** Sampling timer of the event-loop monitor. */
const RESOLUTION_MS = 10;

/** True for 127.0.0.0/8, ::1 (also as an IPv4-mapped address) and `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost') return true;
  if (net.isIPv4(h)) return h.startsWith('127.');
  if (net.isIPv6(h)) {
    if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
    return mapped !== null && mapped[1]!.startsWith('127.');
  }
  return false;
}

/**
 * The daemon's loopback HTTP endpoint: `GET /healthz` (JSON) and `GET /metrics` (Prometheus text),
 * on plain node:http. Anything else is 404, any other method 405.
 *
 * It refuses a non-loopback host unless `allowNonLoopback` is set: metrics name jobs, hosts and
 * error codes, and nothing here is authenticated.
 *
 * Event-loop delay comes from perf_hooks.monitorEventLoopDelay, reset every window; /healthz
 * reports the worse of the last complete window and the current one, so a stall shows at once and
 * is still visible for one window after.
 */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  if (!options.allowNonLoopback && !isLoopbackHost(options.host)) {
    throw new SisrelayError(
      'CONFIG_INVALID',
      `daemon.http.host: expected a loopback address (127.0.0.0/8, ::1 or localhost), got ${JSON.stringify(options.host)}; the health and metrics endpoint is unauthenticated`,
      { details: { host: options.host } },
    );
  }
  const now = options.now ?? Date.now;
  const windowMs = options.eventLoopWindowMs ?? 10_000;
  const histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  let previous: HealthReport['eventLoopDelayMs'] | null = null;
  const roll = setInterval(() => {
    previous = read(histogram);
    histogram.reset();
  }, windowMs);
  roll.unref();

  const report = (): HealthReport => {
    const info = options.health();
    const current = read(histogram);
    const delay = previous === null ? current : { p50: Math.max(previous.p50, current.p50), p99: Math.max(previous.p99, current.p99), max: Math.max(previous.max, current.max) };
    const reasons: string[] = [];
    const maxDelay = info.maxEventLoopDelayMs ?? DEFAULT_MAX_EVENT_LOOP_DELAY_MS;
    if (delay.p99 > maxDelay) reasons.push(`event-loop delay p99 ${delay.p99} ms > ${maxDelay} ms`);
    if (info.maxTickAgeMs != null && info.lastTick !== null) {
      const age = now() - info.lastTick.getTime();
      if (age > info.maxTickAgeMs) reasons.push(`last scheduler tick ${Math.round(age / 1000)} s ago > ${Math.round(info.maxTickAgeMs / 1000)} s`);
    }
    return {
      status: reasons.length === 0 ? 'ok' : 'degraded',
      reasons,
      eventLoopDelayMs: delay,
      lastTick: info.lastTick === null ? null : info.lastTick.toISOString(),
      configGeneration: info.configGeneration,
      runningRuns: info.runningRuns,
      uptimeSeconds: Math.round(process.uptime()),
    };
  };

  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const known = path === '/healthz' || path === '/metrics';
    if (!known) return send(res, 404, 'text/plain; charset=utf-8', 'not found: try /healthz or /metrics\n');
    if (req.method !== 'GET') {
      res.setHeader('allow', 'GET');
      return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed: use GET\n');
    }
    if (path === '/healthz') {
      try {
        send(res, 200, 'application/json; charset=utf-8', `${JSON.stringify(report())}\n`);
      } catch {
        send(res, 500, 'application/json; charset=utf-8', '{"status":"error"}\n');
      }
      return;
    }
    options.metrics.render().then(
      (text) => send(res, 200, options.metrics.contentType, text),
      () => send(res, 500, 'text/plain; charset=utf-8', 'metrics unavailable\n'),
    );
  });
  // A request that never finishes its headers must not hold a socket forever.
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    clearInterval(roll);
    histogram.disable();
    const code = (err as { code?: unknown }).code;
    throw new SisrelayError('CONFIG_INVALID', `daemon.http: could not listen on ${options.host}:${options.port} (${typeof code === 'string' ? code : 'error'})`, {
      cause: err,
      details: { host: options.host, port: options.port },
    });
  }
  const addr = server.address() as AddressInfo;
  const hostPart = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;

  return {
    url: `http://${hostPart}:${addr.port}`,
    port: addr.port,
    close() {
      clearInterval(roll);
      histogram.disable();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function read(h: IntervalHistogram): HealthReport['eventLoopDelayMs'] {
  // The histogram holds the interval between sampling timers (ns), so an idle loop reads as the
  // resolution itself; the delay is what exceeds it. An empty histogram reports sentinels: 0.
  const ms = (ns: number): number =>
    Number.isFinite(ns) && h.count > 0 ? Math.max(0, Math.round((ns / 1e6 - RESOLUTION_MS) * 10) / 10) : 0;
  return { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max) };
}

function send(res: http.ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}
