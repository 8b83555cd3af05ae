/**
 * SftpTarget against a real OpenSSH sshd (test/fixtures/sshd.ts): chrooted `sftpuser` whose
 * `/upload` is `<chrootDir>/upload` on this host, so the tests check results on disk directly.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile, chown } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SftpTarget } from '../../src/adapters/files/sftp-target.js';
import type { SftpConnection } from '../../src/config/config-types.js';
import { Redactor } from '../../src/util/redactor.js';
import { freePort, placeUpload, startSshd, type SshdFixture } from '../fixtures/sshd.js';
import { captureLog, caught } from './test-log.js';

const run = promisify(execFile);

let fx: SshdFixture;
let work: string;
let target: SftpTarget;
const log = captureLog();
/** Every error any test provoked, checked for secrets at the end. */
const errors: Error[] = [];

function make(overrides: Partial<SftpConnection> = {}, l = log): SftpTarget {
  const conn = fx.sftpConnection(overrides);
  const redactor = new Redactor([fx.password, fx.clientKeyPassphrase, fx.clientKey, fx.encryptedClientKey]);
  return new SftpTarget(conn, { redactor, log: l });
}

async function fail(fn: () => Promise<unknown>) {
  const e = await caught(fn);
  errors.push(e);
  return e;
}

async function local(name: string, content: string | Buffer): Promise<string> {
  const p = path.join(work, name);
  await writeFile(p, content);
  return p;
}

const uploadDir = () => path.join(fx.chrootDir, 'upload');

beforeAll(async () => {
  fx = await startSshd();
  work = await mkdtemp(path.join(tmpdir(), 'sisrelay-sftp-test-'));
  target = make();
});

