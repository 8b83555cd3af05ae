import { describe, expect, it } from 'vitest';
import { catchUpSlot } from '../../src/scheduler/catch-up.js';

const H = 3_600_000;
const NIGHTLY = { expr: '0 3 * * *', zone: 'America/Chicago' };
// 2027-03-16 08:00 CDT; tonight's 03:00 CDT slot was 2027-03-16T08:00Z.
const NOW = new Date('2027-03-16T13:00:00Z');

describe('catchUpSlot', () => {
  it('returns a missed nightly slot inside the window', () => {
    const lastHandled = new Date('2027-03-15T08:00:00Z');
    expect(catchUpSlot({ ...NIGHTLY, windowMs: 12 * H, lastHandled, now: NOW })?.toISOString()).toBe('2027-03-16T08:00:00.000Z');
  });

  it('returns null when that slot was already handled', () => {
    const lastHandled = new Date('2027-03-16T08:00:00Z');
    expect(catchUpSlot({ ...NIGHTLY, windowMs: 12 * H, lastHandled, now: NOW })).toBeNull();
  });

  it('counts the latest slot as missed when the job never ran', () => {
    expect(catchUpSlot({ ...NIGHTLY, windowMs: 12 * H, lastHandled: null, now: NOW })?.toISOString()).toBe('2027-03-16T08:00:00.000Z');
  });

  it('replays only the latest of several missed slots', () => {
    const lastHandled = new Date('2027-03-12T09:00:00Z');
    expect(catchUpSlot({ ...NIGHTLY, windowMs: 4 * 24 * H, lastHandled, now: NOW })?.toISOString()).toBe('2027-03-16T08:00:00.000Z');
  });

  it('returns null when the missed slot is older than the window', () => {
    const evening = new Date('2027-03-17T01:00:00Z'); // 20:00 CDT, 17 h after the slot
    expect(catchUpSlot({ ...NIGHTLY, windowMs: 12 * H, lastHandled: null, now: evening })).toBeNull();
  });

  it('never catches up a 15-minute job with window 0', () => {
    expect(catchUpSlot({ expr: '*/15 * * * *', zone: 'America/Chicago', windowMs: 0, lastHandled: null, now: NOW })).toBeNull();
    expect(catchUpSlot({ expr: '*/15 * * * *', zone: 'America/Chicago', windowMs: 0, lastHandled: new Date('2027-03-01T00:00:00Z'), now: NOW })).toBeNull();
  });

  it('finds nothing to replay on a spring-forward day for a gap-time nightly', () => {
    // 30 2 * * * has no slot on 2027-03-14; the previous one (03-13 08:30Z) is outside 24 h.
    expect(catchUpSlot({ expr: '30 2 * * *', zone: 'America/Chicago', windowMs: 24 * H, lastHandled: null, now: new Date('2027-03-14T14:00:00Z') })).toBeNull();
  });
});
