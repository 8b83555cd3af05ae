import { connect as netConnect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresSource } from '../../src/adapters/sql/postgres-source.js';
import { PG_TEXT_PARSERS } from '../../src/adapters/sql/pg-type-parsers.js';
import { wallClockDate } from '../../src/adapters/sql/normalize-row.js';
import type { SqlRow } from '../../src/adapters/adapter-types.js';
import { SisrelayError } from '../../src/errors/sisrelay-error.js';
import { Redactor } from '../../src/util/redactor.js';
import { startPostgres, type PgFixture } from '../fixtures/postgres.js';

const DB = 'sis';
let fx: PgFixture;
let admin: pg.Client;
let src: PostgresSource;

beforeAll(async () => {
  fx = await startPostgres();
  await fx.createDatabase(DB);
  admin = await fx.client(DB);
  await admin.query(`
    CREATE TABLE students ("StudentID" int PRIMARY KEY, "LastName" text, middle text, dob date, enrolled_at timestamp);
    INSERT INTO students VALUES
      (1, 'Núñez', NULL, '2010-03-10', '2024-03-10 02:30:00'),
      (2, 'Smith', 'Q', '2011-12-31', '2024-11-03 01:30:00.250'),
      (3, '李', NULL, NULL, NULL),
      (4, 'O''Brien', 'J', '2012-01-01', '2024-01-01 00:00:00');
    CREATE SEQUENCE probe;
  `);
  src = new PostgresSource(fx.connection(DB), { redactor: new Redactor([fx.password]) });
  await src.connect();
});

afterAll(async () => {
  await src?.close().catch(() => undefined);
  await admin?.end().catch(() => undefined);
  await fx?.stop();
});

async function expectSqlError(p: Promise<unknown>): Promise<SisrelayError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(SisrelayError);
    return err as SisrelayError;
  }
  throw new Error('expected the call to fail');
}

async function drain(rows: AsyncIterable<SqlRow>): Promise<number> {
  let n = 0;
  for await (const _ of rows) n++;
  return n;
}

