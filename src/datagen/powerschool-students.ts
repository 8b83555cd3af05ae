/** One student's demographics and schedule, derived from keyed PRNG streams. */
import { addDays, isoDate, maxDate } from './date-util.js';
import {
  courseCatalog, dayAfter, schoolFirstDay, termSlotsFor, yearIdFor, type CourseInfo, type SchoolKind, type TermSlot,
} from './powerschool-catalog.js';
import { drawName, drawNameKind, type PersonName } from './name-pools.js';
import {
  ORPHAN_TEACHER_ID, schoolForGrade, schoolKindForGrade, sectionsFor, termFor,
  type PlanContext, type SectionRow, type StudentCore,
} from './powerschool-plan.js';
import { householdBase, householdOf, type HouseholdBase } from './powerschool-households.js';
import { Prng } from './prng.js';

/** Clever race letters for Illinois codes (12–17); 15 is Pacific Islander → P. */
export const CLEVER_RACE_MAP: Readonly<Record<string, string>> = { '12': 'I', '13': 'A', '14': 'B', '15': 'P', '16': 'W', '17': 'M' };
const STUDENT_RACE_CODES: Readonly<Record<string, string>> = { '12': 'I', '13': 'A', '14': 'B', '15': 'P', '16': 'W' };

export interface StudentDates {
  gradeLevel: number;
  entrydate: string | null;
  exitdate: string | null;
}

export interface StudentIdentity {
  name: PersonName;
  dob: string;
  gender: string;
  household: HouseholdBase;
  stateStudentNumber: string | null;
}

export interface StudentDemographics {
  fedEthnicity: number | null;
  /** undefined = no S_IL_STU_DEMOGRAPHICS_X row. */
  fer: string | null | undefined;
  /** STUDENTRACE codes. */
  races: string[];
  /** S_IL_STU_X rows (0, 1 or 2). */
  lepRows: (number | null)[];
  /** undefined = no U_DEF_EXT_STUDENTS0 row. */
  custom: { ethnicity: string | null; race: string | null; lep: string | null } | undefined;
}

export function studentDates(ctx: PlanContext, core: StudentCore): StudentDates {
  const rng = Prng.for(ctx.seed, 'student-dates', core.index);
  const start = ctx.schoolYearStart;
  const firstDay = schoolFirstDay(schoolKindForGrade(core.grade), start);
  const lateEntry = rng.chance(0.07);
  const lateEntryDay = addDays(isoDate(start, 8, 25), rng.int(0, 36));
  const midYearExit = addDays(isoDate(start, 10, 1), rng.int(0, 150));
  const nullExit = rng.chance(ctx.options.nullExitDateRate);
  switch (core.enrollStatus) {
    case 0:
      return { gradeLevel: core.grade, entrydate: lateEntry ? lateEntryDay : firstDay, exitdate: nullExit ? null : isoDate(start + 1, 6, 5) };
    case 2:
      return { gradeLevel: core.grade, entrydate: firstDay, exitdate: midYearExit };
    case 3:
      return { gradeLevel: 99, entrydate: isoDate(start - 1, 8, 19), exitdate: isoDate(start, 6, 5) };
    case -1:
      return { gradeLevel: core.grade, entrydate: isoDate(start + 1, 8, 20), exitdate: isoDate(start + 2, 6, 5) };
    case 1:
      return { gradeLevel: core.grade, entrydate: firstDay, exitdate: firstDay };
    default:
      return { gradeLevel: core.grade, entrydate: isoDate(start - 3, 8, 20), exitdate: isoDate(start - 2, 6, 5) };
  }
}

export function studentIdentity(ctx: PlanContext, core: StudentCore): StudentIdentity {
  const rng = Prng.for(ctx.seed, 'student-detail', core.index);
  const names = ctx.options.names;
  const hh = householdBase(ctx.seed, householdOf(ctx.seed, core.index), names);
  const drawnKind = drawNameKind(rng, names);
  const kind = core.forcedKind ?? drawnKind;
  const useFamily = rng.chance(0.85);
  const name = drawName(rng, kind, names, useFamily ? hh.familyName.last : undefined);
  const bornYear = ctx.schoolYearStart - 6 - core.grade;
  const dob = addDays(isoDate(bornYear, 9, 1), rng.int(0, 364));
  const gender = rng.weighted<string>([['M', 0.497], ['F', 0.497], ['X', 0.006]]);
  // A bijection of the index onto 9 digits (unique); missing for some new students.
  const missing = rng.chance(0.04);
  const stateStudentNumber = missing
    ? null
    : String(100_000_000 + ((core.index * 104_729 + ctx.stateNumberOffset) % 90_000_000) * 10 + rng.int(0, 9));
  return { name, dob, gender, household: hh, stateStudentNumber };
}

