import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SmtpConnection } from '../../src/config/config-types.js';
import { SisrelayError } from '../../src/errors/sisrelay-error.js';
import { sendMail } from '../../src/notify/mailer.js';
import { Redactor } from '../../src/util/redactor.js';
import { freePort } from '../fixtures/http-sink.js';
import { startSmtpSink, type SmtpSink } from '../fixtures/smtp-sink.js';

const PASSWORD = 'smtp-Pa55-word-xyz';
const redact = (t: string): string => new Redactor([PASSWORD]).redact(t);

function conn(port: number, over: Partial<SmtpConnection> = {}): SmtpConnection & { name: string } {
  return {
    name: 'alerts-mail',
    type: 'smtp',
    host: '127.0.0.1',
    port,
    secure: false,
    requireTls: false,
    user: null,
    password: null,
    from: 'sisrelay <sisrelay@district.test>',
    timeoutMs: 5000,
    ...over,
  };
}

async function failure(p: Promise<unknown>): Promise<SisrelayError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(SisrelayError);
    return err as SisrelayError;
  }
  throw new Error('expected sendMail to fail');
}

/** Everything an error could leak through: message, details, stack and the cause's stack. */
function everything(err: SisrelayError): string {
  return JSON.stringify({ m: err.message, d: err.details, s: err.stack, c: (err.cause as Error | undefined)?.stack });
}

let open: SmtpSink;
let authed: SmtpSink;
let dir: string;
beforeAll(async () => {
  [open, authed] = await Promise.all([
    startSmtpSink({ rejectRecipients: ['nobody@district.test'] }),
    startSmtpSink({ users: { relay: PASSWORD } }),
  ]);
  dir = await mkdtemp(join(tmpdir(), 'sisrelay-mail-'));
});
afterAll(async () => {
  await Promise.all([open.close(), authed.close(), rm(dir, { recursive: true, force: true })]);
});

describe('sendMail', () => {
  it('delivers subject, text and attachments (from a path and from content)', async () => {
    const file = join(dir, 'rollover_20261122031500.csv');
    await writeFile(file, 'a\tb\r\n1\t2\r\n');
    const result = await sendMail(
      conn(open.port),
      {
        to: ['reserve@university.test'],
        subject: 'Daily Potential Rollover Report',
        text: 'Attached is the daily potential rollover report with 1 rows',
        attachments: [{ filename: 'rollover_20261122031500.csv', path: file }, { filename: 'notes.txt', content: 'hello' }],
      },
      { redact },
    );
    expect(result.accepted).toEqual(['reserve@university.test']);
    expect(result.rejected).toEqual([]);
    expect(result.messageId).toMatch(/^<.+@.+>$/);
    const m = open.messages.at(-1)!;
    expect(m.envelope).toEqual({ from: 'sisrelay@district.test', to: ['reserve@university.test'] });
    expect(m.subject).toBe('Daily Potential Rollover Report');
    expect(m.text.trim()).toBe('Attached is the daily potential rollover report with 1 rows');
    expect(m.attachments.map((a) => [a.filename, a.content.toString()])).toEqual([
      ['rollover_20261122031500.csv', 'a\tb\r\n1\t2\r\n'],
      ['notes.txt', 'hello'],
    ]);
  });

  it('logs in with AUTH when a user is configured', async () => {
    await sendMail(conn(authed.port, { user: 'relay', password: PASSWORD }), { to: ['a@x.test'], subject: 's', text: 't' }, { redact });
    expect(authed.messages.at(-1)!.user).toBe('relay');
  });

  it('a bad password is MAIL_FAILED 535, permanent, and the password appears nowhere', async () => {
    const wrong = 'wrong-secret-pw-123';
    const err = await failure(sendMail(conn(authed.port, { user: 'relay', password: wrong }), { to: ['a@x.test'], subject: 's', text: 't' }, { redact }));
    expect(err.code).toBe('MAIL_FAILED');
    expect(err.details).toMatchObject({ responseCode: 535, smtpCode: 'EAUTH' });
    expect(err.transient).toBe(false);
    expect(err.message).toContain('user relay');
    expect(err.message).toContain('rejected the login');
    // `wrong` is not known to the redactor: sendMail must strip its own connection's password.
    expect(everything(err)).not.toContain(wrong);
    expect(authed.logins.at(-1)).toEqual({ user: 'relay', ok: false });
  });

  it('a refused recipient is MAIL_FAILED 550 (permanent) naming the recipient', async () => {
    const err = await failure(sendMail(conn(open.port), { to: ['nobody@district.test'], subject: 's', text: 't' }, { redact }));
    expect(err.code).toBe('MAIL_FAILED');
    expect(err.details).toMatchObject({ responseCode: 550, rejected: ['nobody@district.test'] });
    expect(err.transient).toBe(false);
    expect(err.message).toContain('nobody@district.test');
  });

  it('one refused recipient among good ones is reported, not thrown', async () => {
    const r = await sendMail(conn(open.port), { to: ['ok@district.test', 'nobody@district.test'], subject: 's', text: 't' }, { redact });
    expect(r.accepted).toEqual(['ok@district.test']);
    expect(r.rejected).toEqual(['nobody@district.test']);
  });

  it('a 4xx reply at DATA is transient', async () => {
    const busy = await startSmtpSink({ failWith: { code: 451, message: 'Try again later' } });
    try {
      const err = await failure(sendMail(conn(busy.port), { to: ['a@x.test'], subject: 's', text: 't' }, { redact }));
      expect(err.code).toBe('MAIL_FAILED');
      expect(err.details).toMatchObject({ responseCode: 451 });
      expect(err.transient).toBe(true);
      expect(busy.messages).toHaveLength(0);
    } finally {
      await busy.close();
    }
  });

  it('connection refused is MAIL_FAILED, transient, with no SMTP reply code', async () => {
    const port = await freePort();
    const err = await failure(sendMail(conn(port, { user: 'relay', password: PASSWORD }), { to: ['a@x.test'], subject: 's', text: 't' }, { redact }));
    expect(err.code).toBe('MAIL_FAILED');
    expect(err.transient).toBe(true);
    expect(err.details).toMatchObject({ responseCode: null });
    expect(err.message).toContain(`127.0.0.1:${port}`);
    expect(err.message).toContain('connection refused');
    expect(everything(err)).not.toContain(PASSWORD);
  });

  it('requireTls against a server without STARTTLS fails permanently', async () => {
    const err = await failure(sendMail(conn(open.port, { requireTls: true }), { to: ['a@x.test'], subject: 's', text: 't' }, { redact }));
    expect(err.code).toBe('MAIL_FAILED');
    expect(err.transient).toBe(false);
  });

  it('STARTTLS with a certificate the host does not trust fails permanently (no silent downgrade)', async () => {
    const tls = await startSmtpSink({ starttls: true });
    try {
      const err = await failure(sendMail(conn(tls.port, { requireTls: true }), { to: ['a@x.test'], subject: 's', text: 't' }, { redact }));
      expect(err.code).toBe('MAIL_FAILED');
      expect(err.transient).toBe(false);
      expect(err.message).toContain('TLS could not be established');
      expect(tls.messages).toHaveLength(0);
    } finally {
      await tls.close();
    }
  });

  it('no recipients is refused before connecting', async () => {
    const err = await failure(sendMail(conn(1), { to: [], subject: 's', text: 't' }, { redact }));
    expect(err.message).toContain('no recipients');
  });
});
