import { createHash } from 'node:crypto';
import iconv from 'iconv-lite';
import { beforeAll, describe, expect, it } from 'vitest';
import { isTestStudentName, isWin1252Encodable } from '../../src/datagen/name-pools.js';
import { POWERSCHOOL_TABLE_ORDER, describePowerSchool, generatePowerSchool } from '../../src/datagen/powerschool-generator.js';
import { POWERSCHOOL_TABLES } from '../../src/datagen/powerschool-schema.js';
import { byTable, countBy, rowsOf, type Row } from './collect.js';

const PARAMS = { seed: 7, students: 400, schoolYearStart: 2026 };
const YEAR_ID = 36;

function digest(params: Parameters<typeof generatePowerSchool>[0]): string {
  const h = createHash('sha256');
  for (const r of generatePowerSchool(params)) h.update(`${r.table}\u0001${JSON.stringify(r.row)}\n`);
  return h.digest('hex');
}

let t: Map<string, Row[]>;
let students: Row[];
let cc: Row[];
let active: Row[];
beforeAll(() => {
  t = byTable(generatePowerSchool(PARAMS));
  students = rowsOf(t, 'students');
  cc = rowsOf(t, 'cc');
  active = students.filter((s) => s.enroll_status === 0);
});

const isCurrentYear = (termid: number) => Math.floor(Math.abs(termid) / 100) === YEAR_ID;

describe('generatePowerSchool determinism', () => {
  it('gives identical rows for the same seed and different rows for another seed', () => {
    const small = { ...PARAMS, students: 150 };
    const first = digest(small);
    expect(digest(small)).toBe(first);
    expect(digest({ ...small, seed: 8 })).not.toBe(first);
  });

  it('emits every table of the schema, each as one contiguous run in schema order', () => {
    const order: string[] = [];
    for (const r of generatePowerSchool({ ...PARAMS, students: 60 })) if (order.at(-1) !== r.table) order.push(r.table);
    expect(order).toEqual(POWERSCHOOL_TABLE_ORDER);
    expect(new Set(order).size).toBe(order.length);
  });

  it('fills every column of every row exactly (no unknown or missing keys)', () => {
    const bad: string[] = [];
    for (const def of POWERSCHOOL_TABLES) {
      const cols = def.columns.map((c) => c.name).sort().join(',');
      for (const row of rowsOf(t, def.name)) if (Object.keys(row).sort().join(',') !== cols) bad.push(def.name);
    }
    expect(bad).toEqual([]);
  });
});

