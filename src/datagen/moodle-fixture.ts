/**
 * A Moodle site state consistent with a generated PowerCampus term, for the sandbox Moodle web
 * service and the Moodle job's tests.
 *
 * Enrolments start from the SIS roster as the original roster query defines it (jobs-reference
 * §3.3: ADD_DROP_WAIT = 'A', FINAL_GRADE not W/WA, ENROLL_SEPARATION not LOA/WITH/AWIT, NULLs
 * excluded, AU ⇒ auditingstudent) and are then perturbed on purpose: some SIS enrolments are
 * missing (pending adds), some Moodle enrolments are no longer in the SIS (pending drops), plus
 * teachers and students without idnumber (never synced), a manually enrolled user that carries an
 * idnumber, and suspended enrolments. Every perturbation is listed in `perturbations`.
 */
import { asciiSlug } from './powerschool-plan.js';
import {
  NON_ACADEMIC_PROGRAMS, powerCampusStudent, powerCampusStudentTerm, powerCampusTermPlans, resolvePowerCampusOptions,
  type GeneratePowerCampusParams, type PcCourse,
} from './powercampus-generator.js';
import { Prng } from './prng.js';

export const MOODLE_ROLES = [
  { id: 3, shortname: 'editingteacher', name: 'Teacher' },
  { id: 5, shortname: 'student', name: 'Student' },
  { id: 14, shortname: 'auditingstudent', name: 'Auditing student' },
] as const;
export const STUDENT_ROLE_ID = 5;
export const AUDITING_ROLE_ID = 14;
export const TEACHER_ROLE_ID = 3;

export type SyncRole = 'student' | 'auditingstudent';

export interface CourseMappingEntry {
  /** PowerCampus EVENT_IDs; several = cross-listed (rosters are unioned). */
  courses: string[];
  /** Only this section; absent = every section of the listed courses. */
  section?: string;
  /** Moodle course id. */
  id: number;
}

export interface NonAcademicMappingEntry {
  /** ACADEMIC.CURRICULUM of the hub's students. */
  program: string;
  id: number;
}

export interface MoodleCourse {
  id: number;
  shortname: string;
  fullname: string;
  idnumber: string;
  categoryid: number;
}

export interface MoodleUser {
  id: number;
  username: string;
  firstname: string;
  lastname: string;
  fullname: string;
  email: string;
  /** '' when the account has none (Moodle's default); such users are never synced. */
  idnumber: string;
}

export interface MoodleEnrolment {
  courseid: number;
  userid: number;
  roleid: number;
  /** 0 active, 1 suspended (core_enrol_get_enrolled_users returns both without options). */
  status: 0 | 1;
}

export interface EnrolmentKey {
  shortname: string;
  idnumber: string;
  role: SyncRole;
}

export interface MoodleFixture {
  roles: typeof MOODLE_ROLES;
  courses: MoodleCourse[];
  users: MoodleUser[];
  enrolments: MoodleEnrolment[];
  /** The Moodle job's course mapping (`{ shortname: { courses, section?, id } }`). */
  mapping: Record<string, CourseMappingEntry>;
  /** The non-academic hub mapping (`{ shortname: { program, id } }`). */
  nonAcademicMapping: Record<string, NonAcademicMappingEntry>;
  perturbations: {
    /** In the SIS roster, not enrolled in Moodle: a sync adds them. */
    missingFromMoodle: EnrolmentKey[];
    /** Enrolled in Moodle with an idnumber, not in the SIS roster: a sync drops them. */
    extraInMoodle: (EnrolmentKey & { reason: 'sis-dropped' | 'manual' })[];
    /** Hub members missing from a non-academic hub (adds; hubs are never dropped from). */
    missingFromHubs: { shortname: string; idnumber: string }[];
  };
}

export interface MoodleFixtureParams extends GeneratePowerCampusParams {
  /** Share of SIS enrolments left out of Moodle. Default 0.05. */
  pendingAddRate?: number;
  /** Share of mapped courses given one enrolment the SIS no longer has. Default 0.3. */
  pendingDropRate?: number;
  /** First Moodle course id. Default 101. */
  firstCourseId?: number;
}

interface SisRow {
  idnumber: string;
  course: string;
  section: string;
  role: SyncRole;
}

/**
 * The SIS roster for the current term with the original query's semantics (DISTINCT rows of
 * idnumber, course, section, role for every course offered).
 */
