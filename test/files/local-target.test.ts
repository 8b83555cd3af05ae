import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalTarget } from '../../src/adapters/files/local-target.js';
import type { LocalConnection, NamedConnection } from '../../src/config/config-types.js';
import { captureLog, caught } from './test-log.js';

let work: string;
let src: string;

const conn = (p: string, create = false): NamedConnection<LocalConnection> => ({ name: 'drop', type: 'local', path: p, create });

async function local(name: string, content: string | Buffer): Promise<string> {
  const p = path.join(src, name);
  await writeFile(p, content);
  return p;
}

async function freshRoot(create = false): Promise<{ root: string; t: LocalTarget; log: ReturnType<typeof captureLog> }> {
  const root = await mkdtemp(path.join(work, 'root-'));
  const log = captureLog();
  return { root, t: new LocalTarget(conn(root, create), { log }), log };
}

const mode = async (p: string) => (await stat(p)).mode & 0o777;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'sisrelay-local-test-'));
  src = path.join(work, 'src');
  await mkdir(src);
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('root directory', () => {
  it('create: true makes the root (0700) and missing directories below it', async () => {
    const root = path.join(work, 'made', 'drop');
    const t = new LocalTarget(conn(root, true), { log: captureLog() });
    await t.connect();
    expect(await mode(root)).toBe(0o700);
    await t.putReplace(await local('x.csv', 'x'), '/conduit/enrollments.csv');
    expect(await mode(path.join(root, 'conduit'))).toBe(0o700);
    expect(await readFile(path.join(root, 'conduit', 'enrollments.csv'), 'utf8')).toBe('x');
    expect(t.description).toBe(`local:${root}`);
  });

  it('a missing root without create is TRANSFER_NO_SUCH_PATH', async () => {
    const t = new LocalTarget(conn(path.join(work, 'absent-root')), { log: captureLog() });
    const e = await caught(() => t.connect());
    expect(e.code).toBe('TRANSFER_NO_SUCH_PATH');
    expect(e.message).toContain('absent-root');
  });

  it('a missing directory below the root without create is TRANSFER_NO_SUCH_PATH and is not created', async () => {
    const { root, t } = await freshRoot(false);
    const e = await caught(() => t.putReplace(path.join(src, 'x.csv'), '/conduit/enrollments.csv'));
    expect(e.code).toBe('TRANSFER_NO_SUCH_PATH');
    expect(e.message).toContain('/conduit');
    expect(await readdir(root)).toEqual([]);
  });
});

describe('putReplace', () => {
  it('writes a 0600 file, replaces by rename (new inode) and leaves no temp file', async () => {
    const { root, t } = await freshRoot();
    const first = await t.putReplace(await local('v1.csv', 'version 1'), 'roster.csv');
    expect(first).toEqual({ path: 'roster.csv', status: 'delivered', bytes: 9 });
    const p = path.join(root, 'roster.csv');
    expect(await mode(p)).toBe(0o600);
    const ino = (await stat(p)).ino;
    const body = randomBytes(500_000);
    await t.putReplace(await local('v2.bin', body), '/roster.csv');
    expect((await readFile(p)).equals(body)).toBe(true);
    expect((await stat(p)).ino).not.toBe(ino);
    expect(await readdir(root)).toEqual(['roster.csv']);
  });

  it('a missing local file is INPUT_NOT_FOUND', async () => {
    const { t } = await freshRoot();
    expect((await caught(() => t.putReplace(path.join(src, 'none.csv'), 'x.csv'))).code).toBe('INPUT_NOT_FOUND');
  });

  it('a path through a plain file is TRANSFER_NO_SUCH_PATH', async () => {
    // (EACCES → TRANSFER_PERMISSION_DENIED is covered in transfer-errors.test.ts: tests run as
    // root, for whom directory modes do not deny anything.)
    const { root, t } = await freshRoot();
    await writeFile(path.join(root, 'plainfile'), 'x');
    const e = await caught(() => t.putReplace(path.join(src, 'v1.csv'), 'plainfile/x.csv'));
    expect(e.code).toBe('TRANSFER_NO_SUCH_PATH');
    expect(e.message).toContain('plainfile');
  });
});

