/**
 * A small hand-made PowerCampus term and Moodle site for the Moodle job's tests: one person per
 * filter case, so each rule of the roster query is visible in the result, and an expected
 * enrollments.csv written by hand from the rules (not computed by the code under test).
 *
 * Term: ACADEMIC_YEAR 2027, ACADEMIC_TERM Winter, session ''.
 *
 *   id   course/section      registration                    ACADEMIC                 roster?
 *   101  BIO101/01           A, grade ''                     ENRL  (CHIRO)            student
 *   102  BIO101/02           A, grade 'AU'                   ENRL                     auditingstudent
 *   103  BIO101/01           A, grade NULL                   ENRL                     no (NULL grade)
 *   104  BIO101/01           A, grade 'W'                    ENRL                     no (W)
 *   105  BIO101/02           A, grade 'WA'                   ENRL                     no (WA)
 *   106  BIO101/01           D, grade ''                     ENRL                     no (dropped)
 *   107  BIO101/01           W, grade ''                     ENRL                     no (wait-listed)
 *   108  BIO101/01           A, grade ''                     LOA                      no (leave of absence)
 *   109  BIO101/01           A, grade ''                     WITH                     no (withdrawn)
 *   110  BIO101/01           A, grade ''                     AWIT                     no (admin withdrawal)
 *   111  BIO101/01           A, grade ''                     NULL separation          no (NULL)
 *   112  BIO101/01           A, grade ''                     (no ACADEMIC row)        no (missing row)
 *   113  BIO101/01           A, grade ''                     only in session 'A'      no (session differs)
 *   114  BIO101/01           A, grade ''                     LOA (CHIRO) + ENRL (CERT) student (one row passes)
 *   115  BIO101/01           A, grade '' — Fall 2026 only    ENRL                     no (other term)
 *   116  GHOST100/01         A, grade ''                     ENRL                     no (no SECTIONS row this term)
 *   117  BIO101/01           A, grade '' — no PEOPLE row     ENRL                     row with NULL idnumber (skipped)
 *   118  BIO101/01 LEC+LAB   A, grade ''                     ENRL                     student (one row, DISTINCT)
 *   119  BIO101/01           A, grade ''                     GRAD                     student (only LOA/WITH/AWIT exclude)
 *   120  BIO101/01           A, grade 'A'                    ENRL                     student
 *   121  CHEM200/01          A, grade ''                     ENRL                     student
 *   122  PHYS300/01          A, grade ''                     ENRL (CLMH)              student (unmapped course); hub CLMH
 *
 * Mappings: "BIO101-01" (BIO101 section 01, id 201), "BIO101-02" (section 02, id 202),
 * "CHEM200,GHOST100" (cross-listed, all sections, id 203; the comma tests CSV quoting);
 * hub "CLMH Hub" (program CLMH, id 301).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type pg from 'pg';
import { POWERCAMPUS_DDL } from '../../../src/datagen/powercampus-schema.js';
import { createMoodleState, type MoodleState } from '../../../src/sandbox/moodle-sandbox.js';

export const YEAR = '2027';
export const TERM = 'Winter';

type Reg = { id: number; course: string; section: string; adw: string | null; grade: string | null; year?: string; term?: string; subType?: string };
type Acad = { id: number; sep: string | null; curriculum?: string; session?: string };

const REGS: Reg[] = [
  { id: 101, course: 'BIO101', section: '01', adw: 'A', grade: '' },
  { id: 102, course: 'BIO101', section: '02', adw: 'A', grade: 'AU' },
  { id: 103, course: 'BIO101', section: '01', adw: 'A', grade: null },
  { id: 104, course: 'BIO101', section: '01', adw: 'A', grade: 'W' },
  { id: 105, course: 'BIO101', section: '02', adw: 'A', grade: 'WA' },
  { id: 106, course: 'BIO101', section: '01', adw: 'D', grade: '' },
  { id: 107, course: 'BIO101', section: '01', adw: 'W', grade: '' },
  { id: 108, course: 'BIO101', section: '01', adw: 'A', grade: '' },
  { id: 109, course: 'BIO101', section: '01', adw: 'A', grade: '' },
  { id: 110, course: 'BIO101', section: '01', adw: 'A', grade: '' },
  { id: 111, course: 'BIO101', section: '01', adw: 'A', grade: '' },
  { id: 112, course: 'BIO101', section: '01', adw: 'A', grade: '' },
  { id: 113, course: 'BIO101', section: '01', adw: 'A', grade: '' },
  { id: 114, course: 'BIO101', section: '01', adw: 'A', grade: '' },
  { id: 115, course: 'BIO101', section: '01', adw: 'A', grade: '', year: '2026', term: 'Fall' },
  { id: 116, course: 'GHOST100', section: '01', adw: 'A', grade: '' },
  { id: 117, course: 'BIO101', section: '01', adw: 'A', grade: '' },
  { id: 118, course: 'BIO101', section: '01', adw: 'A', grade: '', subType: 'LEC' },
  { id: 118, course: 'BIO101', section: '01', adw: 'A', grade: '', subType: 'LAB' },
  { id: 119, course: 'BIO101', section: '01', adw: 'A', grade: '' },
  { id: 120, course: 'BIO101', section: '01', adw: 'A', grade: 'A' },
  { id: 121, course: 'CHEM200', section: '01', adw: 'A', grade: '' },
  { id: 122, course: 'PHYS300', section: '01', adw: 'A', grade: '' },
];

const ACADEMIC: Acad[] = [
  ...[101, 102, 103, 104, 105, 106, 107, 116, 117, 118, 120, 121].map((id) => ({ id, sep: 'ENRL' })),
  { id: 108, sep: 'LOA' },
  { id: 109, sep: 'WITH' },
  { id: 110, sep: 'AWIT' },
  { id: 111, sep: null },
  { id: 113, sep: 'ENRL', session: 'A' },
  { id: 114, sep: 'LOA' },
  { id: 114, sep: 'ENRL', curriculum: 'CERT' },
  { id: 119, sep: 'GRAD' },
  { id: 122, sep: 'ENRL', curriculum: 'CLMH' },
];

const code = (id: number): string => `P${String(id).padStart(9, '0')}`;
/** Moodle idnumber of person `id` (PEOPLE_CODE_ID without the P). */
export const idn = (id: number): string => String(id).padStart(9, '0');

