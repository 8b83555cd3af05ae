import sql from 'mssql';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MssqlSource } from '../../src/adapters/sql/mssql-source.js';
import { wallClockDate } from '../../src/adapters/sql/normalize-row.js';
import type { MssqlConnection, NamedConnection } from '../../src/config/config-types.js';
import { SisrelayError } from '../../src/errors/sisrelay-error.js';
import { Redactor } from '../../src/util/redactor.js';
import { PACKET, startFakeTds, type FakeHandler, type FakeTdsServer, type FakeValue } from '../fixtures/fake-tds-server.js';

/**
 * The mssql adapter through the real mssql/tedious client, against an in-process TDS server
 * (no SQL Server exists on this machine). The server side is scripted per test.
 */

const USER = 'sisreader';
const PASSWORD = 'Campus-Pa55word!';

function* numbered(n: number, row: (i: number) => FakeValue[]): Generator<FakeValue[]> {
  for (let i = 0; i < n; i++) yield row(i);
}

const handler: FakeHandler = (q) => {
  if (q.stmt.startsWith('SELECT students')) {
    return {
      columns: [
        { name: 'ID', type: 'int' },
        { name: 'LastName', type: 'nvarchar' },
        { name: 'PersonId', type: 'bigint' },
        { name: 'EnrolledAt', type: 'datetime2' },
        { name: 'Active', type: 'bit' },
        { name: 'Gpa', type: 'float' },
      ],
      rows: numbered(50_000, (i) => [
        i,
        i % 10 === 0 ? null : `Núñez-李-${i}`,
        i === 1 ? 9007199254740993n : 1000 + i,
        i % 7 === 0 ? null : new Date(Date.UTC(2024, 2, 10, 2, 30, 0, i % 1000)),
        i % 2 === 0,
        i === 3 ? null : 3.5,
      ]),
    };
  }
  if (q.stmt.startsWith('SELECT million')) {
    return { columns: [{ name: 'n', type: 'int' }, { name: 's', type: 'nvarchar' }], rows: numbered(1_000_000, (i) => [i, 'padding-padding-padding']) };
  }
  if (q.stmt.startsWith('SELECT drop')) {
    return { columns: [{ name: 'n', type: 'int' }], rows: numbered(100_000, (i) => [i]), dropAfterRows: 5000 };
  }
  if (q.stmt.startsWith('SELECT deadlock')) {
    return {
      error: {
        number: 1205,
        state: 51,
        class: 13,
        message: 'Transaction (Process ID 52) was deadlocked on lock resources with another process and has been chosen as the deadlock victim. Rerun the transaction.',
      },
    };
  }
  if (q.stmt.startsWith('SELECT hang')) return { hang: true };
  if (q.stmt.startsWith('SELECT nope')) return { error: { number: 208, message: "Invalid object name 'nope'." } };
  return { columns: [{ name: 'one', type: 'int' }], rows: [[1]] };
};

let fake: FakeTdsServer;

function conn(overrides: Partial<MssqlConnection> = {}, server: FakeTdsServer = fake): NamedConnection<MssqlConnection> {
  return {
    name: 'powercampus',
    type: 'mssql',
    server: '127.0.0.1',
    port: server.port,
    database: 'Campus6',
    user: USER,
    password: PASSWORD,
    encrypt: false,
    trustServerCertificate: false,
    connectTimeoutMs: 3000,
    requestTimeoutMs: 10_000,
    ...overrides,
  };
}

async function failure(p: Promise<unknown>): Promise<SisrelayError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(SisrelayError);
    return err as SisrelayError;
  }
  throw new Error('expected a failure');
}

const opened: MssqlSource[] = [];
function source(c: NamedConnection<MssqlConnection>): MssqlSource {
  const s = new MssqlSource(c, { redactor: new Redactor([PASSWORD]) });
  opened.push(s);
  return s;
}

beforeAll(async () => {
  fake = await startFakeTds({ users: { [USER]: PASSWORD }, handler });
});
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close().catch(() => undefined);
});
afterAll(async () => {
  await fake?.close();
});

