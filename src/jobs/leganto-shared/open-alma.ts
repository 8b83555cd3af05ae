import { AlmaClient } from '../../adapters/alma/alma-client.js';
import type { AlmaConnection, NamedConnection } from '../../config/config-types.js';
import type { JobContext } from '../job-types.js';

export interface OpenedAlma {
  alma: AlmaClient;
  conn: NamedConnection<AlmaConnection>;
  /** Most calls started within any one second of this run (retries included). */
  peakPerSecond(): number;
}

/** The Alma client for a job: the connection's HttpClient (API key header, retries, evenly spaced rate limit). */
export async function openAlma(ctx: JobContext, name: string): Promise<OpenedAlma> {
  const conn = ctx.connections.config(name, 'alma');
  const http = await ctx.connections.http(name);
  return { alma: new AlmaClient(http, { minRemaining: conn.minRemaining }), conn, peakPerSecond: () => http.stats().peakPerSecond };
}
