/**
 * The sweep's decisions and its best-effort rule, on an in-memory SweepFs with a fixed instant.
 * The real filesystems (local, OpenSSH) are in sweep-local / sweep-sftp.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RemoteEntry } from '../../src/adapters/adapter-types.js';
import { STALE_LEFTOVER_AGE_MS, isEpochDirName, sweepAbandonedEpochs, sweepStaleTemps, type SweepFs } from '../../src/adapters/files/leftover-sweep.js';
import { captureLog } from './test-log.js';

const NOW = Date.parse('2026-03-10T12:00:00Z');
const OLD = new Date(NOW - STALE_LEFTOVER_AGE_MS - 60_000);
const YOUNG = new Date(NOW - STALE_LEFTOVER_AGE_MS + 60_000);

type Node = { kind: 'file' | 'directory' | 'other'; mtime: Date };

/** A flat map of absolute paths; directories list their direct children. */
function memFs(nodes: Record<string, Node>, fail: { list?: string[]; remove?: string[]; rmdir?: string[] } = {}) {
  const tree = new Map(Object.entries(nodes));
  const calls: string[] = [];
  const fs: SweepFs & { alive: boolean } = {
    alive: true,
    list: async (dir) => {
      calls.push(`list ${dir}`);
      if (fail.list?.includes(dir)) throw new Error(`Permission denied ${dir}`);
      const out: RemoteEntry[] = [];
      for (const [p, n] of tree) {
        if (path.posix.dirname(p) === dir && p !== dir) out.push({ name: path.posix.basename(p), type: n.kind, size: 0, modifiedAt: n.mtime });
      }
      return out;
    },
    removeFile: async (p) => {
      calls.push(`rm ${p}`);
      if (fail.remove?.includes(p)) throw new Error(`Permission denied ${p}`);
      if (tree.get(p)?.kind === 'directory') throw new Error(`is a directory ${p}`);
      tree.delete(p);
    },
    removeEmptyDir: async (p) => {
      calls.push(`rmdir ${p}`);
      if (fail.rmdir?.includes(p)) throw new Error(`Permission denied ${p}`);
      if ([...tree.keys()].some((k) => k.startsWith(p + '/'))) throw new Error(`not empty ${p}`);
      tree.delete(p);
    },
    join: (d, n) => path.posix.join(d, n),
    usable: () => fs.alive,
  };
  return { fs, tree, calls };
}

const file = (mtime: Date): Node => ({ kind: 'file', mtime });
const dir = (mtime: Date): Node => ({ kind: 'directory', mtime });

describe('epoch names', () => {
  it('matches YYYYMMDD-HHMMSS only', () => {
    expect(isEpochDirName('20260310-031500')).toBe(true);
    expect(isEpochDirName('20260310-0315')).toBe(false);
    expect(isEpochDirName('20260310-031500-x')).toBe(false);
    expect(isEpochDirName('archive')).toBe(false);
  });
});

