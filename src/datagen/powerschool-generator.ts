/**
 * Deterministic PowerSchool district generator.
 *
 * Rows come out table by table as `{ table, row }`, computed on demand: memory holds the district
 * plan (terms, staff, sections) but never all students or enrollments, so 50,000 students with
 * ~400,000 CC rows stream straight into a loader. The same seed and options always give the same
 * rows in the same order.
 */
import {
  ADDRESS_TYPE_CODES, DISTRICT_SCHOOLS, LANGUAGE_CODES, RELATIONSHIP_CODES, STATE_CODES, TERM_YEAR_SCHOOL_NUMBER, allCourses, codeSetRows,
  yearIdFor, type SchoolInfo,
} from './powerschool-catalog.js';
import {
  guardianAddresses, guardianCore, guardianEmails, guardianPhones, householdBase, householdOf, isSiblingOfPrevious,
  type GuardianCore, type HouseholdBase,
} from './powerschool-households.js';
import { resolvePowerSchoolOptions, type PowerSchoolOptions, type PowerSchoolOptionsInput } from './powerschool-options.js';
import { ID_BASE, buildPlan, studentCore, type PlanContext, type TermRow } from './powerschool-plan.js';
import { POWERSCHOOL_DDL, POWERSCHOOL_TABLES, POWERSCHOOL_VIEWS } from './powerschool-schema.js';
import { scheduleFor, studentDates, studentDemographics, studentIdentity } from './powerschool-students.js';
import { isoDate } from './date-util.js';
import type { SeedPart } from './prng.js';
import type { Cell, Dataset, GeneratedRow } from './table-def.js';

export interface GeneratePowerSchoolParams {
  seed: SeedPart;
  /** Number of STUDENTS rows (all statuses; ~90 % are active). */
  students: number;
  /** Calendar year the current school year starts in: 2026 → yearid 36, terms from August 2026. */
  schoolYearStart: number;
  options?: PowerSchoolOptionsInput;
}

/** Every table, in the order rows are produced. */
export const POWERSCHOOL_TABLE_ORDER = POWERSCHOOL_TABLES.map((t) => t.name);

export function* generatePowerSchool(params: GeneratePowerSchoolParams): Generator<GeneratedRow> {
  const options = resolvePowerSchoolOptions(params.options);
  const ctx = buildPlan(params.seed, params.students, params.schoolYearStart, options);
  yield* referenceRows(ctx);
  yield* studentRows(ctx);
  yield* enrollmentRows(ctx);
  yield* contactRows(ctx);
}

export function powerSchoolDataset(params: GeneratePowerSchoolParams): Dataset {
  return {
    name: 'powerschool',
    tables: POWERSCHOOL_TABLES,
    views: POWERSCHOOL_VIEWS,
    ddl: POWERSCHOOL_DDL,
    rows: () => generatePowerSchool(params),
  };
}

export interface PowerSchoolSummary {
  yearId: number;
  termYearSchoolNumber: number;
  schools: readonly SchoolInfo[];
  terms: readonly TermRow[];
  options: PowerSchoolOptions;
}

/** The fixed facts of a generated district (schools, terms), for tests and demo config. */
export function describePowerSchool(params: GeneratePowerSchoolParams): PowerSchoolSummary {
  const options = resolvePowerSchoolOptions(params.options);
  const ctx = buildPlan(params.seed, params.students, params.schoolYearStart, options);
  return {
    yearId: yearIdFor(params.schoolYearStart),
    termYearSchoolNumber: TERM_YEAR_SCHOOL_NUMBER,
    schools: DISTRICT_SCHOOLS,
    terms: ctx.terms,
    options,
  };
}

function row(table: string, values: Record<string, Cell>): GeneratedRow {
  return { table, row: values };
}

