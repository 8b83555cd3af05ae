import { describe, expect, it } from 'vitest';
import { deadlineVerdict, nextDeadline } from '../../src/scheduler/deadline.js';

const CHI = 'America/Chicago';

describe('nextDeadline', () => {
  it('is the next HH:MM in the zone, strictly after', () => {
    expect(nextDeadline('06:00', CHI, new Date('2027-03-15T10:00:00Z')).toISOString()).toBe('2027-03-15T11:00:00.000Z');
    expect(nextDeadline('06:00', CHI, new Date('2027-03-15T11:00:00Z')).toISOString()).toBe('2027-03-16T11:00:00.000Z');
    expect(nextDeadline('06:00', CHI, new Date('2027-01-15T11:30:00Z')).toISOString()).toBe('2027-01-15T12:00:00.000Z'); // 05:30 CST
    expect(nextDeadline('10:00', 'America/Phoenix', new Date('2027-03-14T00:00:00Z')).toISOString()).toBe('2027-03-14T17:00:00.000Z');
  });

  it('puts a deadline inside the spring-forward gap at the gap end (03:00 CDT)', () => {
    expect(nextDeadline('02:30', CHI, new Date('2027-03-14T06:00:00Z')).toISOString()).toBe('2027-03-14T08:00:00.000Z');
    // and back to 02:30 CDT the next day
    expect(nextDeadline('02:30', CHI, new Date('2027-03-14T08:00:00Z')).toISOString()).toBe('2027-03-15T07:30:00.000Z');
  });

  it('uses the first occurrence of a repeated time, once', () => {
    expect(nextDeadline('01:30', CHI, new Date('2027-11-07T05:00:00Z')).toISOString()).toBe('2027-11-07T06:30:00.000Z');
    expect(nextDeadline('01:30', CHI, new Date('2027-11-07T06:30:00Z')).toISOString()).toBe('2027-11-08T07:30:00.000Z');
  });

  it('rejects a malformed deadline', () => {
    expect(() => nextDeadline('25:00', CHI, new Date())).toThrow(/expected a time of day "HH:MM"/);
  });
});

describe('deadlineVerdict', () => {
  const base = { expr: '0 3 * * *', zone: CHI, deadlineAt: new Date('2027-03-16T11:00:00Z') };

  it('is not missed when a success started at or after the slot', () => {
    expect(deadlineVerdict({ ...base, lastSuccessStartedAt: new Date('2027-03-16T08:00:02Z') })).toEqual({
      slot: new Date('2027-03-16T08:00:00Z'), missed: false,
    });
    expect(deadlineVerdict({ ...base, lastSuccessStartedAt: new Date('2027-03-16T08:00:00Z') }).missed).toBe(false);
  });

  it('is missed when the last success is older than the slot, or there is none', () => {
    expect(deadlineVerdict({ ...base, lastSuccessStartedAt: new Date('2027-03-15T08:00:01Z') })).toEqual({
      slot: new Date('2027-03-16T08:00:00Z'), missed: true,
    });
    expect(deadlineVerdict({ ...base, lastSuccessStartedAt: null }).missed).toBe(true);
  });

  it('has nothing due when no slot fell in the preceding 24 h', () => {
    // Weekday job, Sunday deadline: Friday's slot is more than 24 h back.
    expect(deadlineVerdict({ expr: '0 3 * * 1-5', zone: CHI, deadlineAt: new Date('2027-03-21T11:00:00Z'), lastSuccessStartedAt: null }))
      .toEqual({ slot: null, missed: false });
    // Gap-time nightly on spring-forward day: node-cron does not run it, so nothing was due.
    expect(deadlineVerdict({ expr: '30 2 * * *', zone: CHI, deadlineAt: new Date('2027-03-14T11:00:00Z'), lastSuccessStartedAt: null }))
      .toEqual({ slot: null, missed: false });
    expect(deadlineVerdict({ expr: null, zone: CHI, deadlineAt: new Date('2027-03-14T11:00:00Z'), lastSuccessStartedAt: null }))
      .toEqual({ slot: null, missed: false });
  });
});
