import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { openSqlSource } from '../../src/adapters/sql/open-sql-source.js';
import type { NamedConnection } from '../../src/config/config-types.js';
import { SisrelayError } from '../../src/errors/sisrelay-error.js';
import { Redactor } from '../../src/util/redactor.js';

const redactor = new Redactor();

const CONNECTIONS: NamedConnection[] = [
  { name: 'ps', type: 'oracle', connectString: 'db:1521/PSPRODDB', user: 'psnavigator', password: 'pw-oracle-1', connectTimeoutMs: 1000, callTimeoutMs: 1000 },
  { name: 'pc', type: 'mssql', server: 'sql1', port: 1433, database: 'Campus6', user: 'sis', password: 'pw-mssql-1', encrypt: true, trustServerCertificate: false, connectTimeoutMs: 1000, requestTimeoutMs: 1000 },
  { name: 'wh', type: 'postgres', host: 'pg1', port: 5432, database: 'wh', user: 'etl', password: 'pw-pg-1', ssl: true, connectTimeoutMs: 1000, statementTimeoutMs: 1000, copy: true },
  { name: 'demo', type: 'pglite', dataset: 'powercampus', seed: 1, students: 10, snapshotDir: null, schoolYearStart: null, academicYear: '2026', academicTerm: 'Fall', courses: 12 },
];

describe('openSqlSource', () => {
  it.each(CONNECTIONS.map((c) => [c.type, c] as const))('opens a %s source with a safe description', (type, conn) => {
    const src = openSqlSource(conn, { redactor });
    expect(src.kind).toBe(type);
    expect(src.description).toContain(`"${conn.name}"`);
    expect(src.description).not.toMatch(/pw-/);
  });

  it('refuses a connection that is not a SQL source', () => {
    expect(() => openSqlSource({ name: 'out', type: 'local', path: '/tmp/x', create: false }, { redactor })).toThrow(SisrelayError);
  });

  it('loads only the driver of the source it connects (child process, fresh module cache)', async () => {
    const moduleUrl = new URL('../../src/adapters/sql/open-sql-source.ts', import.meta.url).href;
    const code = `
      import { createRequire } from 'node:module';
      const { openSqlSource } = await import(${JSON.stringify(moduleUrl)});
      const src = openSqlSource({ name: 'ps', type: 'oracle', connectString: '127.0.0.1:9/X', user: 'u', password: 'p', connectTimeoutMs: 1000, callTimeoutMs: 1000 }, { redactor: { redact: (s) => s } });
      await src.connect().catch(() => undefined);
      const loaded = Object.keys(createRequire(import.meta.url).cache)
        .map((p) => /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(p)?.[1]).filter(Boolean);
      console.log(JSON.stringify([...new Set(loaded)]));
    `;
    const cwd = fileURLToPath(new URL('../..', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd, timeout: 30_000 });
    const loaded = JSON.parse(stdout.trim().split('\n').at(-1)!) as string[];
    expect(loaded).toContain('oracledb');
    for (const other of ['mssql', 'tedious', 'pg', 'pg-query-stream', '@electric-sql/pglite']) expect(loaded).not.toContain(other);
  });
});
