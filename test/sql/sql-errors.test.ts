import { describe, expect, it } from 'vitest';
import {
  classifyMssqlError,
  classifyOracleError,
  classifyPgError,
  describeConnection,
  toSqlError,
  type SqlConnectionFacts,
  type SqlPhase,
} from '../../src/adapters/sql/sql-errors.js';
import type { ErrorCode } from '../../src/errors/error-codes.js';
import { serializeError } from '../../src/errors/serialize-error.js';
import { Redactor } from '../../src/util/redactor.js';

/** Error objects shaped like the ones each driver really produces (fields as observed). */
const err = (message: string, fields: Record<string, unknown> = {}): Error => Object.assign(new Error(message), fields);

type Case = [string, unknown, SqlPhase, ErrorCode];

const PG_CASES: Case[] = [
  ['28P01 bad password', err('password authentication failed for user "app"', { code: '28P01', severity: 'FATAL' }), 'connect', 'SQL_LOGIN_FAILED'],
  ['28000 no pg_hba entry', err('no pg_hba.conf entry for host "10.0.0.5"', { code: '28000' }), 'connect', 'SQL_LOGIN_FAILED'],
  ['3D000 unknown database', err('database "nope" does not exist', { code: '3D000' }), 'connect', 'SQL_LOGIN_FAILED'],
  ['42P01 unknown table', err('relation "nope" does not exist', { code: '42P01' }), 'query', 'SQL_QUERY_FAILED'],
  ['42601 syntax', err('syntax error at or near "FORM"', { code: '42601' }), 'query', 'SQL_QUERY_FAILED'],
  ['22003 out of range', err('bigint out of range', { code: '22003' }), 'query', 'SQL_QUERY_FAILED'],
  ['57014 statement timeout', err('canceling statement due to statement timeout', { code: '57014' }), 'query', 'SQL_QUERY_TIMEOUT'],
  ['40P01 deadlock', err('deadlock detected', { code: '40P01' }), 'query', 'SQL_DEADLOCK'],
  ['57P01 terminated by admin mid-query', err('terminating connection due to administrator command', { code: '57P01' }), 'query', 'SQL_CONNECTION_LOST'],
  ['57P03 starting up', err('the database system is starting up', { code: '57P03' }), 'connect', 'SQL_CONNECT_REFUSED'],
  ['ECONNREFUSED', err('connect ECONNREFUSED 127.0.0.1:5432', { code: 'ECONNREFUSED', errno: -111, syscall: 'connect' }), 'connect', 'SQL_CONNECT_REFUSED'],
  ['AggregateError of refusals', Object.assign(new AggregateError([err('x', { code: 'ECONNREFUSED' })], ''), {}), 'connect', 'SQL_CONNECT_REFUSED'],
  ['connect timeout', err('Connection terminated due to connection timeout'), 'connect', 'SQL_CONNECT_TIMEOUT'],
  ['dropped mid-stream', err('Connection terminated unexpectedly'), 'query', 'SQL_CONNECTION_LOST'],
  ['reset mid-stream', err('read ECONNRESET', { code: 'ECONNRESET' }), 'query', 'SQL_CONNECTION_LOST'],
  ['EPIPE (five letters, not a SQLSTATE)', err('write EPIPE', { code: 'EPIPE', errno: -32, syscall: 'write' }), 'query', 'SQL_CONNECTION_LOST'],
  ['SSL refused', err('The server does not support SSL connections'), 'connect', 'SQL_ENCRYPTION_REQUIRED'],
];

