import { bootTimeMs } from '../util/boot-time.js';
import { openSync, readFileSync, rmSync, statSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { SisrelayError } from '../errors/sisrelay-error.js';

/**
 * One daemon per state directory. Two daemons on the same state would fire every job twice and
 * fight over run records, so the second one refuses to start. A pid file left by a daemon that
 * was killed (SIGKILL, power loss) is stale when its pid is no longer alive and is taken over.
 */
export class PidLock {
  readonly path: string;
  #held = false;

  constructor(stateDir: string) {
    this.path = pidFilePath(stateDir);
  }

  acquire(): void {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fd = openSync(this.path, 'wx', 0o600);
        writeSync(fd, `${process.pid}\n`);
        closeSync(fd);
        this.#held = true;
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const holder = readHolder(this.path);
        // Gone between our open and our read (the other daemon just stopped): try again.
        if (holder === 'gone') continue;
        if (holder !== null && holder.pid !== process.pid && isAlive(holder.pid) && !holder.beforeBoot) {
          throw new SisrelayError('CONFIG_INVALID', `expected no other daemon using ${this.path}, found one running as pid ${holder.pid}; stop it first (systemctl stop sisrelay)`);
        }
        rmSync(this.path, { force: true });
      }
    }
    throw new SisrelayError('INTERNAL_ERROR', `could not create ${this.path}`);
  }

  release(): void {
    if (!this.#held) return;
    this.#held = false;
    try {
      if (Number.parseInt(readFileSync(this.path, 'utf8'), 10) === process.pid) rmSync(this.path, { force: true });
    } catch {
      // already gone
    }
  }
}

/**
 * The pid of the daemon holding the lock on `stateDir`, or null when none is running: judged as
 * acquire() judges it, so `sisrelay status` never calls a daemon running that `start` would
 * replace as stale (a pid file from before this boot whose pid now belongs to something else).
 */
export function runningDaemonPid(stateDir: string): number | null {
  try {
    const holder = readHolder(pidFilePath(stateDir));
    return holder !== null && holder !== 'gone' && isAlive(holder.pid) && !holder.beforeBoot ? holder.pid : null;
  } catch {
    return null; // unreadable pid file: nothing to report
  }
}

function pidFilePath(stateDir: string): string {
  return join(stateDir, 'daemon.pid');
}

/**
 * The pid in an existing pid file (null when it holds no pid: a daemon killed between creating
 * and writing it), and whether the file predates the current boot. After a power loss the old
 * pid is often alive again as some unrelated process started early in the next boot; a file
 * written before this boot can only be stale, whatever its pid says.
 */
function readHolder(path: string): { pid: number; beforeBoot: boolean } | null | 'gone' {
  let text: string;
  let mtimeMs: number;
  try {
    mtimeMs = statSync(path).mtimeMs;
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw err;
  }
  const pid = Number.parseInt(text, 10);
  if (!Number.isInteger(pid) || pid <= 0) return null;
  const boot = bootTimeMs();
  return { pid, beforeBoot: boot !== null && mtimeMs < boot };
}


export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
