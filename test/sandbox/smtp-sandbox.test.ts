import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtpSandbox, type SmtpSandbox } from '../../src/sandbox/smtp-sandbox.js';

let dir: string;
let sb: SmtpSandbox;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'smtp-sandbox-'));
  sb = await startSmtpSandbox({ maildir: path.join(dir, 'mail') });
});
afterAll(async () => {
  await sb.close();
  await rm(dir, { recursive: true, force: true });
});

describe('SMTP sandbox', () => {
  it('stores each message as a 0600 .eml in a 0700 maildir, envelope included', async () => {
    const t = nodemailer.createTransport({ host: sb.host, port: sb.port, secure: false, ignoreTLS: true, auth: { user: 'relay', pass: 'x' } });
    await t.sendMail({
      from: 'Leganto <hourly@example.edu>',
      to: 'reserve@example.edu',
      bcc: 'audit@example.edu',
      subject: 'Daily Potential Rollover Report',
      text: 'Attached is the daily potential rollover report with 2 rows',
      attachments: [{ filename: 'rollover.csv', content: 'a\tb\r\n' }],
    });
    t.close();
    const [file] = await sb.waitForMessages(1);
    expect(path.basename(file!)).toMatch(/\.eml$/);
    expect((await stat(file!)).mode & 0o777).toBe(0o600);
    expect((await stat(sb.maildir)).mode & 0o777).toBe(0o700);
    expect((await readdir(sb.maildir)).filter((n) => n.startsWith('.'))).toEqual([]);

    const raw = await readFile(file!);
    const mail = await simpleParser(raw);
    expect(mail.subject).toBe('Daily Potential Rollover Report');
    expect(mail.attachments.map((a) => a.filename)).toEqual(['rollover.csv']);
    expect(mail.headers.get('x-sandbox-envelope-to')).toBe('reserve@example.edu, audit@example.edu');
  });

  it('requires matching credentials when configured', async () => {
    const strict = await startSmtpSandbox({ maildir: path.join(dir, 'strict'), auth: { user: 'u', password: 'right' } });
    try {
      const bad = nodemailer.createTransport({ host: strict.host, port: strict.port, ignoreTLS: true, auth: { user: 'u', pass: 'wrong' } });
      await expect(bad.sendMail({ from: 'a@example.edu', to: 'b@example.edu', text: 'x' })).rejects.toMatchObject({ code: 'EAUTH' });
      const good = nodemailer.createTransport({ host: strict.host, port: strict.port, ignoreTLS: true, auth: { user: 'u', pass: 'right' } });
      await good.sendMail({ from: 'a@example.edu', to: 'b@example.edu', text: 'x' });
      expect(strict.received()).toHaveLength(1);
    } finally {
      await strict.close();
    }
  });
});
