import { describe, expect, it } from 'vitest';
import { compareChanges, diffEnrollments, type EnrollmentChange } from '../../../src/jobs/moodle-enrollments/enrollment-diff.js';
import type { AcademicMapping, HubMapping } from '../../../src/jobs/moodle-enrollments/mapping-file.js';
import { courseRoster, type CourseRoster } from '../../../src/jobs/moodle-enrollments/moodle-rosters.js';
import { SisRoster, type SyncRole } from '../../../src/jobs/moodle-enrollments/sis-roster.js';

const ROLES = { student: 5, auditingstudent: 14 };

function academic(shortname: string, courseId: number, courses: string[], section: string | null = null): AcademicMapping {
  return { kind: 'academic', shortname, courseId, courses, section, file: 'mappings/t.json', line: 1 };
}
function hub(shortname: string, courseId: number, program: string): HubMapping {
  return { kind: 'hub', shortname, courseId, program, file: 'mappings/h.json', line: 1 };
}
/** SIS rows as `course/section/role/idnumber`. */
function sis(...rows: string[]): SisRoster {
  const r = new SisRoster();
  for (const row of rows) {
    const [course, section, role, id] = row.split('/') as [string, string, SyncRole, string];
    r.add(course, section, role, id);
  }
  return r;
}
/** Moodle members as `idnumber:roleid,roleid` (idnumber '' = none), user ids from 1. */
function moodle(courseId: number, ...members: string[]): CourseRoster {
  return courseRoster(
    courseId,
    members.map((m, i) => {
      const [idnumber, roles] = m.split(':') as [string, string];
      return {
        id: i + 1,
        fullname: `U${i}`,
        ...(idnumber === '' ? {} : { idnumber }),
        roles: roles.split(',').map((r) => ({ roleid: Number(r), name: '', shortname: '', sortorder: 0 })),
      };
    }),
  );
}
const rows = (changes: EnrollmentChange[]): string[] => changes.map((c) => `${c.action},${c.shortname},${c.idnumber},${c.role}`);

