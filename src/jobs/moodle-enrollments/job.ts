import { setMaxListeners } from 'node:events';
import { MoodleClient } from '../../adapters/moodle/moodle-client.js';
import type { SqlSource } from '../../adapters/adapter-types.js';
import { isErrorCode } from '../../errors/error-codes.js';
import { SisrelayError } from '../../errors/sisrelay-error.js';
import type { DeliveryRecord } from '../../runner/run-record.js';
import type { JobContext, JobModule } from '../job-types.js';
import { outputPath, recordFile } from '../shared/local-output.js';
import { CONDUIT_FILE_NAME, writeConduitFile } from './conduit-file.js';
import type { MoodleParams } from './descriptor.js';
import { checkDrops, checkSource, type GuardVerdict } from './drop-guard.js';
import { diffEnrollments, type DiffResult } from './enrollment-diff.js';
import { loadMappings, mappingsDir, type MappingSet } from './mapping-file.js';
import { readMoodleRosters, type MoodleRostersRead } from './moodle-rosters.js';
import { readHubRoster, readSisRoster, type HubRosterRead, type SisRosterRead } from './sis-roster.js';
import { applyWebservice, planWebservice, resolveUserIds } from './webservice-apply.js';

const WEBSERVICE_TARGET = 'enrol_manual_unenrol_users, enrol_manual_enrol_users';
/** Course read failures logged one by one; the rest are summed up in the run's note. */
const FAILURES_LOGGED = 20;

/**
 * Moodle enrollment sync (jobs-reference §3): PowerCampus rosters against Moodle's, for the
 * mapped courses; the difference goes to Open LMS Conduit as enrollments.csv (mode `conduit`)
 * or straight into Moodle through web services (mode `webservice`).
 */
const job: JobModule<MoodleParams> = {
  async run(ctx, params) {
    const mappings = loadMappings(params, mappingsDir(ctx.dataDir));
    ctx.report.count('courses_mapped', mappings.academic.length + mappings.hubs.length);

    const http = await ctx.connections.http(params.moodle);
    const moodle = new MoodleClient(http, { token: ctx.connections.config(params.moodle, 'moodle').token, batchSize: params.batchSize, redact: ctx.redact });
    try {
      await checkSiteAccess(ctx, params, moodle);
      const source = await ctx.connections.sql(params.source);
      const pulled = await readBothSides(ctx, params, mappings, source, moodle);
      reportReads(ctx, mappings, pulled);

      holdUnlessForced(ctx, params, checkSource(sourceCounts(params, mappings, pulled)));
      const diff = diffEnrollments({
        academic: mappings.academic,
        hubs: mappings.hubs,
        sis: pulled.sis.roster,
        hubSis: pulled.hubs.programs,
        moodle: pulled.moodle.rosters,
        roles: params.roles,
      });
      reportDiff(ctx, diff);

      if (diff.changes.length === 0) {
        ctx.report.count('rows_written', 0);
        ctx.report.note(`nothing to change: Moodle matches PowerCampus in the ${diff.courses.length} courses read; nothing delivered`);
        return;
      }
      const audit = await writeConduitFile(outputPath(ctx.filesDir, CONDUIT_FILE_NAME), diff.changes);
      recordFile(ctx.report, audit);
      ctx.report.count('rows_written', audit.rows);

      holdUnlessForced(ctx, params, checkDrops(diff.courses, params.dropGuard));

      if (params.mode === 'conduit') await deliverToConduit(ctx, params, audit.path);
      else await applyThroughWebServices(ctx, params, moodle, diff, pulled.moodle);
    } finally {
      ctx.report.count('moodle_calls', http.stats().requests);
    }
  },
};
export default job;

/**
 * A bad token (invalidtoken) or a service missing a function would otherwise fail every course
 * read, or every enrolment, one by one: fail once, clearly, before anything is read.
 */
