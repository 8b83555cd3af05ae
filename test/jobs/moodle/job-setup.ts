import type { MoodleConnection, NamedConnection } from '../../../src/config/config-types.js';
import type { MoodleParams } from '../../../src/jobs/moodle-enrollments/descriptor.js';
import type { MoodleSandbox } from '../../../src/sandbox/moodle-sandbox.js';

/** Shared bits of the Moodle job tests: a moodle connection on a sandbox and default params. */

export const MOODLE_TOKEN = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
export const JOB_MODULE = new URL('../../../src/jobs/moodle-enrollments/job.ts', import.meta.url);

export function moodleConnection(sb: MoodleSandbox, over: Partial<MoodleConnection> = {}): NamedConnection<MoodleConnection> {
  return {
    name: 'moodle',
    type: 'moodle',
    url: sb.url,
    token: MOODLE_TOKEN,
    timeoutMs: 5_000,
    concurrency: 4,
    ratePerSecond: 0,
    retries: 2,
    retryDelayMs: 10,
    ...over,
  };
}

export function moodleParams(over: Partial<MoodleParams> = {}): MoodleParams {
  return {
    source: 'powercampus',
    moodle: 'moodle',
    mode: 'conduit',
    destination: 'conduit',
    remotePath: 'webcampus.test/conduit/enrollments.csv',
    mappings: ['handmade.json'],
    hubMappings: ['handmade-hub.json'],
    academicYear: '2027',
    academicTerm: 'Winter',
    roles: { student: 5, auditingstudent: 14 },
    // The hand-made site is tiny: its pending drops are a large share of it.
    dropGuard: { maxShare: 1, maxCount: 500, courseMaxShare: 1, courseMinSize: 10 },
    batchSize: 100,
    ...over,
  };
}
