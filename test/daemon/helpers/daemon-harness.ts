import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jobCatalog } from '../../../src/jobs/catalog.js';
import type { ConnectionUse, JobCatalog, JobTypeDescriptor } from '../../../src/jobs/job-types.js';
import { RunStore } from '../../../src/runner/run-store.js';
import type { RunRecord } from '../../../src/runner/run-record.js';

/**
 * Shared by the daemon and CLI tests: a job catalog that adds the runner's fixture jobs (plus two
 * of our own) to the real one, a temp directory layout, a config-file writer and small waits.
 */

const RUNNER_JOBS = new URL('../../fixtures/jobs/', import.meta.url);
const OWN_JOBS = new URL('../fixtures/jobs/', import.meta.url);

function fixture(
  type: string,
  module: URL,
  params: Record<string, unknown> = {},
  connections: (p: Record<string, unknown>) => ConnectionUse[] = () => [],
): JobTypeDescriptor {
  return { type, summary: `test fixture ${type}`, params: params as never, connections, module };
}

const natural = (doc: string, def: number) => ({ doc, format: 'natural', default: def });

export const FIXTURE_TYPES: JobTypeDescriptor[] = [
  fixture('succeeds', new URL('succeeds.ts', RUNNER_JOBS), { rows: natural('rows', 3), delayMs: natural('wait first', 0) }),
  fixture('transient-once', new URL('transient-once.ts', RUNNER_JOBS), { counterFile: { doc: 'state', format: String, default: '' } }),
  fixture('throws-permanent', new URL('throws-permanent.ts', RUNNER_JOBS)),
  fixture('hangs-cooperative', new URL('hangs-cooperative.ts', RUNNER_JOBS), { stopDelayMs: natural('wind-down', 100) }),
  fixture('hangs-ignoring', new URL('hangs-ignoring.ts', RUNNER_JOBS)),
  fixture('exits-nonzero', new URL('exits-nonzero.ts', RUNNER_JOBS), { code: natural('exit code', 3) }),
  fixture('trivial', new URL('trivial.ts', RUNNER_JOBS)),
  fixture('leaks-secret', new URL('leaks-secret.ts', RUNNER_JOBS), { db: { doc: 'db', format: 'nonempty-string', default: 'db' } }, (p) => [
    { param: 'db', name: String(p.db), types: ['postgres'] },
  ]),
  fixture('transient-always', new URL('transient-always.ts', OWN_JOBS)),
  fixture('reports-context', new URL('reports-context.ts', OWN_JOBS), {
    destination: { doc: 'a local connection', format: 'nonempty-string', default: 'outbox' },
  }, (p) => [{ param: 'destination', name: String(p.destination), types: ['local'] }]),
];

export function fixtureCatalog(): JobCatalog {
  return jobCatalog(FIXTURE_TYPES);
}

export interface TestDirs {
  root: string;
  stateDir: string;
  logDir: string;
  configFile: string;
  cleanup(): Promise<void>;
}

export async function testDirs(prefix = 'sisrelay-daemon-'): Promise<TestDirs> {
  const root = await mkdtemp(join(tmpdir(), prefix));
  return {
    root,
    stateDir: join(root, 'state'),
    logDir: join(root, 'log'),
    configFile: join(root, 'sisrelay.json'),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

/** A job entry with test-friendly defaults (UTC, short grace, no retries). */
export function job(type: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type,
    timezone: 'UTC',
    timeout: '30s',
    killGrace: '1s',
    maxMemoryMb: 256,
    retries: { max: 0, initialDelay: '100ms', maxDelay: '1s' },
    alerts: { email: false, slack: false },
    ...over,
  };
}

/** Writes a config (JSON is valid JSON5) whose state and logs live under `dirs`. */
export async function writeConfig(
  dirs: TestDirs,
  parts: { daemon?: Record<string, unknown>; connections?: Record<string, unknown>; jobs?: Record<string, unknown>; raw?: string },
): Promise<void> {
  if (parts.raw !== undefined) {
    await writeFile(dirs.configFile, parts.raw);
    return;
  }
  const config = {
    daemon: { timezone: 'UTC', stateDir: dirs.stateDir, logDir: dirs.logDir, shutdownGrace: '5s', ...parts.daemon },
    connections: parts.connections ?? {},
    jobs: parts.jobs ?? {},
  };
  await writeFile(dirs.configFile, `// written by the daemon tests\n${JSON.stringify(config, null, 2)}\n`);
}

export function daemonLog(dirs: TestDirs): string {
  const path = join(dirs.logDir, 'sisrelay.log');
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}

export function daemonLogLines(dirs: TestDirs): string[] {
  return daemonLog(dirs).split('\n').filter((l) => l !== '');
}

export async function records(dirs: TestDirs, jobName: string): Promise<RunRecord[]> {
  return new RunStore(dirs.stateDir, dirs.logDir, { onProblem: () => undefined }).list(jobName);
}

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string, stepMs = 50): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** Waits until the job has a record matching `pred`, and returns it. */
export async function waitForRecord(dirs: TestDirs, jobName: string, pred: (r: RunRecord) => boolean, timeoutMs = 20_000): Promise<RunRecord> {
  let found: RunRecord | undefined;
  await waitFor(async () => {
    found = (await records(dirs, jobName)).find(pred);
    return found !== undefined;
  }, timeoutMs, `a record of ${jobName} matching ${pred.toString()}`);
  return found!;
}

export const isFinal = (r: RunRecord): boolean => r.status !== 'running';
