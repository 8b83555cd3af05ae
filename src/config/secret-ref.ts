import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

/**
 * Secrets never live in the config file. A secret field holds a reference:
 *   { "env": "POWERSCHOOL_DB_PASSWORD" }   environment variable (falls back to
 *                                          $CREDENTIALS_DIRECTORY/<NAME> or /sisrelay_<NAME>, so
 *                                          systemd's LoadCredential= works with the default names)
 *   { "credential": "ps-db-password" }      $CREDENTIALS_DIRECTORY/<name> (systemd LoadCredential=)
 *   { "file": "/etc/sisrelay/secrets/x" }   a file readable only by the service user
 * One trailing newline is stripped from file contents (editors and `echo` add one).
 */
export type SecretRef = { env: string } | { credential: string } | { file: string };

export function isSecretRef(value: unknown): value is SecretRef {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  if (keys.length !== 1) return false;
  const k = keys[0]!;
  const v = (value as Record<string, unknown>)[k];
  return (k === 'env' || k === 'credential' || k === 'file') && typeof v === 'string' && v.length > 0;
}

export interface ResolveEnv {
  env: NodeJS.ProcessEnv;
  /** Relative `file` paths resolve against the config file's directory. */
  baseDir: string;
}

export type Resolved = { ok: true; value: string } | { ok: false; problem: string };

/** Resolve a reference; a missing source is a problem naming what was looked for. */
export function resolveRef(ref: SecretRef, ctx: ResolveEnv): Resolved {
  const credDir = ctx.env.CREDENTIALS_DIRECTORY;
  if ('env' in ref) {
    const v = ctx.env[ref.env];
    if (v !== undefined && v !== '') return { ok: true, value: v };
    if (credDir && safeName(ref.env)) {
      // LoadCredential=NAME:/file gives <dir>/NAME; LoadCredential=sisrelay:/dir gives <dir>/sisrelay_NAME.
      for (const file of [ref.env, `sisrelay_${ref.env}`]) {
        const fromCred = tryRead(join(credDir, file));
        if (fromCred.ok) return fromCred;
      }
    }
    return {
      ok: false,
      problem: `expected environment variable ${ref.env} to be set${credDir ? ` (or a credential file ${join(credDir, ref.env)})` : ''}, found it unset`,
    };
  }
  if ('credential' in ref) {
    if (!credDir) {
      return { ok: false, problem: `expected credential ${ref.credential} from $CREDENTIALS_DIRECTORY, found CREDENTIALS_DIRECTORY unset (is LoadCredential= in the unit?)` };
    }
    if (!safeName(ref.credential)) {
      return { ok: false, problem: `expected a credential name without "/" or "..", found ${JSON.stringify(ref.credential)}` };
    }
    const r = tryRead(join(credDir, ref.credential));
    return r.ok ? r : { ok: false, problem: `expected credential file ${join(credDir, ref.credential)}, ${r.problem}` };
  }
  const path = isAbsolute(ref.file) ? ref.file : resolve(ctx.baseDir, ref.file);
  const r = tryRead(path);
  return r.ok ? r : { ok: false, problem: `expected a readable secret file ${path}, ${r.problem}` };
}

function safeName(name: string): boolean {
  return !name.includes('/') && !name.includes('\\') && name !== '..' && name !== '.';
}

function tryRead(path: string): Resolved {
  try {
    const text = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
    if (text === '') return { ok: false, problem: 'found an empty file' };
    return { ok: true, value: text };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { ok: false, problem: code === 'ENOENT' ? 'found no such file' : code === 'EACCES' ? 'found it unreadable (permission denied)' : `found it unreadable (${code ?? 'error'})` };
  }
}