describe('PostgresSource against PostgreSQL', () => {
  it('returns lower-case keys, NULLs and non-ASCII text as stored', async () => {
    const rows = await src.all('SELECT "StudentID", "LastName", middle FROM students WHERE "StudentID" IN (:ids) ORDER BY 1', { ids: [1, 3, 4] });
    expect(rows).toEqual([
      { studentid: 1, lastname: 'Núñez', middle: null },
      { studentid: 3, lastname: '李', middle: null },
      { studentid: 4, lastname: "O'Brien", middle: 'J' },
    ]);
  });

  it('returns dates as wall-clock-in-UTC Dates and keeps NULL dates', async () => {
    const rows = await src.all('SELECT dob, enrolled_at FROM students ORDER BY "StudentID"');
    expect(rows.map((r) => [(r.dob as Date | null)?.toISOString() ?? null, (r.enrolled_at as Date | null)?.toISOString() ?? null])).toEqual([
      ['2010-03-10T00:00:00.000Z', '2024-03-10T02:30:00.000Z'],
      ['2011-12-31T00:00:00.000Z', '2024-11-03T01:30:00.250Z'],
      [null, null],
      ['2012-01-01T00:00:00.000Z', '2024-01-01T00:00:00.000Z'],
    ]);
  });

  it('binds scalars, dates, booleans, bigints and lists, and the same name twice', async () => {
    const rows = await src.all(
      `SELECT :d::date AS d, :ts::timestamp AS ts, :flag::boolean AS flag, :big::int8 AS big, :n AS n, :n || '!' AS again,
              (SELECT count(*) FROM students WHERE "LastName" IN (:names)) AS c`,
      { d: wallClockDate(2024, 2, 29), ts: wallClockDate(2024, 3, 10, 2, 30, 0, 5), flag: true, big: 9223372036854775807n, n: 'x', names: ['Smith', '李', 'nobody'] },
    );
    expect(rows).toEqual([
      { d: wallClockDate(2024, 2, 29), ts: wallClockDate(2024, 3, 10, 2, 30, 0, 5), flag: true, big: 9223372036854775807n, n: 'x', again: 'x!', c: 2 },
    ]);
  });

  it('returns INT8 and NUMERIC as numbers when exact, bigint/text when not', async () => {
    const [row] = await src.all("SELECT 42::int8 AS small, 9007199254740993::int8 AS big, 1.50::numeric AS n, '0.12345678901234567891'::numeric AS precise");
    expect(row).toEqual({ small: 42, big: 9007199254740993n, n: 1.5, precise: '0.12345678901234567891' });
  });

  it('sets its type parsers on its own client, not process-wide in pg', () => {
    expect(pg.types.getTypeParser(20)).not.toBe(PG_TEXT_PARSERS[20]);
    expect(pg.types.getTypeParser(20)('42')).toBe('42');
    expect(pg.types.getTypeParser(1082)).not.toBe(PG_TEXT_PARSERS[1082]);
  });

  it('streams lazily: breaking after 10 of 200k rows leaves the rest unproduced on the server', async () => {
    // nextval() runs once per row the executor produces, so the sequence counts how many rows
    // the server actually generated. Buffering the whole result would advance it to 200000.
    await admin.query("SELECT setval('probe', 1, false)");
    let seen = 0;
    for await (const row of src.stream('SELECT g AS id, nextval(\'probe\') AS n FROM generate_series(1, 200000) g', {}, { fetchSize: 100 })) {
      expect(row.id).toBe(++seen);
      if (seen === 10) break;
    }
    const { rows } = await admin.query<{ last_value: string }>('SELECT last_value FROM probe');
    expect(Number(rows[0]!.last_value)).toBeLessThanOrEqual(300);
    // The portal was closed: the same connection runs the next statement.
    expect(await src.all('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  it('streams every row of a large result', async () => {
    expect(await drain(src.stream('SELECT g FROM generate_series(1, 50000) g', {}, { fetchSize: 1000 }))).toBe(50000);
  });

  it('maps bad SQL to SQL_QUERY_FAILED (permanent) and stays usable', async () => {
    const e = await expectSqlError(src.all('SELECT * FROM no_such_table'));
    expect(e.code).toBe('SQL_QUERY_FAILED');
    expect(e.transient).toBe(false);
    expect(e.message).toContain('relation "no_such_table" does not exist');
    expect(e.message).toContain(`postgres "pg-${DB}" (postgres@127.0.0.1:${fx.port}/${DB})`);
    expect(await src.all('SELECT 2 AS two')).toEqual([{ two: 2 }]);
  });

  it('maps a statement timeout to SQL_QUERY_TIMEOUT (transient) and restores the default timeout after', async () => {
    const e = await expectSqlError(src.all('SELECT pg_sleep(5)', {}, { timeoutMs: 150 }));
    expect(e.code).toBe('SQL_QUERY_TIMEOUT');
    expect(e.transient).toBe(true);
    expect(await src.all("SELECT current_setting('statement_timeout') AS t")).toEqual([{ t: '30s' }]);
  });

  it('rejects an empty list before anything is sent', async () => {
    const e = await expectSqlError(src.all('SELECT 1 WHERE 1 IN (:ids)', { ids: [] }));
    expect(e.code).toBe('SQL_QUERY_FAILED');
    expect(e.details).toEqual({ bind: 'ids' });
  });

  it('stops on abort: the server-side statement is cancelled and the caller gets its reason', async () => {
    const controller = new AbortController();
    const reason = new Error('run cancelled by test');
    setTimeout(() => controller.abort(reason), 150);
    const started = Date.now();
    await expect(src.all('SELECT pg_sleep(20)', {}, { signal: controller.signal })).rejects.toBe(reason);
    expect(Date.now() - started).toBeLessThan(10_000);
    // The CancelRequest travels on its own connection; give the server a moment to act on it.
    // Without it the sleep would stay active for 20 s.
    let active = -1;
    for (let i = 0; i < 50 && active !== 0; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 100));
      const { rows } = await admin.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(20)' AND state = 'active'");
      active = rows[0].n as number;
    }
    expect(active).toBe(0);
    expect(await src.all('SELECT 3 AS three')).toEqual([{ three: 3 }]);
  });

  it('maps a backend terminated mid-stream to SQL_CONNECTION_LOST, then reconnects', async () => {
    const [{ pid }] = (await src.all('SELECT pg_backend_pid() AS pid')) as [{ pid: number }];
    let seen = 0;
    const e = await expectSqlError(
      (async () => {
        for await (const _ of src.stream('SELECT g FROM generate_series(1, 200000) g', {}, { fetchSize: 500 })) {
          if (++seen === 1000) await admin.query('SELECT pg_terminate_backend($1)', [pid]);
        }
      })(),
    );
    expect(e.code, e.message).toBe('SQL_CONNECTION_LOST');
    expect(e.transient).toBe(true);
    expect(seen).toBeGreaterThanOrEqual(1000);
    expect(seen).toBeLessThan(200000);
    const [{ pid: newPid }] = (await src.all('SELECT pg_backend_pid() AS pid')) as [{ pid: number }];
    expect(newPid).not.toBe(pid);
  });
});

