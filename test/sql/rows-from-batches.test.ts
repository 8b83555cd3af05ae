import { describe, expect, it } from 'vitest';
import type { SqlRow } from '../../src/adapters/adapter-types.js';
import { batchesFromRows, rowArraysFromBatches, rowsFromBatches, type RowBatch } from '../../src/adapters/sql/source-support.js';

/** A batch generator over fixed batches of numbers that records what happened to it. */
function source(batches: number[][], opts: { failAfter?: number } = {}) {
  const { gen, log } = batchGenerator(batches, opts);
  return { rows: rowsFromBatches(gen), log };
}

function batchGenerator(batches: number[][], opts: { failAfter?: number } = {}) {
  const log = { converted: [] as number[], closed: false, batchesTaken: 0 };
  const toRow = (n: number): SqlRow => {
    log.converted.push(n);
    if (n < 0) throw new Error(`cannot convert ${n}`);
    return { n };
  };
  async function* gen(): AsyncGenerator<RowBatch<number>, void, undefined> {
    try {
      for (const raw of batches) {
        if (opts.failAfter !== undefined && log.batchesTaken === opts.failAfter) throw new Error('cursor failed');
        log.batchesTaken++;
        await Promise.resolve();
        yield { raw, toRow };
      }
    } finally {
      log.closed = true;
    }
  }
  return { gen: gen(), log };
}

async function take(it: AsyncIterable<SqlRow>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const row of it) out.push(row.n);
  return out;
}

describe('rowsFromBatches', () => {
  it('hands out every row in order across batches, skipping empty ones, then stays done', async () => {
    const { rows, log } = source([[1, 2], [], [3], [4, 5, 6]]);
    expect(await take(rows)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(log.closed).toBe(true);
    expect(await rows.next()).toEqual({ done: true, value: undefined });
  });

  it('converts a row only when it is asked for', async () => {
    const { rows, log } = source([[1, 2, 3]]);
    await rows.next();
    expect(log.converted).toEqual([1]);
    await rows.next();
    expect(log.converted).toEqual([1, 2]);
  });

  it('runs the batch generator’s cleanup when the consumer stops early, without converting the rest', async () => {
    const { rows, log } = source([[1, 2, 3], [4, 5]]);
    for await (const row of rows) if (row.n === 2) break;
    expect(log.closed).toBe(true);
    expect(log.converted).toEqual([1, 2]);
    expect(log.batchesTaken).toBe(1);
    expect(await rows.next()).toEqual({ done: true, value: undefined });
  });

  it('rejects with the batch generator’s error after the rows before it, then is done', async () => {
    const { rows } = source([[1, 2], [3]], { failAfter: 1 });
    const seen: unknown[] = [];
    await expect(
      (async () => {
        for await (const row of rows) seen.push(row.n);
      })(),
    ).rejects.toThrow('cursor failed');
    expect(seen).toEqual([1, 2]);
    expect(await rows.next()).toEqual({ done: true, value: undefined });
  });

  it('ends the stream on a row that cannot be converted: the cleanup runs and no later row comes out', async () => {
    const { rows, log } = source([[1, -2, 3], [4]]);
    expect((await rows.next()).value).toEqual({ n: 1 });
    await expect(rows.next()).rejects.toThrow('cannot convert -2');
    expect(log.closed).toBe(true);
    expect(await rows.next()).toEqual({ done: true, value: undefined });
    expect(log.converted).toEqual([1, -2]);
  });

  it('serves calls made without waiting in order, across a batch boundary, with no row lost or repeated', async () => {
    const { rows } = source([[1, 2], [3, 4], [5]]);
    const results = await Promise.all(Array.from({ length: 7 }, () => rows.next()));
    expect(results.map((r) => (r.done ? 'done' : r.value.n))).toEqual([1, 2, 3, 4, 5, 'done', 'done']);
  });

  it('return() before the first row closes without starting the batch generator', async () => {
    const { rows, log } = source([[1]]);
    expect(await rows.return!()).toEqual({ done: true, value: undefined });
    expect(log.batchesTaken).toBe(0);
    expect(await rows.next()).toEqual({ done: true, value: undefined });
  });
});

describe('rowArraysFromBatches', () => {
  it('hands over each non-empty batch converted, in order', async () => {
    const { gen, log } = batchGenerator([[1, 2], [], [3]]);
    const out: unknown[][] = [];
    for await (const batch of rowArraysFromBatches(gen)) out.push(batch.map((r) => r.n));
    expect(out).toEqual([[1, 2], [3]]);
    expect(log.closed).toBe(true);
  });

  it('runs the batch generator’s cleanup when the consumer stops early, without converting later batches', async () => {
    const { gen, log } = batchGenerator([[1, 2], [3], [4]]);
    for await (const batch of rowArraysFromBatches(gen)) if (batch[0]!.n === 1) break;
    expect(log.closed).toBe(true);
    expect(log.converted).toEqual([1, 2]);
    expect(log.batchesTaken).toBe(1);
  });

  it('rejects with the batch generator’s error after the batches before it', async () => {
    const { gen } = batchGenerator([[1], [2]], { failAfter: 1 });
    const seen: unknown[] = [];
    await expect(
      (async () => {
        for await (const batch of rowArraysFromBatches(gen)) seen.push(...batch.map((r) => r.n));
      })(),
    ).rejects.toThrow('cursor failed');
    expect(seen).toEqual([1]);
  });
});

describe('batchesFromRows', () => {
  /** Rows 1..n, failing after `failAfter` rows when asked to, recording whether it was closed. */
  function rows(n: number, failAfter?: number) {
    const log = { closed: false, taken: 0 };
    async function* gen(): AsyncGenerator<SqlRow> {
      try {
        for (let i = 1; i <= n; i++) {
          if (i - 1 === failAfter) throw new Error(`driver failed after ${failAfter} rows`);
          log.taken++;
          await Promise.resolve();
          yield { n: i };
        }
      } finally {
        log.closed = true;
      }
    }
    return { rows: gen(), log };
  }

  async function sizes(it: AsyncIterable<SqlRow[]>): Promise<number[][]> {
    const out: number[][] = [];
    for await (const batch of it) out.push(batch.map((r) => r.n as number));
    return out;
  }

  it.each([
    { n: 0, size: 3, expected: [] },
    { n: 1, size: 3, expected: [[1]] },
    { n: 3, size: 3, expected: [[1, 2, 3]] },
    { n: 7, size: 3, expected: [[1, 2, 3], [4, 5, 6], [7]] },
    { n: 3, size: 1, expected: [[1], [2], [3]] },
  ])('groups $n rows by $size', async ({ n, size, expected }) => {
    expect(await sizes(batchesFromRows(rows(n).rows, size))).toEqual(expected);
  });

  it('hands over the rows read before a failure, then throws it', async () => {
    const seen: number[][] = [];
    await expect(
      (async () => {
        for await (const batch of batchesFromRows(rows(10, 5).rows, 3)) seen.push(batch.map((r) => r.n as number));
      })(),
    ).rejects.toThrow('driver failed after 5 rows');
    expect(seen).toEqual([[1, 2, 3], [4, 5]]);
  });

  it('closes the row stream when the consumer stops early, reading no further', async () => {
    const { rows: it, log } = rows(100);
    for await (const batch of batchesFromRows(it, 4)) if (batch[0]!.n === 5) break;
    expect(log.closed).toBe(true);
    expect(log.taken).toBe(8);
  });
});
