import { ALMA_MAX_PAGE, almaQuery, type AlmaClient, type AlmaCourseRecord } from '../../adapters/alma/alma-client.js';
import type { JobLogger } from '../job-types.js';
import { runBounded } from '../leganto-shared/run-bounded.js';
import { lookupPlan, searchHits, toCachedCourse, decideMatch, YearIndex, type CopyMatch } from './rollover-candidates.js';

/**
 * Copy-course lookups against Alma for the years the candidates need (course_caching.py, without
 * its swallowed page failures and its crash on a year without courses).
 *
 * Per copy year: the first list page (100 courses) tells how many courses the year has; when the
 * remaining pages cost no more calls than the year's candidates would in searches, the rest of the
 * list is fetched concurrently (the HttpClient keeps the rate under Alma's 25 calls/s) and every
 * candidate is matched in memory; otherwise each candidate is searched. Reading lists are asked
 * once per matched course.
 */

export interface CopyCourseLookupOptions {
  mode: 'auto' | 'always' | 'never';
  /** Pages or searches in flight at once. */
  concurrency: number;
  signal: AbortSignal;
  log: JobLogger;
}

export interface YearPlan {
  year: string;
  plan: 'cache' | 'search';
  /** Courses Alma has for the year, when a page was fetched. */
  total: number | null;
  candidates: number;
}

export class CopyCourseLookup {
  readonly #alma: AlmaClient;
  readonly #opts: CopyCourseLookupOptions;
  readonly #indexes = new Map<string, YearIndex>();
  readonly #readingLists = new Map<string, Promise<boolean>>();
  searches = 0;
  pages = 0;

  constructor(alma: AlmaClient, opts: CopyCourseLookupOptions) {
    this.#alma = alma;
    this.#opts = opts;
  }

  /** Prepare each year: fetch its list or leave it to searches. `slnsByYear`: distinct copy SLNs per year. */
  async prepare(slnsByYear: ReadonlyMap<string, ReadonlySet<string>>): Promise<YearPlan[]> {
    const plans: YearPlan[] = [];
    for (const [year, slns] of [...slnsByYear].sort(([a], [b]) => a.localeCompare(b))) {
      this.#opts.signal.throwIfAborted();
      let first: { total: number; courses: AlmaCourseRecord[] } | null = null;
      if (this.#opts.mode !== 'never') {
        first = await this.#page(year, 0);
      }
      const plan = lookupPlan(this.#opts.mode, first?.total ?? null, slns.size, ALMA_MAX_PAGE);
      if (plan === 'cache' && first !== null) {
        const courses = await this.#allPages(year, first);
        this.#indexes.set(year, new YearIndex(courses.map(toCachedCourse)));
        this.#opts.log.info(`course list for ${year}: ${courses.length} courses (Alma total ${first.total}); ${slns.size} copy SLNs matched in memory`);
      } else {
        this.#opts.log.info(`copy courses of ${year}: ${slns.size} SLNs searched one by one${first ? ` (the year has ${first.total} courses)` : ''}`);
      }
      plans.push({ year, plan, total: first?.total ?? null, candidates: slns.size });
    }
    return plans;
  }

  async match(sln: string, year: string): Promise<CopyMatch> {
    const index = this.#indexes.get(year);
    if (index) return index.match(sln);
    this.searches++;
    const bySection = await this.#alma.searchCourses({ q: almaQuery(['section', sln], ['year', year]), exact: true, limit: 10 });
    const sectionHits = searchHits(bySection.total, bySection.courses);
    if (sectionHits !== 0) return decideMatch(sectionHits, () => 0);
    this.searches++;
    const bySearchId = await this.#alma.searchCourses({ q: almaQuery(['searchable_ids', sln], ['year', year]), exact: true, limit: 10 });
    return decideMatch(0, () => searchHits(bySearchId.total, bySearchId.courses));
  }

  /** Whether the course has reading lists; one call per course however many rows point at it. */
  hasReadingLists(courseId: string): Promise<boolean> {
    let answer = this.#readingLists.get(courseId);
    if (answer === undefined) {
      answer = this.#alma.hasReadingLists(courseId);
      this.#readingLists.set(courseId, answer);
    }
    return answer;
  }

  get readingListChecks(): number {
    return this.#readingLists.size;
  }

  async #page(year: string, offset: number): Promise<{ total: number; courses: AlmaCourseRecord[] }> {
    this.pages++;
    return this.#alma.searchCourses({ q: almaQuery(['year', year]), exact: true, limit: ALMA_MAX_PAGE, offset });
  }

  async #allPages(year: string, first: { total: number; courses: AlmaCourseRecord[] }): Promise<AlmaCourseRecord[]> {
    const offsets: number[] = [];
    for (let o = ALMA_MAX_PAGE; o < first.total; o += ALMA_MAX_PAGE) offsets.push(o);
    const pages: AlmaCourseRecord[][] = new Array<AlmaCourseRecord[]>(offsets.length);
    await runBounded(offsets, this.#opts.concurrency, this.#opts.signal, async (offset, i) => {
      pages[i] = (await this.#page(year, offset)).courses;
    });
    // Courses added or removed while paging shift later pages; never keep one course twice.
    const seen = new Set<string>();
    const out: AlmaCourseRecord[] = [];
    for (const c of [first.courses, ...pages].flat()) {
      if (seen.has(c.id)) continue;
      seen.add(c.id);
      out.push(c);
    }
    return out;
  }
}
