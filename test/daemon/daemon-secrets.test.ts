import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Daemon } from '../../src/daemon/daemon.js';
import { startHttpSink, type HttpSink } from '../fixtures/http-sink.js';
import { startSmtpSink, type SmtpSink } from '../fixtures/smtp-sink.js';
import { sisrelay } from '../cli/helpers/cli-harness.js';
import { daemonLog, isFinal, job, testDirs, waitFor, waitForRecord, writeConfig, fixtureCatalog, type TestDirs } from './helpers/daemon-harness.js';

/**
 * A driver-like error quoting the database password (fixture leaks-secret) must not reach any
 * output: the daemon log, the run log, the record, the alert e-mail, the Slack payload, or what
 * the CLI prints about the run.
 */

const SECRET = 'Pg-Secr3t/pass word+42';
const FORMS = [SECRET, encodeURIComponent(SECRET), Buffer.from(SECRET).toString('base64')];

let smtp: SmtpSink;
let slack: HttpSink;
let dirs: TestDirs;

beforeAll(async () => {
  smtp = await startSmtpSink();
  slack = await startHttpSink(() => ({ status: 200, body: 'ok' }));
  dirs = await testDirs('sisrelay-secrets-');
});

afterAll(async () => {
  await smtp.close();
  await slack.close();
  await dirs.cleanup();
});

function expectNoSecret(what: string, text: string): void {
  for (const form of FORMS) expect(text.includes(form), `${what} holds the secret (${form})`).toBe(false);
}

describe('secrets', () => {
  it('a password echoed by a failing job appears in no log, record, alert or CLI output', async () => {
    const env = { DB_PASSWORD: SECRET, SLACK_WEBHOOK_URL: `${slack.url}/services/T1/B1/x` };
    await writeConfig(dirs, {
      daemon: { notifications: { emailConnection: 'mail', emailTo: ['ops@example.edu'], slackConnection: 'chat' } },
      connections: {
        db: { type: 'postgres', host: '127.0.0.1', database: 'sis', user: 'relay', password: { env: 'DB_PASSWORD' } },
        mail: { type: 'smtp', host: '127.0.0.1', port: smtp.port, requireTls: false, from: 'sisrelay@example.edu', timeout: '5s' },
        chat: { type: 'slack', webhookUrl: { env: 'SLACK_WEBHOOK_URL' }, timeout: '5s' },
      },
      jobs: { leaky: job('leaks-secret', { runOnStart: true, params: { db: 'db' }, alerts: { email: true, slack: true } }) },
    });
    const daemon = new Daemon({ configFile: dirs.configFile, catalog: fixtureCatalog(), env, console: false });
    await daemon.start();
    let record;
    try {
      record = await waitForRecord(dirs, 'leaky', isFinal);
      await waitFor(() => smtp.messages.length === 1 && slack.requests.length === 1, 10_000, 'the failure alerts');
    } finally {
      await daemon.stop();
    }

    expect(record.status).toBe('failed');
    expect(record.error?.message).toContain('password authentication failed for user "relay" (password "[REDACTED]")');
    const runLog = readFileSync(record.logFile, 'utf8');
    expect(runLog).toContain('connecting with password=[REDACTED]');
    const mail = smtp.messages[0]!;
    expect(mail.text).toContain('(password "[REDACTED]")');

    const cliEnv = { SISRELAY_CONFIG: dirs.configFile };
    const history = await sisrelay(['history', 'leaky', '--json'], cliEnv);
    expect(history.code).toBe(0);
    expect((JSON.parse(history.out) as Array<{ runId: string }>).map((r) => r.runId)).toEqual([record.runId]);
    const historyText = await sisrelay(['history', 'leaky'], cliEnv);
    expect(historyText.out).toContain('[REDACTED]');
    const status = await sisrelay(['status'], cliEnv);
    expect(status.out).toContain(`last run:     failed`);
    const logs = await sisrelay(['logs', 'leaky'], cliEnv);
    expect(logs.out).toContain('connecting with password=[REDACTED]');
    // `run` resolves the secrets itself and prints the error of its own run.
    const run = await sisrelay(['run', 'leaky'], { ...cliEnv, ...env });
    expect(run.code).toBe(1);
    expect(run.out).toMatch(/ {2}error: INTERNAL_ERROR: .*password authentication failed for user "relay" \(password "\[REDACTED\]"\)/);

    const outputs: Array<[string, string]> = [
      ['daemon log', daemonLog(dirs)],
      ['run log', runLog],
      ['record.json', readFileSync(join(record.runDir, 'record.json'), 'utf8')],
      ['result.json', readFileSync(join(record.runDir, 'result.json'), 'utf8')],
      ['alert e-mail', `${mail.subject}\n${mail.text}`],
      ['Slack payload', slack.requests[0]!.body],
      ['history --json', history.out + history.err],
      ['history', historyText.out + historyText.err],
      ['status', status.out + status.err],
      ['logs', logs.out + logs.err],
      ['run', run.out + run.err],
    ];
    for (const [what, text] of outputs) expectNoSecret(what, text);
  });
});
