import { bootTimeMs } from '../util/boot-time.js';
import { readFileSync } from 'node:fs';

/**
 * Signals to a run's process group. Run processes are spawned detached, so each leads its own
 * group (pgid = pid) and a signal to `-pid` also reaches helpers it started (sqlcmd, ssh).
 */

/** Signal the whole group; false when nothing was there to signal. Never throws. */
export function killGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    try {
      // The group may be gone while the leader lingers (or the platform lacks groups).
      process.kill(pid, signal);
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * Kill what is left of a run process group found after a daemon restart, without ever
 * signalling an unrelated process that reused the pid: on Linux, skip when the machine booted
 * after the run was created, and skip when a live process with that pid does not carry `marker`
 * (the run id, which the runner puts in the run process's argv) in its command line.
 * Elsewhere we cannot check, and rely on the run process exiting when its IPC channel closes.
 * Returns true when a signal was sent.
 */
export function killOrphanedRun(pid: number, createdAt: Date, marker: string): boolean {
  if (process.platform !== 'linux') return false;
  const boot = bootTimeMs();
  if (boot !== null && boot > createdAt.getTime()) return false;
  let cmdline: string | null = null;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    cmdline = null; // no such process: any group with this id can only be the run's leftovers
  }
  if (cmdline !== null && cmdline !== '' && !cmdline.includes(marker)) return false;
  let sent = false;
  try {
    process.kill(-pid, 'SIGKILL');
    sent = true;
  } catch {
    /* no such group */
  }
  if (cmdline !== null && cmdline.includes(marker)) {
    try {
      process.kill(pid, 'SIGKILL');
      sent = true;
    } catch {
      /* already gone */
    }
  }
  return sent;
}

