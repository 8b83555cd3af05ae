/**
 * The district plan: everything that is shared between students and small enough to hold in
 * memory (terms, courses, staff, sections, per-school counts). Students, enrollments and contacts
 * are derived per student from keyed PRNG streams and never held all at once.
 */
import {
  DISTRICT_SCHOOLS, GRADUATED_SCHOOL_NUMBER, courseCatalog, schoolFirstDay, termSlotsFor, termTemplates, yearIdFor,
  yearTermAbbreviation, yearTermName, ROOMS_SPECIAL,
  type CourseInfo, type SchoolInfo, type SchoolKind, type TermSlot,
} from './powerschool-catalog.js';
import type { PowerSchoolOptions } from './powerschool-options.js';
import { drawName, drawNameKind, type NameKind } from './name-pools.js';
import { Prng, type SeedPart } from './prng.js';

export interface TermRow {
  id: number;
  dcid: number;
  name: string;
  abbreviation: string;
  firstday: string;
  lastday: string;
  schoolid: number;
  yearid: number;
  isyearrec: number;
  portion: number;
}

export interface SectionRow {
  id: number;
  dcid: number;
  course_number: string;
  section_number: string;
  termid: number;
  schoolid: number;
  teacher: number;
  room: string | null;
  expression: string;
  maxenrollment: number;
}

export interface UserRow {
  dcid: number;
  first_name: string;
  last_name: string;
  email_addr: string | null;
  teachernumber: string;
  homeschoolid: number;
}

export interface StaffRow {
  id: number;
  dcid: number;
  users_dcid: number;
  schoolid: number;
  status: number;
}

export interface StudentCore {
  index: number;
  id: number;
  dcid: number;
  studentNumber: number;
  /** Grade the student is in this year (0 = K); graduated students keep 12 here. */
  grade: number;
  enrollStatus: number;
  schoolNumber: number;
  /** Elementary school the student attends or attended. */
  elementarySchool: number;
  /** Name kind forced at this position (guarantees every special kind appears), if any. */
  forcedKind: NameKind | null;
}

export interface PlanContext extends CoreContext {
  readonly seed: SeedPart;
  readonly students: number;
  readonly schoolYearStart: number;
  readonly options: PowerSchoolOptions;
  readonly terms: TermRow[];
  readonly users: UserRow[];
  readonly staff: StaffRow[];
  /** Sections of every planned year; `sectionsFor` finds them by year, school, course and slot. */
  readonly sections: SectionRow[];
  readonly sectionIndex: Map<string, SectionRow[]>;
  readonly termIndex: Map<string, TermRow>;
  readonly forcedKinds: Map<number, NameKind>;
  readonly stateNumberOffset: number;
}

// Id ranges never overlap between tables, so a join on the wrong column finds nothing instead of
// finding plausible rows by accident.
export const ID_BASE = {
  studentId: 10_000,
  studentDcid: 500_000,
  userDcid: 1_000_000,
  staffId: 2_000_000,
  staffDcid: 2_500_000,
  sectionId: 3_000_000,
  sectionDcid: 3_500_000,
  courseId: 4_000,
  courseDcid: 4_500,
  termDcid: 1_000,
  ccId: 10_000_000,
  ccDcid: 20_000_000,
  studentRace: 30_000_000,
  personId: 50_000_000,
  personDcid: 60_000_000,
  personAddress: 70_000_000,
  personAddressAssoc: 75_000_000,
  phoneNumber: 80_000_000,
  phoneAssoc: 85_000_000,
  emailAddress: 90_000_000,
  emailAssoc: 95_000_000,
  contactAssoc: 100_000_000,
  contactDetail: 200_000_000,
} as const;

/** An orphan teacher id (no SCHOOLSTAFF row) for the orphanTeacherRate quirk. */
export const ORPHAN_TEACHER_ID = 1;

export function sectionKey(yearid: number, school: number, course: string, slot: TermSlot): string {
  return `${yearid}|${school}|${course}|${slot}`;
}

