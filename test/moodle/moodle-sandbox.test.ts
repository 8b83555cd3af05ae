import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { flattenParams, type MoodleParams } from '../../src/adapters/moodle/flatten-params.js';
import { createMoodleState, startMoodleSandbox, type MoodleSandbox, type MoodleState } from '../../src/sandbox/moodle-sandbox.js';

/**
 * The sandbox must answer like Moodle's REST server (webservice/rest/locallib.php and the
 * external functions), because both the client tests and the demo trust it. Requests here are
 * raw fetches so the assertions are about the wire, not about our client.
 */

const TOKEN = 'a3f1c0ffee0ddba11c0ffee0ddba11aa';

function seed(): MoodleState {
  return createMoodleState({
    courses: [
      { id: 2, shortname: 'BIO101-W21', fullname: 'Biology 101' },
      { id: 3, shortname: 'CHEM200-W21', fullname: 'Chemistry 200', category: 4, idnumber: 'CHEM200' },
    ],
    users: [
      { id: 10, username: 'ada', firstname: 'Ada', lastname: 'Ng', email: 'ada@example.edu', idnumber: '1001' },
      { id: 11, username: 'ben', firstname: 'Ben', lastname: 'Ode', email: 'ben@example.edu', idnumber: '1002' },
      { id: 12, username: 'cy', firstname: 'Cy', lastname: 'Park', email: 'cy@example.edu', idnumber: '' },
      { id: 13, username: 'di', firstname: 'Di', lastname: 'Quinn', email: 'di@example.edu', idnumber: '1004' },
    ],
    enrolments: [
      { userid: 10, courseid: 2, roleid: 5 },
      { userid: 11, courseid: 2, roleid: 14 },
      { userid: 12, courseid: 2, roleid: 5 },
      { userid: 13, courseid: 2, roleid: 5, suspended: true },
      { userid: 10, courseid: 3, roleid: 5 },
    ],
  });
}

let sb: MoodleSandbox;
let state: MoodleState;

beforeAll(async () => {
  state = seed();
  sb = await startMoodleSandbox({ token: TOKEN, state, debug: true });
});
afterAll(async () => {
  await sb.close();
});
beforeEach(() => {
  const fresh = seed();
  Object.assign(state, fresh);
  sb.clearFaults();
  sb.resetStats();
  sb.allowCapability('core_enrol_get_enrolled_users');
});

async function ws(fn: string, params: MoodleParams = {}, opts: { token?: string; format?: string } = {}): Promise<{ status: number; text: string; body: unknown }> {
  const form = new URLSearchParams({ wstoken: opts.token ?? TOKEN, wsfunction: fn, moodlewsrestformat: opts.format ?? 'json' });
  flattenParams(params, form);
  const res = await fetch(sb.endpoint, { method: 'POST', body: form });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, text, body };
}

