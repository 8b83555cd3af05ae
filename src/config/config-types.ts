/**
 * The validated, resolved configuration: what the loader hands to the daemon, the runner and
 * (for one job) to a run process. Secrets are already resolved to their values here; they are
 * listed in `Config.secrets` so every output path can redact them.
 *
 * Durations are milliseconds, zones are validated IANA names, cron expressions are validated
 * 5-field node-cron patterns. The raw file format (durations as "15m", secrets as
 * `{ "env": "NAME" }`) is documented in config/example.json and the README.
 */

export type ConnectionType =
  | 'oracle'
  | 'mssql'
  | 'postgres'
  | 'pglite'
  | 'sftp'
  | 'local'
  | 'moodle'
  | 'alma'
  | 'smtp'
  | 'slack';

export const SQL_CONNECTION_TYPES = ['oracle', 'mssql', 'postgres', 'pglite'] as const satisfies readonly ConnectionType[];
export const FILE_CONNECTION_TYPES = ['sftp', 'local'] as const satisfies readonly ConnectionType[];

export interface OracleConnection {
  type: 'oracle';
  /** host:port/service, as the original POWERSCHOOL_PROD_DB. */
  connectString: string;
  user: string;
  password: string;
  connectTimeoutMs: number;
  /** Per round-trip limit (oracledb callTimeout). */
  callTimeoutMs: number;
}

export interface MssqlConnection {
  type: 'mssql';
  server: string;
  port: number;
  database: string;
  user: string;
  password: string;
  /** 'strict' = TDS 8 (TLS before login); true = TLS required; false = no TLS (test fixtures only). */
  encrypt: boolean | 'strict';
  trustServerCertificate: boolean;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
}

export interface PostgresConnection {
  type: 'postgres';
  host: string;
  port: number;
  database: string;
  user: string;
  password: string | null;
  ssl: boolean;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  /** Stream query results with COPY (query) TO STDOUT; false = through a server-side cursor. */
  copy: boolean;
}

/** Embedded PostgreSQL (PGlite) holding a generated dataset: the demo's system of record. */
export interface PgliteConnection {
  type: 'pglite';
  /** Which synthetic system of record to generate. */
  dataset: 'powerschool' | 'powercampus';
  /** Generator seed: the same seed gives the same bytes. */
  seed: number;
  /** Size: students (powerschool) or students (powercampus). */
  students: number;
  /** Where the generated snapshot is cached between runs (under the state dir by default). */
  snapshotDir: string | null;
  /** powerschool: first calendar year of the school year to generate; null = the one containing today. */
  schoolYearStart: number | null;
  /** powercampus: ACADEMIC_YEAR / ACADEMIC_TERM to generate; null = the term containing today. */
  academicYear: string | null;
  academicTerm: 'Winter' | 'Spring' | 'Summer' | 'Fall' | null;
  /** powercampus: courses offered in the term. */
  courses: number;
}

export interface SftpConnection {
  type: 'sftp';
  host: string;
  port: number;
  username: string;
  password: string | null;
  privateKey: string | null;
  passphrase: string | null;
  /**
   * Pinned host key: a known_hosts line (`[host]:port ssh-ed25519 AAAA...`), a bare
   * `ssh-ed25519 AAAA...` key, or an OpenSSH fingerprint `SHA256:...`. Exactly one of hostKey
   * and knownHostsFile is set; there is no way to turn verification off.
   */
  hostKey: string | null;
  knownHostsFile: string | null;
  connectTimeoutMs: number;
  /** Transient-failure retries inside one delivery. */
  retries: number;
  retryDelayMs: number;
  /** Directory for temporary upload names (default: beside the target). */
  tempDir: string | null;
}

export interface LocalConnection {
  type: 'local';
  /** Root directory; remote paths in job params are relative to it. */
  path: string;
  /** Create the root directory if missing (demo, dry runs). */
  create: boolean;
}

export interface HttpTuning {
  timeoutMs: number;
  concurrency: number;
  /** Requests per second across the run (0 = unlimited). */
  ratePerSecond: number;
  retries: number;
  retryDelayMs: number;
}

export interface MoodleConnection extends HttpTuning {
  type: 'moodle';
  /** Site base URL, e.g. https://moodle.example.edu/ (the REST endpoint is appended). */
  url: string;
  token: string;
}

export interface AlmaConnection extends HttpTuning {
  type: 'alma';
  /** API gateway base, e.g. https://api-na.hosted.exlibrisgroup.com */
  url: string;
  apiKey: string;
  /** Stop before X-Exl-Api-Remaining falls below this. */
  minRemaining: number;
}

