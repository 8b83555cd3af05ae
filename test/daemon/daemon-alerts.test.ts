import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { Daemon } from '../../src/daemon/daemon.js';
import { RunStore } from '../../src/runner/run-store.js';
import { startHttpSink, type HttpSink } from '../fixtures/http-sink.js';
import { startSmtpSink, type SmtpSink } from '../fixtures/smtp-sink.js';
import {
  daemonLog,
  fixtureCatalog,
  isFinal,
  job,
  records,
  testDirs,
  waitFor,
  waitForRecord,
  writeConfig,
  type TestDirs,
} from './helpers/daemon-harness.js';

const catalog = fixtureCatalog();
const CLOCK = ['Date', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] as const;
const HOOK_PATH = '/services/T0001/B0001/hook-credential-9f8e7d';
const SMTP_PASSWORD = 'smtp-Pa55-w0rd!';

let smtp: SmtpSink;
let slack: HttpSink;
let dirs: TestDirs;
let daemon: Daemon | null = null;

beforeAll(async () => {
  smtp = await startSmtpSink();
  slack = await startHttpSink();
});

afterAll(async () => {
  await smtp.close();
  await slack.close();
});

beforeEach(async () => {
  dirs = await testDirs();
  smtp.messages.length = 0;
  slack.reset();
  slack.setHandler(() => ({ status: 200, body: 'ok' }));
});

afterEach(async () => {
  await daemon?.stop();
  daemon = null;
  vi.useRealTimers();
  await dirs.cleanup();
});

function alertConnections(port = smtp.port, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    mail: { type: 'smtp', host: '127.0.0.1', port, secure: false, requireTls: false, from: 'sisrelay <sisrelay@example.edu>', timeout: '5s', ...extra },
    chat: { type: 'slack', webhookUrl: { env: 'SLACK_WEBHOOK_URL' }, timeout: '5s' },
  };
}

const notifications = { emailConnection: 'mail', emailTo: ['ops@example.edu'], slackConnection: 'chat' };
const alerting = (over: Record<string, unknown> = {}) => ({ email: true, slack: true, ...over });

async function startDaemon(env: Record<string, string> = {}): Promise<Daemon> {
  daemon = new Daemon({ configFile: dirs.configFile, catalog, env: { SLACK_WEBHOOK_URL: `${slack.url}${HOOK_PATH}`, ...env }, console: false });
  await daemon.start();
  return daemon;
}

const slackTexts = (): string[] => slack.requests.map((r) => (JSON.parse(r.body) as { text: string }).text);

