import type { AlmaCourseRecord } from '../../adapters/alma/alma-client.js';
import type { CourseRow } from '../leganto-shared/loader-row.js';

/**
 * The rollover report's rules, pure (leganto_rollover.py with its bugs fixed):
 *
 * A loader row is a candidate when it is not a DELETE and names a copy course
 * (COPY_COURSE_SLN, commas removed, neither empty, "-" nor zero) with a copy year. The copy course
 * is the one Alma course of that year whose section is the copy SLN; when no course has that
 * section, the one course whose searchable IDs hold it. More than one hit at either step means
 * the copy course cannot be told apart: no rollover. A unique copy course that has reading lists
 * makes the row a ROLLOVER from it (Old Course Code = its code, Old Course Section ID = the SLN).
 *
 * The same rule (decideMatch) holds whether the year's course list was fetched (YearIndex) or
 * each candidate was searched (searchHits), so the choice between the two is only about call
 * counts.
 */

export type CopyCourseCheck =
  | { kind: 'candidate'; sln: string; year: string }
  | { kind: 'none'; why: string }
  | { kind: 'invalid'; reason: string };

export function copyCourseOf(row: CourseRow): CopyCourseCheck {
  if (row.operation === 'DELETE') return { kind: 'none', why: 'a DELETE row is never rolled over' };
  const { sln, year } = row.copy;
  if (sln === '' || sln === '-') return { kind: 'none', why: 'no copy course' };
  if (!/^\d+$/.test(sln)) return { kind: 'invalid', reason: `COPY_COURSE_SLN ${JSON.stringify(sln)} is neither "-" nor a number` };
  if (/^0+$/.test(sln)) return { kind: 'none', why: 'copy course SLN 0' };
  if (!/^\d{4}$/.test(year)) {
    return { kind: 'invalid', reason: `COPY_COURSE_SEMESTER_YEAR ${JSON.stringify(year)} is not a year, so copy course ${sln} cannot be looked up` };
  }
  return { kind: 'candidate', sln, year };
}

export interface CachedCourse {
  id: string;
  code: string;
  section: string;
  /** Searchable IDs other than "-" (course_caching.py process_courses). */
  searchIds: string[];
}

export function toCachedCourse(c: AlmaCourseRecord): CachedCourse {
  return { id: c.id, code: c.code, section: String(c.section ?? ''), searchIds: (c.searchable_id ?? []).map(String).filter((s) => s !== '-' && s !== '') };
}

export type CopyMatch =
  | { kind: 'unique'; course: CachedCourse; by: 'section' | 'searchable-id' }
  | { kind: 'ambiguous'; by: 'section' | 'searchable-id'; count: number }
  | { kind: 'none' };

/** The decision from the hits of each step. */
export function decideMatch(bySection: readonly CachedCourse[] | number, bySearchId: () => readonly CachedCourse[] | number): CopyMatch {
  const first = pick(bySection, 'section');
  if (first !== null) return first;
  return pick(bySearchId(), 'searchable-id') ?? { kind: 'none' };
}

function pick(hits: readonly CachedCourse[] | number, by: 'section' | 'searchable-id'): CopyMatch | null {
  if (typeof hits === 'number') return hits === 0 ? null : { kind: 'ambiguous', by, count: hits };
  if (hits.length === 0) return null;
  if (hits.length > 1) return { kind: 'ambiguous', by, count: hits.length };
  return { kind: 'unique', course: hits[0]!, by };
}

/** A year's course list indexed by section and by searchable ID. */
export class YearIndex {
  readonly size: number;
  readonly #bySection = new Map<string, CachedCourse[]>();
  readonly #bySearchId = new Map<string, CachedCourse[]>();

  constructor(courses: Iterable<CachedCourse>) {
    let n = 0;
    for (const c of courses) {
      n++;
      push(this.#bySection, c.section, c);
      for (const id of new Set(c.searchIds)) push(this.#bySearchId, id, c);
    }
    this.size = n;
  }

  match(sln: string): CopyMatch {
    return decideMatch(this.#bySection.get(sln) ?? [], () => this.#bySearchId.get(sln) ?? []);
  }
}

function push(map: Map<string, CachedCourse[]>, key: string, c: CachedCourse): void {
  const list = map.get(key);
  if (list) list.push(c);
  else map.set(key, [c]);
}

/**
 * From search answers (`section~SLN AND year~Y`, then `searchable_ids~SLN AND year~Y`, both
 * exact): `total` decides, and for a single hit its course. The original took the code of a
 * searchable-ID hit from the (empty) section answer; here each answer speaks for itself.
 */
export function searchHits(total: number, courses: readonly AlmaCourseRecord[]): readonly CachedCourse[] | number {
  if (total === 1 && courses.length === 1) return [toCachedCourse(courses[0]!)];
  return total;
}

/** Decide per copy year: fetch the whole list or search each candidate. */
export function lookupPlan(mode: 'auto' | 'always' | 'never', yearTotal: number | null, distinctCandidates: number, pageSize: number): 'cache' | 'search' {
  if (mode === 'always') return 'cache';
  if (mode === 'never' || yearTotal === null) return 'search';
  // The first page is already in hand; the rest costs one call per page, a search at least one call per candidate.
  const remainingPages = Math.max(0, Math.ceil(yearTotal / pageSize) - 1);
  return remainingPages <= distinctCandidates ? 'cache' : 'search';
}

/** The report row: the loader row turned into a ROLLOVER from the copy course. */
export function rolloverRow(row: CourseRow, copyCourse: CachedCourse, sln: string): CourseRow {
  return { ...row, operation: 'ROLLOVER', oldCourseCode: copyCourse.code, oldSectionId: sln };
}