export interface SmtpConnection {
  type: 'smtp';
  host: string;
  port: number;
  /** Implicit TLS (465). */
  secure: boolean;
  /** Refuse to send unless STARTTLS succeeds. */
  requireTls: boolean;
  user: string | null;
  password: string | null;
  from: string;
  timeoutMs: number;
}

export interface SlackConnection {
  type: 'slack';
  /** Incoming-webhook URL; a secret (the URL is the credential). */
  webhookUrl: string;
  timeoutMs: number;
}

export type ConnectionConfig =
  | OracleConnection
  | MssqlConnection
  | PostgresConnection
  | PgliteConnection
  | SftpConnection
  | LocalConnection
  | MoodleConnection
  | AlmaConnection
  | SmtpConnection
  | SlackConnection;

export type ConnectionOf<T extends ConnectionType> = Extract<ConnectionConfig, { type: T }>;

/** A connection with its config name attached (what adapters and the child receive). */
export type NamedConnection<T extends ConnectionConfig = ConnectionConfig> = T & { name: string };

export type OverlapPolicy = 'skip' | 'queue';

export interface RetryPolicy {
  /** Retries after the first attempt (0 = none). */
  max: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

export interface JobAlerts {
  onFailure: boolean;
  onSuccess: boolean;
  /** "HH:MM" in the job's zone: alert when the latest slot before it has no successful run. */
  deadline: string | null;
  email: boolean;
  slack: boolean;
  /** Overrides the daemon's default recipients for this job. */
  emailTo: string[] | null;
}

export interface JobConfig {
  name: string;
  type: string;
  description: string;
  enabled: boolean;
  /** 5-field cron in `timezone`; null = manual/external scheduler only. */
  schedule: string | null;
  timezone: string;
  timeoutMs: number;
  /** SIGTERM → this grace → SIGKILL. */
  killGraceMs: number;
  /** V8 old-space limit for the run process. */
  maxMemoryMb: number;
  retries: RetryPolicy;
  overlap: OverlapPolicy;
  /** Catch-up window: run once on start if the last slot inside it was missed. 0 = none. */
  catchUpMs: number;
  /** Run once when the daemon starts (demo). */
  runOnStart: boolean;
  retentionMs: number;
  alerts: JobAlerts;
  /** Validated by the job type's params schema. */
  params: Record<string, unknown>;
  /** Connection names this job uses (from its params), each checked at load. */
  connections: string[];
}

export interface NotificationDefaults {
  email: { connection: string; to: string[] } | null;
  slack: { connection: string } | null;
}

export interface DaemonConfig {
  /** Default zone for jobs without their own. Never the host zone. */
  timezone: string;
  stateDir: string;
  logDir: string;
  logLevel: 'error' | 'warn' | 'info' | 'debug';
  /** Directory holding data/mappings and other job data files. */
  dataDir: string;
  /** SIGTERM: how long running runs may finish before they are killed. */
  shutdownGraceMs: number;
  /** How late a timer may fire and still run its slot (node-cron missedExecutionTolerance). */
  missedToleranceMs: number;
  maxConcurrentRuns: number;
  watchConfig: boolean;
  retention: { maxAgeMs: number; schedule: string };
  http: { enabled: boolean; host: string; port: number };
  notifications: NotificationDefaults;
}

/** Embedded sandbox services for the demo (never in production configs). */
export interface SandboxConfig {
  enabled: boolean;
  moodle: { port: number; token: string; connection: string } | null;
  alma: { port: number; apiKey: string; connection: string } | null;
  smtp: { port: number; maildir: string } | null;
  slack: { port: number; dir: string } | null;
  /** The CEM export the sandbox writes daily for the leganto jobs. */
  cem: { seed: number; rows: number };
}

export interface Config {
  /** Absolute path of the file this came from. */
  file: string;
  /** Directory of the config file (relative paths in it resolve against this). */
  baseDir: string;
  daemon: DaemonConfig;
  connections: Record<string, NamedConnection>;
  jobs: Record<string, JobConfig>;
  sandbox: SandboxConfig | null;
  /** Every resolved secret value, for redaction. Never logged. */
  secrets: string[];
  /** Non-fatal findings (DST hazards, deprecated keys), one line each. */
  warnings: string[];
}

/** One validation problem; `sisrelay validate` prints one per line. */
export interface ConfigProblem {
  /** Key path, e.g. `jobs.moodle-enrollments.schedule` or `data/mappings/x.json: "BIO101".id`. */
  path: string;
  /** What was expected and what was found. */
  message: string;
}
