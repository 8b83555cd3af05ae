import { randomBytes } from 'node:crypto';

/**
 * Run ids look like `20261122T132400123Z-9f3a1c`: UTC time to the millisecond, then 6 random hex
 * digits. They sort by time as plain strings (so a directory listing is already in run order),
 * contain only filesystem-safe characters, and stay unique when two runs start in the same ms.
 */
const RUN_ID_RE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z-[0-9a-f]{6}$/;

export function newRunId(now: Date = new Date()): string {
  const iso = now.toISOString(); // 2026-11-22T13:24:00.123Z
  const compact = iso.replace(/[-:]/g, '').replace('.', ''); // 20261122T132400123Z
  return `${compact}-${randomBytes(3).toString('hex')}`;
}

export function isRunId(value: string): boolean {
  return RUN_ID_RE.test(value);
}

/** The instant encoded in a run id, or null when the text is not a run id. */
export function runIdTime(runId: string): Date | null {
  const m = RUN_ID_RE.exec(runId);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, ms] = m;
  const t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Number(ms));
  return Number.isNaN(t) ? null : new Date(t);
}
