import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HostKeyCheck,
  findKnownHosts,
  fingerprintSha256,
  keyTypeOfBlob,
  knownHostsName,
  matchHostPatterns,
  parseHostKeySpec,
} from '../../src/adapters/files/host-key.js';
import { SisrelayError } from '../../src/errors/sisrelay-error.js';

const run = promisify(execFile);

/** Keys and fingerprints made by OpenSSH itself, the reference our parsing must agree with. */
interface RefKey {
  line: string; // "type base64"
  type: string;
  blob: Buffer;
  fingerprint: string;
}

let dir: string;
let ed: RefKey;
let ecdsa: RefKey;
let rsa: RefKey;

async function makeKey(type: string, extra: string[] = []): Promise<RefKey> {
  const f = path.join(dir, `k-${type}-${Math.random().toString(16).slice(2)}`);
  await run('ssh-keygen', ['-q', '-t', type, ...extra, '-N', '', '-C', 'test', '-f', f]);
  const pub = (await readFile(`${f}.pub`, 'utf8')).trim().split(/\s+/);
  const { stdout } = await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${f}.pub`]);
  return {
    line: `${pub[0]} ${pub[1]}`,
    type: pub[0] as string,
    blob: Buffer.from(pub[1] as string, 'base64'),
    fingerprint: /SHA256:\S+/.exec(stdout)?.[0] as string,
  };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sisrelay-hostkey-'));
  [ed, ecdsa, rsa] = await Promise.all([makeKey('ed25519'), makeKey('ecdsa', ['-b', '256']), makeKey('rsa', ['-b', '2048'])]);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('fingerprintSha256', () => {
  it('matches ssh-keygen -l for ed25519, ecdsa and rsa keys', () => {
    for (const k of [ed, ecdsa, rsa]) expect(fingerprintSha256(k.blob)).toBe(k.fingerprint);
  });
  it('is unpadded base64 of 32 bytes (43 characters after the prefix)', () => {
    expect(fingerprintSha256(Buffer.from('x'))).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });
});

describe('keyTypeOfBlob', () => {
  it.each([
    ['ed25519', () => ed],
    ['ecdsa', () => ecdsa],
    ['rsa', () => rsa],
  ])('reads the type name out of a %s blob', (_n, k) => {
    expect(keyTypeOfBlob(k().blob)).toBe(k().type);
  });
  it.each([
    ['empty', Buffer.alloc(0)],
    ['length beyond the data', Buffer.from([0, 0, 0, 20, 0x61])],
    ['zero length', Buffer.from([0, 0, 0, 0])],
    ['non-name bytes', Buffer.concat([Buffer.from([0, 0, 0, 3]), Buffer.from([0xff, 0x00, 0x20])])],
  ])('returns null for a malformed blob (%s)', (_n, blob) => {
    expect(keyTypeOfBlob(blob)).toBeNull();
  });
});

describe('parseHostKeySpec', () => {
  it('accepts a known_hosts line with [host]:port', () => {
    const spec = parseHostKeySpec(`[sftp.example.org]:2225 ${ed.line}`);
    expect(spec.kind).toBe('key');
    if (spec.kind === 'key') {
      expect(spec.key.type).toBe('ssh-ed25519');
      expect(spec.key.blob.equals(ed.blob)).toBe(true);
    }
  });
  it('accepts a bare key with a trailing comment', () => {
    const spec = parseHostKeySpec(`${rsa.line} root@server`);
    expect(spec.kind === 'key' && spec.key.type).toBe('ssh-rsa');
  });
  it('accepts an OpenSSH SHA256 fingerprint and keeps its bytes', () => {
    const spec = parseHostKeySpec(ecdsa.fingerprint);
    expect(spec.kind).toBe('fingerprint');
    if (spec.kind === 'fingerprint') {
      expect(spec.text).toBe(ecdsa.fingerprint);
      expect(spec.sha256.length).toBe(32);
      expect(spec.type).toBeNull();
    }
  });
  it('accepts the whole ssh-keygen -l line and takes the key type from it', () => {
    const spec = parseHostKeySpec(`256 ${ed.fingerprint} root@host (ED25519)`);
    expect(spec.kind === 'fingerprint' && spec.type).toBe('ssh-ed25519');
  });
  it('accepts a padded fingerprint as the same value', () => {
    const spec = parseHostKeySpec(`${ed.fingerprint}=`);
    expect(spec.kind === 'fingerprint' && spec.text).toBe(ed.fingerprint);
  });
  it.each([
    ['empty', '   ', /empty/],
    ['MD5 fingerprint', 'MD5:12:34:56:78:9a:bc:de:f0:12:34:56:78:9a:bc:de:f0', /MD5/],
    ['legacy hex fingerprint', '12:34:56:78:9a:bc:de:f0:12:34:56:78:9a:bc:de:f0', /MD5/],
    ['short SHA256', 'SHA256:abcd', /32/],
    ['no key type', 'AAAAC3NzaC1lZDI1NTE5AAAAIDkM', /not a known_hosts line/],
    ['type without data', 'ssh-ed25519', /no valid base64/],
    ['data that is not a key blob', 'ssh-ed25519 aGVsbG8=', /not an SSH public key blob/],
  ])('rejects %s with CONFIG_INVALID', (_n, text, msg) => {
    let caught: unknown;
    try {
      parseHostKeySpec(text);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SisrelayError);
    expect((caught as SisrelayError).code).toBe('CONFIG_INVALID');
    expect((caught as SisrelayError).message).toMatch(msg);
  });
  it('rejects a key labelled with the wrong type', () => {
    const b64 = rsa.line.split(' ')[1] as string;
    expect(() => parseHostKeySpec(`ssh-ed25519 ${b64}`)).toThrow(/labelled ssh-ed25519 but its data is a ssh-rsa key/);
  });
});

describe('known_hosts matching', () => {
  it.each([
    ['example.com', 'example.com', true],
    ['EXAMPLE.com', 'example.COM', true],
    ['other.com,example.com', 'example.com', true],
    ['*.example.com', 'sftp.example.com', true],
    ['*.example.com', 'example.com', false],
    ['sftp?.example.com', 'sftp2.example.com', true],
    ['sftp?.example.com', 'sftp22.example.com', false],
    ['*.example.com,!bad.example.com', 'bad.example.com', false],
    ['*.example.com,!bad.example.com', 'good.example.com', true],
    ['[10.0.0.1]:2225', '[10.0.0.1]:2225', true],
    ['[10.0.0.1]:2225', '10.0.0.1', false],
    ['10.0.0.1', '[10.0.0.1]:2225', false],
    ['a.b', 'aXb', false],
  ])('pattern %s vs %s → %s', (pattern, name, expected) => {
    expect(matchHostPatterns(pattern, name)).toBe(expected);
  });

  it.each([
    ['sftp.example.com', 22, 'sftp.example.com'],
    ['sftp.example.com', 2225, '[sftp.example.com]:2225'],
  ])('knownHostsName(%s, %d) = %s', (host, port, name) => {
    expect(knownHostsName(host, port)).toBe(name);
  });

  it('matches entries hashed by ssh-keygen -H', async () => {
    const f = path.join(dir, 'known_hosts_hashed');
    await writeFile(f, `[127.0.0.1]:2222 ${ed.line}\nexample.com ${rsa.line}\n`);
    await run('ssh-keygen', ['-H', '-f', f]);
    const text = await readFile(f, 'utf8');
    expect(text).toContain('|1|');
    expect(text).not.toContain('example.com');

    const a = findKnownHosts(text, '127.0.0.1', 2222);
    expect(a.keys.map((k) => k.type)).toEqual(['ssh-ed25519']);
    const b = findKnownHosts(text, 'example.com', 22);
    expect(b.keys.map((k) => k.type)).toEqual(['ssh-rsa']);
    expect(findKnownHosts(text, '127.0.0.1', 22).keys).toEqual([]);
  });

  it('collects keys for the host, @revoked keys for any host, and counts the rest', () => {
    const text = [
      '# comment',
      '',
      `[sftp.example.com]:2225 ${ed.line}`,
      `sftp.example.com ${rsa.line}`,
      `*.example.com ${ecdsa.line} wildcard`,
      `@revoked other.host ${rsa.line}`,
      `@cert-authority *.example.com ${ed.line}`,
      'garbage-line-without-key',
      `[sftp.example.com]:2225 ssh-ed25519 !!!notbase64`,
    ].join('\n');
    const m = findKnownHosts(text, 'sftp.example.com', 2225);
    expect(m.keys.map((k) => k.type)).toEqual(['ssh-ed25519']);
    expect(m.revoked.map((k) => k.type)).toEqual(['ssh-rsa']);
    expect(m.certAuthorityLines).toBe(0);
    expect(m.badLines).toEqual([8, 9]);

    const port22 = findKnownHosts(text, 'sftp.example.com', 22);
    expect(port22.keys.map((k) => k.type).sort()).toEqual(['ecdsa-sha2-nistp256', 'ssh-rsa']);
    expect(port22.certAuthorityLines).toBe(1);
  });
});

describe('HostKeyCheck', () => {
  it('accepts exactly the pinned key and offers only its algorithms', () => {
    const check = HostKeyCheck.fromSpec(parseHostKeySpec(ed.line));
    expect(check.verify(ed.blob)).toEqual({ ok: true });
    const other = check.verify(ecdsa.blob);
    expect(other.ok).toBe(false);
    expect(!other.ok && other.reason).toContain(ed.fingerprint);
    expect(check.algorithms).toEqual(['ssh-ed25519']);
  });

  it('expands ssh-rsa to the SHA-2 signature algorithms', () => {
    expect(HostKeyCheck.fromSpec(parseHostKeySpec(rsa.line)).algorithms).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
  });

  it('accepts by fingerprint, with no algorithm restriction when the type is unknown', () => {
    const check = HostKeyCheck.fromSpec(parseHostKeySpec(rsa.fingerprint));
    expect(check.verify(rsa.blob).ok).toBe(true);
    expect(check.verify(ed.blob).ok).toBe(false);
    expect(check.algorithms).toBeNull();
  });

  it('refuses a revoked key even when it is also listed for the host', () => {
    const text = `example.com ${ed.line}\n@revoked * ${ed.line}\n`;
    const check = HostKeyCheck.fromKnownHosts(findKnownHosts(text, 'example.com', 22), '/etc/kh', 'example.com', 22);
    const v = check.verify(ed.blob);
    expect(v.ok).toBe(false);
    expect(!v.ok && v.reason).toMatch(/revoked/);
  });

  it('says when the file has no entry for the host', () => {
    const check = HostKeyCheck.fromKnownHosts(findKnownHosts(`other.org ${ed.line}\n`, 'example.com', 2222), '/etc/kh', 'example.com', 2222);
    const v = check.verify(ed.blob);
    expect(v.ok).toBe(false);
    expect(!v.ok && v.reason).toContain('has no entry for [example.com]:2222');
    expect(check.algorithms).toBeNull();
  });
});
