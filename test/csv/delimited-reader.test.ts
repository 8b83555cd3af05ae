import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDelimited, type DelimitedRecord, type ReadDelimitedOptions } from '../../src/adapters/csv/delimited-reader.js';
import { SisrelayError } from '../../src/errors/sisrelay-error.js';

let dir: string;
let n = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sisrelay-csvr-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(content: string | Buffer): Promise<string> {
  const path = join(dir, `in${++n}.csv`);
  await writeFile(path, content);
  return path;
}

async function readAll(path: string, opts: ReadDelimitedOptions) {
  const reader = readDelimited(path, opts);
  const out: DelimitedRecord[] = [];
  for await (const r of reader) out.push(r);
  return { reader, out };
}

async function fatal(path: string, opts: ReadDelimitedOptions): Promise<SisrelayError> {
  try {
    await readAll(path, opts);
  } catch (err) {
    expect(err).toBeInstanceOf(SisrelayError);
    return err as SisrelayError;
  }
  throw new Error('expected a fatal error');
}

describe('decoding', () => {
  it('decodes Latin-1 accents', async () => {
    // "NAME\r\nJosé Muñoz\r\n" in ISO-8859-1
    const bytes = Buffer.concat([Buffer.from('NAME,CITY\r\nJos'), Buffer.from([0xe9]), Buffer.from(' Mu'), Buffer.from([0xf1]), Buffer.from('oz,Z'), Buffer.from([0xfc]), Buffer.from('rich\r\n')]);
    const { reader, out } = await readAll(await file(bytes), { encoding: 'latin1' });
    expect(reader.encoding).toBe('latin1');
    expect(out).toEqual([{ line: 2, record: { NAME: 'José Muñoz', CITY: 'Zürich' } }]);
  });

  it('auto-bom: a UTF-8 BOM switches to UTF-8 and is not part of the first column name', async () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('SLN,NAME\n1,Nguyễn José\n', 'utf8')]);
    const { reader, out } = await readAll(await file(bytes), { encoding: 'auto-bom', requiredColumns: ['SLN'] });
    expect(reader.encoding).toBe('utf-8');
    expect(reader.columns).toEqual(['SLN', 'NAME']);
    expect(out).toEqual([{ line: 2, record: { SLN: '1', NAME: 'Nguyễn José' } }]);
  });

  it('auto-bom without a BOM falls back to Latin-1 (UTF-8 bytes show as two characters)', async () => {
    const { reader, out } = await readAll(await file(Buffer.from('N\né\n', 'utf8')), { encoding: 'auto-bom' });
    expect(reader.encoding).toBe('latin1');
    expect(out[0]!.record.N).toBe('Ã©');
  });

  it('auto-bom honours a UTF-8 fallback', async () => {
    const { out } = await readAll(await file(Buffer.from('N\né\n', 'utf8')), { encoding: 'auto-bom', fallbackEncoding: 'utf-8' });
    expect(out[0]!.record.N).toBe('é');
  });

  it('UTF-8: a record with an invalid byte sequence is reported and skipped', async () => {
    const bytes = Buffer.concat([Buffer.from('N,M\na,b\nJos'), Buffer.from([0xe9]), Buffer.from(',c\nd,e\n')]);
    const { reader, out } = await readAll(await file(bytes), { encoding: 'utf-8' });
    expect(out.map((r) => r.line)).toEqual([2, 4]);
    expect(reader.problems).toEqual([{ line: 3, reason: 'byte sequence not valid in utf-8 in the record' }]);
  });

  it('windows-1252: 0x80 is the euro sign and an undefined byte (0x81) rejects its record', async () => {
    const bytes = Buffer.concat([Buffer.from('P\n'), Buffer.from([0x80, 0x0a, 0x81, 0x0a, 0x93, 0x78, 0x94, 0x0a])]);
    const { reader, out } = await readAll(await file(bytes), { encoding: 'windows-1252' });
    expect(out.map((r) => [r.line, r.record.P])).toEqual([[2, '€'], [4, '“x”']]);
    expect(reader.problems).toEqual([{ line: 3, reason: 'byte sequence not valid in windows-1252 in the record' }]);
  });

  it('multi-byte characters split across tiny chunks decode intact', async () => {
    const bytes = Buffer.from('N\nễễễ\n€\n', 'utf8');
    const { out } = await readAll(await file(bytes), { encoding: 'utf-8', chunkBytes: 1 });
    expect(out.map((r) => r.record.N)).toEqual(['ễễễ', '€']);
  });
});

