import type { HttpClient } from '../adapter-types.js';
import { SisrelayError, isSisrelayError } from '../../errors/sisrelay-error.js';
import { Redactor } from '../../util/redactor.js';
import { flattenParams, type MoodleParams } from './flatten-params.js';

/**
 * Moodle's REST web services (`webservice/rest/server.php`) over an HttpClient built by the caller
 * from the `moodle` connection (base URL = the site URL; concurrency, rate, retries, timeouts all
 * live in the HttpClient).
 *
 * - Every call is a form POST with `wstoken`, `wsfunction`, `moodlewsrestformat=json` and the
 *   parameters in PHP bracket notation. The token travels only in the body: Moodle accepts it in
 *   the query string too, but URLs end up in web-server access logs and proxies.
 * - Moodle reports failures as HTTP 200 with `{exception, errorcode, message}`; that becomes
 *   MOODLE_EXCEPTION with `{errorcode, exception, wsfunction}` in details. `debuginfo` is never
 *   copied (it can hold SQL and parameters).
 * - MOODLE_EXCEPTION is permanent except for the errorcodes in MOODLE_TRANSIENT_ERRORCODES, which
 *   name conditions that pass on their own (maintenance mode, an upgrade in progress, the database
 *   unreachable or a read failing, the session lock timing out).
 * - All six functions used here are safe to repeat, so they are sent as idempotent (the
 *   HttpClient may retry them after a reset or a 5xx): the reads obviously; enrol_manual_enrol_users
 *   because enrol_plugin::enrol_user only updates an existing enrolment and role_assign returns an
 *   existing assignment; enrol_manual_unenrol_users because unenrol_user returns early when there
 *   is no enrolment. Other functions are sent non-idempotent unless the caller says otherwise.
 */

export const MOODLE_REST_PATH = 'webservice/rest/server.php';

export const MOODLE_TRANSIENT_ERRORCODES: ReadonlySet<string> = new Set([
  'sitemaintenance',
  'upgraderunning',
  'dbconnectionfailed',
  'dmlreadexception',
  'sessionwaiterr',
]);

const IDEMPOTENT_FUNCTIONS = new Set([
  'core_webservice_get_site_info',
  'core_enrol_get_enrolled_users',
  'core_course_get_courses_by_field',
  'core_user_get_users_by_field',
  'enrol_manual_enrol_users',
  'enrol_manual_unenrol_users',
]);

const RESERVED_PARAMS = ['wstoken', 'wsfunction', 'moodlewsrestformat'];

export const DEFAULT_MOODLE_BATCH_SIZE = 100;

export interface MoodleClientOptions {
  token: string;
  /** Items per enrol/unenrol call (default 100). */
  batchSize?: number;
  /**
   * Moodle runs each enrol/unenrol call in one transaction, so one bad item (an unknown user)
   * fails the whole call. When true (default), a batch that fails with a permanent exception is
   * split in halves and retried until the failing items are isolated.
   */
  isolateFailures?: boolean;
  /** Extra scrubbing for text copied into errors (the token is always scrubbed). */
  redact?: (text: string) => string;
}

