import type http from 'node:http';
import { randomUUID } from 'node:crypto';
import {
  resetConnection,
  sendJson,
  sendText,
  sleep,
  startSandboxServer,
  takeFault,
  type FaultBase,
  type SandboxServer,
} from './sandbox-server.js';

/**
 * A stand-in for a Moodle site's REST web-service endpoint (`/webservice/rest/server.php`), for
 * tests and the demo. It answers the six functions sisrelay uses the way Moodle does, including
 * the awkward parts clients get wrong:
 *
 * - errors are HTTP 200 with `{exception, errorcode, message}` (webservice/rest/locallib.php
 *   `generate_error`); `debuginfo` only when the site has debugging on (option `debug`);
 * - the token is checked before the function name, so a bad token always wins (invalidtoken);
 * - an unknown function is `dml_missing_record_exception`/`invalidrecord` (external_functions
 *   lookup with MUST_EXIST), a known one missing from the token's service is
 *   `webservice_access_exception`/`accessexception`;
 * - parameters are validated like `external_api::validate_parameters`: PARAM_INT must be the
 *   canonical integer text, required keys must be present, unexpected keys are refused — all as
 *   `invalid_parameter_exception`/`invalidparameter` ("Invalid parameter value detected");
 * - core_enrol_get_enrolled_users on a missing course is `dml_missing_record_exception`/
 *   `invalidrecord` ("Can't find data record in database table course."), returns suspended
 *   enrolments unless `onlyactive`, omits an empty `idnumber` (user_get_user_details only copies
 *   it when set) and reports standard roles with an empty `name` (role names live in language
 *   strings), so clients must key on roleid/shortname;
 * - enrol_manual_enrol_users / enrol_manual_unenrol_users return JSON `null`, run each call in one
 *   transaction (one bad item rolls back the whole call), re-enrolling is a no-op (an enrolment
 *   that exists is only updated; role_assign returns the existing assignment), unenrolling removes
 *   the whole manual enrolment whatever `roleid` says (enrol_plugin::unenrol_user ignores it);
 *   a missing course is `invalid_parameter_exception` on enrol (validate_context: "Context does
 *   not exist") but `invalidrecord` on unenrol (context_course::instance MUST_EXIST); a missing
 *   user is `coding_exception`/`codingerror` on enrol (role_assign) and `invalidparameter` on
 *   unenrol; a role the caller may not assign is `moodle_exception`/`wsusercannotassign`.
 *
 * Exception class names are Moodle ≤ 4.4's (`moodle_exception`, ...); 4.5 reports namespaced
 * names (`core\exception\moodle_exception`). Clients must key on `errorcode`, which is stable.
 *
 * Only `moodlewsrestformat=json` is served; XML requests get an XML EXCEPTION saying so.
 */

export interface MoodleCourse {
  id: number;
  shortname: string;
  fullname: string;
  category?: number;
  idnumber?: string;
  visible?: boolean;
}

export interface MoodleUser {
  id: number;
  username: string;
  firstname: string;
  lastname: string;
  email: string;
  /** Empty string = no idnumber (Moodle then omits the key from answers). */
  idnumber: string;
}

/** One role held through a (manual) enrolment. `suspended` belongs to the user's enrolment in the course. */
export interface MoodleEnrolment {
  userid: number;
  courseid: number;
  roleid: number;
  suspended?: boolean;
}

export interface MoodleRole {
  id: number;
  shortname: string;
  /** '' for standard roles, as Moodle stores them (the display name comes from language strings). */
  name: string;
  sortorder?: number;
}

export interface MoodleState {
  courses: MoodleCourse[];
  users: MoodleUser[];
  enrolments: MoodleEnrolment[];
  roles: MoodleRole[];
}

/** roleid 5 = student (standard), 14 = auditingstudent (a site-created role, as at the original site). */
export const DEFAULT_MOODLE_ROLES: readonly MoodleRole[] = Object.freeze([
  { id: 5, shortname: 'student', name: '', sortorder: 5 },
  { id: 14, shortname: 'auditingstudent', name: 'Auditing student', sortorder: 9 },
]);

/** A state with the default roles unless `roles` is given. */
export function createMoodleState(partial: Partial<MoodleState> = {}): MoodleState {
  return {
    courses: partial.courses ?? [],
    users: partial.users ?? [],
    enrolments: partial.enrolments ?? [],
    roles: partial.roles ?? DEFAULT_MOODLE_ROLES.map((r) => ({ ...r })),
  };
}

export const MOODLE_FUNCTIONS = [
  'core_webservice_get_site_info',
  'core_enrol_get_enrolled_users',
  'core_course_get_courses_by_field',
  'core_user_get_users_by_field',
  'enrol_manual_enrol_users',
  'enrol_manual_unenrol_users',
] as const;
export type MoodleFunctionName = (typeof MOODLE_FUNCTIONS)[number];

