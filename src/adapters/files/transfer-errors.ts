/**
 * Turns ssh2 / ssh2-sftp-client / node:fs failures into catalogue errors. The code decides what
 * happens next (the runner retries transient ones, an admin is alerted for the rest), so the
 * mapping is by error codes and SFTP status numbers, and only falls back to message patterns
 * where the driver gives nothing else (ssh2's auth and host-key failures carry no code).
 *
 * Messages are built from safe facts (user@host:port, the remote path); the driver's own text is
 * appended only after the redactor has seen it, because drivers echo what they were given.
 */
import { SisrelayError } from '../../errors/sisrelay-error.js';
import type { ErrorCode } from '../../errors/error-codes.js';

/** SFTP v3 status codes (draft-ietf-secsh-filexfer-02 §7). */
export const SFTP_STATUS = {
  EOF: 1,
  NO_SUCH_FILE: 2,
  PERMISSION_DENIED: 3,
  FAILURE: 4,
  BAD_MESSAGE: 5,
  NO_CONNECTION: 6,
  CONNECTION_LOST: 7,
  OP_UNSUPPORTED: 8,
} as const;

export interface SftpErrorContext {
  /** `sftp://user@host:port` */
  endpoint: string;
  /** What was being done, e.g. `upload /upload/x.csv`; used as "cannot <action>". */
  action: string;
  /** The path to name for "no such path" / "permission denied" (usually the directory written to). */
  path: string | null;
  /** The SSH connection's close/end event had fired when the error surfaced. */
  connectionLost: boolean;
  redact: (text: string) => string;
  /** Connect phase only: how long the handshake was allowed. */
  timeoutMs?: number;
  /** Connect phase only: the key the server presented and why it was refused. */
  hostKey?: { presented: string | null; reason: string | null; hostPort: string };
}

const CONNECT_FAILED_CODES = new Set(['ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL']);
const CONNECTION_LOST_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_NOT_CONNECTED', 'ERR_STREAM_DESTROYED']);
const LOST_PATTERNS = /No response from server|Unexpected (close|end) event|No SFTP connection|not connected|Keepalive timeout|Connection lost|socket hang up|channel (closed|open failure)/i;

function errorFacts(err: unknown): { code: unknown; message: string; level: unknown } {
  if (err instanceof Error) {
    const e = err as Error & { code?: unknown; level?: unknown };
    return { code: e.code, message: e.message, level: e.level };
  }
  return { code: undefined, message: String(err), level: undefined };
}

function driverNote(message: string, redact: (t: string) => string): string {
  const clean = redact(message).replace(/\s+/g, ' ').trim();
  return clean === '' ? '' : ` (server/driver said: "${clean.slice(0, 300)}")`;
}

