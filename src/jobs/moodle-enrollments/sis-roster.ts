import type { SqlRow, SqlSource } from '../../adapters/adapter-types.js';
import { SisrelayError } from '../../errors/sisrelay-error.js';
import { HUB_SQL, ROSTER_SQL, hubBinds, rosterBinds, type TermBinds } from './roster-sql.js';

/** The two roles the sync manages; also the Moodle role shortnames written to enrollments.csv. */
export const SYNC_ROLES = ['student', 'auditingstudent'] as const;
export type SyncRole = (typeof SYNC_ROLES)[number];

const EMPTY: ReadonlySet<string> = new Set();

/**
 * PowerCampus registrations grouped as `course → section → role → idnumbers`.
 *
 * Sections stay as they came (a NULL section is kept as ''), and "all sections" is a union at
 * lookup time. The original instead blanked the section column of every course mapped without
 * one, which broke entries mapping the same course with a section; the mapping check refuses that
 * combination, and this shape would answer both correctly anyway.
 */
export class SisRoster {
  readonly #courses = new Map<string, Map<string, Record<SyncRole, Set<string>>>>();
  #rows = 0;

  /** Add one (distinct) roster row. */
  add(course: string, section: string, role: SyncRole, idnumber: string): void {
    let sections = this.#courses.get(course);
    if (!sections) this.#courses.set(course, (sections = new Map()));
    let roles = sections.get(section);
    if (!roles) sections.set(section, (roles = { student: new Set(), auditingstudent: new Set() }));
    const set = roles[role];
    if (!set.has(idnumber)) {
      set.add(idnumber);
      this.#rows++;
    }
  }

  /** Idnumbers holding `role` in one section of a course, or in every section when `section` is null. */
  members(course: string, section: string | null, role: SyncRole): ReadonlySet<string> {
    const sections = this.#courses.get(course);
    if (!sections) return EMPTY;
    if (section !== null) return sections.get(section)?.[role] ?? EMPTY;
    if (sections.size === 1) return sections.values().next().value![role];
    const all = new Set<string>();
    for (const roles of sections.values()) for (const id of roles[role]) all.add(id);
    return all;
  }

  /** Distinct (course, section, role, idnumber) rows held. */
  get rows(): number {
    return this.#rows;
  }
}

export interface SisRosterRead {
  roster: SisRoster;
  /** Rows the term query returned (mapped and unmapped courses). */
  termRows: number;
  /** Distinct rows kept for mapped courses (= roster.rows). */
  mappedRows: number;
  /** Rows of mapped courses skipped because the PEOPLE row was missing (NULL idnumber). */
  withoutPerson: number;
}

/** Validate one result row of ROSTER_SQL (column names are lower-case from every SqlSource). */
export function rosterRow(row: SqlRow): { idnumber: string | null; course: string; section: string; role: SyncRole } {
  const { idnumber, course, section, role } = row;
  if (typeof course !== 'string') throw badRow('course', 'a string EVENT_ID', course);
  if (role !== 'student' && role !== 'auditingstudent') throw badRow('role', '"student" or "auditingstudent"', role);
  if (idnumber !== null && typeof idnumber !== 'string') throw badRow('idnumber', 'a string or NULL', idnumber);
  if (section !== null && typeof section !== 'string') throw badRow('section', 'a string or NULL', section);
  return { idnumber: idnumber === '' ? null : idnumber, course, section: section ?? '', role };
}

function badRow(column: string, expected: string, found: unknown): SisrelayError {
  const shown = found === null ? 'NULL' : found === undefined ? 'no such column' : typeof found;
  return new SisrelayError('DATA_INVALID', `PowerCampus roster row: column ${column} expected ${expected}, found ${shown}`, { details: { column } });
}

/** Stream the term's roster and keep the rows of mapped courses. */
export async function readSisRoster(source: SqlSource, term: TermBinds, mappedCourses: ReadonlySet<string>, signal?: AbortSignal): Promise<SisRosterRead> {
  const roster = new SisRoster();
  let termRows = 0;
  let withoutPerson = 0;
  for await (const raw of source.stream(ROSTER_SQL, rosterBinds(term), signal ? { signal } : {})) {
    termRows++;
    const row = rosterRow(raw);
    if (!mappedCourses.has(row.course)) continue;
    if (row.idnumber === null) {
      withoutPerson++;
      continue;
    }
    roster.add(row.course, row.section, row.role, row.idnumber);
  }
  return { roster, termRows, mappedRows: roster.rows, withoutPerson };
}

export interface HubRosterRead {
  /** program → idnumbers. */
  programs: Map<string, Set<string>>;
  rows: number;
}

/** Students of the hub programs in the term. */
export async function readHubRoster(source: SqlSource, term: TermBinds, programs: readonly string[], signal?: AbortSignal): Promise<HubRosterRead> {
  const out = new Map<string, Set<string>>();
  let rows = 0;
  if (programs.length === 0) return { programs: out, rows };
  for await (const raw of source.stream(HUB_SQL, hubBinds(term, programs), signal ? { signal } : {})) {
    const { idnumber, program } = raw;
    if (typeof program !== 'string') throw badRow('program', 'a string CURRICULUM', program);
    if (idnumber !== null && typeof idnumber !== 'string') throw badRow('idnumber', 'a string', idnumber);
    if (idnumber === null || idnumber === '') continue;
    let set = out.get(program);
    if (!set) out.set(program, (set = new Set()));
    if (!set.has(idnumber)) {
      set.add(idnumber);
      rows++;
    }
  }
  return { programs: out, rows };
}
