import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wallClockDate } from '../../src/adapters/sql/normalize-row.js';
import { PostgresSource } from '../../src/adapters/sql/postgres-source.js';
import { Redactor } from '../../src/util/redactor.js';
import { startPostgres, type PgFixture } from '../fixtures/postgres.js';

/**
 * The host zone must never shift a date. This file runs the process in America/Chicago (Node
 * re-reads TZ when process.env.TZ is assigned) and reads values that are hard for a local-zone
 * parser: 02:30 on the spring-forward night does not exist in Chicago, 01:30 on the fall-back
 * night exists twice, and a midnight DATE is the previous day in UTC.
 */
const savedTz = process.env.TZ;
process.env.TZ = 'America/Chicago';

let fx: PgFixture;
let src: PostgresSource;

beforeAll(async () => {
  fx = await startPostgres();
  src = new PostgresSource(fx.connection('postgres'), { redactor: new Redactor() });
  await src.connect();
});

afterAll(async () => {
  await src?.close().catch(() => undefined);
  await fx?.stop();
  if (savedTz === undefined) delete process.env.TZ;
  else process.env.TZ = savedTz;
});

const SQL = "SELECT DATE '2024-03-10' AS d, TIMESTAMP '2024-03-10 02:30:00' AS spring, TIMESTAMP '2024-11-03 01:30:00' AS fall";

describe('dates under a non-UTC host zone', () => {
  it('runs in America/Chicago', () => {
    expect(new Date(2024, 0, 15).getTimezoneOffset()).toBe(360);
  });

  it('returns the stored wall clock in the UTC fields', async () => {
    const [row] = await src.all(SQL);
    expect(row).toEqual({
      d: new Date('2024-03-10T00:00:00.000Z'),
      spring: new Date('2024-03-10T02:30:00.000Z'),
      fall: new Date('2024-11-03T01:30:00.000Z'),
    });
  });

  it('binds Dates by their UTC fields, so they round-trip unchanged', async () => {
    const spring = wallClockDate(2024, 3, 10, 2, 30);
    const [row] = await src.all('SELECT :ts::timestamp AS ts, :d::date AS d', { ts: spring, d: wallClockDate(2024, 3, 10) });
    expect(row).toEqual({ ts: spring, d: wallClockDate(2024, 3, 10) });
  });

  it('differs from what pg would return with its global (local-zone) parsers', async () => {
    // Control: proves the assertions above could fail in this zone.
    const c = new pg.Client({ host: fx.host, port: fx.port, user: fx.superuser, password: fx.password, database: 'postgres' });
    await c.connect();
    try {
      const { rows } = await c.query(SQL);
      expect((rows[0].d as Date).toISOString()).toBe('2024-03-10T06:00:00.000Z');
      expect((rows[0].spring as Date).toISOString()).not.toBe('2024-03-10T02:30:00.000Z');
    } finally {
      await c.end();
    }
  });
});
