import { connect as netConnect, type Socket } from 'node:net';

/**
 * Makes "encrypt: true" mean it for SQL Server connections.
 *
 * tedious 19 sends PRELOGIN with ENCRYPT_ON, but when the server answers NOT_SUP (or OFF) it
 * carries on in clear text and sends LOGIN7 — user name and a trivially reversible password —
 * unencrypted (measured against a fake server; r2dbc-mssql#324 is the same downgrade). A
 * man-in-the-middle only has to rewrite one byte of the PRELOGIN answer.
 *
 * The guard sits on the socket tedious writes to (through tedious' documented `connector`
 * option) and reads the outgoing TDS packet headers. Before TLS exists, the only packets a
 * client may send are PRELOGIN (0x12, which also carries the TLS handshake in TDS 7.x). Once
 * raw TLS records appear (content types 0x14-0x17, which no TDS packet type uses), everything
 * after is ciphertext. Any other packet type before that point — LOGIN7, SQL batch, RPC — means
 * the client is about to speak in clear: the guard drops the write, destroys the socket and
 * records why. The password never reaches the wire. This checks what actually leaves the
 * process rather than trusting driver state, so it keeps working if tedious changes internally.
 *
 * With encrypt 'strict' (TDS 8), tedious wraps this socket in TLS before any TDS byte, writing
 * through the native handle; the guard then sees nothing and nothing needs guarding.
 */

export interface TdsGuardState {
  /** Set when a clear-text packet was stopped; the packet type it would have sent. */
  blockedPacketType: number | null;
  /** The server's PRELOGIN encryption answer, once seen. */
  serverEncryption: 'OFF' | 'ON' | 'NOT_SUP' | 'REQ' | null;
  /** Raw TLS records were written (TLS was negotiated). */
  tls: boolean;
}

const PRELOGIN = 0x12;
const ENCRYPTION_OPTION = 0x01;
const ENCRYPTION_NAMES = ['OFF', 'ON', 'NOT_SUP', 'REQ'] as const;

export const PACKET_NAMES: Record<number, string> = {
  0x01: 'SQL batch',
  0x03: 'RPC',
  0x06: 'attention',
  0x07: 'bulk load',
  0x0e: 'transaction manager',
  0x10: 'LOGIN7',
  0x11: 'SSPI',
  0x12: 'PRELOGIN',
};

const isTlsRecordType = (b: number): boolean => b >= 0x14 && b <= 0x17;

export class EncryptionDowngradeError extends Error {
  readonly code = 'EENCRYPTGUARD';
  constructor(readonly packetType: number) {
    super(`refused to send a ${PACKET_NAMES[packetType] ?? `0x${packetType.toString(16)}`} packet before TLS was negotiated`);
    this.name = 'EncryptionDowngradeError';
  }
}

/** Parse the encryption option out of a PRELOGIN response packet (header included). */
export function preloginEncryption(packet: Buffer): TdsGuardState['serverEncryption'] {
  if (packet.length < 9 || packet[0] !== 0x04) return null; // tabular result
  const body = packet.subarray(8);
  for (let off = 0; off + 5 <= body.length && body[off] !== 0xff; off += 5) {
    if (body[off] === ENCRYPTION_OPTION) {
      const at = body.readUInt16BE(off + 1);
      const v = body[at];
      return v === undefined ? null : (ENCRYPTION_NAMES[v] ?? null);
    }
  }
  return null;
}

/**
 * Wrap `socket.write` so no non-PRELOGIN TDS packet leaves before TLS. Exported for tests;
 * production code uses guardedConnector().
 */
export function guardSocket(socket: Socket, state: TdsGuardState): void {
  let tls = false;
  let remaining = 0; // bytes left of the PRELOGIN packet being written
  let pending: Buffer = Buffer.alloc(0); // a header split across writes
  const write = socket.write.bind(socket) as (chunk: Buffer, cb?: (err?: Error | null) => void) => boolean;

  socket.write = function guardedWrite(chunk: unknown, encodingOrCb?: unknown, maybeCb?: unknown): boolean {
    const cb = (typeof encodingOrCb === 'function' ? encodingOrCb : maybeCb) as ((err?: Error | null) => void) | undefined;
    const data =
      typeof chunk === 'string'
        ? Buffer.from(chunk, typeof encodingOrCb === 'string' ? (encodingOrCb as BufferEncoding) : 'utf8')
        : Buffer.from((chunk as Uint8Array).buffer, (chunk as Uint8Array).byteOffset, (chunk as Uint8Array).byteLength);
    if (tls) return write(data, cb);
    const buf = pending.length ? Buffer.concat([pending, data]) : data;
    pending = Buffer.alloc(0);
    let i = 0;
    while (i < buf.length) {
      if (remaining > 0) {
        const n = Math.min(remaining, buf.length - i);
        remaining -= n;
        i += n;
        continue;
      }
      const type = buf[i]!;
      if (isTlsRecordType(type)) {
        tls = true;
        state.tls = true;
        break; // the rest of this write and everything after is TLS
      }
      if (type !== PRELOGIN) {
        state.blockedPacketType = type;
        if (i > 0) write(buf.subarray(0, i));
        const err = new EncryptionDowngradeError(type);
        socket.destroy(err);
        if (cb) process.nextTick(cb, err);
        return false;
      }
      if (buf.length - i < 4) {
        pending = Buffer.from(buf.subarray(i)); // wait for the length bytes
        const sent = i > 0 ? write(buf.subarray(0, i), cb) : true;
        if (i === 0 && cb) process.nextTick(cb);
        return sent;
      }
      remaining = buf.readUInt16BE(i + 2);
      if (remaining < 8) {
        state.blockedPacketType = type;
        socket.destroy(new EncryptionDowngradeError(type));
        return false;
      }
    }
    return write(buf, cb);
  } as typeof socket.write;

  // Remember the server's answer for the error message (first incoming packet only).
  const onData = (b: Buffer): void => {
    socket.removeListener('data', onData);
    state.serverEncryption = preloginEncryption(b);
  };
  socket.on('data', onData);
}

type ConnectOpts = { host: string; port: number; localAddress?: string | undefined };

/**
 * A tedious `options.connector`: a plain TCP connect (honouring tedious' abort signal, which
 * carries its connectTimeout) whose socket is guarded. `onState` receives each new state.
 */
export function guardedConnector(onState: (state: TdsGuardState) => void) {
  return (opts: ConnectOpts, _lookup: unknown, signal: AbortSignal): Promise<Socket> =>
    new Promise<Socket>((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason);
        return;
      }
      const socket = netConnect({ host: opts.host, port: opts.port, ...(opts.localAddress ? { localAddress: opts.localAddress } : {}) });
      const cleanup = (): void => {
        signal.removeEventListener('abort', onAbort);
        socket.removeListener('error', onError);
        socket.removeListener('connect', onConnect);
      };
      const onAbort = (): void => {
        cleanup();
        socket.destroy();
        reject(signal.reason);
      };
      const onError = (err: Error): void => {
        cleanup();
        reject(err);
      };
      const onConnect = (): void => {
        cleanup();
        const state: TdsGuardState = { blockedPacketType: null, serverEncryption: null, tls: false };
        guardSocket(socket, state);
        onState(state);
        resolve(socket);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      socket.once('error', onError);
      socket.once('connect', onConnect);
    });
}
