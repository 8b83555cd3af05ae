import type { Binds, SqlRow, SqlSource } from '../../adapters/adapter-types.js';

/**
 * How the PowerSchool jobs stream a statement and honour the run's cancellation: the signal goes
 * to the source (so a cancel during the database's own work, a long sort, stops the statement),
 * and the jobs' loops also check it between rows via cancelCheck.
 */
export function queryRows(source: SqlSource, sql: string, binds: Binds, signal: AbortSignal): AsyncIterable<SqlRow> {
  signal.throwIfAborted();
  return source.stream(sql, binds, { signal });
}

/** A per-row check that throws the signal's reason, looking at the signal every 1024 calls. */
export function cancelCheck(signal: AbortSignal): () => void {
  let n = 0;
  return () => {
    if ((++n & 1023) === 0) signal.throwIfAborted();
  };
}
