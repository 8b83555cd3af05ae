import { describe, expect, it } from 'vitest';
import { validateCron } from '../../src/scheduler/cron-expression.js';
import { validateDeadline } from '../../src/scheduler/deadline.js';
import { validateTimeZone } from '../../src/scheduler/time-zone.js';

describe('validateCron', () => {
  it.each([
    '30 2 * * *', '*/15 * * * *', '20 9 * * 1-5', '0 9 1 * 1', '0 0 L * *', '0 12 * * 2#2', '0 3 * JAN,JUL MON-FRI',
    '  30   2 * * *  ', '@daily', '@hourly', '@weekly', '@monthly', '@yearly', '@annually', '@midnight',
  ])('accepts %j', (expr) => {
    expect(validateCron(expr)).toEqual([]);
  });

  it.each([
    ['0 30 2 * * *', 'expected 5 fields (minute hour day-of-month month day-of-week), found 6 (seconds are not supported)'],
    ['0 30 2 * * * 2027', 'expected 5 fields (minute hour day-of-month month day-of-week), found 7 (seconds and years are not supported)'],
    ['30 2 * *', 'expected 5 fields (minute hour day-of-month month day-of-week), found 4'],
    ['', 'expected 5 fields (minute hour day-of-month month day-of-week), found an empty expression'],
  ])('rejects the field count of %j', (expr, problem) => {
    expect(validateCron(expr)).toEqual([problem]);
  });

  it('reports each bad field with what was expected and found', () => {
    expect(validateCron('61 24 * * *')).toEqual([
      'minute: expected minutes 0-59 (a number, list a,b, range a-b, step */n or a-b/n), found "61" (node-cron: 61 is a invalid expression for minute)',
      'hour: expected hours 0-23 (a number, list a,b, range a-b, step */n or a-b/n), found "24" (node-cron: 24 is a invalid expression for hour)',
    ]);
    expect(validateCron('0 0 * 13 *')[0]).toMatch(/^month: expected months 1-12 or JAN-DEC .*found "13"/);
    expect(validateCron('0 0 * * 8')[0]).toMatch(/^day-of-week: expected weekdays 0-7 .*found "8"/);
    expect(validateCron('0 0 31 2 *')).toEqual([
      'day-of-month: expected a day that exists in the given month(s), found "31" (node-cron: 31 2 is an impossible day of month for the given month)',
    ]);
  });

  it.each([
    ['garbage text here and now', /^minute: expected .*found "garbage"/],
    ['30 2 * * * ;rm', /expected 5 fields .*found 6/],
    ['30 2 * * $', /^expected only digits, letters, single spaces .*found "30 2 \* \* \$"/],
    ['@reboot', /^expected 5 fields or one of the nicknames @yearly, .*found "@reboot"/],
    ['*/0 * * * *', /^minute: .*found "\*\/0"/],
  ])('rejects garbage %j', (expr, pattern) => {
    const problems = validateCron(expr);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]).toMatch(pattern);
  });
});

describe('validateTimeZone', () => {
  it.each(['America/Chicago', 'America/Phoenix', 'UTC', 'US/Arizona', 'Europe/Berlin', 'Etc/GMT+7'])('accepts %j', (zone) => {
    expect(validateTimeZone(zone)).toBeNull();
  });

  it.each([
    ['Mountain Standard Time', 'expected an IANA time zone name such as America/Chicago, found "Mountain Standard Time" (a Windows zone name; use America/Denver (observes DST) or America/Phoenix (no DST))'],
    ['Central Standard Time', 'expected an IANA time zone name such as America/Chicago, found "Central Standard Time" (a Windows zone name; use America/Chicago)'],
    ['Romance Standard Time', 'expected an IANA time zone name such as America/Chicago, found "Romance Standard Time" (this looks like a Windows zone name)'],
    ['America/Chicgo', 'expected an IANA time zone name such as America/Chicago, found "America/Chicgo" (not a zone this runtime knows)'],
    ['+05:00', 'expected an IANA time zone name such as America/Chicago, found "+05:00" (a UTC offset, not a zone name)'],
    ['', 'expected an IANA time zone name such as America/Chicago, found an empty string'],
    [' UTC', 'expected an IANA time zone name such as America/Chicago, found " UTC" (remove the surrounding spaces)'],
  ])('rejects %j', (zone, problem) => {
    expect(validateTimeZone(zone)).toBe(problem);
  });
});

describe('validateDeadline', () => {
  it.each(['00:00', '06:00', '23:59', '09:20'])('accepts %j', (text) => {
    expect(validateDeadline(text)).toBeNull();
  });

  it.each(['24:00', '6:00', '06:60', '0600', '06:00:00', '', 'noon'])('rejects %j', (text) => {
    expect(validateDeadline(text)).toBe(`expected a time of day "HH:MM" (24-hour, 00:00-23:59), found ${JSON.stringify(text)}`);
  });
});
