import { describe, expect, it } from 'vitest';
import { finalNameOfTemp, isTempFileName, randomToken, tempFileName } from '../../src/adapters/files/temp-name.js';

describe('tempFileName', () => {
  it.each([
    ['enrollments.csv', 'a1b2c3d4e5f6', '.enrollments.csv.a1b2c3d4e5f6.part'],
    ['20261122031500.txt', '000000000000', '.20261122031500.txt.000000000000.part'],
    ['COMPLETE', 'ffffffffffff', '.COMPLETE.ffffffffffff.part'],
    ['.hidden', '0123456789ab', '..hidden.0123456789ab.part'],
  ])('%s with token %s → %s', (name, token, expected) => {
    expect(tempFileName(name, token)).toBe(expected);
    expect(isTempFileName(expected)).toBe(true);
    expect(finalNameOfTemp(expected)).toBe(name);
  });

  it.each([['dir/file.csv'], ['']])('refuses a name with a directory or nothing (%j)', (name) => {
    expect(() => tempFileName(name, 'a1b2c3d4e5f6')).toThrow(/base name/);
  });

  it('refuses a token that is not 12 hex digits', () => {
    expect(() => tempFileName('x.csv', 'xyz')).toThrow(/12 hex/);
  });

  it('makes a different name on each call', () => {
    const names = new Set(Array.from({ length: 200 }, () => tempFileName('x.csv')));
    expect(names.size).toBe(200);
    expect(randomToken()).toMatch(/^[0-9a-f]{12}$/);
  });

  it.each([['x.csv'], ['.x.csv.part'], ['.x.csv.A1B2C3D4E5F6.part'], ['.x.csv.a1b2c3.part']])('%s is not a temp name', (name) => {
    expect(isTempFileName(name)).toBe(false);
    expect(finalNameOfTemp(name)).toBeNull();
  });
});
