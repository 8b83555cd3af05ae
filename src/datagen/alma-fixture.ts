/**
 * An Alma course catalogue consistent with a generated CEM export, for the sandbox Alma web
 * service and the Leganto jobs' tests.
 *
 * From the same seed as the CEM file: part of the exported course codes already exist in Alma
 * (some with reading lists), DELETE rows point at courses that exist with or without reading lists
 * or not at all, some codes only partially match an Alma code (the `code~` trap that
 * `exact_search=true` fixes), copy-course SLNs find last year's course by section or by searchable
 * id (sometimes ambiguously), and filler courses make each year span several result pages.
 */
import { generateCemRecords, type CemGenerateOptions, type CemRecord } from './cem-generator.js';
import { Prng } from './prng.js';

export interface AlmaCourse {
  id: string;
  code: string;
  name: string;
  /** Section id = SLN without '-'. */
  section: string;
  year: string;
  searchable_id: string[];
  /** Number of reading lists (0 = none). */
  reading_lists: number;
  academic_department: string;
  processing_department: string;
  term: string[];
  status: 'ACTIVE';
}

export interface AlmaFixtureOptions extends CemGenerateOptions {
  /** Years the catalogue holds (e.g. [2025, 2026]); courses of other years are left out. */
  years: readonly number[];
  /** Filler courses per year on top of the derived ones. Default: a fifth of `rows`. */
  fillerPerYear?: number;
}

export interface AlmaFixture {
  courses: AlmaCourse[];
  /** Codes whose exact course exists in Alma. */
  existingCodes: string[];
  /** Codes that exist only as the prefix of a longer Alma code (partial-match trap). */
  partialOnlyCodes: string[];
}

export function buildAlmaFixture(options: AlmaFixtureOptions): AlmaFixture {
  const years = new Set(options.years.map(String));
  const courses: AlmaCourse[] = [];
  const existingCodes: string[] = [];
  const partialOnlyCodes: string[] = [];
  let n = 0;
  const add = (c: Omit<AlmaCourse, 'id' | 'status'>) => {
    const id = String(5_512_000_000_000 + n++ * 7);
    if (years.has(c.year)) courses.push({ ...c, id, status: 'ACTIVE' });
  };
  const firstByCode = new Map<string, CemRecord>();
  const statusesByCode = new Map<string, Set<string>>();
  for (const rec of generateCemRecords(options)) {
    const code = rec.MYASU_COURSE_IDSTRING;
    if (!firstByCode.has(code)) firstByCode.set(code, rec);
    const set = statusesByCode.get(code) ?? new Set<string>();
    set.add(rec.COURSE_STATUS);
    statusesByCode.set(code, set);

    // Copy-course references: last year's (or this year's) course that a rollover would find.
    if (/^[\d,]+$/.test(rec.COPY_COURSE_SLN) && rec.COPY_COURSE_SLN.replace(/,/g, '') !== '0') {
      const rng = Prng.for(options.seed, 'alma-copy', code, rec.SLN);
      const copySln = rec.COPY_COURSE_SLN.replace(/,/g, '');
      const copyYear = rec.COPY_COURSE_SEMESTER_YEAR || rec.YEAR;
      const roll = rng.next();
      const base = {
        code: `${copyYear}Fall-X-${rec.COURSE_ID.replace(' ', '') || 'NOID000'}-${copySln}`,
        name: rec.COURSE_NAME,
        year: copyYear,
        reading_lists: rng.chance(0.7) ? rng.int(1, 3) : 0,
        academic_department: rec.COLLEGE_OR_DIVISION_CODE,
        processing_department: 'HAYDEN',
        term: ['AUTUMN'],
      };
      if (roll < 0.55) add({ ...base, section: copySln, searchable_id: [rec.COURSE_ID].filter(Boolean) });
      else if (roll < 0.75) add({ ...base, section: String(Number(copySln) + 1), searchable_id: [copySln] });
      else if (roll < 0.8) {
        // Two courses answer for the same SLN: a rollover cannot choose.
        add({ ...base, section: copySln, searchable_id: [] });
        add({ ...base, code: `${base.code}-B`, section: copySln, searchable_id: [] });
      }
    }
  }

  for (const [code, rec] of firstByCode) {
    const rng = Prng.for(options.seed, 'alma-course', code);
    const statuses = statusesByCode.get(code) as Set<string>;
    const deleting = statuses.has('DENIED') || statuses.has('SUSPENDED');
    const exists = rng.chance(deleting ? 0.6 : 0.5);
    const lists = rng.chance(deleting ? 0.5 : 0.35) ? rng.int(1, 4) : 0;
    const trap = deleting && rng.chance(0.2);
    const section = rec.SLN.replace(/-/g, '');
    const shape = {
      name: rec.COURSE_NAME,
      section,
      year: rec.YEAR,
      searchable_id: [rec.COURSE_ID].filter(Boolean),
      academic_department: rec.COLLEGE_OR_DIVISION_CODE,
      processing_department: 'HAYDEN',
      term: [],
    };
    // The partial match is listed first so a search returns it ahead of the exact code.
    if (trap) add({ ...shape, code: `${code}-3964`, reading_lists: 1 });
    const inYears = years.has(rec.YEAR);
    if (exists) {
      add({ ...shape, code, reading_lists: lists });
      if (inYears) existingCodes.push(code);
    } else if (trap && inYears) {
      partialOnlyCodes.push(code);
    }
  }

  const filler = options.fillerPerYear ?? Math.ceil(options.rows / 5);
  for (const year of options.years) {
    for (let k = 0; k < filler; k++) {
      const rng = Prng.for(options.seed, 'alma-filler', year, k);
      const sln = String(90_000 + k);
      add({
        code: `${year}Spring-X-FIL${100 + (k % 400)}-${sln}`,
        name: `Archived Course ${k + 1}`,
        section: sln,
        year: String(year),
        searchable_id: [`FIL ${100 + (k % 400)}`],
        reading_lists: rng.chance(0.3) ? 1 : 0,
        academic_department: 'LA',
        processing_department: 'HAYDEN',
        term: ['SPRING'],
      });
    }
  }
  return { courses, existingCodes, partialOnlyCodes };
}
