/**
 * Removal of what killed runs leave at a destination. A run SIGKILLed mid-upload cannot remove its
 * `.<name>.<hex>.part` temp file, and one killed between the epoch `mkdir` and the marker leaves an
 * epoch directory without it. Vendors ignore both (no final name, no marker), but they pile up, so
 * every delivery sweeps the leftovers of its own kind in the directory it just wrote to.
 *
 * What keeps this from ever removing something live or something a vendor reads:
 * - Temps: only regular files whose name is exactly `tempFileName(<the file just delivered>)`.
 * - Epochs: only directories named like an epoch (`YYYYMMDD-HHMMSS`), holding no marker, holding
 *   nothing but regular files, when the new epoch is named that way too and a marker is in use
 *   (without a marker a complete epoch cannot be told from an abandoned one). A complete epoch
 *   always has its marker, so none is ever removed.
 * - Age: the leftover and everything inside it must be older than STALE_LEFTOVER_AGE_MS. Runs of
 *   one job are serialized by the runner, so nothing that old belongs to a run in progress.
 * - Best effort: no failure (listing, removing) ever reaches the delivery; each is logged at warn.
 */
import type { RemoteEntry } from '../adapter-types.js';
import type { JobLogger } from '../../jobs/job-types.js';
import { formatDuration } from '../../util/duration.js';
import { finalNameOfTemp } from './temp-name.js';

/**
 * A leftover younger than this is left alone. An hour is far beyond the few seconds between a
 * temp's last write and its rename, and runs of a job never overlap, so only abandoned files are
 * this old; it also leaves room for modest clock skew between us and an SFTP server.
 */
export const STALE_LEFTOVER_AGE_MS = 60 * 60_000;

/** Epoch directory names as `epochName()` (src/util/dates.ts) makes them. */
const EPOCH_DIR_RE = /^\d{8}-\d{6}$/;

export function isEpochDirName(name: string): boolean {
  return EPOCH_DIR_RE.test(name);
}

/** The few operations a sweep needs, on whatever the target is (SFTP session, local directory). */
export interface SweepFs {
  /** Entries of one directory (not recursive); symlinks are 'other'. */
  list(dir: string): Promise<RemoteEntry[]>;
  /** Remove a file; a file already gone is not an error. */
  removeFile(p: string): Promise<void>;
  /** Remove an empty directory (fails if anything is inside). */
  removeEmptyDir(p: string): Promise<void>;
  join(dir: string, name: string): string;
  /** False once the transport is gone: the sweep stops instead of warning once per file. */
  usable?(): boolean;
}

export interface SweepOptions {
  /** Target description, prefixed to log lines. */
  endpoint: string;
  log: JobLogger;
  /** Applied to driver error text before it is logged. */
  redact?: (text: string) => string;
  /** Reference instant (ms) ages are measured from. Default: now. */
  now?: number;
  /** Default STALE_LEFTOVER_AGE_MS. */
  maxAgeMs?: number;
}

/**
 * Remove stale temp files of `finalName` (`.<finalName>.<12 hex>.part`) from `dir`. Returns the
 * paths removed. Never throws.
 */
export async function sweepStaleTemps(fs: SweepFs, dir: string, finalName: string, opts: SweepOptions): Promise<string[]> {
  const now = opts.now ?? Date.now();
  const maxAge = opts.maxAgeMs ?? STALE_LEFTOVER_AGE_MS;
  const removed: string[] = [];
  let entries: RemoteEntry[];
  try {
    entries = await fs.list(dir);
  } catch (err) {
    warn(opts, `could not list ${dir} to look for stale upload leftovers`, err);
    return removed;
  }
  for (const e of entries) {
    if (e.type !== 'file' || finalNameOfTemp(e.name) !== finalName) continue;
    const age = now - e.modifiedAt.getTime();
    if (!(age > maxAge)) continue;
    if (fs.usable?.() === false) break;
    const p = fs.join(dir, e.name);
    try {
      await fs.removeFile(p);
      removed.push(p);
      opts.log.info(`${opts.endpoint}: removed stale upload leftover ${p} (age ${formatDuration(age)})`, { path: p, ageMs: age });
    } catch (err) {
      warn(opts, `could not remove stale upload leftover ${p}`, err);
    }
  }
  return removed;
}

/**
 * Before a new epoch `newEpochName` goes into `parentDir`: remove abandoned epoch directories there
 * (see the file header for which). Returns the directories removed. Never throws.
 */
export async function sweepAbandonedEpochs(
  fs: SweepFs,
  parentDir: string,
  newEpochName: string,
  marker: string | null,
  opts: SweepOptions,
): Promise<string[]> {
  const removed: string[] = [];
  if (marker === null || !isEpochDirName(newEpochName)) return removed;
  const now = opts.now ?? Date.now();
  const maxAge = opts.maxAgeMs ?? STALE_LEFTOVER_AGE_MS;
  const isOld = (e: RemoteEntry) => now - e.modifiedAt.getTime() > maxAge;
  let entries: RemoteEntry[];
  try {
    entries = await fs.list(parentDir);
  } catch (err) {
    warn(opts, `could not list ${parentDir} to look for abandoned epochs`, err);
    return removed;
  }
  for (const e of entries) {
    if (e.type !== 'directory' || !isEpochDirName(e.name) || !isOld(e)) continue;
    if (fs.usable?.() === false) break;
    const dir = fs.join(parentDir, e.name);
    let inside: RemoteEntry[];
    try {
      inside = (await fs.list(dir)).filter((x) => x.name !== '.' && x.name !== '..');
    } catch (err) {
      warn(opts, `could not list ${dir} (an epoch that may be abandoned)`, err);
      continue;
    }
    if (inside.some((x) => x.name === marker)) continue; // complete: the vendor's to read
    const odd = inside.find((x) => x.type !== 'file');
    if (odd !== undefined) {
      // Not what putEpoch writes: someone put it there by hand; leave it for a person.
      opts.log.warn(`${opts.endpoint}: ${dir} has no ${marker} but holds ${odd.name}, which is not a regular file; left in place`);
      continue;
    }
    // A directory's mtime does not move while a file inside it is written to.
    if (!inside.every(isOld)) continue;
    try {
      for (const x of inside) await fs.removeFile(fs.join(dir, x.name));
      await fs.removeEmptyDir(dir);
    } catch (err) {
      warn(opts, `could not remove abandoned epoch ${dir} (it has no ${marker}, so it is ignored)`, err);
      continue;
    }
    removed.push(dir);
    const age = now - e.modifiedAt.getTime();
    opts.log.info(`${opts.endpoint}: removed stale upload leftover ${dir} (age ${formatDuration(age)}; epoch without ${marker}, ${inside.length} file(s))`, {
      path: dir,
      ageMs: age,
      files: inside.length,
    });
  }
  return removed;
}

function warn(opts: SweepOptions, what: string, err: unknown): void {
  const text = err instanceof Error ? err.message : String(err);
  opts.log.warn(`${opts.endpoint}: ${what}: ${opts.redact === undefined ? text : opts.redact(text)}`);
}
