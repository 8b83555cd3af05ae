/**
 * The loader against a real PostgreSQL (throwaway cluster): INSERT … VALUES, INSERT … unnest and
 * COPY FROM STDIN must load identical contents, escape text correctly, and roll back on failure.
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset, loadDatasetWithCopy, type SqlExec } from '../../src/datagen/load-dataset.js';
import { powerSchoolDataset } from '../../src/datagen/powerschool-generator.js';
import { POWERSCHOOL_TABLES } from '../../src/datagen/powerschool-schema.js';
import { renderDdl, type Dataset, type GeneratedRow, type TableDef } from '../../src/datagen/table-def.js';
import { SisrelayError } from '../../src/errors/sisrelay-error.js';
import { startPostgres, type PgFixture } from '../fixtures/postgres.js';

let fx: PgFixture;
let client: pg.Client;
let exec: SqlExec;

beforeAll(async () => {
  fx = await startPostgres();
  client = await fx.client('postgres');
  exec = (sql, params) => client.query(sql, params);
});

afterAll(async () => {
  await client?.end();
  await fx?.stop();
});

const TRICKY: TableDef[] = [
  { name: 'a_first', columns: [{ name: 'id', type: 'INTEGER', notNull: true }, { name: 'txt', type: 'VARCHAR(60)' }, { name: 'd', type: 'DATE' }, { name: 'n', type: 'NUMERIC(6,2)' }], primaryKey: ['id'] },
  { name: 'b_second', columns: [{ name: 'id', type: 'INTEGER', notNull: true }, { name: 'label', type: 'VARCHAR(20)', notNull: true }] },
];
const TRICKY_TEXT = ['tab\there', 'back\\slash', 'new\nline', 'cr\rhere', '\\N', 'Zoë "Z" O\'Brien, Jr.', '', 'Nguyễn'];

function customDataset(rows: GeneratedRow[]): Dataset {
  return { name: 'custom', tables: TRICKY, views: [], ddl: renderDdl(TRICKY), rows: () => rows };
}

const trickyRows: GeneratedRow[] = [
  ...TRICKY_TEXT.map((txt, i) => ({ table: 'a_first', row: { id: i, txt, d: '2026-02-28', n: 12.5 } })),
  { table: 'a_first', row: { id: 99, txt: null, d: null, n: null } },
  { table: 'b_second', row: { id: 1, label: 'ok' } },
];

async function tableDigest(schema: string, table: string): Promise<string> {
  const r = await client.query<{ h: string | null; n: string }>(`SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) AS h, count(*) AS n FROM ${schema}.${table} t`);
  return `${r.rows[0]!.n}:${r.rows[0]!.h}`;
}

async function tableExists(schema: string, table: string): Promise<boolean> {
  const r = await client.query('SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2', [schema, table]);
  return (r.rowCount ?? 0) > 0;
}

describe('loading into PostgreSQL', () => {
  it('loads identical contents with VALUES, unnest and COPY', async () => {
    const ds = powerSchoolDataset({ seed: 'load', students: 120, schoolYearStart: 2026 });
    const viaValues = await loadDataset(exec, ds, { schema: 'v', batchRows: 250 });
    const viaUnnest = await loadDataset(exec, ds, { schema: 'u', method: 'unnest', batchRows: 300 });
    const viaCopy = await loadDatasetWithCopy(client, ds, { schema: 'c' });
    expect(viaUnnest.tables).toEqual(viaValues.tables);
    expect(viaCopy.tables).toEqual(viaValues.tables);
    expect(viaCopy.statements).toBe(POWERSCHOOL_TABLES.length);
    expect(viaValues.statements).toBeGreaterThan(viaCopy.statements);
    for (const t of POWERSCHOOL_TABLES) {
      const v = await tableDigest('v', t.name);
      expect(v.startsWith(`${viaValues.tables[t.name]}:`), t.name).toBe(true);
      expect(await tableDigest('u', t.name), t.name).toBe(v);
      expect(await tableDigest('c', t.name), t.name).toBe(v);
    }
    // search_path was only set for the load transaction.
    expect((await client.query<{ search_path: string }>('SHOW search_path')).rows[0]!.search_path).toBe('"$user", public');
    expect((await client.query('SELECT count(*)::int AS n FROM c.teachers')).rows[0]).toEqual({ n: viaCopy.tables.schoolstaff });
  });

  it('round-trips tabs, backslashes, newlines, \\N text, quotes, empty strings and NULLs through COPY', async () => {
    await loadDatasetWithCopy(client, customDataset(trickyRows), { schema: 'tc' });
    await loadDataset(exec, customDataset(trickyRows), { schema: 'tv' });
    const read = async (schema: string) =>
      (await client.query<{ id: number; txt: string | null; d: string | null; n: string | null }>(
        `SELECT id, txt, to_char(d, 'YYYY-MM-DD') AS d, n::text AS n FROM ${schema}.a_first ORDER BY id`,
      )).rows;
    const copied = await read('tc');
    expect(copied.map((r) => r.txt)).toEqual([...TRICKY_TEXT, null]);
    expect(copied[0]).toEqual({ id: 0, txt: 'tab\there', d: '2026-02-28', n: '12.50' });
    expect(copied.at(-1)).toEqual({ id: 99, txt: null, d: null, n: null });
    expect(await read('tv')).toEqual(copied);
  });

  it('rolls back everything and names the table when a row is rejected, leaving the client usable', async () => {
    const bad: GeneratedRow[] = [...trickyRows.slice(0, 3), { table: 'b_second', row: { id: 2, label: null } }];
    for (const [schema, load] of [
      ['fc', () => loadDatasetWithCopy(client, customDataset(bad), { schema: 'fc' })],
      ['fv', () => loadDataset(exec, customDataset(bad), { schema: 'fv' })],
    ] as const) {
      const err = await load().then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(SisrelayError);
      expect((err as SisrelayError).code).toBe('SQL_QUERY_FAILED');
      expect((err as SisrelayError).details).toMatchObject({ table: 'b_second', sqlState: '23502', loaded: 3 });
      expect((err as SisrelayError).message).toMatch(/b_second/);
      expect(await tableExists(schema, 'a_first')).toBe(false);
    }
    expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('replaces an existing load with dropExisting and fails without it', async () => {
    const ds = customDataset(trickyRows);
    await loadDataset(exec, ds, { schema: 'dx' });
    await expect(loadDataset(exec, ds, { schema: 'dx' })).rejects.toMatchObject({ code: 'SQL_QUERY_FAILED', details: { sqlState: '42P07' } });
    const stats = await loadDatasetWithCopy(client, ds, { schema: 'dx', dropExisting: true });
    expect(stats.tables).toEqual({ a_first: TRICKY_TEXT.length + 1, b_second: 1 });
    expect((await client.query('SELECT count(*)::int AS n FROM dx.a_first')).rows[0]).toEqual({ n: TRICKY_TEXT.length + 1 });
  });

  it('rejects rows of an unknown column, split table runs and a schema name that is not an identifier', async () => {
    const unknownColumn = customDataset([{ table: 'a_first', row: { id: 1, nope: 'x' } }]);
    await expect(loadDataset(exec, unknownColumn, { schema: 'e1' })).rejects.toMatchObject({ code: 'DATA_INVALID' });
    const split = customDataset([trickyRows[0]!, trickyRows.at(-1)!, trickyRows[1]!]);
    await expect(loadDatasetWithCopy(client, split, { schema: 'e2' })).rejects.toMatchObject({ code: 'DATA_INVALID' });
    expect(await tableExists('e2', 'a_first')).toBe(false);
    await expect(loadDataset(exec, customDataset(trickyRows), { schema: 'x; DROP TABLE y' })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });
});
