import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresSource } from '../../../src/adapters/sql/postgres-source.js';
import { loadDatasetWithCopy } from '../../../src/datagen/load-dataset.js';
import { sisRoster } from '../../../src/datagen/moodle-fixture.js';
import { powerCampusDataset, powerCampusTermPlans, type GeneratePowerCampusParams } from '../../../src/datagen/powercampus-generator.js';
import { ROSTER_SQL, rosterBinds } from '../../../src/jobs/moodle-enrollments/roster-sql.js';
import { readHubRoster, readSisRoster } from '../../../src/jobs/moodle-enrollments/sis-roster.js';
import { Redactor } from '../../../src/util/redactor.js';
import { startPostgres, type PgFixture } from '../../fixtures/postgres.js';
import { EXPECTED_ROSTER_ROWS, TERM, YEAR, idn, loadHandmadePowerCampus } from './handmade.js';

/**
 * The roster SQL against a real PostgreSQL holding PowerCampus rows: one hand-made person per
 * filter case (NULL semantics included), and a generated term cross-checked against the data
 * generator's own reading of the original query.
 */

let fx: PgFixture;
let admin: pg.Client;
let handmade: PostgresSource;
let generated: PostgresSource;
const GEN: GeneratePowerCampusParams = { seed: 'moodle-roster-check', students: 400, year: 2027, term: 'Winter', courses: 24 };

beforeAll(async () => {
  fx = await startPostgres();
  await fx.createDatabase('handmade');
  await fx.createDatabase('generated');
  admin = await fx.client('handmade');
  await loadHandmadePowerCampus(admin);
  const gen = await fx.client('generated');
  try {
    await loadDatasetWithCopy(gen, powerCampusDataset(GEN));
  } finally {
    await gen.end();
  }
  const redactor = new Redactor([fx.password]);
  handmade = new PostgresSource(fx.connection('handmade'), { redactor });
  generated = new PostgresSource(fx.connection('generated'), { redactor });
}, 60_000);

afterAll(async () => {
  await handmade?.close().catch(() => undefined);
  await generated?.close().catch(() => undefined);
  await admin?.end().catch(() => undefined);
  await fx?.stop();
});

describe('roster SQL on PostgreSQL', () => {
  it('keeps exactly the rows the original filters keep, NULLs excluding like `!=`', async () => {
    const rows = await handmade.all(ROSTER_SQL, rosterBinds({ academicYear: YEAR, academicTerm: TERM }));
    expect(rows.map((r) => `${r.idnumber} ${r.course} ${r.section} ${r.role}`).sort()).toEqual(EXPECTED_ROSTER_ROWS);
  });

  it('readSisRoster keeps mapped courses only and skips rows without a person', async () => {
    const read = await readSisRoster(handmade, { academicYear: YEAR, academicTerm: TERM }, new Set(['BIO101', 'CHEM200', 'GHOST100']));
    expect({ termRows: read.termRows, mappedRows: read.mappedRows, withoutPerson: read.withoutPerson }).toEqual({ termRows: 9, mappedRows: 7, withoutPerson: 1 });
    expect([...read.roster.members('BIO101', '01', 'student')].sort()).toEqual([idn(101), idn(114), idn(118), idn(119), idn(120)]);
    expect([...read.roster.members('BIO101', null, 'auditingstudent')]).toEqual([idn(102)]);
    expect([...read.roster.members('GHOST100', null, 'student')]).toEqual([]);
    expect([...read.roster.members('PHYS300', null, 'student')]).toEqual([]);
  });

  it('a wrong term returns nothing at all', async () => {
    const read = await readSisRoster(handmade, { academicYear: YEAR, academicTerm: 'Wintr' }, new Set(['BIO101']));
    expect(read.termRows).toBe(0);
  });

  it('hub programs: the term\'s students of the curriculum (no separation filter), other terms excluded', async () => {
    const hubs = await readHubRoster(handmade, { academicYear: YEAR, academicTerm: TERM }, ['CLMH', 'CERT']);
    expect(Object.fromEntries([...hubs.programs].map(([p, s]) => [p, [...s].sort()]))).toEqual({ CERT: [idn(114)], CLMH: [idn(122)] });
    expect(hubs.rows).toBe(2);
  });

  it('on a generated term the SQL agrees row for row with the generator\'s reading of the original query', async () => {
    const [plan] = powerCampusTermPlans(GEN);
    const courses = new Set(plan!.courses.map((c) => c.eventId));
    const read = await readSisRoster(generated, { academicYear: '2027', academicTerm: 'Winter' }, courses);
    const expected = sisRoster(GEN);
    expect(read.withoutPerson).toBe(0);
    expect(read.mappedRows).toBe(expected.length);
    for (const r of expected) expect(read.roster.members(r.course, r.section, r.role).has(r.idnumber), `${r.idnumber} ${r.course} ${r.section} ${r.role}`).toBe(true);
    // The previous term is in the database too and must not leak in.
    const all = await generated.all('SELECT COUNT(*) AS n FROM TRANSCRIPTDETAIL');
    expect(Number(all[0]!.n)).toBeGreaterThan(read.termRows);
  });
});
