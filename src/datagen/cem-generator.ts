/**
 * Synthetic CEM (ASU course-management) export for the Leganto job: a comma CSV with a header and
 * the columns of jobs-reference §5.4.
 *
 * Every rule of the transform has data: each campus of the processing-department table plus an
 * unknown one, Tempe colleges (known, unknown, empty), MUS…, SDO… and DEV… course ids and empty ones,
 * DEV course codes, every term suffix (g, gC, gA, gB, gDYN, r…, l…), codes that match no suffix,
 * empty TERM, SLNs with '-', COPY_COURSE_SLN '-', '0', digits and digits with commas, and duplicate
 * course codes in every merge combination (approved+approved incl. >10 searchable ids and both SLN
 * orders, approved+DELETE, DELETE+approved, DELETE+DELETE, REQUESTED mixes, the same SLN under two
 * codes). Malformed lines (too many / too few fields) are optional.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { chmod, rename, rm } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { addDays, isoDate } from './date-util.js';
import { SisrelayError } from '../errors/sisrelay-error.js';
import { Prng, type SeedPart } from './prng.js';

export const CEM_COLUMNS = [
  'MYASU_COURSE_IDSTRING', 'COURSE_STATUS', 'COURSE_NAME', 'SLN', 'ASURITEID', 'COLLEGE_OR_DIVISION_CODE', 'CAMPUS',
  'COURSE_ID', 'TERM', 'YEAR', 'START_SYNC_DATE', 'END_SYNC_DATE', 'COPY_COURSE_SLN', 'COPY_COURSE_SEMESTER_YEAR',
  'COPY_COURSE_ID', 'COPY_COURSE_SEMESTER_TERM',
] as const;
export type CemColumn = (typeof CEM_COLUMNS)[number];
export type CemRecord = Record<CemColumn, string>;

/** Campuses of the reference mapping, plus one it does not know. */
export const CEM_CAMPUSES = [
  'CALHC', 'CHANDGI', 'EAC', 'HAINAN', 'MESATEM', 'OTHERAZ', 'OTHERUS', 'OUTSIDE', 'SCOTTSD', 'TUCSON',
  'ASUONLI', 'ICOURSE', 'TEMPE', 'DTPHX', 'PHOENIX', 'GLENDALE', 'WEST', 'POLY', 'TBIRD', 'LAKEHAV',
] as const;
const CAMPUS_WEIGHTS: Readonly<Record<string, number>> = {
  TEMPE: 0.35, ASUONLI: 0.15, ICOURSE: 0.04, DTPHX: 0.08, PHOENIX: 0.02, GLENDALE: 0.02, WEST: 0.05, POLY: 0.08,
  TBIRD: 0.02, LAKEHAV: 0.01,
};
const COLLEGES_KNOWN = ['AS', 'BA', 'CS', 'FI', 'GC', 'HO', 'LA', 'LS', 'PP', 'PR', 'SU', 'TB', 'TE', 'UC', 'GF', 'ES', 'NH', 'NU', 'HI', 'LW'];

const SUBJECTS_PLAIN = ['ENG', 'MAT', 'BIO', 'CHM', 'HST', 'PSY', 'ECN', 'CSE', 'SPA', 'FRE', 'ART', 'PHI'];
const SUBJECTS_SPECIAL = ['MUS', 'MUP', 'MHL', 'MDC', 'MSC', 'MSI', 'MTC', 'MUE', 'SDO', 'DEV'];

/** Latin-1 encodable titles with accents, commas and quotes. */
const TITLES = [
  'Introduction to Psychology', 'Calculus for Engineers', 'World Literature', 'Organic Chemistry I',
  'Español Intermedio', 'Café Society: Culture & Coffee', 'Music of the Ancien Régime', 'Müller\'s Theorem, Applied',
  'Photography, Light & "Truth"', 'Français pour débutants', 'Piano Performance', 'Constitutional Law',
  'Data Structures', 'Señoras y Señores: Drama', 'Økonomi & Society', 'Film Noir, "Classic" Cinema',
];

type TermCode = '1' | '4' | '7';
const SEASON: Record<TermCode, string> = { '1': 'Spring', '4': 'Summer', '7': 'Fall' };
const SUFFIXES = ['', 'C', 'A', 'B', 'DYN'] as const;

