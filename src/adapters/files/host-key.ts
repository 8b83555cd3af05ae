/**
 * SSH host-key pinning: parse what an admin configured (a known_hosts line, a bare public key, an
 * OpenSSH `SHA256:` fingerprint, or a known_hosts file) and decide whether the key a server
 * presents is the expected one.
 *
 * The originals either trusted any key (paramiko without a check) or depended on whatever
 * `~/.ssh/known_hosts` held on the automation server; a changed key must stop the delivery, with
 * a message that shows both fingerprints so an admin can tell rotation from interception.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { SisrelayError } from '../../errors/sisrelay-error.js';

export interface PublicHostKey {
  /** Key type from the key blob, e.g. `ssh-ed25519`. */
  type: string;
  /** The SSH wire-format public key blob (what base64 in known_hosts decodes to). */
  blob: Buffer;
}

export type HostKeySpec =
  | { kind: 'key'; key: PublicHostKey }
  | {
      kind: 'fingerprint';
      /** The 32 SHA-256 bytes. */
      sha256: Buffer;
      /** Normalised `SHA256:<unpadded base64>`. */
      text: string;
      /** Key type when the spec named one (`256 SHA256:... (ED25519)` from ssh-keygen -l). */
      type: string | null;
    };

/** OpenSSH's fingerprint form: `SHA256:` + unpadded base64 of the SHA-256 of the key blob. */
export function fingerprintSha256(blob: Buffer): string {
  return fingerprintSha256FromDigest(createHash('sha256').update(blob).digest());
}

/** The type name a key blob starts with (an SSH string), or null if the blob is malformed. */
export function keyTypeOfBlob(blob: Buffer): string | null {
  if (blob.length < 4) return null;
  const len = blob.readUInt32BE(0);
  if (len === 0 || len > 64 || blob.length < 4 + len) return null;
  const type = blob.subarray(4, 4 + len).toString('latin1');
  return /^[a-z0-9@._-]+$/i.test(type) ? type : null;
}

/** Which ssh2 `serverHostKey` algorithms can present a key of this type. */
export function hostKeyAlgorithmsFor(keyType: string): string[] {
  if (keyType === 'ssh-rsa') return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  return [keyType];
}

const SSH_KEYGEN_TYPES: Record<string, string> = {
  ED25519: 'ssh-ed25519',
  RSA: 'ssh-rsa',
  DSA: 'ssh-dss',
  'ECDSA-256': 'ecdsa-sha2-nistp256',
  'ECDSA-384': 'ecdsa-sha2-nistp384',
  'ECDSA-521': 'ecdsa-sha2-nistp521',
};

/**
 * Parse the `hostKey` setting. Accepted forms:
 * - a known_hosts line: `[host]:port ssh-ed25519 AAAA... [comment]` (the host field is not checked:
 *   the setting belongs to one connection);
 * - a bare key: `ssh-ed25519 AAAA... [comment]`;
 * - a fingerprint: `SHA256:<base64>`, or the whole `ssh-keygen -l` line
 *   (`256 SHA256:<base64> comment (ED25519)`), whose type then limits the algorithms offered.
 * Throws CONFIG_INVALID naming what was wrong, never echoing more than the key type.
 */
