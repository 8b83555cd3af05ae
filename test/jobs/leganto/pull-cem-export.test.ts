import { mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RemoteEntry } from '../../../src/adapters/adapter-types.js';
import { LocalTarget } from '../../../src/adapters/files/local-target.js';
import { chooseExport, exportNameMatcher, pullCemExport } from '../../../src/jobs/leganto-shared/pull-cem-export.js';
import { captureLog, caught } from '../../files/test-log.js';

describe('exportNameMatcher', () => {
  const m = exportNameMatcher('leganto_export_{YYYYMMDD}*', '20260817');
  it.each([
    ['leganto_export_20260817.csv', true],
    ['leganto_export_20260817', true],
    ['leganto_export_20260817_2.csv', true],
    ['leganto_export_20260816.csv', false],
    ['xleganto_export_20260817.csv', false],
    ['leganto_export_2026081.csv', false],
  ])('%s → %s', (name, ok) => {
    expect(m.test(name)).toBe(ok);
  });

  it('treats regex characters literally and supports ?', () => {
    const p = exportNameMatcher('cem.{YYYYMMDD}.?sv', '20260817');
    expect(p.test('cem.20260817.csv')).toBe(true);
    expect(p.test('cemX20260817.csv')).toBe(false);
    expect(exportNameMatcher('exact.csv', '20260817').test('exact.csv')).toBe(true);
  });
});

describe('chooseExport', () => {
  const e = (name: string, at: number, type: RemoteEntry['type'] = 'file'): RemoteEntry => ({ name, type, size: 1, modifiedAt: new Date(at) });
  const m = exportNameMatcher('leganto_export_{YYYYMMDD}*', '20260817');

  it('takes the newest file; names break ties; directories never count', () => {
    const out = chooseExport([e('leganto_export_20260817_b.csv', 1000), e('leganto_export_20260817_a.csv', 2000), e('leganto_export_20260817_c.csv', 2000), e('leganto_export_20260817_z', 9000, 'directory')], m);
    expect(out.chosen?.name).toBe('leganto_export_20260817_c.csv');
    expect(out.matches.map((x) => x.name)).toEqual(['leganto_export_20260817_b.csv', 'leganto_export_20260817_a.csv', 'leganto_export_20260817_c.csv']);
  });

  it('null when nothing matches', () => {
    expect(chooseExport([e('leganto_export_20260816.csv', 1)], m).chosen).toBeNull();
  });
});

describe('pullCemExport', () => {
  let root: string;
  let files: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'sisrelay-cem-src-'));
    files = await mkdtemp(join(tmpdir(), 'sisrelay-cem-files-'));
    await mkdir(join(root, 'leganto'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
    await rm(files, { recursive: true, force: true });
  });

  it('downloads the newest match 0600 and reports its hash', async () => {
    await writeFile(join(root, 'leganto', 'leganto_export_20260817_1.csv'), 'old');
    await writeFile(join(root, 'leganto', 'leganto_export_20260817_2.csv'), 'new!');
    await utimes(join(root, 'leganto', 'leganto_export_20260817_1.csv'), new Date(2000), new Date(2000));
    const log = captureLog();
    const target = new LocalTarget({ name: 'src', type: 'local', path: root, create: false }, { log });
    const out = await pullCemExport(target, { dir: '/leganto', pattern: 'leganto_export_{YYYYMMDD}*', today: '20260817', localPath: join(files, 'cem_20260817.csv'), log });
    expect(out.remotePath).toBe('/leganto/leganto_export_20260817_2.csv');
    expect(await readFile(join(files, 'cem_20260817.csv'), 'utf8')).toBe('new!');
    expect((await stat(join(files, 'cem_20260817.csv'))).mode & 0o777).toBe(0o600);
    expect(out.file).toEqual({
      name: 'cem_20260817.csv',
      path: join(files, 'cem_20260817.csv'),
      bytes: 4,
      sha256: createHash('sha256').update('new!').digest('hex'),
    });
    expect(log.text()).toMatch(/2 files match/);
  });

  it('no file today → INPUT_NOT_FOUND naming the directory and the pattern', async () => {
    await writeFile(join(root, 'leganto', 'leganto_export_20260816.csv'), 'yesterday');
    const log = captureLog();
    const target = new LocalTarget({ name: 'src', type: 'local', path: root, create: false }, { log });
    const err = await caught(() => pullCemExport(target, { dir: '/leganto', pattern: 'leganto_export_{YYYYMMDD}*', today: '20260817', localPath: join(files, 'x.csv'), log }));
    expect(err.code).toBe('INPUT_NOT_FOUND');
    expect(err.message).toContain('/leganto');
    expect(err.message).toContain('"leganto_export_20260817*"');
    expect(err.message).toContain('filePattern "leganto_export_{YYYYMMDD}*"');
  });
});
