import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { copyableQuery, copyStatement, postgresLiteral } from '../../src/adapters/sql/postgres-copy.js';
import { wallClockDate } from '../../src/adapters/sql/normalize-row.js';

describe('copyableQuery', () => {
  it.each([
    ['SELECT 1', 'SELECT 1'],
    ['  select 1 ;  ', '  select 1'],
    ['WITH t AS (SELECT 1) SELECT * FROM t;', 'WITH t AS (SELECT 1) SELECT * FROM t'],
    ['VALUES (1)', 'VALUES (1)'],
    ['TABLE students', 'TABLE students'],
    ['( SELECT 1 )', '( SELECT 1 )'],
    ['-- note\nSELECT 1', '-- note\nSELECT 1'],
    ['/* a */ SELECT 1', '/* a */ SELECT 1'],
    // PostgreSQL nests block comments: the keyword inside the outer comment is not the start.
    ['/* a /* b */ DELETE */ SELECT 1', '/* a /* b */ DELETE */ SELECT 1'],
  ])('wraps %j', (sql, body) => {
    expect(copyableQuery(sql)).toBe(body);
  });

  it.each(['INSERT INTO t VALUES (1)', 'UPDATE t SET a = 1', 'SHOW TimeZone', 'EXPLAIN SELECT 1', '/* a /* b */ SELECT */ DELETE FROM t', '-- SELECT\nDELETE FROM t', 'selected'])(
    'leaves %j to the cursor',
    (sql) => {
      expect(copyableQuery(sql)).toBeNull();
    },
  );

  it('ends a trailing line comment before the closing parenthesis', () => {
    expect(copyStatement('SELECT 1 -- done')).toBe('COPY (\nSELECT 1 -- done\n) TO STDOUT');
  });
});

describe('postgresLiteral', () => {
  const literal = postgresLiteral(pg.escapeLiteral);
  it.each([
    ['a quote', "O'Brien", "'O''Brien'"],
    ['a backslash', 'back\\slash', " E'back\\\\slash'"],
    ['a number', 42, "'42'"],
    ['a bigint', 9007199254740993n, "'9007199254740993'"],
    ['a boolean', true, "'true'"],
    ['null', null, 'NULL'],
    ['a wall-clock Date', wallClockDate(2024, 3, 10, 2, 30), "'2024-03-10 02:30:00.000'"],
  ] as const)('%s → %s', (_what, value, text) => {
    expect(literal(value, 'v')).toBe(text);
  });

  it('refuses a NUL, naming the bind', () => {
    expect(() => literal('a\u0000b', 'school')).toThrow(':school');
  });
});