export const CEM_GROUP_KINDS = [
  'approved+approved', 'approved+approved+approved', 'approved×6', 'approved+approved(larger-sln-first)',
  'approved+DENIED', 'DENIED+approved', 'SUSPENDED+DENIED', 'approved+REQUESTED', 'REQUESTED+approved',
  'same-sln-dev-copy',
] as const;
export type CemGroupKind = (typeof CEM_GROUP_KINDS)[number] | 'single';

export interface CemGenerateOptions {
  seed: SeedPart;
  /** Data records to produce (malformed lines are extra). */
  rows: number;
  /** Export date ('YYYY-MM-DD' or a Date; its UTC date is used). Sets YEAR and the terms. */
  date: string | Date;
}

export interface CemWriteOptions extends CemGenerateOptions {
  /** 'latin1' (ISO-8859-1, what the original reads) or 'utf8'. */
  encoding: 'latin1' | 'utf8';
  /** Prefix a UTF-8 byte-order mark (utf8 only). */
  bom?: boolean;
  /** Add lines with too many and too few fields. */
  includeMalformed?: boolean;
  /** Record separator, default '\n'. */
  lineEnding?: '\n' | '\r\n';
}

export interface CemWriteResult {
  path: string;
  rows: number;
  malformedLines: number;
  bytes: number;
}

function exportYear(date: string | Date): number {
  const iso = typeof date === 'string' ? date : date.toISOString().slice(0, 10);
  const year = Number(iso.slice(0, 4));
  if (!Number.isInteger(year) || year < 1900) throw new RangeError(`date must be YYYY-MM-DD or a Date, got '${String(date)}'`);
  return year;
}

function termWindow(year: number, term: TermCode, suffix: string): { start: string; end: string } {
  const base = term === '1'
    ? { start: isoDate(year, 1, 8), end: isoDate(year, 5, 2) }
    : term === '4'
      ? { start: isoDate(year, 5, 18), end: isoDate(year, 8, 7) }
      : { start: isoDate(year, 8, 20), end: isoDate(year, 12, 5) };
  if (suffix === 'A') return { start: base.start, end: addDays(base.start, 48) };
  if (suffix === 'B') return { start: addDays(base.end, -48), end: base.end };
  return base;
}

const timestamp = (iso: string): string => `${iso} 00:00:00.000000000`;

interface Offering {
  code: string;
  courseId: string;
  title: string;
  term: string;
  year: number;
  start: string;
  end: string;
  campus: string;
  college: string;
}

