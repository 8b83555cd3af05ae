import { ERROR_CODES, isErrorCode, type ErrorCode } from './error-codes.js';

export interface SisrelayErrorOptions {
  /** Override the catalogue's transient flag (e.g. an HTTP 503 that the service says is final). */
  transient?: boolean;
  /** The underlying error. Kept for the run log; never sent to alerts verbatim. */
  cause?: unknown;
  /** Machine-readable facts (a Moodle errorcode, an HTTP status, a line number). No secrets. */
  details?: Record<string, unknown>;
}

/**
 * The one error class sisrelay throws on purpose. Its `code` decides what happens next
 * (retry or not, which alert), so callers never parse messages.
 *
 * Messages name the thing, what was expected and what was found, and must never contain a
 * credential: adapters build them from safe facts (host, port, user name), not from driver
 * messages verbatim, and the redactor is a second line of defence.
 */
export class SisrelayError extends Error {
  readonly code: ErrorCode;
  readonly transient: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: SisrelayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SisrelayError';
    this.code = code;
    this.transient = options.transient ?? ERROR_CODES[code].transient;
    this.details = options.details;
  }
}

/** True for a SisrelayError, including one rebuilt from IPC (checked by shape, not prototype). */
export function isSisrelayError(err: unknown): err is SisrelayError {
  return (
    err instanceof SisrelayError ||
    (typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'SisrelayError' &&
      isErrorCode((err as { code?: unknown }).code))
  );
}

/** Whether the runner should retry after this error. Unknown errors are permanent. */
export function isTransient(err: unknown): boolean {
  return isSisrelayError(err) ? err.transient : false;
}
