import type { InputEncoding } from '../../adapters/csv/delimited-reader.js';
import { compactDate } from '../../util/dates.js';
import type { JobContext } from '../job-types.js';
import { cancelCheck } from '../shared/cancel-check.js';
import { outputPath } from '../shared/local-output.js';
import { CourseTransform, type TransformEvent } from './course-transform.js';
import type { LegantoRules } from './leganto-rules.js';
import type { CourseRow } from './loader-row.js';
import { pullCemExport } from './pull-cem-export.js';
import { readCemExport } from './read-cem-export.js';
import { postStageNotice } from './slack-notice.js';

/**
 * The two steps both Leganto jobs start with: fetch today's CEM export into the run's files
 * directory, then run it through the loader transform, logging what happened to each line.
 */

export interface PullParams {
  source: string;
  sourceDir: string;
  filePattern: string;
  slack: string | null;
}

/** Today's export, downloaded as `cem_<YYYYMMDD>.csv` (the original's local name). Slack on failure. */
export async function pullTodaysExport(ctx: JobContext, p: PullParams, slackStage: string): Promise<string> {
  const today = compactDate(ctx.startedAt, ctx.zone);
  const localPath = outputPath(ctx.filesDir, `cem_${today}.csv`);
  try {
    const source = await ctx.connections.files(p.source);
    const pulled = await pullCemExport(source, { dir: p.sourceDir, pattern: p.filePattern, today, localPath, log: ctx.log });
    ctx.report.file(pulled.file);
    ctx.report.note(`pulled ${pulled.remotePath}`);
    return localPath;
  } catch (err) {
    const message = ctx.redact(err instanceof Error ? err.message : String(err));
    await postStageNotice(ctx, p.slack, slackStage, `Tried to pull the CEM export from ${p.source} but failed: ${message}`);
    throw err;
  }
}

export interface TransformedExport {
  transform: CourseTransform;
  /** Records read plus malformed lines. */
  rowsRead: number;
}

export async function transformExport(ctx: JobContext, path: string, encoding: InputEncoding, rules: LegantoRules): Promise<TransformedExport> {
  const transform = new CourseTransform(rules);
  const reader = readCemExport(path, encoding);
  const tick = cancelCheck(ctx.signal);
  for await (const { line, record } of reader) {
    tick();
    logEvent(ctx, transform.add(record, line));
  }
  for (const problem of reader.problems) logEvent(ctx, transform.reject(problem.line, '', `malformed CSV line: ${problem.reason}`));
  const unlisted = reader.problemCount - reader.problems.length;
  if (unlisted > 0) {
    transform.counts.rejected += unlisted;
    ctx.log.warn(`${unlisted} further malformed lines are not listed in the rejects report`);
  }
  ctx.log.info(
    `read ${reader.records + reader.problemCount} CEM lines (${reader.encoding}): ${transform.rows.size} courses, ` +
      `${transform.counts.merged} merged, ${transform.counts.replaced} replaced a DELETE, ${transform.counts.droppedDuplicate} duplicates dropped, ` +
      `${transform.counts.skippedStatus} skipped by status, ${transform.counts.skippedPrefix} skipped by prefix, ${transform.counts.rejected} rejected`,
  );
  return { transform, rowsRead: reader.records + reader.problemCount };
}

/** Reject a row after the transform (refused by the loader-file writer, an unusable copy course), logged like the transform's own rejects. */
export function rejectRow(ctx: JobContext, transform: CourseTransform, row: CourseRow, reason: string): void {
  logEvent(ctx, transform.reject(row.line, row.courseCode, reason));
}

function logEvent(ctx: JobContext, e: TransformEvent): void {
  switch (e.kind) {
    case 'added':
    case 'merged':
    case 'replaced':
      for (const w of e.warnings) ctx.log.warn(`line ${e.line}: ${w}`);
      if (e.kind === 'merged') ctx.log.debug(`line ${e.line}: merged into ${e.into.courseCode} (line ${e.into.line})`);
      if (e.kind === 'replaced') ctx.log.info(`line ${e.line}: ${e.row.courseCode} replaces the DELETE row of line ${e.replacedLine}`);
      return;
    case 'dropped':
      ctx.log.info(`line ${e.line}: ${e.courseCode} dropped: ${e.reason}`);
      return;
    case 'skipped':
      ctx.log.debug(`line ${e.line}: ${e.courseCode} skipped: ${e.detail}`);
      return;
    case 'rejected':
      ctx.log.warn(`line ${e.line}: rejected${e.courseCode ? ` ${e.courseCode}` : ''}: ${e.reason}`);
      return;
  }
}
