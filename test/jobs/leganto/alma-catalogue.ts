import type { AlmaFixture } from '../../../src/datagen/alma-fixture.js';
import type { AlmaCourse } from '../../../src/sandbox/alma-sandbox.js';

/** The datagen catalogue (reading lists as a count) in the sandbox's shape (reading lists as records). */
export function sandboxCourses(fixture: AlmaFixture): AlmaCourse[] {
  return fixture.courses.map((c) => ({
    id: c.id,
    code: c.code,
    name: c.name,
    section: c.section,
    year: c.year,
    searchable_id: c.searchable_id,
    status: c.status,
    academic_department: c.academic_department,
    processing_department: c.processing_department,
    term: c.term,
    reading_lists: Array.from({ length: c.reading_lists }, (_, i) => ({ id: `${c.id}-rl${i}`, code: `RL-${c.id}-${i}`, name: `Reading list ${i + 1}` })),
  }));
}
