import { fsyncDir } from '../util/fsync-dir.js';
import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Replace `path` with `data` so that a crash at any instant (daemon SIGKILL, power loss) leaves
 * either the old file or the new one, never a torn or empty file under the final name:
 * write a temp file in the same directory, fsync it, rename it over the target, fsync the
 * directory (without the directory fsync the rename itself may be lost on power failure).
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fh = await open(temp, 'wx', mode);
  try {
    try {
      // open() honours the umask; set the mode explicitly so it is exactly what was asked.
      await fh.chmod(mode);
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  await fsyncDir(dir);
}

export { fsyncDir };
