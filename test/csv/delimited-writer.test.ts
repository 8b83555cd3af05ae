import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDelimitedWriter, type DelimitedWriterOptions } from '../../src/adapters/csv/delimited-writer.js';
import { SisrelayError } from '../../src/errors/sisrelay-error.js';

let dir: string;
let n = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sisrelay-csvw-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const csvCrlf: DelimitedWriterOptions = { delimiter: ',', eol: '\r\n', encoding: 'utf-8', quoting: 'rfc4180' };
const tsvLf: DelimitedWriterOptions = { delimiter: '\t', eol: '\n', encoding: 'utf-8', quoting: 'never' };

async function writeAll(opts: DelimitedWriterOptions, rows: (string | null)[][]): Promise<Buffer> {
  const path = join(dir, `f${++n}.csv`);
  const w = await openDelimitedWriter(path, opts);
  for (const r of rows) await w.writeRow(r);
  const res = await w.close();
  const bytes = await readFile(path);
  expect(res.bytes).toBe(bytes.length);
  expect(res.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
  return bytes;
}

async function caught(p: Promise<unknown>): Promise<SisrelayError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(SisrelayError);
    return err as SisrelayError;
  }
  throw new Error('expected a rejection');
}

describe('rfc4180 quoting, exact bytes', () => {
  const cases: { name: string; row: (string | null)[]; bytes: number[] }[] = [
    { name: 'plain fields', row: ['a', 'b'], bytes: [0x61, 0x2c, 0x62, 0x0d, 0x0a] },
    // "x,y" → "\"x,y\""
    { name: 'comma', row: ['x,y', 'b'], bytes: [0x22, 0x78, 0x2c, 0x79, 0x22, 0x2c, 0x62, 0x0d, 0x0a] },
    // a"b → "a""b"
    { name: 'quote doubled', row: ['a"b'], bytes: [0x22, 0x61, 0x22, 0x22, 0x62, 0x22, 0x0d, 0x0a] },
    { name: 'CR', row: ['a\rb', 'c'], bytes: [0x22, 0x61, 0x0d, 0x62, 0x22, 0x2c, 0x63, 0x0d, 0x0a] },
    { name: 'LF', row: ['a\nb', 'c'], bytes: [0x22, 0x61, 0x0a, 0x62, 0x22, 0x2c, 0x63, 0x0d, 0x0a] },
    // a tab is not special in a comma file
    { name: 'tab unquoted in CSV', row: ['a\tb', 'c'], bytes: [0x61, 0x09, 0x62, 0x2c, 0x63, 0x0d, 0x0a] },
    { name: 'NULL and empty', row: [null, '', 'z'], bytes: [0x2c, 0x2c, 0x7a, 0x0d, 0x0a] },
    { name: 'leading space kept, not quoted', row: [' a ', 'b'], bytes: [0x20, 0x61, 0x20, 0x2c, 0x62, 0x0d, 0x0a] },
    { name: 'single empty field is ""', row: [null], bytes: [0x22, 0x22, 0x0d, 0x0a] },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      expect(await writeAll(csvCrlf, [c.row])).toEqual(Buffer.from(c.bytes));
    });
  }

  it('quotes a tab in a tab-delimited rfc4180 file', async () => {
    const out = await writeAll({ ...tsvLf, quoting: 'rfc4180' }, [['a\tb', 'c']]);
    expect(out).toEqual(Buffer.from([0x22, 0x61, 0x09, 0x62, 0x22, 0x09, 0x63, 0x0a]));
  });

  it('writes the header first, then rows, LF when asked', async () => {
    const out = await writeAll({ ...csvCrlf, eol: '\n', header: ['action', 'shortname'] }, [['add', 'BIO 101, sec 2']]);
    expect(out.toString('latin1')).toBe('action,shortname\nadd,"BIO 101, sec 2"\n');
  });

  it('CRLF ends every line including the last, no BOM', async () => {
    const out = await writeAll({ ...csvCrlf, header: ['h1', 'h2'] }, [['1', '2'], ['3', '4']]);
    expect(out).toEqual(Buffer.from('h1,h2\r\n1,2\r\n3,4\r\n', 'latin1'));
    expect(out[0]).toBe(0x68);
  });

  it('writes UTF-8 multibyte characters as UTF-8', async () => {
    const out = await writeAll(csvCrlf, [['é', 'ễ']]);
    expect(out).toEqual(Buffer.from([0xc3, 0xa9, 0x2c, 0xe1, 0xbb, 0x85, 0x0d, 0x0a]));
  });

  it('an empty file with only a header has rows 0', async () => {
    const path = join(dir, 'empty.csv');
    const w = await openDelimitedWriter(path, { ...csvCrlf, header: ['a'] });
    const res = await w.close();
    expect(res.rows).toBe(0);
    expect(await readFile(path)).toEqual(Buffer.from('a\r\n'));
  });
});

