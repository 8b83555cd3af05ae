/**
 * convict schema of the `daemon` section. `doc` strings are the config reference (the README's
 * table is generated from them by `sisrelay config-reference`).
 */
export const daemonSchema = {
  timezone: {
    doc: 'Default IANA time zone for jobs that do not set their own. The host zone is never used.',
    format: 'timezone',
    default: 'America/Chicago',
  },
  stateDir: {
    doc: 'Run directories (records, run logs, local copies of generated files) and scheduler state. Relative paths resolve against the config file.',
    format: 'nonempty-string',
    default: '/var/lib/sisrelay',
  },
  logDir: {
    doc: 'The daemon log (sisrelay.log) and one <job>.log link per job that always points at its latest run log.',
    format: 'nonempty-string',
    default: '/var/log/sisrelay',
  },
  dataDir: {
    doc: "Job data files (course mappings live in <dataDir>/mappings). null = the installed package's data/ directory.",
    format: 'string-or-null',
    default: null as string | null,
  },
  logLevel: {
    doc: 'Lowest level written to the daemon log and run logs.',
    format: ['error', 'warn', 'info', 'debug'],
    default: 'info',
  },
  shutdownGrace: {
    doc: 'On SIGTERM, how long running runs may finish before they are killed and recorded as cancelled. Keep it below the unit\'s TimeoutStopSec.',
    format: 'duration',
    default: '60s',
  },
  missedTolerance: {
    doc: 'How late a timer may fire (event-loop stall, clock step) and still run its slot instead of recording it missed.',
    format: 'duration',
    default: '10m',
  },
  maxConcurrentRuns: {
    doc: 'Run processes allowed at once across all jobs; further runs wait their turn.',
    format: 'positive-int',
    default: 4,
  },
  watchConfig: {
    doc: 'Also reload when the config file changes on disk (SIGHUP always reloads).',
    format: 'bool',
    default: false,
  },
  retention: {
    maxAge: {
      doc: 'Run directories older than this are deleted (jobs may override with their own retention).',
      format: 'duration',
      default: '42d',
    },
    schedule: {
      doc: 'When the retention cleanup runs (cron, in the daemon time zone).',
      format: 'cron-required',
      default: '17 4 * * *',
    },
  },
  http: {
    enabled: {
      doc: 'Serve /healthz and /metrics (Prometheus) on a loopback address.',
      format: 'bool',
      default: false,
    },
    host: {
      doc: 'Listen address; must be loopback (127.0.0.1 or ::1).',
      format: 'nonempty-string',
      default: '127.0.0.1',
    },
    port: {
      doc: 'Listen port.',
      format: 'tcp-port-or-zero',
      default: 9464,
    },
  },
  notifications: {
    emailConnection: {
      doc: 'Name of the smtp connection used for alerts (null = no e-mail alerts).',
      format: 'string-or-null',
      default: null as string | null,
    },
    emailTo: {
      doc: 'Default alert recipients (jobs may override with alerts.emailTo).',
      format: 'email-list',
      default: [] as string[],
    },
    slackConnection: {
      doc: 'Name of the slack connection used for alerts (null = no Slack alerts).',
      format: 'string-or-null',
      default: null as string | null,
    },
  },
};