describe('records and line numbers', () => {
  const content =
    'A,B,C\r\n' + // 1
    '1,"two\r\nlines",x\r\n' + // 2-3
    '2,plain,y\r\n' + // 4
    '\r\n' + // 5 (blank, ignored)
    '3,"say ""hi""\nand\nmore",z\r\n' + // 6-8 (bare LF inside the quotes)
    '4,"a,b",w'; // 9, no final newline
  const expected = [
    { line: 2, record: { A: '1', B: 'two\r\nlines', C: 'x' } },
    { line: 4, record: { A: '2', B: 'plain', C: 'y' } },
    { line: 6, record: { A: '3', B: 'say "hi"\nand\nmore', C: 'z' } },
    { line: 9, record: { A: '4', B: 'a,b', C: 'w' } },
  ];

  for (const chunkBytes of [65536, 1, 3, 7]) {
    it(`quoted fields with line breaks keep the starting line (chunks of ${chunkBytes} bytes)`, async () => {
      const { reader, out } = await readAll(await file(content), { encoding: 'utf-8', chunkBytes });
      expect(out).toEqual(expected);
      expect(reader.problems).toEqual([]);
      expect(reader.records).toBe(4);
    });
  }

  it('reads tab-separated files', async () => {
    const { out } = await readAll(await file('a\tb\n1\t2,3\n'), { encoding: 'utf-8', delimiter: '\t' });
    expect(out).toEqual([{ line: 2, record: { a: '1', b: '2,3' } }]);
  });

  it('header names are trimmed; field values are not', async () => {
    const { out } = await readAll(await file(' SLN , NAME\n 1 ,x \n'), { encoding: 'utf-8', requiredColumns: ['SLN'] });
    expect(out[0]!.record).toEqual({ SLN: ' 1 ', NAME: 'x ' });
  });

  it('a header named __proto__ is an ordinary key', async () => {
    const { out } = await readAll(await file('__proto__,b\n1,2\n'), { encoding: 'utf-8' });
    expect(Object.keys(out[0]!.record)).toEqual(['__proto__', 'b']);
    expect(out[0]!.record['__proto__']).toBe('1');
  });
});

describe('malformed lines', () => {
  for (const chunkBytes of [65536, 5]) {
    it(`wrong field counts are reported with line numbers and the rest is read (chunks of ${chunkBytes})`, async () => {
      const content = 'A,B\n1,2\n3\n4,5,6\n7,8\n';
      const { reader, out } = await readAll(await file(content), { encoding: 'latin1', chunkBytes });
      expect(out.map((r) => r.line)).toEqual([2, 5]);
      expect(reader.problems).toEqual([
        { line: 3, reason: 'expected 2 fields (as in the header), found 1' },
        { line: 4, reason: 'expected 2 fields (as in the header), found 3' },
      ]);
      expect(reader.problemCount).toBe(2);
    });
  }

  for (const chunkBytes of [65536, 4]) {
    it(`an unterminated quote skips only its line (chunks of ${chunkBytes})`, async () => {
      const content = 'A,B\n1,ok\n2,"broken\n3,fine\n4,"also fine"\n';
      const { reader, out } = await readAll(await file(content), { encoding: 'utf-8', chunkBytes });
      expect(out).toEqual([
        { line: 2, record: { A: '1', B: 'ok' } },
        { line: 4, record: { A: '3', B: 'fine' } },
        { line: 5, record: { A: '4', B: 'also fine' } },
      ]);
      expect(reader.problems).toEqual([{ line: 3, reason: expect.stringMatching(/^malformed quoting/) }]);
    });
  }

  it('text after a closing quote is reported and the next line is read normally', async () => {
    const content = 'A,B\n1,"x"y\n2,z\n';
    const { reader, out } = await readAll(await file(content), { encoding: 'utf-8' });
    expect(out).toEqual([{ line: 3, record: { A: '2', B: 'z' } }]);
    expect(reader.problems).toEqual([{ line: 2, reason: expect.stringMatching(/^malformed quoting/) }]);
  });

  it('a quote opened on the last record and never closed is reported as unterminated', async () => {
    const content = 'A,B\n1,ok\n2,"never closed\nstill inside\n';
    const { reader, out } = await readAll(await file(content), { encoding: 'utf-8', chunkBytes: 8 });
    // the line after the broken one is read on its own and has the wrong field count
    expect(out).toEqual([{ line: 2, record: { A: '1', B: 'ok' } }]);
    expect(reader.problems).toEqual([
      { line: 3, reason: 'unterminated quoted field' },
      { line: 4, reason: 'expected 2 fields (as in the header), found 1' },
    ]);
  });

  it('a record longer than maxRecordChars is cut off at its first line, keeping memory bounded', async () => {
    const content = 'A,B\n1,"open\n' + 'filler line\n'.repeat(50) + '2,ok\n';
    const { reader, out } = await readAll(await file(content), { encoding: 'utf-8', chunkBytes: 16, maxRecordChars: 100 });
    expect(reader.problems[0]).toEqual({ line: 2, reason: 'record longer than 100 characters (unterminated quote?)' });
    // the filler lines have one field each and are reported too; the good row at the end is read
    expect(out).toEqual([{ line: 53, record: { A: '2', B: 'ok' } }]);
    expect(reader.problemCount).toBe(51);
  });

  it('keeps only maxProblems problems but counts them all', async () => {
    const content = 'A,B\n' + 'x\n'.repeat(10) + '1,2\n';
    const { reader, out } = await readAll(await file(content), { encoding: 'utf-8', maxProblems: 3 });
    expect(reader.problems.map((p) => p.line)).toEqual([2, 3, 4]);
    expect(reader.problemCount).toBe(10);
    expect(out).toHaveLength(1);
  });
});

