import { describe, expect, it } from 'vitest';
import { ERROR_CODES, type ErrorCode } from '../../src/errors/error-codes.js';
import { adviceFor, deadlineAlert, failureAlert, formatInstant, successAlert } from '../../src/notify/alert-message.js';
import type { RunRecord } from '../../src/runner/run-record.js';

function record(over: Partial<RunRecord> = {}): RunRecord {
  return {
    version: 1,
    runId: '20261122T091500Z-moodle-enrollments-a1b2',
    job: 'moodle-enrollments',
    type: 'moodle-enrollments',
    trigger: 'schedule',
    slot: '2026-11-22T09:15:00.000Z',
    attempt: 2,
    retryOf: '20261122T091500Z-moodle-enrollments-0000',
    status: 'failed',
    dryRun: false,
    force: false,
    createdAt: '2026-11-22T09:15:00.100Z',
    startedAt: '2026-11-22T09:15:00.200Z',
    finishedAt: '2026-11-22T09:16:03.700Z',
    durationMs: 63_500,
    host: 'relay01',
    pid: 4242,
    counts: { rows_read: 1234, adds: 12, drops: 3 },
    files: [{ name: 'enrollments.csv', path: '/var/lib/sisrelay/runs/x/files/enrollments.csv', bytes: 45_210, sha256: 'ab', rows: 1200 }],
    deliveries: [{ connection: 'conduit', target: '/upload/enrollments.csv', mode: 'no-overwrite', status: 'held' }],
    items: [
      { item: 'student 700123 → BIO101', action: 'enrol', status: 'ok' },
      { item: 'student 700124 → BIO101', action: 'enrol', status: 'failed', message: 'Jane Roe not found' },
    ],
    notes: ['term 2026FA'],
    error: { code: 'SFTP_CONNECT_FAILED', message: 'sftp conduit (sftp://sis@files.vendor.test:22): connection refused', transient: true },
    exit: { code: 1, signal: null },
    runDir: '/var/lib/sisrelay/runs/moodle-enrollments/20261122T091500Z',
    logFile: '/var/lib/sisrelay/runs/moodle-enrollments/20261122T091500Z/run.log',
    nextRetryAt: null,
    ...over,
  };
}

function err(code: ErrorCode, message = `something about ${code}`): RunRecord['error'] {
  return { code, message, transient: ERROR_CODES[code].transient };
}

describe('failureAlert', () => {
  const a = failureAlert(record(), { hostname: 'relay01', zone: 'America/Chicago' });

  it('subject names job, status, host, code and attempt', () => {
    expect(a.subject).toBe('[sisrelay] moodle-enrollments FAILED on relay01: SFTP_CONNECT_FAILED (attempt 2)');
  });

  it('body has code, message, run id, attempt, slot in the job zone and UTC, counts, files, log path', () => {
    expect(a.text).toContain('Error:       SFTP_CONNECT_FAILED (transient)');
    expect(a.text).toContain('connection refused');
    expect(a.text).toContain('Run:         20261122T091500Z-moodle-enrollments-a1b2 (attempt 2, schedule)');
    expect(a.text).toContain('Slot:        2026-11-22 03:15:00 CST (2026-11-22T09:15:00Z)');
    expect(a.text).toContain('Finished:    2026-11-22 03:16:03 CST (2026-11-22T09:16:03Z) (1m4s)');
    expect(a.text).toContain('Counts:      rows_read=1234, adds=12, drops=3');
    expect(a.text).toContain('File:        enrollments.csv (45210 bytes, 1200 rows)');
    expect(a.text).toContain('Delivery:    conduit → /upload/enrollments.csv: held (no-overwrite)');
    expect(a.text).toContain('Log:         /var/lib/sisrelay/runs/moodle-enrollments/20261122T091500Z/run.log');
  });

  it('carries no student data: items are counted, never named', () => {
    for (const s of [a.text, a.subject, JSON.stringify(a.slack)]) {
      expect(s).not.toContain('700123');
      expect(s).not.toContain('Jane Roe');
    }
    expect(a.text).toContain('Items:       1 ok, 1 failed');
  });

  it('withholds DATA_* messages, which may quote a row', () => {
    const r = record({ error: { code: 'DATA_INVALID', message: 'row 17: student 700999 (Ann Lee) has no grade', transient: false } });
    const d = failureAlert(r, { hostname: 'relay01' });
    expect(d.text).not.toContain('700999');
    expect(d.text).not.toContain('Ann Lee');
    expect(d.text).toContain('see the run log');
  });

  it('a guard failure is worded as a held delivery with the force command', () => {
    const g = failureAlert(record({ error: err('GUARD_DROP_LIMIT') }), { hostname: 'relay01' });
    expect(g.subject).toBe('[sisrelay] moodle-enrollments HELD on relay01: GUARD_DROP_LIMIT (attempt 2)');
    expect(g.text).toContain('`sisrelay run moodle-enrollments --force`');
  });

  it('Slack payload: fallback text is the subject, blocks are a real array with the details', () => {
    expect(a.slack.text).toBe(a.subject);
    expect(Array.isArray(a.slack.blocks)).toBe(true);
    const texts = JSON.stringify(a.slack.blocks);
    expect(texts).toContain('SFTP_CONNECT_FAILED');
    expect(texts).toContain('run.log');
  });

  it('Slack text escapes &, < and >', () => {
    const r = record({ error: err('HTTP_CLIENT_ERROR', 'moodle: GET <https://m.test/?a=1&b=2> answered 403') });
    const s = JSON.stringify(failureAlert(r, { hostname: 'h' }).slack.blocks);
    expect(s).toContain('&lt;https://m.test/?a=1&amp;b=2&gt;');
  });

  it('mentions a scheduled retry in the job zone', () => {
    const r = failureAlert(record({ nextRetryAt: '2026-11-22T09:21:00.000Z' }), { hostname: 'h', zone: 'America/Chicago' });
    expect(r.text).toContain('A retry is scheduled for 2026-11-22 03:21:00 CST');
    expect(r.text).toContain('no action is needed unless it fails too');
  });

  it('a timed-out run without an error object still reads sensibly', () => {
    const t = failureAlert(record({ status: 'timed_out', error: null }), { hostname: 'h' });
    expect(t.subject).toBe('[sisrelay] moodle-enrollments TIMED OUT on h: timed_out (attempt 2)');
    expect(t.text).toContain('Status:      timed_out');
  });
});