/** CEM records in file order; each call with the same options yields the same records. */
export function* generateCemRecords(options: CemGenerateOptions): Generator<CemRecord & { group: CemGroupKind }> {
  const year = exportYear(options.date);
  const total = options.rows;
  const forced = [...CEM_GROUP_KINDS];
  let emitted = 0;
  let group = 0;
  let slnCounter = 0;
  const slnOffset = Prng.for(options.seed, 'cem-sln').int(0, 79_999);
  const nextSln = (): string => String(10_000 + ((slnCounter++ * 7919 + slnOffset) % 80_000));

  const offering = (rng: Prng, singleIndex: number | null): Offering => {
    const term = rng.pick(['1', '4', '7'] as const);
    const suffix = rng.weighted<string>(SUFFIXES.map((s) => [s, s === '' ? 0.6 : 0.1] as const));
    const mismatch = rng.chance(0.01);
    const emptyTerm = rng.chance(0.01);
    const special = rng.chance(0.15);
    const subject = special ? rng.pick(SUBJECTS_SPECIAL) : rng.pick(SUBJECTS_PLAIN);
    const courseId = rng.chance(0.02) ? '' : `${subject} ${rng.int(100, 598)}`;
    const campus = singleIndex !== null && singleIndex < CEM_CAMPUSES.length
      ? CEM_CAMPUSES[singleIndex] as string
      : rng.weighted<string>(CEM_CAMPUSES.map((c) => [c, CAMPUS_WEIGHTS[c] ?? 0.01] as const));
    const collegeRoll = rng.next();
    const college = collegeRoll < 0.03 ? '' : collegeRoll < 0.06 ? 'ZZ' : rng.pick(COLLEGES_KNOWN);
    const { start, end } = termWindow(year, term, suffix);
    // A code whose term part ends in another season's letter matches no suffix rule.
    const season = mismatch ? SEASON[term === '7' ? '1' : '7'] : SEASON[term];
    const codeId = courseId === '' ? 'NOID000' : courseId.replace(' ', '');
    return {
      code: `${year}${season}${suffix}-X-${codeId}`,
      courseId,
      title: rng.pick(TITLES),
      term: emptyTerm ? '' : term,
      year,
      start,
      end,
      campus,
      college,
    };
  };

  const record = (rng: Prng, o: Offering, status: string, sln: string, codeOverride?: string): CemRecord => {
    const copyRoll = rng.next();
    let copySln = '-';
    let copyYear = '';
    let copyId = '';
    let copyTerm = '';
    if (copyRoll < 0.03) copySln = '0';
    else if (copyRoll < 0.28) {
      const digits = String(rng.int(10_000, 89_999));
      copySln = copyRoll < 0.08 ? `${digits.slice(0, 2)},${digits.slice(2)}` : digits;
      copyYear = String(rng.chance(0.6) ? o.year - 1 : o.year);
      copyId = o.courseId;
      copyTerm = rng.pick(['1', '4', '7']);
    }
    const hyphenSln = rng.chance(0.02) ? `${sln.slice(0, 2)}-${sln.slice(2)}` : sln;
    const asurite = rng.chance(0.01) ? '' : `${rng.pick(['j', 'm', 'a', 'k', 's', 'r'])}${rng.pick(['smith', 'garcia', 'nguyen', 'lopez', 'chen', 'muller'])}${rng.int(1, 99)}`;
    return {
      MYASU_COURSE_IDSTRING: codeOverride ?? `${o.code}-${sln}`,
      COURSE_STATUS: status,
      COURSE_NAME: o.title,
      SLN: hyphenSln,
      ASURITEID: asurite,
      COLLEGE_OR_DIVISION_CODE: o.college,
      CAMPUS: o.campus,
      COURSE_ID: o.courseId,
      TERM: o.term,
      YEAR: String(o.year),
      START_SYNC_DATE: timestamp(o.start),
      END_SYNC_DATE: timestamp(o.end),
      COPY_COURSE_SLN: copySln,
      COPY_COURSE_SEMESTER_YEAR: copyYear,
      COPY_COURSE_ID: copyId,
      COPY_COURSE_SEMESTER_TERM: copyTerm,
    };
  };

  let singles = 0;
  while (emitted < total) {
    const rng = Prng.for(options.seed, 'cem-group', group);
    // Forced kinds are spread through the file so a small export still has every combination.
    const slot = Math.floor(((CEM_GROUP_KINDS.length + 1) * emitted) / Math.max(1, total));
    let kind: CemGroupKind;
    const nextForced = CEM_GROUP_KINDS.length - forced.length;
    if (forced.length > 0 && slot > nextForced) kind = forced.shift() as CemGroupKind;
    else {
      kind = rng.weighted<CemGroupKind>([
        ['single', 0.86], ['approved+approved', 0.04], ['approved+approved+approved', 0.01], ['approved×6', 0.002],
        ['approved+approved(larger-sln-first)', 0.01], ['approved+DENIED', 0.015], ['DENIED+approved', 0.015],
        ['SUSPENDED+DENIED', 0.01], ['approved+REQUESTED', 0.008], ['REQUESTED+approved', 0.008], ['same-sln-dev-copy', 0.012],
      ]);
    }
    group++;
    const o = offering(rng, kind === 'single' ? singles++ : null);
    const out: CemRecord[] = [];
    if (kind === 'single') {
      const status = rng.weighted<string>([['APPROVED', 0.9], ['REQUESTED', 0.04], ['DENIED', 0.03], ['SUSPENDED', 0.03]]);
      out.push(record(rng, o, status, nextSln()));
    } else if (kind === 'same-sln-dev-copy') {
      const sln = nextSln();
      const first = record(rng, o, 'APPROVED', sln);
      out.push(first, record(rng, o, 'APPROVED', sln, `DEV${first.MYASU_COURSE_IDSTRING}`));
    } else {
      // Duplicates share the course code of the first section (combined sections).
      const statuses: Record<Exclude<CemGroupKind, 'single' | 'same-sln-dev-copy'>, string[]> = {
        'approved+approved': ['APPROVED', 'APPROVED'],
        'approved+approved+approved': ['APPROVED', 'APPROVED', 'APPROVED'],
        'approved×6': ['APPROVED', 'APPROVED', 'APPROVED', 'APPROVED', 'APPROVED', 'APPROVED'],
        'approved+approved(larger-sln-first)': ['APPROVED', 'APPROVED'],
        'approved+DENIED': ['APPROVED', 'DENIED'],
        'DENIED+approved': ['DENIED', 'APPROVED'],
        'SUSPENDED+DENIED': ['SUSPENDED', 'DENIED'],
        'approved+REQUESTED': ['APPROVED', 'REQUESTED'],
        'REQUESTED+approved': ['REQUESTED', 'APPROVED'],
      };
      const list = statuses[kind];
      const slns = list.map(() => nextSln()).sort();
      if (kind === 'approved+approved(larger-sln-first)') slns.reverse();
      const code = `${o.code}-${slns[0] as string}`;
      list.forEach((status, k) => {
        const courseIdVariant: Offering = k === 0 ? o : { ...o, courseId: k % 2 === 1 && o.courseId !== '' ? `${o.courseId.split(' ')[0]} ${rng.int(100, 598)}` : o.courseId };
        out.push(record(rng, courseIdVariant, status, slns[k] as string, code));
      });
    }
    for (const r of out) {
      if (emitted >= total) break;
      emitted++;
      yield { ...r, group: kind };
    }
  }
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Writes the export atomically (temporary name, then rename) with mode 0600. */
export async function writeCemExport(path: string, options: CemWriteOptions): Promise<CemWriteResult> {
  if (options.bom && options.encoding !== 'utf8') {
    throw new SisrelayError('DATA_INVALID', `a byte-order mark needs encoding 'utf8', got '${options.encoding}'`);
  }
  const eol = options.lineEnding ?? '\n';
  const malformedEvery = options.includeMalformed ? Math.max(2, Math.floor(options.rows / Math.max(2, Math.round(options.rows / 5000)))) : 0;
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const out = createWriteStream(tmp, { mode: 0o600 });
  let bytes = 0;
  let rows = 0;
  let malformed = 0;
  let chunk: string[] = [];
  let chunkChars = 0;
  const encode = (text: string): Buffer => {
    if (options.encoding === 'latin1' && /[^\u0000-\u00ff]/.test(text)) {
      throw new SisrelayError('DATA_ENCODING', 'a CEM value has a character outside ISO-8859-1');
    }
    return Buffer.from(text, options.encoding);
  };
  const flush = async () => {
    if (chunk.length === 0) return;
    const buf = encode(chunk.join(''));
    chunk = [];
    chunkChars = 0;
    bytes += buf.length;
    if (!out.write(buf)) await once(out, 'drain');
  };
  const push = async (line: string) => {
    chunk.push(line + eol);
    chunkChars += line.length;
    if (chunkChars > 64 * 1024) await flush();
  };
  try {
    if (options.bom) {
      const bom = Buffer.from([0xef, 0xbb, 0xbf]);
      bytes += bom.length;
      out.write(bom);
    }
    await push(CEM_COLUMNS.join(','));
    for (const rec of generateCemRecords(options)) {
      await push(CEM_COLUMNS.map((c) => csvField(rec[c])).join(','));
      rows++;
      if (malformedEvery > 0 && rows % malformedEvery === 0) {
        // Alternate: an unquoted comma in the title (too many fields), then a truncated line.
        const line = malformed % 2 === 0
          ? CEM_COLUMNS.map((c) => (c === 'COURSE_NAME' ? 'Broken, Unquoted Title' : csvField(rec[c]))).join(',')
          : `${csvField(rec.MYASU_COURSE_IDSTRING)},APPROVED,Truncated line`;
        await push(line);
        malformed++;
      }
    }
    await flush();
    out.end();
    await once(out, 'finish');
    await chmod(tmp, 0o600);
    await rename(tmp, path);
  } catch (err) {
    out.destroy();
    await rm(tmp, { force: true });
    throw err;
  }
  return { path, rows, malformedLines: malformed, bytes };
}
