import { posix } from 'node:path';
import { openDelimitedWriter } from '../../adapters/csv/delimited-writer.js';
import { SisrelayError } from '../../errors/sisrelay-error.js';
import type { JobContext, JobModule } from '../job-types.js';
import { checkExtractDrop } from '../powerschool-shared/extract-checks.js';
import { connectEarly, deliverReplace } from '../powerschool-shared/deliver.js';
import { queryBatches } from '../powerschool-shared/query-batches.js';
import { countValue } from '../powerschool-shared/sql-values.js';
import { cancelCheck } from '../shared/cancel-check.js';
import { outputPath, recordFile } from '../shared/local-output.js';
import type { LittlesisParams } from './descriptor.js';
import { ACTIVE_STUDENTS_SQL, ROSTER_SQL, TERM_YEAR_SQL } from './sql.js';
import { LITTLESIS_HEADER, RosterFormatter, localNowStamp, pickTermYear, yearTermOf, type YearTerm } from './transform.js';

/**
 * LittleSIS roster: PowerSchool → littlesis_roster.csv → atomic replace on the LittleSIS SFTP.
 *
 * extract: term year (1 statement), active-student count (1), roster join (1, streamed; rows
 * without a teacher e-mail are counted and left out here);
 * transform: RosterFormatter.record() per row; load: putReplace into the login directory.
 *
 * Counts: term_year, students (active students), rows_written, enrollments_dropped_no_teacher,
 * students_with_rows, queries, and rows_rejected_encoding when windows-1252 cannot hold a value.
 * Guard: students and rows_written against the last successful run.
 */

/** Problems listed in the DATA_ENCODING message; all of them go to the run log. */
const MAX_LISTED_PROBLEMS = 10;

interface EncodingProblem {
  studentNumber: string;
  column: string;
  character: string;
  codePoint: string;
}

const job: JobModule<LittlesisParams> = {
  async run(ctx: JobContext, params: LittlesisParams): Promise<void> {
    const source = await ctx.connections.sql(params.source);
    let queries = 0;
    const stream = (sql: string, binds: Record<string, number>) => {
      queries++;
      ctx.report.count('queries', queries);
      return queryBatches(source, sql, binds, ctx.signal);
    };

    // 1. Current term year.
    const terms: YearTerm[] = [];
    for await (const batch of stream(TERM_YEAR_SQL, { school: params.termYearSchool })) for (const row of batch) terms.push(yearTermOf(row));
    const now = localNowStamp(ctx.startedAt, ctx.zone);
    const term = pickTermYear(terms, now, params.preStartDays);
    if (term === null) {
      const why =
        `no current term year: none of the ${terms.length} full-year terms of school ${params.termYearSchool} ` +
        `runs at ${now.slice(0, 19)} ${ctx.zone} (pre-start buffer ${params.preStartDays} days)`;
      ctx.log.warn(`${why}; nothing uploaded, LittleSIS keeps its previous file`);
      ctx.report.note(`nothing to send: ${why}`);
      return;
    }
    ctx.log.info(`current term year ${term.yearid} (term id ${term.id}, dcid ${term.dcid}, ${term.firstday} to ${term.lastday})`);
    ctx.report.count('term_year', term.yearid);
    connectEarly(ctx, params.destination);

    // 2. Active students (for the guard).
    let students = 0;
    for await (const batch of stream(ACTIVE_STUDENTS_SQL, {})) for (const row of batch) students = countValue(row.students ?? null);
    ctx.report.count('students', students);
    let dropped = 0;

    // 3. Roster, streamed straight into the file.
    const fileName = posix.basename(params.remotePath);
    const writer = await openDelimitedWriter(outputPath(ctx.filesDir, fileName), {
      delimiter: ',',
      eol: '\r\n',
      encoding: params.encoding,
      quoting: 'rfc4180',
      header: LITTLESIS_HEADER,
      onUnencodable: 'report',
    });
    let withRows = 0;
    let lastStudent: string | null = null;
    const problems: EncodingProblem[] = [];
    try {
      const tick = cancelCheck(ctx.signal);
      const formatter = new RosterFormatter(params.emailSuffix);
      for await (const batch of stream(ROSTER_SQL, { yearid: term.yearid })) for (const row of batch) {
        tick();
        const out = formatter.record(row);
        if (out.kind === 'no-teacher') {
          dropped++;
          continue;
        }
        const before = writer.problems.length;
        const written = await writer.writeRow(out.fields);
        if (written) {
          if (out.studentNumber !== lastStudent) withRows++;
          lastStudent = out.studentNumber;
        } else if (writer.problems.length > before) {
          const p = writer.problems[writer.problems.length - 1]!;
          problems.push({ studentNumber: out.studentNumber, column: p.columnName ?? `column ${p.column}`, character: p.character, codePoint: p.codePoint });
        }
      }
    } catch (err) {
      await writer.abort();
      throw err;
    }
    ctx.signal.throwIfAborted();
    const written = await writer.close();
    const file = recordFile(ctx.report, written);
    ctx.report.count('rows_written', written.rows);
    ctx.report.count('enrollments_dropped_no_teacher', dropped);
    ctx.report.count('students_with_rows', withRows);
    ctx.log.info(`${fileName}: ${written.rows} rows for ${withRows} of ${students} active students; ${dropped} enrollments without a teacher e-mail left out`);

    // Encoding policy: a value windows-1252 cannot hold fails the run after the whole extract
    // was checked, naming every student/column/character (first ones in the message, all in the
    // log). Sending the roster without those rows would silently drop students from classes.
    if (writer.rejectedRows > 0) {
      ctx.report.count('rows_rejected_encoding', writer.rejectedRows);
      for (const p of problems) {
        ctx.log.error(`student ${p.studentNumber}: ${p.column} holds "${p.character}" (${p.codePoint}), which ${params.encoding} cannot encode`);
      }
      const listed = problems.slice(0, MAX_LISTED_PROBLEMS).map((p) => `student ${p.studentNumber} ${p.column} "${p.character}" (${p.codePoint})`);
      throw new SisrelayError(
        'DATA_ENCODING',
        `${fileName}: ${writer.rejectedRows} rows hold characters ${params.encoding} cannot encode (${listed.join('; ')}` +
          `${writer.rejectedRows > listed.length ? '; more in the run log' : ''}); nothing delivered. Fix the data or set encoding to utf-8`,
        { details: { rejectedRows: writer.rejectedRows, encoding: params.encoding } },
      );
    }

    checkExtractDrop(ctx, [
      { metric: 'students', current: students },
      { metric: 'rows_written', current: written.rows },
    ], params.maxDropShare);

    await deliverReplace(ctx, params.destination, file, params.remotePath);
  },
};

export default job;