describe('MssqlSource against a fake TDS server', () => {
  it('logs in with the configured user and database', async () => {
    const before = fake.logins.length;
    await source(conn()).connect();
    expect(fake.logins.slice(before)).toContainEqual({ user: USER, database: 'Campus6', accepted: true });
  });

  it('maps a refused login to SQL_LOGIN_FAILED (permanent) without the password', async () => {
    const wrong = 'Wrong-Secret-Walrus-9';
    const e = await failure(new MssqlSource(conn({ password: wrong }), { redactor: new Redactor() }).connect());
    expect(e.code).toBe('SQL_LOGIN_FAILED');
    expect(e.transient).toBe(false);
    expect(e.message).toContain(`Login failed for user '${USER}'`);
    expect(e.message).toContain('mssql "powercampus" (sisreader@127.0.0.1:');
    expect(JSON.stringify({ m: e.message, d: e.details, s: String((e.cause as Error).stack) })).not.toContain(wrong);
    expect(fake.logins.at(-1)).toEqual({ user: USER, database: 'Campus6', accepted: false });
  });

  it('sends :name binds as typed sp_executesql parameters', async () => {
    const src = source(conn());
    const when = wallClockDate(2024, 3, 10, 2, 30, 0, 5);
    await src.all('SELECT params WHERE a = :a AND b = :b AND id IN (:ids) AND big = :big AND d = :d AND f = :f AND flag = :flag AND x = :x AND r = :r', {
      a: 5,
      b: 'Zoë',
      ids: [1, 2],
      big: 9007199254740993n,
      d: when,
      f: 1.25,
      flag: true,
      x: null,
      r: 3_000_000_000,
    });
    const q = fake.queries.at(-1)!;
    expect(q.kind).toBe('rpc');
    expect(q.stmt).toBe('SELECT params WHERE a = @a AND b = @b AND id IN (@ids__0, @ids__1) AND big = @big AND d = @d AND f = @f AND flag = @flag AND x = @x AND r = @r');
    expect(q.params).toEqual({ a: 5, b: 'Zoë', ids__0: 1, ids__1: 2, big: 9007199254740993n, d: when, f: 1.25, flag: true, x: null, r: 3_000_000_000n });
    expect(q.declaration).toBe(
      '@a int, @b nvarchar(4000), @ids__0 int, @ids__1 int, @big bigint, @d datetime2(3), @f float, @flag bit, @x nvarchar(4000), @r bigint',
    );
  });

  it('streams 50k rows with lower-case keys, NULLs, non-ASCII text, BIGINT and wall-clock dates', async () => {
    const src = source(conn());
    let n = 0;
    const sample: Record<number, unknown> = {};
    for await (const row of src.stream('SELECT students', {}, { fetchSize: 500 })) {
      if (n <= 3 || n === 7) sample[n] = row;
      n++;
    }
    expect(n).toBe(50_000);
    expect(sample[0]).toEqual({ id: 0, lastname: null, personid: 1000, enrolledat: null, active: true, gpa: 3.5 });
    expect(sample[1]).toEqual({ id: 1, lastname: 'Núñez-李-1', personid: 9007199254740993n, enrolledat: new Date('2024-03-10T02:30:00.001Z'), active: false, gpa: 3.5 });
    expect(sample[3]).toMatchObject({ id: 3, gpa: null });
    expect(sample[7]).toMatchObject({ id: 7, enrolledat: null });
  });

  it('hands over the same rows in arrays of at most fetchSize through streamBatches', async () => {
    const src = source(conn());
    const sizes: number[] = [];
    let ids = 0;
    let expected = 0;
    for await (const batch of src.streamBatches('SELECT students', {}, { fetchSize: 20_000 })) {
      sizes.push(batch.length);
      for (const row of batch) if (row.id === expected++) ids++;
    }
    expect(sizes).toEqual([20_000, 20_000, 10_000]);
    expect(ids).toBe(50_000);
  });

  it('applies back-pressure: a consumer that stops reading stops the server', async () => {
    const src = source(conn());
    const it = src.stream('SELECT million', {}, { fetchSize: 200 })[Symbol.asyncIterator]();
    for (let i = 0; i < 10; i++) expect((await it.next()).done).toBe(false);
    // Once the socket buffers are full the server cannot write any more: its count must stay
    // put for a whole second (an unpaused client keeps reading, ~200k rows a second here).
    await new Promise((r) => setTimeout(r, 500));
    const samples: number[] = [];
    for (let i = 0; i < 10; i++) {
      samples.push(fake.rowsSent);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(new Set(samples).size).toBe(1);
    expect(samples[0]).toBeLessThan(500_000);
    const attentions = fake.attentions;
    await it.return!(undefined);
    // Stopping early cancels on the server instead of reading the rest.
    expect(fake.attentions).toBe(attentions + 1);
    expect(await src.all('SELECT 1')).toEqual([{ one: 1 }]);
  });

  it('maps a dropped connection mid-stream to SQL_CONNECTION_LOST, and the next query reconnects', async () => {
    const src = source(conn());
    let n = 0;
    const e = await failure(
      (async () => {
        for await (const _ of src.stream('SELECT drop')) n++;
      })(),
    );
    expect(e.code).toBe('SQL_CONNECTION_LOST');
    expect(e.transient).toBe(true);
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThanOrEqual(5000);
    expect(await src.all('SELECT 1')).toEqual([{ one: 1 }]);
  });

  it('maps error 1205 to SQL_DEADLOCK (transient)', async () => {
    const e = await failure(source(conn()).all('SELECT deadlock'));
    expect(e.code).toBe('SQL_DEADLOCK');
    expect(e.transient).toBe(true);
    expect(e.details).toMatchObject({ driverNumber: 1205 });
  });

  it('maps a server error to SQL_QUERY_FAILED (permanent)', async () => {
    const e = await failure(source(conn()).all('SELECT nope'));
    expect(e.code).toBe('SQL_QUERY_FAILED');
    expect(e.transient).toBe(false);
    expect(e.message).toContain("Invalid object name 'nope'.");
  });

  it('maps the request timeout to SQL_QUERY_TIMEOUT (transient) after cancelling on the server', async () => {
    const src = source(conn());
    const attentions = fake.attentions;
    const e = await failure(src.all('SELECT hang', {}, { timeoutMs: 200 }));
    expect(e.code).toBe('SQL_QUERY_TIMEOUT');
    expect(e.transient).toBe(true);
    expect(fake.attentions).toBe(attentions + 1);
    expect(await src.all('SELECT 1')).toEqual([{ one: 1 }]);
  });

  it('stops on abort with the caller\'s reason', async () => {
    const src = source(conn());
    const controller = new AbortController();
    const reason = new Error('cancelled by test');
    let n = 0;
    await expect(
      (async () => {
        for await (const _ of src.stream('SELECT million', {}, { signal: controller.signal })) {
          if (++n === 100) controller.abort(reason);
        }
      })(),
    ).rejects.toBe(reason);
    expect(n).toBe(100);
    expect(await src.all('SELECT 1')).toEqual([{ one: 1 }]);
  });
});

describe('MssqlSource encryption', () => {
  let plain: FakeTdsServer;
  beforeAll(async () => {
    plain = await startFakeTds({ users: { [USER]: PASSWORD }, encryption: 'NOT_SUP' });
  });
  afterAll(async () => {
    await plain?.close();
  });

  const loginBytes = (password: string): Buffer[] => [
    Buffer.from(password, 'ucs2'),
    // LOGIN7's obfuscation: swap nibbles, XOR 0xA5.
    Buffer.from(Buffer.from(password, 'ucs2').map((b) => (((b & 0x0f) << 4) | (b >> 4)) ^ 0xa5)),
  ];

  it('control: plain tedious with encrypt:true sends the login in clear to a server without TLS', async () => {
    const control = await startFakeTds({ users: { [USER]: PASSWORD }, encryption: 'NOT_SUP' });
    const pool = new sql.ConnectionPool({ server: '127.0.0.1', port: control.port, user: USER, password: PASSWORD, database: 'Campus6', options: { encrypt: true, trustServerCertificate: true } });
    try {
      await pool.connect();
      expect(control.logins[0]).toMatchObject({ user: USER, accepted: true });
      expect(loginBytes(PASSWORD).some((b) => control.received().includes(b))).toBe(true);
    } finally {
      await pool.close();
      await control.close();
    }
  });

  it('encrypt:true against a server answering NOT_SUP fails with SQL_ENCRYPTION_REQUIRED before LOGIN7', async () => {
    const e = await failure(source(conn({ encrypt: true, trustServerCertificate: true }, plain)).connect());
    expect(e.code).toBe('SQL_ENCRYPTION_REQUIRED');
    expect(e.transient).toBe(false);
    expect(e.message).toContain('encryption NOT_SUP');
    expect(e.message).toContain('LOGIN7');
    expect(plain.logins).toEqual([]);
    expect(plain.packetTypes).not.toContain(PACKET.LOGIN7);
    expect(plain.packetTypes).toContain(PACKET.PRELOGIN);
    const received = plain.received();
    for (const b of [...loginBytes(PASSWORD), Buffer.from(USER, 'ucs2')]) expect(received.includes(b)).toBe(false);
  });

  it('encrypt:true against a server that requires TLS but cannot do it fails with SQL_ENCRYPTION_REQUIRED, no login sent', async () => {
    const broken = await startFakeTds({ users: { [USER]: PASSWORD }, encryption: 'REQ' });
    try {
      const e = await failure(source(conn({ encrypt: true, trustServerCertificate: true }, broken)).connect());
      expect(e.code).toBe('SQL_ENCRYPTION_REQUIRED');
      expect(broken.tlsHandshakes).toBeGreaterThan(0);
      expect(broken.logins).toEqual([]);
      expect(broken.packetTypes).not.toContain(PACKET.LOGIN7);
    } finally {
      await broken.close();
    }
  });

  it("encrypt:'strict' (TLS before any TDS byte) against a server without TLS fails with SQL_ENCRYPTION_REQUIRED, no login sent", async () => {
    const noTls = await startFakeTds({ users: { [USER]: PASSWORD } });
    try {
      const e = await failure(source(conn({ encrypt: 'strict', trustServerCertificate: true }, noTls)).connect());
      expect(e.code).toBe('SQL_ENCRYPTION_REQUIRED');
      expect(noTls.tlsHandshakes).toBe(1);
      expect(noTls.packetTypes).not.toContain(PACKET.PRELOGIN);
      expect(noTls.packetTypes).not.toContain(PACKET.LOGIN7);
      expect(noTls.logins).toEqual([]);
    } finally {
      await noTls.close();
    }
  });

  it('encrypt:false against a server that requires encryption fails with SQL_ENCRYPTION_REQUIRED', async () => {
    const strictServer = await startFakeTds({ users: { [USER]: PASSWORD }, encryption: 'REQ' });
    try {
      const e = await failure(source(conn({ encrypt: false }, strictServer)).connect());
      expect(e.code).toBe('SQL_ENCRYPTION_REQUIRED');
      expect(strictServer.logins).toEqual([]);
    } finally {
      await strictServer.close();
    }
  });
});