export function sisRoster(params: GeneratePowerCampusParams): SisRow[] {
  const options = resolvePowerCampusOptions(params.options);
  const [plan] = powerCampusTermPlans(params);
  if (!plan) return [];
  const seen = new Set<string>();
  const rows: SisRow[] = [];
  for (let i = 0; i < params.students; i++) {
    const s = powerCampusStudent(params.seed, options.names, i);
    const st = powerCampusStudentTerm(params.seed, plan, true, options, i);
    const sep = st.enrollSeparation;
    // A missing ACADEMIC row or NULL separation fails `!=` under SQL NULL semantics.
    if (sep === undefined || sep === null || sep === 'LOA' || sep === 'WITH' || sep === 'AWIT') continue;
    for (const r of st.registrations) {
      if (r.addDropWait !== 'A') continue;
      if (r.finalGrade === null || r.finalGrade === 'W' || r.finalGrade === 'WA') continue;
      const row: SisRow = {
        idnumber: s.peopleCodeId.replace(/P/g, ''),
        course: r.eventId,
        section: r.section,
        role: r.finalGrade === 'AU' ? 'auditingstudent' : 'student',
      };
      const key = `${row.idnumber}|${row.course}|${row.section}|${row.role}`;
      if (!seen.has(key)) {
        seen.add(key);
        rows.push(row);
      }
    }
  }
  return rows;
}

