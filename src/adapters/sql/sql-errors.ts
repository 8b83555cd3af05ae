import type { ErrorCode } from '../../errors/error-codes.js';
import { SisrelayError } from '../../errors/sisrelay-error.js';
import { Redactor } from '../../util/redactor.js';

/**
 * Driver errors → catalogue codes. The code decides whether the runner retries (a refused
 * connection, a deadlock) or stops at once (a bad password: retrying only locks the account),
 * so every driver's error shapes are mapped here in one place and tested as tables.
 *
 * Messages are built from safe facts (connection name, type, host, database, user) plus a short
 * reason. The driver's own text comes last and only after redaction: drivers echo connect
 * strings, and a password can reach a message through a mistyped connection string.
 */

export type SqlKind = 'oracle' | 'mssql' | 'postgres' | 'pglite';
export type SqlPhase = 'connect' | 'query';

export interface SqlConnectionFacts {
  name: string;
  type: SqlKind;
  host: string;
  port: number | null;
  database: string;
  user: string;
}

export interface SqlErrorContext {
  facts: SqlConnectionFacts;
  redactor: Redactor;
  /** This connection's own secrets (its password), redacted even if the shared redactor lacks them. */
  secrets: readonly string[];
}

export interface Classified {
  code: ErrorCode;
  reason: string;
}

export function describeConnection(f: SqlConnectionFacts): string {
  const where = f.port === null ? f.host : `${f.host}:${f.port}`;
  const who = f.user ? `${f.user}@` : '';
  return `${f.type} "${f.name}" (${who}${where}/${f.database})`;
}

// ---------------------------------------------------------------------------------------------
// Shared shape helpers

type ErrLike = {
  code?: unknown;
  errno?: unknown;
  number?: unknown;
  errorNum?: unknown;
  message?: unknown;
  originalError?: unknown;
  cause?: unknown;
  errors?: unknown;
};

function asObj(err: unknown): ErrLike {
  return typeof err === 'object' && err !== null ? (err as ErrLike) : {};
}

function messageOf(err: unknown): string {
  const m = asObj(err).message;
  return typeof m === 'string' ? m : String(err);
}

/** Node socket error codes anywhere in the cause chain (AggregateError from happy-eyeballs too). */
function socketCodes(err: unknown, depth = 0): string[] {
  if (depth > 4 || typeof err !== 'object' || err === null) return [];
  const e = asObj(err);
  const out: string[] = [];
  if (typeof e.code === 'string') out.push(e.code);
  if (Array.isArray(e.errors)) for (const inner of e.errors) out.push(...socketCodes(inner, depth + 1));
  out.push(...socketCodes(e.originalError, depth + 1), ...socketCodes(e.cause, depth + 1));
  return out;
}

const REFUSED_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);
const TIMEOUT_CODES = new Set(['ETIMEDOUT']);