describe('fatal input', () => {
  it('a missing required column is fatal and lists the missing and the found columns', async () => {
    const path = await file('SLN;COURSE_NAME;TERM\n1;x;2\n');
    const err = await fatal(path, { encoding: 'latin1', requiredColumns: ['SLN', 'TERM', 'START_SYNC_DATE', 'END_SYNC_DATE'] });
    expect(err.code).toBe('DATA_INVALID');
    expect(err.message).toContain('missing required columns SLN, TERM, START_SYNC_DATE, END_SYNC_DATE');
    expect(err.message).toContain('has 1 column: SLN;COURSE_NAME;TERM');
    expect(err.details).toMatchObject({ missing: ['SLN', 'TERM', 'START_SYNC_DATE', 'END_SYNC_DATE'] });
  });

  it('names only the columns that are missing', async () => {
    const err = await fatal(await file('SLN,TERM,YEAR\n'), { encoding: 'utf-8', requiredColumns: ['SLN', 'CAMPUS'] });
    expect(err.message).toContain('missing required column CAMPUS;');
    expect(err.message).toContain('3 columns: SLN, TERM, YEAR');
  });

  it('a required column that appears twice is fatal', async () => {
    const err = await fatal(await file('SLN,SLN\n1,2\n'), { encoding: 'utf-8', requiredColumns: ['SLN'] });
    expect(err.message).toContain('SLN appear more than once');
  });

  it('an empty file is fatal', async () => {
    const err = await fatal(await file(''), { encoding: 'utf-8', requiredColumns: ['SLN'] });
    expect(err.code).toBe('DATA_INVALID');
    expect(err.message).toContain('empty');
  });

  it('a missing file is INPUT_NOT_FOUND', async () => {
    const err = await fatal(join(dir, 'missing.csv'), { encoding: 'utf-8' });
    expect(err.code).toBe('INPUT_NOT_FOUND');
  });

  it('can be iterated only once', async () => {
    const { reader } = await readAll(await file('A\n1\n'), { encoding: 'utf-8' });
    await expect(async () => {
      for await (const _ of reader) void _;
    }).rejects.toThrow(/only once/);
  });
});

describe('streaming', () => {
  it('stops reading when the consumer stops, and reads large files with the right line numbers', async () => {
    const rows = 200_000;
    let content = 'ID,NAME\n';
    for (let i = 0; i < rows; i++) content += `${i},"name ${i}"\n`;
    const path = await file(content);
    let count = 0;
    let wrongLines = 0;
    let last: DelimitedRecord | null = null;
    for await (const r of readDelimited(path, { encoding: 'utf-8' })) {
      if (r.line !== count + 2) wrongLines++;
      count++;
      last = r;
    }
    expect(count).toBe(rows);
    expect(wrongLines).toBe(0);
    expect(last!.record).toEqual({ ID: String(rows - 1), NAME: `name ${rows - 1}` });

    const reader = readDelimited(path, { encoding: 'utf-8' });
    let seen = 0;
    for await (const _ of reader) {
      if (++seen === 10) break;
    }
    expect(reader.records).toBe(10);
  });
});
