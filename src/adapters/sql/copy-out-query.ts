import type { Connection as PgConnection } from 'pg';
import type { Socket } from 'node:net';

/**
 * `COPY ... TO STDOUT` as a pg Submittable (the interface pg-cursor uses) that hands over the rows'
 * bytes in runs, pulled by the caller:
 *
 *   const copy = new CopyOutQuery('COPY (SELECT ...) TO STDOUT');
 *   client.query(copy);
 *   for (let bytes; (bytes = await copy.read()) !== null; ) ...   // whole CopyData payloads
 *   const rows = await copy.done;                                     // the server's row count
 *
 * Why not pg's own message handling, or pg-copy-streams: the server sends one CopyData message
 * per row, and both take each message apart as an object or a Buffer of its own; at half a million
 * rows that alone cost more CPU than psql's whole export (bench/sql-stream.ts). Here the socket's
 * chunks are read directly (as pg-copy-streams does) and each message's payload is moved next to
 * the one before it inside the chunk, with nothing allocated per row.
 *
 * While the COPY streams, pg's data listener is detached and the socket is paused: bytes are read
 * only when the caller asks, so TCP holds the server back (back-pressure) and memory stays at a
 * chunk or two. At CopyDone, or at the first message that is not COPY data (an ErrorResponse),
 * pg's listener is put back and given the remaining bytes, and pg finishes the statement as
 * usual: CommandComplete, ErrorResponse and ReadyForQuery reach this object's handle* methods.
 */

const COPY_DATA = 0x64; // 'd'
const COPY_DONE = 0x63; // 'c'
const COPY_OUT_RESPONSE = 0x48; // 'H'
// May arrive between CopyData messages; dropped, as pg-copy-streams drops them.
const NOTICE = 0x4e; // 'N'
const PARAMETER_STATUS = 0x53; // 'S'
const NOTIFICATION = 0x41; // 'A'

const HEADER = 5; // type byte + Int32 length (which counts itself)

export class CopyOutQuery {
  /** The server's row count from CommandComplete ("COPY 500000"); rejects with the statement's error. */
  readonly done: Promise<number>;
  #resolveDone!: (rows: number) => void;
  #rejectDone!: (err: unknown) => void;
  /** Settles when pg submits the statement (it may wait in pg's queue behind others) or it fails first. */
  readonly #submitted: Promise<void>;
  #resolveSubmitted!: () => void;

  #socket: Socket | null = null;
  #pgOnData: ((chunk: Buffer) => void) | null = null;
  #attached = false;
  #copyDone = false;
  #error: { reason: unknown } | null = null;
  /** Wakes a read() waiting for the socket. */
  #wake: (() => void) | null = null;
  /**
   * The socket's 'readable' and 'close' listener for the whole COPY. Adding and removing a
   * 'readable' listener is not free on a Readable (each schedules work of its own), and a COPY
   * waits for the socket once per network read: one listener throughout took a third off the
   * time of those waits.
   */
  readonly #onSocketEvent = (): void => {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  };

  /** Type of the message whose body is being read, and how many of its bytes are still to come. */
  #type = 0;
  #bodyLeft = 0;
  /** Fewer than HEADER bytes at the end of the last chunk: the start of the next message. */
  #carry: Buffer | null = null;

