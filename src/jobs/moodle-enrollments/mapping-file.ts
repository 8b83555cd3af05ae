import { readFileSync } from 'node:fs';
import { isAbsolute, join, normalize, resolve, sep } from 'node:path';
import type { ConfigProblem } from '../../config/config-types.js';
import { SisrelayError } from '../../errors/sisrelay-error.js';
import { JsonSyntaxError, describeNode, parseLocatedJson, type JsonMember, type JsonNode } from './located-json.js';

/**
 * Course mapping files (`<dataDir>/mappings/*.json`), rebuilt by the registrar every term.
 *
 * Academic file: `{ "<Moodle shortname>": { "courses": ["<EVENT_ID>", ...], "section"?: "01", "id": <Moodle course id> } }`
 *   - no `section`: every section of the listed courses; with one: only that section;
 *   - several courses: cross-listing, the rosters are unioned.
 * Hub file (non-academic): `{ "<Moodle shortname>": { "program": "<CURRICULUM>", "id": <Moodle course id> } }`
 *   - every student of the program in the term is added; nobody is ever dropped.
 *
 * Everything wrong is reported at once, each problem naming the file, the entry and the field:
 * `mappings/wc_pc_mapping_wi21.json: "BIO101-01".courses[2]`. Rules beyond the shape:
 * - a shortname or a Moodle course id may be mapped once across all files (two entries on one
 *   Moodle course would compute conflicting add/drop lists for it);
 * - a PowerCampus course may not be mapped both with and without a section. The original blanked
 *   the sections of every row of such a course, so its sectioned entries silently lost their
 *   students (and then dropped them); refusing the file is the only safe reading.
 */

export interface AcademicMapping {
  kind: 'academic';
  shortname: string;
  courseId: number;
  /** PowerCampus EVENT_IDs, in file order. */
  courses: string[];
  /** null = all sections. */
  section: string | null;
  /** `mappings/<file>` and the line of the entry, for messages. */
  file: string;
  line: number;
}

export interface HubMapping {
  kind: 'hub';
  shortname: string;
  courseId: number;
  /** PowerCampus ACADEMIC.CURRICULUM. */
  program: string;
  file: string;
  line: number;
}

export type MappingKind = 'academic' | 'hub';

export interface MappingSet {
  academic: AcademicMapping[];
  hubs: HubMapping[];
}

export interface MappingFileNames {
  mappings: readonly string[];
  hubMappings: readonly string[];
}

const ACADEMIC_KEYS = ['courses', 'section', 'id'] as const;
const HUB_KEYS = ['program', 'id'] as const;
export const MAPPINGS_SUBDIR = 'mappings';

/** Parse and check one file's text. `file` is the name used in problems (`mappings/x.json`). */
export function parseMappingFile(file: string, text: string, kind: MappingKind): { entries: Array<AcademicMapping | HubMapping>; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const entries: Array<AcademicMapping | HubMapping> = [];
  let root: JsonNode;
  try {
    root = parseLocatedJson(text);
  } catch (err) {
    if (err instanceof JsonSyntaxError) {
      problems.push({ path: file, message: `not valid JSON at ${err.message}` });
      return { entries, problems };
    }
    throw err;
  }
  if (root.kind !== 'object') {
    const shape = kind === 'academic' ? '{"<shortname>": {"courses": [...], "section"?: "01", "id": 123}}' : '{"<shortname>": {"program": "CLMH", "id": 123}}';
    problems.push({ path: file, message: `expected an object ${shape}, found ${describeNode(root)}` });
    return { entries, problems };
  }

  const seen = new Map<string, JsonMember>();
  for (const member of root.members) {
    const name = JSON.stringify(member.key);
    const at = `${file}: ${name}`;
    const first = seen.get(member.key);
    if (first) {
      problems.push({ path: at, message: `duplicate shortname (line ${member.at.line}); it is already mapped at line ${first.at.line} of this file, and JSON keeps only the last one` });
      continue;
    }
    seen.set(member.key, member);
    const shortnameProblem = checkShortname(member.key);
    if (shortnameProblem) problems.push({ path: at, message: `${shortnameProblem} (line ${member.at.line})` });
    const entry = kind === 'academic' ? academicEntry(file, member, problems) : hubEntry(file, member, problems);
    if (entry && !shortnameProblem) entries.push(entry);
  }
  return { entries, problems };
}

