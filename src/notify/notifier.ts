import type { JobConfig, NamedConnection, NotificationDefaults, SlackConnection, SmtpConnection } from '../config/config-types.js';
import type { Alert } from './alert-message.js';
import { sendMail } from './mailer.js';
import { postSlack } from './slack.js';

export type AlertKind = 'failure' | 'success' | 'deadline';

export interface ChannelResult {
  channel: 'email' | 'slack';
  ok: boolean;
  error?: string;
}

/** The few logger methods the notifier uses (the daemon's logger and JobLogger both fit). */
export interface NotifierLogger {
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
}

export interface NotifierOptions {
  connections: Record<string, NamedConnection>;
  defaults: NotificationDefaults;
  redact: (text: string) => string;
  logger: NotifierLogger;
  /**
   * Upper bound per channel (default: the connection's own timeout plus 5 s). An alert must not
   * hold up the scheduler's bookkeeping behind a mail server that accepts and then stalls.
   */
  channelTimeoutMs?: number;
}

/**
 * Sends alerts to the channels a job asks for. It never throws: a failing channel (550, bad
 * login, webhook 500, connection refused, timeout) is logged and returned as `{ ok: false }`, so
 * the caller's run record and schedule are never broken by an alert failure. Channels are sent
 * concurrently, each under its own timeout.
 *
 * Routing: the job's `alerts.onFailure` / `alerts.onSuccess` decide whether a failure/success
 * alert is sent at all (deadline alerts are sent whenever the caller asks: it only asks when the
 * job has a deadline); `alerts.email` / `alerts.slack` pick the channels, and a channel needs the
 * daemon's default connection for it. E-mail goes to `alerts.emailTo` when set, else to the
 * daemon's default recipients.
 */
export class Notifier {
  readonly #o: NotifierOptions;

  constructor(options: NotifierOptions) {
    this.#o = options;
  }

  async notify(job: JobConfig, alert: Alert, kind: AlertKind): Promise<ChannelResult[]> {
    try {
      if (kind === 'failure' && !job.alerts.onFailure) return [];
      if (kind === 'success' && !job.alerts.onSuccess) return [];
      const sends: Array<Promise<ChannelResult>> = [];
      const { email, slack } = this.#o.defaults;
      if (job.alerts.email && email) {
        const to = job.alerts.emailTo ?? email.to;
        sends.push(this.#run('email', job, kind, email.connection, (conn) => this.#email(conn, to, alert)));
      }
      if (job.alerts.slack && slack) {
        sends.push(this.#run('slack', job, kind, slack.connection, (conn) => this.#slack(conn, alert)));
      }
      return await Promise.all(sends);
    } catch (err) {
      // Only a bug could land here (every channel catches its own failure); still never throw.
      const msg = this.#safe(err);
      this.#log('warn', `alert ${kind} for job ${job.name} could not be routed: ${msg}`, { job: job.name, kind });
      return [];
    }
  }

  async #run(
    channel: ChannelResult['channel'],
    job: JobConfig,
    kind: AlertKind,
    connectionName: string,
    send: (conn: NamedConnection) => Promise<void>,
  ): Promise<ChannelResult> {
    const meta = { job: job.name, kind, channel, connection: connectionName };
    const conn = this.#o.connections[connectionName];
    const wanted = channel === 'email' ? 'smtp' : 'slack';
    if (!conn || conn.type !== wanted) {
      const error = `connection "${connectionName}" is ${conn ? `a ${conn.type} connection, not ${wanted}` : 'not defined'}`;
      this.#log('warn', `alert ${kind} for job ${job.name} via ${channel} not sent: ${error}`, meta);
      return { channel, ok: false, error };
    }
    const limit = this.#o.channelTimeoutMs ?? ('timeoutMs' in conn ? conn.timeoutMs : 30_000) + 5_000;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        send(conn),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no result within ${limit} ms`)), limit);
        }),
      ]);
      this.#log('info', `alert ${kind} for job ${job.name} sent via ${channel}`, meta);
      return { channel, ok: true };
    } catch (err) {
      const error = this.#safe(err);
      this.#log('warn', `alert ${kind} for job ${job.name} via ${channel} failed: ${error}`, meta);
      return { channel, ok: false, error };
    } finally {
      clearTimeout(timer);
    }
  }

  async #email(conn: NamedConnection, to: string[], alert: Alert): Promise<void> {
    const result = await sendMail(conn as NamedConnection<SmtpConnection>, { to, subject: alert.subject, text: alert.text }, { redact: this.#o.redact });
    if (result.rejected.length > 0) {
      // Partly delivered: the admin who did get it will not know the others did not.
      throw new Error(`the server refused ${result.rejected.join(', ')} (delivered to ${result.accepted.join(', ') || 'nobody'})`);
    }
  }

  async #slack(conn: NamedConnection, alert: Alert): Promise<void> {
    await postSlack(conn as NamedConnection<SlackConnection>, alert.slack, { redact: this.#o.redact });
  }

  #safe(err: unknown): string {
    const code = typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string' ? `${(err as { code: string }).code}: ` : '';
    const msg = err instanceof Error ? err.message : String(err);
    try {
      return this.#o.redact(`${code}${msg}`);
    } catch {
      return `${code}(message withheld: the redactor failed)`;
    }
  }

  #log(level: 'info' | 'warn', message: string, meta: Record<string, unknown>): void {
    try {
      this.#o.logger[level](message, meta);
    } catch {
      // A broken logger must not turn into a thrown alert.
    }
  }
}
