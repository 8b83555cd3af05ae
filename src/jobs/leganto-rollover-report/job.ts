import type { FileRecord } from '../../runner/run-record.js';
import { sendMail } from '../../notify/mailer.js';
import { stamp14 } from '../../util/dates.js';
import type { JobContext, JobModule } from '../job-types.js';
import { pullTodaysExport, rejectRow, transformExport } from '../leganto-shared/cem-input.js';
import type { CourseTransform } from '../leganto-shared/course-transform.js';
import { rulesFromParams } from '../leganto-shared/leganto-rules.js';
import { openAlma } from '../leganto-shared/open-alma.js';
import type { CourseRow } from '../leganto-shared/loader-row.js';
import { writeRejectsReport } from '../leganto-shared/rejects-report.js';
import { runBounded } from '../leganto-shared/run-bounded.js';
import { postStageNotice } from '../leganto-shared/slack-notice.js';
import { writeLoaderFile } from '../leganto-shared/write-loader-file.js';
import { CopyCourseLookup } from './course-cache.js';
import type { LegantoRolloverParams } from './descriptor.js';
import { copyCourseOf, rolloverRow, type CopyMatch } from './rollover-candidates.js';

/**
 * leganto-rollover-report: which of today's CEM courses could take over the reading lists of
 * the course they were copied from (leganto_rollover.py, course_caching.py). The rows go to
 * humans by e-mail, in the loader layout with Operation ROLLOVER; nothing is loaded into Alma.
 */
const STAGE = 'Rollover Daily Report';

const job: JobModule<LegantoRolloverParams> = {
  async run(ctx, p) {
    const rules = rulesFromParams(p, { onlineCampuses: p.onlineCampuses, onlineDepartmentOverrides: p.onlineDepartmentOverrides, skipCodePrefixes: p.skipCodePrefixes });
    const stamp = stamp14(ctx.startedAt, ctx.zone);

    const cemPath = await pullTodaysExport(ctx, p, STAGE);
    const { transform, rowsRead } = await transformExport(ctx, cemPath, p.encoding, rules);
    const candidates = findCandidates(ctx, transform);
    const rollovers = await confirmRollovers(ctx, p, candidates);

    const name = p.fileName.replace('{YYYYMMDDHHMMSS}', stamp);
    const report = await writeLoaderFile(ctx.filesDir, name, rollovers, rules.columns, ctx.report, (row, reason) => rejectRow(ctx, transform, row, reason));
    await writeRejectsReport(ctx.filesDir, `rejects_${stamp}.csv`, transform.rejects, ctx.report);

    ctx.report.count('rows_read', rowsRead);
    ctx.report.count('rows_rejected', transform.counts.rejected);
    ctx.report.count('rows_skipped_requested', transform.counts.skippedStatus);
    ctx.report.count('rows_skipped_prefix', transform.counts.skippedPrefix);
    ctx.report.count('candidates', candidates.length);
    ctx.report.count('rows_written', report.rows ?? 0);

    await sendReport(ctx, p, report);
  },
};

export default job;

interface Candidate {
  row: CourseRow;
  sln: string;
  year: string;
}

function findCandidates(ctx: JobContext, transform: CourseTransform): Candidate[] {
  const out: Candidate[] = [];
  for (const row of transform.rows.values()) {
    const check = copyCourseOf(row);
    if (check.kind === 'candidate') out.push({ row, sln: check.sln, year: check.year });
    else if (check.kind === 'invalid') rejectRow(ctx, transform, row, check.reason);
  }
  return out;
}

