import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAlmaFixture, type AlmaFixture } from '../../src/datagen/alma-fixture.js';
import {
  CEM_CAMPUSES, CEM_COLUMNS, generateCemRecords, writeCemExport, type CemRecord,
} from '../../src/datagen/cem-generator.js';
import { SisrelayError } from '../../src/errors/sisrelay-error.js';

const OPTS = { seed: 5, rows: 3000, date: '2026-10-05' };
let dir: string;
let records: CemRecord[];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'datagen-cem-'));
  records = [...generateCemRecords(OPTS)];
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function parse(text: string) {
  return Papa.parse<Record<string, string>>(text, { header: true, skipEmptyLines: true });
}

describe('writeCemExport', () => {
  it('writes a Latin-1 comma CSV with the CEM header, one record per row, mode 0600, no temp file left', async () => {
    const path = join(dir, 'latin1.csv');
    const res = await writeCemExport(path, { ...OPTS, encoding: 'latin1' });
    expect(res).toMatchObject({ path, rows: 3000, malformedLines: 0 });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
    const bytes = readFileSync(path);
    expect(res.bytes).toBe(bytes.length);
    const parsed = parse(bytes.toString('latin1'));
    expect(parsed.errors).toEqual([]);
    expect(parsed.meta.fields).toEqual([...CEM_COLUMNS]);
    expect(parsed.data).toHaveLength(3000);
    expect(parsed.data[10]).toEqual(Object.fromEntries(CEM_COLUMNS.map((c) => [c, records[10]![c]])));
    // ñ is one byte 0xF1 in Latin-1, never the UTF-8 pair C3 B1.
    expect(bytes.includes(Buffer.from([0x45, 0x73, 0x70, 0x61, 0xf1, 0x6f, 0x6c]))).toBe(true);
    expect(bytes.includes(Buffer.from([0xc3, 0xb1]))).toBe(false);
  });

  it('writes UTF-8 with an optional BOM and CRLF', async () => {
    const path = join(dir, 'utf8.csv');
    await writeCemExport(path, { ...OPTS, rows: 400, encoding: 'utf8', bom: true, lineEnding: '\r\n' });
    const bytes = readFileSync(path);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.subarray(3).toString('utf8');
    expect(text.split('\r\n')[0]).toBe(CEM_COLUMNS.join(','));
    expect(parse(text).data).toHaveLength(400);
    await expect(writeCemExport(join(dir, 'x.csv'), { ...OPTS, encoding: 'latin1', bom: true })).rejects.toBeInstanceOf(SisrelayError);
  });

  it('adds malformed lines (too many and too few fields) only when asked', async () => {
    const path = join(dir, 'malformed.csv');
    const res = await writeCemExport(path, { ...OPTS, encoding: 'latin1', includeMalformed: true });
    expect(res.rows).toBe(3000);
    expect(res.malformedLines).toBeGreaterThanOrEqual(2);
    const parsed = parse(readFileSync(path).toString('latin1'));
    const codes = parsed.errors.map((e) => e.code);
    expect(codes).toContain('TooManyFields');
    expect(codes).toContain('TooFewFields');
    expect(parsed.errors).toHaveLength(res.malformedLines);
  });

  it('is byte-identical for the same seed and differs for another', async () => {
    const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
    await writeCemExport(join(dir, 'a.csv'), { ...OPTS, rows: 500, encoding: 'latin1' });
    await writeCemExport(join(dir, 'b.csv'), { ...OPTS, rows: 500, encoding: 'latin1' });
    await writeCemExport(join(dir, 'c.csv'), { ...OPTS, rows: 500, seed: 6, encoding: 'latin1' });
    expect(sha(join(dir, 'a.csv'))).toBe(sha(join(dir, 'b.csv')));
    expect(sha(join(dir, 'c.csv'))).not.toBe(sha(join(dir, 'a.csv')));
  });

  it('writes 30,000 rows', async () => {
    const res = await writeCemExport(join(dir, 'big.csv'), { ...OPTS, rows: 30_000, encoding: 'latin1' });
    expect(res.rows).toBe(30_000);
    expect(readFileSync(join(dir, 'big.csv'), 'latin1').trimEnd().split('\n')).toHaveLength(30_001);
  });
});

