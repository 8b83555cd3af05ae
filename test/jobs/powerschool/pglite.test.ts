/**
 * The demo runs these jobs against the embedded database (PGlite): the same SQL must work there.
 * The hand-made district is loaded into a PGlite data directory, served through the real
 * PgliteSource, and each job's output is compared with the golden files.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlSource } from '../../../src/adapters/adapter-types.js';
import { PgliteSource } from '../../../src/adapters/sql/pglite-source.js';
import type { NamedConnection, PgliteConnection } from '../../../src/config/config-types.js';
import { POWERSCHOOL_DDL } from '../../../src/datagen/powerschool-schema.js';
import cleverJob from '../../../src/jobs/clever-demographics/job.js';
import littlesisJob from '../../../src/jobs/littlesis-roster/job.js';
import samegoalJob from '../../../src/jobs/samegoal-demographics/job.js';
import { Redactor } from '../../../src/util/redactor.js';
import { runJobInProcess } from '../../helpers/job-harness.js';
import { GOLDEN_DIR, GOLDEN_INSTANT, GOLDEN_ZONE, cleverDefaults, golden, littlesisDefaults, samegoalDefaults } from './helpers.js';

let dir: string;
let shared: PgliteSource;
let connections: Record<string, NamedConnection>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sisrelay-ps-pglite-'));
  const db = await PGlite.create();
  for (const ddl of POWERSCHOOL_DDL) await db.exec(ddl);
  await db.exec(await readFile(new URL('district.sql', GOLDEN_DIR), 'utf8'));
  const tarball = join(dir, 'district.tar.gz');
  await writeFile(tarball, Buffer.from(await (await db.dumpDataDir('gzip')).arrayBuffer()));
  await db.close();
  const conn: NamedConnection<PgliteConnection> = {
    name: 'powerschool', type: 'pglite', dataset: 'powerschool', seed: 1, students: 12, snapshotDir: dir,
    schoolYearStart: 2026, academicYear: null, academicTerm: null, courses: 0,
  };
  // One PGlite instance for the three runs (opening one costs seconds); runs cannot close it.
  shared = new PgliteSource(conn, { redactor: new Redactor(), snapshot: async () => tarball });
  connections = { powerschool: conn, drop: { name: 'drop', type: 'local', path: join(dir, 'drop'), create: true } };
});

afterAll(async () => {
  await shared?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const loaders = {
  sql: async () => ({
    openSqlSource: (): SqlSource => ({
      kind: shared.kind,
      description: shared.description,
      connect: () => shared.connect(),
      stream: (sql, binds, options) => shared.stream(sql, binds, options),
      streamBatches: (sql, binds, options) => shared.streamBatches(sql, binds, options),
      all: (sql, binds, options) => shared.all(sql, binds, options),
      close: async () => undefined,
    }),
  }),
};

describe('the PowerSchool jobs on PGlite', () => {
  it('littlesis-roster gives the golden roster', async () => {
    const r = await runJobInProcess({
      module: littlesisJob, params: littlesisDefaults({ destination: 'drop' }), connections, loaders, startedAt: GOLDEN_INSTANT, zone: GOLDEN_ZONE,
    });
    expect(r.error).toBeUndefined();
    expect((await readFile(join(dir, 'drop', 'littlesis_roster.csv'))).equals(await golden('littlesis_roster.csv'))).toBe(true);
    await r.cleanup();
  });

  it('clever-demographics gives the golden change file', async () => {
    const r = await runJobInProcess({
      module: cleverJob, params: cleverDefaults({ destination: 'drop', remoteDir: '.' }), connections, loaders, startedAt: GOLDEN_INSTANT, zone: GOLDEN_ZONE,
    });
    expect(r.error).toBeUndefined();
    expect((await readFile(join(dir, 'drop', 'raceethnicity.txt'))).equals(await golden('raceethnicity.txt'))).toBe(true);
    await r.cleanup();
  });

  it('samegoal-demographics gives the golden students and guardians (window functions included)', async () => {
    const r = await runJobInProcess({
      module: samegoalJob, params: samegoalDefaults({ destination: 'drop', uploadDir: 'upload' }), connections, loaders, startedAt: GOLDEN_INSTANT, zone: GOLDEN_ZONE,
    });
    expect(r.error).toBeUndefined();
    const epoch = join(dir, 'drop', 'upload', '20261015-030000');
    expect((await readFile(join(epoch, 'students.csv'))).equals(await golden('students.csv'))).toBe(true);
    expect((await readFile(join(epoch, 'guardians.csv'))).equals(await golden('guardians.csv'))).toBe(true);
    expect(await readFile(join(epoch, 'COMPLETE'), 'utf8')).toBe('');
    await r.cleanup();
  });
});
