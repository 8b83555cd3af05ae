import { lastSlotAtOrBefore } from './cron-slots.js';

export interface CatchUpInput {
  expr: string;
  zone: string;
  /** How far back a missed slot still counts; 0 = never catch up. */
  windowMs: number;
  /** The last slot already handled (fired or caught up); null = the job never ran here. */
  lastHandled: Date | null;
  now: Date;
}

/**
 * The slot to run once on start after downtime (systemd `Persistent=` semantics): the latest slot
 * in (now − window, now] that is later than `lastHandled`, or null. Only the latest slot counts,
 * however many were missed, so a weekend of downtime replays one nightly run, not three.
 */
export function catchUpSlot({ expr, zone, windowMs, lastHandled, now }: CatchUpInput): Date | null {
  if (!(windowMs > 0)) return null;
  const slot = lastSlotAtOrBefore(expr, zone, now, windowMs);
  if (!slot) return null;
  if (lastHandled && slot.getTime() <= lastHandled.getTime()) return null;
  return slot;
}
