/**
 * SftpTarget against the in-process fault server: dropped connections, refused renames and
 * opens, slow writes, and a server without posix-rename.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SftpTarget } from '../../src/adapters/files/sftp-target.js';
import type { SftpConnection } from '../../src/config/config-types.js';
import { Redactor } from '../../src/util/redactor.js';
import { FAULT_PASSWORD, startFaultSftpServer, type FaultSftpServer } from '../fixtures/fault-sftp-server.js';
import { captureLog, caught } from './test-log.js';

let srv: FaultSftpServer;
let work: string;
let big: Buffer;
let bigPath: string;
let smallPath: string;
const open: SftpTarget[] = [];

function make(overrides: Partial<SftpConnection> = {}) {
  const log = captureLog();
  const t = new SftpTarget(srv.connection(overrides), { redactor: new Redactor([FAULT_PASSWORD]), log });
  open.push(t);
  return { t, log };
}

/** Nothing but complete files, and no temporary names, under the upload directory. */
function uploadNames(dir = '/upload'): string[] {
  return srv.listDir(dir);
}

beforeAll(async () => {
  srv = await startFaultSftpServer();
  work = await mkdtemp(path.join(tmpdir(), 'sisrelay-fault-test-'));
  big = randomBytes(1_500_000);
  bigPath = path.join(work, 'big.bin');
  smallPath = path.join(work, 'small.csv');
  await writeFile(bigPath, big);
  await writeFile(smallPath, 'id\r\n1\r\n');
});

beforeEach(() => {
  srv.heal();
});

