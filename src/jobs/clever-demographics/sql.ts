/**
 * The one statement of the Clever race/ethnicity/LEP job (the original ran it plus one LEP query
 * per student). Portable: ANSI joins, derived tables with GROUP BY, CASE, no vendor functions.
 */

/**
 * Active students with everything the rules need.
 *
 * Joins (all LEFT: a student missing from an extension table still gets computed values):
 * - d: S_IL_STU_DEMOGRAPHICS_X by studentsdcid, the Illinois race code `fer`. The table has no key,
 *   so it is reduced to one row per student first: MIN(fer) picks the same value on every run,
 *   and fer_rows lets the job report students with more than one row.
 * - x: S_IL_STU_X by studentsdcid, the LEP flag. Reduced to one row per student: lep_yes is 1 when
 *   ANY row says lep = 1 (the original read an arbitrary "first" row), lep_rows counts the rows.
 * - u: U_DEF_EXT_STUDENTS0 by studentsdcid (its key), the custom fields AutoComm last imported,
 *   i.e. the values to compare with.
 *
 * Order: student_number descending as the original, dcid as a tie-break (integers only, so every
 * database returns the same order).
 */
export const CLEVER_SQL = `
SELECT
  s.dcid,
  s.student_number,
  s.first_name,
  s.last_name,
  s.fedethnicity,
  d.fer,
  d.fer_rows,
  x.lep_yes,
  x.lep_rows,
  u.custom_ethnicity,
  u.custom_race,
  u.custom_lep
FROM students s
  LEFT JOIN (
    SELECT studentsdcid, MIN(fer) AS fer, COUNT(*) AS fer_rows
    FROM s_il_stu_demographics_x
    GROUP BY studentsdcid
  ) d ON d.studentsdcid = s.dcid
  LEFT JOIN (
    SELECT studentsdcid, MAX(CASE WHEN lep = 1 THEN 1 ELSE 0 END) AS lep_yes, COUNT(*) AS lep_rows
    FROM s_il_stu_x
    GROUP BY studentsdcid
  ) x ON x.studentsdcid = s.dcid
  LEFT JOIN u_def_ext_students0 u ON u.studentsdcid = s.dcid
WHERE s.enroll_status = 0
ORDER BY s.student_number DESC, s.dcid DESC`;