function checkShortname(s: string): string | null {
  if (s.trim() === '') return 'expected a Moodle course shortname, found an empty key';
  if (s !== s.trim()) return 'expected a shortname without leading or trailing spaces (Moodle would not match it)';
  // A line break would split a row of enrollments.csv; other control characters are typos.
  if (/[\x00-\x1f\x7f]/.test(s)) return 'expected a shortname without line breaks or control characters';
  return null;
}

function entryObject(file: string, member: JsonMember, kind: MappingKind, problems: ConfigProblem[]): Map<string, JsonMember> | null {
  const at = `${file}: ${JSON.stringify(member.key)}`;
  const v = member.value;
  if (v.kind !== 'object') {
    const shape = kind === 'academic' ? '{"courses": [...], "section"?: "01", "id": 123}' : '{"program": "CLMH", "id": 123}';
    problems.push({ path: at, message: `expected an object ${shape} (line ${v.line}), found ${describeNode(v)}` });
    return null;
  }
  const allowed: readonly string[] = kind === 'academic' ? ACADEMIC_KEYS : HUB_KEYS;
  const fields = new Map<string, JsonMember>();
  for (const f of v.members) {
    const path = `${at}.${f.key}`;
    if (!allowed.includes(f.key)) {
      const hint =
        kind === 'academic' && f.key === 'program'
          ? '; "program" belongs in a hub mapping file (params.hubMappings)'
          : kind === 'hub' && (f.key === 'courses' || f.key === 'section')
            ? `; "${f.key}" belongs in a course mapping file (params.mappings)`
            : '';
      problems.push({ path, message: `unknown key (line ${f.at.line}); expected only ${allowed.join(', ')}${hint}` });
    } else if (fields.has(f.key)) {
      problems.push({ path, message: `duplicate key (line ${f.at.line}); already given at line ${fields.get(f.key)!.at.line}` });
    } else {
      fields.set(f.key, f);
    }
  }
  return fields;
}

function courseId(at: string, member: JsonMember, fields: Map<string, JsonMember>, problems: ConfigProblem[]): number | null {
  const id = fields.get('id');
  if (!id) {
    problems.push({ path: `${at}.id`, message: `missing (entry at line ${member.at.line}); expected the Moodle course id, a positive integer` });
    return null;
  }
  const v = id.value;
  if (v.kind !== 'number' || !Number.isSafeInteger(v.value) || v.value < 1) {
    problems.push({ path: `${at}.id`, message: `expected the Moodle course id, a positive integer (line ${v.line}), found ${describeNode(v)}` });
    return null;
  }
  return v.value;
}