/** The roster rows the query must return for the term, as `idnumber course section role`, sorted. */
export const EXPECTED_ROSTER_ROWS = [
  `${idn(101)} BIO101 01 student`,
  `${idn(102)} BIO101 02 auditingstudent`,
  `${idn(114)} BIO101 01 student`,
  `${idn(118)} BIO101 01 student`,
  `${idn(119)} BIO101 01 student`,
  `${idn(120)} BIO101 01 student`,
  `${idn(121)} CHEM200 01 student`,
  `${idn(122)} PHYS300 01 student`,
  `null BIO101 01 student`,
].sort();

/** Create the PowerCampus tables (in the connected database) and load the rows above. */
export async function loadHandmadePowerCampus(client: pg.Client): Promise<void> {
  for (const ddl of POWERCAMPUS_DDL) await client.query(ddl);
  for (let id = 101; id <= 122; id++) {
    if (id === 117) continue; // the registration without a PEOPLE row
    await client.query('INSERT INTO PEOPLE (PEOPLE_CODE, PEOPLE_ID, PEOPLE_CODE_ID, PERSONID, FIRST_NAME, LAST_NAME) VALUES ($1, $2, $3, $4, $5, $6)', [
      'P', idn(id), code(id), id, `First${id}`, `Last${id}`,
    ]);
  }
  for (const a of ACADEMIC) {
    await client.query(
      `INSERT INTO ACADEMIC (PEOPLE_CODE_ID, PEOPLE_ID, ACADEMIC_YEAR, ACADEMIC_TERM, ACADEMIC_SESSION, PROGRAM, DEGREE, CURRICULUM, ENROLL_SEPARATION)
       VALUES ($1, $2, $3, $4, $5, 'DC', 'DC', $6, $7)`,
      [code(a.id), idn(a.id), YEAR, TERM, a.session ?? '', a.curriculum ?? 'CHIRO', a.sep],
    );
  }
  // Person 115 is enrolled in the previous term only.
  await client.query(`INSERT INTO ACADEMIC (PEOPLE_CODE_ID, PEOPLE_ID, ACADEMIC_YEAR, ACADEMIC_TERM, ACADEMIC_SESSION, PROGRAM, DEGREE, CURRICULUM, ENROLL_SEPARATION)
    VALUES ($1, $2, '2026', 'Fall', '', 'DC', 'DC', 'CLMH', 'ENRL')`, [code(115), idn(115)]);
  const sections: Array<[string, string, string, string, string]> = [
    [YEAR, TERM, 'BIO101', 'LEC', '01'], [YEAR, TERM, 'BIO101', 'LAB', '01'], [YEAR, TERM, 'BIO101', 'LEC', '02'],
    [YEAR, TERM, 'CHEM200', 'LEC', '01'], [YEAR, TERM, 'PHYS300', 'LEC', '01'],
    ['2026', 'Fall', 'BIO101', 'LEC', '01'], ['2026', 'Fall', 'GHOST100', 'LEC', '01'],
  ];
  for (const [y, t, e, sub, sec] of sections) {
    await client.query('INSERT INTO SECTIONS (ACADEMIC_YEAR, ACADEMIC_TERM, ACADEMIC_SESSION, EVENT_ID, EVENT_SUB_TYPE, SECTION) VALUES ($1, $2, \'\', $3, $4, $5)', [y, t, e, sub, sec]);
  }
  let tid = 1;
  for (const r of REGS) {
    await client.query(
      `INSERT INTO TRANSCRIPTDETAIL (TRANSCRIPTDETAILID, PEOPLE_CODE_ID, PEOPLE_ID, ACADEMIC_YEAR, ACADEMIC_TERM, ACADEMIC_SESSION, EVENT_ID, EVENT_SUB_TYPE, SECTION, ADD_DROP_WAIT, FINAL_GRADE)
       VALUES ($1, $2, $3, $4, $5, '', $6, $7, $8, $9, $10)`,
      [tid++, code(r.id), idn(r.id), r.year ?? YEAR, r.term ?? TERM, r.course, r.subType ?? 'LEC', r.section, r.adw, r.grade],
    );
  }
}