export function parseHostKeySpec(spec: string): HostKeySpec {
  const text = spec.trim();
  if (text === '') throw invalid('hostKey is empty; expected a known_hosts line, a public key or a SHA256: fingerprint');

  const fp = /(?:^|\s)SHA256:([A-Za-z0-9+/]+={0,2})(?=\s|$)/.exec(text);
  if (fp !== null && fp[1] !== undefined) {
    const sha256 = Buffer.from(fp[1], 'base64');
    if (sha256.length !== 32) {
      throw invalid(`hostKey fingerprint SHA256:${fp[1]} decodes to ${sha256.length} bytes; a SHA-256 fingerprint has 32`);
    }
    const typeMatch = /\(([A-Z0-9-]+)\)\s*$/.exec(text);
    const type = typeMatch?.[1] !== undefined ? (SSH_KEYGEN_TYPES[typeMatch[1]] ?? null) : null;
    return { kind: 'fingerprint', sha256, text: fingerprintSha256FromDigest(sha256), type };
  }
  if (/^MD5:/i.test(text) || /^([0-9a-f]{2}:){15}[0-9a-f]{2}$/i.test(text)) {
    throw invalid('hostKey is an MD5 fingerprint; give the SHA256: fingerprint (ssh-keygen -l -E sha256) or the public key');
  }

  const fields = text.split(/\s+/);
  // A key type is never the first field of a known_hosts line and always the first of a bare key.
  const typeIndex = fields.findIndex((f) => /^(ssh-|ecdsa-|sk-)/.test(f));
  if (typeIndex < 0 || typeIndex > 1) {
    throw invalid('hostKey is not a known_hosts line, a public key ("ssh-ed25519 AAAA...") or a SHA256: fingerprint');
  }
  const key = decodeKey(fields[typeIndex] as string, fields[typeIndex + 1], 'hostKey');
  return { kind: 'key', key };
}

function fingerprintSha256FromDigest(digest: Buffer): string {
  return 'SHA256:' + digest.toString('base64').replace(/=+$/, '');
}

function decodeKey(type: string, b64: string | undefined, where: string): PublicHostKey {
  if (b64 === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) {
    throw invalid(`${where}: the ${type} key has no valid base64 key data after the type`);
  }
  const blob = Buffer.from(b64, 'base64');
  const inner = keyTypeOfBlob(blob);
  if (inner === null) throw invalid(`${where}: the ${type} key data is not an SSH public key blob`);
  // Guards against pasting the wrong half of a line (e.g. an RSA blob labelled ed25519).
  if (inner !== type) throw invalid(`${where}: the key is labelled ${type} but its data is a ${inner} key`);
  return { type, blob };
}

function invalid(message: string): SisrelayError {
  return new SisrelayError('CONFIG_INVALID', message);
}

// ---------------------------------------------------------------------------------------------
// known_hosts files

/** The name a known_hosts file lists a server under: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/**
 * OpenSSH host pattern lists: comma-separated, `*` and `?` wildcards, `!` negation (a negated
 * match vetoes the line), hashed `|1|salt|hmac` entries (HMAC-SHA1 of the name keyed by the salt).
 * Host names compare case-insensitively.
 */
