/**
 * The slice of the PowerCampus (SQL Server) schema the Moodle enrollment sync reads, with
 * PowerCampus' own upper-case names (unquoted: PostgreSQL folds them to lower case, SQL Server is
 * case-insensitive by default). PowerCampus is a separate database from PowerSchool; both have a
 * SECTIONS table, so load them into different databases or schemas.
 *
 * Facts the job depends on:
 * - PEOPLE_CODE_ID is 'P' + 9 digits ('P000123456'); Moodle's idnumber is it without the 'P'.
 * - ACADEMIC_YEAR / ACADEMIC_TERM are text ('2026', 'Winter'); ACADEMIC_SESSION is '' for the main
 *   session (SQL Server keeps '' distinct from NULL; Oracle would not).
 * - FINAL_GRADE is '' while a course is in progress; a NULL FINAL_GRADE or ENROLL_SEPARATION fails
 *   the original's `!=` filters and drops the row (kept on purpose: see jobs-reference §3.3).
 */
import { renderDdl, type TableDef } from './table-def.js';

export const POWERCAMPUS_TABLES: readonly TableDef[] = [
  {
    name: 'PEOPLE',
    columns: [
      { name: 'PEOPLE_CODE', type: 'VARCHAR(1)', notNull: true },
      { name: 'PEOPLE_ID', type: 'VARCHAR(9)', notNull: true },
      { name: 'PEOPLE_CODE_ID', type: 'VARCHAR(10)', notNull: true },
      { name: 'PERSONID', type: 'INTEGER', notNull: true },
      { name: 'PREFIX', type: 'VARCHAR(10)' },
      { name: 'FIRST_NAME', type: 'VARCHAR(60)' },
      { name: 'MIDDLE_NAME', type: 'VARCHAR(60)' },
      { name: 'LAST_NAME', type: 'VARCHAR(60)' },
      { name: 'SUFFIX', type: 'VARCHAR(10)' },
      { name: 'BIRTH_DATE', type: 'DATE' },
    ],
    primaryKey: ['PEOPLE_CODE_ID'],
  },
  {
    name: 'ACADEMIC',
    columns: [
      { name: 'PEOPLE_CODE_ID', type: 'VARCHAR(10)', notNull: true },
      { name: 'PEOPLE_ID', type: 'VARCHAR(9)', notNull: true },
      { name: 'ACADEMIC_YEAR', type: 'VARCHAR(4)', notNull: true },
      { name: 'ACADEMIC_TERM', type: 'VARCHAR(10)', notNull: true },
      { name: 'ACADEMIC_SESSION', type: 'VARCHAR(10)', notNull: true },
      { name: 'PROGRAM', type: 'VARCHAR(6)', notNull: true },
      { name: 'DEGREE', type: 'VARCHAR(6)', notNull: true },
      { name: 'CURRICULUM', type: 'VARCHAR(6)', notNull: true },
      { name: 'CLASS_LEVEL', type: 'VARCHAR(6)' },
      { name: 'ENROLL_SEPARATION', type: 'VARCHAR(4)' },
      { name: 'PRIMARY_FLAG', type: 'VARCHAR(1)' },
      { name: 'STATUS', type: 'VARCHAR(1)' },
      { name: 'CREDITS', type: 'NUMERIC(6,2)' },
    ],
    primaryKey: ['PEOPLE_CODE_ID', 'ACADEMIC_YEAR', 'ACADEMIC_TERM', 'ACADEMIC_SESSION', 'PROGRAM', 'DEGREE', 'CURRICULUM'],
    indexes: [{ name: 'ix_pc_academic_term', columns: ['ACADEMIC_YEAR', 'ACADEMIC_TERM', 'CURRICULUM'] }],
  },
  {
    name: 'SECTIONS',
    columns: [
      { name: 'ACADEMIC_YEAR', type: 'VARCHAR(4)', notNull: true },
      { name: 'ACADEMIC_TERM', type: 'VARCHAR(10)', notNull: true },
      { name: 'ACADEMIC_SESSION', type: 'VARCHAR(10)', notNull: true },
      { name: 'EVENT_ID', type: 'VARCHAR(15)', notNull: true },
      { name: 'EVENT_SUB_TYPE', type: 'VARCHAR(4)', notNull: true },
      { name: 'SECTION', type: 'VARCHAR(4)', notNull: true },
      { name: 'EVENT_LONG_NAME', type: 'VARCHAR(100)' },
      { name: 'EVENT_STATUS', type: 'VARCHAR(1)' },
      { name: 'CREDITS', type: 'NUMERIC(6,2)' },
      { name: 'START_DATE', type: 'DATE' },
      { name: 'END_DATE', type: 'DATE' },
      { name: 'MAX_PARTICIPANT', type: 'INTEGER' },
    ],
    primaryKey: ['ACADEMIC_YEAR', 'ACADEMIC_TERM', 'ACADEMIC_SESSION', 'EVENT_ID', 'EVENT_SUB_TYPE', 'SECTION'],
    indexes: [{ name: 'ix_pc_sections_event', columns: ['ACADEMIC_YEAR', 'ACADEMIC_TERM', 'EVENT_ID'] }],
  },
  {
    name: 'TRANSCRIPTDETAIL',
    columns: [
      { name: 'TRANSCRIPTDETAILID', type: 'INTEGER', notNull: true },
      { name: 'PEOPLE_CODE_ID', type: 'VARCHAR(10)', notNull: true },
      { name: 'PEOPLE_ID', type: 'VARCHAR(9)', notNull: true },
      { name: 'ACADEMIC_YEAR', type: 'VARCHAR(4)', notNull: true },
      { name: 'ACADEMIC_TERM', type: 'VARCHAR(10)', notNull: true },
      { name: 'ACADEMIC_SESSION', type: 'VARCHAR(10)', notNull: true },
      { name: 'EVENT_ID', type: 'VARCHAR(15)', notNull: true },
      { name: 'EVENT_SUB_TYPE', type: 'VARCHAR(4)', notNull: true },
      { name: 'SECTION', type: 'VARCHAR(4)', notNull: true },
      { name: 'EVENT_LONG_NAME', type: 'VARCHAR(100)' },
      // A = added, D = dropped, W = wait-listed.
      { name: 'ADD_DROP_WAIT', type: 'VARCHAR(1)' },
      { name: 'FINAL_GRADE', type: 'VARCHAR(3)' },
      { name: 'CREDIT', type: 'NUMERIC(6,2)' },
    ],
    primaryKey: ['TRANSCRIPTDETAILID'],
    indexes: [
      { name: 'ix_pc_td_event', columns: ['ACADEMIC_YEAR', 'ACADEMIC_TERM', 'EVENT_ID'] },
      { name: 'ix_pc_td_people', columns: ['PEOPLE_CODE_ID'] },
    ],
  },
];

/** CREATE TABLE / CREATE INDEX statements, in executable order. */
export const POWERCAMPUS_DDL: readonly string[] = renderDdl(POWERCAMPUS_TABLES);