/** Look up each candidate's copy course and keep those whose copy course has reading lists. */
async function confirmRollovers(ctx: JobContext, p: LegantoRolloverParams, candidates: Candidate[]): Promise<CourseRow[]> {
  if (candidates.length === 0) {
    ctx.report.count('alma_calls', 0);
    return [];
  }
  const { alma, conn, reportCalls } = await openAlma(ctx, p.alma);
  const lookup = new CopyCourseLookup(alma, { mode: p.courseCache, concurrency: conn.concurrency, signal: ctx.signal, log: ctx.log });
  try {
    const slnsByYear = new Map<string, Set<string>>();
    for (const c of candidates) {
      const set = slnsByYear.get(c.year) ?? new Set<string>();
      set.add(c.sln);
      slnsByYear.set(c.year, set);
    }
    const plans = await lookup.prepare(slnsByYear);
    ctx.report.count('years_cached', plans.filter((y) => y.plan === 'cache').length);

    const matches: CopyMatch[] = new Array<CopyMatch>(candidates.length);
    await runBounded(candidates, conn.concurrency, ctx.signal, async (c, i) => {
      matches[i] = await lookup.match(c.sln, c.year);
    });
    const confirmed: boolean[] = new Array<boolean>(candidates.length).fill(false);
    await runBounded(candidates, conn.concurrency, ctx.signal, async (c, i) => {
      const m = matches[i]!;
      if (m.kind === 'unique') confirmed[i] = await lookup.hasReadingLists(m.course.id);
    });

    const rows: CourseRow[] = [];
    candidates.forEach((c, i) => {
      const m = matches[i]!;
      const where = `line ${c.row.line}: ${c.row.courseCode} copy SLN ${c.sln} (${c.year})`;
      if (m.kind === 'none') ctx.log.debug(`${where}: no course in Alma`);
      else if (m.kind === 'ambiguous') ctx.log.info(`${where}: ${m.count} courses match by ${m.by}; cannot tell which to roll over`);
      else if (!confirmed[i]) ctx.log.debug(`${where}: ${m.course.code} has no reading lists`);
      else {
        ctx.log.info(`${where}: ROLLOVER from ${m.course.code} (matched by ${m.by}; it has reading lists)`);
        rows.push(rolloverRow(c.row, m.course, c.sln));
      }
    });
    ctx.report.count('copy_courses_found', matches.filter((m) => m.kind === 'unique').length);
    ctx.report.count('reading_list_checks', lookup.readingListChecks);
    ctx.report.count('alma_searches', lookup.searches);
    ctx.report.count('alma_list_pages', lookup.pages);
    return rows;
  } finally {
    reportCalls();
  }
}

/** E-mail with the file attached (sent with zero rows too), then the Slack summary. */
async function sendReport(ctx: JobContext, p: LegantoRolloverParams, file: FileRecord): Promise<void> {
  const rows = file.rows ?? 0;
  if (ctx.dryRun) {
    ctx.report.delivery({ connection: p.email, target: p.emailTo.join(', '), mode: 'email', status: 'dry-run', bytes: file.bytes });
    ctx.report.note(`dry run: ${file.name} (${rows} rows) not e-mailed`);
    return;
  }
  try {
    const smtp = ctx.connections.config(p.email, 'smtp');
    const sent = await sendMail(
      smtp,
      {
        to: p.emailTo,
        subject: p.subject,
        text: `Attached is the daily potential rollover report ${file.name} with ${rows} rows`,
        attachments: [{ filename: file.name, path: file.path }],
      },
      { redact: (t) => ctx.redact(t) },
    );
    ctx.report.delivery({
      connection: p.email,
      target: sent.accepted.join(', '),
      mode: 'email',
      status: 'delivered',
      bytes: file.bytes,
      ...(sent.rejected.length > 0 ? { note: `refused by the server: ${sent.rejected.join(', ')}` } : {}),
    });
  } catch (err) {
    const message = ctx.redact(err instanceof Error ? err.message : String(err));
    ctx.report.delivery({ connection: p.email, target: p.emailTo.join(', '), mode: 'email', status: 'failed', note: message });
    await postStageNotice(ctx, p.slack, STAGE, `Couldn't email rollover report ${file.name}: ${message}`);
    throw err;
  }
  ctx.report.note(`e-mailed ${file.name} (${rows} rows)`);
  await postStageNotice(ctx, p.slack, STAGE, `Rollover report ${file.name} sent with ${rows} rows.`);
}