export function matchHostPatterns(patternList: string, name: string): boolean {
  if (patternList.startsWith('|1|')) return matchHashed(patternList, name);
  const lname = name.toLowerCase();
  let matched = false;
  for (const raw of patternList.split(',')) {
    if (raw === '') continue;
    const negated = raw.startsWith('!');
    const pattern = (negated ? raw.slice(1) : raw).toLowerCase();
    if (wildcardMatch(pattern, lname)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

function matchHashed(entry: string, name: string): boolean {
  const parts = entry.split('|');
  // ['', '1', salt, hash]
  if (parts.length !== 4 || parts[2] === undefined || parts[3] === undefined) return false;
  const salt = Buffer.from(parts[2], 'base64');
  const expected = Buffer.from(parts[3], 'base64');
  const actual = createHmac('sha1', salt).update(name).digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

function wildcardMatch(pattern: string, name: string): boolean {
  const re = new RegExp(
    '^' +
      pattern
        .split('')
        .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
        .join('') +
      '$',
  );
  return re.test(name);
}

export interface KnownHostsMatch {
  /** Keys listed for the host. */
  keys: PublicHostKey[];
  /** Keys on `@revoked` lines (any host): refused everywhere. */
  revoked: PublicHostKey[];
  /** `@cert-authority` lines for the host: not supported (certificates are not verified). */
  certAuthorityLines: number;
  /** Lines that could not be parsed (1-based line numbers), reported but not fatal. */
  badLines: number[];
}

/** Collect the keys a known_hosts file lists for `host`/`port`. */
export function findKnownHosts(text: string, host: string, port: number): KnownHostsMatch {
  const name = knownHostsName(host, port);
  const out: KnownHostsMatch = { keys: [], revoked: [], certAuthorityLines: 0, badLines: [] };
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    let marker: string | null = null;
    if (fields[0]?.startsWith('@')) marker = fields.shift() as string;
    const [patterns, type, b64] = fields;
    if (patterns === undefined || type === undefined) {
      out.badLines.push(i + 1);
      continue;
    }
    let key: PublicHostKey;
    try {
      key = decodeKey(type, b64, `known_hosts line ${i + 1}`);
    } catch {
      out.badLines.push(i + 1);
      continue;
    }
    if (marker === '@revoked') {
      out.revoked.push(key);
      continue;
    }
    if (!matchHostPatterns(patterns, name)) continue;
    if (marker === '@cert-authority') out.certAuthorityLines++;
    else if (marker === null) out.keys.push(key);
    else out.badLines.push(i + 1);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The check used during the handshake

export type HostKeyVerdict = { ok: true } | { ok: false; reason: string };

/**
 * The decision for one connection. `verify` gets the raw key blob the server presented (ssh2's
 * hostVerifier without `hostHash`), so the same code handles keys and fingerprints.
 */
export class HostKeyCheck {
  readonly #accepted: PublicHostKey[];
  readonly #fingerprints: { sha256: Buffer; text: string }[];
  readonly #revoked: PublicHostKey[];
  readonly #expected: string;
  readonly #types: string[] | null;

  private constructor(init: {
    accepted: PublicHostKey[];
    fingerprints: { sha256: Buffer; text: string }[];
    revoked: PublicHostKey[];
    expected: string;
    types: string[] | null;
  }) {
    this.#accepted = init.accepted;
    this.#fingerprints = init.fingerprints;
    this.#revoked = init.revoked;
    this.#expected = init.expected;
    this.#types = init.types;
  }

  static fromSpec(spec: HostKeySpec): HostKeyCheck {
    if (spec.kind === 'key') {
      return new HostKeyCheck({
        accepted: [spec.key],
        fingerprints: [],
        revoked: [],
        expected: `the configured hostKey (${spec.key.type} ${fingerprintSha256(spec.key.blob)})`,
        types: [spec.key.type],
      });
    }
    return new HostKeyCheck({
      accepted: [],
      fingerprints: [{ sha256: spec.sha256, text: spec.text }],
      revoked: [],
      expected: `the configured hostKey fingerprint (${spec.text})`,
      types: spec.type === null ? null : [spec.type],
    });
  }

  static fromKnownHosts(match: KnownHostsMatch, file: string, host: string, port: number): HostKeyCheck {
    const name = knownHostsName(host, port);
    const listed = match.keys.map((k) => `${k.type} ${fingerprintSha256(k.blob)}`);
    return new HostKeyCheck({
      accepted: match.keys,
      fingerprints: [],
      revoked: match.revoked,
      expected:
        match.keys.length === 0
          ? `any key for ${name} in ${file} (the file has no entry for ${name})`
          : `the key(s) for ${name} in ${file} (${listed.join(', ')})`,
      types: match.keys.length === 0 ? null : [...new Set(match.keys.map((k) => k.type))],
    });
  }

  /** What the check expected, for the mismatch message. */
  get expected(): string {
    return this.#expected;
  }

  /**
   * Host key algorithms to offer, so a server holding several key types presents the pinned
   * one (otherwise ssh2 would pick by its own preference and a correct pin would look changed).
   * Null when the pin does not say which type it is.
   */
  get algorithms(): string[] | null {
    return this.#types === null ? null : this.#types.flatMap(hostKeyAlgorithmsFor);
  }

  verify(blob: Buffer): HostKeyVerdict {
    for (const r of this.#revoked) {
      if (sameBytes(r.blob, blob)) return { ok: false, reason: 'the presented key is marked @revoked in the known_hosts file' };
    }
    for (const k of this.#accepted) if (sameBytes(k.blob, blob)) return { ok: true };
    if (this.#fingerprints.length > 0) {
      const digest = createHash('sha256').update(blob).digest();
      for (const f of this.#fingerprints) if (sameBytes(f.sha256, digest)) return { ok: true };
    }
    return { ok: false, reason: `it does not match ${this.#expected}` };
  }
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