  constructor(readonly text: string) {
    this.done = new Promise<number>((resolve, reject) => {
      this.#resolveDone = resolve;
      this.#rejectDone = reject;
    });
    this.done.catch(() => undefined); // read() reports the same error to the caller
    this.#submitted = new Promise<void>((resolve) => {
      this.#resolveSubmitted = resolve;
    });
  }

  /** pg's Submittable entry; a returned error is handed back to handleError by pg, before anything is sent. */
  submit(connection: PgConnection): Error | undefined {
    const socket = (connection as PgConnection & { stream: Socket }).stream;
    const listeners = socket.listeners('data') as ((chunk: Buffer) => void)[];
    // pg reads its socket through exactly one data listener (pg-protocol's parser); anything else
    // means a pg this code does not know, and taking the bytes away from it would be a guess.
    if (listeners.length !== 1) return new Error(`COPY needs pg's one socket data listener, found ${listeners.length}`);
    this.#socket = socket;
    this.#pgOnData = listeners[0]!;
    socket.removeListener('data', this.#pgOnData);
    socket.pause();
    socket.on('readable', this.#onSocketEvent);
    socket.on('close', this.#onSocketEvent);
    this.#attached = true;
    (connection as PgConnection & { query(text: string): void }).query(this.text);
    this.#resolveSubmitted();
    return undefined;
  }

  /** The next run of row bytes (whole CopyData payloads, in order), or null after the last. */
  async read(): Promise<Buffer | null> {
    // Still queued in pg behind another statement: nothing of ours is on the wire yet.
    if (!this.#socket) await this.#submitted;
    for (;;) {
      if (this.#error) throw this.#error.reason;
      if (this.#copyDone) return null;
      if (!this.#attached) {
        // pg has the rest (an ErrorResponse whose end is still on its way): its verdict.
        await this.done;
        return null;
      }
      const socket = this.#socket!;
      const chunk = socket.read() as Buffer | null;
      if (chunk !== null) {
        const bytes = this.#parse(chunk);
        if (bytes.length > 0) return bytes;
        continue;
      }
      if (socket.destroyed) {
        // Closed with nothing left to read, and pg has not said why yet.
        this.#fail(new Error('Connection terminated unexpectedly'));
        continue;
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  /**
   * The CopyData payloads in `input`; stops at CopyDone or a message that is pg's to handle.
   * The payloads are moved together inside the chunk itself (copyWithin: no allocation, about a
   * third of the CPU of copying each row into a new Buffer), which is safe because the socket
   * hands each chunk over to its one reader and every move is to the left of the bytes still to
   * be read, so what is handed to pg after the COPY is untouched.
   */
  #parse(input: Buffer): Buffer {
    const chunk = this.#carry ? Buffer.concat([this.#carry, input]) : input;
    this.#carry = null;
    let size = 0;
    let pos = 0;
    const end = chunk.length;
    while (pos < end) {
      if (this.#bodyLeft > 0) {
        const n = Math.min(this.#bodyLeft, end - pos);
        if (this.#type === COPY_DATA) {
          if (size !== pos) chunk.copyWithin(size, pos, pos + n);
          size += n;
        }
        pos += n;
        this.#bodyLeft -= n;
        continue;
      }
      if (end - pos < HEADER) {
        this.#carry = Buffer.from(chunk.subarray(pos));
        break;
      }
      const type = chunk[pos]!;
      const bodyLength = chunk.readUInt32BE(pos + 1) - 4;
      if (type === COPY_DATA || type === COPY_OUT_RESPONSE || type === NOTICE || type === PARAMETER_STATUS || type === NOTIFICATION) {
        this.#type = type;
        this.#bodyLeft = bodyLength;
        pos += HEADER;
        continue;
      }
      // CopyDone: the data is complete and pg takes over after it (CommandComplete, then
      // ReadyForQuery). An ErrorResponse or anything else: pg takes over from this message on.
      if (type === COPY_DONE) {
        this.#copyDone = true;
        pos += HEADER + bodyLength;
      }
      this.#detach(chunk.subarray(pos));
      break;
    }
    return chunk.subarray(0, size);
  }

  /** Gives the socket back to pg, with the bytes pg has yet to see. */
  #detach(rest: Buffer | null): void {
    if (!this.#attached) return;
    this.#attached = false;
    const socket = this.#socket!;
    socket.removeListener('readable', this.#onSocketEvent);
    socket.removeListener('close', this.#onSocketEvent);
    socket.on('data', this.#pgOnData!);
    // pg's listener alone does not restart a paused socket. Resumed before pg sees the rest:
    // the ReadyForQuery in it makes pg start the next queued statement at once, and if that is
    // another COPY it pauses the socket again, which a later resume (pg-copy-streams resumes on
    // the next tick) would undo, so its rows would flow past with nobody listening. No data is
    // buffered in the socket now (read() took it all), so nothing can overtake `rest`.
    socket.resume();
    if (rest && rest.length > 0) this.#pgOnData!(rest);
  }

  #fail(reason: unknown): void {
    this.#error ??= { reason };
    this.#rejectDone(reason);
    this.#resolveSubmitted(); // a read() waiting for the start then sees the error
    this.#wake?.();
  }

  // --- pg's Submittable callbacks -------------------------------------------------------------

  handleCommandComplete(msg: { text?: string }): void {
    const m = /^COPY (\d+)$/.exec(msg.text ?? '');
    this.#resolveDone(m ? Number(m[1]) : Number.NaN);
  }

  handleError(err: unknown): void {
    this.#fail(err);
    this.#detach(null);
  }

  handleReadyForQuery(): void {}
  // Not sent while pg-protocol only sees what follows the COPY data; pg calls them blindly.
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyInResponse(): void {}
  handleCopyData(): void {}
}
