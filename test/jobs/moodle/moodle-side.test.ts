import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../../src/adapters/http/http-client.js';
import { MoodleClient } from '../../../src/adapters/moodle/moodle-client.js';
import type { EnrollmentChange } from '../../../src/jobs/moodle-enrollments/enrollment-diff.js';
import { courseRoster, readMoodleRosters, type CourseRoster } from '../../../src/jobs/moodle-enrollments/moodle-rosters.js';
import { applyWebservice, planWebservice, resolveUserIds } from '../../../src/jobs/moodle-enrollments/webservice-apply.js';
import { isSisrelayError } from '../../../src/errors/sisrelay-error.js';
import { createMoodleState, startMoodleSandbox, type MoodleSandbox, type MoodleState } from '../../../src/sandbox/moodle-sandbox.js';
import { MOODLE_TOKEN } from './job-setup.js';

/** MoodleClient additions, roster reads and web-service delivery against the sandbox Moodle. */

const ROLES = { student: 5, auditingstudent: 14 };

function seed(): MoodleState {
  const users = Array.from({ length: 10 }, (_, i) => ({ id: 100 + i, username: `s${i}`, firstname: 'F', lastname: `L${i}`, email: `s${i}@x.edu`, idnumber: `ID${i}` }));
  users.push({ id: 200, username: 'twin-a', firstname: 'T', lastname: 'A', email: 'a@x.edu', idnumber: 'TWIN' });
  users.push({ id: 201, username: 'twin-b', firstname: 'T', lastname: 'B', email: 'b@x.edu', idnumber: 'TWIN' });
  users.push({ id: 300, username: 'noid', firstname: 'N', lastname: 'O', email: 'n@x.edu', idnumber: '' });
  return createMoodleState({
    roles: [
      { id: 3, shortname: 'editingteacher', name: '', sortorder: 3 },
      { id: 5, shortname: 'student', name: '', sortorder: 5 },
      { id: 14, shortname: 'auditingstudent', name: '', sortorder: 9 },
    ],
    courses: Array.from({ length: 12 }, (_, i) => ({ id: 1 + i, shortname: `C${1 + i}`, fullname: `Course ${1 + i}` })),
    users,
    enrolments: [
      { userid: 100, courseid: 1, roleid: 5 },
      { userid: 101, courseid: 1, roleid: 5 },
      { userid: 101, courseid: 1, roleid: 14 },
      { userid: 102, courseid: 1, roleid: 5 },
      { userid: 102, courseid: 1, roleid: 3 },
      { userid: 300, courseid: 1, roleid: 5 },
      { userid: 103, courseid: 2, roleid: 14, suspended: true },
    ],
  });
}

let sb: MoodleSandbox;
let state: MoodleState;
beforeAll(async () => {
  state = seed();
  sb = await startMoodleSandbox({ token: MOODLE_TOKEN, state });
});
afterAll(async () => {
  await sb.close();
});
beforeEach(() => {
  Object.assign(state, seed());
  sb.clearFaults();
  sb.setLatency(0);
  sb.resetStats();
});

function client(concurrency = 4, retries = 2): MoodleClient {
  const http = createHttpClient({ name: 'moodle', baseUrl: sb.url, timeoutMs: 3000, concurrency, ratePerSecond: 0, retries, retryDelayMs: 5, redact: (s) => s });
  return new MoodleClient(http, { token: MOODLE_TOKEN, batchSize: 3 });
}

describe('MoodleClient.usersByField (core_user_get_users_by_field)', () => {
  it('finds users by idnumber; unknown values are simply absent; a shared idnumber returns every holder', async () => {
    const users = await client().usersByField('idnumber', ['ID3', 'NOPE', 'TWIN', 'ID1']);
    expect(users.map((u) => [u.id, u.idnumber])).toEqual([[101, 'ID1'], [103, 'ID3'], [200, 'TWIN'], [201, 'TWIN']]);
    const req = sb.requestLog.at(-1)!;
    expect(req.params).toEqual({ field: 'idnumber', 'values[0]': 'ID3', 'values[1]': 'NOPE', 'values[2]': 'TWIN', 'values[3]': 'ID1' });
    expect(req.tokenLocation).toBe('body');
  });

  it('an empty list makes no call; an unsupported field is Moodle\'s codingerror', async () => {
    expect(await client().usersByField('idnumber', [])).toEqual([]);
    expect(sb.calls.core_user_get_users_by_field).toBeUndefined();
    let err: unknown;
    try {
      await client().usersByField('lastname' as 'email', ['x']);
    } catch (e) {
      err = e;
    }
    expect(isSisrelayError(err) && err.details).toMatchObject({ errorcode: 'codingerror', wsfunction: 'core_user_get_users_by_field' });
  });

  it('by id: a value that is not an integer is refused as Moodle does', async () => {
    expect((await client().usersByField('id', [104, 300])).map((u) => u.id)).toEqual([104, 300]);
    let err: unknown;
    try {
      await client().usersByField('id', ['10x']);
    } catch (e) {
      err = e;
    }
    expect(isSisrelayError(err) && err.details).toMatchObject({ errorcode: 'invalidparameter' });
  });
});

