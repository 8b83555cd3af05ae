import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { guardSocket, preloginEncryption, type TdsGuardState } from '../../src/adapters/sql/tds-encryption-guard.js';

/** A TDS packet: type, status EOM, big-endian length, spid, packet id, window, payload. */
function packet(type: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt8(type, 0);
  h.writeUInt8(1, 1);
  h.writeUInt16BE(8 + payload.length, 2);
  h.writeUInt8(1, 6);
  return Buffer.concat([h, payload]);
}

let server: Server | null = null;

async function pair(): Promise<{ client: Socket; received: () => Buffer; closed: Promise<void>; state: TdsGuardState }> {
  const chunks: Buffer[] = [];
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  server = createServer((s) => {
    s.on('data', (b) => chunks.push(b));
    s.on('error', () => undefined);
    s.on('close', () => resolveClosed());
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
  client.on('error', () => undefined);
  await new Promise((r) => client.once('connect', r));
  const state: TdsGuardState = { blockedPacketType: null, serverEncryption: null, tls: false };
  guardSocket(client, state);
  return { client, received: () => Buffer.concat(chunks), closed, state };
}

afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = null;
});

const PRELOGIN = packet(0x12, Buffer.from('prelogin-options'));
const LOGIN7 = packet(0x10, Buffer.from('user+password', 'ucs2'));

describe('guardSocket', () => {
  it('lets PRELOGIN through and stops a LOGIN7 that follows in clear text, in the same write', async () => {
    const p = await pair();
    p.client.write(Buffer.concat([PRELOGIN, LOGIN7]));
    await p.closed;
    expect(p.received()).toEqual(PRELOGIN);
    expect(p.state.blockedPacketType).toBe(0x10);
    expect(p.client.destroyed).toBe(true);
  });

  it('stops a LOGIN7 written on its own, and reports the error to the write callback', async () => {
    const p = await pair();
    p.client.write(PRELOGIN);
    const err = await new Promise<Error | null | undefined>((r) => p.client.write(LOGIN7, (e) => r(e)));
    await p.closed;
    expect(err?.message).toMatch(/LOGIN7 packet before TLS/);
    expect(p.received()).toEqual(PRELOGIN);
  });

  it('handles a packet header split across writes', async () => {
    const p = await pair();
    p.client.write(PRELOGIN.subarray(0, 2));
    p.client.write(PRELOGIN.subarray(2));
    p.client.write(LOGIN7.subarray(0, 3));
    await p.closed;
    expect(p.received()).toEqual(PRELOGIN);
    expect(p.state.blockedPacketType).toBe(0x10);
  });

  it('lets everything through once raw TLS records flow (TLS was negotiated)', async () => {
    const p = await pair();
    const tlsRecord = Buffer.from([0x17, 0x03, 0x03, 0x00, 0x02, 0xaa, 0xbb]);
    const laterBytes = Buffer.from([0x10, 0x01, 0x00, 0x10]); // would look like LOGIN7 in clear
    p.client.write(PRELOGIN);
    p.client.write(tlsRecord);
    p.client.write(laterBytes);
    p.client.end();
    await p.closed;
    expect(p.received()).toEqual(Buffer.concat([PRELOGIN, tlsRecord, laterBytes]));
    expect(p.state.tls).toBe(true);
    expect(p.state.blockedPacketType).toBeNull();
  });
});

describe('preloginEncryption', () => {
  it('reads the ENCRYPTION option of a PRELOGIN response', () => {
    // VERSION option at 11 (6 bytes), ENCRYPTION at 17 (1 byte), terminator.
    const body = Buffer.from([0x00, 0x00, 0x0b, 0x00, 0x06, 0x01, 0x00, 0x11, 0x00, 0x01, 0xff, 16, 0, 0, 0, 0, 0, 0x02]);
    expect(preloginEncryption(packet(0x04, body))).toBe('NOT_SUP');
    body[17] = 0x03;
    expect(preloginEncryption(packet(0x04, body))).toBe('REQ');
    expect(preloginEncryption(packet(0x12, body))).toBeNull();
  });
});
