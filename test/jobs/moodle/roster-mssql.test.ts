import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MssqlSource } from '../../../src/adapters/sql/mssql-source.js';
import type { MssqlConnection, NamedConnection } from '../../../src/config/config-types.js';
import { HUB_SQL, ROSTER_SQL } from '../../../src/jobs/moodle-enrollments/roster-sql.js';
import { readHubRoster, readSisRoster } from '../../../src/jobs/moodle-enrollments/sis-roster.js';
import { startMoodleSandbox, type MoodleSandbox } from '../../../src/sandbox/moodle-sandbox.js';
import { Redactor } from '../../../src/util/redactor.js';
import { startFakeTds, type FakeHandler, type FakeQuery, type FakeTdsServer, type FakeValue } from '../../fixtures/fake-tds-server.js';
import { runJobInProcess } from '../../helpers/job-harness.js';
import { EXPECTED_CSV, EXPECTED_ROSTER_ROWS, TERM, YEAR, handmadeMoodleState, idn, writeHandmadeMappings } from './handmade.js';
import { JOB_MODULE, MOODLE_TOKEN, moodleConnection, moodleParams } from './job-setup.js';

/**
 * The PowerCampus side through the production driver path: MssqlSource (mssql/tedious) against
 * the in-process TDS server. The test checks the statement and parameters SQL Server would get,
 * and answers with the rows SQL Server would return for the hand-made term.
 */

const USER = 'pcreader';
const PASSWORD = 'Pc-Reader-Pa55!';

const COLUMNS = [
  { name: 'idnumber', type: 'nvarchar' as const },
  { name: 'course', type: 'nvarchar' as const },
  { name: 'section', type: 'nvarchar' as const },
  { name: 'role', type: 'nvarchar' as const },
];
/** What SQL Server returns for the hand-made term (the PostgreSQL test proves the query selects these). */
const ROSTER_ROWS: FakeValue[][] = EXPECTED_ROSTER_ROWS.map((r) => r.split(' ').map((v) => (v === 'null' ? null : v)));

let roster: FakeValue[][] | 'missing-table' = ROSTER_ROWS;
const handler: FakeHandler = (q: FakeQuery) => {
  if (q.stmt.includes('FROM TRANSCRIPTDETAIL')) {
    return roster === 'missing-table' ? { error: { number: 208, message: "Invalid object name 'TRANSCRIPTDETAIL'." } } : { columns: COLUMNS, rows: roster };
  }
  if (q.stmt.includes('FROM ACADEMIC')) {
    return { columns: [{ name: 'idnumber', type: 'nvarchar' }, { name: 'program', type: 'nvarchar' }], rows: [[idn(122), 'CLMH']] };
  }
  return { columns: [{ name: 'one', type: 'int' }], rows: [[1]] };
};

let fake: FakeTdsServer;
let sb: MoodleSandbox;
let dir: string;

function conn(): NamedConnection<MssqlConnection> {
  return {
    name: 'powercampus',
    type: 'mssql',
    server: '127.0.0.1',
    port: fake.port,
    database: 'PowerCampus_prd',
    user: USER,
    password: PASSWORD,
    encrypt: false,
    trustServerCertificate: false,
    connectTimeoutMs: 3000,
    requestTimeoutMs: 10_000,
  };
}

beforeAll(async () => {
  fake = await startFakeTds({ users: { [USER]: PASSWORD }, handler });
  sb = await startMoodleSandbox({ token: MOODLE_TOKEN, state: handmadeMoodleState() });
  dir = await mkdtemp(join(tmpdir(), 'sisrelay-moodle-tds-'));
});
afterAll(async () => {
  await sb?.close();
  await fake?.close();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  fake.queries.length = 0;
  roster = ROSTER_ROWS;
});

const rpcs = (): FakeQuery[] => fake.queries.filter((q) => q.kind === 'rpc' && !/^\s*select\s+1/i.test(q.stmt));

