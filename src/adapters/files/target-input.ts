/** Checks on what a job hands a FileTarget: the local file to send and names inside an epoch. */
import { stat } from 'node:fs/promises';
import type { EpochFile } from '../adapter-types.js';
import { SisrelayError } from '../../errors/sisrelay-error.js';

/** Size of the local file to upload; INPUT_NOT_FOUND if it is missing or not a regular file. */
export async function localFileSize(localPath: string): Promise<number> {
  let st;
  try {
    st = await stat(localPath);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new SisrelayError('INPUT_NOT_FOUND', `the file to upload, ${localPath}, cannot be read (${code})`, { cause: err });
  }
  if (!st.isFile()) throw new SisrelayError('INPUT_NOT_FOUND', `the file to upload, ${localPath}, is not a regular file`);
  return st.size;
}

/**
 * A single path component (epoch directory, file inside it, marker). A slash or `..` here would
 * put files outside the epoch, where the vendor's "only complete epochs" rule no longer holds.
 */
export function checkEntryName(name: string, what: string): void {
  if (name === '' || name === '.' || name === '..' || /[/\\\0]/.test(name)) {
    throw new SisrelayError('CONFIG_INVALID', `${what} must be a single file name (no "/", "\\\\", "." or ".."), got "${name}"`);
  }
}

/** Names of one putEpoch call: single components, no duplicates, marker distinct from the files. */
export function checkEpochNames(epochName: string, files: readonly EpochFile[], marker: string | null): void {
  checkEntryName(epochName, 'epoch name');
  const names = new Set<string>();
  for (const f of files) {
    checkEntryName(f.name, 'epoch file name');
    if (names.has(f.name)) throw new SisrelayError('CONFIG_INVALID', `putEpoch: file name "${f.name}" appears twice`);
    names.add(f.name);
  }
  if (marker !== null) {
    checkEntryName(marker, 'marker name');
    if (names.has(marker)) throw new SisrelayError('CONFIG_INVALID', `putEpoch: marker "${marker}" has the name of a data file`);
  }
}