function* referenceRows(ctx: PlanContext): Generator<GeneratedRow> {
  for (const c of codeSetRows()) {
    yield row('codeset', { codesetid: c.codesetid, codetype: c.codetype, code: c.code, displayvalue: c.displayvalue, description: null });
  }
  for (const [i, s] of DISTRICT_SCHOOLS.entries()) {
    yield row('schools', {
      id: 100 + i,
      dcid: 200 + i,
      school_number: s.schoolNumber,
      name: s.name,
      abbreviation: s.abbreviation,
      alternate_school_number: s.alternateSchoolNumber,
      low_grade: s.lowGrade,
      high_grade: s.highGrade,
    });
  }
  for (const t of ctx.terms) yield row('terms', { ...t });
  const seen = new Set<string>();
  for (const c of allCourses()) {
    if (c.notInCourses || seen.has(c.courseNumber)) continue;
    const index = seen.size;
    seen.add(c.courseNumber);
    yield row('courses', {
      id: ID_BASE.courseId + index,
      dcid: ID_BASE.courseDcid + index,
      course_number: c.courseNumber,
      course_name: !ctx.options.names.nonWin1252 && c.asciiName ? c.asciiName : c.name,
      credit_hours: c.credit,
      sched_department: c.department,
    });
  }
  for (const u of ctx.users) yield row('users', { ...u });
  for (const s of ctx.staff) yield row('schoolstaff', { ...s });
  for (const s of ctx.sections) yield row('sections', { ...s });
}

function* studentRows(ctx: PlanContext): Generator<GeneratedRow> {
  for (let i = 0; i < ctx.students; i++) {
    const core = studentCore(ctx, i);
    const s = { ...core, ...studentDates(ctx, core), ...studentIdentity(ctx, core), fedEthnicity: studentDemographics(ctx, core).fedEthnicity };
    const a = s.household.address;
    yield row('students', {
      id: s.id,
      dcid: s.dcid,
      student_number: s.studentNumber,
      first_name: s.name.first,
      middle_name: s.name.middle,
      last_name: s.name.last,
      dob: s.dob,
      gender: s.gender,
      grade_level: s.gradeLevel,
      entrydate: s.entrydate,
      exitdate: s.exitdate,
      enroll_status: s.enrollStatus,
      schoolid: s.schoolNumber,
      street: a.street,
      city: a.city,
      state: a.state,
      zip: a.zip,
      home_phone: s.household.homePhone.asEntered,
      state_studentnumber: s.stateStudentNumber,
      fedethnicity: s.fedEthnicity,
    });
  }
  let raceId = ID_BASE.studentRace;
  for (let i = 0; i < ctx.students; i++) {
    const core = studentCore(ctx, i);
    for (const racecd of studentDemographics(ctx, core).races) yield row('studentrace', { id: raceId++, studentid: core.id, racecd });
  }
  for (let i = 0; i < ctx.students; i++) {
    const core = studentCore(ctx, i);
    const d = studentDemographics(ctx, core);
    if (d.fer !== undefined) yield row('s_il_stu_demographics_x', { studentsdcid: core.dcid, fer: d.fer });
  }
  for (let i = 0; i < ctx.students; i++) {
    const core = studentCore(ctx, i);
    for (const lep of studentDemographics(ctx, core).lepRows) yield row('s_il_stu_x', { studentsdcid: core.dcid, lep });
  }
  for (let i = 0; i < ctx.students; i++) {
    const core = studentCore(ctx, i);
    const { custom } = studentDemographics(ctx, core);
    if (custom) {
      yield row('u_def_ext_students0', {
        studentsdcid: core.dcid,
        custom_ethnicity: custom.ethnicity,
        custom_race: custom.race,
        custom_lep: custom.lep,
      });
    }
  }
}

function* enrollmentRows(ctx: PlanContext): Generator<GeneratedRow> {
  let n = 0;
  for (let i = 0; i < ctx.students; i++) {
    const core = studentCore(ctx, i);
    for (const cc of scheduleFor(ctx, { ...core, ...studentDates(ctx, core) })) {
      yield row('cc', { id: ID_BASE.ccId + n, dcid: ID_BASE.ccDcid + n, ...cc });
      n++;
    }
  }
}

