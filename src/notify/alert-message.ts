import { ERROR_CODES, isErrorCode, type ErrorCode } from '../errors/error-codes.js';
import type { RunRecord, RunStatus } from '../runner/run-record.js';
import { formatLocalDate, pad2, zoneAbbreviation, zonedParts } from '../scheduler/zoned-time.js';
import { formatDuration } from '../util/duration.js';
import { SLACK_TEXT_LIMIT, truncate } from './slack.js';

/**
 * Pure formatting of alerts from run records: one subject line, a plain-text body for e-mail and
 * a Slack payload, all saying the same thing.
 *
 * Alerts leave the machine (mail servers, Slack), so they carry **no student data**: job, status,
 * error code, run id, times, counts, file names and paths only. Error messages are included
 * because adapters build them from safe facts (host, port, user, status), except for the data
 * codes, whose messages may quote a row; those point to the run log instead. Error details and
 * per-item results (which name students) are never copied in; items are only counted.
 */

export interface Alert {
  subject: string;
  text: string;
  slack: { text: string; blocks: unknown[] };
}

export interface AlertOptions {
  /** The daemon's host name, so an admin with several hosts knows where to look. */
  hostname: string;
  /** The job's IANA zone: times are shown in it and in UTC. Default UTC. */
  zone?: string;
}

/** Codes whose messages may quote source rows (a student number in a bad line). */
const MESSAGE_MAY_HOLD_STUDENT_DATA = new Set<string>(['DATA_INVALID', 'DATA_ENCODING']);

const STATUS_WORD: Record<RunStatus, string> = {
  running: 'RUNNING',
  succeeded: 'succeeded',
  failed: 'FAILED',
  timed_out: 'TIMED OUT',
  cancelled: 'CANCELLED',
  skipped: 'skipped',
  interrupted: 'INTERRUPTED',
};

/**
 * What the admin should do about a failure, by code family. Every catalogue code has a specific
 * answer (checked by the tests), so an alert never ends with a shrug.
 */
export function adviceFor(code: ErrorCode | string | null, record: Pick<RunRecord, 'job' | 'nextRetryAt'>, zone = 'UTC'): string {
  const rerun = `\`sisrelay run ${record.job}\``;
  const retryNote = record.nextRetryAt
    ? `A retry is scheduled for ${formatInstant(record.nextRetryAt, zone)}; no action is needed unless it fails too.`
    : `No retry is left: once the cause is fixed, run ${rerun}.`;
  if (code === null) return `The run failed without an error code; read the run log, then run ${rerun}.`;
  if (code.startsWith('GUARD_')) {
    const what =
      code === 'GUARD_EMPTY_SOURCE'
        ? 'The source returned no rows, so nothing was delivered (the vendor keeps the previous data).'
        : 'The change was larger than the configured guard allows, so nothing was delivered (the vendor keeps the previous data).';
    return `${what} Check the source; if the drop is expected (end of term, a cleanup), run \`sisrelay run ${record.job} --force\`.`;
  }
  switch (code) {
    case 'SFTP_HOST_KEY_MISMATCH':
      return "The server's key changed; verify with the vendor before updating hostKey. Do not turn verification off: a changed key can mean the traffic is being intercepted.";
    case 'SFTP_AUTH_FAILED':
    case 'SQL_LOGIN_FAILED':
      return `The login was rejected: check the account and its password or key (expired, locked or rotated?) and the secret the config points to. Retrying would only risk locking the account; run ${rerun} after fixing it.`;
    case 'SQL_QUERY_FAILED':
      return `The database rejected a statement (a schema change, or a missing grant for the read account); the run log has the database's message. Run ${rerun} after fixing it.`;
    case 'SQL_ENCRYPTION_REQUIRED':
      return 'The database and sisrelay disagree on encryption: check the connection\'s encrypt setting and the server\'s TLS configuration.';
    case 'TRANSFER_PERMISSION_DENIED':
    case 'TRANSFER_NO_SUCH_PATH':
      return `The destination refused the file or the directory is missing: check the remote path in the job and the account's rights there, then run ${rerun}.`;
    case 'TRANSFER_TARGET_EXISTS':
      return 'A file or directory already exists where a new one was required; check what is there (the vendor may not have consumed the previous drop) before removing anything.';
    case 'INPUT_NOT_FOUND':
      return `The expected input file did not arrive; check the export that produces it, then run ${rerun}.`;
    case 'HTTP_RATE_LIMITED':
      return `The service kept answering 429 (too many requests). ${retryNote} If it repeats, lower the connection's ratePerSecond.`;
    case 'HTTP_CLIENT_ERROR':
    case 'MOODLE_EXCEPTION':
    case 'ALMA_ERROR':
      return 'The service refused the request: check the token or API key, its permissions (web-service functions, API scopes) and the object named above; the run log has the full answer.';
    case 'HTTP_BAD_RESPONSE':
      return 'The service answered with something that is not its API (a maintenance page, a proxy login?): check the URL in the connection and the service status.';
    case 'ALMA_QUOTA_LOW':
      return `Alma's daily API quota is nearly used up; the run stopped to leave the rest for other integrations. Wait for the daily reset, then run ${rerun}.`;
    case 'DATA_INVALID':
    case 'DATA_ENCODING':
      return `Input data broke a rule the job depends on; the run log names the rows. Fix them at the source (or choose another output encoding), then run ${rerun}.`;
    case 'MAPPING_INVALID':
      return `A course mapping file is invalid; \`sisrelay validate\` shows where. Fix it, then run ${rerun}.`;
    case 'CONFIG_INVALID':
    case 'CONFIG_UNREADABLE':
    case 'SECRET_MISSING':
    case 'JOB_UNKNOWN':
      return 'Fix the configuration (`sisrelay validate` lists every problem), then reload the daemon (systemctl reload sisrelay).';
    case 'RUN_TIMED_OUT':
      return `The run exceeded its timeout and was killed; the run log shows the last step. If the data grew, raise the job's timeout; otherwise look for a hung connection. Then run ${rerun}.`;
    case 'RUN_OUT_OF_MEMORY':
      return 'The run process ran out of memory. Raise the job\'s maxMemoryMb as a stopgap and report it with the run log: runs stream rows and should not grow with the data.';
    case 'RUN_INTERRUPTED':
      return `The daemon stopped while the run was in progress; check why (journalctl -u sisrelay), then run ${rerun}.`;
    case 'RUN_CANCELLED':
      return `The run was cancelled (operator or daemon shutdown). Run ${rerun} if its data still needs to go out.`;
    case 'RUN_CRASHED':
    case 'RUN_EXITED':
    case 'INTERNAL_ERROR':
      return `An unexpected failure inside sisrelay. Keep the run directory and report it with the run log; run ${rerun} to try again.`;
    default:
      // The catalogue's transient codes (HTTP_RATE_LIMITED aside, above) share one answer.
      if (isErrorCode(code) && ERROR_CODES[code].transient) {
        return `Usually temporary (network, service restart, maintenance). ${retryNote} If it keeps failing, check that the service named above is up and reachable from this host.`;
      }
      return `Read the run log, then run ${rerun}.`;
  }
}