describe('Moodle sandbox: errors as Moodle reports them (HTTP 200 + exception body)', () => {
  it('a wrong token is invalidtoken, and it wins over an unknown function', async () => {
    for (const fn of ['core_webservice_get_site_info', 'no_such_function']) {
      const r = await ws(fn, {}, { token: 'wrong-token' });
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ exception: 'moodle_exception', errorcode: 'invalidtoken', message: 'Invalid token - token not found' });
    }
  });

  it('an unknown function is a missing external_functions record; one outside the service is accessexception', async () => {
    const unknown = await ws('local_nope_do_things');
    expect(unknown.body).toMatchObject({ exception: 'dml_missing_record_exception', errorcode: 'invalidrecord', message: "Can't find data record in database table external_functions." });
    const restricted = await startMoodleSandbox({ token: TOKEN, state, serviceFunctions: ['core_webservice_get_site_info'] });
    try {
      const form = new URLSearchParams({ wstoken: TOKEN, wsfunction: 'core_enrol_get_enrolled_users', moodlewsrestformat: 'json', courseid: '2' });
      const body = await (await fetch(restricted.endpoint, { method: 'POST', body: form })).json();
      expect(body).toEqual({ exception: 'webservice_access_exception', errorcode: 'accessexception', message: 'Access control exception' });
    } finally {
      await restricted.close();
    }
  });

  it('a missing capability is required_capability_exception / nopermissions', async () => {
    sb.denyCapability('core_enrol_get_enrolled_users');
    const r = await ws('core_enrol_get_enrolled_users', { courseid: 2 });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      exception: 'required_capability_exception',
      errorcode: 'nopermissions',
      message: 'Sorry, but you do not currently have permissions to do that (View participants).',
    });
  });

  it('a nonexistent course is dml_missing_record_exception on the course table', async () => {
    const r = await ws('core_enrol_get_enrolled_users', { courseid: 999 });
    expect(r.body).toMatchObject({ exception: 'dml_missing_record_exception', errorcode: 'invalidrecord', message: "Can't find data record in database table course." });
  });

  it('validates parameters like external_api: type, required keys, unexpected keys', async () => {
    for (const params of [{ courseid: 'abc' }, { courseid: '02' }, {}, { courseid: 2, extra: 1 }] as MoodleParams[]) {
      const r = await ws('core_enrol_get_enrolled_users', params);
      expect(r.body).toMatchObject({ exception: 'invalid_parameter_exception', errorcode: 'invalidparameter', message: 'Invalid parameter value detected' });
    }
    const r = await ws('core_course_get_courses_by_field', { field: 'fullname', value: 'x' });
    expect(r.body).toMatchObject({ errorcode: 'invalidparameter', debuginfo: 'Invalid field name' });
  });

  it('leaves debuginfo out unless the site has debugging on', async () => {
    const quiet = await startMoodleSandbox({ token: TOKEN, state });
    try {
      const form = new URLSearchParams({ wstoken: TOKEN, wsfunction: 'core_enrol_get_enrolled_users', moodlewsrestformat: 'json', courseid: 'x' });
      const body = (await (await fetch(quiet.endpoint, { method: 'POST', body: form })).json()) as Record<string, unknown>;
      expect(body.errorcode).toBe('invalidparameter');
      expect(body).not.toHaveProperty('debuginfo');
    } finally {
      await quiet.close();
    }
  });

  it('answers a non-JSON format request with an XML EXCEPTION', async () => {
    const r = await ws('core_webservice_get_site_info', {}, { format: 'xml' });
    expect(r.status).toBe(200);
    expect(r.text).toContain('<EXCEPTION class="invalid_parameter_exception">');
  });
});