describe('PowerCampus roster over mssql (TDS)', () => {
  it('sends one parameterised statement: the SQL text unchanged but for @binds, year and term as parameters', async () => {
    const src = new MssqlSource(conn(), { redactor: new Redactor([PASSWORD]) });
    try {
      const read = await readSisRoster(src, { academicYear: YEAR, academicTerm: TERM }, new Set(['BIO101', 'CHEM200', 'GHOST100']));
      expect({ termRows: read.termRows, mappedRows: read.mappedRows, withoutPerson: read.withoutPerson }).toEqual({ termRows: 9, mappedRows: 7, withoutPerson: 1 });
      expect([...read.roster.members('BIO101', '02', 'auditingstudent')]).toEqual([idn(102)]);
    } finally {
      await src.close();
    }
    const [q, ...more] = rpcs();
    expect(more).toEqual([]);
    expect(q!.stmt).toBe(ROSTER_SQL.replace(':year', '@year').replace(':term', '@term'));
    expect(q!.params).toEqual({ year: YEAR, term: TERM });
    expect(q!.declaration).toBe('@year nvarchar(4000), @term nvarchar(4000)');
    // No value ever spliced into the text.
    expect(q!.stmt).not.toContain(TERM);
    expect(q!.stmt).not.toContain('BIO101');
  });

  it('the statement does not grow with the mapping: no course list, so no 2,100-parameter limit', async () => {
    const src = new MssqlSource(conn(), { redactor: new Redactor([PASSWORD]) });
    const many = new Set(Array.from({ length: 5000 }, (_, i) => `C${i}`));
    try {
      await readSisRoster(src, { academicYear: YEAR, academicTerm: TERM }, many);
    } finally {
      await src.close();
    }
    expect(Object.keys(rpcs()[0]!.params)).toEqual(['year', 'term']);
  });

  it('hub programs travel as one parameter each', async () => {
    const src = new MssqlSource(conn(), { redactor: new Redactor([PASSWORD]) });
    try {
      const hubs = await readHubRoster(src, { academicYear: YEAR, academicTerm: TERM }, ['NUTRIT', 'CLMH', 'CLMH']);
      expect([...(hubs.programs.get('CLMH') ?? [])]).toEqual([idn(122)]);
    } finally {
      await src.close();
    }
    const q = rpcs()[0]!;
    expect(q.stmt).toBe(HUB_SQL.replace('(:programs)', '(@programs__0, @programs__1)').replace(':year', '@year').replace(':term', '@term'));
    expect(q.params).toEqual({ programs__0: 'CLMH', programs__1: 'NUTRIT', year: YEAR, term: TERM });
  });

  it('the whole job over mssql: the hand-made term gives the hand-written enrollments.csv', async () => {
    const dataDir = join(dir, 'data');
    const drop = join(dir, 'drop');
    await mkdir(join(drop, 'webcampus.test', 'conduit'), { recursive: true });
    const files = await writeHandmadeMappings(dataDir);
    const r = await runJobInProcess({
      module: JOB_MODULE,
      params: moodleParams(files),
      connections: {
        powercampus: conn(),
        moodle: moodleConnection(sb),
        conduit: { name: 'conduit', type: 'local', path: drop, create: false },
      },
      dataDir,
    });
    try {
      expect(r.error).toBeUndefined();
      expect(await readFile(join(drop, 'webcampus.test', 'conduit', 'enrollments.csv'), 'utf8')).toBe(EXPECTED_CSV);
      expect(r.report.counts).toMatchObject({ sis_rows: 8, adds: 5, drops: 5, rows_written: 10, courses_read_failed: 0 });
      expect(r.logs.join('\n')).not.toContain(PASSWORD);
    } finally {
      await r.cleanup();
    }
  });

  it('a PowerCampus failure fails the run with the SQL error and stops the Moodle reads under way', async () => {
    roster = 'missing-table';
    const dataDir = join(dir, 'data-fail');
    const files = await writeHandmadeMappings(dataDir);
    sb.resetStats();
    sb.setLatency(1000);
    try {
      const r = await runJobInProcess({
        module: JOB_MODULE,
        params: moodleParams(files),
        connections: { powercampus: conn(), moodle: moodleConnection(sb, { concurrency: 1 }), conduit: { name: 'conduit', type: 'local', path: dir, create: false } },
        dataDir,
      });
      await r.cleanup();
      expect((r.error as { code?: string }).code).toBe('SQL_QUERY_FAILED');
      // site info, then at most the one roster read already in flight when the query failed.
      expect(sb.calls.core_enrol_get_enrolled_users ?? 0).toBeLessThanOrEqual(1);
      expect(r.report.deliveries).toEqual([]);
    } finally {
      sb.setLatency(0);
    }
  });
});