async function checkSiteAccess(ctx: JobContext, params: MoodleParams, moodle: MoodleClient): Promise<void> {
  const info = await moodle.siteInfo({ signal: ctx.signal });
  ctx.log.info('Moodle site answered', { site: info.sitename, release: info.release ?? null, wsuser: info.username });
  const needed = ['core_enrol_get_enrolled_users'];
  if (params.mode === 'webservice') needed.push('core_user_get_users_by_field', 'enrol_manual_enrol_users', 'enrol_manual_unenrol_users');
  if (!Array.isArray(info.functions)) return; // not listed: the calls themselves will say
  const granted = new Set(info.functions.map((f) => f.name));
  const missing = needed.filter((f) => !granted.has(f));
  if (missing.length > 0) {
    throw new SisrelayError(
      'MOODLE_EXCEPTION',
      `Moodle web-service user ${info.username} may not call ${missing.join(', ')}: add ${missing.length === 1 ? 'it' : 'them'} to the external service of the token (Site administration > Server > Web services > External services)`,
      { details: { errorcode: 'accessexception', missing } },
    );
  }
}

interface Pulled {
  sis: SisRosterRead;
  hubs: HubRosterRead;
  moodle: MoodleRostersRead;
}

/** PowerCampus and Moodle are read at the same time; the first failure cancels the other side. */
async function readBothSides(ctx: JobContext, params: MoodleParams, mappings: MappingSet, source: SqlSource, moodle: MoodleClient): Promise<Pulled> {
  const ac = new AbortController();
  const courseIds = [...mappings.academic, ...mappings.hubs].map((m) => m.courseId);
  // Each course read holds at most one listener while in flight; Node warns past 10 by default.
  setMaxListeners(courseIds.length + 10, ac.signal);
  const onAbort = (): void => ac.abort(ctx.signal.reason);
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  const failFast = (err: unknown): never => {
    ac.abort(err);
    throw err;
  };
  try {
    const mappedCourses = new Set(mappings.academic.flatMap((m) => m.courses));
    const programs = [...new Set(mappings.hubs.map((h) => h.program))];
    let logged = 0;
    const [sis, hubs, rosters] = await Promise.all([
      readSisRoster(source, params, mappedCourses, ac.signal).catch(failFast),
      readHubRoster(source, params, programs, ac.signal).catch(failFast),
      readMoodleRosters(moodle, courseIds, {
        signal: ac.signal,
        onFailure: (f) => {
          if (logged++ < FAILURES_LOGGED) ctx.log.warn('Moodle course read failed; course left out of this cycle', { courseId: f.courseId, code: f.code, error: f.message });
        },
      }).catch(failFast),
    ]);
    return { sis, hubs, moodle: rosters };
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
  }
}

function reportReads(ctx: JobContext, mappings: MappingSet, p: Pulled): void {
  ctx.report.count('sis_rows', p.sis.mappedRows + p.hubs.rows);
  ctx.report.count('courses_read_failed', p.moodle.failures.length);
  ctx.log.info('PowerCampus and Moodle read', {
    termRows: p.sis.termRows,
    mappedRows: p.sis.mappedRows,
    hubRows: p.hubs.rows,
    coursesRead: p.moodle.rosters.size,
    coursesFailed: p.moodle.failures.length,
  });
  if (p.sis.withoutPerson > 0) {
    ctx.log.warn('PowerCampus registrations without a PEOPLE row were skipped', { rows: p.sis.withoutPerson });
  }
  const total = mappings.academic.length + mappings.hubs.length;
  const failures = p.moodle.failures;
  if (failures.length === 0) return;
  if (failures.length === total) {
    const first = failures[0]!;
    throw new SisrelayError(
      isErrorCode(first.code) ? first.code : 'INTERNAL_ERROR',
      `every Moodle course read failed (${total} courses); nothing can be compared. First failure, course id ${first.courseId}: ${first.message}`,
      { transient: failures.every((f) => f.transient), details: { courses: total } },
    );
  }
  const ids = failures.slice(0, 10).map((f) => f.courseId).join(', ');
  ctx.report.note(
    `Moodle read failed for ${failures.length} of ${total} courses (ids ${ids}${failures.length > 10 ? ', ...' : ''}); they are left out of this cycle`,
  );
}

function sourceCounts(params: MoodleParams, mappings: MappingSet, p: Pulled): Parameters<typeof checkSource>[0] {
  return {
    academicYear: params.academicYear,
    academicTerm: params.academicTerm,
    academicEntries: mappings.academic.length,
    termRows: p.sis.termRows,
    mappedRows: p.sis.mappedRows,
    hubEntries: mappings.hubs.length,
    hubRows: p.hubs.rows,
  };
}

