import { readFileSync } from 'node:fs';
import JSON5 from 'json5';
import { buildMoodleFixture } from '../../src/datagen/moodle-fixture.js';
import type { AcademicTerm } from '../../src/datagen/powercampus-generator.js';

/** The demo's mapping files as generated from config/demo.json's PowerCampus connection. */
export function demoMappings(): { academic: unknown; hub: unknown } {
  const config = JSON5.parse(readFileSync(new URL('../../config/demo.json', import.meta.url), 'utf8')) as {
    connections: Record<string, { seed: number; students: number; academicYear: string; academicTerm: AcademicTerm; courses: number }>;
  };
  const pc = config.connections['demo-powercampus']!;
  const fx = buildMoodleFixture({ seed: pc.seed, students: pc.students, year: pc.academicYear, term: pc.academicTerm, courses: pc.courses });
  return { academic: fx.mapping, hub: fx.nonAcademicMapping };
}
