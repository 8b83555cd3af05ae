import { readFileSync } from 'node:fs';

/**
 * When this host booted (ms since the epoch), from /proc/stat; null where that is unknown (not
 * Linux). A pid recorded before the boot belongs to a process that no longer exists, even if the
 * same number is alive now.
 */
export function bootTimeMs(): number | null {
  try {
    const m = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
    return m ? Number(m[1]) * 1000 : null;
  } catch {
    return null;
  }
}