function academicEntry(file: string, member: JsonMember, problems: ConfigProblem[]): AcademicMapping | null {
  const fields = entryObject(file, member, 'academic', problems);
  if (!fields) return null;
  const at = `${file}: ${JSON.stringify(member.key)}`;
  const before = problems.length;
  const id = courseId(at, member, fields, problems);

  const courses: string[] = [];
  const list = fields.get('courses');
  if (!list) {
    problems.push({ path: `${at}.courses`, message: `missing (entry at line ${member.at.line}); expected a list of PowerCampus EVENT_IDs` });
  } else if (list.value.kind !== 'array' || list.value.items.length === 0) {
    problems.push({ path: `${at}.courses`, message: `expected a non-empty list of PowerCampus EVENT_IDs (line ${list.value.line}), found ${describeNode(list.value)}` });
  } else {
    list.value.items.forEach((item, i) => {
      const path = `${at}.courses[${i}]`;
      if (item.kind !== 'string' || item.value.trim() === '' || item.value !== item.value.trim()) {
        problems.push({ path, message: `expected a PowerCampus EVENT_ID, a non-empty string without surrounding spaces (line ${item.line}), found ${describeNode(item)}` });
      } else if (courses.includes(item.value)) {
        problems.push({ path, message: `course ${JSON.stringify(item.value)} is listed twice in this entry (line ${item.line})` });
      } else {
        courses.push(item.value);
      }
    });
  }

  let section: string | null = null;
  const sec = fields.get('section');
  if (sec) {
    const v = sec.value;
    if (v.kind !== 'string' || v.value.trim() === '' || v.value !== v.value.trim()) {
      // A number would lose its leading zero ("01" vs 1); null/"" are ambiguous — omit the key instead.
      problems.push({
        path: `${at}.section`,
        message: `expected a PowerCampus SECTION as a string such as "01" (line ${v.line}), found ${describeNode(v)}; leave the key out to map all sections`,
      });
    } else {
      section = v.value;
    }
  }
  if (problems.length > before || id === null) return null;
  return { kind: 'academic', shortname: member.key, courseId: id, courses, section, file, line: member.at.line };
}

function hubEntry(file: string, member: JsonMember, problems: ConfigProblem[]): HubMapping | null {
  const fields = entryObject(file, member, 'hub', problems);
  if (!fields) return null;
  const at = `${file}: ${JSON.stringify(member.key)}`;
  const before = problems.length;
  const id = courseId(at, member, fields, problems);
  let program: string | null = null;
  const p = fields.get('program');
  if (!p) {
    problems.push({ path: `${at}.program`, message: `missing (entry at line ${member.at.line}); expected a PowerCampus CURRICULUM such as "CLMH"` });
  } else if (p.value.kind !== 'string' || p.value.value.trim() === '' || p.value.value !== p.value.value.trim()) {
    problems.push({ path: `${at}.program`, message: `expected a PowerCampus CURRICULUM, a non-empty string (line ${p.value.line}), found ${describeNode(p.value)}` });
  } else {
    program = p.value.value;
  }
  if (problems.length > before || id === null || program === null) return null;
  return { kind: 'hub', shortname: member.key, courseId: id, program, file, line: member.at.line };
}

/** Rules that span entries and files: unique shortnames and course ids, no course both with and without a section. */
export function checkAcrossFiles(entries: ReadonlyArray<AcademicMapping | HubMapping>): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const byShortname = new Map<string, AcademicMapping | HubMapping>();
  const byId = new Map<number, AcademicMapping | HubMapping>();
  const where = (e: AcademicMapping | HubMapping): string => `${e.file} line ${e.line}`;
  for (const e of entries) {
    const at = `${e.file}: ${JSON.stringify(e.shortname)}`;
    const other = byShortname.get(e.shortname);
    if (other) {
      problems.push({ path: at, message: `duplicate shortname: also mapped in ${where(other)}` });
      continue;
    }
    byShortname.set(e.shortname, e);
    const sameId = byId.get(e.courseId);
    if (sameId) {
      problems.push({ path: `${at}.id`, message: `Moodle course id ${e.courseId} is also mapped by ${JSON.stringify(sameId.shortname)} (${where(sameId)}); one Moodle course takes one entry (list cross-listed courses in its "courses")` });
    } else {
      byId.set(e.courseId, e);
    }
  }

  // course → the first entry mapping it without a section, and the first with one.
  const unsectioned = new Map<string, AcademicMapping>();
  const sectioned = new Map<string, AcademicMapping>();
  for (const e of entries) {
    if (e.kind !== 'academic') continue;
    for (const c of e.courses) {
      const bucket = e.section === null ? unsectioned : sectioned;
      if (!bucket.has(c)) bucket.set(c, e);
    }
  }
  for (const e of entries) {
    if (e.kind !== 'academic' || e.section !== null) continue;
    e.courses.forEach((c, i) => {
      const s = sectioned.get(c);
      if (!s) return;
      problems.push({
        path: `${e.file}: ${JSON.stringify(e.shortname)}.courses[${i}]`,
        message:
          `course ${JSON.stringify(c)} is mapped here without a section (all sections) and with section ${JSON.stringify(s.section)} in ${JSON.stringify(s.shortname)} (${where(s)}); ` +
          'map it with a section in every entry or without one in every entry (the original sync silently emptied the sectioned entry)',
      });
    });
  }
  return problems;
}

