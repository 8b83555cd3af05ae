import { describe, expect, it } from 'vitest';
import type { SqlRow } from '../../src/adapters/adapter-types.js';
import { rowsFromBatches, type RowBatch } from '../../src/adapters/sql/source-support.js';

/** A batch generator over fixed batches of numbers that records what happened to it. */
function source(batches: number[][], opts: { failAfter?: number } = {}) {
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
  return { rows: rowsFromBatches(gen()), log };
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
