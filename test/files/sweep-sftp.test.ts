/**
 * SftpTarget removes what killed runs left, against a real OpenSSH sshd (test/fixtures/sshd.ts):
 * leftovers are placed on the host side of sftpuser's chroot with old mtimes (utimes), and
 * permission-denied cases come from root-owned entries that sftpuser cannot remove.
 */
import { execFile } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readFile, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STALE_LEFTOVER_AGE_MS } from '../../src/adapters/files/leftover-sweep.js';
import { SftpTarget } from '../../src/adapters/files/sftp-target.js';
import type { SftpConnection } from '../../src/config/config-types.js';
import { Redactor } from '../../src/util/redactor.js';
import { startSshd, type SshdFixture } from '../fixtures/sshd.js';
import { captureLog } from './test-log.js';

const run = promisify(execFile);

const OLD_MS = 2 * 3_600_000;
const YOUNG_MS = 10 * 60_000;

let fx: SshdFixture;
let work: string;
let user: { uid: number; gid: number };

/** Host path of a path as sftpuser sees it (`/upload/x` → `<chroot>/upload/x`). */
const host = (remote: string) => path.join(fx.chrootDir, remote);

function make(overrides: Partial<SftpConnection> = {}) {
  const log = captureLog();
  const t = new SftpTarget(fx.sftpConnection(overrides), { redactor: new Redactor([fx.password, fx.clientKey]), log });
  return { t, log };
}

async function aged(remote: string, ageMs: number): Promise<void> {
  const when = new Date(Date.now() - ageMs);
  await utimes(host(remote), when, when);
}

/** A directory as a killed run (sftpuser) or root left it. */
async function dirOf(remote: string, owner: 'sftpuser' | 'root' = 'sftpuser', mode = 0o700): Promise<void> {
  await mkdir(host(remote), { recursive: true });
  if (owner === 'sftpuser') await chown(host(remote), user.uid, user.gid);
  await chmod(host(remote), mode);
}

async function fileOf(remote: string, ageMs: number, owner: 'sftpuser' | 'root' = 'sftpuser'): Promise<void> {
  await writeFile(host(remote), 'leftover', { mode: 0o600 });
  if (owner === 'sftpuser') await chown(host(remote), user.uid, user.gid);
  await aged(remote, ageMs);
}

const names = async (remote: string) => (await readdir(host(remote))).sort();
const removals = (log: ReturnType<typeof captureLog>) =>
  log.lines.filter((l) => l.level === 'info' && l.message.includes('removed stale upload leftover')).map((l) => l.message);

beforeAll(async () => {
  fx = await startSshd();
  work = await mkdtemp(path.join(tmpdir(), 'sisrelay-sweep-sftp-'));
  const [{ stdout: u }, { stdout: g }] = await Promise.all([run('id', ['-u', fx.user]), run('id', ['-g', fx.user])]);
  user = { uid: Number(u.trim()), gid: Number(g.trim()) };
  await writeFile(path.join(work, 'roster.csv'), 'id\n1\n');
  await writeFile(path.join(work, 'demographics.csv'), 'd\n');
  await writeFile(path.join(work, 'enrollment.csv'), 'e\n');
});

