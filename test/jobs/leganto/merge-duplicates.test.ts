import { describe, expect, it } from 'vitest';
import { CourseRowSet, MAX_SEARCHABLE_IDS, mergeRows } from '../../../src/jobs/leganto-shared/merge-duplicates.js';
import type { CourseRow } from '../../../src/jobs/leganto-shared/loader-row.js';
import { courseRow } from './rules.js';

const course = (over: Partial<CourseRow> = {}): CourseRow => courseRow({ line: 2, courseCode: 'C', sectionId: '100', ...over });

describe('mergeRows (merge_inst_and_search_ids)', () => {
  it('earlier SLN smaller: instructors and ids listed, earlier section kept and not listed', () => {
    const e = course({ sectionId: '100', searchableId1: 'ENG 101', instructor1: 'a1' });
    mergeRows(e, course({ line: 5, sectionId: '200', searchableId1: 'ENG 102', instructor1: 'b2' }));
    expect(e).toMatchObject({ sectionId: '100', searchableId1: '', allSearchableIds: 'ENG 101,ENG 102,200', instructor1: '', allInstructors: 'a1,b2', mergedLines: [5] });
  });

  it('earlier SLN larger: both SLNs appended, the row takes the smaller section', () => {
    const e = course({ sectionId: '300', searchableId1: 'ENG 101', instructor1: 'a1' });
    mergeRows(e, course({ sectionId: '200', searchableId1: 'ENG 101', instructor1: 'a1' }));
    expect(e).toMatchObject({ sectionId: '200', allSearchableIds: 'ENG 101,200,300', allInstructors: 'a1' });
  });

  it('SLNs compare as numbers, not text ("99" < "100")', () => {
    const e = course({ sectionId: '99' });
    mergeRows(e, course({ sectionId: '100', searchableId1: 'X' }));
    expect(e.sectionId).toBe('99');
    expect(e.allSearchableIds).toBe('ENG 101,X,100');
  });

  it('a third row folds into the lists the first merge built, without repeats', () => {
    const e = course({ sectionId: '100', searchableId1: 'ENG 101', instructor1: 'a1' });
    mergeRows(e, course({ sectionId: '200', searchableId1: 'ENG 102', instructor1: 'b2' }));
    mergeRows(e, course({ sectionId: '300', searchableId1: 'ENG 101', instructor1: 'a1' }));
    expect(e).toMatchObject({ sectionId: '100', allSearchableIds: 'ENG 101,ENG 102,200,300', allInstructors: 'a1,b2', instructor1: '', searchableId1: '' });
  });

  it('a later smaller SLN after earlier merges appends both SLNs after the cut', () => {
    const e = course({ sectionId: '500', searchableId1: 'A', instructor1: 'i0' });
    for (let k = 1; k <= 9; k++) mergeRows(e, course({ sectionId: String(500 + k), searchableId1: `S${k}`, instructor1: `i${k}` }));
    // 1 + 9×2 = 19 distinct values were offered; the list is cut to 10 every time.
    expect(e.allSearchableIds.split(',')).toHaveLength(MAX_SEARCHABLE_IDS);
    mergeRows(e, course({ sectionId: '400', searchableId1: 'Z' }));
    const ids = e.allSearchableIds.split(',');
    // Z and 400 fall to the cut at 10; then both sections are appended: 12 entries, the original's quirk.
    expect(ids).toHaveLength(12);
    expect(ids.slice(0, 10)).toEqual(['A', 'S1', '501', 'S2', '502', 'S3', '503', 'S4', '504', 'S5']);
    expect(ids.slice(-2)).toEqual(['400', '500']);
    expect(e.sectionId).toBe('400');
    // Instructors are never cut (the original has no limit there): i0…i9 and the last row's a1.
    expect(e.allInstructors).toBe('i0,i1,i2,i3,i4,i5,i6,i7,i8,i9,a1');
  });

  it('empty instructors and ids are never listed', () => {
    const e = course({ instructor1: '', searchableId1: 'ENG 101' });
    mergeRows(e, course({ instructor1: '', sectionId: '200', searchableId1: 'ENG 101' }));
    expect(e.allInstructors).toBe('');
    expect(e.allSearchableIds).toBe('ENG 101,200');
  });
});

