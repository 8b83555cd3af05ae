import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { outputPath, recordFile } from '../../src/jobs/shared/local-output.js';
import { openDelimitedWriter } from '../../src/adapters/csv/delimited-writer.js';
import type { RunReport } from '../../src/jobs/job-types.js';
import type { FileRecord } from '../../src/runner/run-record.js';

describe('outputPath', () => {
  it('joins a plain name under the files directory', () => {
    expect(outputPath('/run/files', 'littlesis_roster.csv')).toBe('/run/files/littlesis_roster.csv');
  });

  it.each(['', '.', '..', '../x.csv', 'a/b.csv', 'a\\b.csv', 'x\0.csv'])('refuses %j', (name) => {
    expect(() => outputPath('/run/files', name)).toThrow(/plain file name/);
  });
});

describe('recordFile', () => {
  it("reports a closed writer's file with its real size, hash and rows", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sisrelay-lo-'));
    try {
      const w = await openDelimitedWriter(outputPath(dir, 'students.csv'), {
        delimiter: ',',
        eol: '\r\n',
        encoding: 'utf-8',
        quoting: 'rfc4180',
        header: ['Student Id', 'Last Name'],
      });
      await w.writeRow(['1', 'O"Brien']);
      await w.writeRow(['2', 'Smith, Jr']);
      const files: FileRecord[] = [];
      const report = { file: (f: FileRecord) => files.push(f) } as unknown as RunReport;
      const rec = recordFile(report, await w.close());
      const bytes = await readFile(join(dir, 'students.csv'));
      expect(files).toEqual([rec]);
      expect(rec).toEqual({
        name: 'students.csv',
        path: join(dir, 'students.csv'),
        bytes: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('hex'),
        rows: 2,
      });
      expect((await stat(rec.path)).size).toBe(rec.bytes);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
