import type { MoodleClient, MoodleEnrolledUser } from '../../adapters/moodle/moodle-client.js';
import { isSisrelayError } from '../../errors/sisrelay-error.js';

/**
 * Moodle's side of the sync: one core_enrol_get_enrolled_users call per mapped course (Moodle
 * has no batch form), all issued at once and held to the connection's `concurrency` by the
 * HttpClient, which also retries resets, timeouts and 5xx answers.
 *
 * Each answer is cut down at once to what the sync needs — the user id, the idnumber and the
 * role ids held in the course — so memory follows the number of enrolments, not the size of
 * Moodle's user records. Only `idnumber` and `roles` are asked for (`userfields`), which keeps
 * Moodle from assembling every user's course list on each call.
 *
 * A course whose read fails (transport, 5xx after retries, an `exception` body, a body that is
 * not a user list) is reported and left out of this cycle: an empty roster standing in for it
 * would "add everyone", a missing one must not "drop everyone".
 */

export interface MoodleMember {
  userId: number;
  /** Never empty: users without an idnumber are not the sync's business and are left out. */
  idnumber: string;
  /** Every role the user holds in the course (synced or not), for the unenrol rule. */
  roleIds: readonly number[];
}

export interface CourseRoster {
  courseId: number;
  members: MoodleMember[];
}

export interface RosterFailure {
  courseId: number;
  code: string;
  message: string;
  transient: boolean;
}

export interface MoodleRostersRead {
  rosters: Map<number, CourseRoster>;
  failures: RosterFailure[];
}

/** Reduce one course's answer. Users without an idnumber (absent or '') are ignored, as in the original. */
export function courseRoster(courseId: number, users: readonly MoodleEnrolledUser[]): CourseRoster {
  const members: MoodleMember[] = [];
  for (const u of users) {
    if (typeof u.idnumber !== 'string' || u.idnumber === '') continue;
    const roleIds = (u.roles ?? []).map((r) => r.roleid).filter((id): id is number => typeof id === 'number');
    members.push({ userId: u.id, idnumber: u.idnumber, roleIds });
  }
  return { courseId, members };
}

/** Idnumbers of the members holding `roleId`. */
export function roleMembers(roster: CourseRoster, roleId: number): Set<string> {
  const out = new Set<string>();
  for (const m of roster.members) if (m.roleIds.includes(roleId)) out.add(m.idnumber);
  return out;
}

export async function readMoodleRosters(
  client: MoodleClient,
  courseIds: readonly number[],
  opts: { signal?: AbortSignal; onFailure?: (f: RosterFailure) => void } = {},
): Promise<MoodleRostersRead> {
  const rosters = new Map<number, CourseRoster>();
  const failures: RosterFailure[] = [];
  const call = opts.signal ? { signal: opts.signal } : {};
  await Promise.all(
    [...new Set(courseIds)].map(async (courseId) => {
      try {
        const users = await client.enrolledUsers(courseId, { userfields: ['idnumber', 'roles'] }, call);
        rosters.set(courseId, courseRoster(courseId, users));
      } catch (err) {
        // Cancellation is the run's, not the course's.
        if (opts.signal?.aborted) throw opts.signal.reason ?? err;
        if (isSisrelayError(err) && err.code === 'RUN_CANCELLED') throw err;
        const failure: RosterFailure = isSisrelayError(err)
          ? { courseId, code: err.code, message: err.message, transient: err.transient }
          : { courseId, code: 'INTERNAL_ERROR', message: err instanceof Error ? err.message : String(err), transient: false };
        failures.push(failure);
        opts.onFailure?.(failure);
      }
    }),
  );
  failures.sort((a, b) => a.courseId - b.courseId);
  return { rosters, failures };
}