/** `<dataDir>/mappings` for a data dir that may be relative to the config file's directory. */
export function mappingsDir(dataDir: string, baseDir = process.cwd()): string {
  return join(resolve(baseDir, dataDir), MAPPINGS_SUBDIR);
}

/** Read, parse and check every configured file. Synchronous: config validation is. */
export function readMappingFiles(names: MappingFileNames, dir: string): { set: MappingSet; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const all: Array<AcademicMapping | HubMapping> = [];
  const files: Array<[string, MappingKind, 'mappings' | 'hubMappings']> = [
    ...names.mappings.map((n): [string, MappingKind, 'mappings'] => [n, 'academic', 'mappings']),
    ...names.hubMappings.map((n): [string, MappingKind, 'hubMappings'] => [n, 'hub', 'hubMappings']),
  ];
  const seenFiles = new Set<string>();
  for (const [name, kind, param] of files) {
    const label = `${MAPPINGS_SUBDIR}/${name}`;
    const clean = normalize(name);
    if (isAbsolute(name) || clean === '..' || clean.startsWith(`..${sep}`) || name.includes('\0')) {
      problems.push({ path: param, message: `expected a file name inside <dataDir>/${MAPPINGS_SUBDIR}, found ${JSON.stringify(name)}` });
      continue;
    }
    if (seenFiles.has(clean)) {
      problems.push({ path: param, message: `${JSON.stringify(name)} is listed more than once across mappings and hubMappings` });
      continue;
    }
    seenFiles.add(clean);
    let text: string;
    try {
      text = readFileSync(join(dir, clean), 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (code ?? 'read failed');
      problems.push({ path: label, message: `cannot read ${join(dir, clean)}: ${why}` });
      continue;
    }
    const parsed = parseMappingFile(label, text, kind);
    problems.push(...parsed.problems);
    all.push(...parsed.entries);
  }
  problems.push(...checkAcrossFiles(all));
  if (names.mappings.length + names.hubMappings.length === 0) {
    problems.push({ path: 'mappings', message: 'expected at least one mapping file in mappings or hubMappings, found none' });
  } else if (problems.length === 0 && all.length === 0) {
    problems.push({ path: 'mappings', message: `expected at least one mapped course, found none in ${[...names.mappings, ...names.hubMappings].join(', ')}` });
  }
  return {
    set: { academic: all.filter((e): e is AcademicMapping => e.kind === 'academic'), hubs: all.filter((e): e is HubMapping => e.kind === 'hub') },
    problems,
  };
}

/** For the run: the same checks as config load (files may have changed since), failing with MAPPING_INVALID. */
export function loadMappings(names: MappingFileNames, dir: string): MappingSet {
  const { set, problems } = readMappingFiles(names, dir);
  if (problems.length > 0) {
    const shown = problems.slice(0, 20).map((p) => `${p.path}: ${p.message}`);
    if (problems.length > shown.length) shown.push(`... and ${problems.length - shown.length} more`);
    throw new SisrelayError('MAPPING_INVALID', `course mapping files in ${dir} are invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${shown.join('\n')}`, {
      details: { problems: problems.length },
    });
  }
  return set;
}