describe('PostgresSource connection failures', () => {
  it('maps a wrong password to SQL_LOGIN_FAILED (permanent) without the password in the message', async () => {
    const password = 'Wrong-Pa55-Zebra!';
    const bad = new PostgresSource(fx.connection(DB, { password }), { redactor: new Redactor() });
    const e = await expectSqlError(bad.connect());
    expect(e.code).toBe('SQL_LOGIN_FAILED');
    expect(e.transient).toBe(false);
    expect(e.message).toContain('password authentication failed for user "postgres"');
    expect(JSON.stringify({ m: e.message, d: e.details, c: String((e.cause as Error).stack) })).not.toContain(password);
  });

  it('maps a closed port to SQL_CONNECT_REFUSED (transient)', async () => {
    const port = await closedPort();
    const e = await expectSqlError(new PostgresSource(fx.connection(DB, { port }), { redactor: new Redactor() }).connect());
    expect(e.code).toBe('SQL_CONNECT_REFUSED');
    expect(e.transient).toBe(true);
  });

  it('maps a server that never answers to SQL_CONNECT_TIMEOUT', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const port = (silent.address() as AddressInfo).port;
      const e = await expectSqlError(new PostgresSource(fx.connection(DB, { port, connectTimeoutMs: 300 }), { redactor: new Redactor() }).connect());
      expect(e.code).toBe('SQL_CONNECT_TIMEOUT');
    } finally {
      silent.close();
    }
  });

  it('refuses to go on without TLS when ssl is required and the server has none', async () => {
    const e = await expectSqlError(new PostgresSource(fx.connection(DB, { ssl: true }), { redactor: new Redactor() }).connect());
    expect(e.code).toBe('SQL_ENCRYPTION_REQUIRED');
  });

  it('maps a network drop mid-stream to SQL_CONNECTION_LOST', async () => {
    const proxy = await startProxy(fx.port);
    const viaProxy = new PostgresSource(fx.connection(DB, { port: proxy.port }), { redactor: new Redactor() });
    try {
      let seen = 0;
      const e = await expectSqlError(
        (async () => {
          for await (const _ of viaProxy.stream('SELECT g FROM generate_series(1, 200000) g', {}, { fetchSize: 500 })) {
            if (++seen === 2000) proxy.drop();
          }
        })(),
      );
      expect(e.code).toBe('SQL_CONNECTION_LOST');
      expect(seen).toBeLessThan(200000);
    } finally {
      await viaProxy.close().catch(() => undefined);
      await proxy.close();
    }
  });
});

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function startProxy(target: number): Promise<{ port: number; drop(): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = netConnect(target, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    drop: () => {
      for (const s of sockets) s.resetAndDestroy();
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