afterAll(async () => {
  await target?.close();
  await fx?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('login and host key', () => {
  it('logs in with the private key and sees only the chroot (/upload, /readonly)', async () => {
    await target.connect();
    const root = await target.list('/');
    expect(root.map((e) => e.name).sort()).toEqual(['readonly', 'upload']);
    expect(root.every((e) => e.type === 'directory')).toBe(true);
    expect(target.description).toBe(`sftp://sftpuser@127.0.0.1:${fx.port}`);
  });

  it('logs in with the password, pinned by the SHA256 fingerprint', async () => {
    const t = make({ privateKey: null, password: fx.password, hostKey: fx.fingerprint });
    try {
      await placeUpload(fx, 'pw-check.txt', 'seen');
      expect(await t.exists('/upload/pw-check.txt')).toBe(true);
      expect(await t.exists('/upload/not-there.txt')).toBe(false);
    } finally {
      await t.close();
    }
  });

  it('logs in with an encrypted key and passphrase, pinned by a hashed known_hosts file', async () => {
    const kh = path.join(work, 'known_hosts_hashed');
    await writeFile(kh, `other.example ${fx.hostPublicKey}\n${fx.knownHostsLine}\n`);
    await run('ssh-keygen', ['-H', '-f', kh]);
    expect(await readFile(kh, 'utf8')).not.toContain('127.0.0.1');
    const t = make({ hostKey: null, knownHostsFile: kh, privateKey: fx.encryptedClientKey, passphrase: fx.clientKeyPassphrase });
    try {
      await t.connect();
      expect((await t.list('/upload')).length).toBeGreaterThanOrEqual(0);
    } finally {
      await t.close();
    }
  });

  it('refuses a server whose key differs from the pinned key, showing both fingerprints', async () => {
    const other = path.join(work, 'other_host_key');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    const otherPub = (await readFile(`${other}.pub`, 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ');
    const t = make({ hostKey: `[127.0.0.1]:${fx.port} ${otherPub}` });
    const e = await fail(() => t.connect());
    expect(e.code).toBe('SFTP_HOST_KEY_MISMATCH');
    expect(e.transient).toBe(false);
    expect(e.message).toContain(`[127.0.0.1]:${fx.port}`);
    expect(e.message).toContain(`presented ssh-ed25519 key ${fx.fingerprint}`);
    expect(e.message).toMatch(/does not match the configured hostKey/);
  });

  it('refuses a server missing from the known_hosts file', async () => {
    const kh = path.join(work, 'known_hosts_other');
    await writeFile(kh, `[127.0.0.1]:1 ${fx.hostPublicKey}\n`);
    const e = await fail(() => make({ hostKey: null, knownHostsFile: kh }).connect());
    expect(e.code).toBe('SFTP_HOST_KEY_MISMATCH');
    expect(e.message).toContain(`has no entry for [127.0.0.1]:${fx.port}`);
    expect(e.message).toContain(fx.fingerprint);
  });

  it('refuses a known key type the server does not have (rsa pinned, server has ed25519)', async () => {
    const rsa = path.join(work, 'rsa_key');
    await run('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-f', rsa]);
    const pub = (await readFile(`${rsa}.pub`, 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ');
    const e = await fail(() => make({ hostKey: pub }).connect());
    expect(e.code).toBe('SFTP_HOST_KEY_MISMATCH');
  });

  it('reports a wrong password as SFTP_AUTH_FAILED without retrying and without the password', async () => {
    const l = captureLog();
    const wrong = 'not-the-password-9f3';
    const t = new SftpTarget(fx.sftpConnection({ privateKey: null, password: wrong, retries: 3, retryDelayMs: 10 }), {
      redactor: new Redactor([wrong]),
      log: l,
    });
    const e = await fail(() => t.connect());
    expect(e.code).toBe('SFTP_AUTH_FAILED');
    expect(e.transient).toBe(false);
    expect(e.message).toContain(`sftpuser@127.0.0.1:${fx.port}`);
    expect(e.message).not.toContain(wrong);
    expect(l.lines.filter((x) => x.level === 'warn')).toEqual([]);
  });

  it('reports a wrong key passphrase as SFTP_AUTH_FAILED', async () => {
    const e = await fail(() => make({ privateKey: fx.encryptedClientKey, passphrase: 'wrong-passphrase-x' }).connect());
    expect(e.code).toBe('SFTP_AUTH_FAILED');
    expect(e.message).not.toContain('wrong-passphrase-x');
  });

  it('reports a closed port as transient SFTP_CONNECT_FAILED after the configured retries', async () => {
    const l = captureLog();
    const port = await freePort();
    const t = new SftpTarget(fx.sftpConnection({ port, retries: 2, retryDelayMs: 10 }), { redactor: new Redactor(), log: l });
    const e = await fail(() => t.connect());
    expect(e.code).toBe('SFTP_CONNECT_FAILED');
    expect(e.transient).toBe(true);
    expect(e.message).toContain(`127.0.0.1:${port}`);
    expect(l.lines.filter((x) => x.level === 'warn').map((x) => x.message)).toEqual([
      expect.stringContaining('retry 1 of 2 in 10 ms'),
      expect.stringContaining('retry 2 of 2 in 20 ms'),
    ]);
  });
});

describe('uploads', () => {
  it('putReplace delivers a new file 0600 and leaves no temp file', async () => {
    const src = await local('new.csv', 'a,b\r\n1,2\r\n');
    const r = await target.putReplace(src, '/upload/new.csv');
    expect(r).toEqual({ path: '/upload/new.csv', status: 'delivered', bytes: 10 });
    const onDisk = path.join(uploadDir(), 'new.csv');
    expect(await readFile(onDisk, 'utf8')).toBe('a,b\r\n1,2\r\n');
    expect((await stat(onDisk)).mode & 0o777).toBe(0o600);
    expect((await readdir(uploadDir())).filter((n) => n.endsWith('.part'))).toEqual([]);
  });

  it('putReplace replaces by rename (a new inode with the new bytes, nothing left over)', async () => {
    const old = await placeUpload(fx, 'replace-me.csv', 'OLD CONTENT');
    const oldIno = (await stat(old)).ino;
    const body = randomBytes(300_000);
    const r = await target.putReplace(await local('replace-src.bin', body), '/upload/replace-me.csv');
    expect(r.bytes).toBe(body.length);
    expect((await readFile(old)).equals(body)).toBe(true);
    // Written in place, the file would keep its inode and be partial while writing.
    expect((await stat(old)).ino).not.toBe(oldIno);
    expect((await readdir(uploadDir())).filter((n) => n.includes('replace-me') && n !== 'replace-me.csv')).toEqual([]);
  });

  it('putReplace accepts a path relative to the login directory', async () => {
    await target.putReplace(await local('rel.txt', 'relative'), 'rel.txt');
    expect(await readFile(path.join(uploadDir(), 'rel.txt'), 'utf8')).toBe('relative');
  });

  it('putReplace puts the temporary file in tempDir when configured', async () => {
    await mkdir(path.join(uploadDir(), 'staging'));
    const { uid, gid } = await stat(uploadDir());
    await chown(path.join(uploadDir(), 'staging'), uid, gid);
    const l = captureLog();
    const t = new SftpTarget(fx.sftpConnection({ tempDir: '/upload/staging' }), { redactor: new Redactor(), log: l });
    try {
      await t.putReplace(await local('via-staging.csv', 'staged'), '/upload/via-staging.csv');
    } finally {
      await t.close();
    }
    expect(await readFile(path.join(uploadDir(), 'via-staging.csv'), 'utf8')).toBe('staged');
    expect(await readdir(path.join(uploadDir(), 'staging'))).toEqual([]);
  });

  it('putIfAbsent leaves an existing target and its bytes untouched', async () => {
    const existing = await placeUpload(fx, 'enrollments.csv', 'NOT CONSUMED YET');
    const before = await stat(existing);
    const r = await target.putIfAbsent(await local('enr.csv', 'new enrollments'), '/upload/enrollments.csv');
    expect(r).toEqual({ path: '/upload/enrollments.csv', status: 'skipped-exists', bytes: 0 });
    expect(await readFile(existing, 'utf8')).toBe('NOT CONSUMED YET');
    const after = await stat(existing);
    expect(after.ino).toBe(before.ino);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect((await readdir(uploadDir())).filter((n) => n.includes('enrollments') && n !== 'enrollments.csv')).toEqual([]);
  });

  it('putIfAbsent delivers when the target is absent', async () => {
    const r = await target.putIfAbsent(await local('leganto.txt', 'tab\tseparated\r\n'), '/upload/20261122031500.txt');
    expect(r.status).toBe('delivered');
    expect(await readFile(path.join(uploadDir(), '20261122031500.txt'), 'utf8')).toBe('tab\tseparated\r\n');
  });

  it('a write into a read-only directory is TRANSFER_PERMISSION_DENIED naming it', async () => {
    const e = await fail(() => target.putReplace(path.join(work, 'new.csv'), '/readonly/x.csv'));
    expect(e.code).toBe('TRANSFER_PERMISSION_DENIED');
    expect(e.transient).toBe(false);
    expect(e.message).toContain('permission denied on /readonly');
    expect(await readdir(path.join(fx.chrootDir, 'readonly'))).toEqual([]);
  });

  it('a missing directory is TRANSFER_NO_SUCH_PATH naming it, and is not created', async () => {
    const e = await fail(() => target.putIfAbsent(path.join(work, 'new.csv'), '/upload/conduit/enrollments.csv'));
    expect(e.code).toBe('TRANSFER_NO_SUCH_PATH');
    expect(e.message).toContain('/upload/conduit does not exist');
    expect(await readdir(uploadDir())).not.toContain('conduit');
  });

  it('a missing local file is INPUT_NOT_FOUND before anything is sent', async () => {
    const e = await fail(() => target.putReplace(path.join(work, 'nope.csv'), '/upload/nope.csv'));
    expect(e.code).toBe('INPUT_NOT_FOUND');
    expect(await readdir(uploadDir())).not.toContain('nope.csv');
  });
});

describe('epochs', () => {
  it('creates the directory, the files, then the empty marker last', async () => {
    const students = await local('students.csv', 'id,name\r\n1,A\r\n');
    const guardians = await local('guardians.csv', randomBytes(200_000));
    const r = await target.putEpoch('/upload', '20261122-031500', [
      { localPath: students, name: 'students.csv' },
      { localPath: guardians, name: 'guardians.csv' },
    ], 'COMPLETE');
    expect(r.dir).toBe('/upload/20261122-031500');
    expect(r.marker).toBe('/upload/20261122-031500/COMPLETE');
    expect(r.files.map((f) => [f.path, f.status, f.bytes])).toEqual([
      ['/upload/20261122-031500/students.csv', 'delivered', 14],
      ['/upload/20261122-031500/guardians.csv', 'delivered', 200_000],
    ]);
    const dir = path.join(uploadDir(), '20261122-031500');
    expect((await readdir(dir)).sort()).toEqual(['COMPLETE', 'guardians.csv', 'students.csv']);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    const [s, g, c] = await Promise.all(['students.csv', 'guardians.csv', 'COMPLETE'].map((n) => stat(path.join(dir, n), { bigint: true })));
    expect(c!.size).toBe(0n);
    // The marker's inode changed last: after both data files were complete and renamed.
    expect(c!.ctimeNs >= s!.ctimeNs && c!.ctimeNs >= g!.ctimeNs).toBe(true);
    expect(c!.mtimeNs >= g!.mtimeNs).toBe(true);
  });

  it('refuses an epoch name that already exists, leaving it as it was', async () => {
    await mkdir(path.join(uploadDir(), '20261122-040000'));
    await writeFile(path.join(uploadDir(), '20261122-040000', 'keep.csv'), 'earlier');
    const e = await fail(() => target.putEpoch('/upload', '20261122-040000', [{ localPath: path.join(work, 'new.csv'), name: 'students.csv' }], 'COMPLETE'));
    expect(e.code).toBe('TRANSFER_TARGET_EXISTS');
    expect(e.message).toContain('/upload/20261122-040000');
    expect(await readdir(path.join(uploadDir(), '20261122-040000'))).toEqual(['keep.csv']);
  });

  it('removes the epoch and writes no marker when a file fails', async () => {
    // A 250-character name fits the server's limit, its temporary name does not: the second
    // upload fails after the first file is already in the epoch.
    const longName = 'g'.repeat(250) + '.csv';
    const e = await fail(() =>
      target.putEpoch('/upload', '20261122-050000', [
        { localPath: path.join(work, 'students.csv'), name: 'students.csv' },
        { localPath: path.join(work, 'guardians.csv'), name: longName },
      ], 'COMPLETE'),
    );
    expect(e.code).toBe('TRANSFER_FAILED');
    expect(e.message).toContain('/upload/20261122-050000/ggg');
    // The first file had landed and was taken away again.
    expect(log.text()).toContain('epoch /upload/20261122-050000 failed before its marker; removed its 1 file(s) and the directory');
    expect(await readdir(uploadDir())).not.toContain('20261122-050000');
  });

  it('a missing parent directory is TRANSFER_NO_SUCH_PATH naming it', async () => {
    const e = await fail(() => target.putEpoch('/upload/samegoal', 'E1', [], 'COMPLETE'));
    expect(e.code).toBe('TRANSFER_NO_SUCH_PATH');
    expect(e.message).toContain('/upload/samegoal does not exist');
  });

  it.each([['../escape'], ['a/b'], ['..'], ['']])('rejects the epoch name %j', async (name) => {
    const e = await fail(() => target.putEpoch('/upload', name, [], 'COMPLETE'));
    expect(e.code).toBe('CONFIG_INVALID');
  });
});

describe('list, exists, download', () => {
  it('lists files and directories with sizes', async () => {
    await placeUpload(fx, 'listed.csv', '12345');
    const entries = await target.list('/upload');
    const listed = entries.find((e) => e.name === 'listed.csv');
    expect(listed).toMatchObject({ type: 'file', size: 5 });
    expect(listed!.modifiedAt).toBeInstanceOf(Date);
    expect(entries.find((e) => e.name === '20261122-031500')?.type).toBe('directory');
  });

  it('a missing directory to list is TRANSFER_NO_SUCH_PATH', async () => {
    expect((await fail(() => target.list('/upload/none'))).code).toBe('TRANSFER_NO_SUCH_PATH');
  });

  it('downloads to a 0600 file through a temporary name', async () => {
    const body = randomBytes(123_456);
    await placeUpload(fx, 'export.bin', body);
    const dest = path.join(work, 'downloaded', 'export.bin');
    await mkdir(path.dirname(dest));
    const r = await target.download('/upload/export.bin', dest);
    expect(r.bytes).toBe(body.length);
    expect((await readFile(dest)).equals(body)).toBe(true);
    expect((await stat(dest)).mode & 0o777).toBe(0o600);
    expect(await readdir(path.dirname(dest))).toEqual(['export.bin']);
  });

  it('a missing remote file is TRANSFER_NO_SUCH_PATH and leaves no local file', async () => {
    const dest = path.join(work, 'dl2', 'x.bin');
    await mkdir(path.dirname(dest));
    const e = await fail(() => target.download('/upload/absent.bin', dest));
    expect(e.code).toBe('TRANSFER_NO_SUCH_PATH');
    expect(await readdir(path.dirname(dest))).toEqual([]);
  });
});

describe('secrets', () => {
  it('no error message and no log line carries a password, passphrase or key material', () => {
    expect(errors.length).toBeGreaterThanOrEqual(10);
    const keyBody = (k: string) => k.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'));
    const needles = [fx.password, fx.clientKeyPassphrase, ...keyBody(fx.clientKey), ...keyBody(fx.encryptedClientKey)];
    const haystacks = [...errors.map((e) => `${e.message} ${JSON.stringify((e as { details?: unknown }).details ?? {})}`), log.text()];
    for (const h of haystacks) for (const n of needles) expect(h).not.toContain(n);
  });
});
