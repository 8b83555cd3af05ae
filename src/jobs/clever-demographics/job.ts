import { posix } from 'node:path';
import { openDelimitedWriter } from '../../adapters/csv/delimited-writer.js';
import type { JobContext, JobModule } from '../job-types.js';
import { checkExtractDrop } from '../powerschool-shared/extract-checks.js';
import { connectEarly, deliverReplace } from '../powerschool-shared/deliver.js';
import { queryBatches } from '../powerschool-shared/query-batches.js';
import { countValue } from '../powerschool-shared/sql-values.js';
import { cancelCheck } from '../shared/cancel-check.js';
import { outputPath, recordFile } from '../shared/local-output.js';
import type { CleverParams } from './descriptor.js';
import { CLEVER_SQL } from './sql.js';
import { cleverRecord, cleverRules } from './transform.js';

/**
 * Clever race/ethnicity/LEP: PowerSchool → raceethnicity.txt (changed students only) → atomic
 * replace in the district SFTP directory PowerSchool AutoComm imports from.
 *
 * The file is small or empty on most nights (only changes), and an empty file is still delivered
 * because AutoComm expects it. The guard therefore counts the active students read, never the
 * changes. Each change is logged per field in the run log (student number, field, old → new);
 * the daemon log never sees student numbers.
 *
 * Counts: students, test_students_skipped, invalid_race_codes, changes, rows_written,
 * students_with_duplicate_lep_rows, students_with_duplicate_race_rows, queries.
 */

const job: JobModule<CleverParams> = {
  async run(ctx: JobContext, params: CleverParams): Promise<void> {
    const source = await ctx.connections.sql(params.source);
    connectEarly(ctx, params.destination);
    const rules = cleverRules(params.testNames, params.raceMap);
    const writer = await openDelimitedWriter(outputPath(ctx.filesDir, params.fileName), {
      delimiter: '\t',
      eol: '\n',
      encoding: 'utf-8',
      quoting: 'never',
      header: null,
    });

    let students = 0;
    let tests = 0;
    let invalid = 0;
    let dupLep = 0;
    let dupRace = 0;
    try {
      ctx.report.count('queries', 1);
      const tick = cancelCheck(ctx.signal);
      for await (const batch of queryBatches(source, CLEVER_SQL, {}, ctx.signal)) for (const row of batch) {
        tick();
        students++;
        if (countValue(row.lep_rows ?? null) > 1) dupLep++;
        if (countValue(row.fer_rows ?? null) > 1) dupRace++;
        const out = cleverRecord(row, rules);
        switch (out.kind) {
          case 'test-student':
            tests++;
            break;
          case 'invalid-race-code':
            invalid++;
            ctx.log.warn(`student ${out.studentNumber}: race code ${JSON.stringify(out.fer)} is not a number; student left out of this run`);
            break;
          case 'unchanged':
            break;
          case 'changed':
            for (const c of out.changes) ctx.log.info(`student ${out.studentNumber}: ${c.field} "${c.from}" -> "${c.to}"`);
            await writer.writeRow(out.fields);
            break;
        }
      }
    } catch (err) {
      await writer.abort();
      throw err;
    }
    ctx.signal.throwIfAborted();
    const written = await writer.close();
    const file = recordFile(ctx.report, written);
    ctx.report.count('students', students);
    ctx.report.count('test_students_skipped', tests);
    ctx.report.count('invalid_race_codes', invalid);
    ctx.report.count('changes', written.rows);
    ctx.report.count('rows_written', written.rows);
    ctx.report.count('students_with_duplicate_lep_rows', dupLep);
    ctx.report.count('students_with_duplicate_race_rows', dupRace);
    ctx.log.info(`${params.fileName}: ${written.rows} changed of ${students} active students (${tests} test records skipped)`);
    if (invalid > 0) ctx.report.note(`${invalid} students left out: race code not a number (see the run log)`);
    if (dupLep > 0) ctx.log.warn(`${dupLep} students have more than one S_IL_STU_X row; LEP is Y when any row says 1`);
    if (dupRace > 0) ctx.log.warn(`${dupRace} students have more than one S_IL_STU_DEMOGRAPHICS_X row; the smallest fer was used`);

    checkExtractDrop(ctx, [{ metric: 'students', current: students }], params.maxDropShare);
    await deliverReplace(ctx, params.destination, file, posix.join(params.remoteDir, params.fileName));
  },
};

export default job;
