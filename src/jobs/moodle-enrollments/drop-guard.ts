import type { ErrorCode } from '../../errors/error-codes.js';
import { percent } from '../shared/extract-guard.js';
import type { CourseOutcome } from './enrollment-diff.js';

/**
 * Guards that hold a cycle before it can wipe rosters (jobs-reference §3.8: a wrong term or an
 * outage returning zero rows made every Moodle student a drop). Pure: the job throws the verdict,
 * or delivers anyway under `--force` and notes it.
 *
 * Drop limits count academic courses only (hub courses never drop). "Current" is the synced-role
 * enrolments in Moodle of the courses that were read this cycle; limits are "more than": a share
 * exactly at the limit passes.
 * - site: drops > maxCount, or drops / current > maxShare;
 * - course: a course with at least courseMinSize current enrolments losing more than
 *   courseMaxShare of them (small courses swing by one or two students and are exempt).
 */

export interface DropGuardLimits {
  maxShare: number;
  maxCount: number;
  courseMaxShare: number;
  courseMinSize: number;
}

export type GuardVerdict = { held: false } | { held: true; code: Extract<ErrorCode, 'GUARD_DROP_LIMIT' | 'GUARD_EMPTY_SOURCE'>; reason: string };

const PASS: GuardVerdict = { held: false };
const COURSES_NAMED = 5;

export function checkDrops(courses: readonly CourseOutcome[], limits: DropGuardLimits): GuardVerdict {
  const academic = courses.filter((c) => c.kind === 'academic');
  const drops = academic.reduce((n, c) => n + c.drops, 0);
  const current = academic.reduce((n, c) => n + c.current, 0);
  const reasons: string[] = [];

  if (drops > limits.maxCount) {
    reasons.push(`site: ${fmt(drops)} drops exceed dropGuard.maxCount ${fmt(limits.maxCount)} (${fmt(current)} current enrollments in the courses read)`);
  }
  if (current > 0 && drops / current > limits.maxShare) {
    reasons.push(`site: ${fmt(drops)} drops of ${fmt(current)} current enrollments (${percent(drops / current)}) exceed dropGuard.maxShare ${percent(limits.maxShare)}`);
  }
  const heavy = academic.filter((c) => c.current >= limits.courseMinSize && c.current > 0 && c.drops / c.current > limits.courseMaxShare);
  if (heavy.length > 0) {
    const named = heavy
      .slice(0, COURSES_NAMED)
      .map((c) => `${JSON.stringify(c.shortname)} (id ${c.courseId}) ${fmt(c.drops)} of ${fmt(c.current)} (${percent(c.drops / c.current)})`);
    const more = heavy.length > COURSES_NAMED ? ` and ${heavy.length - COURSES_NAMED} more` : '';
    reasons.push(
      `course: ${named.join(', ')}${more} would lose more than dropGuard.courseMaxShare ${percent(limits.courseMaxShare)} of their enrollments ` +
        `(courses with at least dropGuard.courseMinSize ${fmt(limits.courseMinSize)} enrollments)`,
    );
  }
  return reasons.length === 0 ? PASS : { held: true, code: 'GUARD_DROP_LIMIT', reason: reasons.join('; ') };
}

export interface SourceCounts {
  academicYear: string;
  academicTerm: string;
  /** Academic mapping entries configured / rows the term query returned / rows of mapped courses. */
  academicEntries: number;
  termRows: number;
  mappedRows: number;
  /** Hub entries configured / hub rows returned. */
  hubEntries: number;
  hubRows: number;
}

/**
 * Hold when the pull that feeds drops came back empty: no roster rows for the mapped courses
 * (a wrong term returns no rows at all; a stale mapping file returns the term's rows but none for
 * its courses). With hubs only, an empty program pull is held too, although it could only ever
 * lose adds: it means the same wrong term.
 */
export function checkSource(c: SourceCounts): GuardVerdict {
  const term = `ACADEMIC_YEAR ${JSON.stringify(c.academicYear)}, ACADEMIC_TERM ${JSON.stringify(c.academicTerm)}`;
  if (c.academicEntries > 0 && c.mappedRows === 0) {
    const reason =
      c.termRows === 0
        ? `PowerCampus returned no enrollment rows for ${term}; check academicYear and academicTerm (every Moodle student would be dropped)`
        : `PowerCampus returned ${fmt(c.termRows)} enrollment rows for ${term} but none for the ${fmt(c.academicEntries)} mapped Moodle courses; check the mapping files (every Moodle student would be dropped)`;
    return { held: true, code: 'GUARD_EMPTY_SOURCE', reason };
  }
  if (c.academicEntries === 0 && c.hubEntries > 0 && c.hubRows === 0) {
    return { held: true, code: 'GUARD_EMPTY_SOURCE', reason: `PowerCampus returned no students of the hub programs for ${term}; check academicYear and academicTerm` };
  }
  return PASS;
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}