function termKey(yearid: number, school: number, slot: TermSlot): string {
  return `${yearid}|${school}|${slot}`;
}

export function teachingSchools(): SchoolInfo[] {
  return DISTRICT_SCHOOLS.filter((s) => s.kind !== null);
}

export function plannedYears(ctx: Pick<PlanContext, 'schoolYearStart' | 'options'>): number[] {
  const years: number[] = [];
  for (let y = ctx.schoolYearStart - ctx.options.previousYears; y <= ctx.schoolYearStart; y++) years.push(y);
  return years;
}

export interface CoreContext {
  readonly seed: SeedPart;
  readonly forcedKinds: ReadonlyMap<number, NameKind>;
  readonly studentNumberOffset: number;
}

export function studentNumberOffset(seed: SeedPart): number {
  return Prng.for(seed, 'student-number').int(0, 899_999);
}

export function studentCore(cc: CoreContext, index: number): StudentCore {
  const { seed, forcedKinds } = cc;
  const rng = Prng.for(seed, 'student', index);
  const grade = rng.int(0, 12);
  let enrollStatus = rng.weighted<number>([[0, 0.9], [2, 0.035], [3, 0.03], [-1, 0.02], [1, 0.01], [4, 0.005]]);
  const elementarySchool = rng.weighted<number>([[1, 0.4], [2, 0.35], [3, 0.25]]);
  const forcedKind = forcedKinds.get(index) ?? null;
  if (forcedKind !== null) enrollStatus = 0;
  const schoolNumber = enrollStatus === 3 ? GRADUATED_SCHOOL_NUMBER : schoolForGrade(grade, elementarySchool);
  // student_number: a bijection of the index onto 100000–999999, so it is unique and its order
  // differs from the internal id's order.
  const studentNumber = 100_000 + ((index * 7919 + cc.studentNumberOffset) % 900_000);
  return {
    index,
    id: ID_BASE.studentId + index,
    dcid: ID_BASE.studentDcid + index,
    studentNumber,
    grade: enrollStatus === 3 ? 12 : grade,
    enrollStatus,
    schoolNumber,
    elementarySchool,
    forcedKind,
  };
}

export function schoolKindForGrade(grade: number): SchoolKind {
  return grade <= 5 ? 'elementary' : grade <= 8 ? 'middle' : 'high';
}

export function schoolForGrade(grade: number, elementarySchool: number): number {
  return grade <= 5 ? elementarySchool : grade <= 8 ? 4 : 5;
}

/** Positions that get one name of every special kind, so even a small district shows them all. */
function forcedKindPositions(seed: SeedPart, students: number, options: PowerSchoolOptions): Map<number, NameKind> {
  const kinds: NameKind[] = [];
  if (options.names.testRate > 0) kinds.push('test', 'test');
  if (options.names.specialRate > 0) kinds.push('comma', 'quote', 'apostrophe', 'accent');
  if (options.names.nonWin1252Rate > 0) kinds.push('nonWin1252');
  const map = new Map<number, NameKind>();
  if (students < kinds.length * 3) return map;
  const shift = Prng.for(seed, 'forced-kinds').int(0, Math.max(0, Math.floor(students / (kinds.length + 1)) - 1));
  kinds.forEach((kind, j) => {
    const pos = Math.floor(((j + 1) * students) / (kinds.length + 1)) - shift;
    map.set(Math.max(0, Math.min(students - 1, pos)), kind);
  });
  return map;
}

