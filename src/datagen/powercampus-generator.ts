/**
 * Deterministic PowerCampus (university SIS) generator for the Moodle enrollment sync.
 *
 * Produces PEOPLE, ACADEMIC, SECTIONS and TRANSCRIPTDETAIL for the given term and the term before
 * it (so a query that forgets the year/term filter returns too much). The edge cases the sync must
 * survive are all present: dropped and wait-listed registrations (ADD_DROP_WAIT D/W), withdrawals
 * and audits in FINAL_GRADE (W, WA, AU), NULL FINAL_GRADE and ENROLL_SEPARATION, students on leave
 * (LOA/WITH/AWIT), students without an ACADEMIC row, several sections per course, lecture and lab
 * sub-types, cross-listed courses and the non-academic curricula (CHIRO, NUTRIT, CLMH).
 */
import { addDays, isoDate } from './date-util.js';
import { DEFAULT_NAME_OPTIONS, drawName, drawNameKind, type NameOptions, type PersonName } from './name-pools.js';
import { POWERCAMPUS_DDL, POWERCAMPUS_TABLES } from './powercampus-schema.js';
import { Prng, type SeedPart } from './prng.js';
import type { Cell, Dataset, GeneratedRow } from './table-def.js';

export const ACADEMIC_TERMS = ['Winter', 'Spring', 'Summer', 'Fall'] as const;
export type AcademicTerm = (typeof ACADEMIC_TERMS)[number];

/** Curricula of the non-academic hub courses (the original's hard-coded program list). */
export const NON_ACADEMIC_PROGRAMS = ['CHIRO', 'NUTRIT', 'CLMH'] as const;

export interface PowerCampusOptions {
  names: NameOptions;
  /** Also generate the previous term (default true). */
  previousTerm: boolean;
  /** Share of current-term registrations with a NULL FINAL_GRADE (excluded by the original's filter). Default 0.02. */
  nullFinalGradeRate: number;
  /** Share of student-terms without an ACADEMIC row. Default 0.03. */
  missingAcademicRate: number;
  /** Share of student-terms with a NULL ENROLL_SEPARATION. Default 0.02. */
  nullSeparationRate: number;
}

export type PowerCampusOptionsInput = Partial<Omit<PowerCampusOptions, 'names'>> & { names?: Partial<NameOptions> };

export const DEFAULT_POWERCAMPUS_OPTIONS: PowerCampusOptions = {
  names: DEFAULT_NAME_OPTIONS,
  previousTerm: true,
  nullFinalGradeRate: 0.02,
  missingAcademicRate: 0.03,
  nullSeparationRate: 0.02,
};

export interface GeneratePowerCampusParams {
  seed: SeedPart;
  students: number;
  /** ACADEMIC_YEAR of the current term, e.g. 2026 or '2026'. */
  year: number | string;
  /** ACADEMIC_TERM of the current term, e.g. 'Winter'. */
  term: AcademicTerm;
  /** Courses offered per term (default 30). */
  courses?: number;
  options?: PowerCampusOptionsInput;
}

export interface PcCourse {
  eventId: string;
  longName: string;
  /** 'LEC' always; 'LAB' too for lab courses. */
  subTypes: string[];
  /** Section codes per sub-type ('01', '02', …). */
  sections: string[];
  credits: number;
  /** Event id of the course this one is cross-listed with (same long name), if any. */
  crossListedWith: string | null;
}

export interface PcTermPlan {
  year: string;
  term: AcademicTerm;
  start: string;
  end: string;
  courses: PcCourse[];
}

const DEPARTMENTS = [
  ['ANAT', 'Gross Anatomy'], ['BIOC', 'Biochemistry'], ['PHYS', 'Physiology'], ['CHIR', 'Chiropractic Technique'],
  ['NUTR', 'Clinical Nutrition'], ['CLMH', 'Counseling Theories'], ['DIAG', 'Physical Diagnosis'], ['RADI', 'Radiology'],
  ['HBIO', 'Human Biology'], ['SPMD', 'Sports Medicine'], ['MICR', 'Microbiology'], ['NEUR', 'Neuroscience'],
] as const;

/** Long names that break naive CSV or encodings. */
const SPECIAL_TITLES = [
  'Gross Anatomy I, Lab',
  'Nutrition: Myths & "Facts"',
  'Clinical Skills – Müller Technique',
  "Practitioner's Ethics",
  'Santé & Well-being Seminar',
];

const ROMAN = ['I', 'II', 'III', 'IV'];

