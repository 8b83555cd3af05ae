import { describe, expect, it } from 'vitest';
import { translateBinds, type BindDialect } from '../../src/adapters/sql/named-binds.js';
import { SisrelayError } from '../../src/errors/sisrelay-error.js';
import type { Binds } from '../../src/adapters/adapter-types.js';

type Row = { sql: string; binds: Binds; out: Record<BindDialect, string> };

const TABLE: Array<[string, Row]> = [
  ['single bind', {
    sql: 'SELECT * FROM s WHERE id = :id',
    binds: { id: 7 },
    out: { postgres: 'SELECT * FROM s WHERE id = $1', mssql: 'SELECT * FROM s WHERE id = @id', oracle: 'SELECT * FROM s WHERE id = :id' },
  }],
  ['repeated name reuses its number', {
    sql: 'WHERE a = :x OR b = :x AND c = :y',
    binds: { x: 1, y: 2 },
    out: { postgres: 'WHERE a = $1 OR b = $1 AND c = $2', mssql: 'WHERE a = @x OR b = @x AND c = @y', oracle: 'WHERE a = :x OR b = :x AND c = :y' },
  }],
  ['array expands into a list', {
    sql: 'WHERE id IN (:ids) AND t = :t',
    binds: { ids: [3, 4, 5], t: 'a' },
    out: {
      postgres: 'WHERE id IN ($1, $2, $3) AND t = $4',
      mssql: 'WHERE id IN (@ids__0, @ids__1, @ids__2) AND t = @t',
      oracle: 'WHERE id IN (:ids__0, :ids__1, :ids__2) AND t = :t',
    },
  }],
  ['string literals are left alone (with doubled quotes)', {
    sql: "SELECT ':no', 'it''s :no' FROM t WHERE a = :yes",
    binds: { yes: 1 },
    out: { postgres: "SELECT ':no', 'it''s :no' FROM t WHERE a = $1", mssql: "SELECT ':no', 'it''s :no' FROM t WHERE a = @yes", oracle: "SELECT ':no', 'it''s :no' FROM t WHERE a = :yes" },
  }],
  ['quoted identifiers are left alone', {
    sql: 'SELECT "a:b" AS ":c" FROM t WHERE x = :x',
    binds: { x: 1 },
    out: { postgres: 'SELECT "a:b" AS ":c" FROM t WHERE x = $1', mssql: 'SELECT "a:b" AS ":c" FROM t WHERE x = @x', oracle: 'SELECT "a:b" AS ":c" FROM t WHERE x = :x' },
  }],
  ['line and block comments are left alone', {
    sql: 'SELECT 1 -- :skip\n/* :skip2 */ WHERE a = :a',
    binds: { a: 1 },
    out: { postgres: 'SELECT 1 -- :skip\n/* :skip2 */ WHERE a = $1', mssql: 'SELECT 1 -- :skip\n/* :skip2 */ WHERE a = @a', oracle: 'SELECT 1 -- :skip\n/* :skip2 */ WHERE a = :a' },
  }],
  ['PostgreSQL casts (::) are not binds', {
    sql: 'SELECT :d::date, x::text FROM t',
    binds: { d: '2024-01-01' },
    out: { postgres: 'SELECT $1::date, x::text FROM t', mssql: 'SELECT @d::date, x::text FROM t', oracle: 'SELECT :d::date, x::text FROM t' },
  }],
  ['a colon not followed by a name is kept', {
    sql: "SELECT a FROM t WHERE b = :b AND c >= 1:2",
    binds: { b: 1 },
    out: { postgres: 'SELECT a FROM t WHERE b = $1 AND c >= 1:2', mssql: 'SELECT a FROM t WHERE b = @b AND c >= 1:2', oracle: 'SELECT a FROM t WHERE b = :b AND c >= 1:2' },
  }],
];

