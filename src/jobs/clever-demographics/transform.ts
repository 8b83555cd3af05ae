import type { SqlRow } from '../../adapters/adapter-types.js';
import { isOne, optionalText, requiredIntegerText } from '../powerschool-shared/sql-values.js';

/**
 * Pure rules of the Clever race/ethnicity/LEP export (jobs-reference §2.4, product Decision 2).
 */

export interface CleverRules {
  /** Lower-cased test names; a student whose lower-cased first or last name is one is skipped. */
  testNames: ReadonlySet<string>;
  /** Illinois race code (canonical integer text) → Clever letter. */
  raceMap: Readonly<Record<string, string>>;
}

export function cleverRules(testNames: readonly string[], raceMap: Readonly<Record<string, string>>): CleverRules {
  return { testNames: new Set(testNames.map((n) => n.toLowerCase())), raceMap: { ...raceMap } };
}

export type CleverField = 'ethnicity' | 'race' | 'lep';

export interface FieldChange {
  field: CleverField;
  from: string;
  to: string;
}

export type CleverOutcome =
  | { kind: 'test-student'; studentNumber: string }
  | { kind: 'invalid-race-code'; studentNumber: string; fer: string }
  | { kind: 'unchanged'; studentNumber: string }
  | { kind: 'changed'; studentNumber: string; fields: [string, string, string, string]; changes: FieldChange[] };

const DIGITS = /^[+-]?\d+$/;

/** Whether the name pair marks a test record (exact match of the lower-cased name, no trimming, as the original). */
export function isTestStudent(first: string | null, last: string | null, rules: CleverRules): boolean {
  return rules.testNames.has((first ?? '').toLowerCase()) || rules.testNames.has((last ?? '').toLowerCase());
}

/**
 * Race letter for an Illinois `fer` code: NULL or blank → ''; an integer (surrounding blanks and
 * leading zeros allowed, as Python's int() did) → its map entry or '' when unmapped (11 Hispanic,
 * 0, unknown codes); anything else → null (the caller skips the student, as the original did).
 */
export function raceLetter(fer: string | null, rules: CleverRules): string | null {
  if (fer === null) return '';
  const t = fer.trim();
  if (t === '') return '';
  if (!DIGITS.test(t)) return null;
  const code = String(Number.parseInt(t, 10));
  return Object.hasOwn(rules.raceMap, code) ? (rules.raceMap[code] as string) : '';
}

/**
 * One student row → skip (test record / unreadable race code), unchanged, or the 4 fields to
 * write with the per-field changes. Current values are the U_DEF_EXT_STUDENTS0 fields with NULL
 * as ''; the comparison is exact and case-sensitive.
 */
export function cleverRecord(row: SqlRow, rules: CleverRules): CleverOutcome {
  const studentNumber = requiredIntegerText(row.student_number ?? null, 'student_number');
  const who = studentNumber;
  const first = optionalText(row.first_name ?? null, 'first_name', who);
  const last = optionalText(row.last_name ?? null, 'last_name', who);
  if (isTestStudent(first, last, rules)) return { kind: 'test-student', studentNumber };

  const fer = optionalText(row.fer ?? null, 'fer', who);
  const race = raceLetter(fer, rules);
  if (race === null) return { kind: 'invalid-race-code', studentNumber, fer: fer ?? '' };
  const ethnicity = isOne(row.fedethnicity ?? null) ? 'Y' : 'N';
  const lep = isOne(row.lep_yes ?? null) ? 'Y' : 'N';

  const current = {
    ethnicity: optionalText(row.custom_ethnicity ?? null, 'custom_ethnicity', who) ?? '',
    race: optionalText(row.custom_race ?? null, 'custom_race', who) ?? '',
    lep: optionalText(row.custom_lep ?? null, 'custom_lep', who) ?? '',
  };
  const computed = { ethnicity, race, lep };
  const changes: FieldChange[] = [];
  for (const field of ['ethnicity', 'race', 'lep'] as const) {
    if (current[field] !== computed[field]) changes.push({ field, from: current[field], to: computed[field] });
  }
  if (changes.length === 0) return { kind: 'unchanged', studentNumber };
  return { kind: 'changed', studentNumber, fields: [studentNumber, ethnicity, race, lep], changes };
}
