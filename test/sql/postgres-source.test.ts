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
/** One source per way of reading rows; every test of the first block runs against both. */
const sources = {} as Record<'copy' | 'cursor', PostgresSource>;

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
  for (const transport of ['copy', 'cursor'] as const) {
    sources[transport] = new PostgresSource(fx.connection(DB, { copy: transport === 'copy' }), { redactor: new Redactor([fx.password]) });
    await sources[transport].connect();
  }
});

afterAll(async () => {
  for (const src of Object.values(sources)) await src.close().catch(() => undefined);
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

async function* batchRows(batches: AsyncIterable<readonly SqlRow[]>): AsyncGenerator<SqlRow> {
  for await (const batch of batches) yield* batch;
}

describe.each(['copy', 'cursor'] as const)('PostgresSource against PostgreSQL, rows through %s', (transport) => {
  let src: PostgresSource;
  beforeAll(() => {
    src = sources[transport];
  });

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

  it('streams every row of a large result', async () => {
    expect(await drain(src.stream('SELECT g FROM generate_series(1, 50000) g', {}, { fetchSize: 1000 }))).toBe(50000);
  });

  it('hands over stream()\'s rows in non-empty arrays through streamBatches, reading as the caller asks', async () => {
    const sql = 'SELECT g, repeat(:pad, 40) AS pad FROM generate_series(1, 30000) g';
    const batches: (readonly SqlRow[])[] = [];
    for await (const batch of src.streamBatches(sql, { pad: 'é' }, { fetchSize: 700 })) batches.push(batch);
    expect(batches.every((b) => b.length > 0)).toBe(true);
    // Several reads, not one buffered result (the cursor's batches are fetchSize; COPY's are
    // what one network read carries, about 50 kB here).
    expect(batches.length).toBeGreaterThan(10);
    if (transport === 'cursor') expect(batches.every((b) => b.length <= 700)).toBe(true);
    const rows = batches.flat();
    expect(rows.map((r) => r.g)).toEqual(Array.from({ length: 30000 }, (_, i) => i + 1));
    expect(rows).toEqual(await src.all(sql, { pad: 'é' }));
  });

  it('ends the statement when a streamBatches loop stops early, and the next call gets its rows', async () => {
    let first: readonly SqlRow[] = [];
    for await (const batch of src.streamBatches('SELECT g FROM generate_series(1, 200000) g', {}, { fetchSize: 500 })) {
      first = batch;
      break;
    }
    expect(first[0]).toEqual({ g: 1 });
    expect(await src.all('SELECT 4 AS four')).toEqual([{ four: 4 }]);
  });

  it('maps bad SQL in streamBatches to SQL_QUERY_FAILED and stays usable', async () => {
    const e = await expectSqlError(drain(batchRows(src.streamBatches('SELECT nope FROM students'))));
    expect(e.code).toBe('SQL_QUERY_FAILED');
    expect(await src.all('SELECT 5 AS five')).toEqual([{ five: 5 }]);
  });

  it('runs two streams started together on one source one after the other, each complete', async () => {
    // As a job does with Promise.all over two reads: pg queues the second statement.
    const count = async (n: number): Promise<number> => {
      let seen = 0;
      for await (const row of src.stream('SELECT g, repeat(:pad, 50) AS pad FROM generate_series(1, :n) g', { n, pad: 'x' })) {
        if (row.g !== ++seen) throw new Error(`row ${seen} came out as ${String(row.g)}`);
      }
      return seen;
    };
    expect(await Promise.all([count(20000), count(30000), count(5)])).toEqual([20000, 30000, 5]);
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
      const { rows } = await admin.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE '%SELECT pg_sleep(20)%' AND state = 'active' AND pid <> pg_backend_pid()",
      );
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

describe('PostgresSource cursor path', () => {
  it('streams lazily: breaking after 10 of 200k rows leaves the rest unproduced on the server', async () => {
    // nextval() runs once per row the executor produces, so the sequence counts how many rows
    // the server actually generated. Buffering the whole result would advance it to 200000.
    await admin.query("SELECT setval('probe', 1, false)");
    let seen = 0;
    for await (const row of sources.cursor.stream('SELECT g AS id, nextval(\'probe\') AS n FROM generate_series(1, 200000) g', {}, { fetchSize: 100 })) {
      expect(row.id).toBe(++seen);
      if (seen === 10) break;
    }
    const { rows } = await admin.query<{ last_value: string }>('SELECT last_value FROM probe');
    expect(Number(rows[0]!.last_value)).toBeLessThanOrEqual(300);
    // The portal was closed: the same connection runs the next statement.
    expect(await sources.cursor.all('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });
});

describe('PostgresSource COPY path', () => {
  const copy = (): PostgresSource => sources.copy;

  it('streams with back-pressure: breaking early stops the COPY on the server, and the next call reconnects', async () => {
    // COPY has no portal to suspend: the server writes until TCP pushes back, so it runs ahead
    // of the consumer by what the socket buffers hold (rows of 2 kB here, so a few thousand),
    // and breaking off cancels the statement. Buffering the result would produce all 200000.
    await admin.query("SELECT setval('probe', 1, false)");
    const [{ pid }] = (await copy().all('SELECT pg_backend_pid() AS pid')) as [{ pid: number }];
    let seen = 0;
    for await (const row of copy().stream("SELECT g AS id, nextval('probe') AS n, repeat('x', 2000) AS filler FROM generate_series(1, 200000) g")) {
      expect(row.id).toBe(++seen);
      if (seen === 10) {
        // Give the server time to run as far ahead as the buffers let it.
        await new Promise((r) => setTimeout(r, 200));
        break;
      }
    }
    const { rows } = await admin.query<{ last_value: string }>('SELECT last_value FROM probe');
    expect(Number(rows[0]!.last_value)).toBeLessThan(50_000);
    const [{ pid: after }] = (await copy().all('SELECT pg_backend_pid() AS pid')) as [{ pid: number }];
    expect(after).not.toBe(pid);
    // The abandoned statement does not keep running on the server.
    let running = -1;
    for (let i = 0; i < 50 && running !== 0; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 100));
      const r = await admin.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE 'COPY (%nextval%' AND state = 'active' AND pid <> pg_backend_pid()");
      running = r.rows[0].n as number;
    }
    expect(running).toBe(0);
  });


  it('takes bind values that look like SQL as plain values: quotes, backslashes, comment marks, dollar quotes', async () => {
    const tricky = ["O'Brien", "'); DROP TABLE students; --", 'back\\slash \\x00 \\n', '$$ $tag$ */ /*', 'tab\there', 'line\nbreak', 'Zoë 李'];
    for (const value of tricky) {
      const rows = await copy().all('SELECT :v AS v, length(:v) AS n', { v: value });
      expect(rows).toEqual([{ v: value, n: [...value].length }]);
    }
    expect(await copy().all('SELECT count(*) AS n FROM students')).toEqual([{ n: 4 }]);
  });

  it('reads values holding tabs, newlines, carriage returns and backslashes exactly', async () => {
    const rows = await copy().all(
      "SELECT E'a\\tb' AS tab, E'line1\\nline2\\r\\n' AS nl, E'C:\\\\dir\\\\' AS bs, E'\\b\\f\\013' AS ctl, '\\N' AS looks_null, NULL::text AS is_null, '' AS empty",
    );
    expect(rows).toEqual([{ tab: 'a\tb', nl: 'line1\nline2\r\n', bs: 'C:\\dir\\', ctl: '\b\f\v', looks_null: '\\N', is_null: null, empty: '' }]);
  });

  it('accepts a trailing semicolon and a trailing comment, and refuses two statements before running either', async () => {
    expect(await copy().all('SELECT 1 AS one;')).toEqual([{ one: 1 }]);
    expect(await copy().all('SELECT 1 AS one -- the end')).toEqual([{ one: 1 }]);
    expect(await copy().all('/* lead */ ( SELECT 2 AS two )')).toEqual([{ two: 2 }]);
    expect(await copy().all('VALUES (1), (2)')).toEqual([{ column1: 1 }, { column1: 2 }]);
    expect(await copy().all('TABLE students')).toHaveLength(4);
    expect(await copy().all('WITH t AS (SELECT 5 AS n) SELECT n FROM t')).toEqual([{ n: 5 }]);
    await admin.query('CREATE TABLE IF NOT EXISTS scratch (n int); TRUNCATE scratch');
    const e = await expectSqlError(copy().all('SELECT 1 AS one; INSERT INTO scratch VALUES (1)'));
    expect(e.code).toBe('SQL_QUERY_FAILED');
    expect((await admin.query('SELECT count(*)::int AS n FROM scratch')).rows[0].n).toBe(0);
  });

  it('runs a statement that returns no rows through the cursor instead', async () => {
    await admin.query('CREATE TABLE IF NOT EXISTS scratch (n int); TRUNCATE scratch');
    expect(await copy().all('WITH t AS (SELECT 7 AS n) INSERT INTO scratch SELECT n FROM t')).toEqual([]);
    expect((await admin.query('SELECT n FROM scratch')).rows).toEqual([{ n: 7 }]);
  });

  it('reports an error the server raises mid-COPY after the rows before it, and the connection stays in step', async () => {
    const [{ pid }] = (await copy().all('SELECT pg_backend_pid() AS pid')) as [{ pid: number }];
    let seen = 0;
    const e = await expectSqlError(
      (async () => {
        for await (const row of copy().stream('SELECT g, 1 / (g - 30000) AS boom FROM generate_series(1, 60000) g')) {
          expect(row.g).toBe(++seen);
        }
      })(),
    );
    expect(e.code).toBe('SQL_QUERY_FAILED');
    expect(e.message).toContain('division by zero');
    expect(seen).toBeGreaterThan(0);
    expect(seen).toBeLessThan(30000);
    const [{ pid: after }] = (await copy().all('SELECT pg_backend_pid() AS pid')) as [{ pid: number }];
    expect(after).toBe(pid);
  });

  it('skips notices the server sends between rows', async () => {
    await admin.query(`CREATE OR REPLACE FUNCTION noisy(n int) RETURNS int LANGUAGE plpgsql AS $$
      BEGIN IF n % 1000 = 0 THEN RAISE NOTICE 'row %', n; END IF; RETURN n; END $$`);
    const rows = await copy().all('SELECT noisy(g) AS n FROM generate_series(1, 5000) g');
    expect(rows.map((r) => r.n)).toEqual(Array.from({ length: 5000 }, (_, i) => i + 1));
  });

  it('refuses a NUL in a bind value, naming the bind', async () => {
    const e = await expectSqlError(copy().all('SELECT :v AS v', { v: 'a\u0000b' }));
    expect(e.code).toBe('SQL_QUERY_FAILED');
    expect(e.message).toContain(':v');
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

  it.each([
    ['copy', false],
    ['cursor', false],
    // The consumer still busy with rows already read while the connection's error and end
    // events fire: the next read must fail as a mapped error, not an unhandled rejection.
    ['copy', true],
    ['cursor', true],
  ] as const)('maps a network drop mid-stream to SQL_CONNECTION_LOST (rows through %s, consumer pausing: %s)', async (transport, pause) => {
    const proxy = await startProxy(fx.port);
    const viaProxy = new PostgresSource(fx.connection(DB, { port: proxy.port, copy: transport === 'copy' }), { redactor: new Redactor() });
    try {
      let seen = 0;
      const e = await expectSqlError(
        (async () => {
          for await (const _ of viaProxy.stream("SELECT g, repeat('x', 200) AS pad FROM generate_series(1, 200000) g", {}, { fetchSize: 500 })) {
            if (++seen === 2000) {
              proxy.drop();
              if (pause) await new Promise((r) => setTimeout(r, 200));
            }
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

describe('PostgresSource cancelling', () => {
  it('survives a cancel request that cannot connect when a COPY is left early', async () => {
    const proxy = await startProxy(fx.port);
    const viaProxy = new PostgresSource(fx.connection(DB, { port: proxy.port }), { redactor: new Redactor() });
    let closing: Promise<void> | null = null;
    try {
      let seen = 0;
      for await (const _ of viaProxy.stream("SELECT g, repeat('x', 2000) AS pad FROM generate_series(1, 100000) g")) {
        if (++seen === 10) {
          closing = proxy.close(); // new connections, the cancel request's among them, are refused
          break;
        }
      }
      expect(seen).toBe(10);
      // Give the refused cancel connection time to fail; an unhandled 'error' would fail the file.
      await new Promise((r) => setTimeout(r, 300));
      const e = await expectSqlError(viaProxy.all('SELECT 1 AS one'));
      expect(e.code).toBe('SQL_CONNECT_REFUSED');
    } finally {
      proxy.drop();
      await viaProxy.close().catch(() => undefined);
      await closing;
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