/** Map a failure of connect() or of an SFTP operation to a SisrelayError. */
export function mapSftpError(err: unknown, ctx: SftpErrorContext): SisrelayError {
  if (err instanceof SisrelayError) return err;
  const { code, message, level } = errorFacts(err);
  const note = driverNote(message, ctx.redact);
  const make = (c: ErrorCode, msg: string, transient?: boolean) =>
    new SisrelayError(c, msg, {
      cause: err,
      details: { endpoint: ctx.endpoint, ...(ctx.path === null ? {} : { path: ctx.path }), ...(code === undefined ? {} : { driverCode: code }) },
      ...(transient === undefined ? {} : { transient }),
    });

  if (/Host denied|verification failed/i.test(message) || /no matching host key format/i.test(message)) {
    const hk = ctx.hostKey;
    const where = hk?.hostPort ?? ctx.endpoint;
    if (/no matching host key format/i.test(message)) {
      return make(
        'SFTP_HOST_KEY_MISMATCH',
        `${ctx.endpoint}: host key check failed for ${where}: the server offers no host key of the pinned type; expected ${hk?.reason ?? 'the configured key'}`,
      );
    }
    const presented = hk?.presented ?? 'an unknown key';
    return make(
      'SFTP_HOST_KEY_MISMATCH',
      `${ctx.endpoint}: host key mismatch for ${where}: the server presented ${presented}, and ${hk?.reason ?? 'it does not match the configured key'}. ` +
        'If the server key was changed on purpose, update hostKey or the known_hosts file; otherwise treat this as a possible interception.',
    );
  }
  if (/All configured authentication methods failed/i.test(message) || level === 'client-authentication') {
    return make('SFTP_AUTH_FAILED', `${ctx.endpoint}: the server rejected the login (check the user name, password or private key)${note}`);
  }
  if (typeof code === 'string' && CONNECT_FAILED_CODES.has(code)) {
    return make('SFTP_CONNECT_FAILED', `${ctx.endpoint}: cannot connect (${code})`);
  }
  if (level === 'client-timeout' || /Timed out while waiting for handshake/i.test(message)) {
    return make('SFTP_CONNECT_FAILED', `${ctx.endpoint}: no SSH handshake within ${ctx.timeoutMs ?? '?'} ms`);
  }
  if (level === 'handshake' || /^Handshake failed/i.test(message)) {
    // Algorithm negotiation does not fix itself on retry.
    return make('SFTP_CONNECT_FAILED', `${ctx.endpoint}: SSH handshake failed${note}`, false);
  }
  if (
    (typeof code === 'string' && CONNECTION_LOST_CODES.has(code)) ||
    code === SFTP_STATUS.NO_CONNECTION ||
    code === SFTP_STATUS.CONNECTION_LOST ||
    LOST_PATTERNS.test(message) ||
    ctx.connectionLost
  ) {
    return make('SFTP_CONNECTION_LOST', `${ctx.endpoint}: the connection dropped; cannot ${ctx.action}${note}`);
  }
  const where = ctx.path ?? 'the path';
  if (code === SFTP_STATUS.PERMISSION_DENIED || code === 'EACCES') {
    return make('TRANSFER_PERMISSION_DENIED', `${ctx.endpoint}: cannot ${ctx.action}: permission denied on ${where}${note}`);
  }
  if (code === SFTP_STATUS.NO_SUCH_FILE || code === 'ENOENT') {
    return make('TRANSFER_NO_SUCH_PATH', `${ctx.endpoint}: cannot ${ctx.action}: ${where} does not exist on the server${note}`);
  }
  return make('TRANSFER_FAILED', `${ctx.endpoint}: cannot ${ctx.action}${typeof code === 'number' ? ` (SFTP status ${code})` : ''}${note}`);
}

export interface LocalErrorContext {
  /** `local:/root` */
  endpoint: string;
  action: string;
  /** The path to name (usually the directory written to). */
  path: string;
}

/** Map a node:fs failure of the local target. */
export function mapLocalError(err: unknown, ctx: LocalErrorContext): SisrelayError {
  if (err instanceof SisrelayError) return err;
  const { code, message } = errorFacts(err);
  const make = (c: ErrorCode, msg: string) =>
    new SisrelayError(c, msg, { cause: err, details: { endpoint: ctx.endpoint, path: ctx.path, ...(code === undefined ? {} : { driverCode: code }) } });
  switch (code) {
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return make('TRANSFER_PERMISSION_DENIED', `${ctx.endpoint}: cannot ${ctx.action}: permission denied on ${ctx.path} (${code})`);
    case 'ENOENT':
    case 'ENOTDIR':
      return make('TRANSFER_NO_SUCH_PATH', `${ctx.endpoint}: cannot ${ctx.action}: ${ctx.path} does not exist or is not a directory (${code})`);
    case 'EEXIST':
      return make('TRANSFER_TARGET_EXISTS', `${ctx.endpoint}: cannot ${ctx.action}: ${ctx.path} already exists`);
    default:
      return make('TRANSFER_FAILED', `${ctx.endpoint}: cannot ${ctx.action} (in ${ctx.path}): ${message}`);
  }
}

/** The failures worth reconnecting for inside one delivery. Auth, host key and permissions never are. */
export function isReconnectable(err: unknown): boolean {
  return err instanceof SisrelayError && (err.code === 'SFTP_CONNECT_FAILED' || err.code === 'SFTP_CONNECTION_LOST') && err.transient;
}

/** Exponential backoff: base, 2×base, 4×base … capped. `attempt` is 1 for the first retry. */
export function backoffDelayMs(baseMs: number, attempt: number, maxMs = 30_000): number {
  if (baseMs <= 0) return 0;
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
}
