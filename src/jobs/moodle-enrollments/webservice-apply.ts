import type { MoodleClient, MoodleEnrolItem, MoodleItemResult, MoodleUnenrolItem } from '../../adapters/moodle/moodle-client.js';
import type { ItemResult } from '../../runner/run-record.js';
import type { EnrollmentChange, RoleIds } from './enrollment-diff.js';
import type { CourseRoster } from './moodle-rosters.js';
import type { SyncRole } from './sis-roster.js';

/**
 * Delivery mode `webservice`: the same adds and drops applied through Moodle's manual enrolment
 * functions, for sites without Conduit.
 *
 * The unenrol rule. enrol_manual_unenrol_users ignores `roleid`: it removes the user's whole
 * enrolment in the course, every role with it (enrol_plugin::unenrol_user). So a drop is applied
 * only when the user would hold no role at all afterwards — every role the user has in the
 * course is being dropped this cycle. A user who keeps a role (the other synced role, which
 * PowerCampus still lists, or one the sync does not manage, such as a teacher role) is left
 * alone and the drop is reported as skipped; removing one role of several needs a person (or
 * Conduit, which works per role).
 *
 * Order: all unenrols first, then enrols. A student moved from `student` to `auditingstudent`
 * is a drop and an add: unenrolled (no role left after the drop), then enrolled as auditing.
 * The other order would enrol the new role and then unenrol everything.
 *
 * User ids: Moodle enrols by user id, PowerCampus knows idnumbers. Ids come from this cycle's
 * enrolled-users reads (a student already in any mapped course); the rest are looked up with
 * core_user_get_users_by_field (field idnumber), in batches. An idnumber with no Moodle user, or
 * with several (Moodle does not enforce unique idnumbers), fails that item.
 */

export interface PlannedEnrol {
  shortname: string;
  courseId: number;
  idnumber: string;
  role: SyncRole;
  roleId: number;
}

export interface PlannedUnenrol {
  shortname: string;
  courseId: number;
  idnumber: string;
  userId: number;
  /** The synced roles this unenrol removes. */
  roles: SyncRole[];
}

export interface SkippedDrop {
  shortname: string;
  courseId: number;
  idnumber: string;
  role: SyncRole;
  /** Role ids the user keeps, which an unenrol would remove too. */
  keeps: number[];
}

export interface WebservicePlan {
  unenrols: PlannedUnenrol[];
  enrols: PlannedEnrol[];
  skippedDrops: SkippedDrop[];
}

/** Turn the diff into enrol/unenrol operations under the unenrol rule (pure). */
export function planWebservice(changes: readonly EnrollmentChange[], rosters: ReadonlyMap<number, CourseRoster>, roles: RoleIds): WebservicePlan {
  const enrols: PlannedEnrol[] = [];
  const drops = new Map<string, { shortname: string; courseId: number; idnumber: string; roles: SyncRole[] }>();
  for (const c of changes) {
    if (c.action === 'add') {
      enrols.push({ shortname: c.shortname, courseId: c.courseId, idnumber: c.idnumber, role: c.role, roleId: roles[c.role] });
    } else {
      const key = `${c.courseId}\u0000${c.idnumber}`;
      const d = drops.get(key);
      if (d) d.roles.push(c.role);
      else drops.set(key, { shortname: c.shortname, courseId: c.courseId, idnumber: c.idnumber, roles: [c.role] });
    }
  }

  const unenrols: PlannedUnenrol[] = [];
  const skippedDrops: SkippedDrop[] = [];
  for (const d of drops.values()) {
    const dropped = new Set(d.roles.map((r) => roles[r]));
    const members = rosters.get(d.courseId)?.members.filter((m) => m.idnumber === d.idnumber) ?? [];
    for (const m of members) {
      const mine = d.roles.filter((r) => m.roleIds.includes(roles[r]));
      if (mine.length === 0) continue;
      const keeps = [...new Set(m.roleIds.filter((id) => !dropped.has(id)))].sort((a, b) => a - b);
      if (keeps.length === 0) {
        unenrols.push({ shortname: d.shortname, courseId: d.courseId, idnumber: d.idnumber, userId: m.userId, roles: mine });
      } else {
        for (const role of mine) skippedDrops.push({ shortname: d.shortname, courseId: d.courseId, idnumber: d.idnumber, role, keeps });
      }
    }
  }
  return { unenrols, enrols, skippedDrops };
}

export interface ResolvedIds {
  /** idnumber → Moodle user id, for idnumbers that resolved to exactly one user. */
  ids: Map<string, number>;
  /** idnumber → why it did not resolve. */
  unresolved: Map<string, string>;
  /** core_user_get_users_by_field calls made. */
  lookups: number;
}

/**
 * Moodle user ids for `idnumbers`: from the rosters first, then by lookup in batches of `batchSize`.
 * A lookup failure is thrown (the caller's run fails; nothing has been applied yet).
 */
