import { openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
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
    this.path = join(stateDir, 'daemon.pid');
  }

  acquire(): void {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(this.path, 'wx', 0o600);
        writeSync(fd, `${process.pid}\n`);
        closeSync(fd);
        this.#held = true;
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const other = Number.parseInt(readFileSync(this.path, 'utf8'), 10);
        if (Number.isInteger(other) && other !== process.pid && isAlive(other)) {
          throw new SisrelayError('CONFIG_INVALID', `expected no other daemon using ${this.path}, found one running as pid ${other}; stop it first (systemctl stop sisrelay)`);
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

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
