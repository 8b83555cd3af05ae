import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { JobConfig, NamedConnection } from '../../../src/config/config-types.js';
import type { RunSpec } from '../../../src/runner/protocol.js';
import type { RunRecord } from '../../../src/runner/run-record.js';
import type { RunStore } from '../../../src/runner/run-store.js';

export const JOBS_DIR = new URL('../../fixtures/jobs/', import.meta.url);

export function jobModule(name: string): URL {
  return new URL(`${name}.ts`, JOBS_DIR);
}

export async function tempDirs(): Promise<{ root: string; stateDir: string; logDir: string; cleanup(): Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'sisrelay-runner-'));
  return {
    root,
    stateDir: join(root, 'state'),
    logDir: join(root, 'log'),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

export function specFor(
  record: RunRecord,
  fixture: string,
  over: Partial<RunSpec> & { params?: Record<string, unknown> } = {},
): RunSpec {
  return {
    runId: record.runId,
    job: record.job,
    type: record.type,
    module: jobModule(fixture).href,
    params: {},
    connections: {},
    trigger: record.trigger,
    slot: record.slot,
    attempt: record.attempt,
    startedAt: record.createdAt,
    zone: 'UTC',
    dryRun: false,
    force: false,
    runDir: record.runDir,
    filesDir: join(record.runDir, 'files'),
    dataDir: record.runDir,
    logLevel: 'debug',
    previous: null,
    secrets: [],
    ...over,
  };
}

export async function newRecord(store: RunStore, job = 'fixture-job', type = 'fixture'): Promise<RunRecord> {
  return store.create({ job, type, trigger: 'manual', slot: null });
}

export function jobConfig(name: string, fixture: string, over: Partial<JobConfig> = {}): JobConfig {
  return {
    name,
    type: fixture,
    description: '',
    enabled: true,
    schedule: null,
    timezone: 'UTC',
    timeoutMs: 30_000,
    killGraceMs: 1_000,
    maxMemoryMb: 256,
    retries: { max: 0, initialDelayMs: 50, maxDelayMs: 200 },
    overlap: 'skip',
    catchUpMs: 0,
    runOnStart: false,
    retentionMs: 42 * 86_400_000,
    alerts: { onFailure: true, onSuccess: false, deadline: null, email: false, slack: false, emailTo: null },
    params: {},
    connections: [],
    ...over,
  };
}

export const pgConnection = (password: string): NamedConnection => ({
  name: 'db',
  type: 'postgres',
  host: '127.0.0.1',
  port: 5432,
  database: 'sis',
  user: 'relay',
  password,
  ssl: false,
  connectTimeoutMs: 1000,
  statementTimeoutMs: 1000,
  copy: true,
});

export function fileUrl(path: string): string {
  return pathToFileURL(path).href;
}

/** Gone, or a zombie nobody reaped yet (an orphan's new parent may be slow to reap). */
export function pidGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, stepMs = 50): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
