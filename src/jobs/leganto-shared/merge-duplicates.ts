import type { CourseRow } from './loader-row.js';

/**
 * Rows keyed by course code, in first-appearance order, with the original's duplicate rules
 * (leganto_transform.py:265-280, leganto_shared.py:219-266). Alma keys a course on code +
 * section and rejects a second line for the same key, so one code must yield one row:
 *
 * - earlier and new both add/update (empty Operation) → merged into the earlier row (mergeRows);
 * - new row DELETE → dropped, the earlier row stands;
 * - earlier row DELETE, new row add/update → the new row replaces it, in the earlier position;
 * - any other pair (an earlier ROLLOVER row) → the new row is dropped.
 *
 * The same SLN under different course codes is deliberately not merged (dev copies).
 */

/** Searchable IDs kept from the de-duplicated list before the section numbers are added. */
export const MAX_SEARCHABLE_IDS = 10;

export type AddOutcome =
  | { kind: 'added' }
  | { kind: 'merged'; into: CourseRow }
  | { kind: 'replaced'; replaced: CourseRow }
  | { kind: 'dropped'; earlier: CourseRow; reason: string }
  | { kind: 'rejected'; earlier: CourseRow; reason: string };

export class CourseRowSet {
  readonly #rows = new Map<string, CourseRow>();

  get size(): number {
    return this.#rows.size;
  }

  get(courseCode: string): CourseRow | undefined {
    return this.#rows.get(courseCode);
  }

  /** Rows in first-appearance order of their course codes. */
  values(): IterableIterator<CourseRow> {
    return this.#rows.values();
  }

  delete(courseCode: string): boolean {
    return this.#rows.delete(courseCode);
  }

  add(row: CourseRow): AddOutcome {
    const earlier = this.#rows.get(row.courseCode);
    if (earlier === undefined) {
      this.#rows.set(row.courseCode, row);
      return { kind: 'added' };
    }
    if (row.operation === '' && earlier.operation === '') {
      const problem = mergeProblem(earlier, row);
      if (problem !== null) return { kind: 'rejected', earlier, reason: problem };
      mergeRows(earlier, row);
      return { kind: 'merged', into: earlier };
    }
    if (row.operation === 'DELETE') {
      return { kind: 'dropped', earlier, reason: `DELETE for a course code already present (line ${earlier.line}, Operation ${earlier.operation || 'add/update'})` };
    }
    if (earlier.operation === 'DELETE') {
      // Map.set on an existing key keeps its position: the replacement sits where the DELETE was.
      this.#rows.set(row.courseCode, row);
      return { kind: 'replaced', replaced: earlier };
    }
    return { kind: 'dropped', earlier, reason: `course code already present with Operation ${earlier.operation} (line ${earlier.line})` };
  }
}

/** Why two add/update rows cannot be merged (the original crashed on int() of such an SLN), or null. */
export function mergeProblem(earlier: CourseRow, later: CourseRow): string | null {
  for (const [row, which] of [
    [earlier, `the earlier row's (line ${earlier.line})`],
    [later, "this row's"],
  ] as const) {
    if (!/^\d+$/.test(row.sectionId)) {
      return `cannot merge with the earlier row for ${earlier.courseCode}: ${which} section ID ${JSON.stringify(row.sectionId)} is not a number`;
    }
  }
  return null;
}

/**
 * Fold `later` into `earlier` (both add/update, same course code), as merge_inst_and_search_ids:
 * - ALL_INSTRUCTORS = de-duplicated (earlier Instructor 1, earlier list, later Instructor 1);
 *   Instructor 1 is cleared;
 * - ALL_SEARCHABLE_IDS = de-duplicated (earlier Searchable ID 1, earlier list, later Searchable
 *   ID 1, later section), cut to MAX_SEARCHABLE_IDS; then, when the earlier section is
 *   numerically larger, both sections are appended if absent (the list may pass 10) and the row
 *   takes the smaller section. Searchable ID 1 is cleared.
 * Empty values are never listed (the original skipped ""; its NULLs crashed the join).
 */
export function mergeRows(earlier: CourseRow, later: CourseRow): void {
  const instructors = new UniqueList();
  instructors.add(earlier.instructor1);
  instructors.addAll(earlier.allInstructors);
  instructors.add(later.instructor1);
  earlier.allInstructors = instructors.join();
  earlier.instructor1 = '';

  const ids = new UniqueList();
  ids.add(earlier.searchableId1);
  ids.addAll(earlier.allSearchableIds);
  ids.add(later.searchableId1);
  ids.add(later.sectionId);
  ids.truncate(MAX_SEARCHABLE_IDS);
  if (BigInt(earlier.sectionId) > BigInt(later.sectionId)) {
    ids.add(later.sectionId);
    ids.add(earlier.sectionId);
    earlier.sectionId = later.sectionId;
  }
  earlier.allSearchableIds = ids.join();
  earlier.searchableId1 = '';
  earlier.mergedLines.push(later.line);
}

class UniqueList {
  #items: string[] = [];

  add(value: string): void {
    if (value !== '' && !this.#items.includes(value)) this.#items.push(value);
  }

  addAll(commaList: string): void {
    if (commaList === '') return;
    for (const v of commaList.split(',')) this.add(v);
  }

  truncate(n: number): void {
    if (this.#items.length > n) this.#items = this.#items.slice(0, n);
  }

  join(): string {
    return this.#items.join(',');
  }
}