export const ACADEMIC_MAPPING = {
  'BIO101-01': { courses: ['BIO101'], section: '01', id: 201 },
  'BIO101-02': { courses: ['BIO101'], section: '02', id: 202 },
  'CHEM200,GHOST100': { courses: ['CHEM200', 'GHOST100'], id: 203 },
};
export const HUB_MAPPING = { 'CLMH Hub': { program: 'CLMH', id: 301 } };

/** Write `<dataDir>/mappings/handmade.json` and `handmade-hub.json`. */
export async function writeHandmadeMappings(dataDir: string): Promise<{ mappings: string[]; hubMappings: string[] }> {
  await mkdir(join(dataDir, 'mappings'), { recursive: true });
  await writeFile(join(dataDir, 'mappings', 'handmade.json'), `${JSON.stringify(ACADEMIC_MAPPING, null, 2)}\n`);
  await writeFile(join(dataDir, 'mappings', 'handmade-hub.json'), `${JSON.stringify(HUB_MAPPING, null, 2)}\n`);
  return { mappings: ['handmade.json'], hubMappings: ['handmade-hub.json'] };
}

/**
 * Moodle before the sync. Users are person id + 1000 (idnumber = the PowerCampus id without P);
 * 900 is a teacher and 901 a student account, both without idnumber; 999 a student outside CLMH.
 */
export function handmadeMoodleState(): MoodleState {
  const person = (id: number) => ({ id: 1000 + id, username: `u${id}`, firstname: `First${id}`, lastname: `Last${id}`, email: `u${id}@example.edu`, idnumber: idn(id) });
  const users = [...Array.from({ length: 22 }, (_, i) => person(101 + i)), person(999)];
  users.push({ id: 900, username: 'teacher', firstname: 'T', lastname: 'Teacher', email: 't@example.edu', idnumber: '' });
  users.push({ id: 901, username: 'guest', firstname: 'G', lastname: 'Guest', email: 'g@example.edu', idnumber: '' });
  const e = (id: number, courseid: number, roleid: number, suspended = false) => ({ userid: id < 900 ? 1000 + id : id, courseid, roleid, suspended });
  return createMoodleState({
    roles: [
      { id: 3, shortname: 'editingteacher', name: '', sortorder: 3 },
      { id: 5, shortname: 'student', name: '', sortorder: 5 },
      { id: 14, shortname: 'auditingstudent', name: 'Auditing student', sortorder: 9 },
    ],
    courses: [
      { id: 201, shortname: 'BIO101-01', fullname: 'Biology 101 (01)' },
      { id: 202, shortname: 'BIO101-02', fullname: 'Biology 101 (02)' },
      { id: 203, shortname: 'CHEM200,GHOST100', fullname: 'Chemistry 200' },
      { id: 301, shortname: 'CLMH Hub', fullname: 'CLMH student hub' },
    ],
    users,
    enrolments: [
      e(101, 201, 5),
      e(118, 201, 5, true), // suspended still counts as enrolled
      e(103, 201, 5), // NULL grade in PowerCampus → drop
      e(108, 201, 5), // leave of absence → drop
      e(114, 201, 14), // PowerCampus says student → drop auditing, add student
      e(900, 201, 3),
      e(901, 201, 5), // no idnumber: never touched
      e(105, 202, 5), // WA → drop
      e(121, 203, 5),
      e(116, 203, 5), // GHOST100 has no section this term → drop
      e(101, 301, 5), // not in CLMH, but hubs never drop
      e(999, 301, 5),
    ],
  });
}

/** enrollments.csv expected from the state above, written by hand from the rules. */
export const EXPECTED_CSV = [
  'action,shortname,idnumber,role',
  'add,BIO101-01,000000114,student',
  'add,BIO101-01,000000119,student',
  'add,BIO101-01,000000120,student',
  'drop,BIO101-01,000000103,student',
  'drop,BIO101-01,000000108,student',
  'drop,BIO101-02,000000105,student',
  'drop,"CHEM200,GHOST100",000000116,student',
  'add,CLMH Hub,000000122,student',
  'drop,BIO101-01,000000114,auditingstudent',
  'add,BIO101-02,000000102,auditingstudent',
  '',
].join('\n');