export function studentDemographics(ctx: PlanContext, core: StudentCore): StudentDemographics {
  const rng = Prng.for(ctx.seed, 'student-demo', core.index);
  const fedEthnicity = rng.weighted<number | null>([[1, 0.2], [0, 0.7], [-1, 0.05], [null, 0.05]]);
  const raceCode = rng.weighted<string>([['12', 0.01], ['13', 0.08], ['14', 0.1], ['15', 0.01], ['16', 0.74], ['17', 0.06]]);
  const hispanicCode = fedEthnicity === 1 && rng.chance(0.7);
  const ferRoll = rng.next();
  let fer: string | null | undefined;
  if (ferRoll < 0.02) fer = undefined;
  else if (ferRoll < 0.05) fer = null;
  else if (ferRoll < 0.07) fer = '0';
  else fer = hispanicCode ? '11' : raceCode;
  if (fer !== undefined && rng.chance(ctx.options.nonNumericFerRate)) fer = rng.pick(['W', 'n/a', '1 4']);
  const races: string[] = [];
  const multi = rng.sample(['W', 'B', 'A', 'I', 'P'], 2);
  if (fer !== undefined && fer !== null && fer !== '0') {
    if (raceCode === '17') races.push(...multi);
    else races.push(STUDENT_RACE_CODES[raceCode] as string);
  }

  const noLepRow = rng.chance(0.05);
  const lepNull = rng.chance(0.01);
  const lepYes = rng.chance(0.12);
  const lepValue = lepNull ? null : lepYes ? 1 : 0;
  const lepRows: (number | null)[] = noLepRow ? [] : [lepValue];
  if (lepRows.length === 1 && rng.chance(ctx.options.duplicateLepRowRate)) lepRows.push(lepValue === 1 ? 0 : 1);

  const computed = {
    ethnicity: fedEthnicity === 1 ? 'Y' : 'N',
    race: fer !== undefined && fer !== null ? (CLEVER_RACE_MAP[fer] ?? '') : '',
    lep: lepRows[0] === 1 ? 'Y' : 'N',
  };
  const customRoll = rng.next();
  const mismatchField = rng.pick(['ethnicity', 'race', 'lep', 'nulls'] as const);
  const asStored = { ethnicity: computed.ethnicity, race: computed.race === '' ? null : computed.race, lep: computed.lep };
  let custom: StudentDemographics['custom'];
  if (customRoll < 0.04) {
    custom = undefined;
  } else if (customRoll < 0.04 + ctx.options.customMismatchRate) {
    custom = { ...asStored };
    if (mismatchField === 'ethnicity') custom.ethnicity = computed.ethnicity === 'Y' ? 'N' : 'Y';
    else if (mismatchField === 'lep') custom.lep = computed.lep === 'Y' ? 'N' : 'Y';
    // The original mapped 15 to I; values stored in those days differ from today's P.
    else if (mismatchField === 'race') custom.race = fer === '15' ? 'I' : computed.race === 'W' ? 'B' : 'W';
    else custom = { ethnicity: null, race: null, lep: null };
  } else {
    custom = asStored;
  }
  return { fedEthnicity, fer, races, lepRows, custom };
}

export interface CcRow {
  studentid: number;
  course_number: string;
  section_number: string;
  termid: number;
  schoolid: number;
  expression: string;
  dateenrolled: string;
  dateleft: string | null;
  teacherid: number;
  sectionid: number;
}

interface Placement {
  course: CourseInfo;
  school: number;
  slot: TermSlot;
  section: SectionRow;
}

/** One year's schedule at a school: usually the office course, every requirement (one course per group), then electives up to 6–9 courses. */
function pickSchedule(ctx: PlanContext, rng: Prng, kind: SchoolKind, school: number, yearid: number): Placement[] {
  const catalog = courseCatalog(kind);
  const picks: CourseInfo[] = [];
  const groupsDone = new Set<string>();
  for (const c of catalog) {
    if (c.role === 'office') {
      if (rng.chance(kind === 'high' ? 0.7 : 0.9)) picks.push(c);
    } else if (c.role === 'required') {
      if (c.group) {
        if (groupsDone.has(c.group)) continue;
        groupsDone.add(c.group);
        picks.push(rng.pick(catalog.filter((x) => x.group === c.group)));
      } else {
        picks.push(c);
      }
    }
  }
  const electives = rng.shuffle(catalog.filter((c) => c.role === 'elective'));
  const target = rng.int(Math.max(6, picks.length), 9);
  for (const e of electives) {
    if (picks.length >= target) break;
    picks.push(e);
  }
  return picks.map((course) => place(ctx, rng, kind, school, yearid, course));
}