export interface MoodleCallOptions {
  /** Safe to resend after a failure mid-flight (default: true for the functions listed above). */
  idempotent?: boolean;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface MoodleSiteInfo {
  sitename: string;
  username: string;
  userid: number;
  siteurl: string;
  release?: string;
  version?: string;
  functions?: Array<{ name: string; version: string }>;
  [key: string]: unknown;
}

export interface MoodleRoleRef {
  roleid: number;
  /** Often '' for standard roles; use roleid or shortname. */
  name: string;
  shortname: string;
  sortorder: number;
}

export interface MoodleEnrolledUser {
  id: number;
  username?: string;
  firstname?: string;
  lastname?: string;
  fullname: string;
  email?: string;
  /** Absent when the user has none. */
  idnumber?: string;
  roles?: MoodleRoleRef[];
  enrolledcourses?: Array<{ id: number; fullname: string; shortname: string }>;
  [key: string]: unknown;
}

/** Options of core_enrol_get_enrolled_users. Without any, suspended enrolments are included. */
export interface EnrolledUsersOptions {
  onlyactive?: boolean;
  onlysuspended?: boolean;
  withcapability?: string;
  groupid?: number;
  userfields?: string[];
  limitfrom?: number;
  limitnumber?: number;
  sortby?: 'id' | 'firstname' | 'lastname' | 'siteorder';
  sortdirection?: 'ASC' | 'DESC';
}

/** Fields core_user_get_users_by_field searches by. */
export type MoodleUserField = 'id' | 'idnumber' | 'username' | 'email';

/** A user as core_user_get_users_by_field returns it (user_get_user_details_courses). */
export interface MoodleUserRecord {
  id: number;
  username?: string;
  fullname?: string;
  email?: string;
  /** Absent when the user has none. */
  idnumber?: string;
  suspended?: boolean;
  [key: string]: unknown;
}

export type MoodleCourseField = 'id' | 'ids' | 'shortname' | 'idnumber' | 'category' | '';

export interface MoodleCourseRecord {
  id: number;
  shortname: string;
  fullname: string;
  idnumber?: string;
  categoryid?: number;
  visible?: number;
  [key: string]: unknown;
}

export interface MoodleWarning {
  item?: string;
  itemid?: number;
  warningcode: string;
  message: string;
}

export interface MoodleCoursesResult {
  courses: MoodleCourseRecord[];
  warnings: MoodleWarning[];
}

export interface MoodleEnrolItem {
  userid: number;
  courseid: number;
  roleid: number;
  timestart?: number;
  timeend?: number;
  suspend?: boolean;
}

export interface MoodleUnenrolItem {
  userid: number;
  courseid: number;
  /** Accepted by Moodle but ignored: unenrolling removes the user's whole manual enrolment in the course. */
  roleid?: number;
}

export interface MoodleItemResult<I> {
  item: I;
  ok: boolean;
  /** Moodle's answer for the call that carried this item, when it failed. */
  error?: { errorcode: string; exception: string; message: string };
}

export class MoodleClient {
  readonly #http: HttpClient;
  readonly #token: string;
  readonly #batchSize: number;
  readonly #isolate: boolean;
  readonly #redact: (text: string) => string;

  constructor(http: HttpClient, opts: MoodleClientOptions) {
    if (typeof opts.token !== 'string' || opts.token === '') throw new TypeError('MoodleClient: token must be a non-empty string');
    const batchSize = opts.batchSize ?? DEFAULT_MOODLE_BATCH_SIZE;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`MoodleClient: batchSize must be an integer >= 1, got ${String(batchSize)}`);
    this.#http = http;
    this.#token = opts.token;
    this.#batchSize = batchSize;
    this.#isolate = opts.isolateFailures ?? true;
    const extra = opts.redact ?? ((t: string) => t);
    const own = new Redactor([opts.token]);
    this.#redact = (t) => extra(own.redact(t));
  }

