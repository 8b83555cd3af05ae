import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { HttpClient, HttpClientOptions } from '../../src/adapters/adapter-types.js';
import { createHttpClient } from '../../src/adapters/http/http-client.js';
import { MoodleClient, type MoodleClientOptions } from '../../src/adapters/moodle/moodle-client.js';
import { isSisrelayError, type SisrelayError } from '../../src/errors/sisrelay-error.js';
import { createMoodleState, startMoodleSandbox, type MoodleSandbox, type MoodleState } from '../../src/sandbox/moodle-sandbox.js';

/** MoodleClient over the real HttpClient against the Moodle sandbox on loopback (no fetch mocks). */

const TOKEN = '9c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f';

function seed(): MoodleState {
  const users = Array.from({ length: 8 }, (_, i) => ({
    id: 100 + i,
    username: `s${i}`,
    firstname: `First${i}`,
    lastname: `Last${i}`,
    email: `s${i}@example.edu`,
    idnumber: String(5000 + i),
  }));
  return createMoodleState({
    courses: [
      { id: 2, shortname: 'BIO101', fullname: 'Biology' },
      { id: 3, shortname: 'CHEM200', fullname: 'Chemistry' },
    ],
    users,
    enrolments: [
      { userid: 100, courseid: 2, roleid: 5 },
      { userid: 101, courseid: 2, roleid: 14 },
      { userid: 102, courseid: 2, roleid: 5, suspended: true },
    ],
  });
}

let sb: MoodleSandbox;
let state: MoodleState;