export function buildPlan(seed: SeedPart, students: number, schoolYearStart: number, options: PowerSchoolOptions): PlanContext {
  if (!Number.isInteger(students) || students < 0) throw new RangeError(`students must be a non-negative integer, got ${students}`);
  const forcedKinds = forcedKindPositions(seed, students, options);
  const coreCtx: CoreContext = { seed, forcedKinds, studentNumberOffset: studentNumberOffset(seed) };
  const counts = new Map<number, number>();
  for (let i = 0; i < students; i++) {
    const core = studentCore(coreCtx, i);
    const school = schoolForGrade(core.grade, core.elementarySchool);
    counts.set(school, (counts.get(school) ?? 0) + 1);
  }

  const ctxBase = { schoolYearStart, options };
  const years = plannedYears(ctxBase);
  const terms: TermRow[] = [];
  const termIndex = new Map<string, TermRow>();
  let termDcid = ID_BASE.termDcid;
  for (const start of years) {
    const yearid = yearIdFor(start);
    for (const school of teachingSchools()) {
      const kind = school.kind as SchoolKind;
      const first = schoolFirstDay(kind, start);
      for (const t of termTemplates(kind)) {
        const row: TermRow = {
          id: yearid * 100 + t.offset,
          dcid: termDcid++,
          name: t.slot === 'Y' ? yearTermName(start) : t.name,
          abbreviation: t.slot === 'Y' ? yearTermAbbreviation(start) : t.abbreviation,
          firstday: t.firstday(start, first),
          lastday: t.lastday(start),
          schoolid: school.schoolNumber,
          yearid,
          isyearrec: t.slot === 'Y' ? 1 : 0,
          portion: t.portion,
        };
        terms.push(row);
        termIndex.set(termKey(yearid, school.schoolNumber, t.slot), row);
      }
    }
  }

  // Section counts first (they size the staff), then staff, then teacher assignment.
  interface SectionSpec { yearid: number; school: number; course: CourseInfo; slot: TermSlot; n: number }
  const specs: SectionSpec[] = [];
  for (const start of years) {
    const yearid = yearIdFor(start);
    for (const school of teachingSchools()) {
      const kind = school.kind as SchoolKind;
      const catalog = courseCatalog(kind);
      const enrolled = Math.max(1, counts.get(school.schoolNumber) ?? 0);
      for (const course of catalog) {
        const slots = termSlotsFor(kind, course.length);
        const groupSize = course.group ? catalog.filter((c) => c.group === course.group).length : 1;
        const share = course.role === 'elective' ? 0.4 : course.role === 'office' ? 0.9 : 1 / groupSize;
        const perSlot = (enrolled * share) / slots.length;
        const n = Math.max(1, Math.ceil(perSlot / 24));
        for (let k = 0; k < n; k++) {
          for (const slot of slots) specs.push({ yearid, school: school.schoolNumber, course, slot, n: k });
        }
      }
    }
  }

  const users: UserRow[] = [];
  const staff: StaffRow[] = [];
  const officeStaff = new Map<number, number>();
  const teacherStaff = new Map<number, number[]>();
  const emails = new Set<string>();
  let sharedUser: number | null = null;
  for (const school of teachingSchools()) {
    const rng = Prng.for(seed, 'staff', school.schoolNumber);
    const currentSections = specs.filter((s) => s.school === school.schoolNumber && s.yearid === yearIdFor(schoolYearStart) && s.course.role !== 'office').length;
    const teacherCount = Math.max(4, Math.ceil(currentSections / 6));
    const addStaff = (usersDcid: number): number => {
      const id = ID_BASE.staffId + staff.length;
      staff.push({ id, dcid: ID_BASE.staffDcid + staff.length, users_dcid: usersDcid, schoolid: school.schoolNumber, status: 1 });
      return id;
    };
    const office: UserRow = {
      dcid: ID_BASE.userDcid + users.length,
      first_name: 'Attendance',
      last_name: 'Office',
      email_addr: null,
      teachernumber: `T${100 + users.length}`,
      homeschoolid: school.schoolNumber,
    };
    users.push(office);
    officeStaff.set(school.schoolNumber, addStaff(office.dcid));
    const ids: number[] = [];
    for (let t = 0; t < teacherCount; t++) {
      // One teacher staffs both the middle and the high school: two SCHOOLSTAFF rows, one USERS row.
      if (t === 0 && school.schoolNumber === 5 && sharedUser !== null) {
        ids.push(addStaff(sharedUser));
        continue;
      }
      const kind = drawNameKind(rng, { ...options.names, testRate: 0 });
      const name = drawName(rng, kind, options.names);
      const noEmail = rng.chance(options.teacherNoEmailRate);
      const user: UserRow = {
        dcid: ID_BASE.userDcid + users.length,
        first_name: name.first,
        last_name: name.last,
        email_addr: noEmail ? null : uniqueEmail(emails, name.first, name.last, 'd118.example.org'),
        teachernumber: `T${100 + users.length}`,
        homeschoolid: school.schoolNumber,
      };
      users.push(user);
      if (t === 0 && school.schoolNumber === 4) sharedUser = user.dcid;
      ids.push(addStaff(user.dcid));
    }
    teacherStaff.set(school.schoolNumber, ids);
  }

  const sections: SectionRow[] = [];
  const sectionIndex = new Map<string, SectionRow[]>();
  for (const spec of specs) {
    const rng = Prng.for(seed, 'section', spec.yearid, spec.school, spec.course.courseNumber, spec.slot, spec.n);
    const term = termFor({ termIndex }, spec.yearid, spec.school, spec.slot);
    const teachers = teacherStaff.get(spec.school) ?? [];
    const teacher = spec.course.role === 'office' ? (officeStaff.get(spec.school) as number) : rng.pick(teachers);
    const roomRoll = rng.next();
    const room = roomRoll < options.nullRoomRate
      ? null
      : roomRoll < options.nullRoomRate + options.specialRoomRate
        ? rng.pick(ROOMS_SPECIAL)
        : String(rng.int(1, 3) * 100 + rng.int(1, 40));
    const period = rng.int(1, 8);
    const row: SectionRow = {
      id: ID_BASE.sectionId + sections.length,
      dcid: ID_BASE.sectionDcid + sections.length,
      course_number: spec.course.courseNumber,
      section_number: String(spec.n + 1),
      termid: term.id,
      schoolid: spec.school,
      teacher,
      room,
      expression: `${period}(A)`,
      maxenrollment: 28,
    };
    sections.push(row);
    const key = sectionKey(spec.yearid, spec.school, spec.course.courseNumber, spec.slot);
    const list = sectionIndex.get(key);
    if (list) list.push(row);
    else sectionIndex.set(key, [row]);
  }

  return {
    seed, students, schoolYearStart, options, terms, users, staff, sections, sectionIndex, termIndex, forcedKinds,
    studentNumberOffset: coreCtx.studentNumberOffset,
    stateNumberOffset: Prng.for(seed, 'state-number').int(0, 89_999_999),
  };
}