/** The capability each function checks in the course context, and its display name in errors. */
export const MOODLE_FUNCTION_CAPABILITIES: Partial<Record<MoodleFunctionName, { capability: string; label: string }>> = {
  core_enrol_get_enrolled_users: { capability: 'moodle/course:viewparticipants', label: 'View participants' },
  enrol_manual_enrol_users: { capability: 'enrol/manual:enrol', label: 'Enrol users' },
  enrol_manual_unenrol_users: { capability: 'enrol/manual:unenrol', label: 'Unenrol users from the course' },
};

export interface MoodleExceptionBody {
  exception: string;
  errorcode: string;
  message: string;
  debuginfo?: string;
}

export interface MoodleFault extends FaultBase {
  kind: 'http500' | 'http503' | 'exception' | 'hang' | 'reset' | 'badjson';
  /** Only calls of this function. */
  wsfunction?: string;
  /** Only calls naming this course (courseid, enrolments[i][courseid], or field=id/ids). */
  courseid?: number;
  /** Body for kind 'exception' (default: a transient-looking dmlreadexception). */
  exception?: MoodleExceptionBody;
}

export interface MoodleRequestLogEntry {
  seq: number;
  method: string;
  /** Path as requested, without the query string. */
  path: string;
  /** Raw query string as received, with any wstoken value replaced by `***`. */
  query: string;
  /** Where the token came in. A client that keeps it out of access logs sends it only in the body. */
  tokenLocation: 'body' | 'query' | 'both' | 'none';
  /** The configured token (or its URL-encoded form) appeared anywhere in the raw request URL. */
  tokenInUrl: boolean;
  wsfunction: string | null;
  /** All other parameters, flattened as received (wstoken removed). */
  params: Record<string, string>;
  /** HTTP status sent (null for hang/reset). */
  status: number | null;
  fault: MoodleFault['kind'] | null;
}

export interface MoodleSandboxOptions {
  token: string;
  state: MoodleState;
  latencyMs?: number;
  host?: string;
  port?: number;
  /** Path the site lives under (default '/'), e.g. '/moodle/' to test clients against a sub-path site. */
  basePath?: string;
  sitename?: string;
  release?: string;
  /** Functions in the token's external service (default: all of MOODLE_FUNCTIONS). Others answer accessexception. */
  serviceFunctions?: readonly string[];
  /** Functions whose capability check fails (required_capability_exception / nopermissions). */
  deniedCapabilities?: readonly string[];
  /** Site debugging on: exceptions carry `debuginfo`. */
  debug?: boolean;
}

export interface MoodleSandbox {
  /** Site base URL with trailing slash (what a `moodle` connection's `url` would hold). */
  readonly url: string;
  /** Full endpoint URL. */
  readonly endpoint: string;
  readonly state: MoodleState;
  /** Requests per wsfunction (every request that named one, faults included). */
  readonly calls: Record<string, number>;
  readonly requestLog: MoodleRequestLogEntry[];
  maxInFlight(): number;
  inFlight(): number;
  injectFault(fault: MoodleFault): void;
  clearFaults(): void;
  setLatency(ms: number): void;
  denyCapability(wsfunction: string): void;
  allowCapability(wsfunction: string): void;
  /** Zero calls, the request log and the in-flight peak. */
  resetStats(): void;
  close(): Promise<void>;
}

const ENDPOINT = 'webservice/rest/server.php';
/** Parameters the REST server consumes itself (webservice_server::set_web_service_call_settings). */
const SETTING_PARAMS = new Set(['moodlewssettingfilter', 'moodlewssettingfileurl', 'moodlewssettinglang', 'moodlewssettingtimezone']);

class MoodleWsException extends Error {
  constructor(
    readonly exception: string,
    readonly errorcode: string,
    message: string,
    readonly debuginfo?: string,
  ) {
    super(message);
  }
}

const invalidParameter = (debuginfo: string): MoodleWsException =>
  new MoodleWsException('invalid_parameter_exception', 'invalidparameter', 'Invalid parameter value detected', debuginfo);
const missingRecord = (table: string): MoodleWsException =>
  new MoodleWsException('dml_missing_record_exception', 'invalidrecord', `Can't find data record in database table ${table}.`);

