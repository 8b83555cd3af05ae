/**
 * The error-code catalogue. Every error sisrelay records carries one of these codes.
 *
 * `transient: true` means "the same run may succeed if retried later" (network, timeouts,
 * deadlocks, rate limits); the runner retries those with backoff up to the job's limit.
 * Everything else is permanent: bad credentials, bad SQL, bad data and guards are never retried,
 * because repeating them only repeats the damage or the lock-out.
 *
 * Codes are stable: they appear in run records, alerts and metrics, and admins grep for them.
 * A retired code must not be reused for a different meaning. The README's error table is checked
 * against this list by test/docs/readme-generated.test.ts.
 */
export const ERROR_CODES = {
  // configuration
  CONFIG_INVALID: { transient: false, summary: 'the config file failed validation' },
  CONFIG_UNREADABLE: { transient: false, summary: 'the config file or a file it names could not be read' },
  SECRET_MISSING: { transient: false, summary: 'a secret named in the config is not set in the environment or credentials directory' },
  JOB_UNKNOWN: { transient: false, summary: 'no job of that name in the config' },

  // SQL sources
  SQL_CONNECT_REFUSED: { transient: true, summary: 'the database refused or reset the connection' },
  SQL_CONNECT_TIMEOUT: { transient: true, summary: 'the database did not answer in time' },
  SQL_CONNECTION_LOST: { transient: true, summary: 'the database connection dropped mid-query' },
  SQL_LOGIN_FAILED: { transient: false, summary: 'the database rejected the login' },
  SQL_QUERY_FAILED: { transient: false, summary: 'the database rejected the statement' },
  SQL_QUERY_TIMEOUT: { transient: true, summary: 'a query ran past its timeout' },
  SQL_DEADLOCK: { transient: true, summary: 'the database chose this query as a deadlock victim' },
  SQL_ENCRYPTION_REQUIRED: { transient: false, summary: 'the database would not encrypt a connection that requires encryption' },

  // file transfer (SFTP and local)
  SFTP_HOST_KEY_MISMATCH: { transient: false, summary: "the SFTP server's host key does not match the configured key" },
  SFTP_AUTH_FAILED: { transient: false, summary: 'the SFTP server rejected the login' },
  SFTP_CONNECT_FAILED: { transient: true, summary: 'the SFTP server could not be reached' },
  SFTP_CONNECTION_LOST: { transient: true, summary: 'the SFTP connection dropped during a transfer' },
  TRANSFER_PERMISSION_DENIED: { transient: false, summary: 'the destination refused the write' },
  TRANSFER_NO_SUCH_PATH: { transient: false, summary: 'a remote or local directory does not exist' },
  TRANSFER_FAILED: { transient: true, summary: 'a file transfer failed' },
  TRANSFER_TARGET_EXISTS: { transient: false, summary: 'the target already exists where a new name was required' },
  INPUT_NOT_FOUND: { transient: false, summary: 'the expected input file was not found' },

  // HTTP services
  HTTP_TIMEOUT: { transient: true, summary: 'an HTTP request timed out' },
  HTTP_CONNECTION: { transient: true, summary: 'an HTTP connection failed' },
  HTTP_SERVER_ERROR: { transient: true, summary: 'the service answered 5xx' },
  HTTP_RATE_LIMITED: { transient: true, summary: 'the service answered 429 Too Many Requests' },
  HTTP_CLIENT_ERROR: { transient: false, summary: 'the service answered 4xx' },
  HTTP_BAD_RESPONSE: { transient: false, summary: 'the service answered with a body that could not be understood' },
  MOODLE_EXCEPTION: { transient: false, summary: 'Moodle answered with an exception body' },
  ALMA_QUOTA_LOW: { transient: false, summary: "Alma's remaining daily API calls fell below the safety floor" },
  ALMA_ERROR: { transient: false, summary: 'Alma answered with an error body' },

  // notifications
  MAIL_FAILED: { transient: true, summary: 'an e-mail could not be sent' },
  SLACK_FAILED: { transient: true, summary: 'a Slack message could not be posted' },

  // data and guards
  DATA_INVALID: { transient: false, summary: 'input data broke a rule the job depends on' },
  DATA_ENCODING: { transient: false, summary: 'characters could not be encoded in the configured output encoding' },
  GUARD_EXTRACT_DROP: { transient: false, summary: 'the extract shrank past the configured share against the last success; delivery held' },
  GUARD_DROP_LIMIT: { transient: false, summary: 'the sync would drop more enrollments than allowed; delivery held' },
  GUARD_EMPTY_SOURCE: { transient: false, summary: 'the source returned no rows; delivery held' },
  MAPPING_INVALID: { transient: false, summary: 'a course mapping file is invalid' },

  // runs (set by the runner, never thrown by jobs)
  RUN_TIMED_OUT: { transient: false, summary: 'the run exceeded its timeout and was killed' },
  RUN_CANCELLED: { transient: false, summary: 'the run was cancelled (daemon shutdown or operator)' },
  RUN_INTERRUPTED: { transient: false, summary: 'the daemon stopped while the run was in progress' },
  RUN_CRASHED: { transient: false, summary: 'the run process died from a signal' },
  RUN_EXITED: { transient: false, summary: 'the run process exited without reporting a result' },
  RUN_OUT_OF_MEMORY: { transient: false, summary: 'the run process ran out of memory' },
  RUN_SPAWN_FAILED: { transient: true, summary: 'the run process could not be started' },
  INTERNAL_ERROR: { transient: false, summary: 'an unexpected error inside sisrelay' },
} as const satisfies Record<string, { transient: boolean; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}