describe('adviceFor: what to do, per code family', () => {
  const r = { job: 'clever', nextRetryAt: null };
  it.each<[ErrorCode, string]>([
    ['GUARD_EXTRACT_DROP', 'if the drop is expected (end of term, a cleanup), run `sisrelay run clever --force`'],
    ['GUARD_EMPTY_SOURCE', 'The source returned no rows'],
    ['SFTP_HOST_KEY_MISMATCH', "the server's key changed; verify with the vendor before updating hostKey"],
    ['SFTP_AUTH_FAILED', 'check the account and its password or key'],
    ['SQL_LOGIN_FAILED', 'check the account and its password or key'],
    ['SQL_CONNECT_TIMEOUT', 'Usually temporary'],
    ['HTTP_SERVER_ERROR', 'No retry is left: once the cause is fixed, run `sisrelay run clever`'],
    ['HTTP_RATE_LIMITED', 'lower the connection\'s ratePerSecond'],
    ['MOODLE_EXCEPTION', 'check the token or API key'],
    ['ALMA_QUOTA_LOW', 'Wait for the daily reset'],
    ['DATA_ENCODING', 'the run log names the rows'],
    ['MAPPING_INVALID', '`sisrelay validate`'],
    ['SECRET_MISSING', '`sisrelay validate`'],
    ['RUN_TIMED_OUT', "raise the job's timeout"],
    ['RUN_OUT_OF_MEMORY', 'maxMemoryMb'],
    ['RUN_INTERRUPTED', 'journalctl -u sisrelay'],
    ['INTERNAL_ERROR', 'report it with the run log'],
    ['TRANSFER_PERMISSION_DENIED', "the account's rights there"],
    ['INPUT_NOT_FOUND', 'did not arrive'],
  ])('%s', (code, expected) => {
    expect(adviceFor(code, r).toLowerCase()).toContain(expected.toLowerCase());
  });

  it('every catalogue code has specific advice (not the fallback)', () => {
    const fallback = adviceFor('NOT_A_CODE', r);
    for (const code of Object.keys(ERROR_CODES)) {
      expect(adviceFor(code, r), code).not.toBe(fallback);
    }
  });
});

describe('successAlert', () => {
  it('summarises counts, files and deliveries', () => {
    const s = successAlert(
      record({ status: 'succeeded', error: null, attempt: 1, retryOf: null, deliveries: [{ connection: 'conduit', target: '/upload/e.csv', mode: 'replace', status: 'delivered', bytes: 10 }] }),
      { zone: 'Europe/Berlin' },
    );
    expect(s.subject).toBe('[sisrelay] moodle-enrollments succeeded on relay01: rows_read=1234, adds=12, drops=3');
    expect(s.text).toContain('Slot:        2026-11-22 10:15:00 GMT+1 (2026-11-22T09:15:00Z)');
    expect(s.text).toContain('Delivery:    conduit → /upload/e.csv: delivered (replace)');
    expect(s.text).not.toContain('What to do');
  });
});

describe('deadlineAlert', () => {
  it('names the deadline, the slot and the last success in the job zone and UTC', () => {
    const d = deadlineAlert({
      job: 'clever',
      deadlineAt: new Date('2026-03-09T12:00:00Z'),
      zone: 'America/New_York',
      slot: new Date('2026-03-09T06:30:00Z'),
      lastSuccess: record({ job: 'clever', runId: 'run-prev', status: 'succeeded', finishedAt: '2026-03-08T07:31:00Z', counts: { students: 5400 } }),
      hostname: 'relay01',
    });
    // 2026-03-08 is the US spring-forward day: the 9th is already EDT.
    expect(d.subject).toBe('[sisrelay] clever: no successful run by 08:00 America/New_York on relay01');
    expect(d.text).toContain('Deadline:      2026-03-09 08:00:00 EDT (2026-03-09T12:00:00Z)');
    expect(d.text).toContain('Slot:          2026-03-09 02:30:00 EDT (2026-03-09T06:30:00Z)');
    expect(d.text).toContain('Last success:  2026-03-08 03:31:00 EDT (2026-03-08T07:31:00Z) (run run-prev)');
    expect(d.text).toContain('students=5400');
    expect(d.text).toContain('`sisrelay run clever`');
  });

  it('says so when there never was a success', () => {
    const d = deadlineAlert({ job: 'x', deadlineAt: new Date('2026-01-05T07:00:00Z'), zone: 'UTC', slot: null, lastSuccess: null });
    expect(d.subject).toBe('[sisrelay] x: no successful run by 07:00 UTC');
    expect(d.text).toContain('Last success:  none recorded');
  });
});

describe('formatInstant', () => {
  it('shows wall clock with zone abbreviation, then UTC', () => {
    expect(formatInstant('2026-07-01T12:00:00Z', 'America/Los_Angeles')).toBe('2026-07-01 05:00:00 PDT (2026-07-01T12:00:00Z)');
    expect(formatInstant('2026-07-01T12:00:00Z', 'UTC')).toBe('2026-07-01 12:00:00 UTC');
  });
});
