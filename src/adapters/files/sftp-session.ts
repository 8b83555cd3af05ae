/**
 * One authenticated SFTP connection: TCP with Nagle off, host key verified, login done.
 *
 * Why the pieces are here:
 * - TCP_NODELAY: ssh2-sftp-client's put()/get() wait for each request's reply before sending the
 *   next; with Nagle on and the server delaying ACKs, a 50 MB upload took 27 s instead of 0.4 s
 *   on loopback (and is worse on a WAN). We hand ssh2 our own socket created with noDelay.
 * - Host key: ssh2 calls hostVerifier with the raw key blob; we decide with HostKeyCheck and keep
 *   what was presented, so a mismatch message can show the server's fingerprint. There is no
 *   code path that connects without a check.
 * - Keepalive: a server that vanishes mid-transfer (no RST) would otherwise hang the run until
 *   its timeout; keepalive turns that into SFTP_CONNECTION_LOST, which is retried.
 */
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import SftpClient from 'ssh2-sftp-client';
import ssh2 from 'ssh2';
import type { ServerHostKeyAlgorithm, SFTPWrapper } from 'ssh2';
import type { NamedConnection, SftpConnection } from '../../config/config-types.js';
import { SisrelayError } from '../../errors/sisrelay-error.js';
import type { JobLogger } from '../../jobs/job-types.js';
import { HostKeyCheck, fingerprintSha256, findKnownHosts, keyTypeOfBlob, knownHostsName, parseHostKeySpec } from './host-key.js';
import { mapSftpError } from './transfer-errors.js';

export const KEEPALIVE_INTERVAL_MS = 10_000;
export const KEEPALIVE_COUNT_MAX = 3;

export interface SftpSession {
  readonly client: SftpClient;
  /** The raw ssh2 SFTP channel, for requests ssh2-sftp-client does not expose as we need them. */
  readonly sftp: SFTPWrapper;
  /** False once the connection closed, ended or failed. */
  readonly alive: boolean;
  /** Polite close (SSH disconnect). */
  end(): Promise<void>;
  /** Drop the socket at once (after a failure, where a polite close could hang). */
  destroy(): void;
}

export interface SessionContext {
  endpoint: string;
  redact: (text: string) => string;
  log: JobLogger;
}

/** `sftp://user@host:port`, with IPv6 literals bracketed. */
export function endpointOf(conn: SftpConnection): string {
  const host = conn.host.includes(':') ? `[${conn.host}]` : conn.host;
  return `sftp://${conn.username}@${host}:${conn.port}`;
}

/**
 * Validate the parts of the config that need no I/O (so a bad hostKey fails when the target is
 * built, not mid-run). Throws CONFIG_INVALID.
 */
export function checkSftpConfig(conn: NamedConnection<SftpConnection>): void {
  const who = `connection "${conn.name}"`;
  if (conn.host.trim() === '') throw new SisrelayError('CONFIG_INVALID', `${who}: host is empty`);
  if (!Number.isInteger(conn.port) || conn.port < 1 || conn.port > 65535) {
    throw new SisrelayError('CONFIG_INVALID', `${who}: port must be 1-65535, got ${String(conn.port)}`);
  }
  if (conn.username.trim() === '') throw new SisrelayError('CONFIG_INVALID', `${who}: username is empty`);
  if (conn.password === null && conn.privateKey === null) {
    throw new SisrelayError('CONFIG_INVALID', `${who}: set password or privateKey (neither is set)`);
  }
  const pins = (conn.hostKey === null ? 0 : 1) + (conn.knownHostsFile === null ? 0 : 1);
  if (pins !== 1) {
    throw new SisrelayError(
      'CONFIG_INVALID',
      `${who}: set exactly one of hostKey and knownHostsFile (found ${pins}); host key verification cannot be turned off`,
    );
  }
  if (conn.hostKey !== null) {
    try {
      parseHostKeySpec(conn.hostKey);
    } catch (err) {
      if (err instanceof SisrelayError) throw new SisrelayError('CONFIG_INVALID', `${who}: ${err.message}`);
      throw err;
    }
  }
}

/** Build the host key check for this connection (reads knownHostsFile). */
export async function loadHostKeyCheck(conn: NamedConnection<SftpConnection>): Promise<HostKeyCheck> {
  if (conn.hostKey !== null) return HostKeyCheck.fromSpec(parseHostKeySpec(conn.hostKey));
  const file = conn.knownHostsFile as string;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new SisrelayError('CONFIG_UNREADABLE', `connection "${conn.name}": cannot read knownHostsFile ${file} (${code})`, { cause: err });
  }
  return HostKeyCheck.fromKnownHosts(findKnownHosts(text, conn.host, conn.port), file, conn.host, conn.port);
}

