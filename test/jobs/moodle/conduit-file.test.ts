import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlRow } from '../../../src/adapters/adapter-types.js';
import { writeConduitFile } from '../../../src/jobs/moodle-enrollments/conduit-file.js';
import type { EnrollmentChange } from '../../../src/jobs/moodle-enrollments/enrollment-diff.js';
import { rosterRow } from '../../../src/jobs/moodle-enrollments/sis-roster.js';
import { isSisrelayError } from '../../../src/errors/sisrelay-error.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sisrelay-conduit-file-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const change = (action: 'add' | 'drop', shortname: string, idnumber: string, role: 'student' | 'auditingstudent' = 'student'): EnrollmentChange => ({
  action,
  shortname,
  courseId: 1,
  idnumber,
  role,
});

describe('enrollments.csv', () => {
  it('header, LF, UTF-8 without BOM, quoting only where RFC 4180 needs it', async () => {
    const path = join(dir, 'enrollments.csv');
    const written = await writeConduitFile(path, [
      change('add', 'BIO101-01', '000000101'),
      change('drop', 'CHEM200,GHOST100', '000000116'),
      change('add', 'Santé "Hub"', '000000122'),
      change('drop', 'Müller Technique', '000000102', 'auditingstudent'),
    ]);
    const bytes = await readFile(path);
    expect(bytes.toString('utf8')).toBe(
      'action,shortname,idnumber,role\n' +
        'add,BIO101-01,000000101,student\n' +
        'drop,"CHEM200,GHOST100",000000116,student\n' +
        'add,"Santé ""Hub""",000000122,student\n' +
        'drop,Müller Technique,000000102,auditingstudent\n',
    );
    expect(bytes.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf]))).toBe(false);
    expect(bytes.includes(Buffer.from('Santé', 'utf8'))).toBe(true);
    expect(written).toMatchObject({ path, rows: 4, bytes: bytes.length });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    // Only the final file: no temporary left beside it.
    expect(await readdir(dir)).toEqual(['enrollments.csv']);
  });
});

describe('roster rows from the database', () => {
  it.each<[string, SqlRow, unknown]>([
    ['a normal row', { idnumber: '000000101', course: 'BIO101', section: '01', role: 'student' }, { idnumber: '000000101', course: 'BIO101', section: '01', role: 'student' }],
    ['NULL idnumber (no PEOPLE row) is kept as null', { idnumber: null, course: 'BIO101', section: '01', role: 'student' }, { idnumber: null, course: 'BIO101', section: '01', role: 'student' }],
    ['NULL section becomes the empty section', { idnumber: '1', course: 'BIO101', section: null, role: 'auditingstudent' }, { idnumber: '1', course: 'BIO101', section: '', role: 'auditingstudent' }],
  ])('%s', (_n, row, expected) => {
    expect(rosterRow(row)).toEqual(expected);
  });

  it.each<[string, SqlRow, string]>([
    ['an unknown role', { idnumber: '1', course: 'C', section: '01', role: 'teacher' }, 'column role expected "student" or "auditingstudent", found string'],
    ['a missing column', { idnumber: '1', section: '01', role: 'student' }, 'column course expected a string EVENT_ID, found no such column'],
    ['a numeric idnumber', { idnumber: 101, course: 'C', section: '01', role: 'student' }, 'column idnumber expected a string or NULL, found number'],
  ])('refuses %s with DATA_INVALID', (_n, row, message) => {
    let err: unknown;
    try {
      rosterRow(row);
    } catch (e) {
      err = e;
    }
    expect(isSisrelayError(err) && err.code).toBe('DATA_INVALID');
    expect((err as Error).message).toContain(message);
  });
});