export function termFor(ctx: Pick<PlanContext, 'termIndex'>, yearid: number, school: number, slot: TermSlot): TermRow {
  const t = ctx.termIndex.get(termKey(yearid, school, slot));
  if (!t) throw new Error(`plan: no term ${slot} for school ${school} year ${yearid}`);
  return t;
}

export function sectionsFor(ctx: PlanContext, yearid: number, school: number, course: string, slot: TermSlot): SectionRow[] {
  return ctx.sectionIndex.get(sectionKey(yearid, school, course, slot)) ?? [];
}

/** first.last@domain from the ASCII letters of the name, made unique with a number. */
export function uniqueEmail(taken: Set<string>, first: string, last: string, domain: string): string {
  const base = `${asciiSlug(first)}.${asciiSlug(last)}` || 'user';
  let candidate = `${base}@${domain}`;
  for (let n = 2; taken.has(candidate); n++) candidate = `${base}${n}@${domain}`;
  taken.add(candidate);
  return candidate;
}

const NO_DECOMPOSITION: Record<string, string> = { ł: 'l', Ł: 'L', ø: 'o', Ø: 'O', ß: 'ss', đ: 'd', Đ: 'D', æ: 'ae', œ: 'oe' };

export function asciiSlug(text: string): string {
  if (/^[A-Za-z0-9]*$/.test(text)) return text.toLowerCase();
  return text
    .replace(/[łŁøØßđĐæœ]/g, (ch) => NO_DECOMPOSITION[ch] ?? '')
    .normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]/g, '');
}

