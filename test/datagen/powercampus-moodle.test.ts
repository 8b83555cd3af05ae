/**
 * PowerCampus generator, its DDL in PGlite with the original roster query, and the Moodle fixture
 * checked against that query's result. One PGlite instance for the file.
 */
import { createHash } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../../src/datagen/load-dataset.js';
import {
  AUDITING_ROLE_ID, STUDENT_ROLE_ID, TEACHER_ROLE_ID, buildMoodleFixture, sisRoster, type MoodleFixture,
} from '../../src/datagen/moodle-fixture.js';
import {
  generatePowerCampus, powerCampusDataset, powerCampusTermPlans, previousAcademicTerm, type GeneratePowerCampusParams,
} from '../../src/datagen/powercampus-generator.js';
import { byTable, countBy, rowsOf, type Row } from './collect.js';

const PARAMS: GeneratePowerCampusParams = { seed: 11, students: 200, year: 2026, term: 'Winter', courses: 30 };

let db: PGlite;
let t: Map<string, Row[]>;
let sqlRoster: { idnumber: string; course: string; section: string; role: string }[];
let fixture: MoodleFixture;

const ROSTER_SQL = (eventCount: number) => `
  SELECT DISTINCT REPLACE(PEOPLE.PEOPLE_CODE_ID, 'P', '') AS idnumber, SECTIONS.EVENT_ID AS course,
         TRANSCRIPTDETAIL.SECTION AS section,
         CASE WHEN TRANSCRIPTDETAIL.FINAL_GRADE = 'AU' THEN 'auditingstudent' ELSE 'student' END AS role
  FROM TRANSCRIPTDETAIL
  INNER JOIN SECTIONS
    ON TRANSCRIPTDETAIL.ACADEMIC_YEAR = SECTIONS.ACADEMIC_YEAR
   AND TRANSCRIPTDETAIL.ACADEMIC_TERM = SECTIONS.ACADEMIC_TERM
   AND TRANSCRIPTDETAIL.EVENT_ID = SECTIONS.EVENT_ID
  LEFT OUTER JOIN PEOPLE ON TRANSCRIPTDETAIL.PEOPLE_CODE_ID = PEOPLE.PEOPLE_CODE_ID
  LEFT OUTER JOIN ACADEMIC
    ON ACADEMIC.PEOPLE_CODE_ID = TRANSCRIPTDETAIL.PEOPLE_CODE_ID
   AND ACADEMIC.ACADEMIC_YEAR = TRANSCRIPTDETAIL.ACADEMIC_YEAR
   AND ACADEMIC.ACADEMIC_TERM = TRANSCRIPTDETAIL.ACADEMIC_TERM
   AND ACADEMIC.ACADEMIC_SESSION = TRANSCRIPTDETAIL.ACADEMIC_SESSION
  WHERE SECTIONS.ACADEMIC_YEAR = $1 AND SECTIONS.ACADEMIC_TERM = $2
    AND TRANSCRIPTDETAIL.ADD_DROP_WAIT = 'A'
    AND (TRANSCRIPTDETAIL.FINAL_GRADE <> 'W' AND TRANSCRIPTDETAIL.FINAL_GRADE <> 'WA')
    AND (ACADEMIC.ENROLL_SEPARATION <> 'LOA' AND ACADEMIC.ENROLL_SEPARATION <> 'WITH' AND ACADEMIC.ENROLL_SEPARATION <> 'AWIT')
    AND TRANSCRIPTDETAIL.EVENT_ID IN (${Array.from({ length: eventCount }, (_, i) => `$${i + 3}`).join(', ')})`;

beforeAll(async () => {
  db = new PGlite();
  await loadDataset((sql, params) => db.query(sql, params), powerCampusDataset(PARAMS));
  t = byTable(generatePowerCampus(PARAMS));
  const events = powerCampusTermPlans(PARAMS)[0]!.courses.map((c) => c.eventId);
  sqlRoster = (await db.query<{ idnumber: string; course: string; section: string; role: string }>(
    ROSTER_SQL(events.length), ['2026', 'Winter', ...events],
  )).rows;
  fixture = buildMoodleFixture(PARAMS);
});

afterAll(async () => {
  await db.close();
});

const key = (r: { idnumber: string; course: string; section: string; role: string }) => `${r.idnumber}|${r.course}|${r.section}|${r.role}`;

