/**
 * The statements of the LittleSIS roster job: three, whatever the size of the district. Portable
 * on Oracle, SQL Server, PostgreSQL and PGlite: ANSI joins, `:name` binds, unquoted identifiers, CASE and ROW_NUMBER() OVER (SQL:2003, on
 * all four), no vendor functions and no date arithmetic (the "current term" rule is applied in
 * TypeScript, see transform.ts).
 *
 * The original issued 1 + T + 3·C statements per student (terms, then CC per term, then staff,
 * teacher and room per enrollment); these replace all of them.
 */

/**
 * Full-year terms of the configured school (TERMYEAR_SCHOOL_NUMBER), newest dcid first like the
 * original. Which one is "current" is decided in pickTermYear().
 */
export const TERM_YEAR_SQL = `
SELECT t.id, t.dcid, t.yearid, t.firstday, t.lastday
FROM terms t
WHERE t.schoolid = :school
  AND t.isyearrec = 1
ORDER BY t.dcid DESC`;

/**
 * The enrollments in scope: one row per (active student × enrollment in a term of the current
 * year at the student's school).
 *
 * - terms: INNER, every term of the year (year, semesters, quarters, finished or not) at the
 *   student's current school. TERMS.id is reused by every school, so the match is on yearid AND
 *   schoolid here, and on the term id below: together they pick one TERMS row per CC row.
 * - cc: INNER, the student's enrollments whose termid is one of those term ids. Only positive term
 *   ids can match (PowerSchool negates termid when an enrollment is dropped); `cc.termid > 0` says
 *   so explicitly. cc.schoolid is not compared: like the original, an enrollment at another
 *   school is included when its term id equals one of the home school's term ids.
 * - teachers: LEFT on TEACHERS.id = CC.teacherid. TEACHERS.id is the SchoolStaff id, so this is
 *   1:1 and reaches the same USERS e-mail as the original's SCHOOLSTAFF.id → users_dcid →
 *   TEACHERS.users_dcid chain; joining on users_dcid would repeat the row once per school the
 *   teacher staffs. LEFT, so an enrollment without a SCHOOLSTAFF row is counted as teacher-less.
 */
const ENROLLMENTS_FROM = `
FROM students s
  INNER JOIN terms t ON t.yearid = :yearid AND t.schoolid = s.schoolid
  INNER JOIN cc ON cc.studentid = s.id AND cc.termid = t.id AND cc.termid > 0
  LEFT JOIN teachers tch ON tch.id = cc.teacherid`;

/**
 * Numbers each student's rows 1, 2, 3… in file order. The student's own columns (entry and exit
 * dates, school abbreviation) are sent on row 1 only and NULL on the others, which the job fills
 * from row 1: a student has ~6 roster rows, and those three values (two of them dates) are a
 * fifth of what the driver would otherwise decode per row. The partition and order are the final
 * ORDER BY, so the database sorts once for both.
 */
const STUDENT_ROW = 'ROW_NUMBER() OVER (PARTITION BY s.student_number, s.dcid ORDER BY cc.termid, cc.sectionid, cc.dcid)';

/**
 * The roster rows, teacher-less enrollments included: the job leaves them out (as the original
 * did) and counts them on the way, which costs less than a second pass over the same joins just
 * to count them (measured on the 50,000-student benchmark district).
 *
 * Further joins:
 * - schools: LEFT, on the school *number* (STUDENTS.schoolid holds a school number), only for the
 *   abbreviation; a student at a school missing from SCHOOLS still gets rows (empty abbreviation).
 * - courses: LEFT on course_number, for the course name (NULL when the course row is missing).
 * - sections: LEFT on CC.sectionid = SECTIONS.id, for the room (NULL when missing).
 *
 * enroll_status is not selected: the filter makes it 0 on every row, and the file says so.
 * Order: integer keys only (student_number, dcid, termid, sectionid, cc.dcid), so the file is the
 * same bytes on every database whatever its collation; cc.dcid is unique and makes the order
 * total, and s.dcid keeps two students sharing a number apart.
 */
export const ROSTER_SQL = `
SELECT
  cc.course_number,
  cc.section_number,
  cc.termid,
  cc.schoolid AS cc_schoolid,
  cc.expression,
  cc.dateenrolled,
  cc.dateleft,
  c.course_name,
  sec.room,
  tch.email_addr,
  s.student_number,
  ${STUDENT_ROW} AS student_row,
  CASE WHEN ${STUDENT_ROW} = 1 THEN s.entrydate END AS entrydate,
  CASE WHEN ${STUDENT_ROW} = 1 THEN s.exitdate END AS exitdate,
  CASE WHEN ${STUDENT_ROW} = 1 THEN sch.abbreviation END AS abbreviation${ENROLLMENTS_FROM}
  LEFT JOIN schools sch ON sch.school_number = s.schoolid
  LEFT JOIN courses c ON c.course_number = cc.course_number
  LEFT JOIN sections sec ON sec.id = cc.sectionid
WHERE s.enroll_status = 0
ORDER BY s.student_number, s.dcid, cc.termid, cc.sectionid, cc.dcid`;

/**
 * Active students, counted for the extract guard. A separate COUNT keeps the guard honest: a
 * student with no current enrollments produces no roster row, so counting distinct students in
 * the roster stream would mistake "summer schedules not built yet" for "students vanished".
 */
export const ACTIVE_STUDENTS_SQL = `
SELECT COUNT(*) AS students
FROM students s
WHERE s.enroll_status = 0`;
