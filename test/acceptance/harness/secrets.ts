import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Recognisable secrets (`S3CR3T-<name>-<random>`) and a search for them in every byte sisrelay
 * produced: logs, records, CLI output, generated files, e-mails and webhook payloads. A secret
 * counts as leaked in its raw form, URL-encoded, or base64-encoded at any alignment inside a
 * longer base64 text (as in an HTTP Basic header or a MIME part).
 */

export type SecretName = 'pg' | 'mssql' | 'sftpPassphrase' | 'moodle' | 'alma' | 'smtp' | 'slack';

export type Secrets = Record<SecretName, string>;

export function makeSecrets(): Secrets {
  const s = (name: string): string => `S3CR3T-${name}-${randomBytes(6).toString('hex')}`;
  return {
    pg: s('pg'),
    mssql: s('mssql'),
    sftpPassphrase: s('sftp-passphrase'),
    moodle: s('moodle'),
    alma: s('alma'),
    smtp: s('smtp'),
    slack: s('slack'),
  };
}

export interface Needle {
  secret: string;
  form: string;
  text: string;
}

/**
 * The forms to look for. For base64 the secret is encoded after 0, 1 and 2 bytes of prefix and
 * only the characters that depend on the secret alone are kept, so it is found wherever it sits
 * in an encoded stream.
 */
export function needles(secret: string, label = secret): Needle[] {
  const out: Needle[] = [{ secret: label, form: 'raw', text: secret }];
  const url = encodeURIComponent(secret);
  if (url !== secret) out.push({ secret: label, form: 'url-encoded', text: url });
  const bytes = Buffer.from(secret, 'utf8');
  for (let pad = 0; pad < 3; pad++) {
    // Whole 3-byte groups that hold secret bytes only: their 4 characters do not depend on what
    // surrounds the secret in the encoded stream.
    const b64 = Buffer.concat([Buffer.alloc(pad, 0x41), bytes]).toString('base64');
    const first = pad === 0 ? 0 : 1;
    const last = Math.floor((pad + bytes.length) / 3);
    const core = b64.slice(4 * first, 4 * last);
    if (core.length >= 12) out.push({ secret: label, form: `base64(+${pad})`, text: core });
    const urlSafe = core.replace(/\+/g, '-').replace(/\//g, '_');
    if (urlSafe !== core && urlSafe.length >= 12) out.push({ secret: label, form: `base64url(+${pad})`, text: urlSafe });
  }
  return out;
}

export interface Leak {
  where: string;
  secret: string;
  form: string;
}

export function findLeaks(where: string, content: string | Buffer, all: readonly Needle[]): Leak[] {
  const text = typeof content === 'string' ? content : content.toString('latin1');
  const leaks: Leak[] = [];
  for (const n of all) {
    if (text.includes(n.text)) leaks.push({ where, secret: n.secret, form: n.form });
  }
  return leaks;
}

/** Every regular file under the given roots (symlinks not followed). */
export function filesUnder(...roots: string[]): string[] {
  const out: string[] = [];
  const walk = (p: string): void => {
    let st;
    try {
      st = lstatSync(p);
    } catch {
      return;
    }
    if (st.isDirectory()) {
      for (const name of readdirSync(p)) walk(join(p, name));
    } else if (st.isFile()) {
      out.push(p);
    }
  };
  for (const r of roots) if (existsSync(r)) walk(r);
  return out;
}

export interface ScanSummary {
  filesScanned: number;
  textsScanned: number;
  bytesScanned: number;
  leaks: Leak[];
}

/** Search files and in-memory texts (CLI output, e-mails, webhook bodies) for every secret form. */
export function scanForSecrets(secrets: readonly string[], files: readonly string[], texts: ReadonlyArray<{ what: string; text: string }>): ScanSummary {
  const all = secrets.flatMap((s) => needles(s));
  const leaks: Leak[] = [];
  let bytes = 0;
  for (const f of files) {
    let content: Buffer;
    try {
      content = readFileSync(f);
    } catch {
      continue;
    }
    bytes += content.length;
    leaks.push(...findLeaks(f, content, all));
  }
  for (const t of texts) {
    bytes += t.text.length;
    leaks.push(...findLeaks(t.what, t.text, all));
  }
  return { filesScanned: files.length, textsScanned: texts.length, bytesScanned: bytes, leaks };
}
