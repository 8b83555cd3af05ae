import type { AcademicMapping, HubMapping } from './mapping-file.js';
import { roleMembers, type CourseRoster } from './moodle-rosters.js';
import { SYNC_ROLES, type SisRoster, type SyncRole } from './sis-roster.js';

/**
 * The add/drop computation, pure (jobs-reference §3.4 rules 4–7):
 *
 * - per academic entry and role (student, auditingstudent): SIS = union over the entry's courses
 *   of that role's idnumbers in the entry's section (every section when it has none); Moodle = the
 *   idnumbers holding that role id in the course; add = SIS − Moodle, drop = Moodle − SIS;
 * - per hub entry: add = program students − Moodle students, role student, never a drop;
 * - a course without a roster (its Moodle read failed) gets nothing;
 * - users without an idnumber never appear (the Moodle roster leaves them out).
 *
 * Output order is fixed (the original's was set order): student-role records first, then
 * auditing (as the original wrote them), and within each by shortname, then action (add before
 * drop), then idnumber — compared by UTF-16 code units, never by locale.
 */

export type RoleIds = Record<SyncRole, number>;

export interface EnrollmentChange {
  action: 'add' | 'drop';
  shortname: string;
  courseId: number;
  idnumber: string;
  role: SyncRole;
}

export interface CourseOutcome {
  shortname: string;
  courseId: number;
  kind: 'academic' | 'hub';
  /** Synced-role enrolments in Moodle now (a user holding both roles counts twice). */
  current: number;
  adds: number;
  drops: number;
}

export interface DiffInput {
  academic: readonly AcademicMapping[];
  hubs: readonly HubMapping[];
  sis: SisRoster;
  /** Hub program → idnumbers. */
  hubSis: ReadonlyMap<string, ReadonlySet<string>>;
  /** Course id → roster; a mapped course missing here is skipped. */
  moodle: ReadonlyMap<number, CourseRoster>;
  roles: RoleIds;
}

export interface DiffResult {
  changes: EnrollmentChange[];
  /** Courses that were compared (read succeeded), in mapping order. */
  courses: CourseOutcome[];
  /** Mapped course ids left out because there was no Moodle roster. */
  skipped: number[];
}

export function diffEnrollments(input: DiffInput): DiffResult {
  const changes: EnrollmentChange[] = [];
  const courses: CourseOutcome[] = [];
  const skipped: number[] = [];

  for (const entry of input.academic) {
    const roster = input.moodle.get(entry.courseId);
    if (!roster) {
      skipped.push(entry.courseId);
      continue;
    }
    const outcome: CourseOutcome = { shortname: entry.shortname, courseId: entry.courseId, kind: 'academic', current: 0, adds: 0, drops: 0 };
    for (const role of SYNC_ROLES) {
      const sis = unionOf(entry.courses.map((c) => input.sis.members(c, entry.section, role)));
      const lms = roleMembers(roster, input.roles[role]);
      outcome.current += lms.size;
      for (const id of sis) {
        if (!lms.has(id)) {
          changes.push({ action: 'add', shortname: entry.shortname, courseId: entry.courseId, idnumber: id, role });
          outcome.adds++;
        }
      }
      for (const id of lms) {
        if (!sis.has(id)) {
          changes.push({ action: 'drop', shortname: entry.shortname, courseId: entry.courseId, idnumber: id, role });
          outcome.drops++;
        }
      }
    }
    courses.push(outcome);
  }

  for (const hub of input.hubs) {
    const roster = input.moodle.get(hub.courseId);
    if (!roster) {
      skipped.push(hub.courseId);
      continue;
    }
    const lms = roleMembers(roster, input.roles.student);
    const outcome: CourseOutcome = { shortname: hub.shortname, courseId: hub.courseId, kind: 'hub', current: lms.size, adds: 0, drops: 0 };
    for (const id of input.hubSis.get(hub.program) ?? []) {
      if (!lms.has(id)) {
        changes.push({ action: 'add', shortname: hub.shortname, courseId: hub.courseId, idnumber: id, role: 'student' });
        outcome.adds++;
      }
    }
    courses.push(outcome);
  }

  changes.sort(compareChanges);
  return { changes, courses, skipped };
}

function unionOf(sets: ReadonlyArray<ReadonlySet<string>>): ReadonlySet<string> {
  if (sets.length === 1) return sets[0]!;
  const all = new Set<string>();
  for (const s of sets) for (const id of s) all.add(id);
  return all;
}

const ROLE_ORDER: Record<SyncRole, number> = { student: 0, auditingstudent: 1 };

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The enrollments.csv row order (see the module comment). */
export function compareChanges(a: EnrollmentChange, b: EnrollmentChange): number {
  return ROLE_ORDER[a.role] - ROLE_ORDER[b.role] || cmp(a.shortname, b.shortname) || cmp(a.action, b.action) || cmp(a.idnumber, b.idnumber);
}