describe('generatePowerCampus', () => {
  it('is deterministic per seed', () => {
    const digest = (p: GeneratePowerCampusParams) => createHash('sha256').update(JSON.stringify([...generatePowerCampus(p)])).digest('hex');
    expect(digest(PARAMS)).toBe(digest(PARAMS));
    expect(digest({ ...PARAMS, seed: 12 })).not.toBe(digest(PARAMS));
  });

  it('uses P + 9 digits for PEOPLE_CODE_ID and the same id everywhere', () => {
    const people = rowsOf(t, 'PEOPLE');
    expect(people).toHaveLength(200);
    const ids = new Set(people.map((p) => p.PEOPLE_CODE_ID));
    expect(ids.size).toBe(200);
    for (const p of people) {
      expect(p.PEOPLE_CODE_ID).toMatch(/^P\d{9}$/);
      expect(p.PEOPLE_CODE_ID).toBe(`P${p.PEOPLE_ID as string}`);
    }
    for (const r of [...rowsOf(t, 'TRANSCRIPTDETAIL'), ...rowsOf(t, 'ACADEMIC')]) expect(ids.has(r.PEOPLE_CODE_ID)).toBe(true);
  });

  it('holds the current and the previous term', () => {
    const terms = new Set(rowsOf(t, 'TRANSCRIPTDETAIL').map((r) => `${r.ACADEMIC_YEAR} ${r.ACADEMIC_TERM}`));
    expect(terms).toEqual(new Set(['2026 Winter', '2025 Fall']));
    expect(previousAcademicTerm(2026, 'Spring')).toEqual({ year: 2026, term: 'Winter' });
  });

  it('covers the grade, add/drop and separation values the roster filter depends on', () => {
    const current = rowsOf(t, 'TRANSCRIPTDETAIL').filter((r) => r.ACADEMIC_TERM === 'Winter');
    const grades = new Set(current.map((r) => r.FINAL_GRADE));
    for (const g of [null, '', 'W', 'WA', 'AU', 'A']) expect(grades.has(g), `grade ${String(g)}`).toBe(true);
    expect(new Set(current.map((r) => r.ADD_DROP_WAIT))).toEqual(new Set(['A', 'D', 'W']));
    const academic = rowsOf(t, 'ACADEMIC').filter((r) => r.ACADEMIC_TERM === 'Winter');
    const seps = new Set(academic.map((r) => r.ENROLL_SEPARATION));
    for (const s of [null, 'ENRL', 'LOA', 'WITH', 'AWIT']) expect(seps.has(s), `separation ${String(s)}`).toBe(true);
    expect([...seps].some((s) => typeof s === 'string' && !['ENRL', 'LOA', 'WITH', 'AWIT'].includes(s))).toBe(true);
    const withAcademic = new Set(academic.map((r) => r.PEOPLE_CODE_ID));
    expect([...new Set(current.map((r) => r.PEOPLE_CODE_ID))].some((id) => !withAcademic.has(id))).toBe(true);
    const curricula = new Set(academic.map((r) => r.CURRICULUM));
    for (const c of ['CHIRO', 'NUTRIT', 'CLMH']) expect(curricula.has(c)).toBe(true);
    expect(academic.some((r) => r.PRIMARY_FLAG === 'N')).toBe(true);
  });

  it('offers several sections per course, labs, cross-listed pairs and a cancelled section', () => {
    const sections = rowsOf(t, 'SECTIONS').filter((r) => r.ACADEMIC_TERM === 'Winter' && r.EVENT_STATUS === 'A');
    const perCourse = countBy(sections.filter((s) => s.EVENT_SUB_TYPE === 'LEC'), (s) => String(s.EVENT_ID));
    expect([...perCourse.values()].some((n) => n >= 2)).toBe(true);
    expect(sections.some((s) => s.EVENT_SUB_TYPE === 'LAB')).toBe(true);
    const plan = powerCampusTermPlans(PARAMS)[0]!;
    const crossed = plan.courses.filter((c) => c.crossListedWith !== null);
    expect(crossed.length).toBeGreaterThanOrEqual(2);
    for (const c of crossed) expect(plan.courses.find((o) => o.eventId === c.crossListedWith)!.longName).toBe(c.longName);
    const cancelled = rowsOf(t, 'SECTIONS').filter((s) => s.EVENT_STATUS === 'C');
    expect(cancelled.length).toBeGreaterThan(0);
    const registered = new Set(rowsOf(t, 'TRANSCRIPTDETAIL').map((r) => `${r.ACADEMIC_TERM}|${r.EVENT_ID}|${r.SECTION}`));
    for (const c of cancelled) expect(registered.has(`${c.ACADEMIC_TERM}|${c.EVENT_ID}|${c.SECTION}`)).toBe(false);
  });

  it('rejects an unknown term', () => {
    expect(() => powerCampusTermPlans({ ...PARAMS, term: 'Autumn' as never })).toThrow(/Winter, Spring, Summer, Fall/);
  });
});

