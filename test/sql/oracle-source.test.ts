import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import oracledb from 'oracledb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { translateBinds } from '../../src/adapters/sql/named-binds.js';
import { RowNormalizer, wallClockDate } from '../../src/adapters/sql/normalize-row.js';
import {
  ORACLE_SESSION_SQL,
  OracleSource,
  oracleBind,
  oracleFetchTypeHandler,
  parseConnectString,
} from '../../src/adapters/sql/oracle-source.js';
import type { NamedConnection, OracleConnection } from '../../src/config/config-types.js';
import { SisrelayError } from '../../src/errors/sisrelay-error.js';
import { Redactor } from '../../src/util/redactor.js';

/**
 * No Oracle server runs here (none is installable), so this covers what can be checked
 * without one: bind translation, the fetch rules and row normalisation on recorded row
 * shapes, and the connection errors of the real thin driver against local sockets.
 */

type Meta = Parameters<ReturnType<typeof oracleFetchTypeHandler>>[0];
const handler = oracleFetchTypeHandler(oracledb);

/** Column metadata as thin mode reports it for a PowerSchool-like query (recorded shapes). */
const META: Record<string, Meta> = {
  STUDENT_NUMBER: { name: 'STUDENT_NUMBER', dbType: oracledb.DB_TYPE_NUMBER, dbTypeName: 'NUMBER', precision: 10, scale: 0, nullable: true },
  DCID: { name: 'DCID', dbType: oracledb.DB_TYPE_NUMBER, dbTypeName: 'NUMBER', precision: 0, scale: -127, nullable: false },
  GPA: { name: 'GPA', dbType: oracledb.DB_TYPE_NUMBER, dbTypeName: 'NUMBER', precision: 0, scale: -127, nullable: true },
  DOB: { name: 'DOB', dbType: oracledb.DB_TYPE_DATE, dbTypeName: 'DATE', nullable: true },
  ENTRY_TS: { name: 'ENTRY_TS', dbType: oracledb.DB_TYPE_TIMESTAMP, dbTypeName: 'TIMESTAMP', precision: 6, nullable: true },
  LAST_NAME: { name: 'LAST_NAME', dbType: oracledb.DB_TYPE_VARCHAR, dbTypeName: 'VARCHAR2', byteSize: 50, nullable: true },
  NOTES: { name: 'NOTES', dbType: oracledb.DB_TYPE_CLOB, dbTypeName: 'CLOB', nullable: true },
  PHOTO: { name: 'PHOTO', dbType: oracledb.DB_TYPE_BLOB, dbTypeName: 'BLOB', nullable: true },
};

describe('oracle fetch rules', () => {
  it('leaves NUMBER(p ≤ 15) to the driver and fetches other NUMBERs as text', () => {
    expect(handler(META.STUDENT_NUMBER!)).toBeUndefined();
    expect(handler(META.DCID!)).toMatchObject({ type: oracledb.STRING });
    expect(handler(META.LAST_NAME!)).toBeUndefined();
  });

  it('fetches DATE/TIMESTAMP as text, CLOB as string and BLOB as Buffer', () => {
    expect(handler(META.DOB!)).toMatchObject({ type: oracledb.STRING });
    expect(handler(META.ENTRY_TS!)).toMatchObject({ type: oracledb.STRING });
    expect(handler(META.NOTES!)).toEqual({ type: oracledb.STRING });
    expect(handler(META.PHOTO!)).toEqual({ type: oracledb.BUFFER });
  });

  it('sets the session formats its converters parse', () => {
    expect(ORACLE_SESSION_SQL).toContain("NLS_DATE_FORMAT = 'YYYY-MM-DD HH24:MI:SS'");
    expect(ORACLE_SESSION_SQL).toContain("NLS_TIMESTAMP_FORMAT = 'YYYY-MM-DD HH24:MI:SS.FF6'");
    expect(ORACLE_SESSION_SQL).toContain("NLS_NUMERIC_CHARACTERS = '.,'");
  });

  it('turns a recorded thin-mode row into the SqlRow contract', () => {
    const convert = (col: string, raw: unknown): unknown => {
      const rule = handler(META[col]!);
      return rule?.converter ? rule.converter(raw) : raw;
    };
    // What queryStream emits with OUT_FORMAT_OBJECT after the fetch rules: upper-case keys,
    // converted text columns, driver numbers/strings/Buffers as they come.
    const recorded = {
      STUDENT_NUMBER: 12345,
      DCID: convert('DCID', '9007199254740993'),
      GPA: convert('GPA', '3.75'),
      DOB: convert('DOB', '2010-03-10 00:00:00'),
      ENTRY_TS: convert('ENTRY_TS', '2024-03-10 02:30:00.123456'),
      LAST_NAME: 'Núñez',
      NOTES: null,
      PHOTO: Buffer.from([1, 2]),
    };
    expect(new RowNormalizer().normalize(recorded)).toEqual({
      student_number: 12345,
      dcid: 9007199254740993n,
      gpa: 3.75,
      dob: new Date('2010-03-10T00:00:00.000Z'),
      entry_ts: new Date('2024-03-10T02:30:00.123Z'),
      last_name: 'Núñez',
      notes: null,
      photo: Buffer.from([1, 2]),
    });
  });

  it('passes NULLs through the converters', () => {
    expect(handler(META.DOB!)!.converter!(null)).toBeNull();
    expect(handler(META.DCID!)!.converter!(null)).toBeNull();
  });
});

