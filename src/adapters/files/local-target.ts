/**
 * FileTarget over a local directory: a drop folder on the same host, the demo's stand-in for every
 * vendor's SFTP server, and dry runs. Same guarantees as SftpTarget:
 * - replace: temp file (0600) + fsync + rename(2) over the target, then fsync of the directory;
 * - no-overwrite: temp file + link(2) to the final name, which fails with EEXIST if the target
 *   exists, even one created a microsecond earlier by another process; the temp is then unlinked;
 * - epoch: mkdir(2) (EEXIST → TRANSFER_TARGET_EXISTS), files, then the empty marker last.
 *
 * Remote paths are taken relative to the root (`/upload/x.csv` → `<root>/upload/x.csv`) and may
 * not leave it, neither with `..` nor through a symlinked directory (TRANSFER_PERMISSION_DENIED).
 * Missing directories under the root are created (0700) only when the connection has
 * `create: true`; otherwise they are TRANSFER_NO_SUCH_PATH, as on SFTP.
 *
 * Leftovers of killed runs (stale temps of the file just delivered, epochs without marker) are
 * swept after a delivery / before an epoch, best effort: see leftover-sweep.ts.
 */
import { fsyncDir } from '../../util/fsync-dir.js';
import { createReadStream, createWriteStream } from 'node:fs';
import { link, lstat, mkdir, open, readdir, realpath, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { EpochFile, EpochResult, FileTarget, PutResult, RemoteEntry } from '../adapter-types.js';
import type { LocalConnection, NamedConnection } from '../../config/config-types.js';
import { SisrelayError } from '../../errors/sisrelay-error.js';
import type { JobLogger } from '../../jobs/job-types.js';
import { sweepAbandonedEpochs, sweepStaleTemps, type SweepFs } from './leftover-sweep.js';
import { checkEpochNames, localFileSize } from './target-input.js';
import { tempFileName } from './temp-name.js';
import { mapLocalError } from './transfer-errors.js';

const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

export interface LocalTargetOptions {
  log: JobLogger;
}

export class LocalTarget implements FileTarget {
  readonly kind = 'local' as const;
  readonly description: string;
  readonly #root: string;
  readonly #create: boolean;
  readonly #log: JobLogger;
  #realRoot: Promise<string> | null = null;

  constructor(conn: NamedConnection<LocalConnection>, opts: LocalTargetOptions) {
    if (conn.path.trim() === '') throw new SisrelayError('CONFIG_INVALID', `connection "${conn.name}": path is empty`);
    this.#root = path.resolve(conn.path);
    this.#create = conn.create;
    this.#log = opts.log;
    this.description = `local:${this.#root}`;
  }

  async connect(): Promise<void> {
    await this.#ready();
  }

  async putReplace(localPath: string, remotePath: string): Promise<PutResult> {
    const bytes = await localFileSize(localPath);
    const target = await this.#target(remotePath);
    const dir = path.dirname(target);
    const temp = await this.#writeTemp(localPath, dir, path.basename(target), remotePath);
    try {
      await rename(temp, target);
    } catch (err) {
      await removeQuiet(temp);
      throw this.#err(err, `replace ${remotePath}`, target);
    }
    return this.#delivered(target, remotePath, bytes);
  }

  async putIfAbsent(localPath: string, remotePath: string): Promise<PutResult> {
    const bytes = await localFileSize(localPath);
    const target = await this.#target(remotePath);
    const dir = path.dirname(target);
    if (await pathExists(target)) return this.#skipped(remotePath);
    const temp = await this.#writeTemp(localPath, dir, path.basename(target), remotePath);
    try {
      await link(temp, target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return this.#skipped(remotePath);
      if (['ENOTSUP', 'EOPNOTSUPP', 'EXDEV'].includes((err as NodeJS.ErrnoException).code ?? '')) {
        throw new SisrelayError(
          'TRANSFER_FAILED',
          `${this.description}: cannot deliver ${remotePath} without overwriting: the filesystem does not support hard links`,
          { cause: err, details: { path: remotePath } },
        );
      }
      throw this.#err(err, `deliver ${remotePath}`, dir);
    } finally {
      await removeQuiet(temp);
    }
    return this.#delivered(target, remotePath, bytes);
  }

  async putEpoch(parentDir: string, epochName: string, files: EpochFile[], marker: string | null): Promise<EpochResult> {
    checkEpochNames(epochName, files, marker);
    const sizes = await Promise.all(files.map((f) => localFileSize(f.localPath)));
    const remoteDir = path.posix.join(parentDir, epochName);
    const epochDir = await this.#target(remoteDir);
    const parent = path.dirname(epochDir);
    await sweepAbandonedEpochs(localFs, parent, epochName, marker, this.#sweepOptions());
    try {
      await mkdir(epochDir, { mode: DIR_MODE });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new SisrelayError('TRANSFER_TARGET_EXISTS', `${this.description}: epoch directory ${remoteDir} already exists; epoch names are never reused`, {
          cause: err,
          details: { path: remoteDir },
        });
      }
      throw this.#err(err, `create epoch ${remoteDir}`, parent);
    }
    try {
      const results: PutResult[] = [];
      for (const [i, f] of files.entries()) {
        const remote = path.posix.join(remoteDir, f.name);
        const temp = await this.#writeTemp(f.localPath, epochDir, f.name, remote);
        try {
          await rename(temp, path.join(epochDir, f.name));
        } catch (err) {
          await removeQuiet(temp);
          throw this.#err(err, `deliver ${remote}`, epochDir);
        }
        results.push({ path: remote, status: 'delivered', bytes: sizes[i] as number });
      }
      // Data files must be durable before the marker tells the vendor to read them.
      await fsyncDir(epochDir);
      let markerPath: string | null = null;
      if (marker !== null) {
        markerPath = path.posix.join(remoteDir, marker);
        try {
          const fh = await open(path.join(epochDir, marker), 'wx', FILE_MODE);
          await fh.sync();
          await fh.close();
        } catch (err) {
          throw this.#err(err, `write marker ${markerPath}`, epochDir);
        }
        await fsyncDir(epochDir);
      }
      this.#log.info(`${this.description}: epoch ${remoteDir} delivered (${files.length} files${marker === null ? '' : `, ${marker} last`})`);
      return { dir: remoteDir, files: results, marker: markerPath };
    } catch (err) {
      // We created the directory exclusively, so everything in it is this call's.
      await rm(epochDir, { recursive: true, force: true }).catch(() => undefined);
      throw err;
    }
  }

  async list(dir: string): Promise<RemoteEntry[]> {
    const abs = await this.#resolve(dir);
    try {
      return await localFs.list(abs);
    } catch (err) {
      throw this.#err(err, `list ${dir}`, dir);
    }
  }

  async exists(remotePath: string): Promise<boolean> {
    return pathExists(await this.#resolve(remotePath));
  }

  async download(remotePath: string, localPath: string): Promise<{ bytes: number }> {
    const source = await this.#resolve(remotePath);
    try {
      if (!(await stat(source)).isFile()) throw Object.assign(new Error('not a file'), { code: 'ENOENT' });
    } catch (err) {
      throw this.#err(err, `download ${remotePath}`, remotePath);
    }
    const dir = path.dirname(path.resolve(localPath));
    const temp = path.join(dir, tempFileName(path.basename(localPath)));
    try {
      await copyDurably(source, temp);
      const { size } = await stat(temp);
      await rename(temp, localPath);
      return { bytes: size };
    } catch (err) {
      await removeQuiet(temp);
      throw mapLocalError(err, { endpoint: 'local', action: `download ${remotePath} to ${localPath}`, path: dir });
    }
  }

  async close(): Promise<void> {
    // Nothing held open between calls.
  }

  // -------------------------------------------------------------------------------------------

  #ready(): Promise<string> {
    this.#realRoot ??= (async () => {
      try {
        if (this.#create) await mkdir(this.#root, { recursive: true, mode: DIR_MODE });
        const st = await stat(this.#root);
        if (!st.isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
        return await realpath(this.#root);
      } catch (err) {
        this.#realRoot = null;
        throw this.#err(err, 'open the root directory', this.#root);
      }
    })();
    return this.#realRoot;
  }

  /** Absolute path for a remote path; refuses anything outside the root. */
  async #resolve(remotePath: string): Promise<string> {
    const realRoot = await this.#ready();
    const abs = path.resolve(realRoot, '.' + path.posix.sep + remotePath.replace(/^\/+/, ''));
    if (!isInside(realRoot, abs)) {
      throw new SisrelayError('TRANSFER_PERMISSION_DENIED', `${this.description}: ${remotePath} resolves outside the root directory; refused`, {
        details: { path: remotePath },
      });
    }
    return abs;
  }

  /** Like #resolve, for a file to be written: its directory must exist (or be created) inside the root. */
  async #target(remotePath: string): Promise<string> {
    const abs = await this.#resolve(remotePath);
    const realRoot = await this.#ready();
    if (abs === realRoot) throw new SisrelayError('CONFIG_INVALID', `${this.description}: "${remotePath}" names the root itself, not a file`);
    const dir = path.dirname(abs);
    try {
      if (this.#create) await mkdir(dir, { recursive: true, mode: DIR_MODE });
      const realDir = await realpath(dir);
      // A symlinked directory inside the root could otherwise point anywhere.
      if (!isInside(realRoot, realDir)) {
        throw new SisrelayError('TRANSFER_PERMISSION_DENIED', `${this.description}: the directory of ${remotePath} leads outside the root (symlink); refused`, {
          details: { path: remotePath },
        });
      }
      return path.join(realDir, path.basename(abs));
    } catch (err) {
      throw this.#err(err, `write ${remotePath}`, path.posix.dirname(remotePath));
    }
  }

  /** Copy the local file to a fresh temp name in `dir` (0600), fsynced before close. */
  async #writeTemp(localPath: string, dir: string, finalName: string, remotePath: string): Promise<string> {
    const temp = path.join(dir, tempFileName(finalName));
    try {
      await copyDurably(localPath, temp);
      return temp;
    } catch (err) {
      // 'wx' failing with EEXIST means the name is someone else's: leave it.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') await removeQuiet(temp);
      throw this.#err(err, `write ${remotePath}`, path.posix.dirname(remotePath));
    }
  }

  /** The final name is in place: make that durable, log it, and sweep stale temps of the name. */
  async #delivered(target: string, remotePath: string, bytes: number): Promise<PutResult> {
    const dir = path.dirname(target);
    await fsyncDir(dir);
    this.#log.info(`${this.description}: delivered ${remotePath} (${bytes} bytes)`, { path: remotePath, bytes });
    await sweepStaleTemps(localFs, dir, path.basename(target), this.#sweepOptions());
    return { path: remotePath, status: 'delivered', bytes };
  }

  #sweepOptions() {
    return { endpoint: this.description, log: this.#log };
  }

  #skipped(remotePath: string): PutResult {
    this.#log.info(`${this.description}: ${remotePath} is still present (not consumed yet); nothing delivered`);
    return { path: remotePath, status: 'skipped-exists', bytes: 0 };
  }

  #err(err: unknown, action: string, where: string): SisrelayError {
    return mapLocalError(err, { endpoint: this.description, action, path: where });
  }
}

