/** Synthetic source data for tests, benchmarks and the demo (never imported by jobs). */
export * from './table-def.js';
export * from './prng.js';
export * from './name-pools.js';
export * from './powerschool-schema.js';
export * from './powercampus-schema.js';
export { DEFAULT_POWERSCHOOL_OPTIONS, resolvePowerSchoolOptions, type PowerSchoolOptions, type PowerSchoolOptionsInput } from './powerschool-options.js';
export {
  DISTRICT_SCHOOLS, GRADUATED_SCHOOL_NUMBER, TERM_YEAR_SCHOOL_NUMBER, yearIdFor, type SchoolInfo,
} from './powerschool-catalog.js';
export * from './powerschool-generator.js';
export * from './powercampus-generator.js';
export * from './moodle-fixture.js';
export * from './cem-generator.js';
export * from './alma-fixture.js';
export * from './load-dataset.js';
export * from './pglite-snapshot.js';