describe('translateBinds', () => {
  for (const [name, row] of TABLE) {
    for (const dialect of ['postgres', 'mssql', 'oracle'] as const) {
      it(`${name} (${dialect})`, () => {
        expect(translateBinds(row.sql, row.binds, dialect).sql).toBe(row.out[dialect]);
      });
    }
  }

  it('gives postgres values in placeholder order, array elements in place', () => {
    const r = translateBinds('a = :b AND c IN (:ids) AND d = :a AND e = :b', { a: 'A', b: 2, ids: ['x', 'y'] }, 'postgres');
    expect(r.sql).toBe('a = $1 AND c IN ($2, $3) AND d = $4 AND e = $1');
    expect(r.values).toEqual([2, 'x', 'y', 'A']);
    expect(r.named).toEqual({});
  });

  it('gives mssql/oracle named values, arrays flattened under indexed names', () => {
    const when = new Date(Date.UTC(2024, 0, 2));
    const r = translateBinds('x IN (:ids) AND d = :d AND n = :n', { ids: [1, 2], d: when, n: null }, 'oracle');
    expect(r.named).toEqual({ ids__0: 1, ids__1: 2, d: when, n: null });
    expect(r.values).toEqual([]);
  });

  it('skips PostgreSQL dollar-quoted and E-strings but not $1-style text', () => {
    const sql = "SELECT $$ :no $$, $tag$ it's :no $tag$, E'\\' :no', :yes";
    expect(translateBinds(sql, { yes: 1 }, 'postgres').sql).toBe("SELECT $$ :no $$, $tag$ it's :no $tag$, E'\\' :no', $1");
  });

  it('skips Oracle q-quoted strings', () => {
    const sql = "SELECT q'[it's :no]', Q'{ :no }' FROM dual WHERE a = :a";
    expect(translateBinds(sql, { a: 1 }, 'oracle').sql).toBe("SELECT q'[it's :no]', Q'{ :no }' FROM dual WHERE a = :a");
  });

  it('skips SQL Server bracketed identifiers (only in the mssql dialect)', () => {
    expect(translateBinds('SELECT [a:b] FROM t WHERE x = :x', { x: 1 }, 'mssql').sql).toBe('SELECT [a:b] FROM t WHERE x = @x');
  });

  it('handles nested block comments in postgres and mssql', () => {
    expect(translateBinds('/* a /* :no */ :no2 */ WHERE a = :a', { a: 1 }, 'postgres').sql).toBe('/* a /* :no */ :no2 */ WHERE a = $1');
  });

  const errorCases: Array<[string, string, Binds, string, RegExp]> = [
    ['missing bind', 'WHERE a = :a AND b = :b', { a: 1 }, 'b', /:b is used in the statement but no value was given/],
    ['undefined counts as missing', 'WHERE a = :a', { a: undefined as never }, 'a', /:a is used/],
    ['unused bind', 'WHERE a = :a', { a: 1, extra: 2 }, 'extra', /"extra" was given but the statement has no :extra/],
    ['empty array', 'WHERE id IN (:ids)', { ids: [] }, 'ids', /:ids is an empty list; "IN \(\)" is not valid SQL/],
    ['bind hidden in a comment is unused', '-- :a\nSELECT 1', { a: 1 }, 'a', /"a" was given/],
    ['array of non-scalars', 'WHERE id IN (:ids)', { ids: [1, null] as never }, 'ids', /list holding a null/],
  ];
  for (const [name, sql, binds, bind, message] of errorCases) {
    for (const dialect of ['postgres', 'oracle'] as const) {
      it(`rejects: ${name} (${dialect})`, () => {
        let caught: unknown;
        try {
          translateBinds(sql, binds, dialect);
        } catch (err) {
          caught = err;
        }
        expect(caught).toBeInstanceOf(SisrelayError);
        const e = caught as SisrelayError;
        expect(e.code).toBe('SQL_QUERY_FAILED');
        expect(e.message).toMatch(message);
        expect(e.details).toEqual({ bind });
      });
    }
  }

  it('refuses an array expansion that collides with a given bind name', () => {
    expect(() => translateBinds('a IN (:ids) OR b = :ids__0', { ids: [1], ids__0: 2 }, 'mssql')).toThrow(/ids__0/);
  });

  it('passes SQL without binds through untouched', () => {
    const sql = "SELECT 'x' AS a FROM dual";
    expect(translateBinds(sql, undefined, 'oracle')).toEqual({ sql, values: [], named: {} });
  });
});