describe('stale temps', () => {
  it('removes only old regular files named as temps of the delivered name, and logs each at info', async () => {
    const { fs, tree } = memFs({
      '/up': dir(OLD),
      '/up/.a.csv.0123456789ab.part': file(OLD),
      '/up/.a.csv.aaaaaaaaaaaa.part': file(YOUNG),
      '/up/.b.csv.0123456789ab.part': file(OLD),
      '/up/.a.csv.0123456789AB.part': file(OLD),
      '/up/.a.csv.bbbbbbbbbbbb.part': dir(OLD),
      '/up/.a.csv.cccccccccccc.part': { kind: 'other', mtime: OLD },
      '/up/a.csv': file(OLD),
    });
    const log = captureLog();
    const removed = await sweepStaleTemps(fs, '/up', 'a.csv', { endpoint: 'mem', log, now: NOW });
    expect(removed).toEqual(['/up/.a.csv.0123456789ab.part']);
    expect([...tree.keys()].sort()).toEqual(
      ['/up', '/up/.a.csv.aaaaaaaaaaaa.part', '/up/.b.csv.0123456789ab.part', '/up/.a.csv.0123456789AB.part', '/up/.a.csv.bbbbbbbbbbbb.part', '/up/.a.csv.cccccccccccc.part', '/up/a.csv'].sort(),
    );
    const info = log.lines.filter((l) => l.level === 'info');
    expect(info).toHaveLength(1);
    expect(info[0]?.message).toBe('mem: removed stale upload leftover /up/.a.csv.0123456789ab.part (age 1h1m)');
  });

  it('a temp exactly at the threshold is kept (strictly older only)', async () => {
    const { fs, tree } = memFs({ '/up/.a.csv.0123456789ab.part': file(new Date(NOW - STALE_LEFTOVER_AGE_MS)) });
    expect(await sweepStaleTemps(fs, '/up', 'a.csv', { endpoint: 'mem', log: captureLog(), now: NOW })).toEqual([]);
    expect(tree.size).toBe(1);
  });

  it('a listing failure is a warning, not an error', async () => {
    const { fs } = memFs({}, { list: ['/up'] });
    const log = captureLog();
    await expect(sweepStaleTemps(fs, '/up', 'a.csv', { endpoint: 'mem', log, now: NOW, redact: (t) => t.replace('denied', '[x]') })).resolves.toEqual([]);
    expect(log.lines.map((l) => `${l.level} ${l.message}`)).toEqual(['warn mem: could not list /up to look for stale upload leftovers: Permission [x] /up']);
  });

  it('a removal failure is warned and the sweep goes on with the next temp', async () => {
    const { fs, tree } = memFs(
      { '/up/.a.csv.000000000001.part': file(OLD), '/up/.a.csv.000000000002.part': file(OLD) },
      { remove: ['/up/.a.csv.000000000001.part'] },
    );
    const log = captureLog();
    expect(await sweepStaleTemps(fs, '/up', 'a.csv', { endpoint: 'mem', log, now: NOW })).toEqual(['/up/.a.csv.000000000002.part']);
    expect(tree.has('/up/.a.csv.000000000001.part')).toBe(true);
    expect(log.lines.filter((l) => l.level === 'warn').map((l) => l.message)).toEqual([
      'mem: could not remove stale upload leftover /up/.a.csv.000000000001.part: Permission denied /up/.a.csv.000000000001.part',
    ]);
  });

  it('stops when the transport is gone instead of warning once per file', async () => {
    const { fs, calls } = memFs({ '/up/.a.csv.000000000001.part': file(OLD), '/up/.a.csv.000000000002.part': file(OLD) });
    fs.alive = false;
    expect(await sweepStaleTemps(fs, '/up', 'a.csv', { endpoint: 'mem', log: captureLog(), now: NOW })).toEqual([]);
    expect(calls).toEqual(['list /up']);
  });
});

