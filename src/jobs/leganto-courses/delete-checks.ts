import { almaQuery, type AlmaClient, type AlmaSearchResult } from '../../adapters/alma/alma-client.js';
import { isSisrelayError } from '../../errors/sisrelay-error.js';
import type { CourseRow } from '../leganto-shared/loader-row.js';
import { runBounded } from '../leganto-shared/run-bounded.js';

/**
 * Should Alma receive this DELETE row? (product decision 5; leganto_transform.py:292-317 with its
 * quirks fixed.) One exact course-code search (`exact_search=true`, so 2018Fall-X-SDO598-92898 no
 * longer finds …-92898-3964), then reading lists of each course with that code:
 * - no course with the code → drop (a DELETE for a course Alma does not have only errors);
 * - any such course has a reading list → drop (never delete a course someone built lists in);
 * - otherwise → keep.
 * The original kept the row when the count was 0 and when the first hit was a longer code.
 */

export type DeleteVerdict =
  | { keep: false; reason: 'not-in-alma' }
  | { keep: false; reason: 'has-reading-lists'; courseIds: string[] }
  | { keep: true; reason: 'no-reading-lists'; courseIds: string[] }
  | { keep: false; reason: 'unsearchable'; message: string };

/** Courses in a search answer that really carry this code (a guard should Alma ignore exact_search). */
export function sameCodeCourses(code: string, result: AlmaSearchResult): string[] {
  const wanted = code.toLowerCase();
  return result.courses.filter((c) => c.code.toLowerCase() === wanted).map((c) => c.id);
}

/** The verdict once the reading-list answers for the same-code courses are known. */
export function deleteVerdict(courseIds: readonly string[], withReadingLists: readonly string[]): DeleteVerdict {
  if (courseIds.length === 0) return { keep: false, reason: 'not-in-alma' };
  if (withReadingLists.length > 0) return { keep: false, reason: 'has-reading-lists', courseIds: [...withReadingLists] };
  return { keep: true, reason: 'no-reading-lists', courseIds: [...courseIds] };
}

export async function checkDelete(alma: AlmaClient, code: string): Promise<DeleteVerdict> {
  let q: string;
  try {
    q = almaQuery(['code', code]);
  } catch (err) {
    if (isSisrelayError(err) && err.code === 'DATA_INVALID') return { keep: false, reason: 'unsearchable', message: err.message };
    throw err;
  }
  const found = await alma.searchCourses({ q, exact: true, limit: 100 });
  const ids = sameCodeCourses(code, found);
  const withLists: string[] = [];
  for (const id of ids) {
    // One course with lists is enough to refuse; stop spending calls.
    if (await alma.hasReadingLists(id)) {
      withLists.push(id);
      break;
    }
  }
  return deleteVerdict(ids, withLists);
}

export interface DeleteCheckOptions {
  /** Checks in flight at once (the HttpClient bounds calls further). */
  concurrency: number;
  signal: AbortSignal;
  onVerdict(row: CourseRow, verdict: DeleteVerdict): void;
}

/** Check each DELETE row, handing every verdict to `onVerdict`. Fails on the first Alma failure. */
export async function checkDeletes(alma: AlmaClient, deletes: readonly CourseRow[], opts: DeleteCheckOptions): Promise<void> {
  await runBounded(deletes, opts.concurrency, opts.signal, async (row) => opts.onVerdict(row, await checkDelete(alma, row.courseCode)));
}
