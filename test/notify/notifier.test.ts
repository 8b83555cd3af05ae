import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { JobAlerts, JobConfig, NamedConnection, NotificationDefaults } from '../../src/config/config-types.js';
import type { Alert } from '../../src/notify/alert-message.js';
import { Notifier } from '../../src/notify/notifier.js';
import { Redactor } from '../../src/util/redactor.js';
import { freePort, startHttpSink, type HttpSink } from '../fixtures/http-sink.js';
import { startSmtpSink, type SmtpSink } from '../fixtures/smtp-sink.js';

const HOOK = '/services/T0/B0/hookSecretZ9';
const SMTP_PW = 'notifier-smtp-pw-77';

let smtp: SmtpSink;
let slack: HttpSink;
beforeAll(async () => {
  [smtp, slack] = await Promise.all([
    startSmtpSink({ users: { relay: SMTP_PW }, rejectRecipients: ['gone@district.test'] }),
    startHttpSink(() => ({ body: 'ok' })),
  ]);
});
afterAll(async () => {
  await Promise.all([smtp.close(), slack.close()]);
});
afterEach(() => {
  slack.setHandler(() => ({ body: 'ok' }));
  slack.reset();
  smtp.messages.length = 0;
});

function connections(over: { smtpPort?: number; hookUrl?: string } = {}): Record<string, NamedConnection> {
  return {
    mail: {
      name: 'mail',
      type: 'smtp',
      host: '127.0.0.1',
      port: over.smtpPort ?? smtp.port,
      secure: false,
      requireTls: false,
      user: 'relay',
      password: SMTP_PW,
      from: 'sisrelay@district.test',
      timeoutMs: 3000,
    },
    chat: { name: 'chat', type: 'slack', webhookUrl: over.hookUrl ?? `${slack.url}${HOOK}`, timeoutMs: 3000 },
  };
}

const defaults: NotificationDefaults = { email: { connection: 'mail', to: ['ops@district.test'] }, slack: { connection: 'chat' } };

function job(alerts: Partial<JobAlerts> = {}): JobConfig {
  return {
    name: 'clever',
    type: 'clever',
    description: '',
    enabled: true,
    schedule: '30 1 * * *',
    timezone: 'America/Chicago',
    timeoutMs: 60_000,
    killGraceMs: 5000,
    maxMemoryMb: 256,
    retries: { max: 0, initialDelayMs: 1000, maxDelayMs: 1000 },
    overlap: 'skip',
    catchUpMs: 0,
    runOnStart: false,
    retentionMs: 1000,
    alerts: { onFailure: true, onSuccess: false, deadline: null, email: true, slack: true, emailTo: null, ...alerts },
    params: {},
    connections: [],
  };
}

const alert: Alert = {
  subject: '[sisrelay] clever FAILED on h: SFTP_CONNECT_FAILED',
  text: 'body text\n',
  slack: { text: '[sisrelay] clever FAILED', blocks: [{ type: 'divider' }] },
};

function makeNotifier(conns = connections(), over: { channelTimeoutMs?: number; defaults?: NotificationDefaults } = {}) {
  const lines: string[] = [];
  const logger = {
    info: (m: string, meta?: Record<string, unknown>) => lines.push(`info ${m} ${JSON.stringify(meta)}`),
    warn: (m: string, meta?: Record<string, unknown>) => lines.push(`warn ${m} ${JSON.stringify(meta)}`),
  };
  const redactor = new Redactor([SMTP_PW, `${slack.url}${HOOK}`]);
  const n = new Notifier({
    connections: conns,
    defaults: over.defaults ?? defaults,
    redact: (t) => redactor.redact(t),
    logger,
    ...(over.channelTimeoutMs === undefined ? {} : { channelTimeoutMs: over.channelTimeoutMs }),
  });
  return { n, lines };
}

