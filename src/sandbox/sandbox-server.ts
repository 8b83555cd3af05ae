import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * The plumbing the Moodle and Alma sandboxes share: a loopback node:http server that counts
 * requests in flight (so tests can prove a client's concurrency bound from the server side),
 * applies latency, and can misbehave on purpose (hang, reset, garbage) for fault tests.
 *
 * `close()` destroys every open socket, including requests deliberately left hanging, so a test
 * never waits on a keep-alive connection or a hung request to shut down.
 */

export type FaultKind = 'http500' | 'http503' | 'http429' | 'exception' | 'hang' | 'reset' | 'badjson';

/** A fault fires on matching requests until its `times` run out (default: every time). */
export interface FaultBase {
  kind: FaultKind;
  times?: number;
  /** Let this many matching requests through untouched before the fault starts firing. */
  skip?: number;
}

export type SandboxHandler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => Promise<void> | void;

export interface SandboxServer {
  readonly url: string;
  readonly port: number;
  readonly host: string;
  /** Requests being handled right now. */
  inFlight(): number;
  /** Most requests ever in flight at once since start (or the last resetMaxInFlight). */
  maxInFlight(): number;
  resetMaxInFlight(): void;
  close(): Promise<void>;
}

export interface SandboxListenOptions {
  host?: string;
  port?: number;
  /** Largest request body accepted (413 beyond). */
  maxBodyBytes?: number;
}

const DEFAULT_MAX_BODY = 4 * 1024 * 1024;

export async function startSandboxServer(handler: SandboxHandler, opts: SandboxListenOptions = {}): Promise<SandboxServer> {
  const host = opts.host ?? '127.0.0.1';
  const maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const sockets = new Set<Socket>();
  let inFlight = 0;
  let maxInFlight = 0;
  let closing = false;

  const server = http.createServer((req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    let counted = true;
    const done = (): void => {
      if (counted) {
        counted = false;
        inFlight--;
      }
    };
    res.once('close', done);
    req.once('error', done);

    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBody) {
        tooBig = true;
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (tooBig) {
        res.writeHead(413, { 'content-type': 'text/plain' }).end('request body too large');
        return;
      }
      const body = Buffer.concat(chunks).toString('utf8');
      Promise.resolve()
        .then(() => handler(req, res, body))
        .catch((err: unknown) => {
          // A sandbox bug must show up as a 500 in the test, not as a hung request.
          if (!res.headersSent && !res.destroyed) {
            res.writeHead(500, { 'content-type': 'text/plain' });
            res.end(`sandbox error: ${err instanceof Error ? err.message : String(err)}`);
          } else if (!res.writableEnded) {
            res.destroy();
          }
        });
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  // Keep-alive sockets from a client pool must not hold close() open.
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}/`,
    port,
    host,
    inFlight: () => inFlight,
    maxInFlight: () => maxInFlight,
    resetMaxInFlight: () => {
      maxInFlight = inFlight;
    },
    close: async () => {
      if (closing) return;
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

/**
 * Take the first fault that matches (and has no `skip` left) and spend one of its `times`;
 * exhausted faults are removed. Faults are checked in the order they were added.
 */
export function takeFault<F extends FaultBase>(faults: F[], matches: (f: F) => boolean): F | undefined {
  let i = -1;
  for (let j = 0; j < faults.length; j++) {
    const f = faults[j]!;
    if (!matches(f)) continue;
    if (f.skip !== undefined && f.skip > 0) {
      f.skip--;
      continue;
    }
    i = j;
    break;
  }
  if (i < 0) return undefined;
  const f = faults[i]!;
  if (f.times !== undefined) {
    f.times--;
    if (f.times <= 0) faults.splice(i, 1);
  }
  return f;
}

/** Drop the connection without an answer (TCP RST where Node supports it). */
export function resetConnection(req: http.IncomingMessage): void {
  const s = req.socket as Socket & { resetAndDestroy?: () => void };
  if (typeof s.resetAndDestroy === 'function') s.resetAndDestroy();
  else s.destroy();
}

export function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve();
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendText(res: http.ServerResponse, status: number, text: string, contentType: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
