import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/runner/run-record.js';
import { checkRecords, readRuns, scanDestinations, sha256 } from './harness/audit.js';
import { findLeaks, needles, scanForSecrets } from './harness/secrets.js';

/**
 * The acceptance suite's zero counts (partial files, missing records, duplicate deliveries,
 * leaked secrets) are only worth something if the detectors find what they look for. Each is
 * shown here on a hand-made state directory and destination.
 */

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'sisrelay-audit-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const FULL = Buffer.from('header\r\nrow 1\r\nrow 2\r\n');

function record(over: Partial<RunRecord> & Pick<RunRecord, 'runId' | 'job'>): RunRecord {
  return {
    version: 1, type: over.job, trigger: 'manual', slot: null, attempt: 1, retryOf: null, status: 'succeeded', dryRun: false, force: false,
    createdAt: '2026-11-22T10:00:00.000Z', startedAt: '2026-11-22T10:00:00.000Z', finishedAt: '2026-11-22T10:00:02.000Z', durationMs: 2000,
    host: 'h', pid: 1, counts: {}, files: [], deliveries: [], items: [], notes: [], error: null, exit: { code: 0, signal: null },
    runDir: '', logFile: '', nextRetryAt: null, ...over,
  };
}

async function writeRun(stateDir: string, rec: RunRecord | null, job: string, runId: string): Promise<void> {
  const dir = join(stateDir, 'runs', job, runId);
  await mkdir(join(dir, 'files'), { recursive: true });
  if (rec) await writeFile(join(dir, 'record.json'), JSON.stringify(rec));
}

