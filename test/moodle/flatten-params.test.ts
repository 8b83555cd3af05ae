import { describe, expect, it } from 'vitest';
import { flattenParams, type MoodleParams } from '../../src/adapters/moodle/flatten-params.js';
import { parsePhpParams, type PhpMap } from '../../src/sandbox/moodle-sandbox.js';

const pairs = (p: MoodleParams): Array<[string, string]> => [...flattenParams(p)];

describe('flattenParams (PHP bracket notation)', () => {
  const cases: Array<[string, MoodleParams, Array<[string, string]>]> = [
    ['scalar', { courseid: 42 }, [['courseid', '42']]],
    ['string kept verbatim', { value: 'BIO 101&x=1' }, [['value', 'BIO 101&x=1']]],
    ['boolean as 1/0', { a: true, b: false }, [['a', '1'], ['b', '0']]],
    ['undefined left out', { a: 1, b: undefined }, [['a', '1']]],
    ['bigint', { id: 9007199254740993n }, [['id', '9007199254740993']]],
    [
      'list of objects gets explicit indices',
      { enrolments: [{ roleid: 5, userid: 7, courseid: 3 }, { roleid: 14, userid: 8, courseid: 3, suspend: true }] },
      [
        ['enrolments[0][roleid]', '5'],
        ['enrolments[0][userid]', '7'],
        ['enrolments[0][courseid]', '3'],
        ['enrolments[1][roleid]', '14'],
        ['enrolments[1][userid]', '8'],
        ['enrolments[1][courseid]', '3'],
        ['enrolments[1][suspend]', '1'],
      ],
    ],
    [
      'options name/value pairs',
      { courseid: 9, options: [{ name: 'onlyactive', value: '1' }, { name: 'userfields', value: 'id,idnumber' }] },
      [
        ['courseid', '9'],
        ['options[0][name]', 'onlyactive'],
        ['options[0][value]', '1'],
        ['options[1][name]', 'userfields'],
        ['options[1][value]', 'id,idnumber'],
      ],
    ],
    ['list of scalars', { ids: [1, 2] }, [['ids[0]', '1'], ['ids[1]', '2']]],
    ['nested object', { a: { b: { c: 'x' } } }, [['a[b][c]', 'x']]],
    ['empty list sends nothing', { enrolments: [] }, []],
    ['undefined inside an item is left out', { e: [{ userid: 1, roleid: undefined }] }, [['e[0][userid]', '1']]],
  ];
  it.each(cases)('%s', (_name, input, expected) => {
    expect(pairs(input)).toEqual(expected);
  });

  it('refuses null and non-finite numbers instead of sending something Moodle would misread', () => {
    expect(() => flattenParams({ a: null as unknown as string })).toThrow(/null/);
    expect(() => flattenParams({ a: Number.NaN })).toThrow(/finite/);
  });

  it('appends to a given URLSearchParams after what is already there', () => {
    const form = new URLSearchParams({ wsfunction: 'f' });
    flattenParams({ x: [1] }, form);
    expect(form.toString()).toBe('wsfunction=f&x%5B0%5D=1');
  });
});

/** PhpMap → plain object for readable assertions. */
function plain(v: PhpMap | string): unknown {
  return typeof v === 'string' ? v : Object.fromEntries([...v].map(([k, x]) => [k, plain(x)]));
}

describe('parsePhpParams (the sandbox side)', () => {
  it('rebuilds what flattenParams produced', () => {
    const input = { enrolments: [{ roleid: 5, userid: 7, courseid: 3 }, { roleid: 14, userid: 8, courseid: 4 }] };
    expect(plain(parsePhpParams(flattenParams(input)))).toEqual({
      enrolments: { 0: { roleid: '5', userid: '7', courseid: '3' }, 1: { roleid: '14', userid: '8', courseid: '4' } },
    });
  });

  it('reads PHP append brackets and keeps insertion order', () => {
    const m = parsePhpParams([
      ['ids[]', 'a'],
      ['ids[]', 'b'],
      ['x[5]', 'five'],
      ['x[]', 'six'],
    ]);
    expect(plain(m)).toEqual({ ids: { 0: 'a', 1: 'b' }, x: { 5: 'five', 6: 'six' } });
    expect([...(m.get('x') as PhpMap).keys()]).toEqual(['5', '6']);
  });

  it('lets a later scalar replace an array and vice versa, as PHP does', () => {
    expect(plain(parsePhpParams([['a[b]', '1'], ['a', '2']]))).toEqual({ a: '2' });
    expect(plain(parsePhpParams([['a', '2'], ['a[b]', '1']]))).toEqual({ a: { b: '1' } });
  });
});
