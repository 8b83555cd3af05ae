/**
 * LocalTarget removes what killed runs left (stale temps of the delivered name, epochs without
 * marker) on a real directory, with old mtimes set by utimes.
 */
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STALE_LEFTOVER_AGE_MS } from '../../src/adapters/files/leftover-sweep.js';
import { LocalTarget } from '../../src/adapters/files/local-target.js';
import { captureLog } from './test-log.js';

let work: string;
let src: string;

/** Well past the threshold, and well inside it. */
const OLD_MS = 2 * 3_600_000;
const YOUNG_MS = 10 * 60_000;

async function aged(p: string, ageMs: number): Promise<void> {
  const t = new Date(Date.now() - ageMs);
  await utimes(p, t, t);
}

async function put(p: string, content: string, ageMs: number): Promise<void> {
  await mkdir(path.dirname(p), { recursive: true });
  await writeFile(p, content);
  await aged(p, ageMs);
}

async function freshRoot() {
  const root = await mkdtemp(path.join(work, 'root-'));
  const log = captureLog();
  const t = new LocalTarget({ name: 'drop', type: 'local', path: root, create: false }, { log });
  return { root, t, log };
}

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'sisrelay-sweep-local-'));
  src = path.join(work, 'src');
  await mkdir(src);
  await writeFile(path.join(src, 'roster.csv'), 'id\n1\n');
  await writeFile(path.join(src, 'demographics.csv'), 'd\n');
  await writeFile(path.join(src, 'enrollment.csv'), 'e\n');
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

it('the threshold sits between the ages these tests use', () => {
  expect(STALE_LEFTOVER_AGE_MS).toBeGreaterThan(YOUNG_MS);
  expect(STALE_LEFTOVER_AGE_MS).toBeLessThan(OLD_MS);
});

describe('temps after a delivery', () => {
  it('putReplace removes old temps of the same name only; young temps, other names and other files stay', async () => {
    const { root, t, log } = await freshRoot();
    const up = path.join(root, 'upload');
    await put(path.join(up, '.roster.csv.0123456789ab.part'), 'half', OLD_MS);
    await put(path.join(up, '.roster.csv.fedcba987654.part'), 'half', OLD_MS);
    await put(path.join(up, '.roster.csv.aaaaaaaaaaaa.part'), 'running', YOUNG_MS);
    await put(path.join(up, '.courses.csv.0123456789ab.part'), 'other job', OLD_MS);
    await put(path.join(up, 'roster.csv.bak'), 'keep', OLD_MS);
    await put(path.join(up, '.roster.csv.part'), 'not ours', OLD_MS);
    // A symlink named like a stale temp is never followed nor removed.
    const outside = path.join(work, 'outside.txt');
    await writeFile(outside, 'precious');
    await symlink(outside, path.join(up, '.roster.csv.bbbbbbbbbbbb.part'));

    const r = await t.putReplace(path.join(src, 'roster.csv'), '/upload/roster.csv');
    expect(r.status).toBe('delivered');
    expect(await readFile(path.join(up, 'roster.csv'), 'utf8')).toBe('id\n1\n');
    expect((await readdir(up)).sort()).toEqual(
      ['.courses.csv.0123456789ab.part', '.roster.csv.aaaaaaaaaaaa.part', '.roster.csv.bbbbbbbbbbbb.part', '.roster.csv.part', 'roster.csv', 'roster.csv.bak'].sort(),
    );
    expect(await readFile(outside, 'utf8')).toBe('precious');
    const removals = log.lines.filter((l) => l.level === 'info' && l.message.includes('removed stale upload leftover'));
    // The age is 2 h plus however long the test took to get here (rounded to seconds).
    expect(removals.map((l) => l.message.replace(/\(age 2h(?:\d+m)?(?:\d+s)?\)$/, '(age 2h…)')).sort()).toEqual([
      `local:${root}: removed stale upload leftover ${path.join(up, '.roster.csv.0123456789ab.part')} (age 2h…)`,
      `local:${root}: removed stale upload leftover ${path.join(up, '.roster.csv.fedcba987654.part')} (age 2h…)`,
    ]);
  });

  it('putIfAbsent sweeps after delivering, not when it skipped an unconsumed target', async () => {
    const { root, t } = await freshRoot();
    const up = path.join(root, 'upload');
    const stale = path.join(up, '.roster.csv.0123456789ab.part');
    await put(path.join(up, 'roster.csv'), 'not consumed yet', 0);
    await put(stale, 'half', OLD_MS);
    expect((await t.putIfAbsent(path.join(src, 'roster.csv'), '/upload/roster.csv')).status).toBe('skipped-exists');
    expect(await readFile(stale, 'utf8')).toBe('half');

    await rm(path.join(up, 'roster.csv'));
    expect((await t.putIfAbsent(path.join(src, 'roster.csv'), '/upload/roster.csv')).status).toBe('delivered');
    expect((await readdir(up)).sort()).toEqual(['roster.csv']);
  });
});

