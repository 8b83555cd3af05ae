import { PassThrough } from 'node:stream';
import type { Connection } from 'pg';
import { describe, expect, it } from 'vitest';
import { CopyOutQuery } from '../../src/adapters/sql/copy-out-query.js';

/**
 * CopyOutQuery's message reader on hand-made protocol bytes, cut at every position; the tests
 * against PostgreSQL (postgres-source.test.ts) cover the rest with a real server.
 */

function message(type: string, body: Buffer | string = Buffer.alloc(0)): Buffer {
  const b = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeUInt32BE(b.length + 4, 1);
  return Buffer.concat([header, b]);
}

const ROWS = ['1\tZoë\n', '2\t李\n', '3\t\\N\n'];
const AFTER = Buffer.concat([message('C', 'COPY 3\0'), message('Z', 'I')]);
const STREAM = Buffer.concat([
  message('H', Buffer.from([0, 0, 2, 0, 0, 0, 0])),
  message('d', ROWS[0]!),
  message('N', 'SNOTICE\0Mhello\0\0'),
  message('d', ROWS[1]!),
  message('d', ROWS[2]!),
  message('c'),
  AFTER,
]);

/** A stand-in for pg's Connection: its socket and the one data listener pg-protocol adds. */
/**
 * A net.Socket hands every chunk it reads to its reader in a Buffer of its own, and CopyOutQuery
 * moves the payloads together inside it; a PassThrough hands over the very Buffer written, so
 * the tests write copies rather than let the shared STREAM be rearranged.
 */
function fresh(bytes: Buffer): Buffer {
  return Buffer.from(bytes);
}

function fakeConnection(): { conn: Connection; socket: PassThrough; pgSaw: Buffer[]; sent: string[] } {
  const socket = new PassThrough();
  const pgSaw: Buffer[] = [];
  socket.on('data', (b: Buffer) => pgSaw.push(b));
  const sent: string[] = [];
  const conn = { stream: socket, query: (text: string) => sent.push(text) } as unknown as Connection;
  return { conn, socket, pgSaw, sent };
}

async function readAll(copy: CopyOutQuery): Promise<string> {
  const parts: Buffer[] = [];
  for (let b = await copy.read(); b !== null; b = await copy.read()) parts.push(b);
  return Buffer.concat(parts).toString('utf8');
}

describe('CopyOutQuery', () => {
  it('returns exactly the CopyData payloads and hands pg the bytes after CopyDone, however the stream is cut', async () => {
    for (let cut = 0; cut <= STREAM.length; cut++) {
      const { conn, socket, pgSaw, sent } = fakeConnection();
      const copy = new CopyOutQuery('COPY (SELECT 1) TO STDOUT');
      expect(copy.submit(conn)).toBeUndefined();
      expect(sent).toEqual(['COPY (SELECT 1) TO STDOUT']);
      const reading = readAll(copy);
      if (cut > 0) socket.write(fresh(STREAM.subarray(0, cut)));
      await new Promise((r) => setImmediate(r));
      socket.write(fresh(STREAM.subarray(cut)));
      expect(await reading, `cut at ${cut}`).toBe(ROWS.join(''));
      await new Promise((r) => setImmediate(r));
      expect(Buffer.concat(pgSaw).toString("hex"), `cut at ${cut}`).toBe(AFTER.toString("hex"));
      // The socket is pg's again as it was: its one data listener, nothing of the COPY's left.
      expect([socket.listenerCount('data'), socket.listenerCount('readable'), socket.listenerCount('close')], `cut at ${cut}`).toEqual([1, 0, 0]);
      copy.handleCommandComplete({ text: 'COPY 3' });
      expect(await copy.done).toBe(3);
    }
  });

  it('stops at an ErrorResponse, gives it to pg, and reports the error pg hands back', async () => {
    const { conn, socket, pgSaw } = fakeConnection();
    const copy = new CopyOutQuery('COPY (SELECT 1/0) TO STDOUT');
    copy.submit(conn);
    const error = message('E', 'SERROR\0C22012\0Mdivision by zero\0\0');
    socket.write(Buffer.concat([message('H', Buffer.from([0, 0, 1, 0, 0])), message('d', '1\n'), error.subarray(0, 3)]));
    expect((await copy.read())!.toString()).toBe('1\n');
    const next = copy.read();
    socket.write(fresh(error.subarray(3)));
    await new Promise((r) => setImmediate(r));
    expect(Buffer.concat(pgSaw).equals(error)).toBe(true);
    const reason = new Error('division by zero');
    copy.handleError(reason);
    await expect(next).rejects.toBe(reason);
    await expect(copy.done).rejects.toBe(reason);
  });

  it('lets a read wait while the statement is still queued in pg behind another one', async () => {
    const { conn, socket } = fakeConnection();
    const copy = new CopyOutQuery('COPY (SELECT 1) TO STDOUT');
    const reading = readAll(copy); // pg has not submitted it yet
    await new Promise((r) => setImmediate(r));
    copy.submit(conn);
    socket.write(fresh(STREAM));
    expect(await reading).toBe(ROWS.join(''));
  });

  it('fails a read that waits for a start that never comes (pg errors queued statements when the connection ends)', async () => {
    const copy = new CopyOutQuery('COPY (SELECT 1) TO STDOUT');
    const reading = copy.read();
    const reason = new Error('Connection terminated');
    copy.handleError(reason);
    await expect(reading).rejects.toBe(reason);
  });

  it('fails a read waiting on a socket that closes', async () => {
    const { conn, socket } = fakeConnection();
    const copy = new CopyOutQuery('COPY (SELECT 1) TO STDOUT');
    copy.submit(conn);
    const waiting = copy.read();
    socket.destroy();
    await expect(waiting).rejects.toThrow('Connection terminated unexpectedly');
  });

  it('refuses to start when pg reads its socket some other way than one data listener', () => {
    const { conn, socket } = fakeConnection();
    socket.on('data', () => undefined);
    expect(new CopyOutQuery('COPY (SELECT 1) TO STDOUT').submit(conn)?.message).toContain('found 2');
  });
});
