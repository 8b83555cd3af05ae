import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlRow } from '../../src/adapters/adapter-types.js';
import { RowNormalizer } from '../../src/adapters/sql/normalize-row.js';
import { PostgresSource, pgTypeOverrides } from '../../src/adapters/sql/postgres-source.js';
import { SisrelayError } from '../../src/errors/sisrelay-error.js';
import { Redactor } from '../../src/util/redactor.js';
import { startPostgres, type PgFixture } from '../fixtures/postgres.js';

/**
 * How PostgresSource turns rows into SqlRows, through COPY (CopyTextDecoder) and through the
 * cursor (array rows, names lower-cased once per query): the same rows either way, and memory
 * stays flat while streaming.
 */

const DB = 'rows';
let fx: PgFixture;
const sources = {} as Record<'copy' | 'cursor', PostgresSource>;

beforeAll(async () => {
  fx = await startPostgres();
  await fx.createDatabase(DB);
  for (const transport of ['copy', 'cursor'] as const) {
    sources[transport] = new PostgresSource(fx.connection(DB, { copy: transport === 'copy' }), { redactor: new Redactor([fx.password]) });
    await sources[transport].connect();
  }
});

afterAll(async () => {
  for (const src of Object.values(sources)) await src.close().catch(() => undefined);
  await fx?.stop();
});

/** Every type a SIS extract is likely to meet, NULL and not, with quoted and repeated names. */
const MIXED = `
  SELECT g AS "StudentID", g::int2 AS small, (g * 3000000000)::int8 AS big, 9007199254740993::int8 AS huge,
         (g / 4.0)::numeric(6,2) AS gpa, '0.12345678901234567891'::numeric AS precise, (g / 3.0)::float8 AS ratio,
         (g % 2 = 0) AS even, 'Núñez ' || g AS "LastName", 'x'::char(3) AS padded, 'v'::varchar AS v,
         DATE '2024-02-28' + g AS dob, TIMESTAMP '2024-03-10 01:59:59.125' + g * interval '1 hour' AS entered,
         TIMESTAMPTZ '2024-03-10 01:59:59+00' + g * interval '1 hour' AS stamped, TIME '07:30:00' AS starts,
         interval '1 day 2 hours' AS span, json_build_object('a', g) AS j, jsonb_build_object('b', g) AS jb,
         decode('00ff' || lpad(to_hex(g), 2, '0'), 'hex') AS photo, ARRAY[g, g + 1] AS ids, ARRAY['a', NULL] AS tags,
         gen_random_uuid() IS NOT NULL AS has_uuid, NULL::date AS no_date, NULL::text AS no_text, NULL::numeric AS no_num,
         g AS dup, g * 10 AS dup,
         E'tab\\there\\nnew \\\\ line ' || g AS escaped, -g AS neg, (-g * 3000000000)::int8 AS negbig,
         (-g / 4.0)::numeric(6,2) AS neggpa, 'NaN'::numeric AS nan, 'Infinity'::float8 AS inf, 'infinity'::date AS forever,
         '0099-01-01'::date AS ancient, '12345678901234.5'::numeric AS fifteen_digits, '1234567890123456.5'::numeric AS seventeen_digits,
         '-0.00'::numeric AS minus_zero, (g = 3) AS maybe, CASE WHEN g = 2 THEN NULL ELSE g END AS sometimes
  FROM generate_series(1, 5) g ORDER BY g`;

describe.each(['copy', 'cursor'] as const)('PostgresSource rows through %s', (transport) => {
  let src: PostgresSource;
  beforeAll(() => {
    src = sources[transport];
  });

  it('match what RowNormalizer makes of pg’s own row objects, values and key order, for every common type', async () => {
    // The former path: pg builds an object per row with the same per-client parsers, then
    // RowNormalizer lower-cases and converts it.
    const client = new pg.Client({ ...fx.connection(DB), password: fx.password, types: pgTypeOverrides(pg) });
    await client.connect();
    try {
      const expected = (await client.query(MIXED)).rows.map((r: Record<string, unknown>) => new RowNormalizer().normalize(r));
      const got = await src.all(MIXED);
      expect(got).toEqual(expected);
      expect(got.map((r) => Object.keys(r))).toEqual(expected.map((r) => Object.keys(r)));
      // Spot checks that the comparison is about the right values.
      expect(got[0]).toMatchObject({ studentid: 1, big: 3000000000, huge: 9007199254740993n, gpa: 0.25, precise: '0.12345678901234567891', dup: 10 });
      expect((got[0]!.entered as Date).toISOString()).toBe('2024-03-10T02:59:59.125Z');
      expect(got[0]!.photo).toEqual(Buffer.from([0, 255, 1]));
      expect(got[0]!.ids).toBe('[1,2]');
    } finally {
      await client.end();
    }
  });

  it('refuses names that collide once lower-cased, and the connection stays in step for the next statement', async () => {
    // More rows than one batch: the portal is still open when the error is raised, and must be
    // closed, or every later statement on this connection waits behind it.
    let err: unknown;
    try {
      for await (const _ of src.stream('SELECT g AS "ID", g AS id FROM generate_series(1, 5000) g', {}, { fetchSize: 100 })) {
        // no row comes out
      }
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SisrelayError);
    expect((err as SisrelayError).code).toBe('SQL_QUERY_FAILED');
    expect(await src.all('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  it('keeps memory flat while streaming, with a signal: a consumed batch is not kept alive', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const controller = new AbortController();
    const heapAt: number[] = [];
    let n = 0;
    const sql = "SELECT g AS id, repeat('x', 100) || g AS filler FROM generate_series(1, 150000) g";
    for await (const row of src.stream(sql, {}, { fetchSize: 500, signal: controller.signal }) as AsyncIterable<SqlRow>) {
      n++;
      if (n === 10_000 || n === 140_000) {
        gc();
        heapAt.push(process.memoryUsage().heapUsed);
      }
      if (row.id !== n) throw new Error(`row ${n} came out as ${String(row.id)}`);
    }
    expect(n).toBe(150_000);
    // 130,000 rows of ~150 bytes each would be ~20 MB more if batches were kept.
    expect(heapAt[1]! - heapAt[0]!).toBeLessThan(8 * 1024 * 1024);
  });
});