export async function startMoodleSandbox(opts: MoodleSandboxOptions): Promise<MoodleSandbox> {
  const state = opts.state;
  const basePath = normaliseBasePath(opts.basePath ?? '/');
  const endpointPath = `${basePath}${ENDPOINT}`;
  const service = new Set(opts.serviceFunctions ?? MOODLE_FUNCTIONS);
  const denied = new Set(opts.deniedCapabilities ?? []);
  const faults: MoodleFault[] = [];
  const calls: Record<string, number> = {};
  const requestLog: MoodleRequestLogEntry[] = [];
  let latencyMs = opts.latencyMs ?? 0;
  let seq = 0;
  let server: SandboxServer | undefined;

  const handler = async (req: http.IncomingMessage, res: http.ServerResponse, body: string): Promise<void> => {
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
    const rawQuery = q < 0 ? '' : rawUrl.slice(q + 1);
    if (path !== endpointPath) {
      sendText(res, 404, 'Not Found', 'text/plain');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'POST') {
      sendText(res, 405, 'Method Not Allowed', 'text/plain', { allow: 'GET, POST' });
      return;
    }

    const queryParams = new URLSearchParams(rawQuery);
    const isForm = (req.headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded');
    const bodyParams = req.method === 'POST' && isForm ? new URLSearchParams(body) : new URLSearchParams();
    const tokenInQuery = queryParams.has('wstoken');
    const tokenInBody = bodyParams.has('wstoken');
    // PHP's array_merge($_GET, $_POST): POST wins for the same top-level name.
    const merged = mergeGetPost(queryParams, bodyParams);
    const token = merged.get('wstoken') ?? undefined;
    const fn = merged.get('wsfunction') ?? undefined;
    const format = merged.get('moodlewsrestformat') ?? undefined;
    const rest = new URLSearchParams();
    for (const [k, v] of merged) {
      if (k === 'wstoken' || k === 'wsfunction' || k === 'moodlewsrestformat' || SETTING_PARAMS.has(k)) continue;
      rest.append(k, v);
    }

    const entry: MoodleRequestLogEntry = {
      seq: ++seq,
      method: req.method,
      path,
      query: maskToken(rawQuery),
      tokenLocation: tokenInQuery && tokenInBody ? 'both' : tokenInQuery ? 'query' : tokenInBody ? 'body' : 'none',
      tokenInUrl: opts.token.length > 0 && (rawUrl.includes(opts.token) || rawUrl.includes(encodeURIComponent(opts.token))),
      wsfunction: fn ?? null,
      params: Object.fromEntries(rest),
      status: null,
      fault: null,
    };
    requestLog.push(entry);
    if (fn !== undefined) calls[fn] = (calls[fn] ?? 0) + 1;

    await sleep(latencyMs);

    const params = parsePhpParams(rest);
    const fault = takeFault(faults, (f) => faultMatches(f, fn, params));
    if (fault) {
      entry.fault = fault.kind;
      switch (fault.kind) {
        case 'hang':
          return; // never answered; close() destroys the socket
        case 'reset':
          resetConnection(req);
          return;
        case 'http500':
        case 'http503': {
          const status = fault.kind === 'http500' ? 500 : 503;
          entry.status = status;
          sendText(res, status, status === 500 ? 'Internal Server Error' : 'Service Unavailable', 'text/html');
          return;
        }
        case 'badjson':
          entry.status = 200;
          sendText(res, 200, '{"id": 1, "truncated', 'application/json');
          return;
        case 'exception':
          entry.status = 200;
          sendJson(
            res,
            200,
            fault.exception ?? { exception: 'dml_read_exception', errorcode: 'dmlreadexception', message: 'Error reading from database' },
          );
          return;
      }
    }

    entry.status = 200;
    if (format !== 'json') {
      // Moodle's default is XML; the sandbox speaks JSON only and says so in Moodle's XML shape.
      sendText(
        res,
        200,
        '<?xml version="1.0" encoding="UTF-8" ?>\n<EXCEPTION class="invalid_parameter_exception">\n' +
          '<ERRORCODE>invalidparameter</ERRORCODE>\n<MESSAGE>The sisrelay Moodle sandbox only serves moodlewsrestformat=json</MESSAGE>\n</EXCEPTION>\n',
        'application/xml; charset=utf-8',
      );
      return;
    }
    try {
      if (token === undefined || token !== opts.token) {
        throw new MoodleWsException('moodle_exception', 'invalidtoken', 'Invalid token - token not found');
      }
      if (fn === undefined || fn === '') throw invalidParameter('Missing function name');
      if (!(MOODLE_FUNCTIONS as readonly string[]).includes(fn)) throw missingRecord('external_functions');
      if (!service.has(fn)) {
        throw new MoodleWsException(
          'webservice_access_exception',
          'accessexception',
          'Access control exception',
          `Access to the function ${fn}() is not allowed. The service linked to the user token does not contain the function.`,
        );
      }
      const result = run(fn as MoodleFunctionName, params);
      sendJson(res, 200, result === undefined ? null : result);
    } catch (err) {
      if (!(err instanceof MoodleWsException)) throw err;
      const out: MoodleExceptionBody = { exception: err.exception, errorcode: err.errorcode, message: err.message };
      if (opts.debug && err.debuginfo !== undefined) out.debuginfo = err.debuginfo;
      sendJson(res, 200, out);
    }
  };

  // Lookups for large sites (the 2,000-course sync benchmark: a scan of every enrolment and a
  // user search per member cost ~3 ms of CPU per roster call). Rebuilt whenever the state's
  // arrays are replaced (enrol/unenrol and tests assign new arrays) or change length.
  const usersById = indexOf(
    () => state.users,
    (users) => {
      const byId = new Map<number, MoodleUser>();
      // First wins, as Array.find did.
      for (const u of users) if (!byId.has(u.id)) byId.set(u.id, u);
      return byId;
    },
  );
  const enrolmentsByCourse = indexOf(
    () => state.enrolments,
    (enrolments) => {
      const byCourse = new Map<number, MoodleEnrolment[]>();
      for (const e of enrolments) {
        const list = byCourse.get(e.courseid);
        if (list) list.push(e);
        else byCourse.set(e.courseid, [e]);
      }
      return byCourse;
    },
  );

  function userById(id: number): MoodleUser | undefined {
    return usersById().get(id);
  }

  function enrolmentsOfCourse(courseid: number): MoodleEnrolment[] {
    return enrolmentsByCourse().get(courseid) ?? [];
  }

  function requireCapability(fn: MoodleFunctionName): void {
    const cap = MOODLE_FUNCTION_CAPABILITIES[fn];
    if (cap && denied.has(fn)) {
      throw new MoodleWsException(
        'required_capability_exception',
        'nopermissions',
        `Sorry, but you do not currently have permissions to do that (${cap.label}).`,
        cap.capability,
      );
    }
  }

  function run(fn: MoodleFunctionName, params: PhpMap): unknown {
    switch (fn) {
      case 'core_webservice_get_site_info':
        expectKeys(params, ['serviceshortnames']);
        return siteInfo();
      case 'core_enrol_get_enrolled_users':
        return enrolledUsers(params);
      case 'core_course_get_courses_by_field':
        return coursesByField(params);
      case 'core_user_get_users_by_field':
        return usersByField(params);
      case 'enrol_manual_enrol_users':
        return enrolUsers(params);
      case 'enrol_manual_unenrol_users':
        return unenrolUsers(params);
    }
  }

  function siteInfo(): unknown {
    const siteurl = server!.url.replace(/\/$/, '') + basePath.replace(/\/$/, '');
    return {
      sitename: opts.sitename ?? 'sisrelay sandbox Moodle',
      username: 'sisrelay-ws',
      firstname: 'sisrelay',
      lastname: 'Web service',
      fullname: 'sisrelay Web service',
      lang: 'en',
      userid: 2,
      siteurl,
      userpictureurl: `${siteurl}/theme/image.php/boost/core/1/u/f1`,
      functions: [...service].filter((f) => (MOODLE_FUNCTIONS as readonly string[]).includes(f)).map((name) => ({ name, version: '2022112800' })),
      downloadfiles: 0,
      uploadfiles: 0,
      release: opts.release ?? '4.1.9 (Build: 20240226)',
      version: '2022112809',
      mobilecssurl: '',
      advancedfeatures: [{ name: 'usecomments', value: 1 }],
      usercanmanageownfiles: false,
      userquota: 0,
      usermaxuploadfilesize: -1,
      userhomepage: 1,
      userprivateaccesskey: randomUUID().replace(/-/g, ''),
      siteid: 1,
      sitecalendartype: 'gregorian',
      usercalendartype: 'gregorian',
      userissiteadmin: false,
      theme: 'boost',
    };
  }

  function enrolledUsers(params: PhpMap): unknown {
    expectKeys(params, ['courseid', 'options']);
    const courseid = paramInt(params.get('courseid'), 'courseid');
    const options = optionalList(params.get('options'), 'options').map((o, i) => {
      const s = struct(o, `options[${i}]`, ['name', 'value']);
      return { name: paramText(s.get('name'), `options[${i}][name]`), value: paramText(s.get('value'), `options[${i}][value]`) };
    });
    let onlyactive = false;
    let onlysuspended = false;
    let userfields: string[] = [];
    let limitfrom = 0;
    let limitnumber = 0;
    let sortby: 'id' | 'firstname' | 'lastname' = 'id';
    let direction = 1;
    for (const o of options) {
      switch (o.name) {
        case 'onlyactive':
          onlyactive = o.value !== '' && o.value !== '0';
          break;
        case 'onlysuspended':
          onlysuspended = o.value !== '' && o.value !== '0';
          break;
        case 'userfields':
          userfields = o.value.split(',').map((f) => f.trim().replace(/[^a-zA-Z0-9_-]/g, ''));
          break;
        case 'limitfrom':
          limitfrom = Math.max(0, Number.parseInt(o.value, 10) || 0);
          break;
        case 'limitnumber':
          limitnumber = Math.max(0, Number.parseInt(o.value, 10) || 0);
          break;
        case 'sortby':
          if (o.value === 'siteorder') sortby = 'lastname';
          else if (o.value === 'id' || o.value === 'firstname' || o.value === 'lastname') sortby = o.value;
          else {
            throw invalidParameter(`Invalid value for sortby parameter (value: ${o.value}),allowed values are: id,firstname,lastname,siteorder`);
          }
          break;
        case 'sortdirection': {
          const d = o.value.toUpperCase();
          if (d !== 'ASC' && d !== 'DESC') {
            throw invalidParameter(`Invalid value for sortdirection parameter (value: ${d}),allowed values are: ASC,DESC`);
          }
          direction = d === 'ASC' ? 1 : -1;
          break;
        }
        default:
          break; // withcapability, groupid: accepted and ignored by the sandbox
      }
    }
    const course = state.courses.find((c) => c.id === courseid);
    if (!course) throw missingRecord('course');
    requireCapability('core_enrol_get_enrolled_users');

    const rows = enrolmentsOfCourse(courseid);
    const byUser = new Map<number, MoodleEnrolment[]>();
    for (const e of rows) byUser.set(e.userid, [...(byUser.get(e.userid) ?? []), e]);
    let users = [...byUser.entries()]
      .filter(([, es]) => {
        const active = es.some((e) => !e.suspended);
        if (onlyactive) return active;
        if (onlysuspended) return !active;
        return true;
      })
      .map(([id, es]) => ({ user: userById(id), es }))
      .filter((x): x is { user: MoodleUser; es: MoodleEnrolment[] } => x.user !== undefined);
    users.sort((a, b) => {
      const av = a.user[sortby];
      const bv = b.user[sortby];
      const c = typeof av === 'number' && typeof bv === 'number' ? av - bv : String(av).localeCompare(String(bv));
      return (c !== 0 ? c : a.user.id - b.user.id) * direction;
    });
    users = users.slice(limitfrom, limitnumber > 0 ? limitfrom + limitnumber : undefined);
    return users.map(({ user, es }) => userDetails(user, es, userfields));
  }

  function userDetails(user: MoodleUser, es: MoodleEnrolment[], fields: string[]): Record<string, unknown> {
    const roleIds = [...new Set(es.map((e) => e.roleid))];
    const roles = roleIds
      .map((id) => state.roles.find((r) => r.id === id))
      .filter((r): r is MoodleRole => r !== undefined)
      .sort((a, b) => (a.sortorder ?? a.id) - (b.sortorder ?? b.id))
      .map((r) => ({ roleid: r.id, name: r.name, shortname: r.shortname, sortorder: r.sortorder ?? r.id }));
    // Only when asked for (as user_get_user_details does): it scans every enrolment of the site,
    // which made a 2,000-course roster read cost the sandbox ~30 ms of CPU per call.
    const activeCourseIds =
      fields.length === 0 || fields.includes('enrolledcourses')
        ? [...new Set(state.enrolments.filter((e) => e.userid === user.id && !e.suspended).map((e) => e.courseid))]
        : [];
    const full = userRecord(user, {
      lastcourseaccess: 0,
      description: '',
      descriptionformat: 1,
      ...profileImages(),
      groups: [],
      roles,
      enrolledcourses: activeCourseIds
        .map((id) => state.courses.find((c) => c.id === id))
        .filter((c): c is MoodleCourse => c !== undefined)
        .map((c) => ({ id: c.id, fullname: c.fullname, shortname: c.shortname })),
    });
    if (fields.length === 0) return full;
    const out: Record<string, unknown> = { id: user.id, fullname: full.fullname };
    for (const f of fields) if (f in full) out[f] = full[f];
    return out;
  }

  function coursesByField(params: PhpMap): unknown {
    expectKeys(params, ['field', 'value']);
    const field = params.has('field') ? paramText(params.get('field'), 'field') : '';
    const value = params.has('value') ? paramText(params.get('value'), 'value') : '';
    let found: MoodleCourse[];
    switch (field) {
      case '':
        found = [...state.courses];
        break;
      case 'id':
        found = state.courses.filter((c) => c.id === cleanInt(value));
        break;
      case 'ids': {
        const ids = new Set(value.split(',').map((s) => cleanInt(s.trim())));
        found = state.courses.filter((c) => ids.has(c.id));
        break;
      }
      case 'shortname':
        found = state.courses.filter((c) => c.shortname === value);
        break;
      case 'idnumber':
        found = state.courses.filter((c) => (c.idnumber ?? '') === value);
        break;
      case 'category':
        found = state.courses.filter((c) => (c.category ?? 1) === cleanInt(value));
        break;
      default:
        throw invalidParameter('Invalid field name');
    }
    found.sort((a, b) => a.id - b.id);
    return { courses: found.map(courseRecord), warnings: [] };
  }

  /**
   * core_user_get_users_by_field (user/externallib.php): `field` must be id, idnumber, username or
   * email (anything else is a coding_exception); each value must survive the field's clean_param
   * unchanged (PARAM_INT for id); matches come back in id order as user_get_user_details_courses
   * records, and a user whose searched field is empty is left out. Unknown values are not errors.
   */
  function usersByField(params: PhpMap): unknown {
    expectKeys(params, ['field', 'values']);
    const field = paramText(params.get('field'), 'field');
    const values = requiredList(params.get('values'), 'values').map((v, i) => paramText(v, `values[${i}]`));
    if (!['id', 'idnumber', 'username', 'email'].includes(field)) {
      throw new MoodleWsException(
        'coding_exception',
        'codingerror',
        'Coding error detected, it must be fixed by a programmer: invalid field parameter',
        `The search field '${field}' is not supported, look at the web service documentation`,
      );
    }
    if (field === 'id') {
      for (const v of values) {
        if (String(cleanInt(v)) !== v) throw invalidParameter(`The field 'id' value is invalid: ${v}(cleaned value: ${cleanInt(v)})`);
      }
    }
    const wanted = new Set(values);
    const found = state.users
      .filter((u) => {
        const value = field === 'id' ? String(u.id) : u[field as 'idnumber' | 'username' | 'email'];
        return value !== '' && wanted.has(value);
      })
      .sort((a, b) => a.id - b.id);
    return found.map((user) =>
      userRecord(user, {
        auth: 'manual',
        suspended: false,
        confirmed: true,
        lang: 'en',
        theme: '',
        timezone: '99',
        mailformat: 1,
        description: '',
        descriptionformat: 1,
        ...profileImages(),
      }),
    );
  }

  /**
   * The fields both user answers share (user_get_user_details), then `extra`; `idnumber` only when
   * set and `email` only when not empty, as Moodle copies them.
   */
  function userRecord(user: MoodleUser, extra: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {
      id: user.id,
      username: user.username,
      firstname: user.firstname,
      lastname: user.lastname,
      fullname: `${user.firstname} ${user.lastname}`,
      email: user.email,
      department: '',
      firstaccess: 0,
      lastaccess: 0,
      ...extra,
    };
    if (user.idnumber !== '') out.idnumber = user.idnumber;
    if (user.email === '') delete out.email;
    return out;
  }

  function profileImages(): Record<string, string> {
    return {
      profileimageurlsmall: `${server!.url}theme/image.php/boost/core/1/u/f2`,
      profileimageurl: `${server!.url}theme/image.php/boost/core/1/u/f1`,
    };
  }

  function courseRecord(c: MoodleCourse): Record<string, unknown> {
    const category = c.category ?? 1;
    return {
      id: c.id,
      fullname: c.fullname,
      displayname: c.fullname,
      shortname: c.shortname,
      categoryid: category,
      categoryname: category === 1 ? 'Miscellaneous' : `Category ${category}`,
      sortorder: 10000 + c.id,
      summary: '',
      summaryformat: 1,
      summaryfiles: [],
      overviewfiles: [],
      showactivitydates: true,
      showcompletionconditions: null,
      contacts: [],
      enrollmentmethods: ['manual'],
      customfields: [],
      idnumber: c.idnumber ?? '',
      format: 'topics',
      showgrades: 1,
      newsitems: 5,
      startdate: 0,
      enddate: 0,
      maxbytes: 0,
      showreports: 0,
      visible: c.visible === false ? 0 : 1,
      groupmode: 0,
      groupmodeforce: 0,
      defaultgroupingid: 0,
      enablecompletion: 1,
      completionnotify: 0,
      lang: '',
      theme: '',
      marker: 0,
      legacyfiles: 0,
      calendartype: '',
      timecreated: 0,
      timemodified: 0,
      requested: 0,
      cacherev: 0,
      filters: [],
      courseformatoptions: [],
    };
  }

  function enrolUsers(params: PhpMap): null {
    expectKeys(params, ['enrolments']);
    const items = requiredList(params.get('enrolments'), 'enrolments').map((v, i) => {
      const s = struct(v, `enrolments[${i}]`, ['roleid', 'userid', 'courseid', 'timestart', 'timeend', 'suspend'], ['roleid', 'userid', 'courseid']);
      return {
        roleid: paramInt(s.get('roleid'), `enrolments[${i}][roleid]`),
        userid: paramInt(s.get('userid'), `enrolments[${i}][userid]`),
        courseid: paramInt(s.get('courseid'), `enrolments[${i}][courseid]`),
        suspend: s.has('suspend') ? paramInt(s.get('suspend'), `enrolments[${i}][suspend]`) !== 0 : false,
      };
    });
    // One delegated transaction per call: work on a copy, commit only when every item passed.
    let work = state.enrolments.map((e) => ({ ...e }));
    for (const it of items) {
      if (!state.courses.some((c) => c.id === it.courseid)) throw invalidParameter('Context does not exist');
      requireCapability('enrol_manual_enrol_users');
      if (!state.roles.some((r) => r.id === it.roleid)) {
        throw new MoodleWsException(
          'moodle_exception',
          'wsusercannotassign',
          `You don't have the permission to assign this role (${it.roleid}) to this user (${it.userid}) in this course (${it.courseid}).`,
        );
      }
      if (!state.users.some((u) => u.id === it.userid)) {
        throw new MoodleWsException(
          'coding_exception',
          'codingerror',
          'Coding error detected, it must be fixed by a programmer: User ID does not exist or is deleted!',
          `userid:${it.userid}`,
        );
      }
      for (const e of work) if (e.userid === it.userid && e.courseid === it.courseid) e.suspended = it.suspend;
      if (!work.some((e) => e.userid === it.userid && e.courseid === it.courseid && e.roleid === it.roleid)) {
        work = [...work, { userid: it.userid, courseid: it.courseid, roleid: it.roleid, suspended: it.suspend }];
      }
    }
    state.enrolments = work;
    return null;
  }

  function unenrolUsers(params: PhpMap): null {
    expectKeys(params, ['enrolments']);
    const items = requiredList(params.get('enrolments'), 'enrolments').map((v, i) => {
      const s = struct(v, `enrolments[${i}]`, ['userid', 'courseid', 'roleid'], ['userid', 'courseid']);
      if (s.has('roleid')) paramInt(s.get('roleid'), `enrolments[${i}][roleid]`);
      return {
        userid: paramInt(s.get('userid'), `enrolments[${i}][userid]`),
        courseid: paramInt(s.get('courseid'), `enrolments[${i}][courseid]`),
      };
    });
    let work = state.enrolments;
    for (const it of items) {
      if (!state.courses.some((c) => c.id === it.courseid)) throw missingRecord('course');
      requireCapability('enrol_manual_unenrol_users');
      if (!state.users.some((u) => u.id === it.userid)) throw invalidParameter(`User id not exist: ${it.userid}`);
      work = work.filter((e) => !(e.userid === it.userid && e.courseid === it.courseid));
    }
    state.enrolments = work;
    return null;
  }

  server = await startSandboxServer(handler, { host: opts.host, port: opts.port });
  const url = `${server.url.replace(/\/$/, '')}${basePath}`;

  return {
    url,
    endpoint: `${url}${ENDPOINT}`,
    state,
    calls,
    requestLog,
    maxInFlight: () => server!.maxInFlight(),
    inFlight: () => server!.inFlight(),
    injectFault: (f) => {
      faults.push({ ...f });
    },
    clearFaults: () => {
      faults.length = 0;
    },
    setLatency: (ms) => {
      latencyMs = ms;
    },
    denyCapability: (fn) => {
      denied.add(fn);
    },
    allowCapability: (fn) => {
      denied.delete(fn);
    },
    resetStats: () => {
      for (const k of Object.keys(calls)) delete calls[k];
      requestLog.length = 0;
      server!.resetMaxInFlight();
    },
    close: () => server!.close(),
  };
}

// ---------------------------------------------------------------------------------------------
// PHP-style parameters

/** A PHP request value: a string or an ordered array (keys as PHP would hold them). */
export type PhpValue = string | PhpMap;
export type PhpMap = Map<string, PhpValue>;

/**
 * Build PHP's `$_POST` structure from flat pairs: `a[0][b]=1` → a → {0 → {b → "1"}}; `a[]=x`
 * appends at the next integer index. Insertion order is kept, as in PHP arrays.
 */
export function parsePhpParams(pairs: Iterable<[string, string]>): PhpMap {
  const root: PhpMap = new Map();
  for (const [rawKey, value] of pairs) {
    const open = rawKey.indexOf('[');
    const segments: string[] = [];
    let base = rawKey;
    if (open > 0) {
      const tail = rawKey.slice(open);
      const re = /\[([^\]]*)\]/y;
      let pos = 0;
      let m: RegExpExecArray | null;
      while ((re.lastIndex = pos), (m = re.exec(tail)) !== null) {
        segments.push(m[1]!);
        pos = re.lastIndex;
      }
      if (segments.length > 0) base = rawKey.slice(0, open);
    }
    let node = root;
    const keys = [base, ...segments];
    for (let i = 0; i < keys.length; i++) {
      let key = keys[i]!;
      if (key === '' && i > 0) key = String(nextIndex(node));
      if (i === keys.length - 1) {
        node.set(key, value);
      } else {
        let child = node.get(key);
        if (!(child instanceof Map)) {
          child = new Map();
          node.set(key, child);
        }
        node = child;
      }
    }
  }
  return root;
}

