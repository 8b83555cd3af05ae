import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, writeSync, fstatSync, readSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ErrorCode } from '../errors/error-codes.js';
import { ERROR_CODES } from '../errors/error-codes.js';
import type { SerializedError } from '../errors/serialize-error.js';
import { formatDuration } from '../util/duration.js';
import { nodeArgsFor, siblingModule } from '../util/module-url.js';
import { Redactor } from '../util/redactor.js';
import { formatLogLine } from './log-line.js';
import { killGroup } from './process-group.js';
import { isFromChild, type FromChild, type RunSpec, type ToChild } from './protocol.js';
import { killedAfterReportingNote, type RunRecord } from './run-record.js';
import { finaliseFromResult, withoutStack, type RunStore } from './run-store.js';

/**
 * The parent side of one attempt: spawn a fresh run process, feed it the spec over IPC, fold its
 * reports into the run record, enforce the timeout (cancel → SIGTERM → grace → SIGKILL on the
 * whole process group) and classify how it ended. The record is written when the process starts,
 * at most every PROGRESS_WRITE_MS while it reports, and once at the end.
 */

export interface ExecuteRunOptions {
  store: RunStore;
  timeoutMs: number;
  /** SIGTERM → this long → SIGKILL. */
  killGraceMs: number;
  /** V8 old-space limit of the run process (--max-old-space-size). */
  maxMemoryMb: number;
  /** Extra environment for the run process, on top of the allow-list. Never put secrets here. */
  env?: NodeJS.ProcessEnv;
  /** Called after each persisted progress write and with the final record. */
  onProgress?(record: RunRecord): void;
  /** Every message from the run process as received (the child redacts before sending). */
  onMessage?(message: FromChild): void;
  /** Abort to cancel the run; the reason 'shutdown' or 'operator' is passed on. @default 'operator' */
  cancelSignal?: AbortSignal;
  /** Entry module of the run process. @default ./child-entry next to this file */
  childEntry?: URL;
}

/** Coalescing window for progress writes: a job reporting thousands of items must not fsync per item. */
const PROGRESS_WRITE_MS = 250;
/** Records keep at most this many per-item results (the run log has all of them). */
const MAX_ITEMS_IN_RECORD = 10_000;

/** Variables passed to a run process. Everything else (secrets in the daemon's env, NODE_OPTIONS) stays out. */
const ENV_ALLOW = ['PATH', 'HOME', 'LANG', 'TZ', 'TMPDIR', 'USER', 'LOGNAME'];

const OOM_RE = /JavaScript heap out of memory|Reached heap limit|Allocation failed - process out of memory/;

function childEnvironment(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && (ENV_ALLOW.includes(k) || k.startsWith('LC_'))) env[k] = v;
  }
  return { ...env, ...extra };
}