describe('generated district shape', () => {
  it('gives every active student 6–9 current-year sections', () => {
    const perStudent = countBy(cc.filter((r) => (r.termid as number) > 0 && isCurrentYear(r.termid as number)), (r) => String(r.studentid));
    expect(active.length).toBeGreaterThan(PARAMS.students * 0.8);
    for (const s of active) {
      const n = perStudent.get(String(s.id)) ?? 0;
      expect(n, `student ${s.id}`).toBeGreaterThanOrEqual(6);
      expect(n, `student ${s.id}`).toBeLessThanOrEqual(9);
    }
  });

  it('has dropped enrollments with both termid and sectionid negated', () => {
    const dropped = cc.filter((r) => (r.termid as number) < 0);
    expect(dropped.length).toBeGreaterThan(20);
    for (const r of dropped) expect(r.sectionid as number).toBeLessThan(0);
    for (const r of cc.filter((x) => (x.termid as number) > 0)) expect(r.sectionid as number).toBeGreaterThan(0);
  });

  it('reuses term ids in every school with distinct dcids, and has last year too', () => {
    const terms = rowsOf(t, 'terms');
    const dcids = new Set(terms.map((x) => x.dcid));
    expect(dcids.size).toBe(terms.length);
    const schoolsWith3601 = terms.filter((x) => x.id === 3601).map((x) => x.schoolid);
    expect(schoolsWith3601.length).toBeGreaterThanOrEqual(5);
    // 3601 is a trimester in elementary schools and a semester elsewhere: different dates.
    expect(new Set(terms.filter((x) => x.id === 3601).map((x) => x.lastday)).size).toBeGreaterThan(1);
    for (const school of [1, 2, 3, 4, 5]) {
      for (const yearid of [35, 36]) {
        const years = terms.filter((x) => x.schoolid === school && x.yearid === yearid && x.isyearrec === 1);
        expect(years, `school ${school} year ${yearid}`).toHaveLength(1);
        expect(years[0]!.id).toBe(yearid * 100);
      }
    }
    const summary = describePowerSchool(PARAMS);
    expect(summary.yearId).toBe(36);
    expect(summary.termYearSchoolNumber).toBe(5);
    const y = terms.find((x) => x.schoolid === 5 && x.yearid === 36 && x.isyearrec === 1)!;
    expect(y.firstday).toBe('2026-08-19');
    expect(y.lastday).toBe('2027-06-04');
  });

  it('has NULL rooms, rooms with commas, office sections without teacher e-mail and a teacher in two schools', () => {
    const sections = rowsOf(t, 'sections');
    expect(sections.some((s) => s.room === null)).toBe(true);
    expect(sections.some((s) => typeof s.room === 'string' && s.room.includes(','))).toBe(true);
    const staff = new Map(rowsOf(t, 'schoolstaff').map((s) => [s.id, s]));
    const users = new Map(rowsOf(t, 'users').map((u) => [u.dcid, u]));
    const emailOf = (staffId: number) => users.get(staff.get(staffId)!.users_dcid)!.email_addr;
    expect(sections.some((s) => emailOf(s.teacher as number) === null)).toBe(true);
    expect(sections.some((s) => emailOf(s.teacher as number) !== null)).toBe(true);
    const perUser = countBy(rowsOf(t, 'schoolstaff'), (s) => String(s.users_dcid));
    expect([...perUser.values()].some((n) => n >= 2)).toBe(true);
  });

  it('has course names with commas and quotes and a course number missing from COURSES', () => {
    const names = rowsOf(t, 'courses').map((c) => c.course_name as string);
    expect(names.some((n) => n.includes(','))).toBe(true);
    expect(names.some((n) => n.includes('"'))).toBe(true);
    const known = new Set(rowsOf(t, 'courses').map((c) => c.course_number));
    expect(cc.some((r) => !known.has(r.course_number))).toBe(true);
  });

  it('has mostly active students and some with status 2, 3 and -1; graduates sit in school 999999', () => {
    const statuses = countBy(students, (s) => String(s.enroll_status));
    expect((statuses.get('0') ?? 0) / students.length).toBeGreaterThan(0.8);
    for (const s of ['2', '3', '-1']) expect(statuses.get(s) ?? 0, `status ${s}`).toBeGreaterThan(0);
    for (const g of students.filter((s) => s.enroll_status === 3)) {
      expect(g.schoolid).toBe(999999);
      expect(g.grade_level).toBe(99);
    }
  });

  it('places some students in a class at another school, with a shared term id and without one', () => {
    const byId = new Map(students.map((s) => [s.id, s]));
    const terms = rowsOf(t, 'terms');
    const termIdsAt = (school: number) => new Set(terms.filter((x) => x.schoolid === school && x.yearid === YEAR_ID).map((x) => x.id));
    const foreign = cc.filter((r) => (r.termid as number) > 0 && isCurrentYear(r.termid as number) && r.schoolid !== byId.get(r.studentid)!.schoolid);
    expect(foreign.some((r) => termIdsAt(byId.get(r.studentid)!.schoolid as number).has(r.termid))).toBe(true);
    expect(foreign.some((r) => !termIdsAt(byId.get(r.studentid)!.schoolid as number).has(r.termid))).toBe(true);
  });

  it('covers the demographic value sets the Clever job maps', () => {
    expect(new Set(students.map((s) => s.fedethnicity))).toEqual(new Set([1, 0, -1, null]));
    const demo = rowsOf(t, 's_il_stu_demographics_x');
    const fers = new Set(demo.map((d) => d.fer));
    for (const v of ['11', '13', '14', '16', '17', null, '0']) expect(fers.has(v), `fer ${String(v)}`).toBe(true);
    expect(demo.length).toBeLessThan(students.length);
    const lep = rowsOf(t, 's_il_stu_x');
    expect(new Set(lep.map((l) => l.lep)).has(1)).toBe(true);
    expect(new Set(lep.map((l) => l.lep)).has(0)).toBe(true);
    expect(lep.length).toBeLessThan(students.length);
    const races = countBy(rowsOf(t, 'studentrace'), (r) => String(r.studentid));
    expect([...races.values()].some((n) => n === 2)).toBe(true);
  });

  it('stores custom Clever fields that mostly equal the computed values and sometimes differ', () => {
    const map: Record<string, string> = { '12': 'I', '13': 'A', '14': 'B', '15': 'P', '16': 'W', '17': 'M' };
    const fer = new Map(rowsOf(t, 's_il_stu_demographics_x').map((d) => [d.studentsdcid, d.fer as string | null]));
    const lep = new Map(rowsOf(t, 's_il_stu_x').map((d) => [d.studentsdcid, d.lep]));
    const custom = new Map(rowsOf(t, 'u_def_ext_students0').map((d) => [d.studentsdcid, d]));
    let same = 0;
    let differ = 0;
    for (const s of active) {
      const computed = [s.fedethnicity === 1 ? 'Y' : 'N', map[fer.get(s.dcid) ?? ''] ?? '', lep.get(s.dcid) === 1 ? 'Y' : 'N'].join('|');
      const c = custom.get(s.dcid);
      const stored = [c?.custom_ethnicity ?? '', c?.custom_race ?? '', c?.custom_lep ?? ''].join('|');
      if (computed === stored) same++;
      else differ++;
    }
    expect(same / active.length).toBeGreaterThan(0.7);
    expect(differ).toBeGreaterThan(5);
  });

  it('has the special names, test students (active) and non-windows-1252 names', () => {
    const names = students.map((s) => ({ first: s.first_name as string, last: s.last_name as string, status: s.enroll_status }));
    const persons = rowsOf(t, 'person').map((p) => ({ first: p.firstname as string, last: p.lastname as string }));
    const all = [...names, ...persons].map((n) => `${n.first} ${n.last}`);
    expect(all.some((n) => n.includes(','))).toBe(true);
    expect(all.some((n) => n.includes('"'))).toBe(true);
    expect(all.some((n) => n.includes("'"))).toBe(true);
    expect(all.some((n) => /[éëñüç]/.test(n))).toBe(true);
    expect(all.some((n) => !isWin1252Encodable(n))).toBe(true);
    const tests = names.filter((n) => isTestStudentName(n.first, n.last));
    expect(tests.length).toBeGreaterThanOrEqual(2);
    expect(tests.some((n) => n.status === 0)).toBe(true);
  });

  it('gives students 0–4 guardians with distinct priorities, missing e-mails and phones, inactive contacts', () => {
    const assoc = rowsOf(t, 'studentcontactassoc');
    const perStudent = countBy(assoc, (a) => String(a.studentdcid));
    const counts = students.map((s) => perStudent.get(String(s.dcid)) ?? 0);
    expect(Math.max(...counts)).toBeLessThanOrEqual(4);
    expect(counts.some((n) => n === 0)).toBe(true);
    expect(counts.some((n) => n >= 3)).toBe(true);
    for (const [dcid, n] of perStudent) {
      const prios = assoc.filter((a) => String(a.studentdcid) === dcid).map((a) => a.contactpriorityorder);
      expect(new Set(prios).size).toBe(n);
    }
    const details = rowsOf(t, 'studentcontactdetail');
    expect(details.some((d) => d.isactive === 0)).toBe(true);
    expect(new Set(details.map((d) => `${d.isemergency}${d.iscustodial}`)).size).toBeGreaterThan(2);
    const withEmail = new Set(rowsOf(t, 'personemailaddressassoc').map((e) => e.personid));
    const withPhone = new Set(rowsOf(t, 'personphonenumberassoc').map((e) => e.personid));
    const persons = rowsOf(t, 'person');
    expect(persons.some((p) => !withEmail.has(p.id))).toBe(true);
    expect(persons.some((p) => !withPhone.has(p.id))).toBe(true);
    // Siblings share a household: one person is the contact of several students.
    expect([...countBy(assoc, (a) => String(a.personid)).values()].some((n) => n >= 2)).toBe(true);
  });
});