  /** Call any web-service function; resolves with Moodle's decoded answer (`null` for void functions). */
  async call<T = unknown>(wsfunction: string, params: MoodleParams = {}, options: MoodleCallOptions = {}): Promise<T> {
    for (const reserved of RESERVED_PARAMS) {
      // PHP keeps the last duplicate, so a parameter of this name would replace ours.
      if (Object.hasOwn(params, reserved)) throw new TypeError(`Moodle ${wsfunction}: parameter name ${reserved} is reserved for the client`);
    }
    const form = new URLSearchParams();
    form.set('wstoken', this.#token);
    form.set('wsfunction', wsfunction);
    form.set('moodlewsrestformat', 'json');
    flattenParams(params, form);

    let text: string;
    try {
      const res = await this.#http.request<string>({
        method: 'POST',
        path: MOODLE_REST_PATH,
        form,
        responseType: 'text',
        idempotent: options.idempotent ?? IDEMPOTENT_FUNCTIONS.has(wsfunction),
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
      text = res.body;
    } catch (err) {
      if (!isSisrelayError(err) || err.code === 'RUN_CANCELLED') throw err;
      // Same code and retry flag; the message and details gain the function name.
      throw new SisrelayError(err.code, `Moodle ${wsfunction}: ${this.#redact(err.message)}`, {
        transient: err.transient,
        cause: err,
        details: { ...(err.details ?? {}), wsfunction },
      });
    }

    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new SisrelayError(
        'HTTP_BAD_RESPONSE',
        `Moodle ${wsfunction} answered with a body that is not JSON (${Buffer.byteLength(text)} bytes${looksLikeHtml(text) ? ', looks like an HTML page' : ''}); expected JSON from moodlewsrestformat=json`,
        { details: { wsfunction } },
      );
    }
    if (isMoodleExceptionBody(body)) {
      const errorcode = String(body.errorcode);
      const exception = String(body.exception);
      const message = this.#redact(String(body.message ?? ''));
      throw new SisrelayError('MOODLE_EXCEPTION', `Moodle ${wsfunction} failed with ${errorcode} (${exception}): ${message}`, {
        transient: MOODLE_TRANSIENT_ERRORCODES.has(errorcode),
        details: { errorcode, exception, wsfunction, message },
      });
    }
    return body as T;
  }

  async siteInfo(call: MoodleCallOptions = {}): Promise<MoodleSiteInfo> {
    const info = await this.call<unknown>('core_webservice_get_site_info', {}, call);
    if (!isObject(info) || typeof info.userid !== 'number') throw shapeError('core_webservice_get_site_info', 'an object with userid', info);
    return info as MoodleSiteInfo;
  }

  /** Everyone enrolled in the course with their roles (suspended enrolments included unless `onlyactive`). */
  async enrolledUsers(courseId: number, options: EnrolledUsersOptions = {}, call: MoodleCallOptions = {}): Promise<MoodleEnrolledUser[]> {
    const opts: Array<{ name: string; value: string }> = [];
    for (const [name, value] of Object.entries(options) as Array<[keyof EnrolledUsersOptions, unknown]>) {
      if (value === undefined) continue;
      const text = typeof value === 'boolean' ? (value ? '1' : '0') : Array.isArray(value) ? value.join(',') : String(value);
      opts.push({ name, value: text });
    }
    const users = await this.call<unknown>('core_enrol_get_enrolled_users', { courseid: courseId, options: opts.length > 0 ? opts : undefined }, call);
    if (!Array.isArray(users) || !users.every((u) => isObject(u) && typeof u.id === 'number')) {
      throw shapeError('core_enrol_get_enrolled_users', 'a list of users with numeric ids', users);
    }
    return users as MoodleEnrolledUser[];
  }

  /** core_course_get_courses_by_field; an unknown id/shortname gives an empty list, not an error. */
  async coursesByField(field: MoodleCourseField, value: string | number = ''): Promise<MoodleCoursesResult> {
    const out = await this.call<unknown>('core_course_get_courses_by_field', { field, value: String(value) });
    if (!isObject(out) || !Array.isArray(out.courses)) throw shapeError('core_course_get_courses_by_field', '{courses: [...], warnings: [...]}', out);
    return { courses: out.courses as MoodleCourseRecord[], warnings: Array.isArray(out.warnings) ? (out.warnings as MoodleWarning[]) : [] };
  }