type Auth = { password: string } | { privateKey: string | Buffer; passphrase?: string } | { password: string; privateKey: string | Buffer; passphrase?: string };

/**
 * `privateKey` holds the key text (as a secret resolves to); a value without a PEM/OpenSSH header
 * is taken as a path to a key file. The key is parsed here so a wrong passphrase is reported as
 * such instead of as a generic handshake error.
 */
export async function loadAuth(conn: NamedConnection<SftpConnection>, ctx: SessionContext): Promise<Auth> {
  if (conn.privateKey === null) return { password: conn.password as string };
  let key: string | Buffer = conn.privateKey;
  if (!/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(conn.privateKey)) {
    const file = path.resolve(conn.privateKey.trim());
    try {
      key = await readFile(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      throw new SisrelayError(
        'CONFIG_UNREADABLE',
        `connection "${conn.name}": privateKey is neither key text nor a readable key file (${code})`,
        { cause: err },
      );
    }
  }
  const parsed = ssh2.utils.parseKey(key, conn.passphrase ?? undefined);
  if (parsed instanceof Error) {
    throw new SisrelayError(
      'SFTP_AUTH_FAILED',
      `${ctx.endpoint}: the private key cannot be used: ${ctx.redact(parsed.message)}` +
        (conn.passphrase === null ? ' (no passphrase is configured)' : ''),
      { transient: false },
    );
  }
  const withKey = { privateKey: key, ...(conn.passphrase === null ? {} : { passphrase: conn.passphrase }) };
  return conn.password === null ? withKey : { ...withKey, password: conn.password };
}

/** Connect, verify the host key and log in. One attempt; the caller retries. */
export async function openSftpSession(
  conn: NamedConnection<SftpConnection>,
  check: HostKeyCheck,
  auth: Auth,
  ctx: SessionContext,
): Promise<SftpSession> {
  let alive = true;
  const markDead = () => {
    alive = false;
  };
  // ssh2-sftp-client's default global listeners print to the console; ours only record state.
  const client = new SftpClient(`sisrelay:${conn.name}`, {
    error: (err) => {
      markDead();
      ctx.log.debug(`${ctx.endpoint}: connection error: ${ctx.redact(err instanceof Error ? err.message : String(err))}`);
    },
    end: markDead,
    close: markDead,
  });
  // The global listeners are skipped when an operation's own listener handled the event first,
  // so track liveness with listeners of our own as well.
  client.on('close', markDead);
  client.on('end', markDead);

  const sock = net.connect({ host: conn.host, port: conn.port, noDelay: true });
  let presented: string | null = null;
  let reason: string | null = null;
  const started = Date.now();
  let sftp: SFTPWrapper;
  try {
    sftp = await client.connect({
      sock,
      host: conn.host,
      port: conn.port,
      username: conn.username,
      ...auth,
      tryKeyboard: false,
      readyTimeout: conn.connectTimeoutMs,
      keepaliveInterval: KEEPALIVE_INTERVAL_MS,
      keepaliveCountMax: KEEPALIVE_COUNT_MAX,
      hostVerifier: (key: Buffer) => {
        const verdict = check.verify(key);
        if (!verdict.ok) {
          presented = `${keyTypeOfBlob(key) ?? 'an unknown-type'} key ${fingerprintSha256(key)}`;
          reason = verdict.reason;
        }
        return verdict.ok;
      },
      ...(check.algorithms === null ? {} : { algorithms: { serverHostKey: check.algorithms as ServerHostKeyAlgorithm[] } }),
    });
  } catch (err) {
    sock.destroy();
    throw mapSftpError(err, {
      endpoint: ctx.endpoint,
      action: 'connect',
      path: null,
      connectionLost: false,
      redact: ctx.redact,
      timeoutMs: conn.connectTimeoutMs,
      hostKey: {
        presented,
        reason: reason ?? (check.algorithms === null ? check.expected : `${check.expected}; offered ${check.algorithms.join(', ')}`),
        hostPort: knownHostsName(conn.host, conn.port),
      },
    });
  }
  ctx.log.debug(`${ctx.endpoint}: connected in ${Date.now() - started} ms`);

  return {
    client,
    sftp,
    get alive() {
      return alive && !sock.destroyed;
    },
    end: async () => {
      if (!alive || sock.destroyed) {
        sock.destroy();
        return;
      }
      alive = false;
      // A half-dead server can leave end() waiting for a close that never comes.
      await Promise.race([client.end().catch(() => undefined), new Promise((r) => setTimeout(r, 5000).unref())]);
      sock.destroy();
    },
    destroy: () => {
      alive = false;
      sock.destroy();
    },
  };
}
