import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, rename, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { watchConfigFile } from '../../src/daemon/config-watcher.js';
import { PidLock, isAlive, runningDaemonPid } from '../../src/daemon/pid-lock.js';
import { testDirs, waitFor, type TestDirs } from './helpers/daemon-harness.js';

let dirs: TestDirs;

beforeEach(async () => {
  dirs = await testDirs('sisrelay-lock-');
  await mkdir(dirs.stateDir);
});

afterEach(async () => {
  await dirs.cleanup();
});

/** A live process that is not us (and not our parent, which the OS might treat specially). */
async function withLiveProcess<T>(fn: (pid: number) => Promise<T>): Promise<T> {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  await new Promise((r) => child.once('spawn', r));
  try {
    return await fn(child.pid!);
  } finally {
    child.kill('SIGKILL');
  }
}

async function deadPid(): Promise<number> {
  const child = spawn('true', { stdio: 'ignore' });
  await new Promise((r) => child.once('exit', r));
  return child.pid!;
}

describe('PidLock', () => {
  it('writes our pid (mode 0600) and removes it on release, but never a file that is not ours', async () => {
    const lock = new PidLock(dirs.stateDir);
    lock.acquire();
    expect(readFileSync(lock.path, 'utf8')).toBe(`${process.pid}\n`);
    expect(statSync(lock.path).mode & 0o777).toBe(0o600);
    lock.release();
    expect(existsSync(lock.path)).toBe(false);

    const other = new PidLock(dirs.stateDir);
    other.acquire();
    await writeFile(other.path, '999999\n'); // somebody else took it over meanwhile
    other.release();
    expect(readFileSync(other.path, 'utf8')).toBe('999999\n');
  });

  it('refuses while the pid in the file is alive, naming the pid and the file', async () => {
    await withLiveProcess(async (pid) => {
      await writeFile(join(dirs.stateDir, 'daemon.pid'), `${pid}\n`);
      const lock = new PidLock(dirs.stateDir);
      expect(() => lock.acquire()).toThrow(`expected no other daemon using ${lock.path}, found one running as pid ${pid}; stop it first`);
      expect(readFileSync(lock.path, 'utf8')).toBe(`${pid}\n`);
    });
  });

  it('takes over a pid file whose process is gone, or that holds no usable pid', async () => {
    for (const content of [`${await deadPid()}\n`, '', 'garbage', '0\n', '-1\n']) {
      await writeFile(join(dirs.stateDir, 'daemon.pid'), content);
      const lock = new PidLock(dirs.stateDir);
      lock.acquire();
      expect(readFileSync(lock.path, 'utf8'), `after ${JSON.stringify(content)}`).toBe(`${process.pid}\n`);
      lock.release();
    }
  });

  it('takes over a pid file written before this boot even if its pid is alive again (power loss, pid reused)', async () => {
    await withLiveProcess(async (pid) => {
      const path = join(dirs.stateDir, 'daemon.pid');
      await writeFile(path, `${pid}\n`);
      await utimes(path, new Date('2001-01-01T00:00:00Z'), new Date('2001-01-01T00:00:00Z'));
      const lock = new PidLock(dirs.stateDir);
      lock.acquire();
      expect(readFileSync(path, 'utf8')).toBe(`${process.pid}\n`);
      lock.release();
    });
  });

  it('runningDaemonPid names a live holder and nothing that acquire() would take over', async () => {
    const path = join(dirs.stateDir, 'daemon.pid');
    expect(runningDaemonPid(dirs.stateDir)).toBeNull();
    await withLiveProcess(async (pid) => {
      await writeFile(path, `${pid}\n`);
      expect(runningDaemonPid(dirs.stateDir)).toBe(pid);
      await utimes(path, new Date('2001-01-01T00:00:00Z'), new Date('2001-01-01T00:00:00Z'));
      expect(runningDaemonPid(dirs.stateDir)).toBeNull();
    });
    for (const content of [`${await deadPid()}\n`, '', 'garbage', '0\n', '-1\n']) {
      await writeFile(path, content);
      expect(runningDaemonPid(dirs.stateDir), `for ${JSON.stringify(content)}`).toBeNull();
    }
  });

  it('isAlive tells a live pid from a dead one', async () => {
    expect(isAlive(process.pid)).toBe(true);
    expect(isAlive(await deadPid())).toBe(false);
  });
});

describe('watchConfigFile', () => {
  it('calls back once per burst of writes, ignores other files in the directory, follows rename-over saves, and stops on close', async () => {
    const file = join(dirs.root, 'sisrelay.json');
    await writeFile(file, '{}');
    let calls = 0;
    const watcher = watchConfigFile(file, () => calls++, 100);
    try {
      await writeFile(file, '{ "a": 1 }');
      await writeFile(file, '{ "a": 2 }');
      await writeFile(file, '{ "a": 3 }');
      await waitFor(() => calls === 1, 3000, 'one debounced call');
      await writeFile(join(dirs.root, 'notes.txt'), 'unrelated');
      await new Promise((r) => setTimeout(r, 300));
      expect(calls).toBe(1);

      await writeFile(`${file}.tmp`, '{ "b": 1 }');
      await rename(`${file}.tmp`, file);
      await waitFor(() => calls === 2, 3000, 'the rename-over save');
    } finally {
      watcher.close();
    }
    await writeFile(file, '{ "c": 1 }');
    await new Promise((r) => setTimeout(r, 300));
    expect(calls).toBe(2);
  });
});
