/**
 * Cached PGlite data directories holding a generated dataset, so the demo and tests open a loaded
 * database in well under a second (`new PGlite({ loadDataDir })`) instead of generating and
 * loading every time.
 *
 * The archive `<dir>/<dataset>-<seed>-<students>.tar.gz` sits next to a small JSON fingerprint
 * (generator version and every parameter). An archive is reused only when its fingerprint
 * matches, so a newer generator or another school year never serves stale data under the same
 * name. Both files are written under temporary names and renamed into place, mode 0600.
 */
import { randomBytes } from 'node:crypto';
import { access, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { SisrelayError } from '../errors/sisrelay-error.js';
import { loadDataset } from './load-dataset.js';
import { powerCampusDataset, type AcademicTerm, type PowerCampusOptionsInput } from './powercampus-generator.js';
import type { PowerSchoolOptionsInput } from './powerschool-options.js';
import { powerSchoolDataset } from './powerschool-generator.js';
import type { Dataset } from './table-def.js';

/** Bump when generated rows change for the same parameters. */
export const DATAGEN_VERSION = 2;

export interface PgliteSnapshotParams {
  dataset: 'powerschool' | 'powercampus';
  seed: number | string;
  students: number;
  /** Directory for the archives (created 0700 if missing). */
  dir: string;
  /** PowerSchool: first calendar year of the current school year. Default: the school year containing `now`. */
  schoolYearStart?: number;
  /** PowerCampus: ACADEMIC_YEAR / ACADEMIC_TERM. Default: the term containing `now`. */
  year?: number;
  term?: AcademicTerm;
  /** PowerCampus: courses per term. Default 30. */
  courses?: number;
  powerSchoolOptions?: PowerSchoolOptionsInput;
  powerCampusOptions?: PowerCampusOptionsInput;
  /** The clock used for the defaults above. */
  now?: Date;
}

export interface PgliteSnapshotResult {
  path: string;
  /** False when an archive with a matching fingerprint was reused. */
  created: boolean;
}

/** School year containing `now`: from July on, the year that starts this calendar year. */
export function currentSchoolYearStart(now: Date): number {
  return now.getUTCMonth() >= 6 ? now.getUTCFullYear() : now.getUTCFullYear() - 1;
}

/** PowerCampus quarter containing `now`. */
export function currentAcademicTerm(now: Date): { year: number; term: AcademicTerm } {
  const m = now.getUTCMonth();
  const term: AcademicTerm = m <= 2 ? 'Winter' : m <= 5 ? 'Spring' : m <= 7 ? 'Summer' : 'Fall';
  return { year: now.getUTCFullYear(), term };
}

function resolve(params: PgliteSnapshotParams): { dataset: Dataset; fingerprint: Record<string, unknown> } {
  const now = params.now ?? new Date();
  if (params.dataset === 'powerschool') {
    const schoolYearStart = params.schoolYearStart ?? currentSchoolYearStart(now);
    const p = { seed: params.seed, students: params.students, schoolYearStart, options: params.powerSchoolOptions ?? {} };
    return { dataset: powerSchoolDataset(p), fingerprint: { version: DATAGEN_VERSION, dataset: 'powerschool', ...p } };
  }
  if (params.dataset === 'powercampus') {
    const cur = currentAcademicTerm(now);
    const p = {
      seed: params.seed,
      students: params.students,
      year: params.year ?? cur.year,
      term: params.term ?? cur.term,
      courses: params.courses ?? 30,
      options: params.powerCampusOptions ?? {},
    };
    return { dataset: powerCampusDataset(p), fingerprint: { version: DATAGEN_VERSION, dataset: 'powercampus', ...p } };
  }
  throw new SisrelayError('CONFIG_INVALID', `snapshot dataset must be 'powerschool' or 'powercampus', got '${String(params.dataset)}'`);
}

function archiveName(params: PgliteSnapshotParams): string {
  const seed = String(params.seed);
  if (!/^[A-Za-z0-9_.-]+$/.test(seed)) {
    throw new SisrelayError('CONFIG_INVALID', `snapshot seed '${seed}' must be letters, digits, '.', '_' or '-' to be part of a file name`);
  }
  return `${params.dataset}-${seed}-${params.students}.tar.gz`;
}

async function readFingerprint(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return null;
  }
}

/** Like `ensurePgliteSnapshot`, also telling whether the archive was created now. */
export async function ensurePgliteSnapshotDetailed(params: PgliteSnapshotParams): Promise<PgliteSnapshotResult> {
  const { dataset, fingerprint } = resolve(params);
  const path = join(params.dir, archiveName(params));
  const fingerprintPath = `${path}.json`;
  const wanted = JSON.stringify(fingerprint);
  const [existing, archiveThere] = await Promise.all([
    readFingerprint(fingerprintPath),
    access(path).then(() => true, () => false),
  ]);
  if (archiveThere && existing === wanted) return { path, created: false };

  await mkdir(params.dir, { recursive: true, mode: 0o700 });
  const db = new PGlite();
  let bytes: Uint8Array;
  try {
    await loadDataset((sql, p) => db.query(sql, p), dataset);
    // Planner statistics travel with the snapshot: without them PostgreSQL nest-loops the
    // guardian query's derived tables and a demo run takes minutes instead of seconds.
    await db.exec('ANALYZE');
    const dump = await db.dumpDataDir('gzip');
    bytes = new Uint8Array(await dump.arrayBuffer());
  } finally {
    await db.close();
  }
  const suffix = `${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const tmpArchive = `${path}.${suffix}`;
  const tmpFingerprint = `${fingerprintPath}.${suffix}`;
  try {
    await writeFile(tmpArchive, bytes, { mode: 0o600, flag: 'wx' });
    await writeFile(tmpFingerprint, wanted, { mode: 0o600, flag: 'wx' });
    // Archive first: a fingerprint must never describe an archive that is not there yet.
    await rename(tmpArchive, path);
    await rename(tmpFingerprint, fingerprintPath);
  } catch (err) {
    await Promise.all([rm(tmpArchive, { force: true }), rm(tmpFingerprint, { force: true })]);
    throw new SisrelayError('TRANSFER_FAILED', `could not write the PGlite snapshot ${path}`, { cause: err });
  }
  return { path, created: true };
}

/**
 * Path of a gzip'd PGlite data directory holding the generated dataset; created on first use and
 * reused afterwards. Open it with `new PGlite({ loadDataDir: new Blob([await readFile(path)]) })`.
 */
export async function ensurePgliteSnapshot(params: PgliteSnapshotParams): Promise<string> {
  return (await ensurePgliteSnapshotDetailed(params)).path;
}
