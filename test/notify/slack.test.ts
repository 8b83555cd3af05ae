import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SlackConnection } from '../../src/config/config-types.js';
import { SisrelayError } from '../../src/errors/sisrelay-error.js';
import { postSlack, slackBlocksForStage } from '../../src/notify/slack.js';
import { freePort, startHttpSink, type HttpSink } from '../fixtures/http-sink.js';

const HOOK_PATH = '/services/T0DISTRICT/B0ALERTS/x9YzSecretPart';
const redact = (t: string): string => t;

let sink: HttpSink;
beforeAll(async () => {
  sink = await startHttpSink(() => ({ body: 'ok' }));
});
afterAll(async () => {
  await sink.close();
});
afterEach(() => {
  sink.setHandler(() => ({ body: 'ok' }));
  sink.reset();
});

function conn(url = `${sink.url}${HOOK_PATH}`, timeoutMs = 3000): SlackConnection & { name: string } {
  return { name: 'ops-slack', type: 'slack', webhookUrl: url, timeoutMs };
}

async function failure(p: Promise<unknown>): Promise<SisrelayError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(SisrelayError);
    return err as SisrelayError;
  }
  throw new Error('expected postSlack to fail');
}

function leaks(err: SisrelayError): string {
  return JSON.stringify({ m: err.message, d: err.details, s: err.stack, c: (err.cause as Error | undefined)?.stack });
}

describe('postSlack', () => {
  it('posts the payload as JSON to the webhook', async () => {
    const blocks = slackBlocksForStage('Pull', 'Pulled 42 courses');
    await postSlack(conn(), { text: 'Leganto Status Update', blocks }, { redact });
    const req = sink.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe(HOOK_PATH);
    expect(req.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req.body)).toEqual({ text: 'Leganto Status Update', blocks });
  });

  it('a 500 is SLACK_FAILED (transient) with the status, and the URL is nowhere in the error', async () => {
    sink.setHandler(() => ({ status: 500, body: 'internal_error' }));
    const err = await failure(postSlack(conn(), { text: 'x' }, { redact }));
    expect(err.code).toBe('SLACK_FAILED');
    expect(err.transient).toBe(true);
    expect(err.details).toMatchObject({ status: 500, slackError: 'internal_error' });
    expect(err.message).toContain('ops-slack');
    expect(leaks(err)).not.toContain('x9YzSecretPart');
    expect(leaks(err)).not.toContain(HOOK_PATH);
  });

  it.each([
    [400, 'invalid_payload'],
    [403, 'action_prohibited'],
    [404, 'no_service'],
  ])('%i %s is permanent and quotes Slack\'s error', async (status, text) => {
    sink.setHandler(() => ({ status, body: text }));
    const err = await failure(postSlack(conn(), { text: 'x' }, { redact }));
    expect(err.transient).toBe(false);
    expect(err.message).toContain(`${status}: ${text}`);
  });

  it('connection refused and timeouts are SLACK_FAILED without the URL', async () => {
    const port = await freePort();
    const refused = await failure(postSlack(conn(`http://127.0.0.1:${port}${HOOK_PATH}`), { text: 'x' }, { redact }));
    expect(refused.details).toMatchObject({ status: null, errno: 'ECONNREFUSED' });
    expect(leaks(refused)).not.toContain('x9YzSecretPart');

    sink.setHandler(() => ({ delayMs: 2000, body: 'ok' }));
    const slow = await failure(postSlack(conn(undefined, 150), { text: 'x' }, { redact }));
    expect(slow.message).toContain('no answer within 150 ms');
    expect(slow.transient).toBe(true);
    expect(leaks(slow)).not.toContain('x9YzSecretPart');
  });

  it('an invalid webhook URL is refused without quoting it', async () => {
    const err = await failure(postSlack(conn('not a url/x9YzSecretPart'), { text: 'x' }, { redact }));
    expect(err.transient).toBe(false);
    expect(leaks(err)).not.toContain('x9YzSecretPart');
  });
});

describe('slackBlocksForStage', () => {
  it('builds the Leganto blocks as an array (not a JSON string)', () => {
    const blocks = slackBlocksForStage('Rollover Daily Report', 'Attached: *12* rows');
    expect(Array.isArray(blocks)).toBe(true);
    expect(blocks).toEqual([
      { type: 'context', elements: [{ type: 'mrkdwn', text: '*Leganto Rollover Daily Report*' }] },
      { type: 'divider' },
      { type: 'section', text: { type: 'mrkdwn', text: 'Attached: *12* rows' } },
    ]);
  });

  it('keeps the section within Slack\'s 3000-character limit', () => {
    const blocks = slackBlocksForStage('Push', 'x'.repeat(5000)) as Array<{ text?: { text: string } }>;
    expect(blocks[2]!.text!.text.length).toBe(3000);
  });
});
