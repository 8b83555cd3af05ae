import nodemailer, { type Transporter } from 'nodemailer';
import type { SmtpConnection } from '../config/config-types.js';
import { SisrelayError } from '../errors/sisrelay-error.js';
import { REDACTED } from '../util/redactor.js';
import { safeCause } from './safe-cause.js';

export interface MailAttachment {
  filename: string;
  /** A local file to attach (read when sending). */
  path?: string;
  content?: string | Buffer;
}

export interface MailMessage {
  to: string[];
  subject: string;
  text: string;
  attachments?: MailAttachment[];
}

export interface MailResult {
  messageId: string;
  accepted: string[];
  /** Recipients the server refused while accepting others (all refused → MAIL_FAILED). */
  rejected: string[];
}

interface NodemailerFailure {
  code?: string;
  responseCode?: number;
  response?: string;
  command?: string;
  rejected?: string[];
}

/** nodemailer codes that mean the connection itself failed: worth trying again later. */
const CONNECTION_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'EPROXY']);

/**
 * Send one message over SMTP (one connection per message: alerts are rare and a pooled
 * connection would only go stale between them).
 *
 * Failures become MAIL_FAILED with `details.responseCode` (550, 535, ... or null when no SMTP
 * reply was received). `transient` is set from the reply class: 4xx and connection failures may
 * succeed later, 5xx (bad login, unknown recipient, policy refusal) will not. The message names the
 * server, user and recipients and quotes the server's reply through the redactor and without the
 * password.
 */
export async function sendMail(
  conn: SmtpConnection | (SmtpConnection & { name: string }),
  msg: MailMessage,
  opts: { redact(text: string): string },
): Promise<MailResult> {
  const scrub = (text: string): string => {
    let out = opts.redact(text);
    // The redactor may not know this connection's password (tests, or a `check` before the
    // config's secret list is built); never rely on it alone.
    if (conn.password && conn.password.length > 0) out = out.split(conn.password).join(REDACTED);
    return out;
  };
  const server = `${'name' in conn ? `${conn.name} ` : ''}(smtp ${conn.host}:${conn.port}${conn.user ? `, user ${conn.user}` : ''})`;

  if (msg.to.length === 0) {
    throw new SisrelayError('MAIL_FAILED', `mail "${scrub(msg.subject)}" via ${server}: no recipients given`, {
      transient: false,
      details: { responseCode: null, smtpCode: 'EENVELOPE' },
    });
  }

  const transport = smtpTransport(conn);
  try {
    const info = await transport.sendMail({
      from: conn.from,
      to: msg.to,
      subject: msg.subject,
      text: msg.text,
      attachments: (msg.attachments ?? []).map((a) => {
        const att: { filename: string; path?: string; content?: string | Buffer } = { filename: a.filename };
        if (a.path !== undefined) att.path = a.path;
        if (a.content !== undefined) att.content = a.content;
        return att;
      }),
    });
    return {
      messageId: String(info.messageId ?? ''),
      accepted: (info.accepted ?? []).map(String),
      rejected: (info.rejected ?? []).map(String),
    };
  } catch (err) {
    throw mailError(err, msg, server, scrub);
  } finally {
    transport.close();
  }
}

/**
 * The nodemailer transport for an smtp connection, as alerts and reports use it (`sisrelay check`
 * verifies this same transport): the connection's timeout bounds connecting, the greeting, DNS
 * and every command.
 */
export function smtpTransport(conn: SmtpConnection): Transporter {
  return nodemailer.createTransport({
    host: conn.host,
    port: conn.port,
    secure: conn.secure,
    requireTLS: conn.requireTls,
    auth: conn.user ? { user: conn.user, pass: conn.password ?? '' } : undefined,
    connectionTimeout: conn.timeoutMs,
    greetingTimeout: conn.timeoutMs,
    socketTimeout: conn.timeoutMs,
    dnsTimeout: conn.timeoutMs,
    // Attachments are our own run files; never let a message body pull in a URL.
    disableUrlAccess: true,
    logger: false,
  });
}

const TLS_MESSAGE = /certificate|self[- ]signed|unable to verify|wrong version number|handshake|\bSSL\b|\bTLS\b/i;

const ERRNO_WORDS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by the server',
  ENOTFOUND: 'host name not found',
  EHOSTUNREACH: 'host unreachable',
  ETIMEDOUT: 'connect timed out',
};

function connectionWords(err: unknown): string {
  const m = err instanceof Error ? /\b(E[A-Z]{4,})\b/.exec(err.message) : null;
  const errno = m?.[1];
  return errno && errno in ERRNO_WORDS ? ERRNO_WORDS[errno]! : `the connection failed${errno ? ` (${errno})` : ''}`;
}

function mailError(err: unknown, msg: MailMessage, server: string, scrub: (t: string) => string): SisrelayError {
  const e = (typeof err === 'object' && err !== null ? err : {}) as NodemailerFailure;
  const responseCode = typeof e.responseCode === 'number' ? e.responseCode : null;
  const smtpCode = typeof e.code === 'string' ? e.code : null;
  const reply = typeof e.response === 'string' ? ` — server replied "${scrub(e.response.split(/\r?\n/)[0] ?? '').slice(0, 200)}"` : '';
  const subject = `mail "${scrub(msg.subject).slice(0, 120)}" to ${msg.to.length} recipient(s)`;

  const message = err instanceof Error ? err.message : '';
  // nodemailer reports a refused certificate as ESOCKET, like a dropped line; it is not one:
  // retrying cannot fix a certificate, and it must never look like a transient blip.
  const tlsFailure = smtpCode === 'ETLS' || smtpCode === 'EREQUIRETLS' || (responseCode === null && TLS_MESSAGE.test(message));

  let what: string;
  if (tlsFailure) what = `TLS could not be established${responseCode === null && TLS_MESSAGE.test(message) ? ` (${scrub(message).slice(0, 120)})` : ''}`;
  else if (smtpCode === 'EAUTH' || smtpCode === 'ENOAUTH') what = 'the server rejected the login';
  else if (smtpCode === 'EENVELOPE' && e.command === 'RCPT TO') what = `the server refused the recipient(s) ${(e.rejected ?? msg.to).join(', ')}`;
  else if (smtpCode === 'EENVELOPE' && e.command === 'MAIL FROM') what = 'the server refused the sender';
  else if (smtpCode === 'EENVELOPE' || smtpCode === 'EMESSAGE') what = 'the server refused the message';
  else if (smtpCode === 'ETIMEDOUT') what = 'the server did not answer in time';
  else if (smtpCode !== null && CONNECTION_CODES.has(smtpCode)) what = connectionWords(err);
  else if ((err as { code?: unknown }).code === 'ENOENT') what = 'an attachment file does not exist';
  else what = 'sending failed';

  let transient: boolean;
  if (responseCode !== null) transient = responseCode >= 400 && responseCode < 500;
  else if (tlsFailure) transient = false;
  else transient = smtpCode !== null && CONNECTION_CODES.has(smtpCode);

  const details: Record<string, unknown> = { responseCode, smtpCode, command: e.command ?? null };
  if (Array.isArray(e.rejected) && e.rejected.length > 0) details.rejected = e.rejected;
  const code = responseCode !== null ? ` (${responseCode})` : smtpCode !== null ? ` (${smtpCode})` : '';
  return new SisrelayError('MAIL_FAILED', `${subject} via ${server} failed: ${what}${code}${reply}`, {
    transient,
    cause: safeCause(err, scrub),
    details,
  });
}