const MSSQL_CASES: Case[] = [
  ['ELOGIN', err("Login failed for user 'app'.", { code: 'ELOGIN' }), 'connect', 'SQL_LOGIN_FAILED'],
  ['18456 in originalError', err('x', { code: 'EREQUEST', originalError: { number: 18456 } }), 'connect', 'SQL_LOGIN_FAILED'],
  ['connect ETIMEOUT', err('Failed to connect to db:1433 in 15000ms', { code: 'ETIMEOUT' }), 'connect', 'SQL_CONNECT_TIMEOUT'],
  ['request ETIMEOUT', err('Timeout: Request failed to complete in 300ms', { code: 'ETIMEOUT' }), 'query', 'SQL_QUERY_TIMEOUT'],
  ['EREQUEST bad object', err("Invalid object name 'nope'.", { code: 'EREQUEST', number: 208 }), 'query', 'SQL_QUERY_FAILED'],
  ['1205 deadlock', err('Transaction (Process ID 52) was deadlocked', { code: 'EREQUEST', number: 1205 }), 'query', 'SQL_DEADLOCK'],
  ['ESOCKET refused', err('Failed to connect to db:1433 - connect ECONNREFUSED', { code: 'ESOCKET', originalError: { code: 'ECONNREFUSED' } }), 'connect', 'SQL_CONNECT_REFUSED'],
  ['ESOCKET reset mid-query', err('Connection lost - read ECONNRESET', { code: 'ESOCKET', originalError: { code: 'ECONNRESET' } }), 'query', 'SQL_CONNECTION_LOST'],
  ['TLS failure', err('Failed to connect - ssl3_get_record:wrong version number', { code: 'ESOCKET' }), 'connect', 'SQL_ENCRYPTION_REQUIRED'],
  ['EENCRYPT', err("Server requires encryption, set 'encrypt' config option to true.", { code: 'EENCRYPT' }), 'connect', 'SQL_ENCRYPTION_REQUIRED'],
];

const ORACLE_CASES: Case[] = [
  ['ORA-01017', err('ORA-01017: invalid credential or not authorized; logon denied', { code: 'ORA-01017', errorNum: 1017 }), 'connect', 'SQL_LOGIN_FAILED'],
  ['ORA-28000 locked', err('ORA-28000: The account is locked.', { code: 'ORA-28000', errorNum: 28000 }), 'connect', 'SQL_LOGIN_FAILED'],
  ['ORA-00942', err('ORA-00942: table or view "PS"."NOPE" does not exist', { code: 'ORA-00942', errorNum: 942 }), 'query', 'SQL_QUERY_FAILED'],
  ['ORA-00904', err('ORA-00904: "X": invalid identifier', { code: 'ORA-00904', errorNum: 904 }), 'query', 'SQL_QUERY_FAILED'],
  ['ORA-00060', err('ORA-00060: deadlock detected while waiting for resource', { code: 'ORA-00060', errorNum: 60 }), 'query', 'SQL_DEADLOCK'],
  ['NJS-123', err('NJS-123: call timeout of 500 ms exceeded', { code: 'NJS-123', errorNum: 123 }), 'query', 'SQL_QUERY_TIMEOUT'],
  ['DPI-1067', err('DPI-1067: call timeout of 500 ms exceeded with ORA-3156', { code: 'DPI-1067' }), 'query', 'SQL_QUERY_TIMEOUT'],
  ['ORA-03156', err('ORA-03156: OCI call timed out', { code: 'ORA-03156' }), 'query', 'SQL_QUERY_TIMEOUT'],
  ['NJS-503 refused', err('NJS-503: connection to host 127.0.0.1 port 1 could not be established. (CONNECTION_ID=x)\nconnect ECONNREFUSED 127.0.0.1:1', { code: 'NJS-503' }), 'connect', 'SQL_CONNECT_REFUSED'],
  ['NJS-503 timed out', err('NJS-503: connection to host h port 1521 could not be established. (CONNECTION_ID=x)\nconnect ETIMEDOUT', { code: 'NJS-503' }), 'connect', 'SQL_CONNECT_TIMEOUT'],
  ['NJS-510', err('NJS-510: connection to host 127.0.0.1 port 9 timed out. Request exceeded "connectTimeout" of 1 seconds.', { code: 'NJS-510' }), 'connect', 'SQL_CONNECT_TIMEOUT'],
  ['NJS-500 mid-query', err('NJS-500: connection to Oracle Database was closed or broken', { code: 'NJS-500' }), 'query', 'SQL_CONNECTION_LOST'],
  ['ORA-03113 mid-query', err('ORA-03113: end-of-file on communication channel', { code: 'ORA-03113' }), 'query', 'SQL_CONNECTION_LOST'],
  ['ORA-12514 unknown service', err('ORA-12514: Cannot connect to database. Service PSPROD is not registered', { code: 'ORA-12514' }), 'connect', 'SQL_CONNECT_REFUSED'],
];

