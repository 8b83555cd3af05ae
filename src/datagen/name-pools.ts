/**
 * Name pools for generated people. Besides ordinary names they hold the values that break naive
 * exports: commas ("Smith, Jr."), embedded double quotes (Robert "Bob"), apostrophes, accented
 * letters that windows-1252 can encode, a few letters it cannot (for encoding-error tests), and the
 * test-student names the Clever job must skip.
 */
import type { Prng } from './prng.js';

export type NameKind = 'plain' | 'comma' | 'quote' | 'apostrophe' | 'accent' | 'nonWin1252' | 'test';

/** The Clever job's default test-name list (lower case, compared against lower-cased names). */
export const TEST_STUDENT_NAMES = [
  'use',
  'user',
  'teststudent',
  'test student',
  'testtt',
  'testtest',
  'karentest',
  'tester',
] as const;

/** How test names are spelled in the SIS: mixed case, so only a lower-cased comparison finds them. */
const TEST_NAME_SPELLINGS = ['Use', 'User', 'TestStudent', 'Test Student', 'Testtt', 'TestTest', 'Karentest', 'TESTER'];

export const PLAIN_FIRST_NAMES = [
  'Aiden', 'Amelia', 'Ava', 'Benjamin', 'Caleb', 'Charlotte', 'Daniel', 'Dylan', 'Elijah', 'Ella',
  'Emily', 'Emma', 'Ethan', 'Evelyn', 'Gabriel', 'Grace', 'Hannah', 'Harper', 'Henry', 'Isaac',
  'Isabella', 'Jack', 'Jackson', 'Jacob', 'James', 'Layla', 'Leah', 'Liam', 'Lily', 'Logan',
  'Lucas', 'Madison', 'Mason', 'Mia', 'Michael', 'Nathan', 'Noah', 'Nora', 'Oliver', 'Olivia',
  'Owen', 'Riley', 'Ryan', 'Samuel', 'Scarlett', 'Sofia', 'Sophia', 'Victoria', 'William', 'Zachary',
  'Karen', 'Tess', 'Maria', 'Juan', 'Priya', 'Wei', 'Fatima', 'Omar', 'Anna', 'Piotr',
];

export const PLAIN_LAST_NAMES = [
  'Anderson', 'Brown', 'Clark', 'Davis', 'Evans', 'Fischer', 'Garcia', 'Gonzalez', 'Hall', 'Harris',
  'Hernandez', 'Jackson', 'Johnson', 'Jones', 'Kim', 'Kowalski', 'Lee', 'Lewis', 'Lopez', 'Martin',
  'Martinez', 'Miller', 'Moore', 'Nelson', 'Nowak', 'Patel', 'Perez', 'Robinson', 'Rodriguez', 'Shah',
  'Smith', 'Taylor', 'Thomas', 'Thompson', 'Walker', 'White', 'Williams', 'Wilson', 'Wright', 'Young',
  // Near misses of test names: must NOT be treated as test students.
  'Testa', 'Usher', 'Tester-Smith',
];

const MIDDLE_NAMES = ['Marie', 'James', 'Lee', 'Ann', 'Michael', 'Rose', 'Alexander', 'Grace', 'J.', 'R.'];

const COMMA_LAST_NAMES = ['Smith, Jr.', 'Garcia, III', 'Johnson, Sr.', 'Williams, II'];
const QUOTE_FIRST_NAMES = ['Robert "Bob"', 'Elizabeth "Liz"', 'William "Bill"', 'Katherine "Kat"'];
const APOSTROPHE_LAST_NAMES = ["O'Brien", "D'Angelo", "O'Connor", "N'Diaye"];
const APOSTROPHE_FIRST_NAMES = ["D'Andre", "Ja'Marcus", "O'Neal"];
const ACCENT_FIRST_NAMES = ['José', 'Zoë', 'Chloé', 'Renée', 'François', 'Søren', 'Jürgen', 'Inés', 'Maëlle'];
const ACCENT_LAST_NAMES = ['Nuñez', 'Müller', 'Peña', 'Ibáñez', 'Gonçalves', 'Sánchez', 'Strauß', 'Øberg'];

/** Names windows-1252 cannot encode, paired with the ASCII spelling used when they are switched off. */
const NON_WIN1252_FIRST_NAMES: readonly (readonly [string, string])[] = [
  ['Łukasz', 'Lukasz'],
  ['Thảo', 'Thao'],
  ['Nguyệt', 'Nguyet'],
];
const NON_WIN1252_LAST_NAMES: readonly (readonly [string, string])[] = [
  ['Nguyễn', 'Nguyen'],
  ['Trần', 'Tran'],
  ['Dvořák', 'Dvorak'],
];