describe('Moodle sandbox: functions', () => {
  it('core_enrol_get_enrolled_users returns roles, includes suspended enrolments, omits an empty idnumber', async () => {
    const r = await ws('core_enrol_get_enrolled_users', { courseid: 2 });
    const users = r.body as Array<Record<string, unknown>>;
    expect(users.map((u) => u.id)).toEqual([10, 11, 12, 13]);
    expect(users[0]).toMatchObject({ username: 'ada', fullname: 'Ada Ng', idnumber: '1001', roles: [{ roleid: 5, shortname: 'student', name: '' }] });
    expect(users[1]!.roles).toEqual([{ roleid: 14, name: 'Auditing student', shortname: 'auditingstudent', sortorder: 9 }]);
    expect(users[2]).not.toHaveProperty('idnumber');
    expect(users[0]!.enrolledcourses).toEqual([
      { id: 2, fullname: 'Biology 101', shortname: 'BIO101-W21' },
      { id: 3, fullname: 'Chemistry 200', shortname: 'CHEM200-W21' },
    ]);
  });

  it('onlyactive drops the suspended enrolment; userfields trims the answer', async () => {
    const active = await ws('core_enrol_get_enrolled_users', { courseid: 2, options: [{ name: 'onlyactive', value: '1' }] });
    expect((active.body as Array<{ id: number }>).map((u) => u.id)).toEqual([10, 11, 12]);
    const slim = await ws('core_enrol_get_enrolled_users', { courseid: 3, options: [{ name: 'userfields', value: 'idnumber,roles' }] });
    expect(slim.body).toEqual([{ id: 10, fullname: 'Ada Ng', idnumber: '1001', roles: [{ roleid: 5, name: '', shortname: 'student', sortorder: 5 }] }]);
  });

  it('core_course_get_courses_by_field finds by shortname, id list and category; an unknown id is an empty list', async () => {
    const byShort = await ws('core_course_get_courses_by_field', { field: 'shortname', value: 'CHEM200-W21' });
    expect(byShort.body).toMatchObject({ courses: [{ id: 3, shortname: 'CHEM200-W21', idnumber: 'CHEM200', categoryid: 4 }], warnings: [] });
    const byIds = await ws('core_course_get_courses_by_field', { field: 'ids', value: '3,2,77' });
    expect((byIds.body as { courses: Array<{ id: number }> }).courses.map((c) => c.id)).toEqual([2, 3]);
    const byCategory = await ws('core_course_get_courses_by_field', { field: 'category', value: '4' });
    expect((byCategory.body as { courses: Array<{ id: number }> }).courses.map((c) => c.id)).toEqual([3]);
    const none = await ws('core_course_get_courses_by_field', { field: 'id', value: '77' });
    expect(none.body).toEqual({ courses: [], warnings: [] });
  });

  it('enrol_manual_enrol_users reads nested enrolments[i][...] keys, mutates state and returns null', async () => {
    const r = await ws('enrol_manual_enrol_users', {
      enrolments: [
        { roleid: 5, userid: 11, courseid: 3 },
        { roleid: 14, userid: 12, courseid: 3, suspend: 1 },
      ],
    });
    expect(r.text).toBe('null');
    expect(state.enrolments).toContainEqual({ userid: 11, courseid: 3, roleid: 5, suspended: false });
    expect(state.enrolments).toContainEqual({ userid: 12, courseid: 3, roleid: 14, suspended: true });
    expect(sb.requestLog.at(-1)!.params).toMatchObject({ 'enrolments[1][suspend]': '1', 'enrolments[0][userid]': '11' });
  });

  it('re-enrolling is a no-op apart from reactivating a suspended enrolment', async () => {
    const before = state.enrolments.length;
    await ws('enrol_manual_enrol_users', { enrolments: [{ roleid: 5, userid: 10, courseid: 2 }, { roleid: 5, userid: 13, courseid: 2 }] });
    expect(state.enrolments).toHaveLength(before);
    expect(state.enrolments.find((e) => e.userid === 13 && e.courseid === 2)!.suspended).toBe(false);
  });

  it('one bad item rolls back the whole enrol call', async () => {
    const before = structuredClone(state.enrolments);
    const r = await ws('enrol_manual_enrol_users', {
      enrolments: [
        { roleid: 5, userid: 11, courseid: 3 },
        { roleid: 5, userid: 999, courseid: 3 },
      ],
    });
    expect(r.body).toMatchObject({ exception: 'coding_exception', errorcode: 'codingerror' });
    expect(state.enrolments).toEqual(before);

    const badRole = await ws('enrol_manual_enrol_users', { enrolments: [{ roleid: 3, userid: 11, courseid: 3 }] });
    expect(badRole.body).toMatchObject({ errorcode: 'wsusercannotassign', message: "You don't have the permission to assign this role (3) to this user (11) in this course (3)." });
    const badCourse = await ws('enrol_manual_enrol_users', { enrolments: [{ roleid: 5, userid: 11, courseid: 404 }] });
    expect(badCourse.body).toMatchObject({ errorcode: 'invalidparameter', debuginfo: 'Context does not exist' });
  });

  it('enrol_manual_unenrol_users removes the whole enrolment whatever roleid says', async () => {
    await ws('enrol_manual_enrol_users', { enrolments: [{ roleid: 14, userid: 10, courseid: 2 }] });
    expect(state.enrolments.filter((e) => e.userid === 10 && e.courseid === 2)).toHaveLength(2);
    const r = await ws('enrol_manual_unenrol_users', { enrolments: [{ userid: 10, courseid: 2, roleid: 14 }] });
    expect(r.text).toBe('null');
    expect(state.enrolments.filter((e) => e.userid === 10 && e.courseid === 2)).toHaveLength(0);
    expect(state.enrolments.filter((e) => e.userid === 10 && e.courseid === 3)).toHaveLength(1);

    const again = await ws('enrol_manual_unenrol_users', { enrolments: [{ userid: 10, courseid: 2 }] });
    expect(again.text).toBe('null');
    const missing = await ws('enrol_manual_unenrol_users', { enrolments: [{ userid: 10, courseid: 404 }] });
    expect(missing.body).toMatchObject({ exception: 'dml_missing_record_exception', errorcode: 'invalidrecord' });
    const noUser = await ws('enrol_manual_unenrol_users', { enrolments: [{ userid: 404, courseid: 2 }] });
    expect(noUser.body).toMatchObject({ errorcode: 'invalidparameter', debuginfo: 'User id not exist: 404' });
  });

  it('core_webservice_get_site_info lists the service functions', async () => {
    const r = await ws('core_webservice_get_site_info');
    const info = r.body as { userid: number; siteurl: string; functions: Array<{ name: string }> };
    expect(info.userid).toBe(2);
    expect(info.siteurl).toBe(sb.url.replace(/\/$/, ''));
    expect(info.functions.map((f) => f.name)).toContain('enrol_manual_enrol_users');
  });
});