describe('never quoting (TSV)', () => {
  it('writes fields verbatim with LF', async () => {
    const out = await writeAll(tsvLf, [['123', 'Y', '', 'N'], ['456', 'N', 'B', 'Y']]);
    expect(out).toEqual(Buffer.from('123\tY\t\tN\n456\tN\tB\tY\n', 'latin1'));
  });

  it('rejects a tab naming row, column and character; the row is not written and the writer continues', async () => {
    const path = join(dir, 'alma.txt');
    const w = await openDelimitedWriter(path, { ...tsvLf, eol: '\r\n', header: ['Course Code', 'Course Title'] });
    await w.writeRow(['C1', 'Biology']);
    const err = await caught(w.writeRow(['C2', 'Bio\tlogy']));
    expect(err.code).toBe('DATA_INVALID');
    expect(err.message).toContain('row 2');
    expect(err.message).toContain('column 2 (Course Title)');
    expect(err.message).toContain('TAB (U+0009)');
    expect(err.details).toMatchObject({ row: 2, column: 2, columnName: 'Course Title', codePoint: 'U+0009' });
    const lf = await caught(w.writeRow(['C3', 'line\nbreak']));
    expect(lf.message).toContain('line feed (U+000A)');
    const cr = await caught(w.writeRow(['C4\r', 'x']));
    expect(cr.message).toContain('column 1 (Course Code)');
    expect(cr.message).toContain('carriage return (U+000D)');
    await w.writeRow(['C5', 'Chemistry, "advanced"']);
    const res = await w.close();
    expect(res.rows).toBe(2);
    expect(await readFile(path, 'utf8')).toBe('Course Code\tCourse Title\r\nC1\tBiology\r\nC5\tChemistry, "advanced"\r\n');
  });

  it('rejects a comma in a comma file without quoting', async () => {
    const path = join(dir, 'never-comma.csv');
    const w = await openDelimitedWriter(path, { ...csvCrlf, quoting: 'never' });
    const err = await caught(w.writeRow(['a,b', 'c']));
    expect(err.code).toBe('DATA_INVALID');
    expect(err.message).toContain('"," (U+002C)');
    await w.abort();
  });
});

