import { describe, expect, it } from 'vitest';
import { dstHazards } from '../../src/scheduler/dst-hazards.js';

const FROM = new Date('2026-11-22T00:00:00Z');

describe('dstHazards', () => {
  it('warns that a 02:30 Chicago nightly does not run on spring-forward day', () => {
    expect(dstHazards('30 2 * * *', 'America/Chicago', FROM)).toEqual([
      { date: '2027-03-14', kind: 'gap', wallTime: '02:30', effect: '30 2 * * * does not run on 2027-03-14 (02:30 falls in the spring-forward gap 02:00–03:00)' },
    ]);
  });

  it('warns that a 01:30 Chicago nightly runs once on fall-back day', () => {
    expect(dstHazards('30 1 * * *', 'America/Chicago', FROM)).toEqual([
      { date: '2027-11-07', kind: 'repeat', wallTime: '01:30', effect: '30 1 * * * runs once on 2027-11-07 at 01:30 CDT; the repeated 01:30 CST is skipped' },
    ]);
  });

  it('describes the 15-minute sync: four gap slots and a 75-minute pause', () => {
    expect(dstHazards('*/15 * * * *', 'America/Chicago', FROM)).toEqual([
      { date: '2027-03-14', kind: 'gap', wallTime: '02:00–02:45', effect: '*/15 * * * * skips 02:00, 02:15, 02:30 and 02:45 on 2027-03-14 (they fall in the spring-forward gap 02:00–03:00)' },
      { date: '2027-11-07', kind: 'repeat', wallTime: '01:00–01:45', effect: '*/15 * * * * pauses 75 minutes on 2027-11-07 (01:45 CDT → 02:00 CST); the 01:00–01:45 CST runs (4) are skipped' },
    ]);
  });

  it('says "skips" (not "does not run") when the pattern still runs that day', () => {
    const [gap] = dstHazards('30 2,14 * * *', 'America/Chicago', FROM);
    expect(gap?.effect).toBe('30 2,14 * * * skips 02:30 on 2027-03-14 (it falls in the spring-forward gap 02:00–03:00)');
  });

  it('covers the hourly pattern at both transitions', () => {
    expect(dstHazards('0 * * * *', 'America/Chicago', FROM).map((h) => [h.date, h.kind, h.wallTime])).toEqual([
      ['2027-03-14', 'gap', '02:00'],
      ['2027-11-07', 'repeat', '01:00'],
    ]);
  });

  it('is empty for schedules outside the shifted hours, weekday-only schedules on Sunday transitions, Phoenix and UTC', () => {
    expect(dstHazards('0 3 * * *', 'America/Chicago', FROM)).toEqual([]);
    expect(dstHazards('30 2 * * 1-5', 'America/Chicago', FROM)).toEqual([]);
    expect(dstHazards('20 9 * * *', 'America/Phoenix', FROM)).toEqual([]);
    expect(dstHazards('*/15 * * * *', 'America/Phoenix', FROM)).toEqual([]);
    expect(dstHazards('*/15 * * * *', 'UTC', FROM)).toEqual([]);
  });

  it('names 2026 dates when the horizon starts before them', () => {
    expect(dstHazards('30 2 * * *', 'America/Chicago', new Date('2026-01-01T00:00:00Z'), 365).map((h) => h.date)).toEqual(['2026-03-08']);
  });

  it('follows node-cron in zones east of UTC, where the later occurrence runs', () => {
    expect(dstHazards('30 2 * * *', 'Europe/Berlin', FROM).map((h) => h.effect)).toEqual([
      '30 2 * * * does not run on 2027-03-28 (02:30 falls in the spring-forward gap 02:00–03:00)',
      '30 2 * * * runs once on 2027-10-31 at 02:30 GMT+1; the earlier 02:30 GMT+2 is skipped',
    ]);
  });
});
