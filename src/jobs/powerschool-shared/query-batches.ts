import type { Binds, SqlRow, SqlSource } from '../../adapters/adapter-types.js';

/**
 * How the PowerSchool jobs stream a statement and honour the run's cancellation: the signal goes
 * to the source (so a cancel during the database's own work, a long sort, stops the statement),
 * and the jobs' loops also check it between rows via cancelCheck (shared/cancel-check.ts).
 *
 * Rows come in the source's batches (SqlSource.streamBatches): a job's loop is then
 * `for await (const batch of ...) for (const row of batch)`, one await per batch rather than
 * per row, which is a measurable share of a roster of a few hundred thousand rows.
 */
export function queryBatches(source: SqlSource, sql: string, binds: Binds, signal: AbortSignal): AsyncIterable<readonly SqlRow[]> {
  signal.throwIfAborted();
  return source.streamBatches(sql, binds, { signal });
}