describe('abandoned epochs', () => {
  const layout = (): Record<string, Node> => ({
    '/sg': dir(OLD),
    // abandoned: no marker, everything old (a data file and a temp of a killed upload)
    '/sg/20260101-010101': dir(OLD),
    '/sg/20260101-010101/demographics.csv': file(OLD),
    '/sg/20260101-010101/.enrollment.csv.0123456789ab.part': file(OLD),
    // complete
    '/sg/20260101-020202': dir(OLD),
    '/sg/20260101-020202/demographics.csv': file(OLD),
    '/sg/20260101-020202/COMPLETE': file(OLD),
    // young, no marker (could be a run in progress)
    '/sg/20260101-030303': dir(YOUNG),
    // old directory, but a file inside is still being written
    '/sg/20260101-040404': dir(OLD),
    '/sg/20260101-040404/.demographics.csv.0123456789ab.part': file(YOUNG),
    // old, empty, no marker: killed right after mkdir
    '/sg/20260101-050505': dir(OLD),
    // not an epoch name
    '/sg/archive': dir(OLD),
    '/sg/archive/old.csv': file(OLD),
    // an epoch-named file is not an epoch
    '/sg/20260101-060606': file(OLD),
  });

  it('removes old epochs without marker (contents, then the directory) and keeps every other entry', async () => {
    const { fs, tree } = memFs(layout());
    const log = captureLog();
    const removed = await sweepAbandonedEpochs(fs, '/sg', '20260310-120000', 'COMPLETE', { endpoint: 'mem', log, now: NOW });
    expect(removed.sort()).toEqual(['/sg/20260101-010101', '/sg/20260101-050505']);
    const expected = Object.keys(layout()).filter((p) => !p.startsWith('/sg/20260101-010101') && p !== '/sg/20260101-050505');
    expect([...tree.keys()].sort()).toEqual(expected.sort());
    expect(log.lines.filter((l) => l.level === 'info').map((l) => l.message)).toContain(
      'mem: removed stale upload leftover /sg/20260101-010101 (age 1h1m; epoch without COMPLETE, 2 file(s))',
    );
    expect(log.lines.filter((l) => l.level === 'warn')).toEqual([]);
  });

  it('does nothing without a marker or when the new epoch is not named like one', async () => {
    for (const [name, marker] of [
      ['20260310-120000', null],
      ['batch-7', 'COMPLETE'],
    ] as const) {
      const { fs, tree, calls } = memFs(layout());
      expect(await sweepAbandonedEpochs(fs, '/sg', name, marker, { endpoint: 'mem', log: captureLog(), now: NOW })).toEqual([]);
      expect(tree.size).toBe(Object.keys(layout()).length);
      expect(calls).toEqual([]);
    }
  });

  it('leaves an epoch holding a subdirectory and says so', async () => {
    const { fs, tree } = memFs({ '/sg/20260101-010101': dir(OLD), '/sg/20260101-010101/nested': dir(OLD), '/sg/20260101-010101/a.csv': file(OLD) });
    const log = captureLog();
    expect(await sweepAbandonedEpochs(fs, '/sg', '20260310-120000', 'COMPLETE', { endpoint: 'mem', log, now: NOW })).toEqual([]);
    expect(tree.has('/sg/20260101-010101/a.csv')).toBe(true);
    expect(log.lines.map((l) => `${l.level} ${l.message}`)).toEqual([
      'warn mem: /sg/20260101-010101 has no COMPLETE but holds nested, which is not a regular file; left in place',
    ]);
  });

  it('failures to list or remove are warnings; other epochs are still swept', async () => {
    const { fs, tree } = memFs(
      {
        '/sg/20260101-010101': dir(OLD),
        '/sg/20260101-010101/a.csv': file(OLD),
        '/sg/20260101-020202': dir(OLD),
        '/sg/20260101-020202/a.csv': file(OLD),
        '/sg/20260101-030303': dir(OLD),
        '/sg/20260101-030303/a.csv': file(OLD),
      },
      { list: ['/sg/20260101-010101'], remove: ['/sg/20260101-020202/a.csv'] },
    );
    const log = captureLog();
    expect(await sweepAbandonedEpochs(fs, '/sg', '20260310-120000', 'COMPLETE', { endpoint: 'mem', log, now: NOW })).toEqual(['/sg/20260101-030303']);
    expect(tree.has('/sg/20260101-010101/a.csv')).toBe(true);
    expect(tree.has('/sg/20260101-020202/a.csv')).toBe(true);
    expect(tree.has('/sg/20260101-030303')).toBe(false);
    expect(log.lines.filter((l) => l.level === 'warn').map((l) => l.message)).toEqual([
      'mem: could not list /sg/20260101-010101 (an epoch that may be abandoned): Permission denied /sg/20260101-010101',
      'mem: could not remove abandoned epoch /sg/20260101-020202 (it has no COMPLETE, so it is ignored): Permission denied /sg/20260101-020202/a.csv',
    ]);
  });

  it('an unlistable parent directory is a warning', async () => {
    const { fs } = memFs({}, { list: ['/sg'] });
    const log = captureLog();
    await expect(sweepAbandonedEpochs(fs, '/sg', '20260310-120000', 'COMPLETE', { endpoint: 'mem', log, now: NOW })).resolves.toEqual([]);
    expect(log.lines.map((l) => l.level)).toEqual(['warn']);
  });
});