afterAll(async () => {
  await fx?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

it('the threshold sits between the ages these tests use', () => {
  expect(STALE_LEFTOVER_AGE_MS).toBeGreaterThan(YOUNG_MS);
  expect(STALE_LEFTOVER_AGE_MS).toBeLessThan(OLD_MS);
});

describe('temps after a delivery', () => {
  it('putReplace removes old temps of the same name only; young temps, other names and other files stay', async () => {
    await dirOf('/upload/a', 'sftpuser', 0o755);
    await fileOf('/upload/a/.roster.csv.0123456789ab.part', OLD_MS);
    await fileOf('/upload/a/.roster.csv.fedcba987654.part', OLD_MS, 'root'); // the directory is sftpuser's: still removable
    await fileOf('/upload/a/.roster.csv.aaaaaaaaaaaa.part', YOUNG_MS);
    await fileOf('/upload/a/.courses.csv.0123456789ab.part', OLD_MS);
    await fileOf('/upload/a/roster.csv.bak', OLD_MS);
    await fileOf('/upload/a/.roster.csv.part', OLD_MS);
    await dirOf('/upload/a/.roster.csv.bbbbbbbbbbbb.part');
    await aged('/upload/a/.roster.csv.bbbbbbbbbbbb.part', OLD_MS);

    const { t, log } = make();
    try {
      const r = await t.putReplace(path.join(work, 'roster.csv'), '/upload/a/roster.csv');
      expect(r.status).toBe('delivered');
    } finally {
      await t.close();
    }
    expect(await readFile(host('/upload/a/roster.csv'), 'utf8')).toBe('id\n1\n');
    expect(await names('/upload/a')).toEqual(
      ['.courses.csv.0123456789ab.part', '.roster.csv.aaaaaaaaaaaa.part', '.roster.csv.bbbbbbbbbbbb.part', '.roster.csv.part', 'roster.csv', 'roster.csv.bak'].sort(),
    );
    expect(removals(log).map((m) => m.replace(/\(age 2h(?:\d+m)?(?:\d+s)?\)$/, '(age 2h…)')).sort()).toEqual([
      `sftp://sftpuser@127.0.0.1:${fx.port}: removed stale upload leftover /upload/a/.roster.csv.0123456789ab.part (age 2h…)`,
      `sftp://sftpuser@127.0.0.1:${fx.port}: removed stale upload leftover /upload/a/.roster.csv.fedcba987654.part (age 2h…)`,
    ]);
    expect(log.lines.filter((l) => l.level === 'warn')).toEqual([]);
  });

  it('putIfAbsent sweeps after delivering, not when it skipped an unconsumed target', async () => {
    await dirOf('/upload/b', 'sftpuser', 0o755);
    await fileOf('/upload/b/roster.csv', 0);
    await fileOf('/upload/b/.roster.csv.0123456789ab.part', OLD_MS);
    const { t } = make();
    try {
      expect((await t.putIfAbsent(path.join(work, 'roster.csv'), '/upload/b/roster.csv')).status).toBe('skipped-exists');
      expect(await names('/upload/b')).toEqual(['.roster.csv.0123456789ab.part', 'roster.csv']);
      await rm(host('/upload/b/roster.csv'));
      expect((await t.putIfAbsent(path.join(work, 'roster.csv'), '/upload/b/roster.csv')).status).toBe('delivered');
      expect(await names('/upload/b')).toEqual(['roster.csv']);
    } finally {
      await t.close();
    }
  });

  it('with tempDir, the stale temps are looked for there', async () => {
    await dirOf('/upload/c', 'sftpuser', 0o755);
    await dirOf('/upload/tmp', 'sftpuser', 0o700);
    await fileOf('/upload/tmp/.roster.csv.0123456789ab.part', OLD_MS);
    await fileOf('/upload/tmp/.roster.csv.aaaaaaaaaaaa.part', YOUNG_MS);
    await fileOf('/upload/tmp/.other.csv.0123456789ab.part', OLD_MS);
    const { t, log } = make({ tempDir: '/upload/tmp' });
    try {
      await t.putReplace(path.join(work, 'roster.csv'), '/upload/c/roster.csv');
    } finally {
      await t.close();
    }
    expect(await names('/upload/c')).toEqual(['roster.csv']);
    expect(await names('/upload/tmp')).toEqual(['.other.csv.0123456789ab.part', '.roster.csv.aaaaaaaaaaaa.part']);
    expect(removals(log)).toHaveLength(1);
    expect(removals(log)[0]).toContain('removed stale upload leftover /upload/tmp/.roster.csv.0123456789ab.part (age 2h');
  });
});

describe('epochs before a new epoch', () => {
  it('removes old epochs without marker; keeps marked, young and non-epoch directories', async () => {
    await dirOf('/upload/sg', 'sftpuser', 0o755);
    // Abandoned by a killed run: a data file and the temp of the upload it was killed in.
    await dirOf('/upload/sg/20260101-010101');
    await fileOf('/upload/sg/20260101-010101/demographics.csv', OLD_MS);
    await fileOf('/upload/sg/20260101-010101/.enrollment.csv.0123456789ab.part', OLD_MS);
    await aged('/upload/sg/20260101-010101', OLD_MS);
    // Complete.
    await dirOf('/upload/sg/20260101-020202');
    await fileOf('/upload/sg/20260101-020202/demographics.csv', OLD_MS);
    await fileOf('/upload/sg/20260101-020202/COMPLETE', OLD_MS);
    await aged('/upload/sg/20260101-020202', OLD_MS);
    // Young, no marker.
    await dirOf('/upload/sg/20260101-030303');
    await fileOf('/upload/sg/20260101-030303/demographics.csv', YOUNG_MS);
    await aged('/upload/sg/20260101-030303', YOUNG_MS);
    // Not an epoch name.
    await dirOf('/upload/sg/archive');
    await fileOf('/upload/sg/archive/old.csv', OLD_MS);
    await aged('/upload/sg/archive', OLD_MS);

    const { t, log } = make();
    try {
      const r = await t.putEpoch(
        '/upload/sg',
        '20260310-031500',
        [
          { localPath: path.join(work, 'demographics.csv'), name: 'demographics.csv' },
          { localPath: path.join(work, 'enrollment.csv'), name: 'enrollment.csv' },
        ],
        'COMPLETE',
      );
      expect(r.marker).toBe('/upload/sg/20260310-031500/COMPLETE');
    } finally {
      await t.close();
    }
    expect(await names('/upload/sg')).toEqual(['20260101-020202', '20260101-030303', '20260310-031500', 'archive']);
    expect(await names('/upload/sg/20260101-020202')).toEqual(['COMPLETE', 'demographics.csv']);
    expect(await names('/upload/sg/20260101-030303')).toEqual(['demographics.csv']);
    expect(await names('/upload/sg/20260310-031500')).toEqual(['COMPLETE', 'demographics.csv', 'enrollment.csv']);

    const messages = log.lines.map((l) => l.message);
    const removal = messages.findIndex(
      (m) => m.includes('removed stale upload leftover /upload/sg/20260101-010101 (age 2h') && m.endsWith('; epoch without COMPLETE, 2 file(s))'),
    );
    const delivered = messages.findIndex((m) => m.includes('epoch /upload/sg/20260310-031500 delivered'));
    expect(removal).toBeGreaterThanOrEqual(0);
    expect(removal).toBeLessThan(delivered);
    expect(removals(log)).toHaveLength(1);
    expect(log.lines.filter((l) => l.level === 'warn')).toEqual([]);
  });
});

describe('a failing sweep never fails the delivery', () => {
  it('a stale temp sftpuser may not remove (a root-owned file in a root-owned sticky directory) is a warning', async () => {
    await dirOf('/upload/sticky', 'root', 0o1777); // like /tmp: anyone writes, only owners remove
    await fileOf('/upload/sticky/.roster.csv.0123456789ab.part', OLD_MS, 'root');
    const { t, log } = make();
    try {
      expect((await t.putReplace(path.join(work, 'roster.csv'), '/upload/sticky/roster.csv')).status).toBe('delivered');
    } finally {
      await t.close();
    }
    expect(await names('/upload/sticky')).toEqual(['.roster.csv.0123456789ab.part', 'roster.csv']);
    expect(await readFile(host('/upload/sticky/roster.csv'), 'utf8')).toBe('id\n1\n');
    const warns = log.lines.filter((l) => l.level === 'warn').map((l) => l.message);
    expect(warns).toHaveLength(1);
    expect(warns[0]).toMatch(/could not remove stale upload leftover \/upload\/sticky\/\.roster\.csv\.0123456789ab\.part: .*denied/i);
    expect(removals(log)).toEqual([]);
  });

  it('a directory sftpuser may write to but not list is a warning', async () => {
    await dirOf('/upload/blind', 'sftpuser', 0o300);
    const { t, log } = make();
    try {
      expect((await t.putReplace(path.join(work, 'roster.csv'), '/upload/blind/roster.csv')).status).toBe('delivered');
    } finally {
      await t.close();
    }
    expect(await readFile(host('/upload/blind/roster.csv'), 'utf8')).toBe('id\n1\n');
    const warns = log.lines.filter((l) => l.level === 'warn').map((l) => l.message);
    expect(warns).toHaveLength(1);
    expect(warns[0]).toMatch(/could not list \/upload\/blind to look for stale upload leftovers: .*denied/i);
  });

  it('an abandoned epoch that cannot be removed (root-owned) is a warning; the new epoch is delivered with its marker', async () => {
    await dirOf('/upload/sg2', 'sftpuser', 0o755);
    await dirOf('/upload/sg2/20260101-010101', 'root', 0o755);
    await fileOf('/upload/sg2/20260101-010101/demographics.csv', OLD_MS, 'root');
    await aged('/upload/sg2/20260101-010101', OLD_MS);
    const { t, log } = make();
    try {
      const r = await t.putEpoch('/upload/sg2', '20260310-031500', [{ localPath: path.join(work, 'demographics.csv'), name: 'demographics.csv' }], 'COMPLETE');
      expect(r.marker).toBe('/upload/sg2/20260310-031500/COMPLETE');
    } finally {
      await t.close();
    }
    expect(await names('/upload/sg2')).toEqual(['20260101-010101', '20260310-031500']);
    expect(await names('/upload/sg2/20260101-010101')).toEqual(['demographics.csv']);
    expect(await names('/upload/sg2/20260310-031500')).toEqual(['COMPLETE', 'demographics.csv']);
    const warns = log.lines.filter((l) => l.level === 'warn').map((l) => l.message);
    expect(warns).toHaveLength(1);
    expect(warns[0]).toMatch(/could not remove abandoned epoch \/upload\/sg2\/20260101-010101 \(it has no COMPLETE, so it is ignored\): .*denied/i);
  });
});
