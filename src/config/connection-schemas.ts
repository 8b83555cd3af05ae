import type { ConnectionType } from './config-types.js';

/**
 * convict schemas of each connection type, as written in the config file (before secrets are
 * resolved and durations converted). Defaults for credentials are the environment variable names
 * the original scripts used, so a site can switch over without renaming secrets.
 */

const httpTuning = (defaults: { timeout: string; concurrency: number; ratePerSecond: number; retries: number }) => ({
  timeout: { doc: 'Per-request timeout.', format: 'duration', default: defaults.timeout },
  concurrency: { doc: 'Requests in flight at once.', format: 'positive-int', default: defaults.concurrency },
  ratePerSecond: { doc: 'Requests started per second across a run (0 = unlimited).', format: 'natural', default: defaults.ratePerSecond },
  retries: { doc: 'Retries of a request after a connection error, 429 or 5xx.', format: 'natural', default: defaults.retries },
  retryDelay: { doc: 'First retry delay; doubles each retry (Retry-After wins when given).', format: 'duration', default: '1s' },
});

const typeField = (t: ConnectionType) => ({ doc: 'Connection type.', format: [t], default: t });

export const connectionSchemas: Record<ConnectionType, Record<string, unknown>> = {
  oracle: {
    type: typeField('oracle'),
    connectString: { doc: 'host:port/service (Easy Connect).', format: 'string-or-ref', default: { env: 'POWERSCHOOL_PROD_DB' } },
    user: { doc: 'Read-only database user.', format: 'string-or-ref', default: { env: 'POWERSCHOOL_READ_USER' } },
    password: { doc: 'Database password (secret reference).', format: 'secret', default: { env: 'POWERSCHOOL_DB_PASSWORD' } },
    connectTimeout: { doc: 'Give up connecting after this.', format: 'duration', default: '20s' },
    callTimeout: { doc: 'Limit for any one database round trip.', format: 'duration', default: '10m' },
  },
  mssql: {
    type: typeField('mssql'),
    server: { doc: 'SQL Server host name.', format: 'string-or-ref', default: null },
    port: { doc: 'TCP port.', format: 'tcp-port', default: 1433 },
    database: { doc: 'Database name (e.g. PowerCampus_prd).', format: 'string-or-ref', default: null },
    user: { doc: 'SQL login.', format: 'string-or-ref', default: { env: 'MS_USER' } },
    password: { doc: 'SQL login password (secret reference).', format: 'secret', default: { env: 'MS_PW' } },
    encrypt: {
      doc: '"strict" (TDS 8, TLS before anything else), true (TLS required) or false (no TLS; test fixtures only). A connection that asked for TLS never continues without it.',
      // A named format, not [true, false, 'strict']: convict coerces strings for a key whose
      // default is a boolean, so "strict" (and "no") silently became true.
      format: 'tds-encrypt',
      default: true,
    },
    trustServerCertificate: { doc: "Accept the server's certificate without checking its chain (self-signed servers).", format: 'bool', default: false },
    connectTimeout: { doc: 'Give up connecting after this.', format: 'duration', default: '20s' },
    requestTimeout: { doc: 'Limit for one query.', format: 'duration', default: '10m' },
  },
  postgres: {
    type: typeField('postgres'),
    host: { doc: 'Host name.', format: 'string-or-ref', default: '127.0.0.1' },
    port: { doc: 'TCP port.', format: 'tcp-port', default: 5432 },
    database: { doc: 'Database name.', format: 'string-or-ref', default: null },
    user: { doc: 'User name.', format: 'string-or-ref', default: null },
    password: { doc: 'Password (secret reference) or null for trust/peer.', format: 'secret-or-null', default: null },
    ssl: { doc: 'Require TLS.', format: 'bool', default: false },
    connectTimeout: { doc: 'Give up connecting after this.', format: 'duration', default: '20s' },
    statementTimeout: { doc: 'Limit for one query.', format: 'duration', default: '10m' },
    copy: {
      doc: 'Stream query results with COPY (query) TO STDOUT (about 1.5x as fast as a cursor on a large extract; bind values then travel as escaped literals, as COPY takes no parameters); false = a server-side cursor, for PostgreSQL-compatible servers without COPY TO STDOUT.',
      format: 'bool',
      default: true,
    },
  },
  pglite: {
    type: typeField('pglite'),
    dataset: { doc: 'Synthetic system of record to generate: powerschool or powercampus (demo only).', format: ['powerschool', 'powercampus'], default: 'powerschool' },
    seed: { doc: 'Generator seed; the same seed gives the same data.', format: 'natural', default: 118 },
    students: { doc: 'Number of students to generate.', format: 'positive-int', default: 300 },
    snapshotDir: { doc: 'Where the generated database snapshot is cached; null = <stateDir>/pglite.', format: 'string-or-null', default: null },
    schoolYearStart: { doc: 'powerschool: first calendar year of the generated school year; null = the school year containing today.', format: 'natural-or-null', default: null },
    academicYear: { doc: 'powercampus: ACADEMIC_YEAR of the generated term; null = the current year.', format: 'string-or-null', default: null },
    academicTerm: { doc: 'powercampus: ACADEMIC_TERM of the generated term; null = the current term.', format: [null, 'Winter', 'Spring', 'Summer', 'Fall'], default: null },
    courses: { doc: 'powercampus: courses offered in the generated term.', format: 'positive-int', default: 30 },
  },
  sftp: {
    type: typeField('sftp'),
    host: { doc: 'Server host name or address.', format: 'string-or-ref', default: null },
    port: { doc: 'TCP port (LittleSIS uses 2225, Conduit 22222).', format: 'tcp-port', default: 22 },
    username: { doc: 'Login name.', format: 'string-or-ref', default: null },
    password: { doc: 'Password (secret reference); null when using a key.', format: 'secret-or-null', default: null },
    privateKey: { doc: 'Private key (secret reference to the key file or credential); null when using a password.', format: 'secret-or-null', default: null },
    passphrase: { doc: 'Passphrase of the private key (secret reference) or null.', format: 'secret-or-null', default: null },
    hostKey: {
      doc: "The server's pinned host key: a known_hosts line, \"ssh-ed25519 AAAA...\", or an OpenSSH fingerprint \"SHA256:...\". Set this or knownHostsFile; verification cannot be turned off.",
      format: 'string-or-null',
      default: null,
    },
    knownHostsFile: { doc: 'A known_hosts file holding the server key (alternative to hostKey).', format: 'string-or-null', default: null },
    connectTimeout: { doc: 'Give up connecting after this.', format: 'duration', default: '20s' },
    retries: { doc: 'Retries of a transfer after a transient failure (connection refused or lost).', format: 'natural', default: 3 },
    retryDelay: { doc: 'First retry delay; doubles each retry.', format: 'duration', default: '5s' },
    tempDir: { doc: 'Remote directory for temporary upload names (default: beside the target).', format: 'string-or-null', default: null },
  },
  local: {
    type: typeField('local'),
    path: { doc: 'Root directory; remote paths are relative to it. Relative paths resolve against the config file.', format: 'nonempty-string', default: null },
    create: { doc: 'Create the directory if it does not exist.', format: 'bool', default: false },
  },
  moodle: {
    type: typeField('moodle'),
    url: { doc: 'Moodle site URL, e.g. https://moodle.example.edu/', format: 'string-or-ref', default: null },
    token: { doc: 'Web-services token (secret reference); sent only in POST bodies.', format: 'secret', default: { env: 'MDL_TOKEN' } },
    ...httpTuning({ timeout: '60s', concurrency: 8, ratePerSecond: 0, retries: 3 }),
  },
  alma: {
    type: typeField('alma'),
    url: { doc: 'Alma API gateway for your region.', format: 'string-or-ref', default: 'https://api-na.hosted.exlibrisgroup.com' },
    apiKey: { doc: 'API key (secret reference); sent only in the Authorization header.', format: 'secret', default: { env: 'ALMA_API_KEY' } },
    minRemaining: { doc: 'Stop before X-Exl-Api-Remaining falls below this many calls.', format: 'natural', default: 1000 },
    ...httpTuning({ timeout: '60s', concurrency: 10, ratePerSecond: 20, retries: 3 }),
  },
  smtp: {
    type: typeField('smtp'),
    host: { doc: 'Mail relay host.', format: 'string-or-ref', default: null },
    port: { doc: 'Port (587 submission with STARTTLS, 465 implicit TLS, 25 relay).', format: 'tcp-port', default: 587 },
    secure: { doc: 'Implicit TLS (port 465).', format: 'bool', default: false },
    requireTls: { doc: 'Refuse to send unless STARTTLS succeeds.', format: 'bool', default: true },
    user: { doc: 'SMTP AUTH user (or null for an open relay).', format: 'string-or-ref-or-null', default: null },
    password: { doc: 'SMTP AUTH password (secret reference) or null.', format: 'secret-or-null', default: null },
    from: { doc: 'From address, e.g. "sisrelay <sisrelay@district.org>".', format: 'nonempty-string', default: null },
    timeout: { doc: 'Connection and command timeout.', format: 'duration', default: '30s' },
  },
  slack: {
    type: typeField('slack'),
    webhookUrl: { doc: 'Incoming-webhook URL (secret reference: the URL is the credential).', format: 'secret', default: { env: 'SLACK_WEBHOOK_URL' } },
    timeout: { doc: 'Request timeout.', format: 'duration', default: '15s' },
  },
};

/** Keys of each type that hold secrets: resolved values are added to the redaction list. */
export const SECRET_KEYS: Record<ConnectionType, readonly string[]> = {
  oracle: ['password'],
  mssql: ['password'],
  postgres: ['password'],
  pglite: [],
  sftp: ['password', 'privateKey', 'passphrase'],
  local: [],
  moodle: ['token'],
  alma: ['apiKey'],
  smtp: ['password'],
  slack: ['webhookUrl'],
};

export const CONNECTION_TYPES = Object.keys(connectionSchemas) as ConnectionType[];