describe('Moodle rosters', () => {
  it('keeps idnumber users with all their roles; asks Moodle for idnumber and roles only', async () => {
    const read = await readMoodleRosters(client(), [1, 2]);
    expect(read.failures).toEqual([]);
    expect(read.rosters.get(1)!.members).toEqual([
      { userId: 100, idnumber: 'ID0', roleIds: [5] },
      { userId: 101, idnumber: 'ID1', roleIds: [5, 14] },
      { userId: 102, idnumber: 'ID2', roleIds: [3, 5] },
    ]);
    expect(read.rosters.get(2)!.members).toEqual([{ userId: 103, idnumber: 'ID3', roleIds: [14] }]);
    expect(sb.requestLog[0]!.params).toMatchObject({ 'options[0][name]': 'userfields', 'options[0][value]': 'idnumber,roles' });
  });

  it('a course answering with an exception is a reported failure; the other courses are read', async () => {
    sb.injectFault({ kind: 'exception', wsfunction: 'core_enrol_get_enrolled_users', courseid: 2, exception: { exception: 'required_capability_exception', errorcode: 'nopermissions', message: 'no' } });
    const seen: number[] = [];
    const read = await readMoodleRosters(client(), [1, 2, 3], { onFailure: (f) => seen.push(f.courseId) });
    expect([...read.rosters.keys()].sort()).toEqual([1, 3]);
    expect(read.failures).toEqual([{ courseId: 2, code: 'MOODLE_EXCEPTION', message: expect.stringContaining('nopermissions'), transient: false }]);
    expect(seen).toEqual([2]);
  });

  it('a transient 503 is retried by the HttpClient and the course is read', async () => {
    sb.injectFault({ kind: 'http503', wsfunction: 'core_enrol_get_enrolled_users', courseid: 1, times: 2 });
    const read = await readMoodleRosters(client(4, 2), [1]);
    expect(read.failures).toEqual([]);
    expect(read.rosters.get(1)!.members).toHaveLength(3);
    expect(sb.calls.core_enrol_get_enrolled_users).toBe(3);
  });

  it('reads stay within the connection concurrency', async () => {
    sb.setLatency(20);
    await readMoodleRosters(client(3), Array.from({ length: 12 }, (_, i) => i + 1));
    expect(sb.calls.core_enrol_get_enrolled_users).toBe(12);
    expect(sb.maxInFlight()).toBe(3);
  });

  it('cancellation is thrown, not recorded as a course failure', async () => {
    sb.setLatency(200);
    const ac = new AbortController();
    const p = readMoodleRosters(client(), [1, 2], { signal: ac.signal });
    setTimeout(() => ac.abort(new Error('stop')), 30);
    await expect(p).rejects.toThrow();
  });
});

/** Members as `idnumber:userId:roleid,roleid`. */
function roster(courseId: number, ...members: string[]): CourseRoster {
  return courseRoster(
    courseId,
    members.map((m) => {
      const [idnumber, id, roles] = m.split(':') as [string, string, string];
      return { id: Number(id), fullname: '', idnumber, roles: roles.split(',').map((r) => ({ roleid: Number(r), name: '', shortname: '', sortorder: 0 })) };
    }),
  );
}
const ch = (action: 'add' | 'drop', courseId: number, idnumber: string, role: 'student' | 'auditingstudent' = 'student'): EnrollmentChange => ({
  action,
  shortname: `C${courseId}`,
  courseId,
  idnumber,
  role,
});

