import { describe, expect, it } from 'vitest';
import type { SqlRow } from '../../../src/adapters/adapter-types.js';
import { DEFAULT_RACE_MAP, DEFAULT_TEST_NAMES, validateCleverParams } from '../../../src/jobs/clever-demographics/descriptor.js';
import { cleverRecord, cleverRules, isTestStudent, raceLetter } from '../../../src/jobs/clever-demographics/transform.js';
import { cleverDefaults } from './helpers.js';

const rules = cleverRules(DEFAULT_TEST_NAMES, DEFAULT_RACE_MAP);

describe('raceLetter (default map 12→I 13→A 14→B 15→P 16→W 17→M)', () => {
  it.each([
    ['12', 'I'], ['13', 'A'], ['14', 'B'], ['15', 'P'], ['16', 'W'], ['17', 'M'],
    ['11', ''], ['0', ''], ['18', ''], ['', ''], ['  ', ''], [null, ''],
    [' 16 ', 'W'], ['016', 'W'], ['+15', 'P'],
    ['n/a', null], ['W', null], ['1 4', null], ['15.0', null],
  ] as const)('fer %j → %j', (fer, letter) => {
    expect(raceLetter(fer, rules)).toBe(letter);
  });

  it('follows a configured map (a site keeping the original 15→I)', () => {
    expect(raceLetter('15', cleverRules([], { ...DEFAULT_RACE_MAP, '15': 'I' }))).toBe('I');
  });
});

describe('isTestStudent', () => {
  it.each([
    ['TestStudent', 'Account', true],
    ['Sofia', 'User', true],
    ['Test Student', 'Smith', true],
    ['tester', null, true],
    [null, 'KarenTest', true],
    ['Testy', 'McTestface', false],
    [' tester', 'X', false], // no trimming, as the original
    ['Users', 'X', false],
    [null, null, false],
  ] as const)('%j %j → %s', (first, last, expected) => {
    expect(isTestStudent(first, last, rules)).toBe(expected);
  });
});

describe('cleverRecord', () => {
  const row = (over: Partial<SqlRow> = {}): SqlRow => ({
    dcid: 8501, student_number: 10001, first_name: 'Zoë', last_name: 'Nguyễn', fedethnicity: 1, fer: '16', fer_rows: 1, lep_yes: 1, lep_rows: 1,
    custom_ethnicity: 'Y', custom_race: 'W', custom_lep: 'Y', ...over,
  });

  it('is unchanged when the custom fields already hold the computed values', () => {
    expect(cleverRecord(row(), rules)).toEqual({ kind: 'unchanged', studentNumber: '10001' });
  });

  it('lists each changed field with old and new value and returns the 4 fields', () => {
    expect(cleverRecord(row({ fedethnicity: -1, custom_race: 'I', fer: '15' }), rules)).toEqual({
      kind: 'changed',
      studentNumber: '10001',
      fields: ['10001', 'N', 'P', 'Y'],
      changes: [
        { field: 'ethnicity', from: 'Y', to: 'N' },
        { field: 'race', from: 'I', to: 'P' },
      ],
    });
  });

  it.each([
    [1, 'Y'], ['1', 'Y'], [0, 'N'], [-1, 'N'], [null, 'N'], [2, 'N'],
  ] as const)('FedEthnicity %j → %s', (fed, expected) => {
    const out = cleverRecord(row({ fedethnicity: fed, custom_ethnicity: null }), rules);
    expect(out.kind).toBe('changed');
    if (out.kind === 'changed') expect(out.fields[1]).toBe(expected);
  });

  it.each([
    [1, 'Y'], [0, 'N'], [null, 'N'],
  ] as const)('LEP flag %j → %s (no S_IL_STU_X row arrives as NULL)', (lep, expected) => {
    const out = cleverRecord(row({ lep_yes: lep, custom_lep: 'x' }), rules);
    if (out.kind !== 'changed') throw new Error('expected a change');
    expect(out.fields[3]).toBe(expected);
  });

  it('treats NULL custom fields as empty strings and compares case-sensitively', () => {
    const out = cleverRecord(row({ fer: '11', custom_ethnicity: 'y', custom_race: null, custom_lep: 'Y' }), rules);
    expect(out).toMatchObject({ kind: 'changed', fields: ['10001', 'Y', '', 'Y'], changes: [{ field: 'ethnicity', from: 'y', to: 'Y' }] });
  });

  it('skips test records before anything else, even with an unreadable race code', () => {
    expect(cleverRecord(row({ first_name: 'Tester', fer: 'n/a', custom_race: null }), rules)).toEqual({ kind: 'test-student', studentNumber: '10001' });
  });

  it('reports an unreadable race code instead of guessing', () => {
    expect(cleverRecord(row({ fer: 'n/a' }), rules)).toEqual({ kind: 'invalid-race-code', studentNumber: '10001', fer: 'n/a' });
  });
});

describe('validateCleverParams', () => {
  it('accepts the defaults', () => {
    expect(validateCleverParams(cleverDefaults())).toEqual([]);
  });

  it('names a non-integer code, a value with a TAB and a file name with a directory', () => {
    const problems = validateCleverParams(cleverDefaults({ raceMap: { '015': 'P', x: 'Q', '16': 'W\t' }, fileName: 'a/b.txt' }));
    // Integer-like keys come first in a JS object's key order.
    expect(problems.map((p) => p.path)).toEqual(['raceMap.16', 'raceMap.015', 'raceMap.x', 'fileName']);
    expect(problems[0]!.message).toMatch(/without TAB or line breaks/);
    expect(problems[1]!.message).toMatch(/plain integer such as "15", found "015"/);
  });
});