function socketClass(err: unknown, phase: SqlPhase): Classified | null {
  const codes = socketCodes(err);
  if (codes.some((c) => TIMEOUT_CODES.has(c)) && phase === 'connect') {
    return { code: 'SQL_CONNECT_TIMEOUT', reason: 'the server did not answer in time' };
  }
  const refused = codes.find((c) => REFUSED_CODES.has(c) || c === 'ETIMEDOUT');
  if (refused) {
    return phase === 'connect'
      ? { code: 'SQL_CONNECT_REFUSED', reason: `the server could not be reached (${refused})` }
      : { code: 'SQL_CONNECTION_LOST', reason: `the connection dropped during the query (${refused})` };
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL (pg, and PGlite which reports the same SQLSTATEs)

export function classifyPgError(err: unknown, phase: SqlPhase): Classified {
  const e = asObj(err);
  const msg = messageOf(err);
  // A SQLSTATE is five characters of [0-9A-Z], and so are some Node socket codes (EPIPE):
  // those come with a syscall.
  const isSocketError = 'syscall' in e || typeof e.errno === 'number';
  const state = typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) && !isSocketError ? e.code : null;
  if (state !== null) {
    if (state === '28P01' || state === '28000') return { code: 'SQL_LOGIN_FAILED', reason: 'the server rejected the login' };
    if (state === '3D000') return { code: 'SQL_LOGIN_FAILED', reason: 'the database does not exist' };
    if (state === '57014') return { code: 'SQL_QUERY_TIMEOUT', reason: 'the statement ran past its timeout and was cancelled' };
    if (state === '40P01') return { code: 'SQL_DEADLOCK', reason: 'the statement was chosen as a deadlock victim' };
    if (state === '40001') return { code: 'SQL_DEADLOCK', reason: 'the transaction failed a serialization check' };
    if (state.startsWith('08') || state === '57P01' || state === '57P02' || state === '57P03') {
      return phase === 'connect' || state === '57P03'
        ? { code: 'SQL_CONNECT_REFUSED', reason: 'the server refused the connection' }
        : { code: 'SQL_CONNECTION_LOST', reason: 'the server ended the connection during the query' };
    }
    if (state === '53300') return { code: 'SQL_CONNECT_REFUSED', reason: 'the server has too many connections' };
    return { code: 'SQL_QUERY_FAILED', reason: `the server rejected the statement (SQLSTATE ${state})` };
  }
  if (/does not support SSL|SSL connection.*required|self[- ]signed certificate|unable to verify|certificate/i.test(msg)) {
    return { code: 'SQL_ENCRYPTION_REQUIRED', reason: 'the server would not set up the required TLS connection' };
  }
  if (/connection timeout|timeout expired/i.test(msg)) {
    return { code: 'SQL_CONNECT_TIMEOUT', reason: 'the server did not answer in time' };
  }
  const sock = socketClass(err, phase);
  if (sock) return sock;
  if (/Connection terminated|not queryable|connection.*(closed|ended)|ended unexpectedly/i.test(msg)) {
    return phase === 'connect'
      ? { code: 'SQL_CONNECT_REFUSED', reason: 'the server closed the connection while it was being set up' }
      : { code: 'SQL_CONNECTION_LOST', reason: 'the connection dropped during the query' };
  }
  return { code: 'SQL_QUERY_FAILED', reason: 'the driver reported an error' };
}

// ---------------------------------------------------------------------------------------------
// SQL Server (mssql over tedious)

function mssqlNumber(err: unknown): number | null {
  for (let cur: unknown = err, depth = 0; cur && depth < 4; depth++) {
    const n = asObj(cur).number;
    if (typeof n === 'number') return n;
    cur = asObj(cur).originalError ?? asObj(cur).cause;
  }
  return null;
}

const TLS_ERROR_RE = /certificate|TLS|SSL|wrong version number|handshake|EPROTO/i;

export function classifyMssqlError(err: unknown, phase: SqlPhase): Classified {
  const e = asObj(err);
  const code = typeof e.code === 'string' ? e.code : '';
  const number = mssqlNumber(err);
  const msg = messageOf(err);
  if (code === 'EENCRYPT') return { code: 'SQL_ENCRYPTION_REQUIRED', reason: 'the server and the client disagree on encryption' };
  if (code === 'ELOGIN' || number === 18456 || number === 18452 || number === 4060 || number === 18488) {
    return { code: 'SQL_LOGIN_FAILED', reason: number === 4060 ? 'the login cannot open the database' : 'the server rejected the login' };
  }
  if (number === 1205) return { code: 'SQL_DEADLOCK', reason: 'the statement was chosen as a deadlock victim' };
  if (code === 'ETIMEOUT') {
    return phase === 'connect'
      ? { code: 'SQL_CONNECT_TIMEOUT', reason: 'the server did not answer in time' }
      : { code: 'SQL_QUERY_TIMEOUT', reason: 'the statement ran past its timeout and was cancelled' };
  }
  if (number === -2) return { code: 'SQL_QUERY_TIMEOUT', reason: 'the statement ran past its timeout' };
  if (code === 'ESOCKET' || code === 'ECONNCLOSED' || code === 'ECONNRESET') {
    if (TLS_ERROR_RE.test(msg) || socketCodes(err).some((c) => c.startsWith('ERR_SSL') || c.startsWith('ERR_TLS') || /CERT/.test(c))) {
      return { code: 'SQL_ENCRYPTION_REQUIRED', reason: 'TLS could not be set up with the server' };
    }
    const sock = socketClass(err, phase);
    if (sock) return sock;
    return phase === 'connect'
      ? { code: 'SQL_CONNECT_REFUSED', reason: 'the connection closed while it was being set up' }
      : { code: 'SQL_CONNECTION_LOST', reason: 'the connection dropped during the query' };
  }
  if (code === 'EREQUEST' || number !== null) {
    return { code: 'SQL_QUERY_FAILED', reason: `the server rejected the statement${number !== null ? ` (error ${number})` : ''}` };
  }
  const sock = socketClass(err, phase);
  if (sock) return sock;
  if (phase === 'connect') return { code: 'SQL_CONNECT_REFUSED', reason: 'the connection could not be set up' };
  return { code: 'SQL_QUERY_FAILED', reason: 'the driver reported an error' };
}

// ---------------------------------------------------------------------------------------------
// Oracle (node-oracledb thin)

function oracleCode(err: unknown): string {
  const e = asObj(err);
  if (typeof e.code === 'string' && /^(ORA|NJS|DPI|TNS)-\d+$/.test(e.code)) return e.code;
  const m = /\b((?:ORA|NJS|DPI|TNS)-\d{3,5})\b/.exec(messageOf(err));
  return m?.[1] ?? '';
}

const ORA_LOST = new Set(['ORA-03113', 'ORA-03114', 'ORA-03135', 'ORA-12537', 'ORA-12547', 'ORA-12570', 'ORA-00028', 'ORA-01012']);

export function classifyOracleError(err: unknown, phase: SqlPhase): Classified {
  const code = oracleCode(err);
  const msg = messageOf(err);
  switch (code) {
    case 'ORA-01017':
    case 'ORA-28000':
    case 'ORA-28001':
    case 'ORA-01005':
    case 'ORA-01045':
      return { code: 'SQL_LOGIN_FAILED', reason: 'the server rejected the login' };
    case 'ORA-00060':
      return { code: 'SQL_DEADLOCK', reason: 'the statement was chosen as a deadlock victim' };
    case 'NJS-123':
    case 'DPI-1067':
    case 'ORA-03156':
    case 'ORA-01013':
      return { code: 'SQL_QUERY_TIMEOUT', reason: 'a round trip ran past the call timeout' };
    case 'NJS-510':
    case 'ORA-12170':
      return { code: 'SQL_CONNECT_TIMEOUT', reason: 'the server did not answer in time' };
    case 'NJS-511':
    case 'ORA-12541':
    case 'ORA-12514':
    case 'ORA-12505':
    case 'ORA-12520':
    case 'ORA-12516':
      return { code: 'SQL_CONNECT_REFUSED', reason: 'the listener refused the connection' };
    case 'NJS-503': {
      // "could not be established": the cause text says whether it was refused or timed out.
      if (/ETIMEDOUT|timed out/i.test(msg)) return { code: 'SQL_CONNECT_TIMEOUT', reason: 'the server did not answer in time' };
      return { code: 'SQL_CONNECT_REFUSED', reason: 'the server could not be reached' };
    }
    case 'NJS-500':
    case 'NJS-501':
    case 'NJS-521':
      return phase === 'connect'
        ? { code: 'SQL_CONNECT_REFUSED', reason: 'the server closed the connection while it was being set up' }
        : { code: 'SQL_CONNECTION_LOST', reason: 'the connection dropped during the query' };
    case 'NJS-505':
    case 'NJS-506':
    case 'NJS-507':
    case 'NJS-508':
      return { code: 'SQL_ENCRYPTION_REQUIRED', reason: 'TLS could not be set up with the server' };
    default:
      break;
  }
  if (ORA_LOST.has(code)) {
    return phase === 'connect'
      ? { code: 'SQL_CONNECT_REFUSED', reason: 'the server closed the connection while it was being set up' }
      : { code: 'SQL_CONNECTION_LOST', reason: 'the connection dropped during the query' };
  }
  if (code.startsWith('ORA-')) {
    return { code: 'SQL_QUERY_FAILED', reason: `the server rejected the statement (${code})` };
  }
  const sock = socketClass(err, phase);
  if (sock) return sock;
  if (phase === 'connect') return { code: 'SQL_CONNECT_REFUSED', reason: `the connection could not be set up${code ? ` (${code})` : ''}` };
  return { code: 'SQL_QUERY_FAILED', reason: `the driver reported an error${code ? ` (${code})` : ''}` };
}

// ---------------------------------------------------------------------------------------------
// Building the error

const MAX_DRIVER_TEXT = 400;

/** Redact with the shared redactor and the connection's own secrets, flatten and shorten. */
export function safeDriverText(text: string, ctx: Pick<SqlErrorContext, 'redactor' | 'secrets'>): string {
  const own = new Redactor(ctx.secrets);
  const redacted = ctx.redactor.redact(own.redact(text));
  const flat = redacted.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_DRIVER_TEXT ? `${flat.slice(0, MAX_DRIVER_TEXT)}…` : flat;
}

/**
 * A stand-in for the driver error to keep as `cause`: same name, code and shape, but message and
 * stack redacted, because serializeError folds causes into the run record.
 */
function redactedCause(err: unknown, ctx: Pick<SqlErrorContext, 'redactor' | 'secrets'>): Error {
  const own = new Redactor(ctx.secrets);
  const clean = (s: string): string => ctx.redactor.redact(own.redact(s));
  const e = asObj(err);
  const out = new Error(clean(messageOf(err)));
  out.name = err instanceof Error ? err.name : 'DriverError';
  out.stack = clean(err instanceof Error && err.stack ? err.stack : `${out.name}: ${out.message}`);
  if (typeof e.code === 'string' || typeof e.code === 'number') (out as Error & { code?: unknown }).code = e.code;
  if (typeof e.number === 'number') (out as Error & { number?: unknown }).number = e.number;
  if (typeof e.errorNum === 'number') (out as Error & { errorNum?: unknown }).errorNum = e.errorNum;
  return out;
}

export function sqlError(code: ErrorCode, reason: string, ctx: SqlErrorContext, cause?: unknown, details?: Record<string, unknown>): SisrelayError {
  const driverText = cause === undefined ? '' : safeDriverText(messageOf(cause), ctx);
  const message = `${describeConnection(ctx.facts)}: ${reason}${driverText ? ` — ${driverText}` : ''}`;
  const c = asObj(cause);
  const driverCode = typeof c.code === 'string' ? c.code : undefined;
  const number = typeof c.number === 'number' ? c.number : typeof c.errorNum === 'number' ? c.errorNum : undefined;
  return new SisrelayError(code, message, {
    ...(cause === undefined ? {} : { cause: redactedCause(cause, ctx) }),
    details: {
      connection: ctx.facts.name,
      type: ctx.facts.type,
      ...(driverCode === undefined ? {} : { driverCode }),
      ...(number === undefined ? {} : { driverNumber: number }),
      ...details,
    },
  });
}

const CLASSIFIERS: Record<SqlKind, (err: unknown, phase: SqlPhase) => Classified> = {
  postgres: classifyPgError,
  pglite: classifyPgError,
  mssql: classifyMssqlError,
  oracle: classifyOracleError,
};

/** Map any driver error (already-mapped SisrelayErrors pass through untouched). */
export function toSqlError(err: unknown, phase: SqlPhase, ctx: SqlErrorContext): SisrelayError {
  if (err instanceof SisrelayError) return err;
  const { code, reason } = CLASSIFIERS[ctx.facts.type](err, phase);
  return sqlError(code, reason, ctx, err);
}
