/**
 * Main of a run process: one run, then exit. Started by spawn-run.ts with stdout/stderr on the
 * run's log file and an IPC channel; everything about the run (including secrets) arrives in the
 * `start` message, never in argv or the environment.
 *
 * Static imports are kept to what every run needs: the process is started for every run, and
 * adapters (oracledb, mssql, ssh2) load only when a job asks for a connection.
 */
import { writeSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { format as formatArgs } from 'node:util';
import winston from 'winston';
import { createConnections } from '../adapters/connections.js';
import { serializeError, type SerializedError } from '../errors/serialize-error.js';
import { SisrelayError, isSisrelayError } from '../errors/sisrelay-error.js';
import type { Connections, JobContext, JobLogger, JobModule, RunReport } from '../jobs/job-types.js';
import { Redactor } from '../util/redactor.js';
import { writeFileAtomic } from './atomic-write.js';
import { formatLogLine } from './log-line.js';
import type { ChildReportSummary, ChildResult, FromChild, RunSpec, ToChild } from './protocol.js';

/** After the daemon vanished, how long the job may take to notice the abort before we exit anyway. */
const DISCONNECT_GRACE_MS = 3000;
/** Bound on closing connections and flushing at the end, so a stuck socket cannot keep us alive. */
const CLEANUP_BOUND_MS = 5000;
/** A parent that never sends `start` is broken; do not linger. */
const START_TIMEOUT_MS = 60_000;

const LEVELS = { error: 0, warn: 1, info: 2, debug: 3 } as const;
/** result.json keeps at most this many item results (the parent's record keeps the same). */
const MAX_ITEMS = 10_000;

const abort = new AbortController();
let spec: RunSpec | null = null;
let redactor = new Redactor();
let logger: winston.Logger | null = null;
let connections: Connections | null = null;
let finishing = false;
const summary: ChildReportSummary = { counts: {}, files: [], deliveries: [], items: [], notes: [] };

process.on('message', (raw: unknown) => {
  const msg = raw as ToChild;
  if (msg?.type === 'start' && spec === null) {
    void start(msg.spec);
  } else if (msg?.type === 'cancel') {
    const code = msg.reason === 'timeout' ? 'RUN_TIMED_OUT' : 'RUN_CANCELLED';
    cancel(new SisrelayError(code, msg.reason === 'timeout' ? 'the run exceeded its timeout' : `the run was cancelled (${msg.reason})`));
  }
});

// SIGTERM (the runner's escalation, or an admin) aborts the job instead of killing it outright,
// so a job gets its chance to stop cleanly; the runner follows with SIGKILL after the grace.
process.on('SIGTERM', () => cancel(new SisrelayError('RUN_CANCELLED', 'the run process received SIGTERM')));

// The daemon died (or closed the channel): nobody will ever kill us, so stop on our own rather
// than live on as an orphan still holding connections and files.
process.on('disconnect', () => {
  cancel(new SisrelayError('RUN_INTERRUPTED', 'the daemon went away while the run was in progress'));
  if (spec === null) process.exit(1);
  // Not unref'd: even a job with nothing left to keep the process alive gets its result written.
  setTimeout(() => {
    void finish('failed', serializeError(new SisrelayError('RUN_INTERRUPTED', 'the daemon went away and the job did not stop within the grace period')));
  }, DISCONNECT_GRACE_MS);
});

// Node's default handlers print the raw error to stderr, that is straight into the run log,
// unredacted. Route them through the same failure path as a thrown job error.
process.on('uncaughtException', (err) => void finish('failed', serializeError(err)));
process.on('unhandledRejection', (reason) => void finish('failed', serializeError(reason)));

setTimeout(() => {
  if (spec === null) process.exit(1);
}, START_TIMEOUT_MS).unref();

send({ type: 'ready' });

function cancel(reason: SisrelayError): void {
  if (!abort.signal.aborted) abort.abort(reason);
}

async function start(s: RunSpec): Promise<void> {
  spec = s;
  redactor = new Redactor(s.secrets);
  redactStdio(redactor);
  logger = createRunLogger(s.logLevel, redactor);
  const log = jobLogger(logger);
  routeConsole(log);
  connections = createConnections(s.connections, { redactor, log, signal: abort.signal });

  const ctx: JobContext = {
    runId: s.runId,
    job: s.job,
    type: s.type,
    trigger: s.trigger,
    slot: s.slot === null ? null : new Date(s.slot),
    attempt: s.attempt,
    startedAt: new Date(s.startedAt),
    zone: s.zone,
    dryRun: s.dryRun,
    force: s.force,
    runDir: s.runDir,
    filesDir: s.filesDir,
    dataDir: s.dataDir,
    log,
    signal: abort.signal,
    connections,
    previous: s.previous,
    report: reporter(),
    redact: (text) => redactor.redact(text),
  };

  let job: JobModule;
  try {
    const mod = (await import(s.module)) as { default?: JobModule };
    if (typeof mod.default?.run !== 'function') {
      throw new SisrelayError('INTERNAL_ERROR', `job module ${s.module} for type ${s.type} has no default export with a run() function`);
    }
    job = mod.default;
  } catch (err) {
    await finish('failed', serializeError(err));
    return;
  }

  try {
    await job.run(ctx, s.params);
    await finish('succeeded', null);
  } catch (err) {
    await finish('failed', serializeError(errorForAbort(err)));
  }
}

/**
 * A job that stops because we aborted it usually throws whatever its driver threw (AbortError,
 * "socket closed"). Say why it really stopped: the abort reason, keeping the job's message.
 */
function errorForAbort(err: unknown): unknown {
  const reason = abort.signal.reason as unknown;
  if (!abort.signal.aborted || !isSisrelayError(reason)) return err;
  if (reason.code === 'RUN_INTERRUPTED' || !isSisrelayError(err)) {
    const detail = err instanceof Error ? err.message : String(err);
    return new SisrelayError(reason.code, `${reason.message}; the job stopped with: ${detail}`, { cause: err });
  }
  return err;
}

async function finish(outcome: 'succeeded' | 'failed', error: SerializedError | null): Promise<void> {
  if (finishing) return;
  finishing = true;
  const safeError = error ? redactor.redactValue(error) : null;
  if (safeError) {
    const head = `job failed code=${safeError.code} transient=${safeError.transient}: ${safeError.message}`;
    logger?.error(safeError.stack ? `${head}\n${safeError.stack}` : head);
  }
  if (connections) await bounded(connections.closeAll());

  if (spec) {
    const result: ChildResult = {
      runId: spec.runId,
      outcome,
      error: safeError,
      finishedAt: new Date().toISOString(),
      report: summary,
    };
    // Written before the message: if the daemon dies in between, recovery still knows the truth.
    await bounded(writeFileAtomic(join(spec.runDir, 'result.json'), `${JSON.stringify(result, null, 2)}\n`, 0o600));
  }
  const final: FromChild = safeError ? { type: 'failed', error: safeError } : { type: 'done' };
  await bounded(sendAndWait(final));
  await bounded(flushLogger());
  process.exit(outcome === 'succeeded' ? 0 : 1);
}

function reporter(): RunReport {
  return {
    count(name, value) {
      const safe = redactor.redact(name);
      summary.counts[safe] = value;
      send({ type: 'count', name: safe, value });
    },
    file(file) {
      const safe = redactor.redactValue(file);
      summary.files.push(safe);
      send({ type: 'file', file: safe });
    },
    delivery(delivery) {
      const safe = redactor.redactValue(delivery);
      summary.deliveries.push(safe);
      send({ type: 'delivery', delivery: safe });
    },
    items(items) {
      const safe = redactor.redactValue(items);
      summary.items.push(...safe.slice(0, Math.max(0, MAX_ITEMS - summary.items.length)));
      send({ type: 'items', items: safe });
    },
    note(text) {
      const safe = redactor.redact(text);
      summary.notes.push(safe);
      send({ type: 'note', text: safe });
    },
  };
}

function send(msg: FromChild): void {
  if (!process.connected || !process.send) return;
  try {
    process.send(msg, (err: Error | null) => void err);
  } catch {
    /* channel closed under us: result.json still carries the outcome */
  }
}

function sendAndWait(msg: FromChild): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected || !process.send) return resolve();
    try {
      process.send(msg, () => resolve());
    } catch {
      resolve();
    }
  });
}

