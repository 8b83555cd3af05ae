import { nextDeadline } from './deadline.js';

/** Longest single wait: a stepped clock is noticed within this much time. */
const MAX_WAIT_MS = 10 * 60_000;
const DAY_MS = 86_400_000;

/**
 * Fires `onDue(deadlineAt)` once per day at a "HH:MM" deadline in `zone`.
 *
 * Not a node-cron task on purpose: node-cron skips `MM HH` on a spring-forward day when HH:MM
 * falls in the gap, and drops a tick that wakes later than its tolerance; either would silently
 * lose the very alert that exists to catch silence. This timer follows `nextDeadline` (a gap
 * deadline falls at the gap's end) and, when it wakes late, still fires the latest deadline that
 * has passed, once.
 */
export class DeadlineTimer {
  readonly #deadline: string;
  readonly #zone: string;
  readonly #now: () => Date;
  readonly #onDue: (deadlineAt: Date) => void;
  #target: Date;
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;

  constructor(deadline: string, zone: string, now: () => Date, onDue: (deadlineAt: Date) => void) {
    this.#deadline = deadline;
    this.#zone = zone;
    this.#now = now;
    this.#onDue = onDue;
    this.#target = nextDeadline(deadline, zone, now());
    this.#arm();
  }

  /** The next deadline instant this timer will fire for. */
  get next(): Date {
    return this.#target;
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #arm(): void {
    if (this.#stopped) return;
    const delay = Math.min(Math.max(this.#target.getTime() - this.#now().getTime(), 0), MAX_WAIT_MS);
    this.#timer = setTimeout(() => this.#check(), delay);
  }

  #check(): void {
    this.#timer = null;
    if (this.#stopped) return;
    const now = this.#now();
    if (now.getTime() >= this.#target.getTime()) {
      // Woken late (stall, suspend, clock step forward): fire only the latest deadline passed.
      let due = this.#target;
      for (let next = nextDeadline(this.#deadline, this.#zone, due); next.getTime() <= now.getTime();
        next = nextDeadline(this.#deadline, this.#zone, next)) {
        due = next;
      }
      this.#target = nextDeadline(this.#deadline, this.#zone, now);
      // Re-arm before the callback so a throwing callback cannot stop future deadlines.
      this.#arm();
      this.#onDue(due);
      return;
    } else if (this.#target.getTime() - now.getTime() > DAY_MS + 3_600_000) {
      // The clock stepped backwards by more than a day: aim at the next deadline from here.
      this.#target = nextDeadline(this.#deadline, this.#zone, now);
    }
    this.#arm();
  }
}