export function buildMoodleFixture(params: MoodleFixtureParams): MoodleFixture {
  const options = resolvePowerCampusOptions(params.options);
  const [plan] = powerCampusTermPlans(params);
  if (!plan) throw new Error('moodle fixture: no current term');
  const rng = Prng.for(params.seed, 'moodle');
  const pendingAddRate = params.pendingAddRate ?? 0.05;
  const pendingDropRate = params.pendingDropRate ?? 0.3;
  let nextCourseId = params.firstCourseId ?? 101;
  const termTag = `${plan.term}${plan.year}`;

  // Mapping: cross-listed pairs share one Moodle course; some multi-section courses get a Moodle
  // course per section; a few courses are not in Moodle at all.
  const mapping: Record<string, CourseMappingEntry> = {};
  const courses: MoodleCourse[] = [];
  const addCourse = (shortname: string, fullname: string, entry: Omit<CourseMappingEntry, 'id'>) => {
    const id = nextCourseId++;
    mapping[shortname] = { ...entry, id };
    courses.push({ id, shortname, fullname, idnumber: '', categoryid: 2 });
  };
  const byId = new Map(plan.courses.map((c) => [c.eventId, c]));
  const done = new Set<string>();
  for (const c of plan.courses) {
    if (done.has(c.eventId)) continue;
    done.add(c.eventId);
    const roll = rng.next();
    if (c.crossListedWith) {
      const other = byId.get(c.crossListedWith) as PcCourse;
      done.add(other.eventId);
      addCourse(`${c.eventId}/${other.eventId}-${termTag}`, c.longName, { courses: [c.eventId, other.eventId] });
    } else if (roll < 0.08) {
      continue; // not taught in Moodle
    } else if (c.sections.length >= 2 && roll < 0.45) {
      for (const sec of c.sections) addCourse(`${c.eventId}-${sec}-${termTag}`, `${c.longName} (${sec})`, { courses: [c.eventId], section: sec });
    } else {
      addCourse(`${c.eventId}-${termTag}`, c.longName, { courses: [c.eventId] });
    }
  }
  const nonAcademicMapping: Record<string, NonAcademicMappingEntry> = {};
  for (const program of NON_ACADEMIC_PROGRAMS) {
    const id = nextCourseId++;
    const shortname = `${program}-HUB`;
    nonAcademicMapping[shortname] = { program, id };
    courses.push({ id, shortname, fullname: `${program} Student Hub`, idnumber: '', categoryid: 3 });
  }

  // Users: every PowerCampus person, then teachers and accounts without idnumber.
  const users: MoodleUser[] = [];
  const userByIdnumber = new Map<string, MoodleUser>();
  const usernames = new Set<string>();
  const addUser = (first: string, last: string, idnumber: string, domain: string): MoodleUser => {
    const base = `${asciiSlug(first).slice(0, 1)}${asciiSlug(last)}` || 'user';
    let username = base;
    for (let n = 2; usernames.has(username); n++) username = `${base}${n}`;
    usernames.add(username);
    const u: MoodleUser = {
      id: 1000 + users.length,
      username,
      firstname: first,
      lastname: last,
      fullname: `${first} ${last}`,
      email: `${username}@${domain}`,
      idnumber,
    };
    users.push(u);
    if (idnumber !== '') userByIdnumber.set(idnumber, u);
    return u;
  };
  const curricula = new Map<string, string[]>();
  for (let i = 0; i < params.students; i++) {
    const s = powerCampusStudent(params.seed, options.names, i);
    const idnumber = s.peopleCodeId.replace(/P/g, '');
    addUser(s.name.first, s.name.last, idnumber, 'student.example.edu');
    const st = powerCampusStudentTerm(params.seed, plan, true, options, i);
    if (st.enrollSeparation !== undefined) {
      curricula.set(idnumber, s.secondCurriculum ? [s.curriculum, s.secondCurriculum] : [s.curriculum]);
    }
  }
  const teacherCount = Math.max(2, Math.ceil(courses.length / 3));
  const teachers: MoodleUser[] = [];
  for (let t = 0; t < teacherCount; t++) {
    const trng = Prng.for(params.seed, 'moodle-teacher', t);
    teachers.push(addUser(trng.pick(['Ana', 'Ben', 'Chen', 'Dana', 'Eli', 'Fiona']), trng.pick(['Reyes', 'Okafor', 'Lindqvist', 'Moreau', 'Shah']), '', 'example.edu'));
  }
  const guest = addUser('Guest', 'Learner', '', 'example.edu');
  const manual = addUser('Manual', 'Enrollee', '999999999', 'example.edu');

  // Enrolments.
  const roster = sisRoster(params);
  const enrolments: MoodleEnrolment[] = [];
  const missingFromMoodle: EnrolmentKey[] = [];
  const extraInMoodle: MoodleFixture['perturbations']['extraInMoodle'] = [];
  const roleId = (role: SyncRole) => (role === 'student' ? STUDENT_ROLE_ID : AUDITING_ROLE_ID);
  const shortnames = Object.keys(mapping);
  for (const shortname of shortnames) {
    const entry = mapping[shortname] as CourseMappingEntry;
    const members = new Map<string, SyncRole>();
    for (const r of roster) {
      if (!entry.courses.includes(r.course)) continue;
      if (entry.section !== undefined && r.section !== entry.section) continue;
      const key = `${r.idnumber}|${r.role}`;
      if (!members.has(key)) members.set(key, r.role);
    }
    const erng = Prng.for(params.seed, 'moodle-enrol', shortname);
    for (const [key, role] of [...members].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const idnumber = key.split('|')[0] as string;
      if (erng.chance(pendingAddRate)) {
        missingFromMoodle.push({ shortname, idnumber, role });
        continue;
      }
      const user = userByIdnumber.get(idnumber);
      if (!user) continue;
      enrolments.push({ courseid: entry.id, userid: user.id, roleid: roleId(role), status: erng.chance(0.02) ? 1 : 0 });
    }
    // A student the SIS no longer lists (dropped, withdrew, on leave) is still enrolled in Moodle.
    if (erng.chance(pendingDropRate)) {
      const outsiders = users.filter((u) => u.idnumber !== '' && u !== manual && !members.has(`${u.idnumber}|student`) && !members.has(`${u.idnumber}|auditingstudent`));
      if (outsiders.length > 0) {
        const u = erng.pick(outsiders);
        enrolments.push({ courseid: entry.id, userid: u.id, roleid: STUDENT_ROLE_ID, status: 0 });
        extraInMoodle.push({ shortname, idnumber: u.idnumber, role: 'student', reason: 'sis-dropped' });
      }
    }
    enrolments.push({ courseid: entry.id, userid: (erng.pick(teachers) as MoodleUser).id, roleid: TEACHER_ROLE_ID, status: 0 });
  }
  // Accounts without idnumber enrolled as students are never synced; a manual enrolment with an
  // idnumber is (and is dropped by the original — a known weakness).
  const firstShort = shortnames[0];
  if (firstShort) {
    const first = mapping[firstShort] as CourseMappingEntry;
    enrolments.push({ courseid: first.id, userid: guest.id, roleid: STUDENT_ROLE_ID, status: 0 });
    enrolments.push({ courseid: first.id, userid: manual.id, roleid: STUDENT_ROLE_ID, status: 0 });
    extraInMoodle.push({ shortname: firstShort, idnumber: manual.idnumber, role: 'student', reason: 'manual' });
  }

  // Non-academic hubs: program members, some not yet added.
  const missingFromHubs: MoodleFixture['perturbations']['missingFromHubs'] = [];
  for (const [shortname, hub] of Object.entries(nonAcademicMapping)) {
    const hrng = Prng.for(params.seed, 'moodle-hub', shortname);
    for (const [idnumber, list] of [...curricula].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (!list.includes(hub.program)) continue;
      if (hrng.chance(0.2)) {
        missingFromHubs.push({ shortname, idnumber });
        continue;
      }
      enrolments.push({ courseid: hub.id, userid: (userByIdnumber.get(idnumber) as MoodleUser).id, roleid: STUDENT_ROLE_ID, status: 0 });
    }
  }

  return {
    roles: MOODLE_ROLES,
    courses,
    users,
    enrolments,
    mapping,
    nonAcademicMapping,
    perturbations: { missingFromMoodle, extraInMoodle, missingFromHubs },
  };
}
