import { describe, expect, it } from 'vitest';
import type { CourseRow } from '../../../src/jobs/leganto-shared/loader-row.js';
import {
  YearIndex,
  copyCourseOf,
  decideMatch,
  lookupPlan,
  rolloverRow,
  searchHits,
  toCachedCourse,
  type CachedCourse,
} from '../../../src/jobs/leganto-rollover-report/rollover-candidates.js';
import { courseRow } from './rules.js';

function row(copy: Partial<CourseRow['copy']>, over: Partial<CourseRow> = {}): CourseRow {
  return courseRow({ copy: { sln: '-', year: '', term: '', courseId: '', ...copy }, ...over });
}

describe('copyCourseOf: which rows are rollover candidates', () => {
  it.each([
    [{ sln: '-' }, 'none'],
    [{ sln: '' }, 'none'],
    [{ sln: '0', year: '2025' }, 'none'],
    [{ sln: '0000', year: '2025' }, 'none'],
    [{ sln: '12345', year: '2025' }, 'candidate'],
    [{ sln: '012345', year: '2019' }, 'candidate'],
    [{ sln: '12a45', year: '2025' }, 'invalid'],
    [{ sln: '12345', year: '' }, 'invalid'],
    [{ sln: '12345', year: '25' }, 'invalid'],
  ])('%j → %s', (copy, kind) => {
    expect(copyCourseOf(row(copy)).kind).toBe(kind);
  });

  it('a candidate carries the SLN and year as given', () => {
    expect(copyCourseOf(row({ sln: '012345', year: '2019' }))).toEqual({ kind: 'candidate', sln: '012345', year: '2019' });
  });

  it('a DELETE row is never a candidate (the original could report a DENIED course as ROLLOVER)', () => {
    expect(copyCourseOf(row({ sln: '12345', year: '2025' }, { operation: 'DELETE' }))).toMatchObject({ kind: 'none' });
  });
});

const c = (id: string, section: string, searchIds: string[] = []): CachedCourse => ({ id, code: `CODE-${id}`, section, searchIds });

describe('YearIndex.match: section first, then searchable IDs, exactly one', () => {
  const index = new YearIndex([
    c('1', '11111'),
    c('2', '22222'),
    c('3', '22222'),
    c('4', '40000', ['33333']),
    c('5', '50000', ['44444', 'ENG 101']),
    c('6', '60000', ['44444']),
    c('7', '70000', ['55555']),
    c('8', '55555'),
    c('9', '90000', ['22222']),
    c('10', '66666', ['66666']),
  ]);

  it.each([
    ['11111', { kind: 'unique', course: expect.objectContaining({ id: '1' }), by: 'section' }],
    ['22222', { kind: 'ambiguous', by: 'section', count: 2 }],
    ['33333', { kind: 'unique', course: expect.objectContaining({ id: '4' }), by: 'searchable-id' }],
    ['44444', { kind: 'ambiguous', by: 'searchable-id', count: 2 }],
    ['55555', { kind: 'unique', course: expect.objectContaining({ id: '8' }), by: 'section' }],
    ['66666', { kind: 'unique', course: expect.objectContaining({ id: '10' }), by: 'section' }],
    ['99999', { kind: 'none' }],
  ])('%s → %o', (sln, expected) => {
    expect(index.match(sln)).toEqual(expected);
  });

  it('counts its courses', () => {
    expect(index.size).toBe(10);
  });
});

describe('search answers give the same decisions', () => {
  const hit = { id: '4', code: 'X', name: 'n', section: '40000', year: '2025', searchable_id: ['33333', '-'] };
  it('one hit → that course, "-" ids dropped', () => {
    expect(searchHits(1, [hit])).toEqual([{ id: '4', code: 'X', section: '40000', searchIds: ['33333'] }]);
    expect(toCachedCourse({ id: '1', code: 'C', name: 'n', section: '1', year: '2025' })).toEqual({ id: '1', code: 'C', section: '1', searchIds: [] });
  });

  it('several or none → the count', () => {
    expect(searchHits(3, [hit, hit])).toBe(3);
    expect(searchHits(0, [])).toBe(0);
  });

  it('decideMatch: a section answer decides before the searchable-ID one is even asked', () => {
    let asked = false;
    const ask = () => {
      asked = true;
      return 1;
    };
    expect(decideMatch(2, ask)).toEqual({ kind: 'ambiguous', by: 'section', count: 2 });
    expect(asked).toBe(false);
    expect(decideMatch(0, () => [c('4', '40000', ['33333'])])).toMatchObject({ kind: 'unique', by: 'searchable-id' });
    expect(decideMatch(0, () => 0)).toEqual({ kind: 'none' });
  });
});

describe('lookupPlan: list a year or search its candidates', () => {
  it.each([
    ['always', 15_000, 1, 'cache'],
    ['never', 15_000, 10_000, 'search'],
    ['auto', 15_000, 149, 'cache'],
    ['auto', 15_000, 148, 'search'],
    ['auto', 15_001, 150, 'cache'],
    ['auto', 100, 1, 'cache'],
    ['auto', 0, 1, 'cache'],
    ['auto', 101, 1, 'cache'],
    ['auto', 201, 1, 'search'],
  ] as const)('%s, %d courses, %d candidates → %s', (mode, total, n, plan) => {
    expect(lookupPlan(mode, total, n, 100)).toBe(plan);
  });

  it('without a first page there is nothing to cache', () => {
    expect(lookupPlan('auto', null, 10_000, 100)).toBe('search');
  });
});

describe('rolloverRow', () => {
  it('sets Operation, Old Course Code and Old Course Section ID, leaving the loader row alone', () => {
    const r = row({ sln: '12345', year: '2025' });
    const out = rolloverRow(r, c('4', '12345'), '12345');
    expect(out).toMatchObject({ operation: 'ROLLOVER', oldCourseCode: 'CODE-4', oldSectionId: '12345', courseCode: r.courseCode });
    expect(r.operation).toBe('');
  });
});
