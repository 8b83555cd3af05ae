/**
 * The two statements of the SameGoal demographics job (students, guardians). Portable on Oracle,
 * SQL Server, PostgreSQL and PGlite: ANSI joins, `:name` binds (an array bind expands to a list),
 * CASE, COALESCE, and ROW_NUMBER() OVER (...) (SQL:2003 window function, supported by all four)
 * to pick one phone/e-mail/address per person without multiplying rows. Derived tables carry no
 * `AS` (Oracle refuses it for table aliases).
 *
 * Both statements filter students the same way and order by (student_number, dcid), so guardian
 * rows come out grouped under the students they belong to.
 */

/** Codeset codes the guardian statement looks for (PowerSchool's CodeSet "code" values). */
export const CONTACT_CODES = {
  homeAddress: 'Home',
  homePhone: 'Home',
  workPhone: 'Work',
  cellPhone: 'Mobile',
} as const;

/**
 * Students with the selected enroll_status values (default: 0, active).
 *
 * Joins:
 * - sch: SCHOOLS by school number (STUDENTS.schoolid holds the number), LEFT: name → Building,
 *   alternate_school_number (state building id) → Building Reporting Id.
 * - r: STUDENTRACE by STUDENTS.id, LEFT: one row per federal race code. A student with several
 *   codes comes back on several consecutive rows (same dcid), which the job folds into one
 *   record; ordered by racecd so the folded text is stable.
 */
export const STUDENTS_SQL = `
SELECT
  s.id,
  s.dcid,
  s.student_number,
  s.last_name,
  s.middle_name,
  s.first_name,
  s.dob,
  s.gender,
  s.enroll_status,
  s.grade_level,
  s.street,
  s.city,
  s.state,
  s.zip,
  s.state_studentnumber,
  sch.name AS school_name,
  sch.alternate_school_number,
  r.racecd
FROM students s
  LEFT JOIN schools sch ON sch.school_number = s.schoolid
  LEFT JOIN studentrace r ON r.studentid = s.id
WHERE s.enroll_status IN (:statuses)
ORDER BY s.student_number, s.dcid, r.racecd`;

/**
 * One row per (student, active contact), ordered as the LittleSIS-Contacts model: emergency
 * contacts first, then custodial, then contactpriorityorder. NULL flags count as 0 and a NULL
 * priority as last, spelled out with COALESCE because databases disagree on where NULLs sort.
 *
 * Joins:
 * - sca: STUDENTCONTACTASSOC by studentdcid = STUDENTS.dcid: the student ↔ person links.
 * - scd: STUDENTCONTACTDETAIL by the association, INNER with isactive = 1: only current
 *   contacts (history rows are inactive). Flags emergency/custodial come from here.
 * - p: PERSON by id: the guardian's name and language.
 * - rel: CODESET by sca.currreltypecodesetid, LEFT: relationship label (displayvalue).
 * - lang: CODESET by person.languagecodesetid, LEFT: ISO 639-1 code (code).
 * - addr: per person, the Home address with the lowest addresspriorityorder (ROW_NUMBER = 1),
 *   PERSONADDRESS for the fields and CODESET for the state code. LEFT.
 * - ph: per person, one number per phone type (lowest phonenumberpriorityorder), pivoted into
 *   home/work/cell columns with MAX(CASE ...) over at most one row per type. LEFT.
 * - em: per person, the primary e-mail (else the lowest emailaddresspriorityorder). LEFT.
 *
 * The derived tables are meant to be hash-joined (each computed once). That needs table
 * statistics: on tables never analyzed (a freshly loaded copy), PostgreSQL may estimate one row
 * and nest-loop them, recomputing a window per guardian row.
 */
export const GUARDIANS_SQL = `
SELECT
  s.dcid AS student_dcid,
  s.student_number,
  p.id AS person_id,
  p.lastname,
  p.firstname,
  rel.displayvalue AS relationship,
  addr.street,
  addr.linetwo,
  addr.unit,
  addr.city,
  addr.state_code,
  addr.postalcode,
  ph.home_phone,
  ph.work_phone,
  ph.cell_phone,
  em.emailaddress,
  lang.code AS language_code
FROM students s
  INNER JOIN studentcontactassoc sca ON sca.studentdcid = s.dcid
  INNER JOIN studentcontactdetail scd ON scd.studentcontactassocid = sca.studentcontactassocid AND scd.isactive = 1
  INNER JOIN person p ON p.id = sca.personid
  LEFT JOIN codeset rel ON rel.codesetid = sca.currreltypecodesetid
  LEFT JOIN codeset lang ON lang.codesetid = p.languagecodesetid
  LEFT JOIN (
    SELECT a.personid, pa.street, pa.linetwo, pa.unit, pa.city, st.code AS state_code, pa.postalcode
    FROM (
      SELECT paa.personid, paa.personaddressid,
        ROW_NUMBER() OVER (
          PARTITION BY paa.personid
          ORDER BY COALESCE(paa.addresspriorityorder, 999999), paa.personaddressassocid
        ) AS rn
      FROM personaddressassoc paa
        INNER JOIN codeset adt ON adt.codesetid = paa.addresstypecodesetid AND adt.code = :address_type
    ) a
      INNER JOIN personaddress pa ON pa.personaddressid = a.personaddressid
      LEFT JOIN codeset st ON st.codesetid = pa.statescodesetid
    WHERE a.rn = 1
  ) addr ON addr.personid = p.id
  LEFT JOIN (
    SELECT f.personid,
      MAX(CASE WHEN f.phonetype = :home_phone_type THEN f.phone END) AS home_phone,
      MAX(CASE WHEN f.phonetype = :work_phone_type THEN f.phone END) AS work_phone,
      MAX(CASE WHEN f.phonetype = :cell_phone_type THEN f.phone END) AS cell_phone
    FROM (
      SELECT ppa.personid, pt.code AS phonetype, COALESCE(ppa.phonenumberasentered, pn.phonenumber) AS phone,
        ROW_NUMBER() OVER (
          PARTITION BY ppa.personid, ppa.phonetypecodesetid
          ORDER BY COALESCE(ppa.phonenumberpriorityorder, 999999), ppa.personphonenumberassocid
        ) AS rn
      FROM personphonenumberassoc ppa
        INNER JOIN phonenumber pn ON pn.phonenumberid = ppa.phonenumberid
        INNER JOIN codeset pt ON pt.codesetid = ppa.phonetypecodesetid
    ) f
    WHERE f.rn = 1
    GROUP BY f.personid
  ) ph ON ph.personid = p.id
  LEFT JOIN (
    SELECT e.personid, e.emailaddress
    FROM (
      SELECT pea.personid, ea.emailaddress,
        ROW_NUMBER() OVER (
          PARTITION BY pea.personid
          ORDER BY COALESCE(pea.isprimaryemailaddress, 0) DESC, COALESCE(pea.emailaddresspriorityorder, 999999), pea.personemailaddressassocid
        ) AS rn
      FROM personemailaddressassoc pea
        INNER JOIN emailaddress ea ON ea.emailaddressid = pea.emailaddressid
    ) e
    WHERE e.rn = 1
  ) em ON em.personid = p.id
WHERE s.enroll_status IN (:statuses)
ORDER BY
  s.student_number,
  s.dcid,
  COALESCE(scd.isemergency, 0) DESC,
  COALESCE(scd.iscustodial, 0) DESC,
  COALESCE(sca.contactpriorityorder, 999999),
  sca.studentcontactassocid,
  scd.studentcontactdetailid`;
