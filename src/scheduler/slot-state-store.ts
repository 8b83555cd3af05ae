import { chmod, mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { SisrelayError } from '../errors/sisrelay-error.js';
import { writeFileAtomic } from '../runner/atomic-write.js';

export type SlotTrigger = 'schedule' | 'catchup' | 'start';

/** What `<stateDir>/scheduler/<job>.json` holds. */
export interface SlotState {
  job: string;
  /** ISO instant of the last slot handled (fired on schedule or caught up); null = none. */
  lastSlot: string | null;
  /** ISO instant at which that slot was handed to the runner. */
  lastFiredAt: string | null;
  trigger: SlotTrigger | null;
}

export interface SlotStateInput {
  lastSlot: Date | string | null;
  lastFiredAt: Date | string | null;
  trigger: SlotTrigger | null;
}

const JOB_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const TRIGGERS: ReadonlySet<string> = new Set(['schedule', 'catchup', 'start']);
/** writeFileAtomic names its temp files `.<name>.<pid>.<random>.tmp` beside the target. */
const TEMP_SUFFIX = '.tmp';

/**
 * Per-job scheduler state (the last slot handled), the memory that lets catch-up after downtime
 * run a missed nightly exactly once. Writes are atomic (temp file in the same directory, fsync,
 * rename, fsync of the directory), so a SIGKILL or power loss leaves either the old or the new
 * file, never a torn one. A file that does not parse is reported, never reset: silently
 * forgetting the last slot would replay (or skip) a run without anyone knowing why.
 */
export class SlotStateStore {
  readonly dir: string;
  #dirReady: Promise<void> | null = null;
  /** Serialises writes per job so an older state can never overwrite a newer one. */
  readonly #queues = new Map<string, Promise<unknown>>();

  constructor(stateDir: string) {
    this.dir = join(stateDir, 'scheduler');
  }

  pathFor(job: string): string {
    assertJobName(job);
    return join(this.dir, `${job}.json`);
  }

  /** The job's state, or null when the job has never been recorded. Throws on a corrupt file. */
  async get(job: string): Promise<SlotState | null> {
    const file = this.pathFor(job);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new SisrelayError('INTERNAL_ERROR', `scheduler state file ${file} could not be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`, {
        cause: err,
        details: { file },
      });
    }
    return parseState(text, job, file);
  }

  /** Replace the job's state atomically; resolves once the new file is durable. */
  async set(job: string, input: SlotStateInput): Promise<SlotState> {
    const file = this.pathFor(job);
    const state: SlotState = {
      job,
      lastSlot: toIso(input.lastSlot, 'lastSlot'),
      lastFiredAt: toIso(input.lastFiredAt, 'lastFiredAt'),
      trigger: input.trigger,
    };
    if (state.trigger !== null && !TRIGGERS.has(state.trigger)) {
      throw new SisrelayError('INTERNAL_ERROR', `scheduler state for job ${job}: expected trigger schedule, catchup or start, found ${JSON.stringify(state.trigger)}`);
    }
    // Everything above runs synchronously at call time, so queue order is call order.
    const previous = this.#queues.get(job) ?? Promise.resolve();
    const write = previous.catch(() => undefined).then(() => this.#write(file, state));
    this.#queues.set(job, write);
    try {
      await write;
    } finally {
      if (this.#queues.get(job) === write) this.#queues.delete(job);
    }
    return state;
  }

  /**
   * Delete temp files left by a writer that was killed between creating and renaming them.
   * Call when no other writer can be active (daemon start). Returns how many were removed.
   */
  async removeStaleTemps(): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw err;
    }
    let removed = 0;
    for (const name of names) {
      if (name.startsWith('.') && name.endsWith(TEMP_SUFFIX)) {
        await unlink(join(this.dir, name)).catch(() => undefined);
        removed++;
      }
    }
    return removed;
  }

  async #ensureDir(): Promise<void> {
    this.#dirReady ??= (async () => {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      // mkdir leaves an existing directory's mode alone and the umask may widen nothing but can
      // narrow; state names jobs and slot times, so keep it owner-only explicitly.
      await chmod(this.dir, 0o700);
    })();
    try {
      await this.#dirReady;
    } catch (err) {
      this.#dirReady = null;
      throw err;
    }
  }

  async #write(file: string, state: SlotState): Promise<void> {
    await this.#ensureDir();
    try {
      await writeFileAtomic(file, `${JSON.stringify(state, null, 2)}\n`, 0o600);
    } catch (err) {
      throw new SisrelayError('INTERNAL_ERROR', `scheduler state file ${file} could not be written (${(err as NodeJS.ErrnoException).code ?? 'error'})`, {
        cause: err,
        details: { file },
      });
    }
  }
}

function assertJobName(job: string): void {
  if (typeof job !== 'string' || !JOB_NAME_RE.test(job)) {
    throw new SisrelayError('INTERNAL_ERROR', `scheduler state: expected a job name of letters, digits, ".", "_" or "-", found ${JSON.stringify(job)}`);
  }
}

function toIso(value: Date | string | null, field: string): string | null {
  if (value === null) return null;
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) {
    throw new SisrelayError('INTERNAL_ERROR', `scheduler state: expected ${field} to be an instant, found ${JSON.stringify(String(value))}`);
  }
  return d.toISOString();
}

function isIsoOrNull(v: unknown): boolean {
  return v === null || (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/.test(v) && !Number.isNaN(Date.parse(v)));
}

function parseState(text: string, job: string, file: string): SlotState {
  const corrupt = (found: string): SisrelayError =>
    new SisrelayError('INTERNAL_ERROR',
      `scheduler state file ${file} is corrupt: expected JSON {"job","lastSlot","lastFiredAt","trigger"} for job ${job}, found ${found}; ` +
        'move the file aside to reset the job\'s catch-up state', { details: { file } });
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw corrupt(text.length === 0 ? 'an empty file' : 'text that is not JSON');
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw corrupt(`a JSON ${Array.isArray(data) ? 'array' : typeof data}`);
  const o = data as Record<string, unknown>;
  if (o.job !== job) throw corrupt(`job ${JSON.stringify(o.job)}`);
  if (!isIsoOrNull(o.lastSlot)) throw corrupt(`lastSlot ${JSON.stringify(o.lastSlot)}`);
  if (!isIsoOrNull(o.lastFiredAt)) throw corrupt(`lastFiredAt ${JSON.stringify(o.lastFiredAt)}`);
  if (o.trigger !== null && !(typeof o.trigger === 'string' && TRIGGERS.has(o.trigger))) throw corrupt(`trigger ${JSON.stringify(o.trigger)}`);
  return { job, lastSlot: o.lastSlot as string | null, lastFiredAt: o.lastFiredAt as string | null, trigger: o.trigger as SlotTrigger | null };
}