describe('Moodle sandbox: fault injection, counters and request log', () => {
  it('fires a per-course fault the given number of times and counts every call', async () => {
    sb.injectFault({ kind: 'http503', wsfunction: 'core_enrol_get_enrolled_users', courseid: 3, times: 1 });
    expect((await ws('core_enrol_get_enrolled_users', { courseid: 2 })).status).toBe(200);
    expect((await ws('core_enrol_get_enrolled_users', { courseid: 3 })).status).toBe(503);
    expect((await ws('core_enrol_get_enrolled_users', { courseid: 3 })).status).toBe(200);
    expect(sb.calls.core_enrol_get_enrolled_users).toBe(3);
    expect(sb.requestLog.map((e) => e.fault)).toEqual([null, 'http503', null]);
  });

  it('injects a Moodle exception body, garbage JSON and a reset', async () => {
    sb.injectFault({ kind: 'exception', times: 1, exception: { exception: 'moodle_exception', errorcode: 'sitemaintenance', message: 'Site is being upgraded' } });
    expect((await ws('core_webservice_get_site_info')).body).toMatchObject({ errorcode: 'sitemaintenance' });
    sb.injectFault({ kind: 'badjson', times: 1 });
    const bad = await ws('core_webservice_get_site_info');
    expect(bad.body).toBeUndefined();
    sb.injectFault({ kind: 'reset', times: 1 });
    await expect(ws('core_webservice_get_site_info')).rejects.toThrow();
    expect((await ws('core_webservice_get_site_info')).status).toBe(200);
  });

  it('records where the token came from, and masks it in the logged query', async () => {
    await ws('core_webservice_get_site_info');
    await fetch(`${sb.endpoint}?wstoken=${TOKEN}&wsfunction=core_webservice_get_site_info&moodlewsrestformat=json`);
    const [post, get] = sb.requestLog;
    expect(post).toMatchObject({ method: 'POST', tokenLocation: 'body', tokenInUrl: false, query: '' });
    expect(get).toMatchObject({ method: 'GET', tokenLocation: 'query', tokenInUrl: true });
    expect(get!.query).toBe('wstoken=***&wsfunction=core_webservice_get_site_info&moodlewsrestformat=json');
    expect(JSON.stringify(sb.requestLog)).not.toContain(TOKEN);
  });

  it('serves a site under a sub-path', async () => {
    const sub = await startMoodleSandbox({ token: TOKEN, state, basePath: '/moodle' });
    try {
      expect(sub.endpoint).toMatch(/\/moodle\/webservice\/rest\/server\.php$/);
      const form = new URLSearchParams({ wstoken: TOKEN, wsfunction: 'core_webservice_get_site_info', moodlewsrestformat: 'json' });
      expect((await fetch(sub.endpoint, { method: 'POST', body: form })).status).toBe(200);
      expect((await fetch(`${sub.url.replace('/moodle/', '/')}webservice/rest/server.php`, { method: 'POST', body: form })).status).toBe(404);
    } finally {
      await sub.close();
    }
  });
});
