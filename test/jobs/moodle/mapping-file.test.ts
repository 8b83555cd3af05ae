import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { moodleEnrollments, type MoodleParams } from '../../../src/jobs/moodle-enrollments/descriptor.js';
import { JsonSyntaxError, parseLocatedJson } from '../../../src/jobs/moodle-enrollments/located-json.js';
import { checkAcrossFiles, loadMappings, parseMappingFile, readMappingFiles } from '../../../src/jobs/moodle-enrollments/mapping-file.js';
import { isSisrelayError } from '../../../src/errors/sisrelay-error.js';
import { buildMoodleFixture } from '../../../src/datagen/moodle-fixture.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const A = 'mappings/a.json';

function problemsOf(text: string, kind: 'academic' | 'hub' = 'academic'): string[] {
  return parseMappingFile(A, text, kind).problems.map((p) => `${p.path} | ${p.message}`);
}

describe('located JSON', () => {
  it('keeps duplicate keys in order with their lines', () => {
    const node = parseLocatedJson('{\n  "X": 1,\n  "Y": 2,\n  "X": 3\n}');
    expect(node.kind).toBe('object');
    if (node.kind !== 'object') return;
    expect(node.members.map((m) => [m.key, m.at.line])).toEqual([['X', 2], ['Y', 3], ['X', 4]]);
  });

  it.each([
    ['{"a": 1,}', 1, 9, 'trailing comma'],
    ['{\n  "a": 1\n  "b": 2\n}', 3, 3, 'expected "," or "}" after the value of "a"'],
    ["{'a': 1}", 1, 2, 'expected a key in double quotes'],
    ['{"a": [1, 2,]}', 1, 13, 'trailing comma'],
    ['{"a": 01}', 1, 8, 'after the number 0'],
    ['{"a": tru}', 1, 7, 'strings need double quotes'],
    ['{"a": "x\ny"}', 1, 9, 'closing double quote before the end of the line'],
    ['{"a": 1} x', 1, 10, 'end of the file after the top-level value'],
    ['', 1, 1, 'expected a value, found the end of the file'],
  ])('%j fails at line %i column %i', (text, line, column, fragment) => {
    let err: unknown;
    try {
      parseLocatedJson(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(JsonSyntaxError);
    const e = err as JsonSyntaxError;
    expect([e.line, e.column]).toEqual([line, column]);
    expect(e.message).toContain(fragment);
  });

  it('decodes escapes and ignores a byte-order mark', () => {
    const node = parseLocatedJson('\uFEFF{"k\\u00e9y": "a\\"b\\\\c\\n"}');
    expect(node.kind === 'object' && node.members[0]).toMatchObject({ key: 'k\u00e9y', value: { kind: 'string', value: 'a"b\\c\n' } });
  });
});

describe('course mapping file: one file', () => {
  it('reads the original shape: courses, optional section, id', () => {
    const { entries, problems } = parseMappingFile(
      A,
      JSON.stringify({ 'COUN6110COUN811001Winter2021': { courses: ['COUN6110', 'COUN8110'], section: '01', id: 4755 }, MSE8222Winter2021: { courses: ['MSE8222'], id: 4952 } }, null, 2),
      'academic',
    );
    expect(problems).toEqual([]);
    expect(entries).toEqual([
      { kind: 'academic', shortname: 'COUN6110COUN811001Winter2021', courseId: 4755, courses: ['COUN6110', 'COUN8110'], section: '01', file: A, line: 2 },
      { kind: 'academic', shortname: 'MSE8222Winter2021', courseId: 4952, courses: ['MSE8222'], section: null, file: A, line: 10 },
    ]);
  });

  it.each([
    ['unknown key', '{"BIO101": {"courses": ["BIO101"], "id": 1, "sectoin": "01"}}', `${A}: "BIO101".sectoin | unknown key (line 1); expected only courses, section, id`],
    ['missing id', '{"BIO101": {\n "courses": ["BIO101"]}}', `${A}: "BIO101".id | missing (entry at line 1); expected the Moodle course id, a positive integer`],
    ['id as a string', '{"BIO101": {"courses": ["BIO101"], "id": "12"}}', `${A}: "BIO101".id | expected the Moodle course id, a positive integer (line 1), found "12"`],
    ['id zero', '{"BIO101": {"courses": ["BIO101"], "id": 0}}', `${A}: "BIO101".id | expected the Moodle course id, a positive integer (line 1), found 0`],
    ['fractional id', '{"BIO101": {"courses": ["BIO101"], "id": 1.5}}', 'found 1.5'],
    ['courses missing', '{"BIO101": {"id": 3}}', `${A}: "BIO101".courses | missing (entry at line 1); expected a list of PowerCampus EVENT_IDs`],
    ['courses empty', '{"BIO101": {"courses": [], "id": 3}}', `${A}: "BIO101".courses | expected a non-empty list of PowerCampus EVENT_IDs (line 1), found a list of 0`],
    ['courses a string', '{"BIO101": {"courses": "BIO101", "id": 3}}', 'found "BIO101"'],
    ['a course not a string', '{"BIO101-01": {"courses": ["BIO101", "BIO102", 7], "id": 3}}', `${A}: "BIO101-01".courses[2] | expected a PowerCampus EVENT_ID, a non-empty string without surrounding spaces (line 1), found 7`],
    ['a course with spaces', '{"X": {"courses": [" BIO101"], "id": 3}}', `${A}: "X".courses[0] |`],
    ['a course listed twice', '{"X": {"courses": ["BIO101", "BIO101"], "id": 3}}', `${A}: "X".courses[1] | course "BIO101" is listed twice in this entry`],
    ['section as a number', '{"X": {"courses": ["BIO101"], "section": 1, "id": 3}}', `${A}: "X".section | expected a PowerCampus SECTION as a string such as "01" (line 1), found 1; leave the key out to map all sections`],
    ['section empty', '{"X": {"courses": ["BIO101"], "section": "", "id": 3}}', `${A}: "X".section |`],
    ['section null', '{"X": {"courses": ["BIO101"], "section": null, "id": 3}}', 'found null'],
    ['entry not an object', '{"X": [1]}', `${A}: "X" | expected an object {"courses": [...], "section"?: "01", "id": 123} (line 1), found a list of 1`],
    ['top level a list', '[]', `${A} | expected an object {"<shortname>": {"courses": [...], "section"?: "01", "id": 123}}, found a list of 0`],
    ['empty shortname', '{"": {"courses": ["BIO101"], "id": 3}}', `${A}: "" | expected a Moodle course shortname, found an empty key (line 1)`],
    ['shortname with a line break', '{"A\\nB": {"courses": ["BIO101"], "id": 3}}', 'without line breaks'],
    ['shortname with a trailing space', '{"BIO101 ": {"courses": ["BIO101"], "id": 3}}', 'without leading or trailing spaces'],
    ['program in a course file', '{"X": {"program": "CLMH", "id": 3}}', '"program" belongs in a hub mapping file (params.hubMappings)'],
    ['bad JSON', '{\n  "X": {"courses": ["BIO101"], "id": 3},\n}', `${A} | not valid JSON at line 3, column 1: expected a key in double quotes, found "}" (a trailing comma before it is not allowed in JSON)`],
  ])('%s', (_name, text, expected) => {
    const got = problemsOf(text);
    expect(got.some((p) => p.startsWith(expected) || p.includes(expected)), `${got.join('\n')}\n--- expected ---\n${expected}`).toBe(true);
  });

  it('a shortname twice in one file is an error naming both lines (JSON.parse would keep the last silently)', () => {
    const got = problemsOf('{\n "X": {"courses": ["A1"], "id": 1},\n "Y": {"courses": ["B1"], "id": 2},\n "X": {"courses": ["C1"], "id": 3}\n}');
    expect(got).toEqual([`${A}: "X" | duplicate shortname (line 4); it is already mapped at line 2 of this file, and JSON keeps only the last one`]);
  });

  it('a key twice inside one entry is an error', () => {
    expect(problemsOf('{"X": {"courses": ["A1"], "id": 1, "id": 2}}')).toEqual([`${A}: "X".id | duplicate key (line 1); already given at line 1`]);
  });

  it('reports every problem of a file at once', () => {
    const got = problemsOf('{"X": {"courses": [], "idd": 1}, "Y": {"courses": ["B1"], "id": -4}}');
    expect(got.map((p) => p.split(' | ')[0])).toEqual([`${A}: "X".idd`, `${A}: "X".id`, `${A}: "X".courses`, `${A}: "Y".id`]);
  });

  it('hub files: program and id only', () => {
    const ok = parseMappingFile('mappings/h.json', '{"CMHCHub": {"program": "CLMH", "id": 3071}}', 'hub');
    expect(ok.problems).toEqual([]);
    expect(ok.entries).toEqual([{ kind: 'hub', shortname: 'CMHCHub', courseId: 3071, program: 'CLMH', file: 'mappings/h.json', line: 1 }]);
    expect(problemsOf('{"H": {"courses": ["X"], "id": 3}}', 'hub')).toEqual([
      `${A}: "H".courses | unknown key (line 1); expected only program, id; "courses" belongs in a course mapping file (params.mappings)`,
      `${A}: "H".program | missing (entry at line 1); expected a PowerCampus CURRICULUM such as "CLMH"`,
    ]);
    expect(problemsOf('{"H": {"program": 12, "id": 3}}', 'hub')).toEqual([`${A}: "H".program | expected a PowerCampus CURRICULUM, a non-empty string (line 1), found 12`]);
  });
});

describe('course mapping files: across entries and files', () => {
  const entry = (file: string, shortname: string, courseId: number, courses: string[], section: string | null = null, line = 1) =>
    ({ kind: 'academic', shortname, courseId, courses, section, file, line }) as const;

  it('a course mapped both with and without a section is refused, naming both entries (the original emptied the sectioned one)', () => {
    const problems = checkAcrossFiles([
      entry('mappings/a.json', 'COUN-ALL', 4888, ['COUN8760', 'COUN8810'], '01', 2),
      entry('mappings/b.json', 'COUN8755', 4842, ['COUN8755', 'COUN8810'], null, 7),
    ]);
    expect(problems).toEqual([
      {
        path: 'mappings/b.json: "COUN8755".courses[1]',
        message:
          'course "COUN8810" is mapped here without a section (all sections) and with section "01" in "COUN-ALL" (mappings/a.json line 2); map it with a section in every entry or without one in every entry (the original sync silently emptied the sectioned entry)',
      },
    ]);
  });

  it('the same course in several sectioned entries, or several unsectioned ones, is fine', () => {
    expect(
      checkAcrossFiles([
        entry(A, 'S1', 1, ['COUN6110'], '01'),
        entry(A, 'S2', 2, ['COUN6110'], '02'),
        entry(A, 'U1', 3, ['MSE8222']),
        entry(A, 'U2', 4, ['MSE8222', 'MSE8322']),
      ]),
    ).toEqual([]);
  });

  it('duplicate shortnames and duplicate Moodle ids across files and kinds', () => {
    const problems = checkAcrossFiles([
      entry('mappings/a.json', 'BIO101', 10, ['BIO101'], null, 3),
      entry('mappings/b.json', 'BIO101', 11, ['BIO102'], null, 5),
      { kind: 'hub', shortname: 'HUB', courseId: 10, program: 'CLMH', file: 'mappings/h.json', line: 2 },
    ]);
    expect(problems).toEqual([
      { path: 'mappings/b.json: "BIO101"', message: 'duplicate shortname: also mapped in mappings/a.json line 3' },
      {
        path: 'mappings/h.json: "HUB".id',
        message: 'Moodle course id 10 is also mapped by "BIO101" (mappings/a.json line 3); one Moodle course takes one entry (list cross-listed courses in its "courses")',
      },
    ]);
  });
});

describe('course mapping files on disk and the descriptor', () => {
  let dataDir: string;
  const params = (over: Partial<MoodleParams> = {}): MoodleParams => ({
    source: 'pc',
    moodle: 'moodle',
    mode: 'conduit',
    destination: 'conduit',
    remotePath: 'x/enrollments.csv',
    mappings: ['good.json'],
    hubMappings: [],
    academicYear: '2027',
    academicTerm: 'Winter',
    roles: { student: 5, auditingstudent: 14 },
    dropGuard: { maxShare: 0.2, maxCount: 500, courseMaxShare: 0.5, courseMinSize: 10 },
    batchSize: 100,
    ...over,
  });

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sisrelay-mapfiles-'));
    await mkdir(join(dataDir, 'mappings'));
    await writeFile(join(dataDir, 'mappings', 'good.json'), JSON.stringify({ 'BIO101-01': { courses: ['BIO101'], section: '01', id: 5 } }));
    await writeFile(join(dataDir, 'mappings', 'other.json'), JSON.stringify({ 'BIO101-ALL': { courses: ['BIO101'], id: 6 }, 'BIO101-01': { courses: ['BIO102'], id: 7 } }));
    await writeFile(join(dataDir, 'mappings', 'hub.json'), '{"CLMH-HUB": {"program": "CLMH", "id": 9}}');
    await writeFile(join(dataDir, 'mappings', 'broken.json'), '{\n  "X": {"courses": ["A"], "id": 1}\n  "Y": {}\n}');
    await writeFile(join(dataDir, 'mappings', 'empty.json'), '{}\n');
    await mkdir(join(dataDir, 'mappings', 'folder.json'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('validate() passes a good configuration', () => {
    expect(moodleEnrollments.validate!(params({ hubMappings: ['hub.json'] }), { dataDir, baseDir: '/' })).toEqual([]);
  });

  it('validate() names the file for a missing file, bad JSON with its line, and conflicts across files', () => {
    const problems = moodleEnrollments.validate!(params({ mappings: ['good.json', 'other.json', 'missing.json', 'broken.json'] }), { dataDir, baseDir: '/' });
    const lines = problems.map((p) => `${p.path} | ${p.message}`);
    expect(lines).toContain(`mappings/missing.json | cannot read ${join(dataDir, 'mappings', 'missing.json')}: no such file`);
    expect(lines).toContain('mappings/broken.json | not valid JSON at line 3, column 3: expected "," or "}" after the value of "X", found "\\""');
    expect(lines).toContain('mappings/other.json: "BIO101-01" | duplicate shortname: also mapped in mappings/good.json line 1');
    expect(lines.some((l) => l.startsWith('mappings/other.json: "BIO101-ALL".courses[0] | course "BIO101" is mapped here without a section'))).toBe(true);
    expect(problems).toHaveLength(4);
  });

  it('validate() refuses paths outside the mappings directory, repeated files, no files, and equal role ids', () => {
    const lines = moodleEnrollments
      .validate!(params({ mappings: ['../secret.json', 'good.json'], hubMappings: ['good.json'], roles: { student: 5, auditingstudent: 5 } }), { dataDir, baseDir: '/' })
      .map((p) => `${p.path} | ${p.message}`);
    expect(lines).toEqual([
      'roles.auditingstudent | expected a role id different from roles.student, found 5 for both',
      'mappings | expected a file name inside <dataDir>/mappings, found "../secret.json"',
      'hubMappings | "good.json" is listed more than once across mappings and hubMappings',
    ]);
    const none = moodleEnrollments.validate!(params({ mappings: [] }), { dataDir, baseDir: '/' });
    expect(none).toEqual([{ path: 'mappings', message: 'expected at least one mapping file in mappings or hubMappings, found none' }]);
    const empty = moodleEnrollments.validate!(params({ mappings: ['empty.json'] }), { dataDir, baseDir: '/' });
    expect(empty).toEqual([{ path: 'mappings', message: 'expected at least one mapped course, found none in empty.json' }]);
  });

  it('a relative dataDir resolves against the config directory', () => {
    const parent = join(dataDir, '..');
    const rel = dataDir.slice(parent.length + 1);
    expect(moodleEnrollments.validate!(params(), { dataDir: rel, baseDir: parent })).toEqual([]);
  });

  it('a name that cannot be read as a file is reported with the reason', () => {
    const { problems } = readMappingFiles({ mappings: ['good.json', 'folder.json'], hubMappings: [] }, join(dataDir, 'mappings'));
    expect(problems).toEqual([{ path: 'mappings/folder.json', message: `cannot read ${join(dataDir, 'mappings', 'folder.json')}: is a directory` }]);
  });

  it('loadMappings() throws MAPPING_INVALID listing the problems', () => {
    let err: unknown;
    try {
      loadMappings({ mappings: ['good.json', 'other.json'], hubMappings: [] }, join(dataDir, 'mappings'));
    } catch (e) {
      err = e;
    }
    expect(isSisrelayError(err) && err.code).toBe('MAPPING_INVALID');
    expect((err as Error).message).toContain('2 problems');
    expect((err as Error).message).toContain('mappings/other.json: "BIO101-01": duplicate shortname');
  });
});

describe('the shipped example pair (data/mappings)', () => {
  const repoData = fileURLToPath(new URL('../../../data', import.meta.url));

  it('validates, and is the mapping of the demo sandbox Moodle (seed 118, 300 students, 30 courses, Fall 2026)', () => {
    const { set, problems } = readMappingFiles({ mappings: ['example-academic.json'], hubMappings: ['example-hub.json'] }, join(repoData, 'mappings'));
    expect(problems).toEqual([]);
    expect(set.academic.some((e) => e.courses.length > 1)).toBe(true);
    expect(set.academic.some((e) => e.section !== null)).toBe(true);
    expect(set.hubs.map((h) => h.program)).toEqual(['CHIRO', 'NUTRIT', 'CLMH']);
    const fx = buildMoodleFixture({ seed: 118, students: 300, courses: 30, year: 2026, term: 'Fall' });
    expect(JSON.parse(readFileSync(join(repoData, 'mappings', 'example-academic.json'), 'utf8'))).toEqual(fx.mapping);
    expect(JSON.parse(readFileSync(join(repoData, 'mappings', 'example-hub.json'), 'utf8'))).toEqual(fx.nonAcademicMapping);
  });
});