export const jobSchema = {
  type: {
    doc: 'Job type (littlesis-roster, clever-demographics, moodle-enrollments, samegoal-demographics, leganto-courses, leganto-rollover-report). Defaults to the job name.',
    format: 'string-or-null',
    default: null as string | null,
  },
  description: { doc: 'Free text shown by `sisrelay jobs`.', format: String, default: '' },
  enabled: { doc: 'Disabled jobs are validated but never scheduled (they can still be run by hand).', format: 'bool', default: true },
  schedule: {
    doc: '5-field cron expression in the job time zone (minute hour day-of-month month day-of-week); null = run only by hand or by an external scheduler.',
    format: 'cron',
    default: null as string | null,
  },
  timezone: { doc: 'IANA time zone of the schedule and of dates in file names; null = daemon.timezone.', format: 'timezone-or-null', default: null as string | null },
  timeout: { doc: 'A run still going after this is sent SIGTERM, then SIGKILL after killGrace; recorded as timed_out.', format: 'duration', default: '1h' },
  killGrace: { doc: 'Time between SIGTERM and SIGKILL on timeout or shutdown.', format: 'duration', default: '15s' },
  maxMemoryMb: { doc: 'Heap limit of the run process (V8 --max-old-space-size); exceeding it fails the run with RUN_OUT_OF_MEMORY.', format: 'positive-int', default: 1024 },
  retries: {
    max: { doc: 'Retries after a transient failure (connection refused, timeout, HTTP 429/5xx). Permanent errors are never retried.', format: 'natural', default: 2 },
    initialDelay: { doc: 'Delay before the first retry; doubles each time.', format: 'duration', default: '1m' },
    maxDelay: { doc: 'Upper bound of the retry delay.', format: 'duration', default: '15m' },
  },
  overlap: {
    doc: 'When a slot comes while the previous run is still going: skip (record a skipped run) or queue (run once after it).',
    format: ['skip', 'queue'],
    default: 'skip',
  },
  catchUp: {
    doc: 'After downtime, run once on start if the last slot within this window was missed (like systemd Persistent=). null or "0s" = never.',
    format: 'duration-or-null',
    default: null as string | null,
  },
  runOnStart: { doc: 'Run once every time the daemon starts (the demo uses this).', format: 'bool', default: false },
  retention: { doc: "How long this job's run directories are kept; null = daemon.retention.maxAge.", format: 'duration-or-null', default: null as string | null },
  alerts: {
    onFailure: { doc: 'Alert when a run ends failed, timed_out or interrupted (after its last retry).', format: 'bool', default: true },
    onSuccess: { doc: 'Also announce successful runs.', format: 'bool', default: false },
    deadline: { doc: '"HH:MM" in the job zone: alert if the latest slot before it has no successful run by then.', format: 'deadline-or-null', default: null as string | null },
    email: { doc: 'Send this job\'s alerts by e-mail (daemon.notifications.emailConnection).', format: 'bool', default: true },
    slack: { doc: 'Send this job\'s alerts to Slack (daemon.notifications.slackConnection).', format: 'bool', default: true },
    emailTo: { doc: 'Recipients for this job instead of daemon.notifications.emailTo.', format: 'email-list-or-null', default: null as string[] | null },
  },
  params: { doc: 'Job-type-specific settings; see the job sections of the README.', format: Object, default: {} as Record<string, unknown> },
};

export const sandboxSchema = {
  enabled: { doc: 'Start the embedded demo services (never in production).', format: 'bool', default: true },
  moodle: {
    port: { doc: 'Loopback port of the sandbox Moodle web services (0 = none).', format: 'tcp-port-or-zero', default: 0 },
    connection: { doc: 'The moodle connection that points at it.', format: 'string-or-null', default: null as string | null },
  },
  alma: {
    port: { doc: 'Loopback port of the sandbox Alma API (0 = none).', format: 'tcp-port-or-zero', default: 0 },
    connection: { doc: 'The alma connection that points at it.', format: 'string-or-null', default: null as string | null },
  },
  smtp: {
    port: { doc: 'Loopback port of the sandbox mail relay (0 = none).', format: 'tcp-port-or-zero', default: 0 },
    maildir: { doc: 'Where the sandbox relay writes received mail (.eml).', format: 'string-or-null', default: null as string | null },
  },
  slack: {
    port: { doc: 'Loopback port of the sandbox Slack webhook (0 = none).', format: 'tcp-port-or-zero', default: 0 },
    dir: { doc: 'Where the sandbox webhook writes received payloads (.json).', format: 'string-or-null', default: null as string | null },
  },
  cem: {
    seed: { doc: 'Seed of the CEM export the sandbox writes each day for the leganto jobs.', format: 'natural', default: 2026 },
    rows: { doc: 'Rows in that export.', format: 'positive-int', default: 400 },
  },
};
