import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  currentAcademicTerm, currentSchoolYearStart, ensurePgliteSnapshot, ensurePgliteSnapshotDetailed,
} from '../../src/datagen/pglite-snapshot.js';
import { generatePowerCampus } from '../../src/datagen/powercampus-generator.js';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'datagen-snap-'));
});
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

const NOW = new Date('2026-02-10T12:00:00Z');

describe('ensurePgliteSnapshot', () => {
  it('creates the archive once, reuses it, opens it in PGlite, and regenerates for other parameters', async () => {
    const dir = join(root, 'snaps');
    const params = { dataset: 'powercampus' as const, seed: 3, students: 40, dir, courses: 8, now: NOW };
    const first = await ensurePgliteSnapshotDetailed(params);
    expect(first.created).toBe(true);
    expect(first.path).toBe(join(dir, 'powercampus-3-40.tar.gz'));
    expect(statSync(first.path).mode & 0o777).toBe(0o600);
    expect(statSync(`${first.path}.json`).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(readdirSync(dir).sort()).toEqual(['powercampus-3-40.tar.gz', 'powercampus-3-40.tar.gz.json']);
    const before = statSync(first.path);

    const again = await ensurePgliteSnapshotDetailed(params);
    expect(again).toEqual({ path: first.path, created: false });
    expect(await ensurePgliteSnapshot(params)).toBe(first.path);
    const after = statSync(first.path);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(after.ino).toBe(before.ino);

    const db = new PGlite({ loadDataDir: new Blob([readFileSync(first.path)]) });
    try {
      const rows = (await db.query<{ n: number }>("SELECT count(*) AS n FROM TRANSCRIPTDETAIL WHERE ACADEMIC_TERM = 'Winter'")).rows;
      const expected = [...generatePowerCampus({ seed: 3, students: 40, courses: 8, year: 2026, term: 'Winter' })]
        .filter((r) => r.table === 'TRANSCRIPTDETAIL' && r.row.ACADEMIC_TERM === 'Winter').length;
      expect(expected).toBeGreaterThan(0);
      expect(Number(rows[0]!.n)).toBe(expected);
    } finally {
      await db.close();
    }

    // The same file name for another term must not serve the old data.
    const otherTerm = await ensurePgliteSnapshotDetailed({ ...params, now: new Date('2026-10-10T12:00:00Z') });
    expect(otherTerm).toEqual({ path: first.path, created: true });
    expect(statSync(first.path).ino).not.toBe(before.ino);
    expect(JSON.parse(readFileSync(`${first.path}.json`, 'utf8'))).toMatchObject({ term: 'Fall', year: 2026 });
    expect(readdirSync(dir)).toHaveLength(2);
  });

  it('refuses a seed that cannot be part of a file name and an unknown dataset', async () => {
    await expect(ensurePgliteSnapshot({ dataset: 'powerschool', seed: '../x', students: 1, dir: root })).rejects.toThrow(/seed/);
    await expect(ensurePgliteSnapshot({ dataset: 'nope' as never, seed: 1, students: 1, dir: root })).rejects.toThrow(/dataset/);
  });
});

describe('default school year and term', () => {
  it('starts the school year in July and picks the PowerCampus quarter by month', () => {
    expect(currentSchoolYearStart(new Date('2026-06-30T12:00:00Z'))).toBe(2025);
    expect(currentSchoolYearStart(new Date('2026-07-01T12:00:00Z'))).toBe(2026);
    expect(currentAcademicTerm(new Date('2026-02-01T00:00:00Z'))).toEqual({ year: 2026, term: 'Winter' });
    expect(currentAcademicTerm(new Date('2026-05-01T00:00:00Z'))).toEqual({ year: 2026, term: 'Spring' });
    expect(currentAcademicTerm(new Date('2026-08-01T00:00:00Z'))).toEqual({ year: 2026, term: 'Summer' });
    expect(currentAcademicTerm(new Date('2026-11-01T00:00:00Z'))).toEqual({ year: 2026, term: 'Fall' });
  });
});