function nextIndex(m: PhpMap): number {
  let max = -1;
  for (const k of m.keys()) if (/^(0|[1-9]\d*)$/.test(k)) max = Math.max(max, Number(k));
  return max + 1;
}

function mergeGetPost(get: URLSearchParams, post: URLSearchParams): URLSearchParams {
  const postBases = new Set([...post.keys()].map(baseName));
  const out = new URLSearchParams();
  for (const [k, v] of get) if (!postBases.has(baseName(k))) out.append(k, v);
  for (const [k, v] of post) out.append(k, v);
  return out;
}

function baseName(key: string): string {
  const i = key.indexOf('[');
  return i > 0 ? key.slice(0, i) : key;
}

function maskToken(rawQuery: string): string {
  return rawQuery.replace(/(^|&)(wstoken=)[^&]*/g, '$1$2***');
}

// Parameter validation in the manner of external_api::validate_parameters.

function expectKeys(m: PhpMap, allowed: string[]): void {
  const extra = [...m.keys()].filter((k) => !allowed.includes(k));
  if (extra.length > 0) throw invalidParameter(`Unexpected keys (${extra.join(', ')}) detected in parameter array.`);
}

function paramInt(v: PhpValue | undefined, name: string): number {
  if (v === undefined) throw invalidParameter(`${name} => Missing required key in single structure: ${name}`);
  if (typeof v !== 'string' || !/^-?(0|[1-9]\d*)$/.test(v)) {
    throw invalidParameter(`${name} => Invalid parameter value detected: ${name} => Invalid external api parameter: the value is "${typeof v === 'string' ? v : 'array'}", the server was expecting "int" type`);
  }
  return Number(v);
}

