/**
 * Column names the SameGoal job has a PowerSchool source for. Kept apart from transform.ts so the
 * descriptor (loaded by the daemon to validate config) does not pull in job code; transform.ts
 * keys its source tables by these types, so the lists cannot drift.
 */

export const STUDENT_SOURCE_COLUMNS = [
  'Student Id', 'Last Name', 'Middle Name', 'First Name', 'Date of Birth', 'Gender', 'District Enrollment', 'Grade',
  'Address', 'City', 'State', 'Zip', 'Race', 'District of Residence', 'County of Residence', 'District of Service',
  'Student Reporting Id', 'Building', 'Building Reporting Id', 'SIS Internal ID',
] as const;

export const GUARDIAN_SOURCE_COLUMNS = [
  'Student Id', 'Last Name', 'First Name', 'Relationship', 'Address', 'City', 'State', 'Zip', 'Home Phone', 'Work Phone', 'Cell Phone', 'Email', 'Language',
] as const;

export type StudentColumn = (typeof STUDENT_SOURCE_COLUMNS)[number];
export type GuardianColumn = (typeof GUARDIAN_SOURCE_COLUMNS)[number];

/** Column names in `columns` that have neither a source nor a fixed value. */
export function unknownColumns(columns: readonly string[], known: readonly string[], fixed: Readonly<Record<string, string>>): string[] {
  return columns.filter((c) => !known.includes(c) && !Object.hasOwn(fixed, c));
}