function place(ctx: PlanContext, rng: Prng, kind: SchoolKind, school: number, yearid: number, course: CourseInfo, slots?: TermSlot[]): Placement {
  const slot = rng.pick(slots ?? termSlotsFor(kind, course.length));
  const options = sectionsFor(ctx, yearid, school, course.courseNumber, slot);
  if (options.length === 0) throw new Error(`plan: no section of ${course.courseNumber} ${slot} at school ${school} year ${yearid}`);
  return { course, school, slot, section: rng.pick(options) };
}

function courseAt(kind: SchoolKind, courseNumber: string): CourseInfo {
  const c = courseCatalog(kind).find((x) => x.courseNumber === courseNumber);
  if (!c) throw new Error(`catalog: no course ${courseNumber} in ${kind} schools`);
  return c;
}

/** CC rows of one student (current year, dropped ones, last year's), in a stable order. */
export function scheduleFor(ctx: PlanContext, student: StudentCore & StudentDates): CcRow[] {
  const rng = Prng.for(ctx.seed, 'cc', student.index);
  const rows: CcRow[] = [];
  const yearid = yearIdFor(ctx.schoolYearStart);
  const kind = schoolKindForGrade(student.grade);
  const school = schoolForGrade(student.grade, student.elementarySchool);
  const opts = ctx.options;

  const emit = (p: Placement, yid: number, dropped: boolean, dropDate?: string) => {
    const term = termFor(ctx, yid, p.school, p.slot);
    const enrolled = student.entrydate && yid === yearid ? maxDate(term.firstday, student.entrydate) : term.firstday;
    let dateleft: string | null = dropped
      ? (dropDate !== undefined ? maxDate(dropDate, enrolled) : addDays(enrolled, rng.int(1, 20)))
      : dayAfter(term.lastday);
    let teacherid = p.section.teacher;
    if (!dropped && rng.chance(opts.nullDateLeftRate)) dateleft = null;
    if (!dropped && rng.chance(opts.orphanTeacherRate)) teacherid = ORPHAN_TEACHER_ID;
    rows.push({
      studentid: student.id,
      course_number: p.course.courseNumber,
      section_number: p.section.section_number,
      termid: dropped ? -term.id : term.id,
      schoolid: p.school,
      expression: p.section.expression,
      dateenrolled: enrolled,
      dateleft,
      teacherid,
      sectionid: dropped ? -p.section.id : p.section.id,
    });
  };

  const active = student.enrollStatus === 0;
  const transferred = student.enrollStatus === 2;
  if (active || transferred) {
    const schedule = pickSchedule(ctx, rng, kind, school, yearid);
    const crossRoll = rng.next();
    const crossKind = rng.next();
    if (kind !== 'high' && crossRoll < opts.crossSchoolRate && schedule.length > 0) {
      // A class at another school replaces the last course. Term id 00 exists at every school; a
      // middle-school quarter (05/06) does not exist at an elementary school.
      let p: Placement;
      if (kind === 'middle') p = place(ctx, rng, 'high', 5, yearid, courseAt('high', 'MTH300'));
      else if (crossKind < 0.5) p = place(ctx, rng, 'middle', 4, yearid, courseAt('middle', 'MTH200'));
      else p = place(ctx, rng, 'middle', 4, yearid, courseAt('middle', 'TEC200'), ['Q3', 'Q4']);
      schedule[schedule.length - 1] = p;
    }
    for (const p of schedule) emit(p, yearid, transferred, transferred ? (student.exitdate ?? undefined) : undefined);

    if (active && rng.chance(opts.dropRate)) {
      const taken = new Set(schedule.map((p) => p.course.courseNumber));
      const candidates = courseCatalog(kind).filter((c) => c.role === 'elective' && !taken.has(c.courseNumber));
      if (candidates.length > 0) emit(place(ctx, rng, kind, school, yearid, rng.pick(candidates)), yearid, true);
    }
    if (active && rng.chance(opts.dropRate * 0.2)) {
      // Schedule change: dropped from one section of a course the student still takes.
      const keep = rng.pick(schedule);
      const others = sectionsFor(ctx, yearid, keep.school, keep.course.courseNumber, keep.slot).filter((s) => s.id !== keep.section.id);
      if (others.length > 0) emit({ ...keep, section: rng.pick(others) }, yearid, true);
    }
  }

  const returning = (active && student.grade > 0) || student.enrollStatus === 3;
  if (ctx.options.previousYears > 0 && returning && rng.chance(opts.previousYearEnrollmentRate)) {
    const prevGrade = student.grade - (student.enrollStatus === 3 ? 0 : 1);
    const prevKind = schoolKindForGrade(prevGrade);
    const prevSchool = schoolForGrade(prevGrade, student.elementarySchool);
    for (const p of pickSchedule(ctx, rng, prevKind, prevSchool, yearid - 1)) emit(p, yearid - 1, false);
  }
  return rows;
}
