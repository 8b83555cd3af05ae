import { isErrorCode, type ErrorCode } from './error-codes.js';
import { SisrelayError, isSisrelayError } from './sisrelay-error.js';

/** An error as it crosses the run process boundary and lands in a run record. */
export interface SerializedError {
  code: ErrorCode;
  message: string;
  transient: boolean;
  details?: Record<string, unknown>;
  /** Stack and cause chain, for the run log only (never for alerts). */
  stack?: string;
}

/**
 * Flatten any thrown value into a SerializedError. A non-sisrelay error becomes INTERNAL_ERROR
 * (permanent): retrying an error we do not understand risks repeating a bad delivery.
 * The cause chain is folded into `stack` because structured-clone over IPC drops custom
 * properties of nested errors.
 */
export function serializeError(err: unknown): SerializedError {
  if (isSisrelayError(err)) {
    const out: SerializedError = { code: err.code, message: err.message, transient: err.transient };
    if (err.details !== undefined) out.details = err.details;
    const stack = stackWithCauses(err);
    if (stack !== undefined) out.stack = stack;
    return out;
  }
  if (err instanceof Error) {
    const out: SerializedError = { code: 'INTERNAL_ERROR', message: `${err.name}: ${err.message}`, transient: false };
    const stack = stackWithCauses(err);
    if (stack !== undefined) out.stack = stack;
    return out;
  }
  return { code: 'INTERNAL_ERROR', message: `non-error thrown: ${String(err)}`, transient: false };
}

export function deserializeError(s: SerializedError): SisrelayError {
  const code: ErrorCode = isErrorCode(s.code) ? s.code : 'INTERNAL_ERROR';
  const e = new SisrelayError(code, s.message, { transient: s.transient, details: s.details });
  if (s.stack !== undefined) e.stack = s.stack;
  return e;
}

function stackWithCauses(err: Error): string | undefined {
  const parts: string[] = [];
  let cur: unknown = err;
  for (let depth = 0; cur instanceof Error && depth < 5; depth++) {
    parts.push(cur.stack ?? `${cur.name}: ${cur.message}`);
    cur = cur.cause;
  }
  return parts.length > 0 ? parts.join('\nCaused by: ') : undefined;
}