describe('epochs before a new epoch', () => {
  it('removes old epochs without marker; keeps marked, young, busy and non-epoch directories', async () => {
    const { root, t, log } = await freshRoot();
    const sg = path.join(root, 'samegoal');
    // Abandoned: a data file and a killed upload's temp, no COMPLETE.
    await put(path.join(sg, '20260101-010101', 'demographics.csv'), 'd', OLD_MS);
    await put(path.join(sg, '20260101-010101', '.enrollment.csv.0123456789ab.part'), 'e', OLD_MS);
    await aged(path.join(sg, '20260101-010101'), OLD_MS);
    // Killed right after mkdir.
    await mkdir(path.join(sg, '20260101-050505'));
    await aged(path.join(sg, '20260101-050505'), OLD_MS);
    // Complete, old.
    await put(path.join(sg, '20260101-020202', 'demographics.csv'), 'd', OLD_MS);
    await put(path.join(sg, '20260101-020202', 'COMPLETE'), '', OLD_MS);
    await aged(path.join(sg, '20260101-020202'), OLD_MS);
    // Young, no marker.
    await put(path.join(sg, '20260101-030303', 'demographics.csv'), 'd', YOUNG_MS);
    await aged(path.join(sg, '20260101-030303'), YOUNG_MS);
    // Old directory whose file is still being written to (a directory's mtime does not move then).
    await put(path.join(sg, '20260101-040404', '.demographics.csv.0123456789ab.part'), 'd', YOUNG_MS);
    await aged(path.join(sg, '20260101-040404'), OLD_MS);
    // Not an epoch name.
    await put(path.join(sg, 'archive', 'old.csv'), 'o', OLD_MS);
    await aged(path.join(sg, 'archive'), OLD_MS);

    const r = await t.putEpoch(
      '/samegoal',
      '20260310-031500',
      [
        { localPath: path.join(src, 'demographics.csv'), name: 'demographics.csv' },
        { localPath: path.join(src, 'enrollment.csv'), name: 'enrollment.csv' },
      ],
      'COMPLETE',
    );
    expect(r.marker).toBe('/samegoal/20260310-031500/COMPLETE');
    expect((await readdir(sg)).sort()).toEqual(['20260101-020202', '20260101-030303', '20260101-040404', '20260310-031500', 'archive']);
    expect((await readdir(path.join(sg, '20260101-020202'))).sort()).toEqual(['COMPLETE', 'demographics.csv']);
    expect(await readdir(path.join(sg, '20260101-040404'))).toEqual(['.demographics.csv.0123456789ab.part']);
    expect((await readdir(path.join(sg, '20260310-031500'))).sort()).toEqual(['COMPLETE', 'demographics.csv', 'enrollment.csv']);

    const messages = log.lines.map((l) => l.message);
    const removal = messages.findIndex(
      (m) => m.includes(`removed stale upload leftover ${path.join(sg, '20260101-010101')} (age 2h`) && m.endsWith('; epoch without COMPLETE, 2 file(s))'),
    );
    const delivered = messages.findIndex((m) => m.includes('epoch /samegoal/20260310-031500 delivered'));
    expect(removal).toBeGreaterThanOrEqual(0);
    expect(removal).toBeLessThan(delivered);
    expect(messages.some((m) => m.includes(`removed stale upload leftover ${path.join(sg, '20260101-050505')}`))).toBe(true);
    expect(log.lines.filter((l) => l.level === 'warn')).toEqual([]);
  });

  it('an epoch without marker asked for (marker null) sweeps nothing', async () => {
    const { root, t } = await freshRoot();
    const sg = path.join(root, 'samegoal');
    await put(path.join(sg, '20260101-010101', 'demographics.csv'), 'd', OLD_MS);
    await aged(path.join(sg, '20260101-010101'), OLD_MS);
    await t.putEpoch('/samegoal', '20260310-031500', [{ localPath: path.join(src, 'demographics.csv'), name: 'demographics.csv' }], null);
    expect((await readdir(sg)).sort()).toEqual(['20260101-010101', '20260310-031500']);
  });
});