export function previousAcademicTerm(year: number, term: AcademicTerm): { year: number; term: AcademicTerm } {
  const i = ACADEMIC_TERMS.indexOf(term);
  return i === 0 ? { year: year - 1, term: 'Fall' } : { year, term: ACADEMIC_TERMS[i - 1] as AcademicTerm };
}

function termDates(year: number, term: AcademicTerm): { start: string; end: string } {
  switch (term) {
    case 'Winter': return { start: isoDate(year, 1, 5), end: isoDate(year, 3, 20) };
    case 'Spring': return { start: isoDate(year, 3, 30), end: isoDate(year, 6, 12) };
    case 'Summer': return { start: isoDate(year, 6, 22), end: isoDate(year, 8, 28) };
    case 'Fall': return { start: isoDate(year, 9, 21), end: isoDate(year, 12, 11) };
  }
}

function checkTerm(term: string): AcademicTerm {
  if (!(ACADEMIC_TERMS as readonly string[]).includes(term)) {
    throw new RangeError(`term must be one of ${ACADEMIC_TERMS.join(', ')}, got '${term}'`);
  }
  return term as AcademicTerm;
}

/** The catalogue of one term. Cross-listing pairs consecutive courses (every fifth pair). */
export function planPowerCampusTerm(seed: SeedPart, year: number, term: AcademicTerm, courseCount: number, students: number): PcTermPlan {
  const { start, end } = termDates(year, term);
  const courses: PcCourse[] = [];
  // Section sizing: each student takes ~4.5 courses spread over the catalogue.
  const perCourse = (students * 4.5) / Math.max(1, courseCount);
  for (let c = 0; c < courseCount; c++) {
    const rng = Prng.for(seed, 'pc-course', c);
    const [prefix, topic] = DEPARTMENTS[c % DEPARTMENTS.length] as readonly [string, string];
    const level = Math.floor(c / DEPARTMENTS.length);
    const eventId = `${prefix}${5100 + level * 100 + (c % 7) * 10}`;
    const special = rng.chance(0.15);
    const specialTitle = rng.pick(SPECIAL_TITLES);
    const longName = special ? specialTitle : `${topic} ${ROMAN[level % ROMAN.length]}`;
    const lab = rng.chance(0.3);
    const sectionCount = Math.max(1, Math.min(4, Math.round(perCourse / 30) + rng.int(0, 1)));
    courses.push({
      eventId,
      longName,
      subTypes: lab ? ['LEC', 'LAB'] : ['LEC'],
      sections: Array.from({ length: sectionCount }, (_, k) => String(k + 1).padStart(2, '0')),
      credits: rng.pick([2, 3, 4]),
      crossListedWith: null,
    });
  }
  for (let c = 0; c + 1 < courses.length; c += 10) {
    const a = courses[c] as PcCourse;
    const b = courses[c + 1] as PcCourse;
    a.crossListedWith = b.eventId;
    b.crossListedWith = a.eventId;
    b.longName = a.longName;
  }
  return { year: String(year), term, start, end, courses };
}

export interface PcStudent {
  index: number;
  peopleId: string;
  peopleCodeId: string;
  personId: number;
  name: PersonName;
  birthDate: string;
  curriculum: string;
  secondCurriculum: string | null;
  program: string;
  degree: string;
  classLevel: string;
}

const CURRICULA: readonly (readonly [string, string, string, number])[] = [
  // curriculum, program, degree, weight
  ['CHIRO', 'DC', 'DC', 0.5],
  ['NUTRIT', 'MS', 'MS', 0.15],
  ['CLMH', 'MS', 'MS', 0.15],
  ['SPMD', 'MS', 'MS', 0.1],
  ['HBIO', 'BS', 'BS', 0.1],
];

export function powerCampusStudent(seed: SeedPart, names: NameOptions, index: number): PcStudent {
  const rng = Prng.for(seed, 'pc-student', index);
  const offset = Prng.for(seed, 'pc-people-id').int(0, 899_999);
  const peopleId = String(100_000 + ((index * 7919 + offset) % 900_000)).padStart(9, '0');
  const kind = drawNameKind(rng, { ...names, testRate: 0 });
  const name = drawName(rng, kind, names);
  const birthDate = addDays(isoDate(1990, 1, 1), rng.int(0, 365 * 12));
  const cur = rng.weighted(CURRICULA.map((c) => [c, c[3]] as const));
  const second = rng.chance(0.04) ? rng.pick(CURRICULA.filter((c) => c[0] !== cur[0]))[0] : null;
  return {
    index,
    peopleId,
    peopleCodeId: `P${peopleId}`,
    personId: 1_000 + index,
    name,
    birthDate,
    curriculum: cur[0],
    secondCurriculum: second,
    program: cur[1],
    degree: cur[2],
    classLevel: rng.pick(['1', '2', '3', '4']),
  };
}

