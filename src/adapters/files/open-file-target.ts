/** Builds the FileTarget for a named `sftp` or `local` connection. */
import type { FileTarget } from '../adapter-types.js';
import type { NamedConnection } from '../../config/config-types.js';
import { SisrelayError } from '../../errors/sisrelay-error.js';
import type { JobLogger } from '../../jobs/job-types.js';
import type { Redactor } from '../../util/redactor.js';
import { LocalTarget } from './local-target.js';
import { SftpTarget } from './sftp-target.js';

export interface OpenFileTargetOptions {
  /** Scrubs secrets from driver text before it reaches an error or a log line. */
  redactor: Redactor;
  log: JobLogger;
}

/**
 * Nothing is connected yet: the first operation (or `connect()`) does that. Config problems that
 * need no I/O (no credentials, no or two host-key pins, an unparsable hostKey) throw
 * CONFIG_INVALID here.
 */
export function openFileTarget(conn: NamedConnection, opts: OpenFileTargetOptions): FileTarget {
  switch (conn.type) {
    case 'sftp':
      return new SftpTarget(conn, opts);
    case 'local':
      return new LocalTarget(conn, opts);
    default:
      throw new SisrelayError(
        'CONFIG_INVALID',
        `connection "${conn.name}" is of type ${conn.type}; a file destination must be of type sftp or local`,
      );
  }
}
