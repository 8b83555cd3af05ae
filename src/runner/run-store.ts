import { appendFile, chmod, mkdir, open, readdir, readFile, rename, rm, stat, symlink, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { SisrelayError } from '../errors/sisrelay-error.js';
import type { SerializedError } from '../errors/serialize-error.js';
import { fsyncDir, writeFileAtomic } from './atomic-write.js';
import { formatLogLine } from './log-line.js';
import { killOrphanedRun } from './process-group.js';
import type { ChildResult } from './protocol.js';
import { isRunId, newRunId } from './run-id.js';
import { FINAL_STATUSES, type RunRecord, type RunStatus, type RunTrigger } from './run-record.js';

/**
 * Run history on disk, one directory per run:
 *
 *   <stateDir>/runs/<job>/<runId>/record.json   (0600, owned and written by the runner)
 *                                 run.log       (0600, child stdout/stderr + runner lines)
 *                                 result.json   (0600, written by the child as it finishes)
 *                                 files/        (0700, the job's local copies)
 *   <logDir>/<job>.log  →  latest run.log      (symlink, so `tail -F` follows across runs)
 *
 * Records are small JSON files replaced atomically, so a daemon killed at any instant leaves a
 * readable record; `recover()` finishes the ones that were still `running`.
 */

export interface CreateRunInit {
  job: string;
  type: string;
  trigger: RunTrigger;
  slot: Date | string | null;
  /** @default 1 */
  attempt?: number;
  /** @default null */
  retryOf?: string | null;
  /** @default false */
  dryRun?: boolean;
  /** @default false */
  force?: boolean;
  /** `skipped` records are final at creation and do not move the job's log symlink. @default 'running' */
  status?: 'running' | 'skipped';
  notes?: string[];
  /** @default new Date() */
  now?: Date;
}

export interface StoreProblem {
  path: string;
  problem: string;
}

export interface RunStoreOptions {
  /** Called for each unreadable record (missing, torn, not a run record). @default process.emitWarning */
  onProblem?: (problem: StoreProblem) => void;
}

const JOB_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const STATUSES: readonly RunStatus[] = ['running', ...FINAL_STATUSES];

export class RunStore {
  readonly stateDir: string;
  readonly logDir: string;
  readonly runsDir: string;
  #onProblem: (problem: StoreProblem) => void;
  /** Per-record write chains: two overlapping atomic writes could otherwise land out of order. */
  #writes = new Map<string, Promise<void>>();

  constructor(stateDir: string, logDir: string, options: RunStoreOptions = {}) {
    this.stateDir = stateDir;
    this.logDir = logDir;
    this.runsDir = join(stateDir, 'runs');
    this.#onProblem =
      options.onProblem ?? ((p) => process.emitWarning(`${p.path}: ${p.problem}`, { code: 'SISRELAY_RUN_STORE' }));
  }

  runDir(job: string, runId: string): string {
    return join(this.runsDir, checkJobName(job), runId);
  }

  /** The stable per-job path that always points at the latest run's log. */
  jobLogLink(job: string): string {
    return join(this.logDir, `${checkJobName(job)}.log`);
  }

  async create(init: CreateRunInit): Promise<RunRecord> {
    const now = init.now ?? new Date();
    const runId = newRunId(now);
    const runDir = this.runDir(init.job, runId);
    const logFile = join(runDir, 'run.log');
    // The directory is assembled under a hidden name and renamed into place with its record, so
    // a daemon killed half-way through (SIGKILL, power loss) never leaves a run directory without
    // a record.json: recovery could not finish such a run, and the history would lose it.
    const staging = join(dirname(runDir), `.${runId}.creating`);
    await mkdir(staging, { recursive: true, mode: 0o700 });
    await chmod(staging, 0o700);
    await mkdir(join(staging, 'files'), { mode: 0o700 });
    await chmod(join(staging, 'files'), 0o700);
    const fh = await open(join(staging, 'run.log'), 'a', 0o600);
    await fh.chmod(0o600);
    await fh.close();
    const skipped = init.status === 'skipped';
    const createdAt = now.toISOString();
    const record: RunRecord = {
      version: 1,
      runId,
      job: init.job,
      type: init.type,
      trigger: init.trigger,
      slot: init.slot instanceof Date ? init.slot.toISOString() : init.slot,
      attempt: init.attempt ?? 1,
      retryOf: init.retryOf ?? null,
      status: skipped ? 'skipped' : 'running',
      dryRun: init.dryRun ?? false,
      force: init.force ?? false,
      createdAt,
      startedAt: skipped ? null : createdAt,
      finishedAt: skipped ? createdAt : null,
      durationMs: skipped ? 0 : null,
      host: hostname(),
      pid: null,
      counts: {},
      files: [],
      deliveries: [],
      items: [],
      notes: [...(init.notes ?? [])],
      error: null,
      exit: null,
      runDir,
      logFile,
      nextRetryAt: null,
    };
    await writeFileAtomic(join(staging, 'record.json'), `${JSON.stringify(record, null, 2)}\n`, 0o600);
    await rename(staging, runDir);
    await fsyncDir(dirname(runDir));
    // A skipped run must not steal the link from the run it was skipped for, which is still writing.
    if (!skipped) await this.#relink(init.job, logFile);
    return record;
  }

  /** Persist a record (atomically; writes of the same record are applied in call order). */
  write(record: RunRecord): Promise<void> {
    const key = `${record.job}/${record.runId}`;
    const path = join(this.runDir(record.job, record.runId), 'record.json');
    const data = `${JSON.stringify(record, null, 2)}\n`;
    const prev = this.#writes.get(key) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(() => writeFileAtomic(path, data, 0o600));
    this.#writes.set(key, next);
    void next.finally(() => {
      if (this.#writes.get(key) === next) this.#writes.delete(key);
    }).catch(() => undefined);
    return next;
  }

  /** Append one line to a run's log (O_APPEND: safe beside the child's own writes). */
  async appendLog(record: Pick<RunRecord, 'logFile'>, level: string, message: string, meta?: Record<string, unknown>): Promise<void> {
    await appendFile(record.logFile, formatLogLine(new Date(), level, message, meta), { mode: 0o600 });
  }

  /** One record, or null (and a reported problem when it exists but cannot be read). */
  async read(job: string, runId: string): Promise<RunRecord | null> {
    const path = join(this.runDir(job, runId), 'record.json');
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.#onProblem({ path, problem: `unreadable: ${(err as Error).message}` });
      else this.#onProblem({ path, problem: 'record.json is missing' });
      return null;
    }
    const parsed = parseRecord(text);
    if (typeof parsed === 'string') {
      this.#onProblem({ path, problem: parsed });
      return null;
    }
    return parsed;
  }

  /** Run ids of a job that have a directory, newest first (including unreadable ones). */
  async runIds(job: string): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(join(this.runsDir, checkJobName(job)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return names.filter(isRunId).sort().reverse();
  }

  /**
   * Run directories whose creation was cut short (see create()) hold no record and no job output:
   * remove them. Only old ones: a `sisrelay run` may be creating one right now.
   */
  async #removeStaleStaging(job: string, now: Date): Promise<void> {
    const dir = join(this.runsDir, checkJobName(job));
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const m = /^\.(.+)\.creating$/.exec(name);
      if (!m || !isRunId(m[1]!)) continue;
      const st = await stat(join(dir, name)).catch(() => null);
      if (st && now.getTime() - st.mtimeMs > 60_000) await rm(join(dir, name), { recursive: true, force: true });
    }
  }

  /** A job's records, newest first; unreadable ones are reported and skipped. */
  async list(job: string, options: { limit?: number } = {}): Promise<RunRecord[]> {
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    const out: RunRecord[] = [];
    for (const runId of await this.runIds(job)) {
      if (out.length >= limit) break;
      const record = await this.read(job, runId);
      if (record) out.push(record);
    }
    return out;
  }

  /** Job names that have run history. */
  async jobs(): Promise<string[]> {
    try {
      const entries = await readdir(this.runsDir, { withFileTypes: true });
      return entries.filter((e) => e.isDirectory() && JOB_NAME_RE.test(e.name)).map((e) => e.name).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  /** The newest succeeded, non-dry run (dry runs delivered nothing, so they are no baseline). */
  async latestSuccess(job: string, options: { includeDryRun?: boolean } = {}): Promise<RunRecord | null> {
    for (const runId of await this.runIds(job)) {
      const record = await this.read(job, runId);
      if (record?.status === 'succeeded' && (options.includeDryRun || !record.dryRun)) return record;
    }
    return null;
  }

  /**
   * At daemon start: finish every record still `running`. A run whose process wrote result.json
   * is finalised from it (it really did finish; the daemon just never heard). Otherwise whatever
   * is left of its process group is killed and the run is marked `interrupted`.
   * Returns the records it changed.
   */
  async recover(now: Date = new Date()): Promise<RunRecord[]> {
    const changed: RunRecord[] = [];
    for (const job of await this.jobs()) {
      await this.#removeStaleStaging(job, now);
      for (const runId of await this.runIds(job)) {
        const record = await this.read(job, runId);
        if (!record || record.status !== 'running') continue;
        const result = await this.readResult(record);
        if (result) {
          finaliseFromResult(record, result);
          await this.appendLog(record, 'warn', 'runner recovered run from result.json after a daemon restart', { status: record.status });
        } else {
          let killed = false;
          if (record.pid !== null && record.host === hostname()) {
            // The run id is in the run process's argv: proof that the pid is still that process.
            killed = killOrphanedRun(record.pid, new Date(record.createdAt), record.runId);
          }
          record.status = 'interrupted';
          record.error = {
            code: 'RUN_INTERRUPTED',
            message: `the daemon stopped while run ${record.runId} of job ${record.job} was in progress; found running at restart`,
            transient: false,
          };
          record.finishedAt = now.toISOString();
          record.durationMs = null;
          record.nextRetryAt = null;
          await this.appendLog(record, 'warn', 'runner marked run interrupted after a daemon restart', {
            pid: record.pid,
            killed_leftover_processes: killed,
          });
        }
        await this.write(record);
        changed.push(record);
      }
    }
    return changed;
  }

  /** The result.json the run process wrote as it finished, or null (reported when it is not this run's). */
  async readResult(record: Pick<RunRecord, 'runId' | 'runDir'>): Promise<ChildResult | null> {
    const path = join(record.runDir, 'result.json');
    try {
      const r = JSON.parse(await readFile(path, 'utf8')) as ChildResult;
      if (r.runId !== record.runId || (r.outcome !== 'succeeded' && r.outcome !== 'failed')) {
        this.#onProblem({ path, problem: 'result.json does not describe this run' });
        return null;
      }
      return r;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.#onProblem({ path, problem: `unreadable result: ${(err as Error).message}` });
      return null;
    }
  }

  async #relink(job: string, target: string): Promise<void> {
    await mkdir(this.logDir, { recursive: true, mode: 0o700 });
    const link = this.jobLogLink(job);
    const temp = join(this.logDir, `.${job}.log.${randomBytes(4).toString('hex')}.tmp`);
    await symlink(target, temp);
    try {
      // rename(2) replaces the old link in one step: a follower never sees the path missing.
      await rename(temp, link);
    } catch (err) {
      await unlink(temp).catch(() => undefined);
      throw err;
    }
  }
}

/** Apply a child's result file to a record the daemon never finished. */
export function finaliseFromResult(record: RunRecord, result: ChildResult): void {
  // The child writes RUN_INTERRUPTED when it stopped because the daemon went away.
  record.status = result.error?.code === 'RUN_INTERRUPTED' ? 'interrupted' : result.outcome;
  record.error = result.error ? withoutStack(result.error) : null;
  record.finishedAt = result.finishedAt;
  record.durationMs =
    record.startedAt !== null ? Math.max(0, Date.parse(result.finishedAt) - Date.parse(record.startedAt)) : null;
  record.nextRetryAt = null;
  if (result.report) {
    record.counts = { ...record.counts, ...result.report.counts };
    record.files = result.report.files;
    record.deliveries = result.report.deliveries;
    record.items = result.report.items;
    record.notes = [...new Set([...record.notes, ...result.report.notes])];
  }
}

export function withoutStack(error: SerializedError | Omit<SerializedError, 'stack'>): Omit<SerializedError, 'stack'> {
  const { stack: _stack, ...rest } = error as SerializedError;
  return rest;
}

function parseRecord(text: string): RunRecord | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return `record.json is not valid JSON (${(err as Error).message})`;
  }
  const r = value as Partial<RunRecord> | null;
  if (typeof r !== 'object' || r === null) return 'record.json is not an object';
  if (r.version !== 1) return `record.json has version ${String(r.version)}, expected 1`;
  if (typeof r.runId !== 'string' || typeof r.job !== 'string') return 'record.json lacks runId or job';
  if (!STATUSES.includes(r.status as RunStatus)) return `record.json has unknown status ${JSON.stringify(r.status)}`;
  return r as RunRecord;
}

function checkJobName(job: string): string {
  if (!JOB_NAME_RE.test(job)) {
    throw new SisrelayError('CONFIG_INVALID', `job name ${JSON.stringify(job)} cannot be used as a directory name: expected letters, digits, '.', '_' or '-'`);
  }
  return job;
}
