/**
 * Replaces every known secret value in a string with [REDACTED].
 *
 * Secrets reach us as resolved values (passwords, tokens, API keys, webhook URLs). Drivers like to
 * echo them back ("login failed for ... password=..."), URLs carry them in query strings, and
 * stack traces quote them, so every log line, run record, alert and CLI output goes through this.
 * Each secret is also matched in its URL-encoded and base64 forms, the two ways it most often
 * leaks in transformed shape (query strings and Basic auth headers).
 */
export const REDACTED = '[REDACTED]';

/** Secrets shorter than this are not redacted by value: they would blank ordinary words. */
export const MIN_REDACTABLE_LENGTH = 4;

export class Redactor {
  #needles: string[] = [];

  constructor(secrets: Iterable<string> = []) {
    this.add(secrets);
  }

  add(secrets: Iterable<string>): void {
    const set = new Set(this.#needles);
    for (const s of secrets) {
      if (typeof s !== 'string' || s.length < MIN_REDACTABLE_LENGTH) continue;
      set.add(s);
      const enc = encodeURIComponent(s);
      if (enc !== s) set.add(enc);
      set.add(Buffer.from(s, 'utf8').toString('base64'));
    }
    // Longest first, so a secret that contains another is replaced whole.
    this.#needles = [...set].sort((a, b) => b.length - a.length);
  }

  get size(): number {
    return this.#needles.length;
  }

  redact(text: string): string {
    let out = text;
    for (const n of this.#needles) {
      if (out.includes(n)) out = out.split(n).join(REDACTED);
    }
    return out;
  }

  /** Deep-redact a JSON-like value (records, log metadata). */
  redactValue<T>(value: T): T {
    if (typeof value === 'string') return this.redact(value) as T;
    if (Array.isArray(value)) return value.map((v) => this.redactValue(v)) as T;
    if (value !== null && typeof value === 'object' && !(value instanceof Date) && !Buffer.isBuffer(value)) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = this.redactValue(v);
      return out as T;
    }
    return value;
  }
}