describe('acceptance audit detectors', () => {
  it('finds a truncated file under a final name, a surviving temp name, and an incomplete epoch', async () => {
    const state = join(root, 'state');
    const dest = join(root, 'dest');
    const file = { name: 'roster.csv', path: '/x', bytes: FULL.length, sha256: sha256(FULL) };
    await writeRun(state, record({ runId: '20261122T100000000Z-aaaaaa', job: 'ls', files: [file] }), 'ls', '20261122T100000000Z-aaaaaa');
    await mkdir(join(dest, 'a', '20261122-100000'), { recursive: true });
    await writeFile(join(dest, 'a', 'roster.csv'), FULL);
    await writeFile(join(dest, 'a', 'copy.csv'), FULL.subarray(0, 10));
    await writeFile(join(dest, 'a', '.roster.csv.0123456789ab.part'), FULL.subarray(0, 5));
    await writeFile(join(dest, 'a', '20261122-100000', 'students.csv'), FULL);
    const report = scanDestinations([{ label: 'd', root: dest }], readRuns(state));
    expect(report.partialFinals).toEqual(['d:a/copy.csv (10 bytes, content no run recorded)']);
    expect(report.tempLeftovers).toEqual(['d:a/.roster.csv.0123456789ab.part']);
    expect(report.incompleteEpochs).toEqual(['d:a/20261122-100000']);
    expect(report.finalsChecked).toBe(3);
  });

  it('finds runs without a record, records left running, and statuses that contradict the run', async () => {
    const state = join(root, 'state');
    await writeRun(state, null, 'ls', '20261122T100000000Z-000001');
    await writeRun(state, record({ runId: '20261122T100000000Z-000002', job: 'ls', status: 'running' }), 'ls', '20261122T100000000Z-000002');
    await writeRun(state, record({ runId: '20261122T100000000Z-000003', job: 'ls', status: 'succeeded', exit: { code: null, signal: 'SIGKILL' } }), 'ls', '20261122T100000000Z-000003');
    await writeRun(state, record({ runId: '20261122T100000000Z-000004', job: 'ls', status: 'failed', error: null }), 'ls', '20261122T100000000Z-000004');
    await writeRun(state, record({ runId: '20261122T100000000Z-000005', job: 'ls' }), 'ls', '20261122T100000000Z-000005');
    // Killed after reporting success: the runner keeps the outcome and notes the kill.
    const noted = ['the run process was killed by SIGKILL after it reported its outcome'];
    await writeRun(state, record({ runId: '20261122T100000000Z-000006', job: 'ls', exit: { code: null, signal: 'SIGKILL' }, notes: noted }), 'ls', '20261122T100000000Z-000006');
    // The note names another signal than the one the process died from: not the same event.
    await writeRun(state, record({ runId: '20261122T100000000Z-000007', job: 'ls', exit: { code: null, signal: 'SIGTERM' }, notes: noted }), 'ls', '20261122T100000000Z-000007');
    const r = checkRecords(readRuns(state));
    expect(r.missing).toEqual([
      'ls/20261122T100000000Z-000001: no readable record.json',
      'ls/20261122T100000000Z-000002: still "running" after every process ended',
    ]);
    expect(r.untruthful).toEqual([
      'ls/20261122T100000000Z-000003: succeeded but the process died from SIGKILL',
      'ls/20261122T100000000Z-000003: killed by SIGKILL yet recorded succeeded',
      'ls/20261122T100000000Z-000004: failed without an error code',
      'ls/20261122T100000000Z-000007: succeeded but the process died from SIGTERM',
    ]);
  });

  it('finds a no-overwrite target delivered twice and a retry that delivered a second epoch', async () => {
    const state = join(root, 'state');
    const dest = join(root, 'dest');
    const first = '20261122T100000000Z-000001';
    const retry = '20261122T100005000Z-000002';
    const files = [{ name: 'students.csv', path: '/x', bytes: FULL.length, sha256: sha256(FULL) }];
    // The first attempt's epoch landed but its record says the delivery failed; its retry made another.
    await writeRun(state, record({ runId: first, job: 'sg', status: 'failed', error: { code: 'SFTP_CONNECTION_LOST', message: 'x', transient: true }, files,
      deliveries: [{ connection: 'sftp', target: '/upload/20261122-100000', mode: 'epoch', status: 'failed' }] }), 'sg', first);
    await writeRun(state, record({ runId: retry, job: 'sg', attempt: 2, retryOf: first, createdAt: '2026-11-22T10:00:05.000Z', startedAt: '2026-11-22T10:00:05.000Z', files,
      deliveries: [{ connection: 'sftp', target: '/upload/20261122-100005', mode: 'epoch', status: 'delivered' }] }), 'sg', retry);
    for (const epoch of ['20261122-100000', '20261122-100005']) {
      await mkdir(join(dest, epoch), { recursive: true });
      await writeFile(join(dest, epoch, 'students.csv'), FULL);
      await writeFile(join(dest, epoch, 'COMPLETE'), '');
    }
    // Two different runs claiming the same no-overwrite file.
    for (const id of ['20261122T110000000Z-000003', '20261122T110100000Z-000004']) {
      await writeRun(state, record({ runId: id, job: 'md', deliveries: [{ connection: 'c', target: 'conduit/enrollments.csv', mode: 'no-overwrite', status: 'delivered' }] }), 'md', id);
    }
    const report = scanDestinations([{ label: 'd', root: dest, owners: { '.': ['sg'] } }], readRuns(state));
    expect(report.completeEpochs).toBe(2);
    expect(report.duplicateDeliveries).toEqual([
      `retry chain sg:${first} has 2 time-stamped deliveries: d:20261122-100000, d:20261122-100005`,
      'c:conduit/enrollments.csv delivered by 20261122T110000000Z-000003, 20261122T110100000Z-000004 (no-overwrite/epoch target delivered twice)',
    ]);
  });

  it('finds a secret raw, URL-encoded and base64-encoded at any offset, and nothing in clean text', () => {
    const secret = 'S3CR3T-slack-0a1b2c3d4e5f/x+y';
    const n = needles(secret);
    expect(findLeaks('raw', `token=${secret}`, n).map((l) => l.form)).toContain('raw');
    expect(findLeaks('url', `https://h/?t=${encodeURIComponent(secret)}`, n).map((l) => l.form)).toContain('url-encoded');
    for (const prefix of ['', 'a', 'ab', '\0user\0']) {
      const encoded = Buffer.from(`${prefix}${secret}tail`).toString('base64');
      expect(findLeaks('b64', `AUTH PLAIN ${encoded}`, n).length, `prefix ${JSON.stringify(prefix)}`).toBeGreaterThan(0);
    }
    expect(findLeaks('clean', 'S3CR3T-slack-[redacted] and other text', n)).toEqual([]);
    const scan = scanForSecrets([secret], [], [{ what: 'a', text: 'nothing' }, { what: 'b', text: `x${secret}` }]);
    expect(scan.leaks).toEqual([{ where: 'b', secret, form: 'raw' }]);
  });
});
