import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { writeFileAtomic } from '../runner/atomic-write.js';

/**
 * The demo's stand-in for the district mail relay: an SMTP server on loopback that stores every
 * message it accepts as an `.eml` file in `maildir`. Alerts can carry student numbers, so files
 * are 0600 in a 0700 directory, and each is written under a dot-name and renamed into place so a
 * reader never sees half a message.
 *
 * No TLS (STARTTLS is not offered); AUTH is accepted without TLS and, unless `auth` is given, any
 * credentials pass. The envelope is recorded in two headers prepended to the stored message
 * (`Return-Path`, `X-Sandbox-Envelope-To`), since Bcc recipients exist only there.
 */

export interface SmtpSandboxOptions {
  maildir: string;
  port?: number;
  host?: string;
  /** When set, AUTH is required and must match. */
  auth?: { user: string; password: string };
  /** Largest message accepted (default 25 MB). */
  maxBytes?: number;
}

export interface SmtpSandbox {
  readonly host: string;
  readonly port: number;
  readonly maildir: string;
  /** Paths of the .eml files written so far, in arrival order. */
  received(): string[];
  /** Resolves when at least `count` messages have been stored. */
  waitForMessages(count: number, timeoutMs?: number): Promise<string[]>;
  close(): Promise<void>;
}

export async function startSmtpSandbox(opts: SmtpSandboxOptions): Promise<SmtpSandbox> {
  const host = opts.host ?? '127.0.0.1';
  const maxBytes = opts.maxBytes ?? 25 * 1024 * 1024;
  await mkdir(opts.maildir, { recursive: true, mode: 0o700 });
  const files: string[] = [];
  const waiters = new Set<() => void>();
  let seq = 0;

  const server = new SMTPServer({
    logger: false,
    disabledCommands: ['STARTTLS'],
    authOptional: opts.auth === undefined,
    allowInsecureAuth: true,
    size: maxBytes,
    banner: 'sisrelay sandbox relay',
    // close() would otherwise wait up to 30 s for pooled client connections to quit.
    closeTimeout: 1_000,
    onAuth(auth, _session, cb) {
      if (opts.auth && (auth.username !== opts.auth.user || auth.password !== opts.auth.password)) {
        cb(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
        return;
      }
      cb(null, { user: auth.username ?? 'anonymous' });
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', (err) => cb(err));
      stream.on('end', () => {
        if (stream.sizeExceeded) {
          cb(Object.assign(new Error(`Message exceeds the ${maxBytes}-byte limit`), { responseCode: 552 }));
          return;
        }
        const from = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
        const to = session.envelope.rcptTo.map((r) => r.address).join(', ');
        const head = Buffer.from(`Return-Path: <${from}>\r\nX-Sandbox-Envelope-To: ${to}\r\n`, 'utf8');
        store(Buffer.concat([head, ...chunks])).then(
          () => cb(null),
          (err: unknown) => cb(err instanceof Error ? err : new Error(String(err))),
        );
      });
    },
  });

  async function store(data: Buffer): Promise<void> {
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    const name = `${stamp}-${String(++seq).padStart(4, '0')}-${randomBytes(3).toString('hex')}.eml`;
    const final = path.join(opts.maildir, name);
    await writeFileAtomic(final, data);
    files.push(final);
    for (const w of [...waiters]) w();
  }

  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.server.off('error', reject);
      resolve();
    });
  });
  const port = (server.server.address() as AddressInfo).port;

  return {
    host,
    port,
    maildir: opts.maildir,
    received: () => [...files],
    waitForMessages: (count, timeoutMs = 10_000) =>
      new Promise<string[]>((resolve, reject) => {
        const check = (): void => {
          if (files.length >= count) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve([...files]);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`SMTP sandbox: ${files.length} of ${count} expected messages arrived within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