function reportDiff(ctx: JobContext, diff: DiffResult): void {
  const adds = diff.changes.filter((c) => c.action === 'add').length;
  ctx.report.count('adds', adds);
  ctx.report.count('drops', diff.changes.length - adds);
  ctx.log.info('roster differences computed', { courses: diff.courses.length, adds, drops: diff.changes.length - adds });
}

/** A held guard stops the run (the daemon alerts on the failure); `--force` lets this one run through. */
function holdUnlessForced(ctx: JobContext, params: MoodleParams, verdict: GuardVerdict): void {
  if (!verdict.held) return;
  if (!ctx.force) {
    ctx.report.delivery(heldDelivery(params, verdict.code));
    throw new SisrelayError(verdict.code, `delivery held: ${verdict.reason}`, { details: { guard: verdict.code } });
  }
  ctx.report.note(`guard ${verdict.code} overridden by --force: ${verdict.reason}`);
  ctx.log.warn('guard overridden by --force', { guard: verdict.code, reason: verdict.reason });
}

function heldDelivery(params: MoodleParams, code: string): DeliveryRecord {
  return params.mode === 'conduit'
    ? { connection: params.destination ?? '', target: params.remotePath, mode: 'no-overwrite', status: 'held', note: code }
    : { connection: params.moodle, target: WEBSERVICE_TARGET, mode: 'webservice', status: 'held', note: code };
}

/** Conduit picks the file up on its own schedule; an unconsumed previous file is never overwritten. */
async function deliverToConduit(ctx: JobContext, params: MoodleParams, localPath: string): Promise<void> {
  const connection = params.destination!;
  if (ctx.dryRun) {
    ctx.report.delivery({ connection, target: params.remotePath, mode: 'no-overwrite', status: 'dry-run' });
    ctx.report.note('dry run: enrollments.csv written locally, not delivered');
    return;
  }
  const target = await ctx.connections.files(connection);
  const put = await target.putIfAbsent(localPath, params.remotePath);
  if (put.status === 'skipped-exists') {
    const note = `delivery skipped: previous ${CONDUIT_FILE_NAME} not yet consumed by Conduit`;
    ctx.report.delivery({ connection, target: put.path, mode: 'no-overwrite', status: 'skipped-exists', bytes: 0, note });
    ctx.report.note(note);
    ctx.log.warn(note, { target: target.description, path: put.path });
    return;
  }
  ctx.report.delivery({ connection, target: put.path, mode: 'no-overwrite', status: 'delivered', bytes: put.bytes });
  ctx.log.info('enrollments delivered to Conduit', { target: target.description, path: put.path, bytes: put.bytes });
}

async function applyThroughWebServices(ctx: JobContext, params: MoodleParams, moodle: MoodleClient, diff: DiffResult, read: MoodleRostersRead): Promise<void> {
  const plan = planWebservice(diff.changes, read.rosters, params.roles);
  ctx.report.count('drops_skipped', plan.skippedDrops.length);
  if (ctx.dryRun) {
    ctx.report.delivery({ connection: params.moodle, target: WEBSERVICE_TARGET, mode: 'webservice', status: 'dry-run' });
    ctx.report.note(`dry run: ${plan.unenrols.length} unenrolments and ${plan.enrols.length} enrolments planned, none applied`);
    return;
  }
  const resolved = await resolveUserIds(moodle, plan.enrols.map((e) => e.idnumber), read.rosters, params.batchSize, ctx.signal);
  const outcome = await applyWebservice(moodle, plan, resolved);
  ctx.report.items(outcome.items);
  ctx.report.count('enrolled', outcome.enrolled);
  ctx.report.count('unenrolled', outcome.unenrolled);
  ctx.report.count('failed_items', outcome.failed);
  ctx.report.delivery({
    connection: params.moodle,
    target: WEBSERVICE_TARGET,
    mode: 'webservice',
    status: 'delivered',
    note: `${outcome.enrolled} enrolled, ${outcome.unenrolled} unenrolled, ${outcome.failed} failed, ${outcome.skipped} drops skipped`,
  });
  if (outcome.failed > 0) ctx.report.note(`${outcome.failed} enrol/unenrol items failed (see items)`);
  if (outcome.skipped > 0) ctx.report.note(`${outcome.skipped} drops skipped: the users keep another role in the course (enrol_manual_unenrol_users would remove it)`);
  ctx.log.info('enrolments applied through web services', { enrolled: outcome.enrolled, unenrolled: outcome.unenrolled, failed: outcome.failed, skipped: outcome.skipped });
}
