import { describe, expect, it } from 'vitest';
import { termCode } from '../../../src/jobs/leganto-shared/term-code.js';
import { loaderRules } from './rules.js';

const table = loaderRules().termCodes;

describe('term code (leganto_shared.py getStringTerm)', () => {
  it.each([
    ['1', '2026Spring-X-ENG101-1', 'SPRING'],
    ['1', '2026SpringC-X-ENG101-1', 'SPRING'],
    ['1', '2026SpringA-X-ENG101-1', 'TERM4'],
    ['1', '2026SpringB-X-ENG101-1', 'TERM5'],
    ['1', '2026SpringDYN-X-ENG101-1', 'TERM6'],
    ['4', '2026Summer-X-ENG101-1', 'SUMMER'],
    ['4', '2026SummerC-X-ENG101-1', 'SUMMER'],
    ['4', '2026SummerA-X-ENG101-1', 'TERM7'],
    ['4', '2026SummerB-X-ENG101-1', 'TERM8'],
    ['4', '2026SummerDYN-X-ENG101-1', 'SEMESTER1'],
    ['7', '2026Fall-X-ENG101-1', 'AUTUMN'],
    ['7', '2026FallC-X-ENG101-1', 'AUTUMN'],
    ['7', '2026FallA-X-ENG101-1', 'TERM1'],
    ['7', '2026FallB-X-ENG101-1', 'TERM2'],
    ['7', '2026FallDYN-X-ENG101-1', 'TERM3'],
  ])('TERM %s, %s → %s', (term, code, expected) => {
    expect(termCode(code, term, table)).toBe(expected);
  });

  it.each([
    ['7', '2026Spring-X-ENG101-1', 'a fall TERM on a spring code'],
    ['1', '2026Fall-X-ENG101-1', 'a spring TERM on a fall code'],
    ['4', '2026SummerD-X-ENG101-1', 'an unknown suffix'],
    ['2', '2026Spring-X-ENG101-1', 'a TERM without a table'],
    ['1', '', 'an empty course code'],
  ])('TERM %s, %j → null (%s)', (term, code) => {
    expect(termCode(code, term, table)).toBeNull();
  });

  it('only the first "-" part counts', () => {
    expect(termCode('2026Fall-X-Spring-1', '1', table)).toBeNull();
    expect(termCode('DEV2026Fall-X-ENG101-1', '7', table)).toBe('AUTUMN');
  });

  it('the longest configured suffix wins whatever the key order', () => {
    const t = loaderRules({ termCodes: { '1/N': 'ODD', '1/YN': 'ODDER' } }).termCodes;
    expect(termCode('2026SpringDYN-X', '1', t)).toBe('TERM6');
    expect(termCode('2026SpringXYN-X', '1', t)).toBe('ODDER');
    expect(termCode('2026SpringXN-X', '1', t)).toBe('ODD');
  });

  it('"" removes a default entry', () => {
    const t = loaderRules({ termCodes: { '1/gDYN': '' } }).termCodes;
    expect(termCode('2026SpringDYN-X', '1', t)).toBeNull();
    expect(termCode('2026Spring-X', '1', t)).toBe('SPRING');
  });
});
