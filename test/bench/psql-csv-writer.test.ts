import { describe, expect, it } from 'vitest';
// @ts-expect-error: plain JavaScript without declarations (bench/sql-stream-child.mjs runs on bare node)
import { PsqlCsvWriter } from '../../bench/psql-csv-writer.mjs';
import { civilFromDays } from '../../src/util/dates.js';

/** The writer's whole output for `rows`. */
function write(rows: Record<string, unknown>[], timestampColumns: string[] = []): Buffer {
  const parts: Buffer[] = [];
  const w = new PsqlCsvWriter({ timestampColumns, civilFromDays, flush: (b: Buffer) => parts.push(b) });
  for (const row of rows) w.row(row);
  w.end();
  return Buffer.concat(parts);
}

describe('PsqlCsvWriter (the SQL streaming benchmark writes what psql \\copy csv writes)', () => {
  it.each([
    ['plain text', 'plain', 'plain'],
    ['a comma', 'a,b', '"a,b"'],
    ['a quote, doubled', 'say "hi"', '"say ""hi"""'],
    ['a line feed', 'a\nb', '"a\nb"'],
    ['a carriage return', 'a\rb', '"a\rb"'],
    ['two-byte UTF-8', 'Zoë Núñez', 'Zoë Núñez'],
    ['three-byte UTF-8', '李 €', '李 €'],
    ['a surrogate pair', 'x😀y', 'x😀y'],
    ['non-ASCII that needs quotes', 'Zoë, "李"', '"Zoë, ""李"""'],
    ['empty text', '', ''],
    ['NULL', null, ''],
    ['zero', 0, '0'],
    ['a negative integer', -42, '-42'],
    ['the largest int4', 2147483647, '2147483647'],
    ['an integer past int4', 9007199254740991, '9007199254740991'],
    ['a decimal', 3.25, '3.25'],
    ['a negative decimal', -0.5, '-0.5'],
    ['a bigint', 9007199254740993n, '9007199254740993'],
    ['true', true, 't'],
    ['false', false, 'f'],
    ['bytea', Buffer.from([0, 171, 255]), '\\x00abff'],
    ['a date', new Date(Date.UTC(2008, 0, 1)), '2008-01-01'],
    ['a year below 1000', new Date(Date.UTC(999, 11, 31)), '0999-12-31'],
  ])('%s', (_what, value, text) => {
    expect(write([{ v: value }]).toString('utf8')).toBe(`${text}\n`);
  });

  it('writes timestamps for the named columns, with the fraction as psql prints it', () => {
    const rows = [
      { d: new Date(Date.UTC(2024, 2, 10, 2, 30)), t: new Date(Date.UTC(2024, 2, 10, 2, 30)) },
      { d: new Date(Date.UTC(2024, 2, 10)), t: new Date(Date.UTC(2024, 10, 3, 1, 30, 5, 250)) },
      { d: new Date(Date.UTC(2024, 2, 10)), t: new Date(Date.UTC(2024, 10, 3, 23, 59, 59, 7)) },
    ];
    expect(write(rows, ['t']).toString('utf8')).toBe('2024-03-10,2024-03-10 02:30:00\n2024-03-10,2024-11-03 01:30:05.25\n2024-03-10,2024-11-03 23:59:59.007\n');
  });

  it('joins fields with commas in key order and gives the same bytes across buffer boundaries', () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => ({ id: i, name: i % 7 === 0 ? `Zoë, ${i}` : `name ${i}`, gpa: (i % 400) / 100, none: null }));
    const expected = rows.map((r) => `${r.id},${r.name.includes(',') ? `"${r.name}"` : r.name},${r.gpa},`).join('\n') + '\n';
    const out = write(rows);
    expect(out.length).toBeGreaterThan(1 << 17); // more than one buffer
    expect(out.equals(Buffer.from(expected, 'utf8'))).toBe(true);
  });
});
