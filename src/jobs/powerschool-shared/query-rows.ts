import type { Binds, SqlRow, SqlSource } from '../../adapters/adapter-types.js';

/**
 * How the PowerSchool jobs stream a statement and honour the run's cancellation: the signal goes
 * to the source (so a cancel during the database's own work, a long sort, stops the statement),
 * and the jobs' loops also check it between rows via cancelCheck (shared/cancel-check.ts).
 */
export function queryRows(source: SqlSource, sql: string, binds: Binds, signal: AbortSignal): AsyncIterable<SqlRow> {
  signal.throwIfAborted();
  return source.stream(sql, binds, { signal });
}