describe('Notifier', () => {
  it('sends to both channels by default', async () => {
    const { n } = makeNotifier();
    const r = await n.notify(job(), alert, 'failure');
    expect(r).toEqual([
      { channel: 'email', ok: true },
      { channel: 'slack', ok: true },
    ]);
    expect(smtp.messages[0]!.envelope.to).toEqual(['ops@district.test']);
    expect(smtp.messages[0]!.subject).toBe(alert.subject);
    expect(JSON.parse(slack.requests[0]!.body)).toEqual(alert.slack);
  });

  it('email refused (550) while Slack works: resolves with both results and logs the failure', async () => {
    const { n, lines } = makeNotifier();
    const r = await n.notify(job({ emailTo: ['gone@district.test'] }), alert, 'failure');
    expect(r).toHaveLength(2);
    expect(r[0]).toMatchObject({ channel: 'email', ok: false });
    expect(r[0]!.error).toContain('550');
    expect(r[1]).toEqual({ channel: 'slack', ok: true });
    expect(lines.some((l) => l.startsWith('warn alert failure for job clever via email failed'))).toBe(true);
    expect(slack.requests).toHaveLength(1);
  });

  it('webhook 500 and SMTP connection refused: still resolves, secrets absent from results and logs', async () => {
    slack.setHandler(() => ({ status: 500, body: 'oops' }));
    const { n, lines } = makeNotifier(connections({ smtpPort: await freePort() }));
    const r = await n.notify(job(), alert, 'failure');
    expect(r.map((x) => [x.channel, x.ok])).toEqual([
      ['email', false],
      ['slack', false],
    ]);
    expect(r[0]!.error).toContain('MAIL_FAILED');
    expect(r[1]!.error).toContain('SLACK_FAILED');
    const all = JSON.stringify({ r, lines });
    expect(all).not.toContain(SMTP_PW);
    expect(all).not.toContain('hookSecretZ9');
  });

  it('honours the job flags: email off, emailTo override, success alerts off', async () => {
    const { n } = makeNotifier();
    expect(await n.notify(job({ email: false }), alert, 'failure')).toEqual([{ channel: 'slack', ok: true }]);
    expect(smtp.messages).toHaveLength(0);

    expect(await n.notify(job({ slack: false, emailTo: ['lead@district.test'] }), alert, 'failure')).toEqual([{ channel: 'email', ok: true }]);
    expect(smtp.messages[0]!.envelope.to).toEqual(['lead@district.test']);

    expect(await n.notify(job(), alert, 'success')).toEqual([]);
    expect(await n.notify(job({ onFailure: false }), alert, 'failure')).toEqual([]);
    expect(await n.notify(job({ onSuccess: true, email: false }), alert, 'success')).toEqual([{ channel: 'slack', ok: true }]);
    // Deadline alerts are sent when the caller asks, whatever onFailure says.
    expect(await n.notify(job({ onFailure: false, email: false }), alert, 'deadline')).toEqual([{ channel: 'slack', ok: true }]);
  });

  it('a channel without a daemon default is skipped; an unknown connection is an error result', async () => {
    const { n } = makeNotifier(connections(), { defaults: { email: null, slack: { connection: 'nope' } } });
    const r = await n.notify(job(), alert, 'failure');
    expect(r).toEqual([{ channel: 'slack', ok: false, error: 'connection "nope" is not defined' }]);
  });

  it('a channel that hangs is cut off by its timeout while the other still succeeds', async () => {
    slack.setHandler(() => ({ delayMs: 5000, body: 'ok' }));
    const { n } = makeNotifier(connections(), { channelTimeoutMs: 300 });
    const r = await n.notify(job(), alert, 'failure');
    expect(r[0]).toEqual({ channel: 'email', ok: true });
    expect(r[1]).toMatchObject({ channel: 'slack', ok: false });
    expect(r[1]!.error).toContain('no result within 300 ms');
  });

  it('never throws, even when the logger does', async () => {
    const n = new Notifier({
      connections: connections({ smtpPort: await freePort() }),
      defaults,
      redact: (t) => t,
      logger: {
        info: () => {
          throw new Error('log down');
        },
        warn: () => {
          throw new Error('log down');
        },
      },
    });
    const r = await n.notify(job({ slack: false }), alert, 'failure');
    expect(r).toMatchObject([{ channel: 'email', ok: false }]);
  });
});