export function failureAlert(record: RunRecord, opts: AlertOptions): Alert {
  const zone = opts.zone ?? 'UTC';
  const code = record.error?.code ?? null;
  const held = code !== null && code.startsWith('GUARD_');
  const word = held ? 'HELD' : STATUS_WORD[record.status];
  const subject = `[sisrelay] ${record.job} ${word} on ${opts.hostname}: ${code ?? record.status}${record.attempt > 1 ? ` (attempt ${record.attempt})` : ''}`;
  const headline = held
    ? `Job "${record.job}" held its delivery on ${opts.hostname}: a safety guard stopped it.`
    : `Job "${record.job}" ${word} on ${opts.hostname}.`;

  const lines = [headline, '', ...errorLines(record), ...runLines(record, zone), '', 'What to do:', `  ${adviceFor(code, record, zone)}`];
  return build(subject, lines, held ? ':warning:' : ':x:', record, opts.hostname);
}

export function successAlert(record: RunRecord, opts: Partial<AlertOptions> = {}): Alert {
  const zone = opts.zone ?? 'UTC';
  const host = opts.hostname ?? record.host;
  const counts = countSummary(record.counts);
  const subject = `[sisrelay] ${record.job} succeeded on ${host}${counts ? `: ${counts}` : ''}`;
  const lines = [`Job "${record.job}" succeeded on ${host}${record.dryRun ? ' (dry run: nothing was uploaded)' : ''}.`, '', ...runLines(record, zone)];
  return build(subject, lines, ':white_check_mark:', record, host);
}

export interface DeadlineInput {
  job: string;
  /** The deadline instant that passed. */
  deadlineAt: Date;
  /** The job's zone. */
  zone: string;
  /** The slot that should have succeeded by the deadline (null: the job has no schedule). */
  slot: Date | null;
  lastSuccess: RunRecord | null;
  hostname?: string;
}

export function deadlineAlert(input: DeadlineInput): Alert {
  const { job, zone } = input;
  const host = input.hostname ? ` on ${input.hostname}` : '';
  const local = formatInstant(input.deadlineAt, zone);
  const subject = `[sisrelay] ${job}: no successful run by ${local.slice(11, 16)} ${zone}${host}`;
  const last = input.lastSuccess;
  const lines = [
    `Job "${job}" has had no successful run${input.slot ? ' for its scheduled slot' : ''} by its deadline${host}.`,
    '',
    `Deadline:      ${local}`,
  ];
  if (input.slot) lines.push(`Slot:          ${formatInstant(input.slot, zone)}`);
  if (last) {
    const at = last.finishedAt ?? last.startedAt ?? last.createdAt;
    lines.push(`Last success:  ${formatInstant(at, zone)} (run ${last.runId})`);
    const counts = countSummary(last.counts);
    if (counts) lines.push(`               ${counts}`);
  } else {
    lines.push('Last success:  none recorded');
  }
  lines.push(
    '',
    'What to do:',
    `  The file may not have gone out. Check \`sisrelay status ${job}\` and \`sisrelay history ${job}\`: if a run failed, its own alert says why; if none ran, check that the daemon is up (journalctl -u sisrelay). Then run \`sisrelay run ${job}\`.`,
  );
  const header = `:alarm_clock: *${escapeSlack(subject.replace(/^\[sisrelay\] /, ''))}*`;
  return slackAlert(subject, lines, header, `deadline ${local}`);
}