function paramText(v: PhpValue | undefined, name: string): string {
  if (v === undefined) throw invalidParameter(`${name} => Missing required key in single structure: ${name}`);
  if (typeof v !== 'string') throw invalidParameter(`${name} => Invalid external api parameter: the value is "array", the server was expecting "raw" type`);
  return v;
}

function cleanInt(s: string): number {
  const n = Number.parseInt(s, 10);
  return Number.isNaN(n) ? 0 : n;
}

function requiredList(v: PhpValue | undefined, name: string): PhpValue[] {
  if (v === undefined) throw invalidParameter(`Missing required key in single structure: ${name}`);
  if (typeof v === 'string') throw invalidParameter(`${name} => Only arrays accepted. The bad value is: '${v}'`);
  return [...v.values()];
}

function optionalList(v: PhpValue | undefined, name: string): PhpValue[] {
  return v === undefined ? [] : requiredList(v, name);
}

function struct(v: PhpValue, name: string, allowed: string[], required: string[] = allowed): PhpMap {
  if (typeof v === 'string') throw invalidParameter(`${name} => Only arrays accepted. The bad value is: '${v}'`);
  for (const k of required) if (!v.has(k)) throw invalidParameter(`${name} => Missing required key in single structure: ${k}`);
  const extra = [...v.keys()].filter((k) => !allowed.includes(k));
  if (extra.length > 0) throw invalidParameter(`${name} => Unexpected keys (${extra.join(', ')}) detected in parameter array.`);
  return v;
}