/** On absolute paths; lstat, so a symlink is never followed (it is 'other', which the sweep leaves alone). */
const localFs: SweepFs = {
  list: async (dir) => {
    const out: RemoteEntry[] = [];
    for (const name of await readdir(dir)) {
      try {
        const st = await lstat(path.join(dir, name));
        out.push({ name, type: st.isDirectory() ? 'directory' : st.isFile() ? 'file' : 'other', size: st.size, modifiedAt: st.mtime });
      } catch {
        // Removed between readdir and lstat: not there any more.
      }
    }
    return out;
  },
  removeFile: async (p) => {
    try {
      await unlink(p);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  },
  removeEmptyDir: (p) => rmdir(p),
  join: (dir, name) => path.join(dir, name),
};

function isInside(root: string, p: string): boolean {
  return p === root || p.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

async function pathExists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw err;
  }
}

/** Cleanup must never replace the error that made it necessary. */
async function removeQuiet(p: string): Promise<void> {
  await rm(p, { force: true }).catch(() => undefined);
}

/** Copy to a new file (exclusive create, 0600) and fsync it before it is closed. */
async function copyDurably(from: string, to: string): Promise<void> {
  await pipeline(createReadStream(from), createWriteStream(to, { flags: 'wx', mode: FILE_MODE, flush: true }));
}