describe('PowerCampus in PGlite', () => {
  it('returns from the original roster query exactly the in-memory roster of the fixture', () => {
    const mem = sisRoster(PARAMS);
    expect(sqlRoster.length).toBeGreaterThan(300);
    expect(new Set(sqlRoster.map(key))).toEqual(new Set(mem.map(key)));
    expect(sqlRoster.some((r) => r.role === 'auditingstudent')).toBe(true);
  });

  it('drops NULL FINAL_GRADE, NULL separation and missing ACADEMIC rows (NULL semantics)', () => {
    const current = rowsOf(t, 'TRANSCRIPTDETAIL').filter((r) => r.ACADEMIC_TERM === 'Winter' && r.ADD_DROP_WAIT === 'A');
    const inRoster = new Set(sqlRoster.map((r) => `${r.idnumber}|${r.course}`));
    const nullGrade = current.filter((r) => r.FINAL_GRADE === null);
    expect(nullGrade.length).toBeGreaterThan(0);
    // LEC and LAB rows of a registration share the grade, so no twin brings the course back.
    for (const r of nullGrade) expect(inRoster.has(`${(r.PEOPLE_CODE_ID as string).slice(1)}|${r.EVENT_ID}`)).toBe(false);
  });

  it('answers the non-academic program query', async () => {
    const rows = (await db.query<{ idnumber: string; program: string }>(
      `SELECT DISTINCT REPLACE(aca.PEOPLE_CODE_ID, 'P', '') AS idnumber, aca.CURRICULUM AS program
       FROM ACADEMIC aca JOIN PEOPLE ppl ON ppl.PEOPLE_CODE_ID = aca.PEOPLE_CODE_ID
       WHERE aca.CURRICULUM IN ('CHIRO', 'NUTRIT', 'CLMH') AND aca.ACADEMIC_YEAR = $1 AND aca.ACADEMIC_TERM = $2`,
      ['2026', 'Winter'],
    )).rows;
    expect(new Set(rows.map((r) => r.program))).toEqual(new Set(['CHIRO', 'NUTRIT', 'CLMH']));
  });
});

