import { createTask, type Logger as CronLogger, type ScheduledTask, type TaskContext } from 'node-cron';
import { SisrelayError } from '../errors/sisrelay-error.js';
import { catchUpSlot } from './catch-up.js';
import { validateCron } from './cron-expression.js';
import { DeadlineTimer } from './deadline-timer.js';
import { validateDeadline } from './deadline.js';
import { formatNextRunLine } from './format-instant.js';
import { SlotStateStore, type SlotTrigger } from './slot-state-store.js';
import { validateTimeZone } from './time-zone.js';

export type FireTrigger = SlotTrigger;

/** One job as the scheduler sees it: a name and when it is due, nothing about what it does. */
export interface ScheduleEntry {
  job: string;
  /** 5-field cron in `timezone`; null = no timed runs (manual only). */
  schedule: string | null;
  timezone: string;
  /** Catch-up window on start; 0 = never replay a missed slot. */
  catchUpMs: number;
  runOnStart: boolean;
  /** "HH:MM" in `timezone` for the "no successful run by" alert; null = none. */
  deadline: string | null;
}

export interface SchedulerLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  debug(message: string): void;
}

export interface SchedulerOptions {
  stateDir: string;
  /** How late a timer may wake and still run its slot (node-cron missedExecutionTolerance). */
  missedToleranceMs: number;
  /** Hand a run to the runner. Must return quickly; it is called on the scheduler's loop. */
  onFire(job: string, slot: Date, trigger: FireTrigger): void;
  /** A slot node-cron did not run because its timer woke more than the tolerance late. */
  onMissed(job: string, slot: Date, lateByMs: number): void;
  /** A job's deadline instant has passed; decide with `deadlineVerdict` whether to alert. */
  onDeadline(job: string, deadlineAt: Date): void;
  logger: SchedulerLogger;
  now?: () => Date;
}

export interface ApplyResult {
  added: string[];
  removed: string[];
  changed: string[];
}

interface Armed {
  entry: ScheduleEntry;
  task: ScheduledTask | null;
  deadline: DeadlineTimer | null;
  /** Cleared on disarm; a tick already in flight for a replaced task checks it and drops out. */
  active: boolean;
}

/**
 * Decides *when* jobs are due and says so through callbacks; it never runs job work and knows
 * nothing of job types, so a slow or hung job can never delay a timer.
 *
 * One node-cron task per scheduled job fires `onFire(job, slot, 'schedule')` and records the slot
 * (after firing: at-least-once, so a crash in between replays the slot under catch-up rather than
 * losing it). `start()` first replays missed slots (catch-up), then `runOnStart` jobs, then arms
 * the tasks. `apply()` swaps in a reloaded config without touching unchanged jobs.
 */
export class Scheduler {
  readonly #opts: SchedulerOptions;
  readonly #now: () => Date;
  readonly #store: SlotStateStore;
  readonly #armed = new Map<string, Armed>();
  readonly #pendingWrites = new Set<Promise<unknown>>();
  readonly #cronLogger: CronLogger;
  #state: 'new' | 'starting' | 'running' | 'stopped' = 'new';
  #lastTick: Date | null = null;