export interface PcRegistration {
  eventId: string;
  subType: string;
  section: string;
  longName: string;
  addDropWait: string;
  finalGrade: string | null;
  credit: number;
}

export interface PcStudentTerm {
  /** undefined = no ACADEMIC row for this term; null = a NULL ENROLL_SEPARATION. */
  enrollSeparation: string | null | undefined;
  registrations: PcRegistration[];
}

/** One student's ACADEMIC status and TRANSCRIPTDETAIL rows for a term. */
export function powerCampusStudentTerm(seed: SeedPart, plan: PcTermPlan, current: boolean, options: PowerCampusOptions, index: number): PcStudentTerm {
  const rng = Prng.for(seed, 'pc-term', plan.year, plan.term, index);
  const sepRoll = rng.next();
  let enrollSeparation: string | null | undefined;
  if (sepRoll < options.missingAcademicRate) enrollSeparation = undefined;
  else if (sepRoll < options.missingAcademicRate + options.nullSeparationRate) enrollSeparation = null;
  else enrollSeparation = rng.weighted<string>([['ENRL', 0.9], ['LOA', 0.025], ['WITH', 0.025], ['AWIT', 0.015], ['GRAD', 0.015], ['TRAN', 0.02]]);

  const count = rng.int(3, 6);
  const picked = rng.sample(plan.courses, count);
  const registrations: PcRegistration[] = [];
  for (const course of picked) {
    const section = rng.pick(course.sections);
    const addDropWait = rng.weighted<string>([['A', 0.88], ['D', 0.08], ['W', 0.04]]);
    let finalGrade: string | null;
    const gradeRoll = rng.next();
    if (current) {
      if (gradeRoll < options.nullFinalGradeRate) finalGrade = null;
      else finalGrade = rng.weighted<string>([['', 0.85], ['AU', 0.04], ['W', 0.03], ['WA', 0.02], ['A', 0.02], ['B+', 0.02], ['P', 0.02]]);
    } else {
      finalGrade = rng.weighted<string>([['A', 0.35], ['A-', 0.15], ['B+', 0.15], ['B', 0.12], ['C', 0.08], ['P', 0.05], ['W', 0.04], ['WA', 0.02], ['AU', 0.04]]);
    }
    for (const subType of course.subTypes) {
      registrations.push({
        eventId: course.eventId,
        subType,
        section,
        longName: course.longName,
        addDropWait,
        finalGrade,
        credit: subType === 'LAB' ? 1 : course.credits,
      });
    }
  }
  return { enrollSeparation, registrations };
}

export function resolvePowerCampusOptions(input: PowerCampusOptionsInput = {}): PowerCampusOptions {
  return { ...DEFAULT_POWERCAMPUS_OPTIONS, ...input, names: { ...DEFAULT_POWERCAMPUS_OPTIONS.names, ...(input.names ?? {}) } };
}

/** The current term plan and (when enabled) the previous one, in that order. */
export function powerCampusTermPlans(params: GeneratePowerCampusParams): PcTermPlan[] {
  const options = resolvePowerCampusOptions(params.options);
  const year = Number(params.year);
  if (!Number.isInteger(year)) throw new RangeError(`year must be a four-digit year, got '${params.year}'`);
  const term = checkTerm(params.term);
  const courseCount = params.courses ?? 30;
  const plans = [planPowerCampusTerm(params.seed, year, term, courseCount, params.students)];
  if (options.previousTerm) {
    const prev = previousAcademicTerm(year, term);
    plans.push(planPowerCampusTerm(params.seed, prev.year, prev.term, courseCount, params.students));
  }
  return plans;
}

const row = (table: string, values: Record<string, Cell>): GeneratedRow => ({ table, row: values });