describe('putIfAbsent', () => {
  it('skips an existing target and leaves its bytes untouched', async () => {
    const { root, t } = await freshRoot();
    const existing = path.join(root, 'enrollments.csv');
    await writeFile(existing, 'NOT CONSUMED');
    const before = await stat(existing);
    const r = await t.putIfAbsent(await local('new.csv', 'new'), 'enrollments.csv');
    expect(r).toEqual({ path: 'enrollments.csv', status: 'skipped-exists', bytes: 0 });
    expect(await readFile(existing, 'utf8')).toBe('NOT CONSUMED');
    expect((await stat(existing)).mtimeMs).toBe(before.mtimeMs);
    expect(await readdir(root)).toEqual(['enrollments.csv']);
  });

  it('delivers a 0600 file when absent', async () => {
    const { root, t } = await freshRoot();
    const r = await t.putIfAbsent(await local('load.txt', 'a\tb\r\n'), '20261122031500.txt');
    expect(r.status).toBe('delivered');
    expect(await readFile(path.join(root, '20261122031500.txt'), 'utf8')).toBe('a\tb\r\n');
    expect(await mode(path.join(root, '20261122031500.txt'))).toBe(0o600);
    expect(await readdir(root)).toEqual(['20261122031500.txt']);
  });

  it('concurrent calls for the same name deliver exactly one, whole (20 rounds)', async () => {
    const { root, t } = await freshRoot();
    const bodies = [randomBytes(200_000), randomBytes(200_000)];
    const files = [await local('race-a.bin', bodies[0]!), await local('race-b.bin', bodies[1]!)];
    for (let round = 0; round < 20; round++) {
      const name = `race-${round}.bin`;
      const results = await Promise.all([t.putIfAbsent(files[0]!, name), t.putIfAbsent(files[1]!, name)]);
      expect(results.map((r) => r.status).sort()).toEqual(['delivered', 'skipped-exists']);
      const winner = results[0]!.status === 'delivered' ? bodies[0]! : bodies[1]!;
      expect((await readFile(path.join(root, name))).equals(winner)).toBe(true);
    }
    expect((await readdir(root)).filter((n) => n.endsWith('.part'))).toEqual([]);
  });
});

describe('putEpoch', () => {
  it('creates a 0700 directory, 0600 files, and the empty marker last', async () => {
    const { root, t } = await freshRoot();
    await mkdir(path.join(root, 'upload'));
    const r = await t.putEpoch('/upload', '20261122-031500', [
      { localPath: await local('students.csv', 'id\r\n1\r\n'), name: 'students.csv' },
      { localPath: await local('guardians.csv', randomBytes(100_000)), name: 'guardians.csv' },
    ], 'COMPLETE');
    expect(r.dir).toBe('/upload/20261122-031500');
    expect(r.marker).toBe('/upload/20261122-031500/COMPLETE');
    expect(r.files.map((f) => [f.path, f.bytes])).toEqual([
      ['/upload/20261122-031500/students.csv', 7],
      ['/upload/20261122-031500/guardians.csv', 100_000],
    ]);
    const dir = path.join(root, 'upload', '20261122-031500');
    expect(await mode(dir)).toBe(0o700);
    expect((await readdir(dir)).sort()).toEqual(['COMPLETE', 'guardians.csv', 'students.csv']);
    for (const n of ['COMPLETE', 'guardians.csv', 'students.csv']) expect(await mode(path.join(dir, n))).toBe(0o600);
    const [s, g, c] = await Promise.all(['students.csv', 'guardians.csv', 'COMPLETE'].map((n) => stat(path.join(dir, n), { bigint: true })));
    expect(c!.size).toBe(0n);
    expect(c!.ctimeNs >= s!.ctimeNs && c!.ctimeNs >= g!.ctimeNs).toBe(true);
  });

  it('with marker null writes only the files', async () => {
    const { root, t } = await freshRoot();
    const r = await t.putEpoch('/', 'E0', [{ localPath: await local('only.csv', 'x'), name: 'only.csv' }], null);
    expect(r.marker).toBeNull();
    expect(await readdir(path.join(root, 'E0'))).toEqual(['only.csv']);
  });

  it('refuses an existing epoch with TRANSFER_TARGET_EXISTS and leaves it alone', async () => {
    const { root, t } = await freshRoot();
    await mkdir(path.join(root, 'E1'));
    await writeFile(path.join(root, 'E1', 'keep.csv'), 'earlier');
    const e = await caught(() => t.putEpoch('/', 'E1', [{ localPath: path.join(src, 'students.csv'), name: 'students.csv' }], 'COMPLETE'));
    expect(e.code).toBe('TRANSFER_TARGET_EXISTS');
    expect(await readdir(path.join(root, 'E1'))).toEqual(['keep.csv']);
  });

  it('removes the epoch and writes no marker when a file fails after another landed', async () => {
    const { root, t, log } = await freshRoot();
    const e = await caught(() =>
      t.putEpoch('/', 'E2', [
        { localPath: path.join(src, 'students.csv'), name: 'students.csv' },
        // Fits NAME_MAX, but its temporary name does not: fails after students.csv landed.
        { localPath: path.join(src, 'guardians.csv'), name: 'g'.repeat(250) + '.csv' },
      ], 'COMPLETE'),
    );
    expect(e.code).toBe('TRANSFER_FAILED');
    expect(await readdir(root)).toEqual([]);
    expect(log.text()).not.toContain('epoch /E2 delivered');
  });

  it.each([['..'], ['a/b'], ['.'], ['']])('rejects the epoch name %j', async (name) => {
    const { t } = await freshRoot();
    expect((await caught(() => t.putEpoch('/', name, [], 'COMPLETE'))).code).toBe('CONFIG_INVALID');
  });

  it('rejects a marker named like a data file', async () => {
    const { t } = await freshRoot();
    const e = await caught(() => t.putEpoch('/', 'E3', [{ localPath: path.join(src, 'students.csv'), name: 'COMPLETE' }], 'COMPLETE'));
    expect(e.code).toBe('CONFIG_INVALID');
  });
});

