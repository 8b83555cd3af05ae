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