  constructor(options: SchedulerOptions) {
    this.#opts = options;
    this.#now = options.now ?? (() => new Date());
    this.#store = new SlotStateStore(options.stateDir);
    const log = options.logger;
    const text = (m: string | Error, err?: Error): string =>
      m instanceof Error ? m.message : err ? `${m}: ${err.message}` : m;
    // node-cron logs to the console by default; everything it says goes through our logger.
    this.#cronLogger = {
      info: (m) => log.info(`node-cron: ${m}`),
      warn: (m) => log.warn(`node-cron: ${m}`),
      error: (m, err) => log.error(`node-cron: ${text(m, err)}`),
      debug: (m, err) => log.debug(`node-cron: ${text(m, err)}`),
    };
  }

  /** Catch-up, then run-on-start, then arm every entry. Throws on an invalid entry. */
  async start(entries: ScheduleEntry[]): Promise<void> {
    if (this.#state !== 'new') throw new SisrelayError('INTERNAL_ERROR', `scheduler: start() called twice (state ${this.#state})`);
    checkEntries(entries);
    this.#state = 'starting';
    const log = this.#opts.logger;

    try {
      const removed = await this.#store.removeStaleTemps();
      if (removed > 0) log.info(`scheduler: removed ${removed} unfinished state file(s) left by an interrupted write`);
    } catch (err) {
      log.warn(`scheduler: could not clean ${this.#store.dir}: ${errorText(err)}`);
    }

    const caughtUp = new Set<string>();
    for (const e of entries) {
      if (e.schedule === null || !(e.catchUpMs > 0)) continue;
      let lastHandled: Date | null;
      try {
        const state = await this.#store.get(e.job);
        lastHandled = state?.lastSlot ? new Date(state.lastSlot) : null;
      } catch (err) {
        log.error(`scheduler: job ${e.job}: catch-up skipped: ${errorText(err)}`);
        continue;
      }
      const slot = catchUpSlot({ expr: e.schedule, zone: e.timezone, windowMs: e.catchUpMs, lastHandled, now: this.#now() });
      if (!slot) {
        log.debug(`scheduler: job ${e.job}: no missed slot to catch up`);
        continue;
      }
      log.info(`scheduler: job ${e.job}: catching up missed slot ${formatNextRunLine(slot, e.timezone)}`);
      if (this.#fire(e.job, slot, 'catchup')) {
        caughtUp.add(e.job);
        await this.#record(e.job, slot, 'catchup');
      }
    }

    for (const e of entries) {
      if (!e.runOnStart) continue;
      // A job that was just caught up has a run on its way; a second one would only overlap it.
      if (caughtUp.has(e.job)) {
        log.info(`scheduler: job ${e.job}: run-on-start skipped, a catch-up run was just fired`);
        continue;
      }
      this.#fire(e.job, this.#now(), 'start');
    }

    for (const e of entries) this.#arm(e);
    this.#state = 'running';
  }

  /**
   * Reconcile with a reloaded config: entries whose (schedule, timezone, deadline) are unchanged
   * keep their armed task; changed ones are re-armed, removed ones destroyed. Never fires
   * catch-up or run-on-start.
   */
  async apply(entries: ScheduleEntry[]): Promise<ApplyResult> {
    if (this.#state !== 'running') throw new SisrelayError('INTERNAL_ERROR', `scheduler: apply() needs a started scheduler (state ${this.#state})`);
    checkEntries(entries);
    const result: ApplyResult = { added: [], removed: [], changed: [] };
    const incoming = new Map(entries.map((e) => [e.job, e]));
    for (const [job, armed] of this.#armed) {
      if (!incoming.has(job)) {
        this.#disarm(armed);
        this.#armed.delete(job);
        result.removed.push(job);
      }
    }
    for (const e of entries) {
      const armed = this.#armed.get(e.job);
      if (!armed) {
        this.#arm(e);
        result.added.push(e.job);
      } else if (armed.entry.schedule !== e.schedule || armed.entry.timezone !== e.timezone || armed.entry.deadline !== e.deadline) {
        this.#disarm(armed);
        this.#arm(e);
        result.changed.push(e.job);
      } else {
        // Catch-up window and run-on-start only matter at the next start; keep them current.
        armed.entry = { ...e };
      }
    }
    for (const list of [result.added, result.removed, result.changed]) list.sort();
    this.#opts.logger.info(
      `scheduler: reload applied (added: ${result.added.join(', ') || 'none'}; removed: ${result.removed.join(', ') || 'none'}; changed: ${result.changed.join(', ') || 'none'})`,
    );
    return result;
  }

  /** Stop firing: destroy every task and deadline timer, then wait for state writes to land. */
  async stop(): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#state = 'stopped';
    for (const armed of this.#armed.values()) this.#disarm(armed);
    this.#armed.clear();
    await Promise.allSettled([...this.#pendingWrites]);
  }

  /** The job's next slot according to its armed node-cron task; null if it has none. */
  nextRun(job: string): Date | null {
    return this.#armed.get(job)?.task?.getNextRun() ?? null;
  }

  /** The next deadline instant armed for the job, or null. */
  nextDeadline(job: string): Date | null {
    return this.#armed.get(job)?.deadline?.next ?? null;
  }

  /** When any task or deadline timer last fired (for /healthz). */
  lastTick(): Date | null {
    return this.#lastTick;
  }

  /** Names of the jobs currently known to the scheduler, sorted. */
  jobs(): string[] {
    return [...this.#armed.keys()].sort();
  }

  #arm(entry: ScheduleEntry): void {
    const armed: Armed = { entry: { ...entry }, task: null, deadline: null, active: true };
    const job = entry.job;
    if (entry.schedule !== null) {
      const task = createTask(entry.schedule, (ctx: TaskContext) => this.#onTick(armed, ctx), {
        timezone: entry.timezone,
        name: job,
        missedExecutionTolerance: this.#opts.missedToleranceMs,
        logger: this.#cronLogger,
      });
      task.on('execution:missed', (ctx) => this.#onMissed(armed, ctx));
      try {
        void task.start();
      } catch (err) {
        void task.destroy();
        throw new SisrelayError('CONFIG_INVALID', `job ${job}: node-cron refused schedule ${JSON.stringify(entry.schedule)} in ${entry.timezone}: ${errorText(err)}`, { cause: err });
      }
      armed.task = task;
    }
    if (entry.deadline !== null) {
      armed.deadline = new DeadlineTimer(entry.deadline, entry.timezone, this.#now, (deadlineAt) => {
        if (!armed.active) return;
        this.#lastTick = this.#now();
        try {
          this.#opts.onDeadline(job, deadlineAt);
        } catch (err) {
          this.#opts.logger.error(`scheduler: job ${job}: deadline handler failed: ${errorText(err)}`);
        }
      });
    }
    this.#armed.set(job, armed);
  }

  #disarm(armed: Armed): void {
    armed.active = false;
    if (armed.task) {
      const task = armed.task;
      Promise.resolve(task.destroy()).catch((err: unknown) =>
        this.#opts.logger.error(`scheduler: job ${armed.entry.job}: destroying its task failed: ${errorText(err)}`));
    }
    armed.deadline?.stop();
  }

  #onTick(armed: Armed, ctx: TaskContext): void {
    if (!armed.active) return;
    const job = armed.entry.job;
    if (this.#fire(job, ctx.date, 'schedule')) {
      void this.#record(job, ctx.date, 'schedule');
    }
  }

  #onMissed(armed: Armed, ctx: TaskContext): void {
    if (!armed.active) return;
    const job = armed.entry.job;
    const lateByMs = Math.max(0, ctx.triggeredAt.getTime() - ctx.date.getTime());
    this.#opts.logger.warn(
      `scheduler: job ${job}: slot ${formatNextRunLine(ctx.date, armed.entry.timezone)} missed (timer woke ${lateByMs} ms late, tolerance ${this.#opts.missedToleranceMs} ms)`,
    );
    try {
      this.#opts.onMissed(job, ctx.date, lateByMs);
    } catch (err) {
      this.#opts.logger.error(`scheduler: job ${job}: missed-slot handler failed: ${errorText(err)}`);
    }
  }

  /** Calls onFire; false when it threw (the slot is then not recorded as handled). */
  #fire(job: string, slot: Date, trigger: FireTrigger): boolean {
    this.#lastTick = this.#now();
    try {
      this.#opts.onFire(job, slot, trigger);
      return true;
    } catch (err) {
      this.#opts.logger.error(`scheduler: job ${job}: handing the ${trigger} run for ${slot.toISOString()} to the runner failed: ${errorText(err)}`);
      return false;
    }
  }

  #record(job: string, slot: Date, trigger: FireTrigger): Promise<void> {
    const write = this.#store
      .set(job, { lastSlot: slot, lastFiredAt: this.#now(), trigger })
      .then(
        () => undefined,
        (err: unknown) => this.#opts.logger.error(`scheduler: job ${job}: ${errorText(err)}`),
      );
    this.#pendingWrites.add(write);
    void write.finally(() => this.#pendingWrites.delete(write));
    return write;
  }
}

/** Reject entries the daemon's config validation should already have refused. */
function checkEntries(entries: ScheduleEntry[]): void {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const e of entries) {
    if (seen.has(e.job)) problems.push(`job ${e.job}: expected a unique job name, found it twice`);
    seen.add(e.job);
    if (e.schedule !== null) for (const p of validateCron(e.schedule)) problems.push(`job ${e.job}: schedule: ${p}`);
    const zoneProblem = validateTimeZone(e.timezone);
    if (zoneProblem) problems.push(`job ${e.job}: timezone: ${zoneProblem}`);
    if (e.deadline !== null) {
      const deadlineProblem = validateDeadline(e.deadline);
      if (deadlineProblem) problems.push(`job ${e.job}: deadline: ${deadlineProblem}`);
    }
    if (!(e.catchUpMs >= 0)) problems.push(`job ${e.job}: catchUpMs: expected a number >= 0, found ${String(e.catchUpMs)}`);
  }
  if (problems.length > 0) {
    throw new SisrelayError('CONFIG_INVALID', `scheduler: ${problems.join('; ')}`, { details: { problems } });
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
