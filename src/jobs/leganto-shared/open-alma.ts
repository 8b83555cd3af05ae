import { AlmaClient } from '../../adapters/alma/alma-client.js';
import type { AlmaConnection, NamedConnection } from '../../config/config-types.js';
import type { JobContext } from '../job-types.js';

export interface OpenedAlma {
  alma: AlmaClient;
  conn: NamedConnection<AlmaConnection>;
  /**
   * Record alma_calls and alma_peak_per_second (most calls started within any one second,
   * retries included) in the run's counts; called once Alma's part of the run is over, failed or not.
   */
  reportCalls(): void;
}

/** The Alma client for a job: the connection's HttpClient (API key header, retries, evenly spaced rate limit). */
export async function openAlma(ctx: JobContext, name: string): Promise<OpenedAlma> {
  const conn = ctx.connections.config(name, 'alma');
  const http = await ctx.connections.http(name);
  const alma = new AlmaClient(http, { minRemaining: conn.minRemaining });
  const reportCalls = (): void => {
    ctx.report.count('alma_calls', alma.callCount);
    ctx.report.count('alma_peak_per_second', http.stats().peakPerSecond);
  };
  return { alma, conn, reportCalls };
}
