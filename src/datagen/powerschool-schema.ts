/**
 * The slice of the PowerSchool (Oracle) schema the LittleSIS, Clever and SameGoal jobs read, with
 * PowerSchool's own table and column names (lower case, unquoted).
 *
 * Facts the jobs depend on:
 * - TERMS.id is reused by every school (3600, 3601, …); TERMS.dcid is the unique key. Join CC to
 *   TERMS on both id and schoolid.
 * - Dropped enrollments carry negated CC.termid and CC.sectionid.
 * - TEACHERS is a view over SCHOOLSTAFF + USERS: TEACHERS.id is the SchoolStaff id (= CC.teacherid,
 *   SECTIONS.teacher), one row per school a teacher staffs. Joining on users_dcid multiplies rows.
 * - PERSON.languagecodesetid is an assumption (guardian language for SameGoal), not a documented
 *   PowerSchool column; it points at a CODESET row with codetype 'Language' and an ISO 639-1 code.
 */
import { renderDdl, type TableDef, type ViewDef } from './table-def.js';

export const POWERSCHOOL_TABLES: readonly TableDef[] = [
  {
    name: 'codeset',
    columns: [
      { name: 'codesetid', type: 'INTEGER', notNull: true },
      { name: 'codetype', type: 'VARCHAR(40)' },
      { name: 'code', type: 'VARCHAR(40)' },
      { name: 'displayvalue', type: 'VARCHAR(80)' },
      { name: 'description', type: 'VARCHAR(200)' },
    ],
    primaryKey: ['codesetid'],
  },
  {
    name: 'schools',
    columns: [
      { name: 'id', type: 'INTEGER', notNull: true },
      { name: 'dcid', type: 'INTEGER', notNull: true },
      { name: 'school_number', type: 'INTEGER', notNull: true },
      { name: 'name', type: 'VARCHAR(60)' },
      { name: 'abbreviation', type: 'VARCHAR(10)' },
      // State building id ("Building Reporting Id" for SameGoal).
      { name: 'alternate_school_number', type: 'INTEGER' },
      { name: 'low_grade', type: 'INTEGER' },
      { name: 'high_grade', type: 'INTEGER' },
    ],
    primaryKey: ['dcid'],
    indexes: [{ name: 'ix_schools_number', columns: ['school_number'] }],
  },
  {
    name: 'terms',
    columns: [
      { name: 'id', type: 'INTEGER', notNull: true },
      { name: 'dcid', type: 'INTEGER', notNull: true },
      { name: 'name', type: 'VARCHAR(30)' },
      { name: 'abbreviation', type: 'VARCHAR(10)' },
      { name: 'firstday', type: 'DATE' },
      { name: 'lastday', type: 'DATE' },
      { name: 'schoolid', type: 'INTEGER', notNull: true },
      { name: 'yearid', type: 'INTEGER', notNull: true },
      { name: 'isyearrec', type: 'INTEGER' },
      { name: 'portion', type: 'INTEGER' },
    ],
    primaryKey: ['dcid'],
    indexes: [
      { name: 'ix_terms_id_school', columns: ['id', 'schoolid'] },
      { name: 'ix_terms_year_school', columns: ['yearid', 'schoolid'] },
    ],
  },
  {
    name: 'courses',
    columns: [
      { name: 'id', type: 'INTEGER', notNull: true },
      { name: 'dcid', type: 'INTEGER', notNull: true },
      { name: 'course_number', type: 'VARCHAR(20)', notNull: true },
      { name: 'course_name', type: 'VARCHAR(100)' },
      { name: 'credit_hours', type: 'NUMERIC(5,2)' },
      { name: 'sched_department', type: 'VARCHAR(20)' },
    ],
    primaryKey: ['dcid'],
    indexes: [{ name: 'ix_courses_number', columns: ['course_number'] }],
  },
  {
    name: 'users',
    columns: [
      { name: 'dcid', type: 'INTEGER', notNull: true },
      { name: 'first_name', type: 'VARCHAR(50)' },
      { name: 'last_name', type: 'VARCHAR(50)' },
      { name: 'email_addr', type: 'VARCHAR(100)' },
      { name: 'teachernumber', type: 'VARCHAR(20)' },
      { name: 'homeschoolid', type: 'INTEGER' },
    ],
    primaryKey: ['dcid'],
  },
  {
    name: 'schoolstaff',
    columns: [
      { name: 'id', type: 'INTEGER', notNull: true },
      { name: 'dcid', type: 'INTEGER', notNull: true },
      { name: 'users_dcid', type: 'INTEGER', notNull: true },
      { name: 'schoolid', type: 'INTEGER', notNull: true },
      { name: 'status', type: 'INTEGER' },
    ],
    primaryKey: ['dcid'],
    indexes: [
      { name: 'ix_schoolstaff_id', columns: ['id'] },
      { name: 'ix_schoolstaff_users', columns: ['users_dcid'] },
    ],
  },
  {
    name: 'sections',
    columns: [
      { name: 'id', type: 'INTEGER', notNull: true },
      { name: 'dcid', type: 'INTEGER', notNull: true },
      { name: 'course_number', type: 'VARCHAR(20)', notNull: true },
      { name: 'section_number', type: 'VARCHAR(10)' },
      { name: 'termid', type: 'INTEGER', notNull: true },
      { name: 'schoolid', type: 'INTEGER', notNull: true },
      { name: 'teacher', type: 'INTEGER' },
      { name: 'room', type: 'VARCHAR(30)' },
      { name: 'expression', type: 'VARCHAR(40)' },
      { name: 'maxenrollment', type: 'INTEGER' },
    ],
    primaryKey: ['dcid'],
    indexes: [{ name: 'ix_sections_id', columns: ['id'] }],
  },
  {
    name: 'students',
    columns: [
      { name: 'id', type: 'INTEGER', notNull: true },
      { name: 'dcid', type: 'INTEGER', notNull: true },
      { name: 'student_number', type: 'INTEGER', notNull: true },
      { name: 'first_name', type: 'VARCHAR(50)' },
      { name: 'middle_name', type: 'VARCHAR(50)' },
      { name: 'last_name', type: 'VARCHAR(50)' },
      { name: 'dob', type: 'DATE' },
      { name: 'gender', type: 'VARCHAR(2)' },
      { name: 'grade_level', type: 'INTEGER' },
      { name: 'entrydate', type: 'DATE' },
      { name: 'exitdate', type: 'DATE' },
      { name: 'enroll_status', type: 'INTEGER' },
      { name: 'schoolid', type: 'INTEGER' },
      { name: 'street', type: 'VARCHAR(100)' },
      { name: 'city', type: 'VARCHAR(50)' },
      { name: 'state', type: 'VARCHAR(2)' },
      { name: 'zip', type: 'VARCHAR(10)' },
      { name: 'home_phone', type: 'VARCHAR(20)' },
      { name: 'state_studentnumber', type: 'VARCHAR(20)' },
      { name: 'fedethnicity', type: 'INTEGER' },
    ],
    primaryKey: ['dcid'],
    indexes: [
      { name: 'ix_students_id', columns: ['id'] },
      { name: 'ix_students_number', columns: ['student_number'] },
      { name: 'ix_students_status', columns: ['enroll_status'] },
    ],
  },
  {
    name: 'studentrace',
    columns: [
      { name: 'id', type: 'INTEGER', notNull: true },
      { name: 'studentid', type: 'INTEGER', notNull: true },
      { name: 'racecd', type: 'VARCHAR(10)' },
    ],
    primaryKey: ['id'],
    indexes: [{ name: 'ix_studentrace_student', columns: ['studentid'] }],
  },
  {
    name: 's_il_stu_demographics_x',
    columns: [
      { name: 'studentsdcid', type: 'INTEGER', notNull: true },
      // Illinois race code as text: federal race code + 10 (11 Hispanic … 17 two or more).
      { name: 'fer', type: 'VARCHAR(10)' },
    ],
    indexes: [{ name: 'ix_il_demo_dcid', columns: ['studentsdcid'] }],
  },
  {
    name: 's_il_stu_x',
    columns: [
      { name: 'studentsdcid', type: 'INTEGER', notNull: true },
      { name: 'lep', type: 'INTEGER' },
    ],
    indexes: [{ name: 'ix_il_stu_dcid', columns: ['studentsdcid'] }],
  },
  {
    name: 'u_def_ext_students0',
    columns: [
      { name: 'studentsdcid', type: 'INTEGER', notNull: true },
      { name: 'custom_ethnicity', type: 'VARCHAR(1)' },
      { name: 'custom_race', type: 'VARCHAR(1)' },
      { name: 'custom_lep', type: 'VARCHAR(1)' },
    ],
    primaryKey: ['studentsdcid'],
  },
  {
    name: 'cc',
    columns: [
      { name: 'id', type: 'INTEGER', notNull: true },
      { name: 'dcid', type: 'INTEGER', notNull: true },
      { name: 'studentid', type: 'INTEGER', notNull: true },
      { name: 'course_number', type: 'VARCHAR(20)' },
      { name: 'section_number', type: 'VARCHAR(10)' },
      { name: 'termid', type: 'INTEGER', notNull: true },
      { name: 'schoolid', type: 'INTEGER', notNull: true },
      { name: 'expression', type: 'VARCHAR(40)' },
      { name: 'dateenrolled', type: 'DATE' },
      { name: 'dateleft', type: 'DATE' },
      { name: 'teacherid', type: 'INTEGER' },
      { name: 'sectionid', type: 'INTEGER', notNull: true },
    ],
    primaryKey: ['dcid'],
    indexes: [
      { name: 'ix_cc_student', columns: ['studentid'] },
      { name: 'ix_cc_term_school', columns: ['termid', 'schoolid'] },
      { name: 'ix_cc_section', columns: ['sectionid'] },
    ],
  },
  {
    name: 'person',
    columns: [
      { name: 'id', type: 'INTEGER', notNull: true },
      { name: 'dcid', type: 'INTEGER', notNull: true },
      { name: 'firstname', type: 'VARCHAR(50)' },
      { name: 'middlename', type: 'VARCHAR(50)' },
      { name: 'lastname', type: 'VARCHAR(50)' },
      { name: 'isactive', type: 'INTEGER' },
      { name: 'languagecodesetid', type: 'INTEGER' },
    ],
    primaryKey: ['id'],
  },
  {
    name: 'personaddress',
    columns: [
      { name: 'personaddressid', type: 'INTEGER', notNull: true },
      { name: 'street', type: 'VARCHAR(100)' },
      { name: 'linetwo', type: 'VARCHAR(100)' },
      { name: 'unit', type: 'VARCHAR(20)' },
      { name: 'city', type: 'VARCHAR(50)' },
      { name: 'statescodesetid', type: 'INTEGER' },
      { name: 'postalcode', type: 'VARCHAR(10)' },
    ],
    primaryKey: ['personaddressid'],
  },
  {
    name: 'personaddressassoc',
    columns: [
      { name: 'personaddressassocid', type: 'INTEGER', notNull: true },
      { name: 'personid', type: 'INTEGER', notNull: true },
      { name: 'personaddressid', type: 'INTEGER', notNull: true },
      { name: 'addresstypecodesetid', type: 'INTEGER' },
      { name: 'addresspriorityorder', type: 'INTEGER' },
      { name: 'startdate', type: 'DATE' },
      { name: 'enddate', type: 'DATE' },
    ],
    primaryKey: ['personaddressassocid'],
    indexes: [{ name: 'ix_paa_person', columns: ['personid'] }],
  },
  {
    name: 'phonenumber',
    columns: [
      { name: 'phonenumberid', type: 'INTEGER', notNull: true },
      { name: 'phonenumber', type: 'VARCHAR(20)' },
      { name: 'phonenumberext', type: 'VARCHAR(10)' },
      { name: 'issms', type: 'INTEGER' },
    ],
    primaryKey: ['phonenumberid'],
  },
  {
    name: 'personphonenumberassoc',
    columns: [
      { name: 'personphonenumberassocid', type: 'INTEGER', notNull: true },
      { name: 'personid', type: 'INTEGER', notNull: true },
      { name: 'phonenumberid', type: 'INTEGER', notNull: true },
      { name: 'phonetypecodesetid', type: 'INTEGER' },
      { name: 'phonenumberpriorityorder', type: 'INTEGER' },
      { name: 'ispreferred', type: 'INTEGER' },
      { name: 'phonenumberasentered', type: 'VARCHAR(30)' },
    ],
    primaryKey: ['personphonenumberassocid'],
    indexes: [{ name: 'ix_ppna_person', columns: ['personid'] }],
  },
  {
    name: 'emailaddress',
    columns: [
      { name: 'emailaddressid', type: 'INTEGER', notNull: true },
      { name: 'emailaddress', type: 'VARCHAR(100)' },
    ],
    primaryKey: ['emailaddressid'],
  },
  {
    name: 'personemailaddressassoc',
    columns: [
      { name: 'personemailaddressassocid', type: 'INTEGER', notNull: true },
      { name: 'personid', type: 'INTEGER', notNull: true },
      { name: 'emailaddressid', type: 'INTEGER', notNull: true },
      { name: 'emailtypecodesetid', type: 'INTEGER' },
      { name: 'isprimaryemailaddress', type: 'INTEGER' },
      { name: 'emailaddresspriorityorder', type: 'INTEGER' },
    ],
    primaryKey: ['personemailaddressassocid'],
    indexes: [{ name: 'ix_peaa_person', columns: ['personid'] }],
  },
  {
    name: 'studentcontactassoc',
    columns: [
      { name: 'studentcontactassocid', type: 'INTEGER', notNull: true },
      { name: 'studentdcid', type: 'INTEGER', notNull: true },
      { name: 'personid', type: 'INTEGER', notNull: true },
      { name: 'contactpriorityorder', type: 'INTEGER' },
      { name: 'currreltypecodesetid', type: 'INTEGER' },
    ],
    primaryKey: ['studentcontactassocid'],
    indexes: [
      { name: 'ix_sca_student', columns: ['studentdcid'] },
      { name: 'ix_sca_person', columns: ['personid'] },
    ],
  },
  {
    name: 'studentcontactdetail',
    columns: [
      { name: 'studentcontactdetailid', type: 'INTEGER', notNull: true },
      { name: 'studentcontactassocid', type: 'INTEGER', notNull: true },
      { name: 'relationshiptypecodesetid', type: 'INTEGER' },
      { name: 'isactive', type: 'INTEGER' },
      { name: 'iscustodial', type: 'INTEGER' },
      { name: 'isemergency', type: 'INTEGER' },
      { name: 'liveswithflg', type: 'INTEGER' },
      { name: 'schoolpickupflg', type: 'INTEGER' },
      { name: 'receivesmailflg', type: 'INTEGER' },
      { name: 'startdate', type: 'DATE' },
      { name: 'enddate', type: 'DATE' },
    ],
    primaryKey: ['studentcontactdetailid'],
    indexes: [{ name: 'ix_scd_assoc', columns: ['studentcontactassocid'] }],
  },
];

/** PowerSchool's TEACHERS view: one row per (teacher, school staffed); id = SchoolStaff id. */
export const POWERSCHOOL_VIEWS: readonly ViewDef[] = [
  {
    name: 'teachers',
    select:
      'SELECT ss.id, ss.dcid, ss.users_dcid, ss.schoolid, ss.status, u.first_name, u.last_name, u.email_addr, u.teachernumber ' +
      'FROM schoolstaff ss INNER JOIN users u ON u.dcid = ss.users_dcid',
  },
];

/** CREATE TABLE / CREATE VIEW / CREATE INDEX statements, in executable order. */
export const POWERSCHOOL_DDL: readonly string[] = renderDdl(POWERSCHOOL_TABLES, POWERSCHOOL_VIEWS);
