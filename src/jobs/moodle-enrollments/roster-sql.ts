import type { Binds } from '../../adapters/adapter-types.js';

/**
 * The PowerCampus reads, written once in portable SQL (`:name` binds; the SqlSource translates
 * them to `@name` for SQL Server and `$n` for PostgreSQL). No value is ever spliced into the text.
 *
 * Roster: the original's filters, one by one (jobs-reference §3.3):
 * - the registration's term is the configured ACADEMIC_YEAR / ACADEMIC_TERM, and a SECTIONS row
 *   exists for its course in that term (the original's inner join on year + term + EVENT_ID);
 * - ADD_DROP_WAIT = 'A';
 * - FINAL_GRADE <> 'W' and <> 'WA';
 * - an ACADEMIC row for the same person, year, term and session whose ENROLL_SEPARATION is none of
 *   LOA, WITH, AWIT (the original's left join + `!=` tests);
 * - idnumber = PEOPLE_CODE_ID without any 'P' (from PEOPLE, left-joined: NULL when the person row
 *   is missing, and the job skips such rows — there is nobody to enrol);
 * - role = 'auditingstudent' when FINAL_GRADE = 'AU', else 'student'; DISTINCT.
 *
 * NULL semantics are kept on purpose: `<>` against NULL is UNKNOWN, so a NULL FINAL_GRADE, a NULL
 * ENROLL_SEPARATION or a missing ACADEMIC row excludes the registration, exactly as the original.
 *
 * The two joins the original used only as filters are EXISTS here. The results are identical
 * (the selected columns never came from SECTIONS or ACADEMIC, and the original was DISTINCT), but
 * the join fanned every registration out by the course's section × sub-type count and by the
 * person's ACADEMIC rows before DISTINCT folded them back.
 *
 * No course list in the statement. SQL Server takes at most 2,100 parameters per request, and a
 * university's mapping can pass that; chunking would mean several statements with different
 * IN-list lengths (one compiled plan each). Instead the term is the filter (the
 * (ACADEMIC_YEAR, ACADEMIC_TERM, EVENT_ID) index serves it), the rows stream, and the job keeps
 * the mapped courses in TypeScript. The cost is that unmapped registrations of the term cross the
 * wire; they are not kept in memory. One statement text for every mapping, any size.
 */
export const ROSTER_SQL = `SELECT DISTINCT
  REPLACE(PEOPLE.PEOPLE_CODE_ID, 'P', '') AS idnumber,
  TRANSCRIPTDETAIL.EVENT_ID AS course,
  TRANSCRIPTDETAIL.SECTION AS section,
  CASE WHEN TRANSCRIPTDETAIL.FINAL_GRADE = 'AU' THEN 'auditingstudent' ELSE 'student' END AS role
FROM TRANSCRIPTDETAIL
  LEFT OUTER JOIN PEOPLE
    ON PEOPLE.PEOPLE_CODE_ID = TRANSCRIPTDETAIL.PEOPLE_CODE_ID
WHERE TRANSCRIPTDETAIL.ACADEMIC_YEAR = :year
  AND TRANSCRIPTDETAIL.ACADEMIC_TERM = :term
  AND EXISTS (
    SELECT 1 FROM SECTIONS
    WHERE SECTIONS.ACADEMIC_YEAR = TRANSCRIPTDETAIL.ACADEMIC_YEAR
      AND SECTIONS.ACADEMIC_TERM = TRANSCRIPTDETAIL.ACADEMIC_TERM
      AND SECTIONS.EVENT_ID = TRANSCRIPTDETAIL.EVENT_ID)
  AND TRANSCRIPTDETAIL.ADD_DROP_WAIT = 'A'
  AND TRANSCRIPTDETAIL.FINAL_GRADE <> 'W'
  AND TRANSCRIPTDETAIL.FINAL_GRADE <> 'WA'
  AND EXISTS (
    SELECT 1 FROM ACADEMIC
    WHERE ACADEMIC.PEOPLE_CODE_ID = TRANSCRIPTDETAIL.PEOPLE_CODE_ID
      AND ACADEMIC.ACADEMIC_YEAR = TRANSCRIPTDETAIL.ACADEMIC_YEAR
      AND ACADEMIC.ACADEMIC_TERM = TRANSCRIPTDETAIL.ACADEMIC_TERM
      AND ACADEMIC.ACADEMIC_SESSION = TRANSCRIPTDETAIL.ACADEMIC_SESSION
      AND ACADEMIC.ENROLL_SEPARATION <> 'LOA'
      AND ACADEMIC.ENROLL_SEPARATION <> 'WITH'
      AND ACADEMIC.ENROLL_SEPARATION <> 'AWIT')`;

/**
 * Students of the hub programs in the term (the original's non-academic query, with the
 * hard-coded program list replaced by the programs the hub mapping files name). No separation
 * filter, as in the original. A handful of programs: well inside SQL Server's parameter limit.
 */
export const HUB_SQL = `SELECT DISTINCT
  REPLACE(ACADEMIC.PEOPLE_CODE_ID, 'P', '') AS idnumber,
  ACADEMIC.CURRICULUM AS program
FROM ACADEMIC
  INNER JOIN PEOPLE
    ON PEOPLE.PEOPLE_CODE_ID = ACADEMIC.PEOPLE_CODE_ID
WHERE ACADEMIC.CURRICULUM IN (:programs)
  AND ACADEMIC.ACADEMIC_YEAR = :year
  AND ACADEMIC.ACADEMIC_TERM = :term`;

export interface TermBinds {
  academicYear: string;
  academicTerm: string;
}

export function rosterBinds(p: TermBinds): Binds {
  return { year: p.academicYear, term: p.academicTerm };
}

export function hubBinds(p: TermBinds, programs: readonly string[]): Binds {
  return { year: p.academicYear, term: p.academicTerm, programs: [...new Set(programs)].sort() };
}