describe('oracle binds', () => {
  it('keeps :name binds and expands lists into indexed names', () => {
    const q = translateBinds('SELECT * FROM students WHERE schoolid IN (:schools) AND enroll_status = :status', { schools: [100, 200], status: 0 }, 'oracle');
    expect(q.sql).toBe('SELECT * FROM students WHERE schoolid IN (:schools__0, :schools__1) AND enroll_status = :status');
    expect(q.named).toEqual({ schools__0: 100, schools__1: 200, status: 0 });
  });

  it('binds Dates as wall-clock text (no host-zone conversion), booleans as 1/0, bigints as text', () => {
    expect(oracleBind(wallClockDate(2024, 3, 10, 2, 30))).toBe('2024-03-10 02:30:00');
    expect(oracleBind(wallClockDate(2024, 3, 10, 2, 30, 0, 250))).toBe('2024-03-10 02:30:00.250');
    expect(oracleBind(true)).toBe(1);
    expect(oracleBind(false)).toBe(0);
    expect(oracleBind(12345678901234567890n)).toBe('12345678901234567890');
    expect(oracleBind('x')).toBe('x');
    expect(oracleBind(null)).toBeNull();
  });

  it('describes EZConnect strings by host, port and service', () => {
    expect(parseConnectString('ps-db.example.edu:1521/PSPRODDB')).toEqual({ host: 'ps-db.example.edu', port: 1521, service: 'PSPRODDB' });
    expect(parseConnectString('ps-db/PSPRODDB')).toEqual({ host: 'ps-db', port: 1521, service: 'PSPRODDB' });
    expect(parseConnectString('(DESCRIPTION=(ADDRESS=(HOST=x)(PORT=1)))').host).toBe('descriptor');
  });
});

describe('OracleSource connection errors (real thin driver, local sockets)', () => {
  const PASSWORD = 'Ora-Secret-Pass-77';
  let silent: Server;
  const accepted = new Set<Socket>();
  let silentPort = 0;
  let closedPort = 0;

  beforeAll(async () => {
    // Accepts TCP, never speaks TNS. (thin mode leaves its socket open after NJS-510, so the
    // test closes the accepted sockets itself.)
    silent = createServer((s) => {
      accepted.add(s);
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    silentPort = (silent.address() as AddressInfo).port;
    const tmp = createServer();
    await new Promise<void>((r) => tmp.listen(0, '127.0.0.1', r));
    closedPort = (tmp.address() as AddressInfo).port;
    await new Promise((r) => tmp.close(r));
  });
  afterAll(async () => {
    for (const s of accepted) s.destroy();
    await new Promise((r) => silent.close(r));
  });

  const conn = (port: number): NamedConnection<OracleConnection> => ({
    name: 'powerschool',
    type: 'oracle',
    connectString: `127.0.0.1:${port}/PSPRODDB`,
    user: 'psnavigator',
    password: PASSWORD,
    connectTimeoutMs: 1000,
    callTimeoutMs: 5000,
  });

  async function failure(p: Promise<unknown>): Promise<SisrelayError> {
    try {
      await p;
    } catch (err) {
      expect(err).toBeInstanceOf(SisrelayError);
      return err as SisrelayError;
    }
    throw new Error('expected a failure');
  }

  it('maps a closed port (NJS-503) to SQL_CONNECT_REFUSED (transient)', async () => {
    const e = await failure(new OracleSource(conn(closedPort), { redactor: new Redactor() }).connect());
    expect(e.code).toBe('SQL_CONNECT_REFUSED');
    expect(e.transient).toBe(true);
    expect(e.details).toMatchObject({ driverCode: 'NJS-503' });
    expect(e.message).toContain(`oracle "powerschool" (psnavigator@127.0.0.1:${closedPort}/PSPRODDB)`);
    expect(e.message).not.toContain(PASSWORD);
  });

  it('maps a listener that never answers (NJS-510) to SQL_CONNECT_TIMEOUT (transient)', async () => {
    const e = await failure(new OracleSource(conn(silentPort), { redactor: new Redactor() }).connect());
    expect(e.code).toBe('SQL_CONNECT_TIMEOUT');
    expect(e.transient).toBe(true);
    expect(e.details).toMatchObject({ driverCode: 'NJS-510' });
    expect(e.message).toContain('"connectTimeout" of 1 seconds');
  });

  it('stays in thin mode (no Oracle Client libraries loaded)', () => {
    expect(oracledb.thin).toBe(true);
  });
});