afterAll(async () => {
  await Promise.all(open.map((t) => t.close().catch(() => undefined)));
  await srv?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('connection cut mid-transfer', () => {
  it('fails with SFTP_CONNECTION_LOST and leaves nothing under the final name (or a temp)', async () => {
    srv.faults.cutAfterBytes = 400_000;
    const { t } = make({ retries: 0 });
    const e = await caught(() => t.putReplace(bigPath, '/upload/cut.bin'));
    expect(e.code).toBe('SFTP_CONNECTION_LOST');
    expect(e.transient).toBe(true);
    expect(e.message).toContain('/upload/cut.bin');
    expect(srv.stats.cuts).toBeGreaterThanOrEqual(1);
    expect(srv.readFile('/upload/cut.bin')).toBeUndefined();
    // One reconnect after the drop removed the partial temporary file.
    expect(uploadNames().filter((n) => n.includes('cut.bin'))).toEqual([]);
  });

  it('retries with a fresh connection and delivers the complete file once the fault clears', async () => {
    srv.faults.cutAfterBytes = 400_000;
    srv.faults.cutsRemaining = 1;
    const connectionsBefore = srv.stats.connections;
    const { t, log } = make({ retries: 2, retryDelayMs: 10 });
    const r = await t.putReplace(bigPath, '/upload/retried.bin');
    expect(r).toEqual({ path: '/upload/retried.bin', status: 'delivered', bytes: big.length });
    expect(srv.readFile('/upload/retried.bin')?.equals(big)).toBe(true);
    expect(srv.stats.connections - connectionsBefore).toBe(2);
    expect(log.lines.filter((l) => l.level === 'warn' && l.message.includes('SFTP_CONNECTION_LOST'))).toHaveLength(1);
    expect(uploadNames().filter((n) => n.endsWith('.part'))).toEqual([]);
  });

  it('gives up after the configured retries when every connection is cut', async () => {
    srv.faults.cutAfterBytes = 100_000;
    const before = srv.stats.connections;
    const { t } = make({ retries: 2, retryDelayMs: 5 });
    const e = await caught(() => t.putIfAbsent(bigPath, '/upload/never.bin'));
    expect(e.code).toBe('SFTP_CONNECTION_LOST');
    // 3 attempts, plus one reconnect to clean up the temp of the last one.
    expect(srv.stats.connections - before).toBe(4);
    expect(uploadNames().filter((n) => n.includes('never.bin'))).toEqual([]);
  });

  it('putIfAbsent reports delivered when the connection dropped right after its rename ran', async () => {
    srv.faults.cutAfterRename = true;
    const { t } = make({ retries: 1, retryDelayMs: 5 });
    const r = await t.putIfAbsent(smallPath, '/upload/in-doubt.csv');
    // Without the in-doubt check the retry would see the file and call it someone else's.
    expect(r.status).toBe('delivered');
    expect(srv.readFile('/upload/in-doubt.csv')?.toString()).toBe('id\r\n1\r\n');
    expect(uploadNames().filter((n) => n.includes('in-doubt'))).toEqual(['in-doubt.csv']);
  });

  it('an epoch cut before its marker is removed and has no marker', async () => {
    srv.faults.cutAfterBytes = 600_000;
    const { t } = make({ retries: 0 });
    const e = await caught(() =>
      t.putEpoch('/upload', 'E-cut', [
        { localPath: smallPath, name: 'students.csv' },
        { localPath: bigPath, name: 'guardians.csv' },
      ], 'COMPLETE'),
    );
    expect(e.code).toBe('SFTP_CONNECTION_LOST');
    expect(uploadNames()).not.toContain('E-cut');
  });

  it('an epoch whose connection is cut once is completed by the retry, marker last', async () => {
    srv.faults.cutAfterBytes = 600_000;
    srv.faults.cutsRemaining = 1;
    const { t } = make({ retries: 1, retryDelayMs: 5 });
    const r = await t.putEpoch('/upload', 'E-retry', [
      { localPath: smallPath, name: 'students.csv' },
      { localPath: bigPath, name: 'guardians.csv' },
    ], 'COMPLETE');
    expect(r.marker).toBe('/upload/E-retry/COMPLETE');
    expect(uploadNames('/upload/E-retry')).toEqual(['COMPLETE', 'guardians.csv', 'students.csv']);
    expect(srv.readFile('/upload/E-retry/guardians.csv')?.equals(big)).toBe(true);
    expect(srv.readFile('/upload/E-retry/COMPLETE')?.length).toBe(0);
  });
});

describe('refusals', () => {
  it('a refused rename fails putReplace and leaves no file under the final name', async () => {
    srv.faults.refuseRename = true;
    const { t } = make({ retries: 3 });
    const e = await caught(() => t.putReplace(smallPath, '/upload/refused.csv'));
    expect(e.code).toBe('TRANSFER_FAILED');
    expect(e.message).toContain('/upload/refused.csv');
    expect(uploadNames().filter((n) => n.includes('refused'))).toEqual([]);
  });

  it('a refused rename fails putIfAbsent (the target is not there) and removes the temp', async () => {
    srv.faults.refuseRename = true;
    const { t } = make();
    const e = await caught(() => t.putIfAbsent(smallPath, '/upload/refused2.csv'));
    expect(e.code).toBe('TRANSFER_FAILED');
    expect(uploadNames().filter((n) => n.includes('refused2'))).toEqual([]);
  });

  it('a refused open is TRANSFER_PERMISSION_DENIED and is not retried', async () => {
    srv.faults.refuseOpenWrite = true;
    const before = srv.stats.connections;
    const { t } = make({ retries: 3, retryDelayMs: 5 });
    const e = await caught(() => t.putReplace(smallPath, '/upload/denied.csv'));
    expect(e.code).toBe('TRANSFER_PERMISSION_DENIED');
    expect(srv.stats.connections - before).toBe(1);
  });
});

describe('server without posix-rename', () => {
  it('putReplace falls back to delete + rename, warns that it is not atomic, and replaces', async () => {
    srv.writeFile('/upload/conduit.csv', 'old');
    const { t, log } = make();
    await t.putReplace(smallPath, '/upload/conduit.csv');
    await t.putReplace(bigPath, '/upload/conduit.csv');
    expect(srv.readFile('/upload/conduit.csv')?.equals(big)).toBe(true);
    const warnings = log.lines.filter((l) => l.level === 'warn' && l.message.includes('posix-rename'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toContain('not atomic');
    expect(uploadNames().filter((n) => n.includes('conduit'))).toEqual(['conduit.csv']);
  });
});

describe('no-clobber race', () => {
  it('two slow concurrent putIfAbsent calls deliver exactly one file, whole', async () => {
    // Both pass the existence check while their slow uploads run; the second rename must fail
    // on the server and be reported as skipped-exists.
    srv.faults.writeDelayMs = 40;
    const a = path.join(work, 'a.bin');
    const b = path.join(work, 'b.bin');
    const bodyA = randomBytes(150_000);
    const bodyB = randomBytes(150_000);
    await writeFile(a, bodyA);
    await writeFile(b, bodyB);
    // Connected first, so both existence checks run within milliseconds of each other.
    const ta = make().t;
    const tb = make().t;
    await Promise.all([ta.connect(), tb.connect()]);
    const renamesBefore = srv.stats.renames;
    const [ra, rb] = await Promise.all([ta.putIfAbsent(a, '/upload/race.bin'), tb.putIfAbsent(b, '/upload/race.bin')]);
    const statuses = [ra.status, rb.status].sort();
    expect(statuses).toEqual(['delivered', 'skipped-exists']);
    // Both reached the rename: the loser was stopped by the server's no-clobber RENAME.
    expect(srv.stats.renames - renamesBefore).toBe(2);
    const winner = ra.status === 'delivered' ? bodyA : bodyB;
    expect(srv.readFile('/upload/race.bin')?.equals(winner)).toBe(true);
    expect(uploadNames().filter((n) => n.includes('race'))).toEqual(['race.bin']);
  });
});