function faultMatches(f: MoodleFault, fn: string | undefined, params: PhpMap): boolean {
  if (f.wsfunction !== undefined && f.wsfunction !== fn) return false;
  if (f.courseid !== undefined && !courseIdsOf(params).includes(f.courseid)) return false;
  return true;
}

function courseIdsOf(params: PhpMap): number[] {
  const ids: number[] = [];
  const top = params.get('courseid');
  if (typeof top === 'string') ids.push(cleanInt(top));
  const enrolments = params.get('enrolments');
  if (enrolments instanceof Map) {
    for (const e of enrolments.values()) {
      const c = e instanceof Map ? e.get('courseid') : undefined;
      if (typeof c === 'string') ids.push(cleanInt(c));
    }
  }
  const field = params.get('field');
  const value = params.get('value');
  if ((field === 'id' || field === 'ids') && typeof value === 'string') ids.push(...value.split(',').map((s) => cleanInt(s.trim())));
  return ids;
}

/** `build(list())`, rebuilt only when `list()` returns another array or its length changed. */
function indexOf<T, I>(list: () => T[], build: (items: T[]) => I): () => I {
  let seen: T[] | null = null;
  let seenLength = -1;
  let index: I | undefined;
  return () => {
    const items = list();
    if (index === undefined || items !== seen || items.length !== seenLength) {
      index = build(items);
      seen = items;
      seenLength = items.length;
    }
    return index;
  };
}

function normaliseBasePath(p: string): string {
  let out = p.startsWith('/') ? p : `/${p}`;
  if (!out.endsWith('/')) out += '/';
  return out;
}