describe.each([
  ['pg', classifyPgError, PG_CASES],
  ['mssql', classifyMssqlError, MSSQL_CASES],
  ['oracledb', classifyOracleError, ORACLE_CASES],
] as const)('%s error classification', (_driver, classify, cases) => {
  it.each(cases)('%s → %s/%s', (_name, error, phase, code) => {
    expect(classify(error, phase).code).toBe(code);
  });
});

const FACTS: SqlConnectionFacts = { name: 'powerschool', type: 'oracle', host: 'ps-db.example.edu', port: 1521, database: 'PSPRODDB', user: 'psnavigator' };

describe('toSqlError', () => {
  it('names the connection and keeps the catalogue transient flag', () => {
    const e = toSqlError(err('NJS-503: connection to host ps-db.example.edu port 1521 could not be established', { code: 'NJS-503' }), 'connect', {
      facts: FACTS,
      redactor: new Redactor(),
      secrets: [],
    });
    expect(e.code).toBe('SQL_CONNECT_REFUSED');
    expect(e.transient).toBe(true);
    expect(e.message).toContain('oracle "powerschool" (psnavigator@ps-db.example.edu:1521/PSPRODDB)');
    expect(e.message).toContain('NJS-503');
    expect(e.details).toMatchObject({ connection: 'powerschool', type: 'oracle', driverCode: 'NJS-503' });
  });

  it('login failures are permanent', () => {
    const e = toSqlError(err('ORA-01017: invalid credential', { code: 'ORA-01017' }), 'connect', { facts: FACTS, redactor: new Redactor(), secrets: [] });
    expect(e.code).toBe('SQL_LOGIN_FAILED');
    expect(e.transient).toBe(false);
  });

  it('redacts a password a driver echoes, in the message, the cause and the serialized record', () => {
    const password = 'Tr0ub4dor&3-unique';
    const otherSecret = 'another-config-secret-42';
    // e.g. a connect string pasted with credentials, which the driver quotes back.
    const driverError = err(`ORA-12154: could not resolve psnavigator/${password}@ps-db:1521/PSPRODDB (also ${otherSecret})`, { code: 'ORA-12154' });
    driverError.stack = `Error: ${driverError.message}\n    at connect (thin.js:1)`;
    const e = toSqlError(driverError, 'connect', { facts: FACTS, redactor: new Redactor([otherSecret]), secrets: [password] });
    const everything = JSON.stringify(serializeError(e)) + e.message + String((e.cause as Error).message) + String((e.cause as Error).stack);
    expect(everything).not.toContain(password);
    expect(everything).not.toContain(otherSecret);
    expect(everything).not.toContain(encodeURIComponent(password));
    expect(e.message).toContain('[REDACTED]');
    expect(e.message).toContain('ORA-12154');
    expect((e.cause as { code?: string }).code).toBe('ORA-12154');
  });

  it('shortens a long driver text', () => {
    const e = toSqlError(err(`ORA-00942: ${'x'.repeat(5000)}`, { code: 'ORA-00942' }), 'query', { facts: FACTS, redactor: new Redactor(), secrets: [] });
    expect(e.message.length).toBeLessThan(700);
    expect(e.message.endsWith('…')).toBe(true);
  });
});

describe('describeConnection', () => {
  it('never includes anything but the safe facts', () => {
    expect(describeConnection({ ...FACTS, type: 'mssql', port: 1433, database: 'Campus6', user: 'sis' })).toBe('mssql "powerschool" (sis@ps-db.example.edu:1433/Campus6)');
    expect(describeConnection({ name: 'demo', type: 'pglite', host: 'embedded', port: null, database: 'powerschool-1-50', user: '' })).toBe(
      'pglite "demo" (embedded/powerschool-1-50)',
    );
  });
});
