import { posix } from 'node:path';
import { SisrelayError } from '../../errors/sisrelay-error.js';
import type { FileRecord } from '../../runner/run-record.js';
import { stamp14 } from '../../util/dates.js';
import type { JobContext, JobModule } from '../job-types.js';
import { pullTodaysExport, rejectRow, transformExport } from '../leganto-shared/cem-input.js';
import type { CourseTransform } from '../leganto-shared/course-transform.js';
import { rulesFromParams } from '../leganto-shared/leganto-rules.js';
import { openAlma } from '../leganto-shared/open-alma.js';
import { writeRejectsReport } from '../leganto-shared/rejects-report.js';
import { postStageNotice } from '../leganto-shared/slack-notice.js';
import { writeLoaderFile } from '../leganto-shared/write-loader-file.js';
import { checkDeletes, type DeleteVerdict } from './delete-checks.js';
import type { LegantoCoursesParams } from './descriptor.js';

/**
 * leganto-courses: today's CEM export → Alma course-loader file → the loader's SFTP drop.
 * (scottythered/leganto: leganto_pull.py, leganto_transform.py, leganto_push.py; rollover off.)
 */
const job: JobModule<LegantoCoursesParams> = {
  async run(ctx, p) {
    const rules = rulesFromParams(p);
    const stamp = stamp14(ctx.startedAt, ctx.zone);

    const cemPath = await pullTodaysExport(ctx, p, 'Pull');
    const { transform, rowsRead } = await transformExport(ctx, cemPath, p.encoding, rules);
    const deletes = await verifyDeletes(ctx, p, transform);

    const loaderFile = await writeLoaderFile(ctx.filesDir, `${stamp}.txt`, transform.rows.values(), rules.columns, ctx.report, (row, reason) => rejectRow(ctx, transform, row, reason));
    await writeRejectsReport(ctx.filesDir, `rejects_${stamp}.csv`, transform.rejects, ctx.report);

    ctx.report.count('rows_read', rowsRead);
    ctx.report.count('rows_rejected', transform.counts.rejected);
    ctx.report.count('rows_skipped_requested', transform.counts.skippedStatus);
    ctx.report.count('rows_merged', transform.counts.merged);
    ctx.report.count('rows_duplicate_dropped', transform.counts.droppedDuplicate);
    ctx.report.count('deletes_checked', deletes.checked);
    ctx.report.count('deletes_dropped', deletes.dropped);
    ctx.report.count('rows_written', loaderFile.rows ?? 0);

    await push(ctx, p, loaderFile);
  },
};

export default job;

interface DeleteSummary {
  checked: number;
  dropped: number;
}

/** Ask Alma about every DELETE row and take out the ones Alma must not receive. */
async function verifyDeletes(ctx: JobContext, p: LegantoCoursesParams, transform: CourseTransform): Promise<DeleteSummary> {
  const pending = [...transform.rows.values()].filter((r) => r.operation === 'DELETE');
  if (pending.length === 0) {
    ctx.report.count('alma_calls', 0);
    return { checked: 0, dropped: 0 };
  }
  const { alma, conn, reportCalls } = await openAlma(ctx, p.alma);
  let dropped = 0;
  try {
    await checkDeletes(alma, pending, {
      concurrency: conn.concurrency,
      signal: ctx.signal,
      onVerdict: (row, verdict) => {
        ctx.log.info(`DELETE ${row.courseCode} (line ${row.line}): ${describeVerdict(verdict)}`);
        if (verdict.keep) return;
        dropped++;
        transform.rows.delete(row.courseCode);
        if (verdict.reason === 'unsearchable') transform.reject(row.line, row.courseCode, `DELETE cannot be checked in Alma: ${verdict.message}`);
      },
    });
  } finally {
    reportCalls();
  }
  return { checked: pending.length, dropped };
}

function describeVerdict(v: DeleteVerdict): string {
  switch (v.reason) {
    case 'not-in-alma':
      return 'dropped: no course with this code in Alma';
    case 'has-reading-lists':
      return `dropped: course ${v.courseIds.join(', ')} has reading lists`;
    case 'no-reading-lists':
      return `kept: course ${v.courseIds.join(', ')} has no reading lists`;
    case 'unsearchable':
      return `dropped: ${v.message}`;
  }
}

/** leganto_push.py: no-overwrite upload into the polled directory, Slack "Push" either way. */
async function push(ctx: JobContext, p: LegantoCoursesParams, file: FileRecord): Promise<void> {
  const remotePath = posix.join(p.destinationDir, file.name);
  if (ctx.dryRun) {
    ctx.report.delivery({ connection: p.destination, target: remotePath, mode: 'no-overwrite', status: 'dry-run', bytes: file.bytes });
    ctx.report.note(`dry run: ${file.name} not pushed`);
    return;
  }
  let status: 'delivered' | 'skipped-exists';
  try {
    const destination = await ctx.connections.files(p.destination);
    status = (await destination.putIfAbsent(file.path, remotePath)).status;
  } catch (err) {
    const message = ctx.redact(err instanceof Error ? err.message : String(err));
    ctx.report.delivery({ connection: p.destination, target: remotePath, mode: 'no-overwrite', status: 'failed', note: message });
    await postStageNotice(ctx, p.slack, 'Push', `Tried to push ${file.name} to ${p.destination} but the transfer failed: ${message}`);
    throw err;
  }
  ctx.report.delivery({ connection: p.destination, target: remotePath, mode: 'no-overwrite', status, bytes: file.bytes });
  if (status === 'skipped-exists') {
    await postStageNotice(ctx, p.slack, 'Push', `Leganto push failed: ${remotePath} already exists on ${p.destination}; advise checking it out.`);
    // A retry runs under a new time stamp, so it gets a fresh name: worth retrying.
    throw new SisrelayError('TRANSFER_TARGET_EXISTS', `${remotePath} already exists on ${p.destination}; the course-loader file was not delivered (names are never reused)`, {
      transient: true,
      details: { path: remotePath },
    });
  }
  ctx.report.note(`pushed ${file.name}`);
  await postStageNotice(ctx, p.slack, 'Push', `successfully transferred ${file.name}`);
}