export interface NameOptions {
  /** Share of names with a comma, quote, apostrophe or accent. Default 0.06. */
  specialRate: number;
  /** Share of test students (first or last name from the test list). Default 0.01. */
  testRate: number;
  /** Share of names with characters windows-1252 cannot encode. Default 0.004. */
  nonWin1252Rate: number;
  /**
   * When false, the names drawn as non-windows-1252 are written in their ASCII spelling instead,
   * so switching them off changes those strings only and every other value stays identical.
   * Default true.
   */
  nonWin1252: boolean;
}

export const DEFAULT_NAME_OPTIONS: NameOptions = {
  specialRate: 0.06,
  testRate: 0.01,
  nonWin1252Rate: 0.004,
  nonWin1252: true,
};

export interface PersonName {
  first: string;
  middle: string | null;
  last: string;
  kind: NameKind;
}

export function drawNameKind(rng: Prng, options: NameOptions): NameKind {
  const r = rng.next();
  if (r < options.testRate) return 'test';
  if (r < options.testRate + options.nonWin1252Rate) return 'nonWin1252';
  if (r < options.testRate + options.nonWin1252Rate + options.specialRate) {
    return rng.pick(['comma', 'quote', 'apostrophe', 'accent'] as const);
  }
  return 'plain';
}

/**
 * Draw a name of the given kind. `familyLast` (when given) is used as the last name unless the kind
 * itself is about the last name. The number of draws from `rng` does not depend on the options, so
 * toggling `nonWin1252` never shifts later values.
 */
export function drawName(rng: Prng, kind: NameKind, options: NameOptions, familyLast?: string): PersonName {
  const plainFirst = rng.pick(PLAIN_FIRST_NAMES);
  const plainLast = familyLast ?? rng.pick(PLAIN_LAST_NAMES);
  const middleRoll = rng.next();
  const middle = middleRoll < 0.45 ? null : rng.pick(MIDDLE_NAMES);
  const side = rng.chance(0.5) ? 'first' : 'last';
  const specialPickA = rng.next();
  switch (kind) {
    case 'plain':
      return { first: plainFirst, middle, last: plainLast, kind };
    case 'comma':
      return { first: plainFirst, middle, last: pickAt(COMMA_LAST_NAMES, specialPickA), kind };
    case 'quote':
      return { first: pickAt(QUOTE_FIRST_NAMES, specialPickA), middle, last: plainLast, kind };
    case 'apostrophe':
      return side === 'first'
        ? { first: pickAt(APOSTROPHE_FIRST_NAMES, specialPickA), middle, last: plainLast, kind }
        : { first: plainFirst, middle, last: pickAt(APOSTROPHE_LAST_NAMES, specialPickA), kind };
    case 'accent':
      return side === 'first'
        ? { first: pickAt(ACCENT_FIRST_NAMES, specialPickA), middle, last: plainLast, kind }
        : { first: plainFirst, middle, last: pickAt(ACCENT_LAST_NAMES, specialPickA), kind };
    case 'nonWin1252': {
      const [fancy, ascii] = side === 'first'
        ? pickAt(NON_WIN1252_FIRST_NAMES, specialPickA)
        : pickAt(NON_WIN1252_LAST_NAMES, specialPickA);
      const value = options.nonWin1252 ? fancy : ascii;
      return side === 'first'
        ? { first: value, middle, last: plainLast, kind }
        : { first: plainFirst, middle, last: value, kind };
    }
    case 'test': {
      const testName = pickAt(TEST_NAME_SPELLINGS, specialPickA);
      return side === 'first'
        ? { first: testName, middle: null, last: plainLast, kind }
        : { first: plainFirst, middle: null, last: testName, kind };
    }
  }
}

function pickAt<T>(items: readonly T[], roll: number): T {
  return items[Math.floor(roll * items.length)] as T;
}

/** True when the name is one the Clever job's default list treats as a test record. */
export function isTestStudentName(first: string | null, last: string | null): boolean {
  const names: readonly string[] = TEST_STUDENT_NAMES;
  return names.includes((first ?? '').toLowerCase()) || names.includes((last ?? '').toLowerCase());
}

// Characters windows-1252 maps into 0x80–0x9F (0x81, 0x8D, 0x8F, 0x90, 0x9D are unassigned).
const WIN1252_HIGH = new Set(
  '€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ'.split(''),
);

/** Whether every character of `text` has a windows-1252 byte. */
export function isWin1252Encodable(text: string): boolean {
  for (const ch of text) {
    const cp = ch.codePointAt(0) as number;
    if (cp < 0x80) continue;
    if (cp >= 0xa0 && cp <= 0xff) continue;
    if (WIN1252_HIGH.has(ch)) continue;
    return false;
  }
  return true;
}
