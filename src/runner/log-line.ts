/**
 * One human-readable run-log line: `2026-11-22T13:24:00.123Z info  message key=value`.
 * Shared by the run process (job output) and the runner (lifecycle lines) so `tail -F` of a run
 * log reads as one stream. Callers redact the finished line; this module knows no secrets.
 */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export function formatLogLine(time: Date, level: string, message: string, meta?: Record<string, unknown>): string {
  let line = `${time.toISOString()} ${level.padEnd(5)} ${message}`;
  if (meta) {
    for (const [key, value] of Object.entries(meta)) {
      if (value === undefined) continue;
      line += ` ${key}=${formatValue(value)}`;
    }
  }
  return `${line}\n`;
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === null) return 'null';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'InvalidDate' : value.toISOString();
  if (value instanceof Error) return JSON.stringify(`${value.name}: ${value.message}`);
  try {
    return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? String(value);
  } catch {
    // Circular structures: a log line must never throw.
    return JSON.stringify(String(value));
  }
}