describe('CourseRowSet: duplicate course codes', () => {
  it('approved + approved → merged into the earlier row', () => {
    const set = new CourseRowSet();
    expect(set.add(course({ line: 2 }))).toEqual({ kind: 'added' });
    const out = set.add(course({ line: 3, sectionId: '200', instructor1: 'b2' }));
    expect(out.kind).toBe('merged');
    expect([...set.values()]).toHaveLength(1);
    expect(set.get('C')).toMatchObject({ line: 2, allInstructors: 'a1,b2' });
  });

  it('approved + DELETE → the DELETE is dropped', () => {
    const set = new CourseRowSet();
    set.add(course({ line: 2 }));
    expect(set.add(course({ line: 3, operation: 'DELETE', sectionId: '200' }))).toMatchObject({ kind: 'dropped' });
    expect(set.get('C')).toMatchObject({ line: 2, operation: '', allInstructors: '' });
  });

  it('DELETE + approved → the approved row replaces it in the same position', () => {
    const set = new CourseRowSet();
    set.add(course({ courseCode: 'A', line: 2, operation: 'DELETE' }));
    set.add(course({ courseCode: 'B', line: 3 }));
    expect(set.add(course({ courseCode: 'A', line: 4, instructor1: 'z9' }))).toMatchObject({ kind: 'replaced', replaced: { line: 2 } });
    expect([...set.values()].map((r) => [r.courseCode, r.line, r.operation, r.instructor1])).toEqual([
      ['A', 4, '', 'z9'],
      ['B', 3, '', 'a1'],
    ]);
  });

  it('DELETE + DELETE → the second is dropped', () => {
    const set = new CourseRowSet();
    set.add(course({ line: 2, operation: 'DELETE' }));
    expect(set.add(course({ line: 3, operation: 'DELETE' }))).toMatchObject({ kind: 'dropped' });
    expect(set.get('C')?.line).toBe(2);
  });

  it('DELETE + approved + approved → replaced, then merged into the replacement', () => {
    const set = new CourseRowSet();
    set.add(course({ line: 2, operation: 'DELETE', instructor1: 'gone' }));
    set.add(course({ line: 3, sectionId: '300', instructor1: 'b2' }));
    set.add(course({ line: 4, sectionId: '200', instructor1: 'c3' }));
    expect(set.get('C')).toMatchObject({ line: 3, sectionId: '200', allInstructors: 'b2,c3', operation: '' });
  });

  it('an earlier ROLLOVER row is never merged: the new row is dropped', () => {
    const set = new CourseRowSet();
    set.add(course({ line: 2, operation: 'ROLLOVER' }));
    expect(set.add(course({ line: 3 }))).toMatchObject({ kind: 'dropped', reason: expect.stringContaining('Operation ROLLOVER') });
  });

  it('the same SLN under two course codes stays two rows', () => {
    const set = new CourseRowSet();
    set.add(course({ courseCode: 'C' }));
    set.add(course({ courseCode: 'DEVC' }));
    expect(set.size).toBe(2);
  });

  it('a non-numeric SLN cannot be merged: the new row is rejected, the earlier one stands', () => {
    const set = new CourseRowSet();
    set.add(course({ line: 2, sectionId: '100' }));
    expect(set.add(course({ line: 3, sectionId: 'X7' }))).toMatchObject({ kind: 'rejected', reason: expect.stringContaining('"X7" is not a number') });
    const set2 = new CourseRowSet();
    set2.add(course({ line: 2, sectionId: 'A1' }));
    expect(set2.add(course({ line: 3, sectionId: '100' }))).toMatchObject({ kind: 'rejected', reason: expect.stringContaining("earlier row's (line 2) section ID \"A1\"") });
    expect(set2.get('C')).toMatchObject({ line: 2, allInstructors: '' });
  });
});