describe('CEM content', () => {
  it('covers every campus, statuses, empty TERM, special course ids and copy-course SLN shapes', () => {
    expect(new Set(records.map((r) => r.CAMPUS))).toEqual(new Set(CEM_CAMPUSES));
    expect(new Set(records.map((r) => r.COURSE_STATUS))).toEqual(new Set(['APPROVED', 'REQUESTED', 'DENIED', 'SUSPENDED']));
    expect(new Set(records.map((r) => r.TERM))).toEqual(new Set(['1', '4', '7', '']));
    for (const prefix of ['MUS', 'SDO', 'DEV']) expect(records.some((r) => r.COURSE_ID.startsWith(prefix)), prefix).toBe(true);
    expect(records.some((r) => r.COURSE_ID === '')).toBe(true);
    expect(records.some((r) => r.MYASU_COURSE_IDSTRING.startsWith('DEV'))).toBe(true);
    const tempeColleges = new Set(records.filter((r) => r.CAMPUS === 'TEMPE').map((r) => r.COLLEGE_OR_DIVISION_CODE));
    for (const c of ['', 'ZZ', 'LW', 'HI']) expect(tempeColleges.has(c), `Tempe college '${c}'`).toBe(true);
    const copies = records.map((r) => r.COPY_COURSE_SLN);
    expect(copies).toContain('-');
    expect(copies).toContain('0');
    expect(copies.some((c) => /^\d{5}$/.test(c))).toBe(true);
    expect(copies.some((c) => /^\d+,\d+$/.test(c))).toBe(true);
    expect(records.some((r) => r.SLN.includes('-'))).toBe(true);
    for (const r of records) {
      expect(r.START_SYNC_DATE).toMatch(/^\d{4}-\d{2}-\d{2} 00:00:00\.000000000$/);
      expect(r.COURSE_NAME).toMatch(/^[\u0000-\u00ff]*$/);
    }
    expect(records.some((r) => /[éñü]/.test(r.COURSE_NAME))).toBe(true);
  });

  it('has every term suffix of the course-code rules, and codes that match none', () => {
    const endings = new Set(records.map((r) => {
      const head = r.MYASU_COURSE_IDSTRING.replace(/^DEV/, '').split('-')[0]!;
      return head.replace(/^\d{4}(Spring|Summer|Fall)/, (_, s: string) => s.slice(-1));
    }));
    for (const e of ['g', 'gC', 'gA', 'gB', 'gDYN', 'r', 'rC', 'rA', 'rB', 'rDYN', 'l', 'lC', 'lA', 'lB', 'lDYN']) {
      expect(endings.has(e), e).toBe(true);
    }
    const season: Record<string, string> = { '1': 'Spring', '4': 'Summer', '7': 'Fall' };
    expect(records.some((r) => r.TERM !== '' && !r.MYASU_COURSE_IDSTRING.includes(season[r.TERM]!))).toBe(true);
  });

  it('repeats course codes in every merge combination', () => {
    const byCode = new Map<string, CemRecord[]>();
    for (const r of records) byCode.set(r.MYASU_COURSE_IDSTRING, [...(byCode.get(r.MYASU_COURSE_IDSTRING) ?? []), r]);
    const sequences = new Set([...byCode.values()].filter((l) => l.length > 1).map((l) => l.map((r) => r.COURSE_STATUS).join('+')));
    for (const s of ['APPROVED+APPROVED', 'APPROVED+APPROVED+APPROVED', 'APPROVED+DENIED', 'DENIED+APPROVED', 'SUSPENDED+DENIED', 'APPROVED+REQUESTED', 'REQUESTED+APPROVED']) {
      expect(sequences.has(s), s).toBe(true);
    }
    const approvedGroups = [...byCode.values()].filter((l) => l.length > 1 && l.every((r) => r.COURSE_STATUS === 'APPROVED'));
    expect(approvedGroups.some((l) => l.length >= 6)).toBe(true);
    const sln = (r: CemRecord) => Number(r.SLN.replace('-', ''));
    expect(approvedGroups.some((l) => sln(l[0]!) > sln(l[1]!))).toBe(true);
    expect(approvedGroups.some((l) => sln(l[0]!) < sln(l[1]!))).toBe(true);
    // The same SLN under two codes (a DEV copy) is a different course, not a duplicate.
    const codesPerSln = new Map<string, Set<string>>();
    for (const r of records) codesPerSln.set(r.SLN, (codesPerSln.get(r.SLN) ?? new Set()).add(r.MYASU_COURSE_IDSTRING));
    expect([...codesPerSln.values()].some((s) => s.size >= 2)).toBe(true);
  });

  it('puts every combination into even a small export', () => {
    const small = [...generateCemRecords({ ...OPTS, rows: 80 })];
    expect(small).toHaveLength(80);
    const byCode = new Map<string, string[]>();
    for (const r of small) byCode.set(r.MYASU_COURSE_IDSTRING, [...(byCode.get(r.MYASU_COURSE_IDSTRING) ?? []), r.COURSE_STATUS]);
    const sequences = new Set([...byCode.values()].map((l) => l.join('+')));
    for (const s of ['APPROVED+DENIED', 'DENIED+APPROVED', 'SUSPENDED+DENIED', 'REQUESTED+APPROVED']) expect(sequences.has(s), s).toBe(true);
  });
});