describe('buildMoodleFixture', () => {
  it('maps shortnames to Moodle course ids, with cross-listed, per-section and whole-course entries', () => {
    const ids = new Set(fixture.courses.map((c) => c.id));
    const entries = Object.entries(fixture.mapping);
    expect(entries.length).toBeGreaterThan(10);
    const offered = new Set(powerCampusTermPlans(PARAMS)[0]!.courses.map((c) => c.eventId));
    for (const [shortname, e] of entries) {
      expect(ids.has(e.id)).toBe(true);
      expect(fixture.courses.find((c) => c.id === e.id)!.shortname).toBe(shortname);
      for (const ev of e.courses) expect(offered.has(ev)).toBe(true);
    }
    expect(entries.some(([, e]) => e.courses.length === 2)).toBe(true);
    expect(entries.some(([, e]) => e.section !== undefined)).toBe(true);
    expect(entries.some(([, e]) => e.section === undefined && e.courses.length === 1)).toBe(true);
    expect(Object.values(fixture.nonAcademicMapping).map((h) => h.program).sort()).toEqual(['CHIRO', 'CLMH', 'NUTRIT']);
    expect(new Set([...entries.map(([, e]) => e.id), ...Object.values(fixture.nonAcademicMapping).map((h) => h.id)]).size)
      .toBe(entries.length + Object.keys(fixture.nonAcademicMapping).length);
  });

  it('gives every PowerCampus person a user whose idnumber is PEOPLE_CODE_ID without P, plus users without one', () => {
    const byIdnumber = new Set(fixture.users.map((u) => u.idnumber));
    for (const p of rowsOf(t, 'PEOPLE')) expect(byIdnumber.has((p.PEOPLE_CODE_ID as string).replace(/P/g, ''))).toBe(true);
    const noId = new Set(fixture.users.filter((u) => u.idnumber === '').map((u) => u.id));
    expect(noId.size).toBeGreaterThan(1);
    expect(fixture.enrolments.some((e) => noId.has(e.userid) && e.roleid === STUDENT_ROLE_ID)).toBe(true);
    expect(fixture.enrolments.some((e) => e.status === 1)).toBe(true);
    for (const e of Object.values(fixture.mapping)) {
      expect(fixture.enrolments.some((x) => x.courseid === e.id && x.roleid === TEACHER_ROLE_ID)).toBe(true);
    }
  });

  it('differs from the SQL roster by exactly the listed pending adds and drops', () => {
    const users = new Map(fixture.users.map((u) => [u.id, u]));
    const adds: string[] = [];
    const drops: string[] = [];
    for (const [shortname, entry] of Object.entries(fixture.mapping)) {
      for (const [role, roleid] of [['student', STUDENT_ROLE_ID], ['auditingstudent', AUDITING_ROLE_ID]] as const) {
        const sis = new Set(sqlRoster
          .filter((r) => r.role === role && entry.courses.includes(r.course) && (entry.section === undefined || r.section === entry.section))
          .map((r) => r.idnumber));
        const lms = new Set(fixture.enrolments
          .filter((e) => e.courseid === entry.id && e.roleid === roleid)
          .map((e) => users.get(e.userid)!.idnumber)
          .filter((id) => id !== ''));
        for (const id of sis) if (!lms.has(id)) adds.push(`${shortname}|${id}|${role}`);
        for (const id of lms) if (!sis.has(id)) drops.push(`${shortname}|${id}|${role}`);
      }
    }
    const p = fixture.perturbations;
    expect(adds.sort()).toEqual(p.missingFromMoodle.map((k) => `${k.shortname}|${k.idnumber}|${k.role}`).sort());
    expect(drops.sort()).toEqual(p.extraInMoodle.map((k) => `${k.shortname}|${k.idnumber}|${k.role}`).sort());
    expect(adds.length).toBeGreaterThan(0);
    expect(p.extraInMoodle.some((k) => k.reason === 'manual')).toBe(true);
    expect(p.extraInMoodle.some((k) => k.reason === 'sis-dropped')).toBe(true);
    // Mostly in sync: far more matching enrolments than pending changes.
    const studentEnrolments = fixture.enrolments.filter((e) => e.roleid === STUDENT_ROLE_ID || e.roleid === AUDITING_ROLE_ID).length;
    expect(adds.length + drops.length).toBeLessThan(studentEnrolments * 0.2);
  });

  it('fills the hubs with program members except the listed missing ones', async () => {
    const members = (await db.query<{ idnumber: string; program: string }>(
      `SELECT DISTINCT REPLACE(PEOPLE_CODE_ID, 'P', '') AS idnumber, CURRICULUM AS program FROM ACADEMIC
       WHERE CURRICULUM IN ('CHIRO', 'NUTRIT', 'CLMH') AND ACADEMIC_YEAR = '2026' AND ACADEMIC_TERM = 'Winter'`,
    )).rows;
    const users = new Map(fixture.users.map((u) => [u.id, u]));
    for (const [shortname, hub] of Object.entries(fixture.nonAcademicMapping)) {
      const sis = new Set(members.filter((m) => m.program === hub.program).map((m) => m.idnumber));
      const lms = new Set(fixture.enrolments.filter((e) => e.courseid === hub.id).map((e) => users.get(e.userid)!.idnumber));
      const missing = [...sis].filter((id) => !lms.has(id)).sort();
      expect(missing).toEqual(fixture.perturbations.missingFromHubs.filter((m) => m.shortname === shortname).map((m) => m.idnumber).sort());
      expect([...lms].filter((id) => !sis.has(id))).toEqual([]);
    }
  });

  it('is deterministic per seed', () => {
    expect(JSON.stringify(buildMoodleFixture(PARAMS))).toBe(JSON.stringify(fixture));
    expect(JSON.stringify(buildMoodleFixture({ ...PARAMS, seed: 99 }))).not.toBe(JSON.stringify(fixture));
  });
});