describe('referential integrity', () => {
  it('resolves every reference between generated tables', () => {
    const ids = (table: string, col: string) => new Set(rowsOf(t, table).map((r) => r[col]));
    const studentIds = ids('students', 'id');
    const studentDcids = ids('students', 'dcid');
    const staffIds = ids('schoolstaff', 'id');
    const userDcids = ids('users', 'dcid');
    const codes = ids('codeset', 'codesetid');
    const sections = new Map(rowsOf(t, 'sections').map((s) => [s.id, s]));
    const termKeys = new Set(rowsOf(t, 'terms').map((x) => `${x.id}|${x.schoolid}`));

    const problems: string[] = [];
    const check = (ok: boolean, what: string) => {
      if (!ok) problems.push(what);
    };
    for (const r of cc) {
      const sec = sections.get(Math.abs(r.sectionid as number));
      check(studentIds.has(r.studentid), `cc ${r.id} student`);
      check(sec !== undefined && sec.course_number === r.course_number && sec.termid === Math.abs(r.termid as number) && sec.schoolid === r.schoolid, `cc ${r.id} section`);
      check(termKeys.has(`${Math.abs(r.termid as number)}|${r.schoolid}`), `cc ${r.id} term at school`);
      check(staffIds.has(r.teacherid), `cc ${r.id} teacher`);
      check((r.dateenrolled as string) <= (r.dateleft as string), `cc ${r.id} dates`);
    }
    for (const sec of sections.values()) check(staffIds.has(sec.teacher), `section ${sec.id} teacher`);
    for (const st of rowsOf(t, 'schoolstaff')) check(userDcids.has(st.users_dcid), `staff ${st.id} user`);
    for (const table of ['s_il_stu_demographics_x', 's_il_stu_x', 'u_def_ext_students0']) {
      for (const r of rowsOf(t, table)) check(studentDcids.has(r.studentsdcid), `${table} ${r.studentsdcid}`);
    }
    for (const r of rowsOf(t, 'studentrace')) check(studentIds.has(r.studentid), `studentrace ${r.id}`);

    const personIds = ids('person', 'id');
    const assocIds = ids('studentcontactassoc', 'studentcontactassocid');
    for (const a of rowsOf(t, 'studentcontactassoc')) {
      check(studentDcids.has(a.studentdcid) && personIds.has(a.personid) && codes.has(a.currreltypecodesetid), `assoc ${a.studentcontactassocid}`);
    }
    for (const d of rowsOf(t, 'studentcontactdetail')) check(assocIds.has(d.studentcontactassocid), `detail ${d.studentcontactdetailid}`);
    const pairs: [string, string, string, string][] = [
      ['personaddressassoc', 'personaddressid', 'personaddress', 'personaddressid'],
      ['personphonenumberassoc', 'phonenumberid', 'phonenumber', 'phonenumberid'],
      ['personemailaddressassoc', 'emailaddressid', 'emailaddress', 'emailaddressid'],
    ];
    for (const [assocTable, fk, target, pk] of pairs) {
      const targets = ids(target, pk);
      for (const r of rowsOf(t, assocTable)) check(targets.has(r[fk]) && personIds.has(r.personid), `${assocTable} ${String(r[fk])}`);
    }
    for (const p of rowsOf(t, 'person')) check(p.languagecodesetid === null || codes.has(p.languagecodesetid), `person ${p.id} language`);
    for (const a of rowsOf(t, 'personaddress')) check(codes.has(a.statescodesetid), `address ${a.personaddressid} state`);
    expect(problems).toEqual([]);
  });

  it('keeps primary keys unique', () => {
    for (const def of POWERSCHOOL_TABLES) {
      if (!def.primaryKey) continue;
      const keys = rowsOf(t, def.name).map((r) => def.primaryKey!.map((c) => String(r[c])).join('|'));
      expect(new Set(keys).size, def.name).toBe(keys.length);
    }
    expect(new Set(students.map((s) => s.student_number)).size).toBe(students.length);
  });
});

