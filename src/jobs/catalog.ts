import type { JobCatalog, JobTypeDescriptor } from './job-types.js';
import { littlesisRoster } from './littlesis-roster/descriptor.js';
import { cleverDemographics } from './clever-demographics/descriptor.js';
import { samegoalDemographics } from './samegoal-demographics/descriptor.js';
import { moodleEnrollments } from './moodle-enrollments/descriptor.js';
import { legantoCourses } from './leganto-courses/descriptor.js';
import { legantoRolloverReport } from './leganto-rollover-report/descriptor.js';

/**
 * Every job type sisrelay ships, by type name. An explicit list (no directory scanning): adding a
 * job type is one import here. Descriptors hold the params schema and the module URL only; the
 * job code itself is imported by the run process, never by the daemon.
 */
export function jobCatalog(extra: readonly JobTypeDescriptor[] = []): JobCatalog {
  const all = [littlesisRoster, cleverDemographics, samegoalDemographics, moodleEnrollments, legantoCourses, legantoRolloverReport, ...extra];
  return new Map(all.map((d) => [d.type, d]));
}