export async function resolveUserIds(
  client: MoodleClient,
  idnumbers: Iterable<string>,
  rosters: ReadonlyMap<number, CourseRoster>,
  batchSize: number,
  signal?: AbortSignal,
): Promise<ResolvedIds> {
  const known = new Map<string, Set<number>>();
  for (const r of rosters.values()) {
    for (const m of r.members) {
      let s = known.get(m.idnumber);
      if (!s) known.set(m.idnumber, (s = new Set()));
      s.add(m.userId);
    }
  }
  const ids = new Map<string, number>();
  const unresolved = new Map<string, string>();
  const missing: string[] = [];
  for (const id of new Set(idnumbers)) {
    const users = known.get(id);
    if (users === undefined) missing.push(id);
    else if (users.size === 1) ids.set(id, users.values().next().value!);
    else unresolved.set(id, ambiguous(id, [...users]));
  }
  missing.sort();
  let lookups = 0;
  for (let i = 0; i < missing.length; i += batchSize) {
    const chunk = missing.slice(i, i + batchSize);
    lookups++;
    const found = await client.usersByField('idnumber', chunk, signal ? { signal } : {});
    const byId = new Map<string, number[]>();
    for (const u of found) {
      if (typeof u.idnumber !== 'string') continue;
      byId.set(u.idnumber, [...(byId.get(u.idnumber) ?? []), u.id]);
    }
    for (const id of chunk) {
      const users = byId.get(id) ?? [];
      if (users.length === 1) ids.set(id, users[0]!);
      else if (users.length === 0) unresolved.set(id, `no Moodle user has idnumber ${id}`);
      else unresolved.set(id, ambiguous(id, users));
    }
  }
  return { ids, unresolved, lookups };
}

function ambiguous(idnumber: string, userIds: number[]): string {
  return `idnumber ${idnumber} belongs to ${userIds.length} Moodle users (ids ${[...userIds].sort((a, b) => a - b).join(', ')}); fix the duplicate in Moodle`;
}

export interface WebserviceOutcome {
  enrolled: number;
  unenrolled: number;
  failed: number;
  skipped: number;
  items: ItemResult[];
}

/** Apply a plan: unenrols, then enrols (see the module comment), with per-item results. */
export async function applyWebservice(client: MoodleClient, plan: WebservicePlan, resolved: ResolvedIds): Promise<WebserviceOutcome> {
  const items: ItemResult[] = [];
  let failed = 0;

  for (const s of plan.skippedDrops) {
    items.push({
      item: itemName(s.shortname, s.idnumber),
      action: `drop ${s.role}`,
      status: 'skipped',
      message: `not unenrolled: the user keeps role id(s) ${s.keeps.join(', ')} in this course, and enrol_manual_unenrol_users would remove every role`,
    });
  }

  const unenrolResults = await client.unenrolUsers(plan.unenrols.map((u): MoodleUnenrolItem => ({ userid: u.userId, courseid: u.courseId })));
  let unenrolled = 0;
  plan.unenrols.forEach((u, i) => {
    const r = unenrolResults[i] as MoodleItemResult<MoodleUnenrolItem>;
    if (r.ok) unenrolled++;
    else failed++;
    items.push({ item: itemName(u.shortname, u.idnumber), action: `unenrol (${u.roles.join(', ')})`, status: r.ok ? 'ok' : 'failed', ...(r.ok ? {} : { message: itemError(r) }) });
  });

  const ready: PlannedEnrol[] = [];
  for (const e of plan.enrols) {
    if (resolved.ids.has(e.idnumber)) {
      ready.push(e);
    } else {
      failed++;
      items.push({ item: itemName(e.shortname, e.idnumber), action: `enrol ${e.role}`, status: 'failed', message: resolved.unresolved.get(e.idnumber) ?? `idnumber ${e.idnumber} was not resolved` });
    }
  }
  const enrolResults = await client.enrolUsers(ready.map((e): MoodleEnrolItem => ({ userid: resolved.ids.get(e.idnumber)!, courseid: e.courseId, roleid: e.roleId })));
  let enrolled = 0;
  ready.forEach((e, i) => {
    const r = enrolResults[i] as MoodleItemResult<MoodleEnrolItem>;
    if (r.ok) enrolled++;
    else failed++;
    items.push({ item: itemName(e.shortname, e.idnumber), action: `enrol ${e.role}`, status: r.ok ? 'ok' : 'failed', ...(r.ok ? {} : { message: itemError(r) }) });
  });

  return { enrolled, unenrolled, failed, skipped: plan.skippedDrops.length, items };
}

function itemName(shortname: string, idnumber: string): string {
  return `${shortname} ${idnumber}`;
}

function itemError(r: MoodleItemResult<unknown>): string {
  return r.error ? `${r.error.errorcode}: ${r.error.message}` : 'failed';
}