describe('generator options', () => {
  it('without non-windows-1252 names, changes only the strings that held such characters', () => {
    const off = byTable(generatePowerSchool({ ...PARAMS, options: { names: { nonWin1252: false } } }));
    let changedCells = 0;
    const unencodable: string[] = [];
    const unexpectedChange: string[] = [];
    for (const def of POWERSCHOOL_TABLES) {
      const a = rowsOf(t, def.name);
      const b = rowsOf(off, def.name);
      expect(b.length, def.name).toBe(a.length);
      b.forEach((row, i) => {
        for (const [col, value] of Object.entries(row)) {
          if (typeof value === 'string' && iconv.decode(iconv.encode(value, 'win1252'), 'win1252') !== value) unencodable.push(value);
          const before = a[i]![col];
          if (before !== value) {
            changedCells++;
            if (isWin1252Encodable(String(before))) unexpectedChange.push(`${def.name}.${col}: ${String(before)} → ${String(value)}`);
          }
        }
      });
    }
    expect(unencodable).toEqual([]);
    expect(unexpectedChange).toEqual([]);
    expect(changedCells).toBeGreaterThan(0);
  });

  it('turns on the quirks only when asked: NULL dateleft, orphan teacher ids, duplicate LEP rows', () => {
    expect(cc.every((r) => r.dateleft !== null)).toBe(true);
    const quirky = byTable(generatePowerSchool({
      ...PARAMS,
      students: 150,
      options: { nullDateLeftRate: 0.2, orphanTeacherRate: 0.2, duplicateLepRowRate: 0.3 },
    }));
    const staffIds = new Set(rowsOf(quirky, 'schoolstaff').map((s) => s.id));
    expect(rowsOf(quirky, 'cc').some((r) => r.dateleft === null)).toBe(true);
    expect(rowsOf(quirky, 'cc').some((r) => !staffIds.has(r.teacherid))).toBe(true);
    expect([...countBy(rowsOf(quirky, 's_il_stu_x'), (r) => String(r.studentsdcid)).values()].some((n) => n === 2)).toBe(true);
  });

  it('scales sections with students and never runs out of sections for a course', () => {
    const small = byTable(generatePowerSchool({ ...PARAMS, students: 25 }));
    expect(rowsOf(small, 'cc').length).toBeGreaterThan(100);
    expect(rowsOf(small, 'sections').length).toBeLessThan(rowsOf(t, 'sections').length);
  });
});
