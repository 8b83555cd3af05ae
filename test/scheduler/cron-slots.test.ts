import { describe, expect, it } from 'vitest';
import { lastSlotAtOrBefore, nextSlots, slotsBetween } from '../../src/scheduler/cron-slots.js';
import { describeNextRuns, formatInZone, formatNextRunLine } from '../../src/scheduler/format-instant.js';
import { DST_CASES } from './dst-cases.js';

const iso = (ds: Date[]): string[] => ds.map((d) => d.toISOString());

describe('slotsBetween around DST transitions (node-cron 4.6.0 semantics)', () => {
  for (const c of DST_CASES) {
    it(c.name, () => {
      expect(iso(slotsBetween(c.expr, c.zone, new Date(c.from), new Date(c.to)))).toEqual(c.slots);
    });
  }
});

describe('nextSlots', () => {
  it('30 2 * * * from 2027-03-13T12:00Z skips 2027-03-14', () => {
    expect(iso(nextSlots('30 2 * * *', 'America/Chicago', new Date('2027-03-13T12:00:00Z'), 3))).toEqual([
      '2027-03-15T07:30:00.000Z', '2027-03-16T07:30:00.000Z', '2027-03-17T07:30:00.000Z',
    ]);
  });

  it('is strictly after the base, to the second', () => {
    const zone = 'America/Phoenix';
    expect(iso(nextSlots('20 9 * * *', zone, new Date('2027-03-15T16:20:00.000Z'), 1))).toEqual(['2027-03-16T16:20:00.000Z']);
    expect(iso(nextSlots('20 9 * * *', zone, new Date('2027-03-15T16:19:59.999Z'), 1))).toEqual(['2027-03-15T16:20:00.000Z']);
  });

  it('ANDs day-of-month and day-of-week like node-cron (0 9 1 * 1 = the 1st when it is a Monday)', () => {
    expect(iso(nextSlots('0 9 1 * 1', 'UTC', new Date('2027-01-01T00:00:00Z'), 3))).toEqual([
      '2027-02-01T09:00:00.000Z', '2027-03-01T09:00:00.000Z', '2027-11-01T09:00:00.000Z',
    ]);
  });

  it('handles yearly, last-day and nth-weekday patterns', () => {
    expect(iso(nextSlots('0 6 1 7 *', 'America/Chicago', new Date('2027-07-01T12:00:00Z'), 2))).toEqual([
      '2028-07-01T11:00:00.000Z', '2029-07-01T11:00:00.000Z',
    ]);
    expect(iso(nextSlots('0 0 L * *', 'UTC', new Date('2028-01-31T12:00:00Z'), 2))).toEqual([
      '2028-02-29T00:00:00.000Z', '2028-03-31T00:00:00.000Z',
    ]);
    // second Tuesday (2027-12-14, 2028-01-11) and last Friday (2027-12-31)
    expect(iso(nextSlots('0 12 * * 2#2', 'UTC', new Date('2027-12-01T00:00:00Z'), 2))).toEqual([
      '2027-12-14T12:00:00.000Z', '2028-01-11T12:00:00.000Z',
    ]);
    expect(iso(nextSlots('0 12 * * 5L', 'UTC', new Date('2027-12-01T00:00:00Z'), 1))).toEqual(['2027-12-31T12:00:00.000Z']);
  });

  it('accepts node-cron nicknames', () => {
    expect(iso(nextSlots('@daily', 'America/Chicago', new Date('2027-03-15T12:00:00Z'), 1))).toEqual(['2027-03-16T05:00:00.000Z']);
  });

  it('refuses a 6-field expression and an unknown zone', () => {
    expect(() => nextSlots('0 30 2 * * *', 'UTC', new Date(), 1)).toThrow(/found 6 \(seconds are not supported\)/);
    expect(() => nextSlots('30 2 * * *', 'Central Standard Time', new Date(), 1)).toThrow(/IANA time zone name/);
  });
});

