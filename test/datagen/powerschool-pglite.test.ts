/**
 * The PowerSchool DDL and generated rows in PGlite, queried the way the jobs will query them
 * (portable SQL, ANSI joins). One PGlite instance for the file: it takes seconds to start.
 */
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset, type LoadStats } from '../../src/datagen/load-dataset.js';
import { generatePowerSchool, powerSchoolDataset } from '../../src/datagen/powerschool-generator.js';
import { POWERSCHOOL_DDL } from '../../src/datagen/powerschool-schema.js';
import { byTable, rowsOf, type Row } from './collect.js';

const PARAMS = { seed: 'pglite', students: 300, schoolYearStart: 2026 };
let db: PGlite;
let stats: LoadStats;
let t: Map<string, Row[]>;

const q = async <T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> => (await db.query<T>(sql, params)).rows;
const count = async (sql: string, params: unknown[] = []): Promise<number> => Number((await q<{ n: number }>(sql, params))[0]!.n);

beforeAll(async () => {
  db = new PGlite();
  stats = await loadDataset((sql, params) => db.query(sql, params), powerSchoolDataset(PARAMS), { batchRows: 400 });
  t = byTable(generatePowerSchool(PARAMS));
});

afterAll(async () => {
  await db.close();
});

describe('PowerSchool schema in PGlite', () => {
  it('uses only portable column types and unquoted identifiers in the DDL', () => {
    for (const sql of POWERSCHOOL_DDL) {
      expect(sql).not.toMatch(/"/);
      expect(sql).not.toMatch(/\b(TEXT|SERIAL|BOOLEAN|VARCHAR2|NUMBER|BYTEA|JSONB?)\b/);
    }
  });

  it('loads every generated row, table by table', async () => {
    for (const [table, rows] of t) {
      expect(stats.tables[table], table).toBe(rows.length);
      expect(await count(`SELECT count(*) AS n FROM ${table}`), table).toBe(rows.length);
    }
    expect(stats.statements).toBeGreaterThan(t.size);
  });

  it('finds the current term year from school 5 with the 30-day rule, and none in the summer gap', async () => {
    const years = await q<{ yearid: number; dcid: number; firstday: Date; lastday: Date }>(
      'SELECT yearid, dcid, firstday, lastday FROM terms WHERE isyearrec = 1 AND schoolid = $1 ORDER BY dcid DESC',
      [5],
    );
    const pick = (now: Date): number | null => {
      let year: number | null = null;
      for (const y of years) {
        if (y.firstday.getTime() - 30 * 86_400_000 < now.getTime() && y.lastday.getTime() > now.getTime()) year = y.yearid;
      }
      return year;
    };
    expect(years.map((y) => y.yearid).sort()).toEqual([35, 36]);
    expect(pick(new Date('2026-10-15T12:00:00'))).toBe(36);
    expect(pick(new Date('2026-03-01T12:00:00'))).toBe(35);
    expect(pick(new Date('2026-07-01T12:00:00'))).toBeNull();
    expect(pick(new Date('2026-07-25T12:00:00'))).toBe(36);
  });

  it('returns the set-based roster only when CC joins TERMS on both id and school', async () => {
    const roster = `
      SELECT cc.course_number, cc.section_number, cc.termid, cc.schoolid, cc.expression, cc.dateenrolled, cc.dateleft,
             courses.course_name, sections.room, teachers.email_addr, students.student_number, students.entrydate,
             students.exitdate, students.enroll_status, schools.abbreviation
      FROM students
      INNER JOIN terms ON terms.schoolid = students.schoolid AND terms.yearid = $1
      INNER JOIN cc ON cc.studentid = students.id AND cc.termid = terms.id
      LEFT JOIN courses ON courses.course_number = cc.course_number
      LEFT JOIN teachers ON teachers.id = cc.teacherid
      LEFT JOIN sections ON sections.id = cc.sectionid
      LEFT JOIN schools ON schools.school_number = students.schoolid
      WHERE students.enroll_status = 0`;
    const rows = await q<{ termid: number; email_addr: string | null; course_name: string | null; room: string | null }>(roster, [36]);

    // Expected independently from the generated rows.
    const students = rowsOf(t, 'students');
    const terms = rowsOf(t, 'terms');
    const active = new Map(students.filter((s) => s.enroll_status === 0).map((s) => [s.id, s]));
    const termIds = (school: unknown) => new Set(terms.filter((x) => x.schoolid === school && x.yearid === 36).map((x) => x.id));
    const expected = rowsOf(t, 'cc').filter((r) => active.has(r.studentid) && termIds(active.get(r.studentid)!.schoolid).has(r.termid));
    expect(rows.length).toBe(expected.length);
    expect(rows.every((r) => r.termid > 0)).toBe(true);
    expect(rows.some((r) => r.email_addr === null)).toBe(true);
    expect(rows.some((r) => r.course_name === null)).toBe(true);
    expect(rows.some((r) => r.room === null)).toBe(true);

    const idOnly = await count(
      `SELECT count(*) AS n FROM students
       INNER JOIN terms ON terms.yearid = $1
       INNER JOIN cc ON cc.studentid = students.id AND cc.termid = terms.id
       WHERE students.enroll_status = 0`,
      [36],
    );
    expect(idOnly).toBeGreaterThan(rows.length);
  });

  it('keeps TEACHERS 1:1 by id, while a join on users_dcid multiplies rows', async () => {
    const base = await count('SELECT count(*) AS n FROM cc');
    const byId = await count('SELECT count(*) AS n FROM cc LEFT JOIN teachers ON teachers.id = cc.teacherid');
    const byUser = await count(
      `SELECT count(*) AS n FROM cc
       LEFT JOIN schoolstaff ON schoolstaff.id = cc.teacherid
       LEFT JOIN teachers ON teachers.users_dcid = schoolstaff.users_dcid`,
    );
    expect(byId).toBe(base);
    expect(byUser).toBeGreaterThan(base);
  });

  it('answers the Clever query with one row per active student, newest student number first', async () => {
    const rows = await q<{ student_number: number; fer: string | null; lep: number | null; custom_race: string | null }>(
      `SELECT students.student_number, students.fedethnicity, students.first_name, students.last_name,
              demo.fer, ext.custom_ethnicity, ext.custom_race, ext.custom_lep, il.lep
       FROM students
       LEFT JOIN s_il_stu_demographics_x demo ON demo.studentsdcid = students.dcid
       LEFT JOIN u_def_ext_students0 ext ON ext.studentsdcid = students.dcid
       LEFT JOIN s_il_stu_x il ON il.studentsdcid = students.dcid
       WHERE students.enroll_status = 0
       ORDER BY students.student_number DESC`,
    );
    const active = rowsOf(t, 'students').filter((s) => s.enroll_status === 0);
    expect(rows.length).toBe(active.length);
    expect(rows.map((r) => r.student_number)).toEqual([...rows.map((r) => r.student_number)].sort((a, b) => b - a));
    expect(rows.some((r) => r.fer === null)).toBe(true);
    expect(rows.some((r) => r.lep === null)).toBe(true);
  });

  it('answers a guardians query (address, phones by type, primary e-mail, language) in contact order', async () => {
    const rows = await q<{
      student_number: number; lastname: string; relationship: string; street: string | null; state: string | null;
      home_phone: string | null; cell_phone: string | null; email: string | null; language: string | null;
      isemergency: number; iscustodial: number; contactpriorityorder: number;
    }>(
      `SELECT students.student_number, person.lastname, person.firstname, rel.code AS relationship,
              pa.street, pa.city, st.code AS state, pa.postalcode,
              home.phonenumberasentered AS home_phone, work.phonenumberasentered AS work_phone,
              cell.phonenumberasentered AS cell_phone, ea.emailaddress AS email, lang.code AS language,
              scd.isemergency, scd.iscustodial, sca.contactpriorityorder
       FROM students
       INNER JOIN studentcontactassoc sca ON sca.studentdcid = students.dcid
       INNER JOIN studentcontactdetail scd ON scd.studentcontactassocid = sca.studentcontactassocid AND scd.isactive = 1
       INNER JOIN person ON person.id = sca.personid
       LEFT JOIN codeset rel ON rel.codesetid = scd.relationshiptypecodesetid
       LEFT JOIN personaddressassoc paa ON paa.personid = person.id AND paa.addresspriorityorder = 1
       LEFT JOIN personaddress pa ON pa.personaddressid = paa.personaddressid
       LEFT JOIN codeset st ON st.codesetid = pa.statescodesetid
       LEFT JOIN personphonenumberassoc home ON home.personid = person.id AND home.phonetypecodesetid = 200
       LEFT JOIN personphonenumberassoc work ON work.personid = person.id AND work.phonetypecodesetid = 201
       LEFT JOIN personphonenumberassoc cell ON cell.personid = person.id AND cell.phonetypecodesetid = 202
       LEFT JOIN personemailaddressassoc pe ON pe.personid = person.id AND pe.isprimaryemailaddress = 1
       LEFT JOIN emailaddress ea ON ea.emailaddressid = pe.emailaddressid
       LEFT JOIN codeset lang ON lang.codesetid = person.languagecodesetid
       WHERE students.enroll_status = 0
       ORDER BY students.student_number, scd.isemergency DESC, scd.iscustodial DESC, sca.contactpriorityorder`,
    );
    const active = new Set(rowsOf(t, 'students').filter((s) => s.enroll_status === 0).map((s) => s.dcid));
    const activeDetail = new Set(rowsOf(t, 'studentcontactdetail').filter((d) => d.isactive === 1).map((d) => d.studentcontactassocid));
    const expected = rowsOf(t, 'studentcontactassoc').filter((a) => active.has(a.studentdcid) && activeDetail.has(a.studentcontactassocid));
    expect(rows.length).toBe(expected.length);
    expect(rows.every((r) => r.street !== null && r.state !== null && r.relationship !== null)).toBe(true);
    expect(rows.some((r) => r.email === null)).toBe(true);
    expect(rows.some((r) => r.cell_phone === null)).toBe(true);
    expect(rows.some((r) => r.language === 'es')).toBe(true);
    expect(rows.some((r) => r.language === null)).toBe(true);
    for (let i = 1; i < rows.length; i++) {
      const a = rows[i - 1]!;
      const b = rows[i]!;
      if (a.student_number !== b.student_number) continue;
      const ka = [-a.isemergency, -a.iscustodial, a.contactpriorityorder];
      const kb = [-b.isemergency, -b.iscustodial, b.contactpriorityorder];
      const cmp = ka.map((v, j) => Math.sign(v - kb[j]!)).find((d) => d !== 0) ?? 0;
      expect(cmp, `student ${a.student_number}`).toBeLessThanOrEqual(0);
    }
  });
});