  /**
   * core_user_get_users_by_field: the users whose `field` equals one of `values` (Moodle ≥ 2.4).
   * Unknown values are simply absent from the answer (no error); deleted users are never
   * returned. `idnumber` is not unique in Moodle, so one value may match several users. The
   * caller keeps `values` to a modest count per call (the whole list travels in one POST body).
   */
  async usersByField(field: MoodleUserField, values: readonly (string | number)[], call: MoodleCallOptions = {}): Promise<MoodleUserRecord[]> {
    if (values.length === 0) return [];
    const users = await this.call<unknown>('core_user_get_users_by_field', { field, values: values.map(String) }, call);
    if (!Array.isArray(users) || !users.every((u) => isObject(u) && typeof u.id === 'number')) {
      throw shapeError('core_user_get_users_by_field', 'a list of users with numeric ids', users);
    }
    return users as MoodleUserRecord[];
  }

  /** Manual enrolments in batches; one result per item, in input order. */
  enrolUsers(items: readonly MoodleEnrolItem[]): Promise<Array<MoodleItemResult<MoodleEnrolItem>>> {
    return this.#batched('enrol_manual_enrol_users', items, (i) => ({
      roleid: i.roleid,
      userid: i.userid,
      courseid: i.courseid,
      timestart: i.timestart,
      timeend: i.timeend,
      suspend: i.suspend,
    }));
  }

  /** Manual unenrolments in batches; one result per item, in input order. */
  unenrolUsers(items: readonly MoodleUnenrolItem[]): Promise<Array<MoodleItemResult<MoodleUnenrolItem>>> {
    return this.#batched('enrol_manual_unenrol_users', items, (i) => ({ userid: i.userid, courseid: i.courseid, roleid: i.roleid }));
  }

  /**
   * Batches go one after another: each is a database transaction on the Moodle side, and
   * parallel enrolments into the same course contend for the same rows.
   *
   * A permanent Moodle exception fails only that batch's items (after isolation, see the
   * option). A transient exception (maintenance) or a transport failure stops the whole
   * operation and is thrown: later batches would fail the same way, and both functions are safe
   * to repeat on the next run.
   */
  async #batched<I>(wsfunction: string, items: readonly I[], toParam: (i: I) => MoodleParams): Promise<Array<MoodleItemResult<I>>> {
    const results: Array<MoodleItemResult<I>> = [];
    for (let i = 0; i < items.length; i += this.#batchSize) {
      results.push(...(await this.#runBatch(wsfunction, items.slice(i, i + this.#batchSize), toParam)));
    }
    return results;
  }

  async #runBatch<I>(wsfunction: string, batch: readonly I[], toParam: (i: I) => MoodleParams): Promise<Array<MoodleItemResult<I>>> {
    try {
      await this.call(wsfunction, { enrolments: batch.map(toParam) });
      return batch.map((item) => ({ item, ok: true }));
    } catch (err) {
      if (!isSisrelayError(err) || err.code !== 'MOODLE_EXCEPTION' || err.transient) throw err;
      if (this.#isolate && batch.length > 1) {
        const half = Math.ceil(batch.length / 2);
        return [...(await this.#runBatch(wsfunction, batch.slice(0, half), toParam)), ...(await this.#runBatch(wsfunction, batch.slice(half), toParam))];
      }
      const d = err.details ?? {};
      const error = { errorcode: String(d.errorcode), exception: String(d.exception), message: String(d.message ?? err.message) };
      return batch.map((item) => ({ item, ok: false, error }));
    }
  }
}

/** True for Moodle's error shape: an object with string `exception` and `errorcode`. */
export function isMoodleExceptionBody(body: unknown): body is { exception: string; errorcode: string; message?: string } {
  return isObject(body) && typeof body.exception === 'string' && typeof body.errorcode === 'string';
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function looksLikeHtml(text: string): boolean {
  return /^\s*<(!doctype|html)/i.test(text);
}

function shapeError(wsfunction: string, expected: string, got: unknown): SisrelayError {
  const found = got === null ? 'null' : Array.isArray(got) ? `a list of ${got.length}` : typeof got;
  return new SisrelayError('HTTP_BAD_RESPONSE', `Moodle ${wsfunction} answered with ${found}; expected ${expected}`, { details: { wsfunction } });
}
