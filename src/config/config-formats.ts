import convict from 'convict';
import { parseDuration } from '../util/duration.js';
import { validateCron } from '../scheduler/cron-expression.js';
import { validateTimeZone } from '../scheduler/time-zone.js';
import { validateDeadline } from '../scheduler/deadline.js';
import { isSecretRef } from './secret-ref.js';

/**
 * convict formats used by every schema in sisrelay. Each throws a message of the form
 * "expected <what>, found <what>" so `sisrelay validate` reads the same for every key.
 * Secret formats never echo the value they found.
 */

/** Short, safe description of a found value for error messages. */
export function describeFound(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return value.length > 60 ? `${JSON.stringify(value.slice(0, 57))}… (string)` : `${JSON.stringify(value)} (string)`;
  if (typeof value === 'number' || typeof value === 'boolean') return `${String(value)} (${typeof value})`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'object') return `an object with keys ${Object.keys(value).join(', ') || '(none)'}`;
  return typeof value;
}

function fail(expected: string, found: unknown): never {
  throw new Error(`expected ${expected}, found ${describeFound(found)}`);
}

const SECRET_EXAMPLE = 'a secret reference such as {"env": "NAME"}, {"credential": "name"} or {"file": "/path"}';

let registered = false;

export function registerConfigFormats(): void {
  if (registered) return;
  registered = true;
  convict.addFormats({
    duration: {
      validate(v: unknown) {
        if (parseDuration(v) === undefined) fail('a duration such as "90s", "15m", "2h" or "42d"', v);
      },
    },
    'duration-or-null': {
      validate(v: unknown) {
        if (v !== null && parseDuration(v) === undefined) fail('a duration such as "12h" (or null)', v);
      },
    },
    cron: {
      validate(v: unknown) {
        if (v === null) return;
        if (typeof v !== 'string') fail('a 5-field cron expression such as "15 3 * * *" (or null for manual only)', v);
        const problems = validateCron(v);
        if (problems.length > 0) throw new Error(problems.join('; '));
      },
    },
    'cron-required': {
      validate(v: unknown) {
        if (typeof v !== 'string') fail('a 5-field cron expression such as "17 4 * * *"', v);
        const problems = validateCron(v);
        if (problems.length > 0) throw new Error(problems.join('; '));
      },
    },
    timezone: {
      validate(v: unknown) {
        if (typeof v !== 'string') fail('an IANA time zone such as "America/Chicago"', v);
        const problem = validateTimeZone(v);
        if (problem !== null) throw new Error(problem);
      },
    },
    'timezone-or-null': {
      validate(v: unknown) {
        if (v === null) return;
        if (typeof v !== 'string') fail('an IANA time zone such as "America/Chicago" (or null for the daemon default)', v);
        const problem = validateTimeZone(v);
        if (problem !== null) throw new Error(problem);
      },
    },
    'tds-encrypt': {
      validate(v: unknown) {
        if (v !== true && v !== false && v !== 'strict') fail('true, false or "strict"', v);
      },
    },
    'deadline-or-null': {
      validate(v: unknown) {
        if (v === null) return;
        if (typeof v !== 'string') fail('a time of day "HH:MM" (or null)', v);
        const problem = validateDeadline(v);
        if (problem !== null) throw new Error(problem);
      },
    },
    secret: {
      validate(v: unknown) {
        if (typeof v === 'string') throw new Error(`expected ${SECRET_EXAMPLE}, found a literal string (secrets may not be written in the config file)`);
        if (!isSecretRef(v)) throw new Error(`expected ${SECRET_EXAMPLE}, found ${v === null || v === undefined ? 'nothing' : 'something else'}`);
      },
    },
    'secret-or-null': {
      validate(v: unknown) {
        if (v === null) return;
        if (typeof v === 'string') throw new Error(`expected ${SECRET_EXAMPLE} (or null), found a literal string (secrets may not be written in the config file)`);
        if (!isSecretRef(v)) throw new Error(`expected ${SECRET_EXAMPLE} (or null), found something else`);
      },
    },
    /** A plain value that may also come from the environment (host names, user names). */
    'string-or-ref': {
      validate(v: unknown) {
        if (typeof v === 'string' && v.trim() !== '') return;
        if (isSecretRef(v)) return;
        fail('a non-empty string or a reference such as {"env": "NAME"}', v);
      },
    },
    'string-or-ref-or-null': {
      validate(v: unknown) {
        if (v === null || (typeof v === 'string' && v.trim() !== '') || isSecretRef(v)) return;
        fail('a non-empty string, a reference such as {"env": "NAME"}, or null', v);
      },
    },
    'nonempty-string': {
      validate(v: unknown) {
        if (typeof v !== 'string' || v.trim() === '') fail('a non-empty string', v);
      },
    },
    'string-or-null': {
      validate(v: unknown) {
        if (v !== null && typeof v !== 'string') fail('a string or null', v);
      },
    },
    'string-list': {
      validate(v: unknown) {
        if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x === '')) fail('a list of non-empty strings', v);
      },
    },
    'string-list-or-null': {
      validate(v: unknown) {
        if (v === null) return;
        if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x === '')) fail('a list of non-empty strings (or null)', v);
      },
    },
    'email-list': {
      validate(v: unknown) {
        if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || !/^[^\s@]+@[^\s@]+$/.test(x))) fail('a list of e-mail addresses', v);
      },
    },
    'email-list-or-null': {
      validate(v: unknown) {
        if (v === null) return;
        if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || !/^[^\s@]+@[^\s@]+$/.test(x))) fail('a list of e-mail addresses (or null)', v);
      },
    },
    'tcp-port': {
      validate(v: unknown) {
        if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > 65535) fail('a TCP port 1-65535', v);
      },
    },
    'tcp-port-or-zero': {
      validate(v: unknown) {
        if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 65535) fail('a TCP port 0-65535 (0 = any free port)', v);
      },
    },
    natural: {
      validate(v: unknown) {
        if (!Number.isInteger(v) || (v as number) < 0) fail('a whole number 0 or more', v);
      },
    },
    'natural-or-null': {
      validate(v: unknown) {
        if (v !== null && (!Number.isInteger(v) || (v as number) < 0)) fail('a whole number 0 or more (or null)', v);
      },
    },
    'positive-int': {
      validate(v: unknown) {
        if (!Number.isInteger(v) || (v as number) < 1) fail('a whole number 1 or more', v);
      },
    },
    share: {
      validate(v: unknown) {
        if (typeof v !== 'number' || !(v >= 0 && v <= 1)) fail('a share between 0 and 1 (0.5 = 50%)', v);
      },
    },
    bool: {
      validate(v: unknown) {
        if (typeof v !== 'boolean') fail('true or false', v);
      },
    },
    'string-map': {
      validate(v: unknown) {
        if (typeof v !== 'object' || v === null || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string')) {
          fail('an object mapping names to strings', v);
        }
      },
    },
  });
}
