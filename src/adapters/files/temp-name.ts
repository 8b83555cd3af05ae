/**
 * Temporary upload names. A delivery is written under a hidden temporary name and renamed over the
 * final name only when complete, so a vendor polling the directory never picks up a half-written
 * file. The leading dot hides it from most pollers' globs (`*.csv`), and `.part` marks it as
 * incomplete for people; the random part keeps two concurrent runs (or a retry racing a stale
 * upload from a dropped connection) from writing into the same temporary file.
 */
import { randomBytes } from 'node:crypto';

const TEMP_RE = /^\.(.+)\.[0-9a-f]{12}\.part$/;

export function randomToken(): string {
  return randomBytes(6).toString('hex');
}

/** `.<name>.<12 hex>.part` for a final file name (a base name, without directory). */
export function tempFileName(finalName: string, token: string = randomToken()): string {
  if (finalName === '' || finalName.includes('/')) {
    throw new Error(`tempFileName expects a base name, got "${finalName}"`);
  }
  if (!/^[0-9a-f]{12}$/.test(token)) throw new Error(`tempFileName token must be 12 hex digits, got "${token}"`);
  return `.${finalName}.${token}.part`;
}

/** True for names produced by tempFileName (leftovers that cleanup may remove). */
export function isTempFileName(name: string): boolean {
  return TEMP_RE.test(name);
}

/** The final name a temporary name stands for, or null if it is not one. */
export function finalNameOfTemp(name: string): string | null {
  return TEMP_RE.exec(name)?.[1] ?? null;
}
