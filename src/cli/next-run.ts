import type { JobConfig } from '../config/config-types.js';
import { nextSlots } from '../scheduler/cron-slots.js';
import { formatNextRunLine } from '../scheduler/format-instant.js';

/** The slot the daemon will fire next for `job`: null when it is disabled or has no schedule. */
export function nextRunOf(job: Pick<JobConfig, 'enabled' | 'schedule' | 'timezone'>, now: Date): Date | null {
  return job.enabled && job.schedule !== null ? (nextSlots(job.schedule, job.timezone, now, 1)[0] ?? null) : null;
}

/** The "next run" column of `sisrelay jobs` and `sisrelay status`. */
export function nextRunText(job: Pick<JobConfig, 'enabled' | 'timezone'>, next: Date | null): string {
  return next ? formatNextRunLine(next, job.timezone) : job.enabled ? 'manual' : 'disabled';
}
