import { open } from 'node:fs/promises';

/**
 * fsync a directory so a rename or create inside it survives a power failure. Best effort: some
 * filesystems refuse fsync on a directory (EINVAL), and the rename has happened either way.
 */
export async function fsyncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    // not supported here; nothing to undo
  } finally {
    await fh?.close().catch(() => undefined);
  }
}