describe('windows-1252', () => {
  const cp: DelimitedWriterOptions = { ...csvCrlf, encoding: 'windows-1252' };

  it('encodes é ñ ü € and quotes to single bytes', async () => {
    const out = await writeAll(cp, [['é', 'ñ', 'ü', '€', '“x”']]);
    expect(out).toEqual(Buffer.from([0xe9, 0x2c, 0xf1, 0x2c, 0xfc, 0x2c, 0x80, 0x2c, 0x93, 0x78, 0x94, 0x0d, 0x0a]));
  });

  it("throws DATA_ENCODING for 'ễ' naming row, column and code point, and writes nothing for that row", async () => {
    const path = join(dir, 'cp.csv');
    const w = await openDelimitedWriter(path, { ...cp, header: ['STUDENT', 'NAME'] });
    await w.writeRow(['1', 'José']);
    const err = await caught(w.writeRow(['2', 'Nguyễn']));
    expect(err.code).toBe('DATA_ENCODING');
    expect(err.message).toContain('row 2');
    expect(err.message).toContain('column 2 (NAME)');
    expect(err.message).toContain('U+1EC5');
    expect(err.message).toContain('windows-1252');
    await w.writeRow(['3', 'Zoë']);
    const res = await w.close();
    expect(res.rows).toBe(2);
    expect(await readFile(path)).toEqual(
      Buffer.concat([Buffer.from('STUDENT,NAME\r\n1,Jos'), Buffer.from([0xe9]), Buffer.from('\r\n3,Zo'), Buffer.from([0xeb]), Buffer.from('\r\n')]),
    );
  });

  it('report mode refuses the row, collects the problem and never writes a replacement character', async () => {
    const path = join(dir, 'cp-report.csv');
    const w = await openDelimitedWriter(path, { ...cp, onUnencodable: 'report' });
    expect(await w.writeRow(['1', 'ok'])).toBe(true);
    expect(await w.writeRow(['2', 'Đặng'])).toBe(false);
    expect(await w.writeRow(['3', '😀'])).toBe(false);
    expect(await w.writeRow(['4', 'ok'])).toBe(true);
    expect(w.rows).toBe(2);
    expect(w.rejectedRows).toBe(2);
    expect(w.problems).toEqual([
      expect.objectContaining({ code: 'DATA_ENCODING', row: 2, column: 2, columnName: null, character: 'Đ', codePoint: 'U+0110' }),
      expect.objectContaining({ row: 3, column: 2, character: '😀', codePoint: 'U+1F600' }),
    ]);
    await w.close();
    const bytes = await readFile(path);
    expect(bytes).toEqual(Buffer.from('1,ok\r\n4,ok\r\n'));
    expect(bytes.includes(0x3f)).toBe(false);
  });

  it('bytes the code page leaves undefined (U+0081) are refused, not mapped', async () => {
    const path = join(dir, 'cp-81.csv');
    const w = await openDelimitedWriter(path, cp);
    const err = await caught(w.writeRow(['\u0081']));
    expect(err.details).toMatchObject({ codePoint: 'U+0081' });
    await w.abort();
  });

  it('a header the encoding cannot hold fails at open and leaves no file', async () => {
    const path = join(dir, 'cp-header.csv');
    const err = await caught(openDelimitedWriter(path, { ...cp, header: ['Tiếng'] }));
    expect(err.code).toBe('DATA_ENCODING');
    expect(err.message).toContain('header');
    expect((await readdir(dir)).filter((f) => f.includes('cp-header'))).toEqual([]);
  });

  it('a lone surrogate is refused in UTF-8 too (Node would write U+FFFD)', async () => {
    const path = join(dir, 'surrogate.csv');
    const w = await openDelimitedWriter(path, csvCrlf);
    const err = await caught(w.writeRow(['ab\uD800c']));
    expect(err.code).toBe('DATA_ENCODING');
    expect(err.message).toContain('U+D800');
    expect(await w.writeRow(['\uD83D\uDE00'])).toBe(true);
    await w.close();
    expect(await readFile(path)).toEqual(Buffer.from([0xf0, 0x9f, 0x98, 0x80, 0x0d, 0x0a]));
  });
});

describe('field shape', () => {
  it('a row with the wrong number of fields is a bug, not data', async () => {
    const path = join(dir, 'count.csv');
    const w = await openDelimitedWriter(path, { ...csvCrlf, header: ['a', 'b'] });
    const err = await caught(w.writeRow(['1']));
    expect(err.code).toBe('INTERNAL_ERROR');
    expect(err.message).toContain('1 fields; expected 2');
    await w.abort();
  });

  it('without a header the first row fixes the field count', async () => {
    const path = join(dir, 'count2.csv');
    const w = await openDelimitedWriter(path, tsvLf);
    await w.writeRow(['1', 'Y', 'A', 'N']);
    const err = await caught(w.writeRow(['2', 'Y', 'A']));
    expect(err.message).toContain('the first row');
    await w.abort();
  });

  it('a Date is refused instead of being stringified in the host zone', async () => {
    const path = join(dir, 'date.csv');
    const w = await openDelimitedWriter(path, csvCrlf);
    const err = await caught(w.writeRow([new Date(0) as unknown as string]));
    expect(err.message).toContain('a Date');
    await w.abort();
  });
});