describe('buildAlmaFixture', () => {
  let alma: AlmaFixture;
  beforeAll(() => {
    alma = buildAlmaFixture({ ...OPTS, years: [2025, 2026] });
  });

  it('holds courses of the requested years only, with unique ids and the Alma course fields', () => {
    expect(alma.courses.length).toBeGreaterThan(1000);
    expect(new Set(alma.courses.map((c) => c.year))).toEqual(new Set(['2025', '2026']));
    expect(new Set(alma.courses.map((c) => c.id)).size).toBe(alma.courses.length);
    for (const c of alma.courses.slice(0, 50)) {
      expect(Array.isArray(c.searchable_id)).toBe(true);
      expect(c.section).not.toContain('-');
    }
    expect(buildAlmaFixture({ ...OPTS, years: [2026] }).courses.every((c) => c.year === '2026')).toBe(true);
  });

  it('contains part of the exported codes, DELETE targets with and without reading lists, and partial-match traps', () => {
    const codes = new Set(records.map((r) => r.MYASU_COURSE_IDSTRING));
    expect(alma.existingCodes.length).toBeGreaterThan(0);
    expect(alma.existingCodes.length).toBeLessThan(codes.size);
    for (const c of alma.existingCodes) expect(codes.has(c)).toBe(true);
    const byCode = new Map(alma.courses.map((c) => [c.code, c]));
    const deleteCodes = new Set(records.filter((r) => r.COURSE_STATUS === 'DENIED' || r.COURSE_STATUS === 'SUSPENDED').map((r) => r.MYASU_COURSE_IDSTRING));
    const deletesInAlma = [...deleteCodes].filter((c) => byCode.has(c));
    expect(deletesInAlma.some((c) => byCode.get(c)!.reading_lists > 0)).toBe(true);
    expect(deletesInAlma.some((c) => byCode.get(c)!.reading_lists === 0)).toBe(true);
    expect([...deleteCodes].some((c) => !byCode.has(c))).toBe(true);
    expect(alma.partialOnlyCodes.length).toBeGreaterThan(0);
    for (const c of alma.partialOnlyCodes) {
      expect(byCode.has(c)).toBe(false);
      expect(alma.courses.some((x) => x.code.startsWith(c))).toBe(true);
    }
  });

  it('lets copy-course SLNs find last year\'s course by section, by searchable id, or ambiguously', () => {
    const copies = records.filter((r) => /^[\d,]+$/.test(r.COPY_COURSE_SLN) && r.COPY_COURSE_SLN !== '0' && r.COPY_COURSE_SEMESTER_YEAR === '2025');
    expect(copies.length).toBeGreaterThan(0);
    const sln = (r: CemRecord) => r.COPY_COURSE_SLN.replace(/,/g, '');
    const bySection = copies.filter((r) => alma.courses.filter((c) => c.year === '2025' && c.section === sln(r)).length === 1);
    const bySearch = copies.filter((r) => alma.courses.some((c) => c.year === '2025' && c.section !== sln(r) && c.searchable_id.includes(sln(r))));
    const ambiguous = copies.filter((r) => alma.courses.filter((c) => c.year === '2025' && c.section === sln(r)).length >= 2);
    expect(bySection.length).toBeGreaterThan(0);
    expect(bySearch.length).toBeGreaterThan(0);
    expect(ambiguous.length).toBeGreaterThan(0);
  });
});