beforeAll(async () => {
  state = seed();
  sb = await startMoodleSandbox({ token: TOKEN, state });
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

function http(overrides: Partial<HttpClientOptions> = {}): HttpClient {
  return createHttpClient({
    name: 'moodle-test',
    baseUrl: sb.url,
    timeoutMs: 3_000,
    concurrency: 4,
    ratePerSecond: 0,
    retries: 2,
    retryDelayMs: 10,
    redact: (s) => s.split(TOKEN).join('[REDACTED]'),
    ...overrides,
  });
}

function client(opts: Partial<MoodleClientOptions> = {}, h: HttpClient = http()): MoodleClient {
  return new MoodleClient(h, { token: TOKEN, ...opts });
}

async function caught(p: Promise<unknown>): Promise<SisrelayError> {
  try {
    await p;
  } catch (err) {
    if (isSisrelayError(err)) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

describe('MoodleClient: transport', () => {
  it('sends the token only in the POST body, never in any URL', async () => {
    const c = client();
    await c.siteInfo();
    await c.enrolledUsers(2);
    await c.coursesByField('shortname', 'BIO101');
    await c.enrolUsers([{ userid: 103, courseid: 3, roleid: 5 }]);
    await c.unenrolUsers([{ userid: 103, courseid: 3 }]);
    expect(sb.requestLog).toHaveLength(5);
    for (const e of sb.requestLog) {
      expect(e).toMatchObject({ method: 'POST', tokenLocation: 'body', tokenInUrl: false });
      expect(e.path + e.query).not.toContain(TOKEN);
      expect(e.query).toBe('');
    }
  });

  it('works against a site that lives under a sub-path', async () => {
    const sub = await startMoodleSandbox({ token: TOKEN, state, basePath: '/lms/' });
    try {
      const info = await new MoodleClient(http({ baseUrl: sub.url }), { token: TOKEN }).siteInfo();
      expect(info.siteurl).toMatch(/\/lms$/);
      expect(sub.requestLog[0]!.path).toBe('/lms/webservice/rest/server.php');
    } finally {
      await sub.close();
    }
  });

  it('a 503 and then success is retried by the HttpClient', async () => {
    sb.injectFault({ kind: 'http503', wsfunction: 'core_enrol_get_enrolled_users', times: 1 });
    const h = http();
    const users = await client({}, h).enrolledUsers(2);
    expect(users.map((u) => u.id)).toEqual([100, 101, 102]);
    expect(sb.calls.core_enrol_get_enrolled_users).toBe(2);
    expect(h.stats().retries).toBe(1);
  });

  it('keeps requests in flight within the HttpClient concurrency bound', async () => {
    sb.setLatency(40);
    const c = client({}, http({ concurrency: 3 }));
    const results = await Promise.all(Array.from({ length: 12 }, () => c.enrolledUsers(2)));
    expect(results.every((r) => r.length === 3)).toBe(true);
    expect(sb.calls.core_enrol_get_enrolled_users).toBe(12);
    expect(sb.maxInFlight()).toBeLessThanOrEqual(3);
    expect(sb.maxInFlight()).toBeGreaterThan(1);
  });

  it('a body that is not JSON is HTTP_BAD_RESPONSE naming the function', async () => {
    sb.injectFault({ kind: 'badjson', times: 1 });
    const err = await caught(client().siteInfo());
    expect(err.code).toBe('HTTP_BAD_RESPONSE');
    expect(err.message).toContain('core_webservice_get_site_info');
    expect(err.details).toMatchObject({ wsfunction: 'core_webservice_get_site_info' });
  });

  it('a hung request ends as HTTP_TIMEOUT', async () => {
    sb.injectFault({ kind: 'hang', times: 1 });
    const err = await caught(client({}, http({ timeoutMs: 200, retries: 0 })).siteInfo());
    expect(err.code).toBe('HTTP_TIMEOUT');
    expect(err.details).toMatchObject({ wsfunction: 'core_webservice_get_site_info' });
  });

  it('refuses parameters that would override wstoken or wsfunction', async () => {
    await expect(client().call('core_webservice_get_site_info', { wsfunction: 'core_user_delete_users' })).rejects.toThrow(/reserved/);
    expect(sb.requestLog).toHaveLength(0);
  });

  it('a transport failure keeps its HTTP code and gains the function name', async () => {
    sb.injectFault({ kind: 'http500', times: 5 });
    const err = await caught(client({}, http({ retries: 1 })).coursesByField('id', 2));
    expect(err.code).toBe('HTTP_SERVER_ERROR');
    expect(err.transient).toBe(true);
    expect(err.details).toMatchObject({ wsfunction: 'core_course_get_courses_by_field', status: 500 });
  });
});

describe('MoodleClient: Moodle exceptions', () => {
  it('turns an exception body into MOODLE_EXCEPTION with errorcode, exception and function', async () => {
    const err = await caught(client().enrolledUsers(999));
    expect(err.code).toBe('MOODLE_EXCEPTION');
    expect(err.transient).toBe(false);
    expect(err.details).toMatchObject({ errorcode: 'invalidrecord', exception: 'dml_missing_record_exception', wsfunction: 'core_enrol_get_enrolled_users' });
    expect(err.message).toContain('core_enrol_get_enrolled_users');
    expect(err.message).toContain('invalidrecord');
  });

  it('reports a bad token as invalidtoken without quoting any token', async () => {
    const wrong = 'ffffeeeeddddccccbbbbaaaa99998888';
    const err = await caught(new MoodleClient(http(), { token: wrong }).siteInfo());
    expect(err.details).toMatchObject({ errorcode: 'invalidtoken' });
    expect(`${err.message} ${JSON.stringify(err.details)}`).not.toContain(wrong);
  });

  it('marks maintenance-type errorcodes transient and others permanent', async () => {
    sb.injectFault({ kind: 'exception', times: 1, exception: { exception: 'moodle_exception', errorcode: 'sitemaintenance', message: 'Site under maintenance' } });
    expect((await caught(client().siteInfo())).transient).toBe(true);
    sb.denyCapability('core_enrol_get_enrolled_users');
    try {
      const err = await caught(client().enrolledUsers(2));
      expect(err.details).toMatchObject({ errorcode: 'nopermissions' });
      expect(err.transient).toBe(false);
    } finally {
      sb.allowCapability('core_enrol_get_enrolled_users');
    }
  });
});

describe('MoodleClient: typed wrappers', () => {
  it('enrolledUsers returns roles and passes options', async () => {
    const c = client();
    const all = await c.enrolledUsers(2);
    expect(all.find((u) => u.id === 101)!.roles).toEqual([{ roleid: 14, name: 'Auditing student', shortname: 'auditingstudent', sortorder: 9 }]);
    expect(all.find((u) => u.id === 100)).toMatchObject({ idnumber: '5000', roles: [{ roleid: 5, shortname: 'student' }] });
    const active = await c.enrolledUsers(2, { onlyactive: true, userfields: ['idnumber', 'roles'] });
    expect(active.map((u) => u.id)).toEqual([100, 101]);
    expect(Object.keys(active[0]!).sort()).toEqual(['fullname', 'id', 'idnumber', 'roles']);
    expect(sb.requestLog.at(-1)!.params).toMatchObject({ 'options[0][name]': 'onlyactive', 'options[0][value]': '1', 'options[1][value]': 'idnumber,roles' });
  });

  it('coursesByField resolves a shortname to an id', async () => {
    const out = await client().coursesByField('shortname', 'CHEM200');
    expect(out.courses.map((c) => c.id)).toEqual([3]);
    expect(out.warnings).toEqual([]);
    expect((await client().coursesByField('shortname', 'NOPE')).courses).toEqual([]);
  });

  it('enrolUsers and unenrolUsers change the site, in batches of the configured size', async () => {
    const c = client({ batchSize: 2 });
    const items = [103, 104, 105, 106, 107].map((userid) => ({ userid, courseid: 3, roleid: 5 }));
    const res = await c.enrolUsers(items);
    expect(res.map((r) => r.ok)).toEqual([true, true, true, true, true]);
    expect(res.map((r) => r.item)).toEqual(items);
    expect(sb.calls.enrol_manual_enrol_users).toBe(3);
    expect(state.enrolments.filter((e) => e.courseid === 3).map((e) => e.userid).sort()).toEqual([103, 104, 105, 106, 107]);

    const out = await c.unenrolUsers([{ userid: 103, courseid: 3 }, { userid: 104, courseid: 3, roleid: 5 }]);
    expect(out.every((r) => r.ok)).toBe(true);
    expect(sb.calls.enrol_manual_unenrol_users).toBe(1);
    expect(state.enrolments.filter((e) => e.courseid === 3).map((e) => e.userid).sort()).toEqual([105, 106, 107]);
  });

  it('isolates a bad item so the rest of its batch still goes through', async () => {
    const c = client({ batchSize: 4 });
    const items = [
      { userid: 103, courseid: 3, roleid: 5 },
      { userid: 999, courseid: 3, roleid: 5 },
      { userid: 104, courseid: 3, roleid: 5 },
      { userid: 105, courseid: 3, roleid: 5 },
      { userid: 106, courseid: 3, roleid: 5 },
    ];
    const res = await c.enrolUsers(items);
    expect(res.map((r) => r.ok)).toEqual([true, false, true, true, true]);
    expect(res[1]!.error).toMatchObject({ errorcode: 'codingerror', exception: 'coding_exception' });
    expect(state.enrolments.filter((e) => e.courseid === 3).map((e) => e.userid).sort()).toEqual([103, 104, 105, 106]);
  });

  it('without isolation a failing batch marks all its items failed and the next batch still runs', async () => {
    const c = client({ batchSize: 2, isolateFailures: false });
    const res = await c.enrolUsers([
      { userid: 103, courseid: 3, roleid: 5 },
      { userid: 999, courseid: 3, roleid: 5 },
      { userid: 104, courseid: 3, roleid: 5 },
    ]);
    expect(res.map((r) => [r.ok, r.error?.errorcode])).toEqual([
      [false, 'codingerror'],
      [false, 'codingerror'],
      [true, undefined],
    ]);
    expect(sb.calls.enrol_manual_enrol_users).toBe(2);
    expect(state.enrolments.filter((e) => e.courseid === 3).map((e) => e.userid)).toEqual([104]);
  });

  it('stops and throws when Moodle says the failure is temporary', async () => {
    sb.injectFault({ kind: 'exception', wsfunction: 'enrol_manual_enrol_users', times: 1, exception: { exception: 'moodle_exception', errorcode: 'sitemaintenance', message: 'maintenance' } });
    const err = await caught(client({ batchSize: 1 }).enrolUsers([{ userid: 103, courseid: 3, roleid: 5 }, { userid: 104, courseid: 3, roleid: 5 }]));
    expect(err.code).toBe('MOODLE_EXCEPTION');
    expect(err.transient).toBe(true);
    expect(sb.calls.enrol_manual_enrol_users).toBe(1);
  });
});