describe('diffEnrollments', () => {
  it.each<[string, { maps: AcademicMapping[]; sis: SisRoster; lms: CourseRoster[] }, string[]]>([
    [
      'add = SIS − Moodle, drop = Moodle − SIS, per role',
      { maps: [academic('BIO', 1, ['BIO101'])], sis: sis('BIO101/01/student/100', 'BIO101/01/student/101'), lms: [moodle(1, '101:5', '102:5')] },
      ['add,BIO,100,student', 'drop,BIO,102,student'],
    ],
    [
      'AU registrations are auditingstudent; a student moved to auditing is a drop of one role and an add of the other',
      { maps: [academic('BIO', 1, ['BIO101'])], sis: sis('BIO101/01/auditingstudent/100', 'BIO101/01/student/101'), lms: [moodle(1, '100:5', '101:5')] },
      ['drop,BIO,100,student', 'add,BIO,100,auditingstudent'],
    ],
    [
      'a user holding both roles in Moodle counts in both sets',
      { maps: [academic('BIO', 1, ['BIO101'])], sis: sis('BIO101/01/student/100'), lms: [moodle(1, '100:5,14')] },
      ['drop,BIO,100,auditingstudent'],
    ],
    [
      'users without idnumber are never dropped; other roles (teacher) are not synced',
      { maps: [academic('BIO', 1, ['BIO101'])], sis: sis('BIO101/01/student/100'), lms: [moodle(1, ':5', '100:5', '777:3')] },
      [],
    ],
    [
      'a course mapped without a section takes every section',
      { maps: [academic('BIO', 1, ['BIO101'])], sis: sis('BIO101/01/student/100', 'BIO101/02/student/101', 'BIO101//student/102'), lms: [moodle(1)] },
      ['add,BIO,100,student', 'add,BIO,101,student', 'add,BIO,102,student'],
    ],
    [
      'a course mapped with a section takes only that section, and drops the other sections\' students',
      { maps: [academic('BIO-02', 1, ['BIO101'], '02')], sis: sis('BIO101/01/student/100', 'BIO101/02/student/101'), lms: [moodle(1, '100:5')] },
      ['add,BIO-02,101,student', 'drop,BIO-02,100,student'],
    ],
    [
      'cross-listing: the union of the entry\'s courses (in that section)',
      {
        maps: [academic('X-01', 1, ['COUN6110', 'COUN8110'], '01')],
        sis: sis('COUN6110/01/student/100', 'COUN8110/01/student/101', 'COUN8110/01/student/100', 'COUN8110/02/student/103'),
        lms: [moodle(1, '101:5')],
      },
      ['add,X-01,100,student'],
    ],
    [
      'one course in two sectioned entries splits by section',
      {
        maps: [academic('S1', 1, ['C'], '01'), academic('S2', 2, ['C'], '02')],
        sis: sis('C/01/student/1', 'C/02/student/2'),
        lms: [moodle(1), moodle(2, '1:5')],
      },
      ['add,S1,1,student', 'add,S2,2,student', 'drop,S2,1,student'],
    ],
    [
      'a mapped course with no SIS rows at all drops everyone in it (the guard decides whether that may go out)',
      { maps: [academic('GONE', 1, ['OLD100'])], sis: sis('BIO101/01/student/100'), lms: [moodle(1, '100:5', '101:14')] },
      ['drop,GONE,100,student', 'drop,GONE,101,auditingstudent'],
    ],
  ])('%s', (_name, c, expected) => {
    const r = diffEnrollments({ academic: c.maps, hubs: [], sis: c.sis, hubSis: new Map(), moodle: new Map(c.lms.map((l) => [l.courseId, l])), roles: ROLES });
    expect(rows(r.changes)).toEqual(expected);
    expect(r.skipped).toEqual([]);
  });

  it('a course whose Moodle read failed gets no records and is listed as skipped (never "add everyone")', () => {
    const r = diffEnrollments({
      academic: [academic('READ', 1, ['A']), academic('FAILED', 2, ['B'])],
      hubs: [hub('HUB', 3, 'CLMH')],
      sis: sis('A/01/student/1', 'B/01/student/2'),
      hubSis: new Map([['CLMH', new Set(['1', '2'])]]),
      moodle: new Map([[1, moodle(1)]]),
      roles: ROLES,
    });
    expect(rows(r.changes)).toEqual(['add,READ,1,student']);
    expect(r.skipped).toEqual([2, 3]);
    expect(r.courses.map((c) => c.courseId)).toEqual([1]);
  });

  it('hub courses: add program students missing as student, never drop, auditing ignored', () => {
    const r = diffEnrollments({
      academic: [],
      hubs: [hub('CLMH-HUB', 9, 'CLMH'), hub('CHIRO-HUB', 10, 'CHIRO')],
      sis: sis(),
      hubSis: new Map([['CLMH', new Set(['1', '2', '3'])]]),
      moodle: new Map([
        [9, moodle(9, '1:5', '2:14', '99:5')],
        [10, moodle(10, '5:5')],
      ]),
      roles: ROLES,
    });
    expect(rows(r.changes)).toEqual(['add,CLMH-HUB,2,student', 'add,CLMH-HUB,3,student']);
    expect(r.courses).toEqual([
      { shortname: 'CLMH-HUB', courseId: 9, kind: 'hub', current: 2, adds: 2, drops: 0 },
      { shortname: 'CHIRO-HUB', courseId: 10, kind: 'hub', current: 1, adds: 0, drops: 0 },
    ]);
  });

  it('per-course outcome counts synced-role enrolments (a dual-role user twice)', () => {
    const r = diffEnrollments({
      academic: [academic('BIO', 1, ['BIO101'])],
      hubs: [],
      sis: sis('BIO101/01/student/1'),
      hubSis: new Map(),
      moodle: new Map([[1, moodle(1, '1:5,14', '2:5', ':5', '3:3')]]),
      roles: ROLES,
    });
    expect(r.courses).toEqual([{ shortname: 'BIO', courseId: 1, kind: 'academic', current: 3, adds: 0, drops: 2 }]);
  });

  it('file order: student records first, then auditing; each by shortname, action, idnumber (code-unit order)', () => {
    const r = diffEnrollments({
      academic: [academic('b', 2, ['B']), academic('B', 1, ['A']), academic('a,x', 3, ['C'])],
      hubs: [],
      sis: sis('A/01/auditingstudent/9', 'A/01/student/20', 'A/01/student/3', 'B/01/student/1', 'C/01/student/5'),
      hubSis: new Map(),
      moodle: new Map([
        [1, moodle(1, '7:5', '8:14')],
        [2, moodle(2, '4:5')],
        [3, moodle(3)],
      ]),
      roles: ROLES,
    });
    expect(rows(r.changes)).toEqual([
      'add,B,20,student',
      'add,B,3,student',
      'drop,B,7,student',
      'add,a,x,5,student',
      'add,b,1,student',
      'drop,b,4,student',
      'add,B,9,auditingstudent',
      'drop,B,8,auditingstudent',
    ]);
    const shuffled = [...r.changes].reverse().sort(compareChanges);
    expect(shuffled).toEqual(r.changes);
  });
});

describe('SisRoster', () => {
  it('sections are unioned only for "all sections"; rows count distinct entries', () => {
    const r = sis('C/01/student/1', 'C/01/student/1', 'C/02/student/2', 'C/02/auditingstudent/3');
    expect(r.rows).toBe(3);
    expect([...r.members('C', null, 'student')].sort()).toEqual(['1', '2']);
    expect([...r.members('C', '02', 'student')]).toEqual(['2']);
    expect([...r.members('C', '03', 'student')]).toEqual([]);
    expect([...r.members('D', null, 'student')]).toEqual([]);
    expect([...r.members('C', null, 'auditingstudent')]).toEqual(['3']);
  });
});
