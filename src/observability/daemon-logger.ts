import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import winston from 'winston';
import type { Redactor } from '../util/redactor.js';

/**
 * The daemon's lifecycle log: one human-readable line per event, to stdout (journald) and to
 * <logDir>/sisrelay.log, e.g.
 *   2026-11-22T09:20:00.412Z info  job=leganto-courses run=20261122T162000401Z-3fa2c1 started trigger=schedule slot=2026-11-22T16:20:00.000Z
 * These lines never carry student data: job, run id, counts, codes and file names only.
 * Every line passes the redactor, so a secret in a driver error can never reach the journal.
 */
export interface DaemonLogger {
  error(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
  close(): Promise<void>;
}

export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface DaemonLoggerOptions {
  level: 'error' | 'warn' | 'info' | 'debug';
  /** null = stdout only (CLI commands other than start). */
  logDir: string | null;
  redactor: Redactor;
  /** Write to stdout (journald). Tests turn it off. */
  console?: boolean;
}

/** Order fields so job and run come first: that is what an admin greps for. */
export function formatLine(timestamp: string, level: string, message: string, fields: LogFields = {}): string {
  const { job, run, ...rest } = fields;
  const parts = [timestamp, level.padEnd(5)];
  if (job !== undefined && job !== null) parts.push(`job=${job}`);
  if (run !== undefined && run !== null) parts.push(`run=${run}`);
  parts.push(message);
  for (const [k, v] of Object.entries(rest)) {
    if (v === undefined) continue;
    const s = String(v);
    parts.push(`${k}=${/[\s"]/.test(s) ? JSON.stringify(s) : s}`);
  }
  return parts.join(' ');
}

export function createDaemonLogger(opts: DaemonLoggerOptions): DaemonLogger {
  const format = winston.format.printf((info) => {
    const { level, message, timestamp, fields } = info as unknown as { level: string; message: string; timestamp: string; fields?: LogFields };
    return opts.redactor.redact(formatLine(timestamp, level, message, fields));
  });
  const transports: winston.transport[] = [];
  if (opts.console !== false) transports.push(new winston.transports.Console({ format }));
  if (opts.logDir !== null) {
    mkdirSync(opts.logDir, { recursive: true, mode: 0o750 });
    transports.push(new winston.transports.File({ filename: join(opts.logDir, 'sisrelay.log'), format, options: { flags: 'a', mode: 0o640 } }));
  }
  if (transports.length === 0) transports.push(new winston.transports.Console({ format, silent: true }));
  // The timestamp is taken once per event (logger level), not per transport, so the journal
  // and sisrelay.log show the same instant for the same line.
  const logger = winston.createLogger({ level: opts.level, format: winston.format.timestamp(), transports, exitOnError: false });
  const log = (level: string) => (message: string, fields?: LogFields) => logger.log({ level, message, fields });
  return {
    error: log('error'),
    warn: log('warn'),
    info: log('info'),
    debug: log('debug'),
    close: () =>
      new Promise<void>((resolve) => {
        logger.on('finish', () => resolve());
        logger.end();
        setTimeout(resolve, 500).unref();
      }),
  };
}
