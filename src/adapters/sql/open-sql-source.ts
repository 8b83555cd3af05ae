import type { NamedConnection } from '../../config/config-types.js';
import { SisrelayError } from '../../errors/sisrelay-error.js';
import type { Redactor } from '../../util/redactor.js';
import type { SqlSource } from '../adapter-types.js';
import { MssqlSource } from './mssql-source.js';
import { OracleSource } from './oracle-source.js';
import { PgliteSource } from './pglite-source.js';
import { PostgresSource } from './postgres-source.js';

/**
 * The SqlSource for a configured connection. Nothing connects here, and no driver is loaded:
 * each source imports its driver inside connect(), so an Oracle job never loads mssql or pg
 * (each run is a fresh process, and loading all four drivers costs ~1 s of every run's start).
 * Calling stream()/all() before connect() connects first.
 */
export function openSqlSource(conn: NamedConnection, opts: { redactor: Redactor }): SqlSource {
  switch (conn.type) {
    case 'postgres':
      return new PostgresSource(conn, opts);
    case 'mssql':
      return new MssqlSource(conn, opts);
    case 'oracle':
      return new OracleSource(conn, opts);
    case 'pglite':
      return new PgliteSource(conn, opts);
    default:
      throw new SisrelayError(
        'CONFIG_INVALID',
        `connection "${conn.name}" is of type ${conn.type}, not a SQL source (oracle, mssql, postgres or pglite)`,
      );
  }
}
