import type { SlackConnection } from '../config/config-types.js';
import { SisrelayError } from '../errors/sisrelay-error.js';
import { REDACTED } from '../util/redactor.js';
import { safeCause } from './safe-cause.js';

export interface SlackPayload {
  text: string;
  blocks?: unknown[];
}

/** Slack refuses section text longer than this. */
export const SLACK_TEXT_LIMIT = 3000;

/**
 * Post to a Slack incoming webhook. Slack answers `ok` (200) on success and a short text error
 * otherwise (400 `invalid_payload`, 403 `action_prohibited`, 404 `no_service`, ...).
 *
 * The webhook URL *is* the credential, so errors name only the host ("hooks.slack.com") and the
 * connection name; the URL, its path and anything quoting them are scrubbed from messages and
 * causes. A non-2xx or a network failure is SLACK_FAILED with `details.status` (null without an
 * answer); 5xx, 429 and network failures are transient, other 4xx are not (a revoked webhook stays
 * revoked).
 */
export async function postSlack(
  conn: SlackConnection | (SlackConnection & { name: string }),
  payload: SlackPayload,
  opts: { redact(text: string): string },
): Promise<void> {
  const hook = parseHook(conn.webhookUrl);
  const scrub = (text: string): string => {
    let out = text;
    for (const needle of [conn.webhookUrl, hook?.pathAndQuery].filter((s): s is string => !!s && s.length > 1)) {
      out = out.split(needle).join(REDACTED);
    }
    return opts.redact(out);
  };
  const where = `Slack webhook ${'name' in conn ? `${conn.name} ` : ''}(${hook?.host ?? 'invalid URL'})`;
  if (hook === null) {
    throw new SisrelayError('SLACK_FAILED', `${where}: the configured webhook URL is not a valid http(s) URL`, {
      transient: false,
      details: { status: null },
    });
  }

  let res: Response;
  try {
    res = await fetch(conn.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(conn.timeoutMs),
      redirect: 'error',
    });
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    const code = errnoOf(err);
    throw new SisrelayError(
      'SLACK_FAILED',
      timedOut ? `${where}: no answer within ${conn.timeoutMs} ms` : `${where}: could not post (${code ?? 'network error'})`,
      { transient: true, cause: safeCause(err, scrub), details: { status: null, errno: code ?? null } },
    );
  }
  const body = await res.text().catch(() => '');
  if (res.status >= 200 && res.status <= 299) return;
  const said = scrub(body.trim().split(/\r?\n/)[0] ?? '').slice(0, 200);
  throw new SisrelayError('SLACK_FAILED', `${where} answered ${res.status}${said ? `: ${said}` : ''}`, {
    transient: res.status === 429 || res.status >= 500,
    details: { status: res.status, slackError: said || null },
  });
}

/**
 * The Leganto-style message: a context line `*Leganto <stage>*`, a divider, then the text as a
 * mrkdwn section. Returned as an array (the original sent the JSON *string* of it, which Slack
 * only tolerated by accident).
 */
export function slackBlocksForStage(stage: string, text: string): unknown[] {
  return [
    { type: 'context', elements: [{ type: 'mrkdwn', text: `*Leganto ${stage}*` }] },
    { type: 'divider' },
    { type: 'section', text: { type: 'mrkdwn', text: truncate(text, SLACK_TEXT_LIMIT) } },
  ];
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function parseHook(url: string): { host: string; pathAndQuery: string } | null {
  try {
    const u = new URL(url);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') return null;
    return { host: u.host, pathAndQuery: `${u.pathname}${u.search}` };
  } catch {
    return null;
  }
}

function errnoOf(err: unknown): string | undefined {
  let cur: unknown = err;
  for (let depth = 0; depth < 4 && cur !== null && typeof cur === 'object'; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}
