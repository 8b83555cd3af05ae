import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnections } from '../../../src/adapters/connections.js';
import type { AlmaConnection, NamedConnection, SlackConnection, SmtpConnection } from '../../../src/config/config-types.js';
import type { JobContext, RunReport } from '../../../src/jobs/job-types.js';
import type { DeliveryRecord, FileRecord } from '../../../src/runner/run-record.js';
import { Redactor } from '../../../src/util/redactor.js';
import { captureLog } from '../../files/test-log.js';

/**
 * A JobContext for running a Leganto job in-process: real `createConnections` (real HttpClient,
 * real SFTP), a temporary run directory, a logger and a report that keep everything for assertions.
 */

export interface CapturedReport extends RunReport {
  counts: Record<string, number>;
  files: FileRecord[];
  deliveries: DeliveryRecord[];
  notes: string[];
}

export function captureReport(): CapturedReport {
  const r: CapturedReport = {
    counts: {},
    files: [],
    deliveries: [],
    notes: [],
    count: (name, value) => void (r.counts[name] = value),
    file: (f) => void r.files.push(f),
    delivery: (d) => void r.deliveries.push(d),
    items: () => undefined,
    note: (t) => void r.notes.push(t),
  };
  return r;
}

export interface TestContext {
  ctx: JobContext;
  log: ReturnType<typeof captureLog>;
  report: CapturedReport;
  runDir: string;
  filesDir: string;
  abort: AbortController;
  cleanup(): Promise<void>;
}

export interface TestContextOptions {
  connections: Record<string, NamedConnection>;
  /** Run start; jobs take "today" and file names from it. */
  startedAt: Date;
  zone?: string;
  dryRun?: boolean;
}

export async function testContext(opts: TestContextOptions): Promise<TestContext> {
  const runDir = await mkdtemp(join(tmpdir(), 'sisrelay-leganto-run-'));
  const filesDir = join(runDir, 'files');
  await mkdir(filesDir, { mode: 0o700 });
  const log = captureLog();
  const report = captureReport();
  const abort = new AbortController();
  const secrets = Object.values(opts.connections).flatMap((c) => secretValues(c));
  const redactor = new Redactor(secrets);
  const connections = createConnections(opts.connections, { redactor, log, signal: abort.signal });
  const ctx: JobContext = {
    runId: 'test-run',
    job: 'leganto-test',
    type: 'leganto-test',
    trigger: 'manual',
    slot: null,
    attempt: 1,
    startedAt: opts.startedAt,
    zone: opts.zone ?? 'America/Phoenix',
    dryRun: opts.dryRun ?? false,
    force: false,
    runDir,
    filesDir,
    dataDir: runDir,
    log,
    signal: abort.signal,
    connections,
    previous: null,
    report,
    redact: (t) => redactor.redact(t),
  };
  return {
    ctx,
    log,
    report,
    runDir,
    filesDir,
    abort,
    cleanup: async () => {
      await connections.closeAll();
      await rm(runDir, { recursive: true, force: true });
    },
  };
}

function secretValues(c: NamedConnection): string[] {
  switch (c.type) {
    case 'alma':
      return [(c as AlmaConnection).apiKey];
    case 'slack':
      return [(c as SlackConnection).webhookUrl];
    case 'smtp':
      return [(c as SmtpConnection).password ?? ''].filter(Boolean);
    case 'sftp':
      return [c.password ?? ''].filter(Boolean);
    default:
      return [];
  }
}

export function almaConnection(url: string, apiKey: string, over: Partial<AlmaConnection> = {}): NamedConnection<AlmaConnection> {
  return { name: 'alma', type: 'alma', url, apiKey, minRemaining: 10, timeoutMs: 10_000, concurrency: 8, ratePerSecond: 20, retries: 2, retryDelayMs: 50, ...over };
}

export function slackConnection(webhookUrl: string): NamedConnection<SlackConnection> {
  return { name: 'slack', type: 'slack', webhookUrl, timeoutMs: 5_000 };
}

/** `local` connections for the CEM source and the loader drop, both rooted at `root`. */
export function localConnections(root: string): Record<'cem-sftp' | 'alma-sftp', NamedConnection> {
  return {
    'cem-sftp': { name: 'cem-sftp', type: 'local', path: root, create: false },
    'alma-sftp': { name: 'alma-sftp', type: 'local', path: root, create: false },
  };
}