function bounded(p: Promise<unknown>): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, CLEANUP_BOUND_MS);
    p.then(
      () => undefined,
      () => undefined,
    ).finally(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

// ------------------------------------------------------------------------------------------
// Logging: winston with a format that renders the run-log line and redacts it as a whole.

const MESSAGE = Symbol.for('message');
let transport: winston.transport | null = null;

/** Synchronous writes to the log file descriptor: a line logged just before a crash is kept. */
function logFileStream(): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      try {
        writeSync(1, chunk);
      } catch {
        /* nothing sensible to do if the log itself fails */
      }
      callback();
    },
  });
}

function createRunLogger(level: RunSpec['logLevel'], r: Redactor): winston.Logger {
  const line = winston.format((info) => {
    const { level: lvl, message, ...meta } = info as Record<string, unknown> & { level: string; message: unknown };
    (info as Record<string | symbol, unknown>)[MESSAGE] = r.redact(
      formatLogLine(new Date(), lvl, typeof message === 'string' ? message : String(message), meta),
    );
    return info;
  });
  transport = new winston.transports.Stream({ stream: logFileStream(), eol: '' });
  return winston.createLogger({ levels: LEVELS, level, format: line(), transports: [transport], exitOnError: false });
}

function jobLogger(l: winston.Logger): JobLogger {
  const at = (level: keyof typeof LEVELS) => (message: string, meta?: Record<string, unknown>) => {
    l.log(level, message, meta ?? {});
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

function flushLogger(): Promise<void> {
  const l = logger;
  const t = transport;
  if (!l || !t) return Promise.resolve();
  return new Promise((resolve) => {
    t.once('finish', () => resolve());
    l.end();
  });
}

/** Libraries that print with console.* still reach the run log, but through the redacting logger. */
function routeConsole(log: JobLogger): void {
  console.log = (...args: unknown[]) => log.info(formatArgs(...args));
  console.info = (...args: unknown[]) => log.info(formatArgs(...args));
  console.debug = (...args: unknown[]) => log.debug(formatArgs(...args));
  console.warn = (...args: unknown[]) => log.warn(formatArgs(...args));
  console.error = (...args: unknown[]) => log.error(formatArgs(...args));
}

/** Last line of defence for direct process.stdout/stderr writes (driver debug output). */
function redactStdio(r: Redactor): void {
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      const text = typeof chunk === 'string' ? chunk : chunk instanceof Uint8Array ? Buffer.from(chunk).toString('utf8') : null;
      return original(text === null ? chunk : r.redact(text), ...rest);
    }) as typeof stream.write;
  }
}