export async function executeRun(spec: RunSpec, record: RunRecord, opts: ExecuteRunOptions): Promise<RunRecord> {
  const redactor = new Redactor(spec.secrets);
  const entry = opts.childEntry ?? siblingModule(import.meta.url, './child-entry');
  const logFd = openSync(record.logFile, 'a', 0o600);
  const lifecycle = (level: string, message: string, meta?: Record<string, unknown>): void => {
    try {
      writeSync(logFd, redactor.redact(formatLogLine(new Date(), level, message, meta)));
    } catch {
      /* the log is best effort; the record is what counts */
    }
  };

  let writeTimer: NodeJS.Timeout | null = null;
  let lastWrite = 0;
  let final = false;
  const persist = async (): Promise<void> => {
    lastWrite = Date.now();
    const snapshot = redactor.redactValue(record);
    await opts.store.write(snapshot);
    if (!final) opts.onProgress?.(snapshot);
  };
  const persistSoon = (): void => {
    if (writeTimer || final) return;
    const wait = Math.max(0, lastWrite + PROGRESS_WRITE_MS - Date.now());
    writeTimer = setTimeout(() => {
      writeTimer = null;
      if (!final) void persist().catch(() => undefined);
    }, wait);
  };

  let child: ChildProcess;
  const started = Date.now();
  try {
    child = spawn(
      process.execPath,
      [...loaderArgs(entry), `--max-old-space-size=${opts.maxMemoryMb}`, fileURLToPath(entry), spec.job, spec.runId],
      { detached: true, stdio: ['ignore', logFd, logFd, 'ipc'], env: childEnvironment(opts.env), cwd: spec.runDir },
    );
  } catch (err) {
    return finishWithoutProcess(err);
  }

  return new Promise<RunRecord>((resolve) => {
    let outcome: { status: 'succeeded' } | { status: 'failed'; error: SerializedError } | null = null;
    /** Set when we started killing the run, and why. */
    let stopping: 'timeout' | 'cancel' | null = null;
    let cancelReason: 'shutdown' | 'operator' = 'operator';
    let killTimer: NodeJS.Timeout | null = null;
    let spawnError: Error | null = null;

    const stop = (why: 'timeout' | 'cancel'): void => {
      if (stopping || child.pid === undefined) return;
      stopping = why;
      const pid = child.pid;
      lifecycle('warn', why === 'timeout' ? 'runner timeout reached, stopping run' : 'runner cancelling run', {
        reason: why === 'timeout' ? 'timeout' : cancelReason,
        timeout: formatDuration(opts.timeoutMs),
        grace: formatDuration(opts.killGraceMs),
      });
      const msg: ToChild = { type: 'cancel', reason: why === 'timeout' ? 'timeout' : cancelReason };
      if (child.connected) {
        try {
          child.send(msg, () => undefined);
        } catch {
          /* channel already closed */
        }
      }
      killGroup(pid, 'SIGTERM');
      killTimer = setTimeout(() => {
        lifecycle('warn', 'runner grace period over, killing process group', { pid, signal: 'SIGKILL' });
        killGroup(pid, 'SIGKILL');
      }, opts.killGraceMs);
    };

    const timeoutTimer = setTimeout(() => stop('timeout'), opts.timeoutMs);
    const onCancel = (): void => {
      const r = opts.cancelSignal?.reason as unknown;
      cancelReason = r === 'shutdown' ? 'shutdown' : 'operator';
      stop('cancel');
    };
    if (opts.cancelSignal?.aborted) queueMicrotask(onCancel);
    else opts.cancelSignal?.addEventListener('abort', onCancel, { once: true });

    child.on('spawn', () => {
      record.pid = child.pid ?? null;
      record.startedAt = new Date(started).toISOString();
      lifecycle('info', 'runner started', { job: spec.job, runId: spec.runId, pid: child.pid, attempt: spec.attempt, trigger: spec.trigger });
      void persist().catch(() => undefined);
    });

    child.on('error', (err) => {
      // Spawn failures (EAGAIN, ENOMEM, missing node) arrive here; 'close' normally follows,
      // but do not depend on it when there never was a process.
      spawnError = err;
      if (child.pid === undefined) setTimeout(() => void onClose(null, null), 1000).unref();
    });

    child.on('message', (raw: unknown) => {
      if (!isFromChild(raw)) return;
      opts.onMessage?.(raw);
      // Second line of defence: the child already redacted, but the record must never depend on it.
      const msg = redactor.redactValue(raw);
      switch (msg.type) {
        case 'ready':
          child.send({ type: 'start', spec } satisfies ToChild, () => undefined);
          return;
        case 'count':
          record.counts[msg.name] = msg.value;
          break;
        case 'file':
          record.files.push(msg.file);
          break;
        case 'delivery':
          record.deliveries.push(msg.delivery);
          break;
        case 'items': {
          const room = MAX_ITEMS_IN_RECORD - record.items.length;
          if (room > 0) record.items.push(...msg.items.slice(0, room));
          if (msg.items.length > room && room >= 0 && !record.notes.includes(ITEMS_TRUNCATED)) record.notes.push(ITEMS_TRUNCATED);
          break;
        }
        case 'note':
          record.notes.push(msg.text);
          break;
        case 'done':
          outcome = { status: 'succeeded' };
          return;
        case 'failed':
          outcome = { status: 'failed', error: msg.error };
          return;
        default: {
          const never: never = msg;
          return never;
        }
      }
      persistSoon();
    });

    let closed = false;
    const onClose = async (code: number | null, signal: NodeJS.Signals | null): Promise<void> => {
      if (closed) return;
      closed = true;
      clearTimeout(timeoutTimer);
      if (killTimer) clearTimeout(killTimer);
      if (writeTimer) clearTimeout(writeTimer);
      opts.cancelSignal?.removeEventListener('abort', onCancel);
      // Helpers the job started in its group (sqlcmd, ssh) must not outlive the run.
      if (child.pid !== undefined) killGroup(child.pid, 'SIGKILL');

      const finishedAt = Date.now();
      record.exit = { code, signal };
      record.finishedAt = new Date(finishedAt).toISOString();
      record.durationMs = finishedAt - started;

      /** The status is the one the child reported, over IPC or in result.json. */
      let reported = false;
      if (spawnError && child.pid === undefined) {
        setError(record, 'failed', 'RUN_SPAWN_FAILED', `could not start the run process for job ${spec.job}: ${spawnError.message}`);
      } else if (outcome?.status === 'succeeded') {
        record.status = 'succeeded';
        record.error = null;
        reported = true;
        if (stopping) record.notes.push(`finished after the runner began stopping it (${stopping})`);
      } else if (stopping === 'timeout') {
        setError(record, 'timed_out', 'RUN_TIMED_OUT',
          `run of job ${spec.job} exceeded its timeout of ${formatDuration(opts.timeoutMs)} and was stopped (SIGTERM, then SIGKILL after ${formatDuration(opts.killGraceMs)})`);
      } else if (stopping === 'cancel') {
        setError(record, 'cancelled', 'RUN_CANCELLED', `run of job ${spec.job} was cancelled (${cancelReason})`);
      } else if (outcome?.status === 'failed') {
        record.status = 'failed';
        record.error = withoutStack(outcome.error);
        reported = true;
      } else {
        const result = await opts.store.readResult(record);
        if (result) {
          finaliseFromResult(record, result);
          record.finishedAt = new Date(finishedAt).toISOString();
          record.durationMs = finishedAt - started;
          reported = true;
        } else {
          classifyExit(record, code, signal);
        }
      }
      // Killed after it had told us how the job ended (a kill that lands while the process closes
      // its log): the outcome stands, since the job's work, deliveries included, was complete and
      // a retry would deliver twice; the record says what happened to the process.
      if (reported && signal !== null) record.notes.push(killedAfterReportingNote(signal));
      record.nextRetryAt = null;
      lifecycle(record.status === 'succeeded' ? 'info' : 'error', 'runner finished', {
        status: record.status,
        code: record.error?.code,
        exit_code: code,
        signal,
        duration: formatDuration(record.durationMs ?? 0),
      });
      try {
        closeSync(logFd);
      } catch {
        /* already closed */
      }
      final = true;
      const snapshot = redactor.redactValue(record);
      opts.store
        .write(snapshot)
        .catch(() => undefined)
        .finally(() => {
          opts.onProgress?.(snapshot);
          resolve(snapshot);
        });
    };
    child.on('close', (code, signal) => void onClose(code, signal));
  });

  async function finishWithoutProcess(err: unknown): Promise<RunRecord> {
    const message = err instanceof Error ? err.message : String(err);
    setError(record, 'failed', 'RUN_SPAWN_FAILED', `could not start the run process for job ${spec.job}: ${message}`);
    record.finishedAt = new Date().toISOString();
    record.durationMs = 0;
    lifecycle('error', 'runner could not start the run process', { error: message });
    closeSync(logFd);
    const snapshot = redactor.redactValue(record);
    await opts.store.write(snapshot);
    return snapshot;
  }

  function classifyExit(r: RunRecord, code: number | null, signal: NodeJS.Signals | null): void {
    if (OOM_RE.test(logTail(r.logFile))) {
      setError(r, 'failed', 'RUN_OUT_OF_MEMORY',
        `run process of job ${spec.job} ran out of memory (limit --max-old-space-size=${opts.maxMemoryMb} MB)`);
    } else if (signal) {
      setError(r, 'failed', 'RUN_CRASHED', `run process of job ${spec.job} died from signal ${signal} without reporting a result`);
    } else {
      setError(r, 'failed', 'RUN_EXITED', `run process of job ${spec.job} exited with code ${String(code)} without reporting a result`);
    }
  }
}

/**
 * nodeArgsFor() names loaders as bare specifiers (`--import tsx`), which node resolves from the
 * child's cwd, and the child runs in its run directory. Resolve them from here instead.
 */
function loaderArgs(entry: URL): string[] {
  const args = nodeArgsFor(entry);
  return args.map((a, i) => (args[i - 1] === '--import' && !a.startsWith('.') && !a.startsWith('/') && !a.includes(':') ? import.meta.resolve(a) : a));
}

const ITEMS_TRUNCATED = `item results beyond ${MAX_ITEMS_IN_RECORD} are in the run log only`;

function setError(r: RunRecord, status: RunRecord['status'], code: ErrorCode, message: string): void {
  r.status = status;
  r.error = { code, message, transient: ERROR_CODES[code].transient };
}

/** The last few KB of the run log, where V8 prints its heap-limit message. */
function logTail(path: string, bytes = 16_384): string {
  let fd: number | null = null;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    const len = Math.min(bytes, size);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    return buf.toString('utf8');
  } catch {
    return '';
  } finally {
    if (fd !== null) closeSync(fd);
  }
}
