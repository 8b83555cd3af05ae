import type { PlacementTables } from './leganto-rules.js';

export interface PlacementInput {
  campus: string;
  college: string;
  /** COURSE_ID after the missing-value substitution. */
  courseId: string;
  courseCode: string;
}

/**
 * Where a course is processed in Alma (leganto_transform.py:144-185):
 * first by campus (Tempe campuses by college, campus/college pairs before plain campuses), then
 * COURSE_ID prefix overrides, then course-code prefix overrides, each later step winning.
 *
 * `department` is null when the campus step fell back to a fallback configured as null and no
 * override placed the row (the row is rejected); `fallback` says which fallback the campus step
 * used, for the run log's warning, even when an override then decided the department.
 */
export interface Placement {
  department: string | null;
  fallback: 'unknown-campus' | 'unknown-college' | null;
}

export function processingDepartment(input: PlacementInput, t: PlacementTables): Placement {
  const campusStep = byCampus(input.campus, input.college, t);
  let department = campusStep.department;
  // An override places the row even when the campus step could not (fallback null = reject).
  const byCourseId = longestPrefix(input.courseId, t.courseIdPrefixDepartments);
  if (byCourseId !== undefined) department = byCourseId;
  const byCode = longestPrefix(input.courseCode, t.courseCodePrefixDepartments);
  if (byCode !== undefined) department = byCode;
  return { department, fallback: campusStep.fallback };
}

function byCampus(campus: string, college: string, t: PlacementTables): Placement {
  if (t.onlineCampuses.has(campus)) {
    const p = byTempeCollege(college, t);
    return p.department === null ? p : { department: t.onlineDepartmentOverrides.get(p.department) ?? p.department, fallback: p.fallback };
  }
  const pair = t.campusCollegeDepartments.get(`${campus}/${college}`);
  if (pair !== undefined) return { department: pair, fallback: null };
  if (t.tempeCampuses.has(campus)) return byTempeCollege(college, t);
  const plain = t.campusDepartments.get(campus);
  if (plain !== undefined) return { department: plain, fallback: null };
  return { department: t.unknownCampusDepartment, fallback: 'unknown-campus' };
}

function byTempeCollege(college: string, t: PlacementTables): Placement {
  const d = t.tempeCollegeDepartments.get(college);
  if (d !== undefined) return { department: d, fallback: null };
  return { department: t.unknownTempeCollegeDepartment, fallback: 'unknown-college' };
}

export function longestPrefix(value: string, table: ReadonlyArray<readonly [string, string]>): string | undefined {
  // Tables are sorted longest key first, so the first hit is the most specific.
  for (const [prefix, department] of table) if (value.startsWith(prefix)) return department;
  return undefined;
}
