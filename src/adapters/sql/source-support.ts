import type { SqlRow } from '../adapter-types.js';

/** Small pieces every SqlSource implementation shares. */

/** Rows fetched per round trip when the caller gives no fetchSize. */
export const DEFAULT_FETCH_SIZE = 1000;

export function fetchSizeOf(requested: number | undefined): number {
  if (requested === undefined) return DEFAULT_FETCH_SIZE;
  if (!Number.isInteger(requested) || requested < 1) {
    throw new RangeError(`fetchSize must be a positive integer, got ${String(requested)}`);
  }
  return requested;
}

/** What to throw once a caller's signal fired: its own reason, so the caller recognises it. */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
}

export async function collectRows(rows: AsyncIterable<SqlRow>): Promise<SqlRow[]> {
  const out: SqlRow[] = [];
  for await (const row of rows) out.push(row);
  return out;
}

/** One batch of driver rows and how to turn each into a SqlRow. */
export interface RowBatch<R> {
  readonly raw: readonly R[];
  /** Method syntax on purpose: a batch of any raw shape is then a RowBatch<unknown>. */
  toRow(raw: R): SqlRow;
}

/**
 * The rows of a generator of batches, one by one. An async generator that yields each row
 * itself pays a generator resumption and extra promise hand-offs per row, a measurable share of
 * a large extract; here a row already in hand is handed over in one resolved promise, and is
 * converted only then (so a batch's converted rows do not all live at once). `return` and
 * `throw` go to the batch generator, so its finally blocks (closing cursors) run exactly as
 * they would for a generator of rows.
 */
export function rowsFromBatches<R>(batches: AsyncGenerator<RowBatch<R>, void, undefined>): AsyncIterableIterator<SqlRow> {
  const done = (): IteratorResult<SqlRow, undefined> => ({ done: true, value: undefined });
  let raw: readonly R[] = [];
  let toRow: (raw: R) => SqlRow = () => ({});
  let i = 0;
  /** Set by return(), throw() or a failed conversion: no row is handed out after it. */
  let stopped = false;
  /** The batch being fetched; calls made meanwhile queue behind it, as they would on a generator. */
  let refilling: Promise<IteratorResult<SqlRow, undefined>> | null = null;

  const stop = (): void => {
    stopped = true;
    raw = [];
  };
  const convert = (): Promise<IteratorResult<SqlRow, undefined>> => {
    try {
      return Promise.resolve({ done: false, value: toRow(raw[i++]!) });
    } catch (err) {
      // Ends the stream as an error inside a generator of rows would: cursor closed, then done.
      stop();
      return batches.return().then(() => Promise.reject(err));
    }
  };
  const refill = async (): Promise<IteratorResult<SqlRow, undefined>> => {
    for (;;) {
      const r = await batches.next();
      if (r.done || stopped) return done();
      ({ raw, toRow } = r.value);
      i = 0;
      if (raw.length > 0) return convert();
    }
  };
  const next = (): Promise<IteratorResult<SqlRow, undefined>> => {
    if (refilling) return refilling.then(next, next);
    if (i < raw.length) return convert();
    if (stopped) return Promise.resolve(done());
    refilling = refill().finally(() => {
      refilling = null;
    });
    return refilling;
  };
  return {
    next,
    async return(): Promise<IteratorResult<SqlRow, undefined>> {
      stop();
      await batches.return();
      return done();
    },
    async throw(err: unknown): Promise<IteratorResult<SqlRow, undefined>> {
      stop();
      await batches.throw(err);
      return done();
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/**
 * The rows of a generator of batches as arrays (SqlSource.streamBatches for a source that reads
 * in batches itself). Each array is converted only when the caller asks for it, and `return`
 * reaches the batch generator through the loop below, so its finally blocks run as they do for
 * rowsFromBatches.
 */
export async function* rowArraysFromBatches<R>(batches: AsyncGenerator<RowBatch<R>, void, undefined>): AsyncGenerator<SqlRow[], void, undefined> {
  for await (const { raw, toRow } of batches) {
    if (raw.length > 0) yield raw.map((r) => toRow(r));
  }
}

/**
 * Rows grouped into arrays of at most `size` (SqlSource.streamBatches for a source whose driver
 * hands over one row at a time: the per-row cost then stays inside, and the caller's loop is
 * the same for every source). A failure mid-stream first hands over the rows read before it,
 * as stream() would have, then throws.
 */
export async function* batchesFromRows(rows: AsyncIterable<SqlRow>, size: number): AsyncGenerator<SqlRow[], void, undefined> {
  let batch: SqlRow[] = [];
  try {
    for await (const row of rows) {
      batch.push(row);
      if (batch.length >= size) {
        const full = batch;
        batch = [];
        yield full;
      }
    }
  } catch (err) {
    if (batch.length > 0) {
      const before = batch;
      batch = [];
      yield before;
    }
    throw err;
  }
  if (batch.length > 0) yield batch;
}

/**
 * A Date bind as zone-less wall-clock text from its UTC fields ("2024-03-10 02:30:00.000"),
 * the mirror of how rows come back. Drivers that serialise a Date themselves use the host's
 * zone (pg) or its local fields (oracledb), so the same job would bind different values on
 * hosts in different zones.
 */
export function wallClockText(d: Date): string {
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  const y = d.getUTCFullYear();
  return `${pad(y, 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(
    d.getUTCSeconds(),
  )}.${pad(d.getUTCMilliseconds(), 3)}`;
}