describe('web-service plan: the unenrol rule', () => {
  it.each<[string, EnrollmentChange[], CourseRoster[], { unenrols: string[]; enrols: string[]; skipped: string[] }]>([
    ['a plain drop unenrols', [ch('drop', 1, 'A')], [roster(1, 'A:10:5')], { unenrols: ['C1 10 student'], enrols: [], skipped: [] }],
    [
      'student → auditing: the old role is the only one held, so unenrol, then enrol the new role',
      [ch('drop', 1, 'A'), ch('add', 1, 'A', 'auditingstudent')],
      [roster(1, 'A:10:5')],
      { unenrols: ['C1 10 student'], enrols: ['C1 A 14'], skipped: [] },
    ],
    [
      'dual role in Moodle, one dropped: unenrol would remove the kept role too, so the drop is skipped',
      [ch('drop', 1, 'A', 'auditingstudent')],
      [roster(1, 'A:10:5,14')],
      { unenrols: [], enrols: [], skipped: ['C1 A auditingstudent keeps 5'] },
    ],
    [
      'dual role, both dropped: one unenrol covering both',
      [ch('drop', 1, 'A'), ch('drop', 1, 'A', 'auditingstudent')],
      [roster(1, 'A:10:5,14')],
      { unenrols: ['C1 10 student,auditingstudent'], enrols: [], skipped: [] },
    ],
    [
      'a student who is also a teacher in the course keeps the teacher role: skipped',
      [ch('drop', 1, 'A')],
      [roster(1, 'A:10:3,5')],
      { unenrols: [], enrols: [], skipped: ['C1 A student keeps 3'] },
    ],
    [
      'two Moodle users sharing the idnumber are each judged on their own roles',
      [ch('drop', 1, 'T')],
      [roster(1, 'T:20:5', 'T:21:3,5')],
      { unenrols: ['C1 20 student'], enrols: [], skipped: ['C1 T student keeps 3'] },
    ],
  ])('%s', (_n, changes, rosters, expected) => {
    const plan = planWebservice(changes, new Map(rosters.map((r) => [r.courseId, r])), ROLES);
    expect({
      unenrols: plan.unenrols.map((u) => `${u.shortname} ${u.userId} ${u.roles.join(',')}`),
      enrols: plan.enrols.map((e) => `${e.shortname} ${e.idnumber} ${e.roleId}`),
      skipped: plan.skippedDrops.map((s) => `${s.shortname} ${s.idnumber} ${s.role} keeps ${s.keeps.join(',')}`),
    }).toEqual(expected);
  });
});

describe('web-service delivery against the sandbox', () => {
  it('resolves ids from rosters first, then by idnumber lookups in batches; unknown and shared idnumbers fail the item', async () => {
    const c = client();
    const read = await readMoodleRosters(c, [1, 2]);
    sb.resetStats();
    const resolved = await resolveUserIds(c, ['ID0', 'ID5', 'ID6', 'ID7', 'ID8', 'NOPE', 'TWIN'], read.rosters, 3);
    expect(Object.fromEntries(resolved.ids)).toEqual({ ID0: 100, ID5: 105, ID6: 106, ID7: 107, ID8: 108 });
    expect(Object.fromEntries(resolved.unresolved)).toEqual({
      NOPE: 'no Moodle user has idnumber NOPE',
      TWIN: 'idnumber TWIN belongs to 2 Moodle users (ids 200, 201); fix the duplicate in Moodle',
    });
    // ID0 came from the roster; six lookups in batches of three.
    expect(resolved.lookups).toBe(2);
    expect(sb.calls.core_user_get_users_by_field).toBe(2);
  });

  it('applies unenrols then enrols with per-item results; Moodle ends as planned', async () => {
    const c = client();
    const read = await readMoodleRosters(c, [1, 2]);
    const changes = [
      ch('drop', 1, 'ID0'), // unenrol
      ch('drop', 1, 'ID1', 'auditingstudent'), // keeps student: skipped
      ch('drop', 2, 'ID3', 'auditingstudent'),
      ch('add', 2, 'ID3'), // auditing → student
      ch('add', 1, 'ID5', 'auditingstudent'),
      ch('add', 1, 'NOPE'),
    ];
    const plan = planWebservice(changes, read.rosters, ROLES);
    const resolved = await resolveUserIds(c, plan.enrols.map((e) => e.idnumber), read.rosters, 10);
    const outcome = await applyWebservice(c, plan, resolved);
    expect({ enrolled: outcome.enrolled, unenrolled: outcome.unenrolled, failed: outcome.failed, skipped: outcome.skipped }).toEqual({ enrolled: 2, unenrolled: 2, failed: 1, skipped: 1 });
    expect(outcome.items).toEqual([
      { item: 'C1 ID1', action: 'drop auditingstudent', status: 'skipped', message: expect.stringContaining('keeps role id(s) 5') },
      { item: 'C1 ID0', action: 'unenrol (student)', status: 'ok' },
      { item: 'C2 ID3', action: 'unenrol (auditingstudent)', status: 'ok' },
      { item: 'C1 NOPE', action: 'enrol student', status: 'failed', message: 'no Moodle user has idnumber NOPE' },
      { item: 'C2 ID3', action: 'enrol student', status: 'ok' },
      { item: 'C1 ID5', action: 'enrol auditingstudent', status: 'ok' },
    ]);
    const enrolments = (courseid: number) => state.enrolments.filter((e) => e.courseid === courseid).map((e) => `${e.userid}:${e.roleid}`).sort();
    expect(enrolments(1)).toEqual(['101:14', '101:5', '102:3', '102:5', '105:14', '300:5']);
    expect(enrolments(2)).toEqual(['103:5']);
    const order = sb.requestLog.map((r) => r.wsfunction).filter((f) => f?.startsWith('enrol_'));
    expect(order).toEqual(['enrol_manual_unenrol_users', 'enrol_manual_enrol_users']);
  });
});
