import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkEntryName, checkEpochNames, localFileSize } from '../../src/adapters/files/target-input.js';

describe('checkEntryName', () => {
  it.each([['students.csv'], ['COMPLETE'], ['20261122-031500'], ['.hidden'], ['a b.csv']])('accepts %j', (name) => {
    expect(() => checkEntryName(name, 'epoch file name')).not.toThrow();
  });
  it.each([[''], ['.'], ['..'], ['a/b'], ['/abs'], ['a\\b'], ['nul\0byte']])('rejects %j with CONFIG_INVALID', (name) => {
    expect(() => checkEntryName(name, 'epoch file name')).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('epoch file name') }));
  });
});

describe('checkEpochNames', () => {
  const f = (name: string) => ({ localPath: '/x', name });
  it.each([
    ['a valid set', 'E1', [f('students.csv'), f('guardians.csv')], 'COMPLETE', null],
    ['no marker', 'E1', [f('students.csv')], null, null],
    ['no files', 'E1', [], 'COMPLETE', null],
    ['a duplicate file name', 'E1', [f('s.csv'), f('s.csv')], 'COMPLETE', /appears twice/],
    ['a marker named like a file', 'E1', [f('COMPLETE')], 'COMPLETE', /marker "COMPLETE"/],
    ['a bad epoch name', '../E1', [f('s.csv')], 'COMPLETE', /epoch name/],
    ['a bad marker', 'E1', [f('s.csv')], 'a/COMPLETE', /marker name/],
  ])('%s', (_n, epoch, files, marker, error) => {
    if (error === null) expect(() => checkEpochNames(epoch, files, marker)).not.toThrow();
    else expect(() => checkEpochNames(epoch, files, marker)).toThrow(error);
  });
});

describe('localFileSize', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sisrelay-input-'));
    await writeFile(path.join(dir, 'f.csv'), 'abcde');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  it('returns the size of a regular file', async () => {
    expect(await localFileSize(path.join(dir, 'f.csv'))).toBe(5);
  });
  it.each([['missing.csv', /cannot be read \(ENOENT\)/], ['.', /not a regular file/]])('%s → INPUT_NOT_FOUND', async (name, msg) => {
    await expect(localFileSize(path.join(dir, name))).rejects.toMatchObject({ code: 'INPUT_NOT_FOUND', message: expect.stringMatching(msg) });
  });
});