// ---------------------------------------------------------------------------------------------

function errorLines(record: RunRecord): string[] {
  const err = record.error;
  if (!err) return [`Status:      ${record.status}`];
  const message = MESSAGE_MAY_HOLD_STUDENT_DATA.has(err.code)
    ? '(message withheld from alerts because it may quote student data; see the run log)'
    : oneLine(err.message, 500);
  return [`Error:       ${err.code}${err.transient ? ' (transient)' : ''}`, `Message:     ${message}`];
}

function runLines(record: RunRecord, zone: string): string[] {
  const lines = [
    `Run:         ${record.runId} (attempt ${record.attempt}, ${record.trigger}${record.force ? ', forced' : ''}${record.dryRun ? ', dry run' : ''})`,
  ];
  if (record.retryOf) lines.push(`Retry of:    ${record.retryOf}`);
  if (record.slot) lines.push(`Slot:        ${formatInstant(record.slot, zone)}`);
  if (record.startedAt) lines.push(`Started:     ${formatInstant(record.startedAt, zone)}`);
  if (record.finishedAt) lines.push(`Finished:    ${formatInstant(record.finishedAt, zone)}${record.durationMs !== null ? ` (${formatDuration(record.durationMs)})` : ''}`);
  if (record.nextRetryAt) lines.push(`Next retry:  ${formatInstant(record.nextRetryAt, zone)}`);
  const counts = countSummary(record.counts);
  if (counts) lines.push(`Counts:      ${counts}`);
  for (const f of record.files) lines.push(`File:        ${baseName(f.name)} (${f.bytes} bytes${f.rows !== undefined ? `, ${f.rows} rows` : ''})`);
  for (const d of record.deliveries) lines.push(`Delivery:    ${d.connection} → ${d.target}: ${d.status} (${d.mode})`);
  if (record.items.length > 0) {
    const by = new Map<string, number>();
    for (const i of record.items) by.set(i.status, (by.get(i.status) ?? 0) + 1);
    lines.push(`Items:       ${[...by].map(([s, n]) => `${n} ${s}`).join(', ')}`);
  }
  for (const n of record.notes) lines.push(`Note:        ${oneLine(n, 300)}`);
  lines.push(`Log:         ${record.logFile}`);
  return lines;
}

function build(subject: string, lines: string[], emoji: string, record: RunRecord, host: string): Alert {
  const header = `${emoji} *${escapeSlack(subject.replace(/^\[sisrelay\] /, ''))}*`;
  return slackAlert(subject, lines, header, `run ${record.runId} · ${host}`);
}

function slackAlert(subject: string, lines: string[], header: string, context: string): Alert {
  const text = `${lines.join('\n')}\n`;
  // The headline repeats the subject; the Slack body starts after it.
  const body = lines.slice(2).join('\n');
  return {
    subject,
    text,
    slack: {
      text: subject,
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: truncate(header, SLACK_TEXT_LIMIT) } },
        { type: 'divider' },
        { type: 'section', text: { type: 'mrkdwn', text: truncate('```' + escapeSlack(body) + '```', SLACK_TEXT_LIMIT) } },
        { type: 'context', elements: [{ type: 'mrkdwn', text: escapeSlack(context) }] },
      ],
    },
  };
}

/** "2026-11-22 03:15:00 CST (2026-11-22T09:15:00Z)": the job's wall clock first, then UTC. */
export function formatInstant(at: string | Date, zone: string): string {
  const d = typeof at === 'string' ? new Date(at) : at;
  if (Number.isNaN(d.getTime())) return String(at);
  const utc = `${d.toISOString().slice(0, 19)}Z`;
  if (zone === 'UTC' || zone === 'Etc/UTC') return `${utc.replace('T', ' ').replace('Z', '')} UTC`;
  const p = zonedParts(d, zone);
  return `${formatLocalDate(p)} ${pad2(p.hour)}:${pad2(p.minute)}:${pad2(p.second)} ${zoneAbbreviation(d, zone)} (${utc})`;
}

function countSummary(counts: Record<string, number>): string {
  return Object.entries(counts)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
}

function oneLine(text: string, max: number): string {
  return truncate(text.replace(/\s*\r?\n\s*/g, ' ').trim(), max);
}

function baseName(p: string): string {
  return p.split(/[\\/]/).pop() ?? p;
}

/** Slack mrkdwn needs only these three escaped. */
function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
