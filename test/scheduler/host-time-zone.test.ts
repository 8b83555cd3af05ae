import { afterEach, describe, expect, it, vi } from 'vitest';
import { catchUpSlot } from '../../src/scheduler/catch-up.js';
import { lastSlotAtOrBefore, nextSlots, slotsBetween } from '../../src/scheduler/cron-slots.js';
import { nextDeadline } from '../../src/scheduler/deadline.js';
import { dstHazards } from '../../src/scheduler/dst-hazards.js';
import { formatNextRunLine } from '../../src/scheduler/format-instant.js';
import { DST_CASES } from './dst-cases.js';

// Node re-reads process.env.TZ on assignment, so stubbing it really moves this process's host
// zone (checked below with getTimezoneOffset, which only the host zone affects).
const HOSTS = [
  { tz: 'America/Chicago', januaryOffset: 360 },
  { tz: 'UTC', januaryOffset: 0 },
  { tz: 'Asia/Kolkata', januaryOffset: -330 },
];

afterEach(() => {
  vi.unstubAllEnvs();
});

describe.each(HOSTS)('with host TZ=$tz', ({ tz, januaryOffset }) => {
  it('really runs in that host zone', () => {
    vi.stubEnv('TZ', tz);
    expect(new Date('2027-01-15T12:00:00Z').getTimezoneOffset()).toBe(januaryOffset);
  });

  it('gives the pinned DST slots', () => {
    vi.stubEnv('TZ', tz);
    for (const c of DST_CASES) {
      expect(slotsBetween(c.expr, c.zone, new Date(c.from), new Date(c.to)).map((d) => d.toISOString()), c.name).toEqual(c.slots);
    }
  });

  it('gives Phoenix 16:20Z on both 2027 US transition days and the same next line', () => {
    vi.stubEnv('TZ', tz);
    expect(nextSlots('20 9 * * *', 'America/Phoenix', new Date('2027-03-14T00:00:00Z'), 2).map((d) => d.toISOString()))
      .toEqual(['2027-03-14T16:20:00.000Z', '2027-03-15T16:20:00.000Z']);
    expect(nextSlots('20 9 * * *', 'America/Phoenix', new Date('2027-11-07T00:00:00Z'), 1).map((d) => d.toISOString()))
      .toEqual(['2027-11-07T16:20:00.000Z']);
    expect(formatNextRunLine(new Date('2027-03-15T16:20:00Z'), 'America/Phoenix')).toBe('2027-03-15T09:20:00-07:00 2027-03-15T16:20:00Z');
  });

  it('gives the same catch-up, deadline and hazard answers', () => {
    vi.stubEnv('TZ', tz);
    expect(lastSlotAtOrBefore('30 1 * * *', 'America/Chicago', new Date('2027-11-07T07:45:00Z'), 6 * 3_600_000)?.toISOString())
      .toBe('2027-11-07T06:30:00.000Z');
    expect(catchUpSlot({ expr: '0 3 * * *', zone: 'America/Chicago', windowMs: 12 * 3_600_000, lastHandled: null, now: new Date('2027-03-16T13:00:00Z') })?.toISOString())
      .toBe('2027-03-16T08:00:00.000Z');
    expect(nextDeadline('02:30', 'America/Chicago', new Date('2027-03-14T06:00:00Z')).toISOString()).toBe('2027-03-14T08:00:00.000Z');
    expect(dstHazards('30 2 * * *', 'America/Chicago', new Date('2027-01-01T00:00:00Z'), 365).map((h) => h.date)).toEqual(['2027-03-14']);
    expect(dstHazards('20 9 * * *', 'America/Phoenix', new Date('2027-01-01T00:00:00Z'))).toEqual([]);
  });
});
