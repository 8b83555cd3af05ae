import type { SqlRow } from '../../adapters/adapter-types.js';
import { SisrelayError } from '../../errors/sisrelay-error.js';
import { addDays, wallClockParts } from '../../util/dates.js';
import { integerText, optionalText, requiredIntegerText, ymdText } from '../powerschool-shared/sql-values.js';

/**
 * Pure rules of the LittleSIS roster: which term year is current, and how one joined row becomes
 * one CSV record. No I/O here, so every rule has a table test.
 */

/** The 16 header names, exactly as the original wrote them (LittleSIS maps columns by name). */
export const LITTLESIS_HEADER: readonly string[] = [
  'CC.COURSE_NUMBER',
  'CC.SECTION_NUMBER',
  'CC.TERMID',
  'CC.SCHOOLID',
  'CC.EXPRESSION',
  'CC.DATEENROLLED',
  'CC.DATELEFT',
  'COURSES.COURSE_NAME',
  'SECTIONS.ROOM',
  'TEACHERS.EMAIL_ADDR',
  'U_STUDENTSUSERFIELDS.custom_student_email',
  'STUDENTS.STUDENT_NUMBER',
  'STUDENTS.ENTRYDATE',
  'STUDENTS.EXITDATE',
  'STUDENTS.ENROLL_STATUS',
  'SCHOOLS.ABBREVIATION',
];

export interface YearTerm {
  id: number;
  dcid: number;
  yearid: number;
  /** `YYYY-MM-DD`, or null when the DB row has no date (such a term never qualifies). */
  firstday: string | null;
  lastday: string | null;
}

/**
 * "Now" as the original saw it: the local wall clock of the run's start in the job's zone, as a
 * sortable `YYYY-MM-DDTHH:MM:SS.mmm` text. DB dates are compared as that date at 00:00:00.000,
 * so comparing these strings is comparing the original's naive datetimes.
 */
export function localNowStamp(instant: Date, zone: string): string {
  const w = wallClockParts(instant, zone);
  const p = (n: number, l = 2): string => String(n).padStart(l, '0');
  // Zone offsets are whole minutes, so the instant's milliseconds are the wall clock's too.
  return `${p(w.year, 4)}-${p(w.month)}-${p(w.day)}T${p(w.hour)}:${p(w.minute)}:${p(w.second)}.${p(instant.getUTCMilliseconds(), 3)}`;
}

const midnight = (ymd: string): string => `${ymd}T00:00:00.000`;

/** Whether a full-year term is current at `now`: firstday − preStartDays < now < lastday (both strict, at midnight). */
export function termQualifies(term: YearTerm, now: string, preStartDays: number): boolean {
  if (term.firstday === null || term.lastday === null) return false;
  return midnight(addDays(term.firstday, -preStartDays)) < now && midnight(term.lastday) > now;
}

/**
 * The current term among the configured school's full-year terms, or null (summer gap).
 *
 * Tie-break, kept from the original: it read the terms ordered by dcid descending and let every
 * qualifying term overwrite its pick, so when several full-year terms qualify at once (next
 * year's term inside its 30-day pre-start window while this year's has not ended, or a duplicate
 * year record) the qualifying term with the LOWEST dcid wins. Input order does not matter here.
 */
export function pickTermYear(terms: readonly YearTerm[], now: string, preStartDays: number): YearTerm | null {
  let pick: YearTerm | null = null;
  for (const t of terms) {
    if (termQualifies(t, now, preStartDays) && (pick === null || t.dcid < pick.dcid)) pick = t;
  }
  return pick;
}

export type RosterOutcome =
  | { kind: 'row'; studentNumber: string; fields: (string | null)[] }
  | { kind: 'no-teacher'; studentNumber: string };

/**
 * One joined row → the 16 fields, or 'no-teacher' when the enrollment has no teacher e-mail
 * (attendance/commons sections; the original skipped them). The statement returns those rows too
 * (counting them here is cheaper than a second query); NULL, empty and blank ('  ') e-mails are
 * all caught here, so the same data gives the same file on every database (Oracle stores '' as
 * NULL).
 *
 * NULL room, course name, section, expression or date → empty field (the original wrote `None`).
 * Student e-mail is synthesised as student number + suffix, as the original did.
 *
 * Rows come grouped by student. The roster statement sends the student's own columns (entry and
 * exit dates, school abbreviation) on the student's first row only (`student_row` = 1) and NULL on
 * the others; they are formatted once, with the e-mail, and reused for the student's later rows.
 * A row without `student_row` (unit tests, other callers) carries its own values.
 */
export class RosterFormatter {
  #student: { number: string; email: string; entry: string | null; exit: string | null; abbreviation: string | null } | null = null;

  constructor(private readonly emailSuffix: string) {}

  record(row: SqlRow): RosterOutcome {
    const s = this.#studentOf(row);
    const sn = s.number;
    const email = optionalText(row.email_addr ?? null, 'email_addr', sn);
    if (email === null || email.trim() === '') return { kind: 'no-teacher', studentNumber: sn };
    return {
      kind: 'row',
      studentNumber: sn,
      fields: [
        optionalText(row.course_number ?? null, 'course_number', sn),
        optionalText(row.section_number ?? null, 'section_number', sn),
        integerText(row.termid ?? null, 'termid', sn),
        integerText(row.cc_schoolid ?? null, 'cc.schoolid', sn),
        optionalText(row.expression ?? null, 'expression', sn),
        ymdText(row.dateenrolled ?? null, 'dateenrolled', sn),
        ymdText(row.dateleft ?? null, 'dateleft', sn),
        optionalText(row.course_name ?? null, 'course_name', sn),
        optionalText(row.room ?? null, 'room', sn),
        email,
        s.email,
        sn,
        s.entry,
        s.exit,
        // Only enroll_status = 0 is selected, so the column is the constant the original wrote.
        '0',
        s.abbreviation,
      ],
    };
  }

  #studentOf(row: SqlRow) {
    const position = row.student_row;
    const first = position === undefined || position === null || position === 1 || position === 1n || position === '1';
    if (!first) {
      const cached = this.#student;
      const sn = requiredIntegerText(row.student_number ?? null, 'student_number');
      if (cached === null || cached.number !== sn) {
        throw new SisrelayError('INTERNAL_ERROR', `roster row ${String(position)} of student ${sn} arrived before its first row; the statement must order rows by student`);
      }
      return cached;
    }
    const sn = requiredIntegerText(row.student_number ?? null, 'student_number');
    this.#student = {
      number: sn,
      email: `${sn}${this.emailSuffix}`,
      entry: ymdText(row.entrydate ?? null, 'entrydate', sn),
      exit: ymdText(row.exitdate ?? null, 'exitdate', sn),
      abbreviation: optionalText(row.abbreviation ?? null, 'abbreviation', sn),
    };
    return this.#student;
  }
}

/** One row, without the per-student reuse (tests and one-off use). */
export function rosterRecord(row: SqlRow, emailSuffix: string): RosterOutcome {
  return new RosterFormatter(emailSuffix).record(row);
}

/** TERMS row → YearTerm (dates to `YYYY-MM-DD`). */
export function yearTermOf(row: SqlRow): YearTerm {
  const num = (c: string): number => Number(requiredIntegerText(row[c] ?? null, `terms.${c}`));
  return {
    id: num('id'),
    dcid: num('dcid'),
    yearid: num('yearid'),
    firstday: ymdText(row.firstday ?? null, 'terms.firstday'),
    lastday: ymdText(row.lastday ?? null, 'terms.lastday'),
  };
}