describe('paths stay inside the root', () => {
  it.each([['../outside.csv'], ['/upload/../../outside.csv'], ['a/../../outside.csv']])('refuses %s', async (p) => {
    const { t } = await freshRoot(true);
    const e = await caught(() => t.putReplace(path.join(src, 'students.csv'), p));
    expect(e.code).toBe('TRANSFER_PERMISSION_DENIED');
    expect(e.message).toContain('outside the root');
    await expect(stat(path.join(work, 'outside.csv'))).rejects.toThrow();
  });

  it('refuses a directory symlinked to somewhere outside the root', async () => {
    const { root, t } = await freshRoot();
    const outside = await mkdtemp(path.join(work, 'outside-'));
    await symlink(outside, path.join(root, 'link'));
    const e = await caught(() => t.putReplace(path.join(src, 'students.csv'), 'link/x.csv'));
    expect(e.code).toBe('TRANSFER_PERMISSION_DENIED');
    expect(await readdir(outside)).toEqual([]);
  });

  it('refuses to read outside the root', async () => {
    const { t } = await freshRoot();
    expect((await caught(() => t.exists('../../etc/passwd'))).code).toBe('TRANSFER_PERMISSION_DENIED');
    expect((await caught(() => t.download('../../etc/passwd', path.join(work, 'pw')))).code).toBe('TRANSFER_PERMISSION_DENIED');
  });
});

describe('list, exists, download', () => {
  it('lists, checks and downloads (0600)', async () => {
    const { root, t } = await freshRoot();
    await mkdir(path.join(root, 'leganto'));
    await writeFile(path.join(root, 'leganto', 'export_20261122.csv'), 'abc');
    await mkdir(path.join(root, 'leganto', 'sub'));
    const entries = await t.list('/leganto');
    expect(entries.map((e) => [e.name, e.type, e.size]).sort()).toEqual([
      ['export_20261122.csv', 'file', 3],
      ['sub', 'directory', expect.any(Number)],
    ]);
    expect(await t.exists('/leganto/export_20261122.csv')).toBe(true);
    expect(await t.exists('/leganto/none.csv')).toBe(false);
    const dest = path.join(work, 'dl-' + Math.random().toString(16).slice(2) + '.csv');
    expect(await t.download('/leganto/export_20261122.csv', dest)).toEqual({ bytes: 3 });
    expect(await readFile(dest, 'utf8')).toBe('abc');
    expect(await mode(dest)).toBe(0o600);
    expect((await caught(() => t.download('/leganto/none.csv', dest + '2'))).code).toBe('TRANSFER_NO_SUCH_PATH');
    expect((await caught(() => t.list('/nope'))).code).toBe('TRANSFER_NO_SUCH_PATH');
  });
});
