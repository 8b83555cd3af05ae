import { posix } from 'node:path';
import { openDelimitedWriter } from '../../adapters/csv/delimited-writer.js';
import type { JobContext, JobModule } from '../job-types.js';
import { checkExtractDrop } from '../powerschool-shared/extract-checks.js';
import { connectEarly, deliverEpoch, deliverReplace } from '../powerschool-shared/deliver.js';
import { queryBatches } from '../powerschool-shared/query-batches.js';
import { cancelCheck } from '../shared/cancel-check.js';
import { outputPath, recordFile } from '../shared/local-output.js';
import { epochName } from '../../util/dates.js';
import type { SamegoalParams } from './descriptor.js';
import { CONTACT_CODES, GUARDIANS_SQL, STUDENTS_SQL } from './sql.js';
import {
  GUARDIAN_COLUMN_SOURCES, STUDENT_COLUMN_SOURCES, addRace, guardianFactsOf, rowMaker, studentFactsOf, type StudentFacts,
} from './transform.js';

/**
 * SameGoal demographics: PowerSchool → students.csv + guardians.csv → SameGoal SFTP.
 *
 * epoch mode (default): a new `<uploadDir>/<YYYYMMDD-HHMMSS>/` (run start in the job's zone) with
 * both files, then the empty COMPLETE marker last; a failure before the marker leaves none and
 * fails the run. auto mode: students_auto.csv then guardians_auto.csv replaced atomically in
 * uploadDir (SameGoal wraps each into its own epoch).
 *
 * Guardian rows are only written for students in this students.csv (the bulk loader requires it
 * and treats the pair as the complete guardian set of each student), so the dcids written are
 * kept in a Set: 8–16 bytes per student, the one thing here that grows with the district.
 *
 * Counts: students, guardians, rows_written, guardian_duplicates_skipped,
 * guardians_skipped_student_not_in_file, queries. Guard: students and guardians.
 */

const job: JobModule<SamegoalParams> = {
  async run(ctx: JobContext, params: SamegoalParams): Promise<void> {
    const source = await ctx.connections.sql(params.source);
    connectEarly(ctx, params.destination);
    const rules = { enrollStatusMap: params.enrollStatusMap, enrollStatusDefault: params.enrollStatusDefault };
    const statuses = params.enrollStatuses.map((s) => Number(s));
    const auto = params.mode === 'auto';
    const studentsName = auto ? 'students_auto.csv' : 'students.csv';
    const guardiansName = auto ? 'guardians_auto.csv' : 'guardians.csv';
    const csv = (header: readonly string[]) => ({
      delimiter: ',' as const,
      eol: '\r\n' as const,
      encoding: 'utf-8' as const,
      quoting: 'rfc4180' as const,
      header,
    });

    // students.csv
    const studentRow = rowMaker(params.studentColumns, STUDENT_COLUMN_SOURCES, params.studentFixedValues, rules);
    const inFile = new Set<string>();
    const sw = await openDelimitedWriter(outputPath(ctx.filesDir, studentsName), csv(params.studentColumns));
    ctx.report.count('queries', 1);
    try {
      let current: StudentFacts | null = null;
      const flush = async (s: StudentFacts): Promise<void> => {
        await sw.writeRow(studentRow(s));
        inFile.add(s.dcid);
      };
      const tick = cancelCheck(ctx.signal);
      for await (const batch of queryBatches(source, STUDENTS_SQL, { statuses }, ctx.signal)) for (const row of batch) {
        tick();
        const facts = studentFactsOf(row);
        if (current === null || current.dcid !== facts.dcid) {
          if (current !== null) await flush(current);
          current = facts;
        }
        addRace(current, row);
      }
      if (current !== null) await flush(current);
    } catch (err) {
      await sw.abort();
      throw err;
    }
    ctx.signal.throwIfAborted();
    const studentsFile = recordFile(ctx.report, await sw.close());
    ctx.report.count('students', inFile.size);
    ctx.log.info(`${studentsName}: ${inFile.size} students`);

    // guardians.csv
    const guardianRow = rowMaker(params.guardianColumns, GUARDIAN_COLUMN_SOURCES, params.guardianFixedValues, rules);
    const gw = await openDelimitedWriter(outputPath(ctx.filesDir, guardiansName), csv(params.guardianColumns));
    let duplicates = 0;
    let orphans = 0;
    ctx.report.count('queries', 2);
    try {
      let student: string | null = null;
      let seen = new Set<string>();
      const binds = {
        statuses,
        address_type: CONTACT_CODES.homeAddress,
        home_phone_type: CONTACT_CODES.homePhone,
        work_phone_type: CONTACT_CODES.workPhone,
        cell_phone_type: CONTACT_CODES.cellPhone,
      };
      const tick = cancelCheck(ctx.signal);
      for await (const batch of queryBatches(source, GUARDIANS_SQL, binds, ctx.signal)) for (const row of batch) {
        tick();
        const g = guardianFactsOf(row);
        if (g.studentDcid !== student) {
          student = g.studentDcid;
          seen = new Set();
        }
        // A person linked twice to one student (two associations or two active details):
        // the first, highest-ranked row wins.
        if (seen.has(g.personId)) {
          duplicates++;
          continue;
        }
        seen.add(g.personId);
        // The student became active between the two statements: SameGoal would reject a
        // guardian whose student is not in the same load.
        if (!inFile.has(g.studentDcid)) {
          orphans++;
          continue;
        }
        await gw.writeRow(guardianRow(g));
      }
    } catch (err) {
      await gw.abort();
      throw err;
    }
    ctx.signal.throwIfAborted();
    const guardiansFile = recordFile(ctx.report, await gw.close());
    const guardians = guardiansFile.rows ?? 0;
    ctx.report.count('guardians', guardians);
    ctx.report.count('rows_written', (studentsFile.rows ?? 0) + guardians);
    ctx.report.count('guardian_duplicates_skipped', duplicates);
    ctx.report.count('guardians_skipped_student_not_in_file', orphans);
    ctx.log.info(`${guardiansName}: ${guardians} guardians (${duplicates} duplicate links skipped)`);
    if (orphans > 0) ctx.log.warn(`${orphans} guardian rows left out: their student was not in ${studentsName} (it changed between the two reads)`);

    checkExtractDrop(ctx, [
      { metric: 'students', current: inFile.size },
      { metric: 'guardians', current: guardians },
    ], params.maxDropShare);

    if (auto) {
      await deliverReplace(ctx, params.destination, studentsFile, posix.join(params.uploadDir, studentsName));
      await deliverReplace(ctx, params.destination, guardiansFile, posix.join(params.uploadDir, guardiansName));
    } else {
      const epoch = epochName(ctx.startedAt, ctx.zone);
      await deliverEpoch(ctx, params.destination, params.uploadDir, epoch, [
        { record: studentsFile, name: studentsName },
        { record: guardiansFile, name: guardiansName },
      ], params.marker);
    }
  },
};

export default job;