export function* generatePowerCampus(params: GeneratePowerCampusParams): Generator<GeneratedRow> {
  const options = resolvePowerCampusOptions(params.options);
  const plans = powerCampusTermPlans(params);
  const n = params.students;

  for (let i = 0; i < n; i++) {
    const s = powerCampusStudent(params.seed, options.names, i);
    yield row('PEOPLE', {
      PEOPLE_CODE: 'P',
      PEOPLE_ID: s.peopleId,
      PEOPLE_CODE_ID: s.peopleCodeId,
      PERSONID: s.personId,
      PREFIX: null,
      FIRST_NAME: s.name.first,
      MIDDLE_NAME: s.name.middle,
      LAST_NAME: s.name.last,
      SUFFIX: null,
      BIRTH_DATE: s.birthDate,
    });
  }

  for (const plan of plans) {
    const current = plan === plans[0];
    for (let i = 0; i < n; i++) {
      const s = powerCampusStudent(params.seed, options.names, i);
      const st = powerCampusStudentTerm(params.seed, plan, current, options, i);
      if (st.enrollSeparation === undefined) continue;
      const base = {
        PEOPLE_CODE_ID: s.peopleCodeId,
        PEOPLE_ID: s.peopleId,
        ACADEMIC_YEAR: plan.year,
        ACADEMIC_TERM: plan.term,
        ACADEMIC_SESSION: '',
        CLASS_LEVEL: s.classLevel,
        ENROLL_SEPARATION: st.enrollSeparation,
        STATUS: 'A',
      };
      const credits = st.registrations.filter((r) => r.addDropWait === 'A').reduce((sum, r) => sum + r.credit, 0);
      yield row('ACADEMIC', { ...base, PROGRAM: s.program, DEGREE: s.degree, CURRICULUM: s.curriculum, PRIMARY_FLAG: 'Y', CREDITS: credits });
      if (s.secondCurriculum) {
        yield row('ACADEMIC', { ...base, PROGRAM: 'CERT', DEGREE: 'CERT', CURRICULUM: s.secondCurriculum, PRIMARY_FLAG: 'N', CREDITS: 0 });
      }
    }
  }

  for (const plan of plans) {
    for (const c of plan.courses) {
      for (const subType of c.subTypes) {
        for (const section of c.sections) {
          yield row('SECTIONS', {
            ACADEMIC_YEAR: plan.year,
            ACADEMIC_TERM: plan.term,
            ACADEMIC_SESSION: '',
            EVENT_ID: c.eventId,
            EVENT_SUB_TYPE: subType,
            SECTION: section,
            EVENT_LONG_NAME: c.longName,
            EVENT_STATUS: 'A',
            CREDITS: subType === 'LAB' ? 1 : c.credits,
            START_DATE: plan.start,
            END_DATE: plan.end,
            MAX_PARTICIPANT: 40,
          });
        }
      }
      // A cancelled extra section nobody is registered in.
      if (Prng.for(params.seed, 'pc-cancelled', plan.year, plan.term, c.eventId).chance(0.1)) {
        yield row('SECTIONS', {
          ACADEMIC_YEAR: plan.year, ACADEMIC_TERM: plan.term, ACADEMIC_SESSION: '', EVENT_ID: c.eventId,
          EVENT_SUB_TYPE: 'LEC', SECTION: '99', EVENT_LONG_NAME: c.longName, EVENT_STATUS: 'C', CREDITS: c.credits,
          START_DATE: plan.start, END_DATE: plan.end, MAX_PARTICIPANT: 0,
        });
      }
    }
  }

  let id = 1;
  for (const plan of plans) {
    const current = plan === plans[0];
    for (let i = 0; i < n; i++) {
      const s = powerCampusStudent(params.seed, options.names, i);
      const st = powerCampusStudentTerm(params.seed, plan, current, options, i);
      for (const r of st.registrations) {
        yield row('TRANSCRIPTDETAIL', {
          TRANSCRIPTDETAILID: id++,
          PEOPLE_CODE_ID: s.peopleCodeId,
          PEOPLE_ID: s.peopleId,
          ACADEMIC_YEAR: plan.year,
          ACADEMIC_TERM: plan.term,
          ACADEMIC_SESSION: '',
          EVENT_ID: r.eventId,
          EVENT_SUB_TYPE: r.subType,
          SECTION: r.section,
          EVENT_LONG_NAME: r.longName,
          ADD_DROP_WAIT: r.addDropWait,
          FINAL_GRADE: r.finalGrade,
          CREDIT: r.credit,
        });
      }
    }
  }
}

export function powerCampusDataset(params: GeneratePowerCampusParams): Dataset {
  return {
    name: 'powercampus',
    tables: POWERCAMPUS_TABLES,
    views: [],
    ddl: POWERCAMPUS_DDL,
    rows: () => generatePowerCampus(params),
  };
}
