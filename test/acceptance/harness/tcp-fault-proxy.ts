import net, { type AddressInfo, type Socket } from 'node:net';

/**
 * A TCP relay in front of a real server (sshd, PostgreSQL) that can slow the traffic down and cut
 * connections, so faults land *during* a transfer or a result stream instead of before or after
 * it: at loopback speed a roster upload takes a few milliseconds, too short to kill anything in
 * the middle of it. The server itself stays real; only the wire is shaped.
 *
 * - `bytesPerSecond` (each direction, per connection): 0 = unlimited;
 * - `cutNext({ afterServerBytes })`: the next connection is reset once the server has sent that
 *   many bytes through it (a database dropping the connection mid-result-stream);
 * - `cutNext({ afterPgCommandComplete: k })` (PostgreSQL only): the next connection is reset right
 *   after the server's k-th CommandComplete message reached the client, before the ReadyForQuery
 *   that would follow it: the moment a statement's last rows are in but the protocol exchange
 *   has not finished;
 * - `cutAll()`: reset every open connection now.
 */

export interface FaultProxy {
  host: string;
  port: number;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Connections this proxy reset on purpose. */
  readonly cuts: number;
  setRate(bytesPerSecond: number): void;
  cutNext(opts: { afterServerBytes: number } | { afterPgCommandComplete: number }): void;
  /** Forget cuts queued by cutNext() that no connection has taken yet. */
  clearPending(): void;
  cutAll(): number;
  close(): Promise<void>;
}

type Cut = { afterServerBytes: number } | { afterPgCommandComplete: number };

interface Pair {
  client: Socket;
  server: Socket;
  serverBytes: number;
  cut: Cut | null;
  /** PostgreSQL backend messages not yet complete, and CommandCompletes seen. */
  pgBuffer: Buffer;
  pgCommandCompletes: number;
}

/**
 * How many bytes of `chunk` to forward before resetting, or null to forward it all. Backend
 * messages are a type byte and a 4-byte length (that includes itself).
 */
function pgCutPoint(p: Pair, chunk: Buffer, k: number): number | null {
  const start = p.pgBuffer.length;
  p.pgBuffer = Buffer.concat([p.pgBuffer, chunk]);
  let off = 0;
  let cutAt: number | null = null;
  while (p.pgBuffer.length - off >= 5) {
    const len = p.pgBuffer.readUInt32BE(off + 1);
    if (p.pgBuffer.length - off < 1 + len) break;
    const type = String.fromCharCode(p.pgBuffer[off]!);
    off += 1 + len;
    if (type === 'C' && ++p.pgCommandCompletes === k && cutAt === null) cutAt = off - start;
  }
  p.pgBuffer = p.pgBuffer.subarray(off);
  return cutAt;
}

export async function startFaultProxy(target: { host: string; port: number }, opts: { bytesPerSecond?: number } = {}): Promise<FaultProxy> {
  let rate = opts.bytesPerSecond ?? 0;
  let connections = 0;
  let cuts = 0;
  const pending: Cut[] = [];
  const pairs = new Set<Pair>();

  const reset = (p: Pair): void => {
    cuts++;
    p.client.resetAndDestroy();
    p.server.resetAndDestroy();
  };

  /**
   * Copy `from` → `to`, at most `rate` bytes per second, honouring back-pressure. `onChunk` may
   * shorten a chunk (the rest is dropped and the pair reset after it is written).
   */
  const pump = (from: Socket, to: Socket, onChunk: (chunk: Buffer) => { forward: Buffer; thenCut: boolean }): void => {
    let queue: Buffer[] = [];
    let busy = false;
    const drainQueue = async (): Promise<void> => {
      if (busy) return;
      busy = true;
      while (queue.length > 0 && !to.destroyed) {
        let chunk = queue.shift()!;
        const slice = rate > 0 ? Math.max(1024, Math.floor(rate / 20)) : chunk.length;
        if (chunk.length > slice) {
          queue.unshift(chunk.subarray(slice));
          chunk = chunk.subarray(0, slice);
        }
        const { forward, thenCut } = onChunk(chunk);
        if (thenCut) {
          queue = [];
          to.write(forward, () => cutPair(to));
          return;
        }
        const ok = to.write(forward);
        if (rate > 0) await new Promise((r) => setTimeout(r, (chunk.length / rate) * 1000));
        if (!ok && !to.destroyed) await new Promise((r) => to.once('drain', r));
      }
      busy = false;
      if (from.isPaused() && !from.destroyed) from.resume();
    };
    from.on('data', (d: Buffer) => {
      queue.push(d);
      if (queue.length > 8) from.pause();
      void drainQueue();
    });
    from.on('end', () => {
      const finish = (): void => {
        if (queue.length === 0 && !busy) to.end();
        else setTimeout(finish, 10);
      };
      finish();
    });
    from.on('error', () => to.destroy());
    from.on('close', () => {
      queue = [];
    });
  };

  const pairOf = new Map<Socket, Pair>();
  const cutPair = (s: Socket): void => {
    const p = pairOf.get(s);
    if (p) reset(p);
  };

  const server = net.createServer((client) => {
    connections++;
    const upstream = net.connect({ host: target.host, port: target.port });
    const pair: Pair = { client, server: upstream, serverBytes: 0, cut: pending.shift() ?? null, pgBuffer: Buffer.alloc(0), pgCommandCompletes: 0 };
    pairOf.set(client, pair);
    pairOf.set(upstream, pair);
    pairs.add(pair);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const forget = (): void => {
      pairs.delete(pair);
      pairOf.delete(client);
      pairOf.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', forget);
    upstream.on('close', forget);
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
    pump(client, upstream, (chunk) => ({ forward: chunk, thenCut: false }));
    pump(upstream, client, (chunk) => {
      const cut = pair.cut;
      if (cut === null) return { forward: chunk, thenCut: false };
      if ('afterServerBytes' in cut) {
        const room = cut.afterServerBytes - pair.serverBytes;
        pair.serverBytes += chunk.length;
        return room < chunk.length ? { forward: chunk.subarray(0, Math.max(0, room)), thenCut: true } : { forward: chunk, thenCut: false };
      }
      const at = pgCutPoint(pair, chunk, cut.afterPgCommandComplete);
      return at === null ? { forward: chunk, thenCut: false } : { forward: chunk.subarray(0, at), thenCut: true };
    });
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    host: '127.0.0.1',
    port,
    get connections() {
      return connections;
    },
    get cuts() {
      return cuts;
    },
    setRate: (n) => {
      rate = n;
    },
    cutNext: (cut) => void pending.push(cut),
    clearPending: () => void pending.splice(0),
    cutAll: () => {
      const n = pairs.size;
      for (const p of [...pairs]) reset(p);
      return n;
    },
    close: async () => {
      for (const p of [...pairs]) {
        p.client.destroy();
        p.server.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