describe('file safety', () => {
  it('creates the file mode 0600 with umask 0 and with umask 0377', async () => {
    for (const mask of [0o000, 0o377]) {
      const old = process.umask(mask);
      try {
        const path = join(dir, `mode-${mask}.csv`);
        const w = await openDelimitedWriter(path, csvCrlf);
        const temp = (await readdir(dir)).find((f) => f.startsWith(`.mode-${mask}.csv.`));
        expect(temp).toBeDefined();
        expect((await stat(join(dir, temp!))).mode & 0o777).toBe(0o600);
        await w.writeRow(['x']);
        await w.close();
        expect((await stat(path)).mode & 0o777).toBe(0o600);
      } finally {
        process.umask(old);
      }
    }
  });

  it('nothing appears under the final name until close; abort removes the partial file', async () => {
    const path = join(dir, 'aborted.csv');
    const w = await openDelimitedWriter(path, { ...csvCrlf, header: ['a', 'b'] });
    for (let i = 0; i < 20_000; i++) await w.writeRow([String(i), 'some text to fill the buffer past one flush']);
    const before = await readdir(dir);
    expect(before).not.toContain('aborted.csv');
    const temp = before.find((f) => f.startsWith('.aborted.csv.'));
    expect(temp).toBeDefined();
    expect((await stat(join(dir, temp!))).size).toBeGreaterThan(0);
    await w.abort();
    const after = await readdir(dir);
    expect(after.filter((f) => f.includes('aborted'))).toEqual([]);
    await expect(w.writeRow(['1', '2'])).rejects.toThrow(/aborted/);
  });

  it('close replaces an existing file atomically and the new file is 0600', async () => {
    const path = join(dir, 'replace.csv');
    const first = await openDelimitedWriter(path, csvCrlf);
    await first.writeRow(['old']);
    await first.close();
    const second = await openDelimitedWriter(path, csvCrlf);
    await second.writeRow(['new']);
    expect(await readFile(path, 'utf8')).toBe('old\r\n');
    await second.close();
    expect(await readFile(path, 'utf8')).toBe('new\r\n');
  });

  it('a missing directory is TRANSFER_NO_SUCH_PATH naming it', async () => {
    const err = await caught(openDelimitedWriter(join(dir, 'nope', 'x.csv'), csvCrlf));
    expect(err.code).toBe('TRANSFER_NO_SUCH_PATH');
    expect(err.message).toContain(join(dir, 'nope'));
  });

  it('a failed write (file-size limit) is TRANSFER_FAILED, and close then leaves no file at all', async () => {
    const sub = await mkdtemp(join(dir, 'limit-'));
    const script = fileURLToPath(new URL('./fixtures/write-past-limit.ts', import.meta.url));
    // ulimit -f 200 (blocks of 512 bytes here) makes the kernel refuse writes past ~100 KB with EFBIG.
    const { stdout } = await promisify(execFile)('sh', ['-c', `ulimit -f 200; exec "${process.execPath}" --import tsx "${script}" "${sub}"`], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
    });
    const out = JSON.parse(stdout.trim().split('\n').pop()!);
    expect(out.writeError).toMatchObject({ code: 'TRANSFER_FAILED', message: expect.stringContaining('limited.csv: EFBIG') });
    expect(out.closeError).toBe('TRANSFER_FAILED');
    expect(out.files).toEqual([]);
  });

  it('rows written without awaiting still land in order', async () => {
    const path = join(dir, 'unawaited.csv');
    const w = await openDelimitedWriter(path, csvCrlf);
    const pending: Promise<boolean>[] = [];
    for (let i = 0; i < 30_000; i++) pending.push(w.writeRow([String(i).padStart(6, '0')]));
    await Promise.all(pending);
    const res = await w.close();
    const lines = (await readFile(path, 'utf8')).split('\r\n');
    expect(res.rows).toBe(30_000);
    expect(lines[0]).toBe('000000');
    expect(lines[29_999]).toBe('029999');
    expect(lines.every((l, i) => i === 30_000 || l === String(i).padStart(6, '0'))).toBe(true);
  });
});

describe('memory', () => {
  it('writing 1M rows keeps RSS bounded (growth far below the data size)', async () => {
    const path = join(dir, 'big.csv');
    const w = await openDelimitedWriter(path, { ...csvCrlf, header: ['id', 'a', 'b', 'c'] });
    const filler = 'x'.repeat(50);
    const row = (i: number): string[] => [String(i), `${filler},${i}`, `"${filler}"`, filler];
    let baseline = 0;
    for (let i = 0; i < 1_000_000; i++) {
      await w.writeRow(row(i));
      if (i === 100_000) baseline = process.memoryUsage().rss;
    }
    const grown = process.memoryUsage().rss - baseline;
    const res = await w.close();
    expect(res.rows).toBe(1_000_000);
    // ~170 bytes a row: ~150 MB written after the baseline. Holding rows would grow RSS by at least that.
    expect(res.bytes).toBeGreaterThan(160_000_000);
    expect(grown).toBeLessThan(48 * 1024 * 1024);
    await rm(path);
  }, 120_000);
});
