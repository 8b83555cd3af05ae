import { describe, expect, it } from 'vitest';
import { checkDrops, checkSource, type DropGuardLimits } from '../../../src/jobs/moodle-enrollments/drop-guard.js';
import type { CourseOutcome } from '../../../src/jobs/moodle-enrollments/enrollment-diff.js';

const LIMITS: DropGuardLimits = { maxShare: 0.2, maxCount: 500, courseMaxShare: 0.5, courseMinSize: 10 };

function course(shortname: string, current: number, drops: number, kind: 'academic' | 'hub' = 'academic'): CourseOutcome {
  return { shortname, courseId: shortname.length, kind, current, adds: 0, drops };
}
/** n filler courses of 100 enrolments without drops. */
const filler = (n: number): CourseOutcome[] => Array.from({ length: n }, (_, i) => course(`F${i}`, 100, 0));

describe('checkDrops', () => {
  it.each<[string, CourseOutcome[], Partial<DropGuardLimits>, string | null]>([
    ['no drops', [course('A', 40, 0)], {}, null],
    ['site share exactly at the limit passes', [course('A', 40, 8), ...filler(0)], { courseMaxShare: 1 }, null],
    ['site share above the limit holds', [course('A', 40, 9)], { courseMaxShare: 1 }, 'site: 9 drops of 40 current enrollments (22.5%) exceed dropGuard.maxShare 20%'],
    ['count above maxCount holds even when the share is small', [course('A', 1000, 6), ...filler(50)], { maxCount: 5 }, 'site: 6 drops exceed dropGuard.maxCount 5 (6,000 current enrollments in the courses read)'],
    ['count exactly at maxCount passes', [course('A', 1000, 5), ...filler(50)], { maxCount: 5 }, null],
    [
      'one course losing more than courseMaxShare holds, naming it',
      [course('BIO101-01', 40, 21), ...filler(10)],
      {},
      'course: "BIO101-01" (id 9) 21 of 40 (52.5%) would lose more than dropGuard.courseMaxShare 50% of their enrollments (courses with at least dropGuard.courseMinSize 10 enrollments)',
    ],
    ['a course below courseMinSize is exempt', [course('SMALL', 9, 9), ...filler(10)], {}, null],
    ['a course at courseMinSize is checked', [course('SMALL', 10, 6), ...filler(10)], {}, 'course: "SMALL" (id 5) 6 of 10 (60%)'],
    ['hub courses never count', [course('HUB', 100, 100, 'hub'), course('A', 10, 0)], {}, null],
    ['maxCount 0 holds any drop', [course('A', 100, 1)], { maxCount: 0 }, 'site: 1 drops exceed dropGuard.maxCount 0'],
  ])('%s', (_name, courses, over, expected) => {
    const v = checkDrops(courses, { ...LIMITS, ...over });
    if (expected === null) {
      expect(v).toEqual({ held: false });
    } else {
      expect(v.held).toBe(true);
      if (v.held) {
        expect(v.code).toBe('GUARD_DROP_LIMIT');
        expect(v.reason).toContain(expected);
      }
    }
  });

  it('names at most five courses and counts the rest', () => {
    const heavy = Array.from({ length: 7 }, (_, i) => course(`C${i}`, 20, 20));
    const v = checkDrops([...heavy, ...filler(100)], LIMITS);
    expect(v.held && v.reason).toContain('"C4" (id 2) 20 of 20 (100%) and 2 more would lose');
    expect(v.held && v.reason).not.toContain('"C5"');
  });

  it('every rule that trips is in the reason', () => {
    const v = checkDrops([course('A', 100, 100)], LIMITS);
    expect(v.held && v.reason.split('; ').map((s) => s.split(':')[0])).toEqual(['site', 'course']);
  });
});

describe('checkSource', () => {
  const base = { academicYear: '2027', academicTerm: 'Winter', academicEntries: 3, termRows: 100, mappedRows: 40, hubEntries: 1, hubRows: 5 };

  it('passes when mapped rows came back', () => {
    expect(checkSource(base)).toEqual({ held: false });
  });

  it('holds a wrong term (no rows at all), naming year and term', () => {
    expect(checkSource({ ...base, termRows: 0, mappedRows: 0, hubRows: 0 })).toEqual({
      held: true,
      code: 'GUARD_EMPTY_SOURCE',
      reason: 'PowerCampus returned no enrollment rows for ACADEMIC_YEAR "2027", ACADEMIC_TERM "Winter"; check academicYear and academicTerm (every Moodle student would be dropped)',
    });
  });

  it('holds rows for the term but none for the mapped courses (a stale mapping file)', () => {
    const v = checkSource({ ...base, termRows: 1234, mappedRows: 0 });
    expect(v.held && v.reason).toBe(
      'PowerCampus returned 1,234 enrollment rows for ACADEMIC_YEAR "2027", ACADEMIC_TERM "Winter" but none for the 3 mapped Moodle courses; check the mapping files (every Moodle student would be dropped)',
    );
  });

  it('hubs only: an empty program pull holds; hub rows do not rescue an empty academic pull', () => {
    expect(checkSource({ ...base, academicEntries: 0, termRows: 0, mappedRows: 0, hubRows: 0 }).held).toBe(true);
    expect(checkSource({ ...base, academicEntries: 0, termRows: 0, mappedRows: 0, hubRows: 3 }).held).toBe(false);
    expect(checkSource({ ...base, mappedRows: 0, termRows: 0, hubRows: 30 }).held).toBe(true);
  });
});