describe('daemon alerts', () => {
  it('sends a failure alert by e-mail and Slack, a success alert only with onSuccess, nothing for a quiet success', async () => {
    await writeConfig(dirs, {
      daemon: { notifications },
      connections: alertConnections(),
      jobs: {
        bad: job('throws-permanent', { runOnStart: true, alerts: alerting() }),
        quiet: job('succeeds', { runOnStart: true, alerts: alerting() }),
        loud: job('succeeds', { runOnStart: true, alerts: alerting({ onSuccess: true }) }),
      },
    });
    await startDaemon();
    const bad = await waitForRecord(dirs, 'bad', isFinal);
    await waitForRecord(dirs, 'quiet', isFinal);
    const loud = await waitForRecord(dirs, 'loud', isFinal);
    await waitFor(() => smtp.messages.length >= 2 && slack.requests.length >= 2, 10_000, 'two e-mails and two Slack posts');
    await daemon!.stop();

    expect(smtp.messages.map((m) => m.subject).sort()).toEqual([
      expect.stringMatching(/^\[sisrelay\] bad FAILED on \S+: DATA_INVALID$/),
      expect.stringMatching(/^\[sisrelay\] loud succeeded on \S+: /),
    ]);
    const failure = smtp.messages.find((m) => m.subject.includes(' bad '))!;
    expect(failure.envelope.to).toEqual(['ops@example.edu']);
    expect(failure.text).toContain(`Run:         ${bad.runId} (attempt 1, start)`);
    // A DATA_INVALID message may quote a student row: it stays out of the alert.
    expect(failure.text).not.toContain('grade level');
    expect(smtp.messages.find((m) => m.subject.includes(' loud '))!.text).toContain(loud.runId);
    expect(slack.requests.every((r) => r.path === HOOK_PATH && r.method === 'POST')).toBe(true);
    expect(slackTexts().sort()).toEqual([expect.stringMatching(/ bad FAILED /), expect.stringMatching(/ loud succeeded /)]);
    const log = daemonLog(dirs);
    expect(log).toMatch(/job=bad alert failure for job bad sent via email/);
    expect(log).toMatch(/job=bad alert failure for job bad sent via slack/);
    expect(log).not.toMatch(/job=quiet alert/);
    // The webhook URL is a credential: never in the daemon log.
    expect(log).not.toContain(HOOK_PATH);
  });

  it('alerts a transient failure only after the last retry, and not at all when a retry succeeds', async () => {
    await writeConfig(dirs, {
      daemon: { notifications },
      connections: alertConnections(),
      jobs: {
        down: job('transient-always', { runOnStart: true, retries: { max: 2, initialDelay: '100ms', maxDelay: '200ms' }, alerts: alerting() }),
        flaky: job('transient-once', {
          runOnStart: true,
          retries: { max: 1, initialDelay: '100ms', maxDelay: '100ms' },
          params: { counterFile: `${dirs.root}/flaky-counter` },
          alerts: alerting(),
        }),
      },
    });
    await startDaemon();
    await waitForRecord(dirs, 'down', (r) => r.attempt === 3 && isFinal(r), 30_000);
    await waitForRecord(dirs, 'flaky', (r) => r.attempt === 2 && isFinal(r), 30_000);
    await waitFor(() => smtp.messages.length >= 1 && slack.requests.length >= 1, 10_000, 'the failure alert');
    await daemon!.stop();

    const down = await records(dirs, 'down');
    expect(down.map((r) => [r.attempt, r.status, r.nextRetryAt !== null])).toEqual([
      [3, 'failed', false],
      [2, 'failed', true],
      [1, 'failed', true],
    ]);
    const flaky = await records(dirs, 'flaky');
    expect(flaky.map((r) => [r.attempt, r.status])).toEqual([[2, 'succeeded'], [1, 'failed']]);
    expect(smtp.messages.map((m) => m.subject)).toEqual([expect.stringMatching(/^\[sisrelay\] down FAILED on \S+: SQL_CONNECT_REFUSED \(attempt 3\)$/)]);
    expect(smtp.messages[0]!.text).toContain(`Retry of:    ${down[1]!.runId}`);
    expect(slackTexts()).toEqual([smtp.messages[0]!.subject]);
  });

  it('keeps the run record intact and logs the reason when every alert channel fails (550, webhook 500)', async () => {
    const refusing = await startSmtpSink({ rejectRecipients: ['ops@example.edu'] });
    slack.setHandler(() => ({ status: 500, body: 'internal_error' }));
    try {
      await writeConfig(dirs, {
        daemon: { notifications },
        connections: alertConnections(refusing.port),
        jobs: { bad: job('throws-permanent', { runOnStart: true, alerts: alerting() }) },
      });
      await startDaemon();
      const bad = await waitForRecord(dirs, 'bad', isFinal);
      await waitFor(() => /via email failed/.test(daemonLog(dirs)) && /via slack failed/.test(daemonLog(dirs)), 10_000, 'both channel failures logged');
      await daemon!.stop();
      expect(refusing.messages).toEqual([]);
      expect(slack.requests).toHaveLength(1);
      const stored = await new RunStore(dirs.stateDir, dirs.logDir).read('bad', bad.runId);
      expect(stored).toMatchObject({ status: 'failed', error: { code: 'DATA_INVALID' }, finishedAt: bad.finishedAt });
      const log = daemonLog(dirs);
      expect(log).toMatch(/warn  job=bad alert failure for job bad via email failed: .*550.*ops@example.edu/);
      expect(log).toMatch(/warn  job=bad alert failure for job bad via slack failed: .*answered 500/);
      expect(log).not.toContain(HOOK_PATH);
      expect(log).toMatch(/ info  stopped$/m);
    } finally {
      await refusing.close();
    }
  });

  it('logs a refused SMTP login without the password and still records the run', async () => {
    const authed = await startSmtpSink({ users: { relay: 'the-right-one' } });
    try {
      await writeConfig(dirs, {
        daemon: { notifications: { emailConnection: 'mail', emailTo: ['ops@example.edu'] } },
        connections: alertConnections(authed.port, { user: 'relay', password: { env: 'SMTP_PASSWORD' } }),
        jobs: { bad: job('exits-nonzero', { runOnStart: true, alerts: alerting() }) },
      });
      await startDaemon({ SMTP_PASSWORD });
      const bad = await waitForRecord(dirs, 'bad', isFinal);
      expect(bad).toMatchObject({ status: 'failed', error: { code: 'RUN_EXITED' } });
      await waitFor(() => /via email failed/.test(daemonLog(dirs)), 10_000, 'the e-mail failure logged');
      await daemon!.stop();
      expect(authed.logins).toEqual([{ user: 'relay', ok: false }]);
      expect(authed.messages).toEqual([]);
      const log = daemonLog(dirs);
      expect(log).toMatch(/job=bad alert failure for job bad via email failed: .*535/);
      expect(log).not.toContain(SMTP_PASSWORD);
    } finally {
      await authed.close();
    }
  });

  it('sends a deadline alert when the latest slot has no successful run by the deadline, and none when it has', async () => {
    // 08:59:30 UTC; both jobs are due at 08:00 with a 09:00 deadline. "done" succeeded at 08:30.
    vi.useFakeTimers({ now: new Date('2027-03-15T08:59:30Z'), toFake: [...CLOCK], shouldAdvanceTime: true, advanceTimeDelta: 10 });
    const store = new RunStore(dirs.stateDir, dirs.logDir);
    const ok = await store.create({ job: 'done', type: 'succeeds', trigger: 'schedule', slot: '2027-03-15T08:00:00Z', now: new Date('2027-03-15T08:30:00Z') });
    await store.write({ ...ok, status: 'succeeded', finishedAt: '2027-03-15T08:31:00.000Z', durationMs: 60_000 });
    await writeConfig(dirs, {
      daemon: { notifications, logLevel: 'debug' },
      connections: alertConnections(),
      jobs: {
        late: job('succeeds', { schedule: '0 8 * * *', alerts: alerting({ deadline: '09:00' }) }),
        done: job('succeeds', { schedule: '0 8 * * *', alerts: alerting({ deadline: '09:00' }) }),
      },
    });
    await startDaemon();
    await vi.advanceTimersByTimeAsync(Date.parse('2027-03-15T08:59:59Z') - Date.now());
    await waitFor(() => smtp.messages.length >= 1 && slack.requests.length >= 1 && /job=done deadline met/.test(daemonLog(dirs)), 10_000, 'the deadline alert');
    await daemon!.stop();

    expect(smtp.messages.map((m) => m.subject)).toEqual([expect.stringMatching(/^\[sisrelay\] late: no successful run by 09:00 UTC on \S+$/)]);
    expect(smtp.messages[0]!.text).toContain('Slot:          2027-03-15 08:00:00 UTC');
    expect(smtp.messages[0]!.text).toContain('Last success:  none recorded');
    expect(slackTexts()).toEqual([smtp.messages[0]!.subject]);
    const log = daemonLog(dirs);
    expect(log).toMatch(/warn  job=late deadline missed: no successful run for the latest slot slot=2027-03-15T08:00:00.000Z deadline=2027-03-15T09:00:00.000Z/);
    expect(log).not.toMatch(/job=done deadline missed/);
  });

  it('alerts a run found interrupted after a restart', async () => {
    const store = new RunStore(dirs.stateDir, dirs.logDir);
    const orphan = await store.create({ job: 'nightly', type: 'succeeds', trigger: 'schedule', slot: '2027-03-15T03:00:00Z' });
    await writeConfig(dirs, {
      daemon: { notifications },
      connections: alertConnections(),
      jobs: { nightly: job('succeeds', { schedule: '0 3 * * *', alerts: alerting() }) },
    });
    await startDaemon();
    await waitFor(() => smtp.messages.length === 1 && slack.requests.length === 1, 10_000, 'the interrupted-run alert');
    await daemon!.stop();
    expect(smtp.messages[0]!.subject).toMatch(/^\[sisrelay\] nightly INTERRUPTED on \S+: RUN_INTERRUPTED$/);
    expect(smtp.messages[0]!.text).toContain(`Run:         ${orphan.runId} (attempt 1, schedule)`);
    expect(await store.read('nightly', orphan.runId)).toMatchObject({ status: 'interrupted', error: { code: 'RUN_INTERRUPTED' } });
    expect(daemonLog(dirs)).toContain(`warn  job=nightly run=${orphan.runId} run found interrupted after restart code=RUN_INTERRUPTED`);
  });
});