function* households(ctx: PlanContext): Generator<HouseholdBase> {
  for (let i = 0; i < ctx.students; i++) {
    if (!isSiblingOfPrevious(ctx.seed, i)) yield householdBase(ctx.seed, i, ctx.options.names);
  }
}

const personSlot = (h: number, k: number): number => h * 8 + k;

// Each contact table takes only the guardian parts it needs (they come from separate PRNG streams),
// so the nine passes (one per table) stay cheap.
function* contactRows(ctx: PlanContext): Generator<GeneratedRow> {
  const { seed } = ctx;
  const names = ctx.options.names;
  const past = isoDate(ctx.schoolYearStart - 1, 6, 5);
  const longAgo = isoDate(ctx.schoolYearStart - 3, 8, 20);
  for (const hh of households(ctx)) {
    for (let k = 0; k < hh.guardianCount; k++) {
      const g = guardianCore(seed, hh, k, names);
      const p = personSlot(hh.index, k);
      yield row('person', {
        id: ID_BASE.personId + p,
        dcid: ID_BASE.personDcid + p,
        firstname: g.name.first,
        middlename: g.name.middle,
        lastname: g.name.last,
        isactive: g.personActive ? 1 : 0,
        languagecodesetid: g.languageCode ? LANGUAGE_CODES[g.languageCode].id : null,
      });
    }
  }
  for (const hh of households(ctx)) {
    for (let k = 0; k < hh.guardianCount; k++) {
      const g = guardianAddresses(seed, hh, k);
      const p = personSlot(hh.index, k);
      const addresses = g.mailingAddress ? [g.address, g.mailingAddress] : [g.address];
      for (const [j, a] of addresses.entries()) {
        const [street, unit] = splitUnit(a.street);
        yield row('personaddress', {
          personaddressid: ID_BASE.personAddress + p * 2 + j,
          street,
          linetwo: null,
          unit,
          city: a.city,
          statescodesetid: STATE_CODES[a.state],
          postalcode: a.zip,
        });
      }
    }
  }
  for (const hh of households(ctx)) {
    for (let k = 0; k < hh.guardianCount; k++) {
      const g = guardianAddresses(seed, hh, k);
      const p = personSlot(hh.index, k);
      const count = g.mailingAddress ? 2 : 1;
      for (let j = 0; j < count; j++) {
        yield row('personaddressassoc', {
          personaddressassocid: ID_BASE.personAddressAssoc + p * 2 + j,
          personid: ID_BASE.personId + p,
          personaddressid: ID_BASE.personAddress + p * 2 + j,
          addresstypecodesetid: j === 0 ? ADDRESS_TYPE_CODES.Home : ADDRESS_TYPE_CODES.Mailing,
          addresspriorityorder: j + 1,
          startdate: null,
          enddate: null,
        });
      }
    }
  }
  const phonesOf = (hh: HouseholdBase, k: number) => guardianPhones(seed, hh, k, guardianAddresses(seed, hh, k).separate);
  for (const hh of households(ctx)) {
    for (let k = 0; k < hh.guardianCount; k++) {
      const p = personSlot(hh.index, k);
      for (const [j, ph] of phonesOf(hh, k).entries()) {
        yield row('phonenumber', { phonenumberid: ID_BASE.phoneNumber + p * 4 + j, phonenumber: ph.digits, phonenumberext: ph.ext, issms: 0 });
      }
    }
  }
  for (const hh of households(ctx)) {
    for (let k = 0; k < hh.guardianCount; k++) {
      const p = personSlot(hh.index, k);
      for (const [j, ph] of phonesOf(hh, k).entries()) {
        yield row('personphonenumberassoc', {
          personphonenumberassocid: ID_BASE.phoneAssoc + p * 4 + j,
          personid: ID_BASE.personId + p,
          phonenumberid: ID_BASE.phoneNumber + p * 4 + j,
          phonetypecodesetid: ph.typeCode,
          phonenumberpriorityorder: j + 1,
          ispreferred: j === 0 ? 1 : 0,
          phonenumberasentered: ph.ext ? `${ph.asEntered} x${ph.ext}` : ph.asEntered,
        });
      }
    }
  }
  const emailsOf = (hh: HouseholdBase, k: number) => guardianEmails(seed, hh, guardianCore(seed, hh, k, names));
  for (const hh of households(ctx)) {
    for (let k = 0; k < hh.guardianCount; k++) {
      const p = personSlot(hh.index, k);
      for (const [j, e] of emailsOf(hh, k).entries()) {
        yield row('emailaddress', { emailaddressid: ID_BASE.emailAddress + p * 2 + j, emailaddress: e.address });
      }
    }
  }
  for (const hh of households(ctx)) {
    for (let k = 0; k < hh.guardianCount; k++) {
      const p = personSlot(hh.index, k);
      for (const [j, e] of emailsOf(hh, k).entries()) {
        yield row('personemailaddressassoc', {
          personemailaddressassocid: ID_BASE.emailAssoc + p * 2 + j,
          personid: ID_BASE.personId + p,
          emailaddressid: ID_BASE.emailAddress + p * 2 + j,
          emailtypecodesetid: e.typeCode,
          isprimaryemailaddress: j === 0 ? 1 : 0,
          emailaddresspriorityorder: j + 1,
        });
      }
    }
  }
  for (let i = 0; i < ctx.students; i++) {
    const hh = householdBase(seed, householdOf(seed, i), names);
    for (let k = 0; k < hh.guardianCount; k++) {
      const g = guardianCore(seed, hh, k, names);
      yield row('studentcontactassoc', {
        studentcontactassocid: ID_BASE.contactAssoc + i * 8 + k,
        studentdcid: ID_BASE.studentDcid + i,
        personid: ID_BASE.personId + personSlot(hh.index, k),
        contactpriorityorder: k + 1,
        currreltypecodesetid: relationshipCode(g.relationship),
      });
    }
  }
  for (let i = 0; i < ctx.students; i++) {
    const hh = householdBase(seed, householdOf(seed, i), names);
    for (let k = 0; k < hh.guardianCount; k++) {
      const g = guardianCore(seed, hh, k, names);
      const assoc = ID_BASE.contactAssoc + i * 8 + k;
      const detailBase = ID_BASE.contactDetail + (i * 8 + k) * 2;
      yield row('studentcontactdetail', {
        studentcontactdetailid: detailBase,
        studentcontactassocid: assoc,
        relationshiptypecodesetid: relationshipCode(g.relationship),
        isactive: g.detailActive ? 1 : 0,
        iscustodial: g.custodial ? 1 : 0,
        isemergency: g.emergency ? 1 : 0,
        liveswithflg: g.livesWith ? 1 : 0,
        schoolpickupflg: g.pickup ? 1 : 0,
        receivesmailflg: g.receivesMail ? 1 : 0,
        startdate: null,
        enddate: g.detailActive ? null : past,
      });
      if (g.historyDetail) {
        yield row('studentcontactdetail', {
          studentcontactdetailid: detailBase + 1,
          studentcontactassocid: assoc,
          relationshiptypecodesetid: relationshipCode('Other'),
          isactive: 0,
          iscustodial: 0,
          isemergency: 0,
          liveswithflg: 0,
          schoolpickupflg: 0,
          receivesmailflg: 0,
          startdate: longAgo,
          enddate: past,
        });
      }
    }
  }
}

function relationshipCode(rel: GuardianCore['relationship']): number {
  return RELATIONSHIP_CODES[rel];
}

/** "12 Main St, Apt 4" → street "12 Main St", unit "Apt 4" (PERSONADDRESS keeps the unit apart). */
function splitUnit(street: string): [string, string | null] {
  const m = /^(.*), (Apt \d+)$/.exec(street);
  return m ? [m[1] as string, m[2] as string] : [street, null];
}