describe('slotsBetween bounds', () => {
  it('is (from, to]: excludes a slot at from, includes one at to', () => {
    const got = slotsBetween('0 * * * *', 'UTC', new Date('2027-05-01T10:00:00Z'), new Date('2027-05-01T12:00:00Z'));
    expect(iso(got)).toEqual(['2027-05-01T11:00:00.000Z', '2027-05-01T12:00:00.000Z']);
  });

  it('stops at limit', () => {
    const got = slotsBetween('* * * * *', 'UTC', new Date('2027-05-01T00:00:00Z'), new Date('2027-06-01T00:00:00Z'), 5);
    expect(iso(got)).toEqual([
      '2027-05-01T00:01:00.000Z', '2027-05-01T00:02:00.000Z', '2027-05-01T00:03:00.000Z', '2027-05-01T00:04:00.000Z', '2027-05-01T00:05:00.000Z',
    ]);
  });

  it('returns nothing for a rare pattern with no slot in the window', () => {
    expect(slotsBetween('0 0 29 2 *', 'UTC', new Date('2027-03-01T00:00:00Z'), new Date('2027-04-01T00:00:00Z'))).toEqual([]);
  });
});

describe('lastSlotAtOrBefore', () => {
  it('finds the latest slot in (at - lookback, at]', () => {
    const at = new Date('2027-03-16T13:00:00Z');
    expect(lastSlotAtOrBefore('0 3 * * *', 'America/Chicago', at, 12 * 3_600_000)?.toISOString()).toBe('2027-03-16T08:00:00.000Z');
    expect(lastSlotAtOrBefore('0 3 * * *', 'America/Chicago', at, 4 * 3_600_000)).toBeNull();
  });

  it('counts a slot exactly at `at`', () => {
    const at = new Date('2027-03-16T08:00:00Z');
    expect(lastSlotAtOrBefore('0 3 * * *', 'America/Chicago', at, 3_600_000)?.toISOString()).toBe('2027-03-16T08:00:00.000Z');
  });

  it('returns the CDT occurrence for 30 1 on the fall-back day, never the CST one', () => {
    const at = new Date('2027-11-07T07:45:00Z'); // 01:45 CST, after both 01:30s
    expect(lastSlotAtOrBefore('30 1 * * *', 'America/Chicago', at, 6 * 3_600_000)?.toISOString()).toBe('2027-11-07T06:30:00.000Z');
  });
});

describe('format-instant', () => {
  it('prints the sisrelay next line for Phoenix', () => {
    expect(formatNextRunLine(new Date('2027-03-15T16:20:00Z'), 'America/Phoenix')).toBe('2027-03-15T09:20:00-07:00 2027-03-15T16:20:00Z');
  });

  it('uses the offset in force at the instant', () => {
    expect(formatInZone(new Date('2027-11-07T06:30:00Z'), 'America/Chicago')).toBe('2027-11-07T01:30:00-05:00');
    expect(formatInZone(new Date('2027-11-07T07:30:00Z'), 'America/Chicago')).toBe('2027-11-07T01:30:00-06:00');
    expect(formatInZone(new Date('2027-03-15T16:20:00Z'), 'UTC')).toBe('2027-03-15T16:20:00+00:00');
    expect(formatInZone(new Date('2027-01-01T00:00:00Z'), 'Asia/Kolkata')).toBe('2027-01-01T05:30:00+05:30');
  });

  it('describes the next runs as next lines', () => {
    expect(describeNextRuns('20 9 * * *', 'America/Phoenix', new Date('2027-03-14T17:00:00Z'), 2)).toEqual([
      '2027-03-15T09:20:00-07:00 2027-03-15T16:20:00Z',
      '2027-03-16T09:20:00-07:00 2027-03-16T16:20:00Z',
    ]);
    expect(describeNextRuns('30 2 * * *', 'America/Chicago', new Date('2027-03-13T12:00:00Z'), 1)).toEqual([
      '2027-03-15T02:30:00-05:00 2027-03-15T07:30:00Z',
    ]);
  });
});
