import type { ConfigProblem } from '../../config/config-types.js';

/**
 * The CEM → Alma course-loader rules both Leganto jobs share, as convict params with the original
 * ASU scripts' values as defaults (scottythered/leganto, leganto_transform.py and
 * leganto_shared.py). A site changes a table in config, never in code.
 *
 * Maps merge with their defaults (convict overlays objects key by key), so an entry is removed by
 * setting it to "" — e.g. `"courseIdPrefixDepartments": { "SDO": "" }`.
 */

const HAYDEN_CAMPUSES = ['CALHC', 'CHANDGI', 'EAC', 'HAINAN', 'MESATEM', 'OTHERAZ', 'OTHERUS', 'OUTSIDE', 'SCOTTSD', 'TUCSON'];
const HAYDEN_COLLEGES = ['AS', 'BA', 'CS', 'FI', 'GC', 'HO', 'LA', 'LS', 'PP', 'PR', 'SU', 'TB', 'TE', 'UC', 'GF'];
const MUSIC_COURSE_PREFIXES = ['MDC', 'MHL', 'MSC', 'MSI', 'MTC', 'MUE', 'MUP', 'MUS'];

const fill = (keys: string[], value: string): Record<string, string> => Object.fromEntries(keys.map((k) => [k, value]));

export const DEFAULT_CAMPUS_DEPARTMENTS: Record<string, string> = {
  ...fill(HAYDEN_CAMPUSES, 'HAYDEN'),
  ASUONLI: 'ASU_ONLINE',
  ICOURSE: 'ASU_ONLINE',
  DTPHX: 'DOWNTOWN',
  PHOENIX: 'DOWNTOWN',
  GLENDALE: 'FLETCHER',
  WEST: 'FLETCHER',
  POLY: 'POLYTECHNIC',
  TBIRD: 'THUNDERBIRD',
};

export const DEFAULT_TEMPE_COLLEGE_DEPARTMENTS: Record<string, string> = {
  ...fill(HAYDEN_COLLEGES, 'HAYDEN'),
  ES: 'NOBLE',
  NH: 'NOBLE',
  NU: 'NOBLE',
  HI: 'DESIGN',
  LW: 'LAW',
};

export const DEFAULT_CAMPUS_COLLEGE_DEPARTMENTS: Record<string, string> = { 'DTPHX/LW': 'LAW', 'PHOENIX/LW': 'LAW' };

export const DEFAULT_COURSE_ID_PREFIX_DEPARTMENTS: Record<string, string> = { ...fill(MUSIC_COURSE_PREFIXES, 'MUSIC'), SDO: 'LAW' };

export const DEFAULT_COURSE_CODE_PREFIX_DEPARTMENTS: Record<string, string> = { DEV: 'COURSE_UNIT' };

/** `TERM/suffix` → Alma course-term code (leganto_shared.py getStringTerm). */
export const DEFAULT_TERM_CODES: Record<string, string> = {
  '1/g': 'SPRING',
  '1/gC': 'SPRING',
  '1/gA': 'TERM4',
  '1/gB': 'TERM5',
  '1/gDYN': 'TERM6',
  '4/r': 'SUMMER',
  '4/rC': 'SUMMER',
  '4/rA': 'TERM7',
  '4/rB': 'TERM8',
  '4/rDYN': 'SEMESTER1',
  '7/l': 'AUTUMN',
  '7/lC': 'AUTUMN',
  '7/lA': 'TERM1',
  '7/lB': 'TERM2',
  '7/lDYN': 'TERM3',
};

/** The params both Leganto jobs take for reading the CEM export and applying the loader rules. */
export const legantoRuleParamsSchema = {
  encoding: {
    doc: 'CEM export encoding when the file has no UTF-8 byte-order mark (a BOM always means UTF-8). The original read ISO-8859-1.',
    format: ['latin1', 'windows-1252', 'utf-8'],
    default: 'latin1',
  },
  skipStatuses: {
    doc: 'COURSE_STATUS values whose rows are skipped (counted, not rejected): a REQUESTED course gets its final status in a later export.',
    format: 'string-list',
    default: ['REQUESTED'],
  },
  deleteStatuses: {
    doc: 'COURSE_STATUS values that become Operation DELETE. Every other status (APPROVED, ...) is an add/update with an empty Operation.',
    format: 'string-list',
    default: ['DENIED', 'SUSPENDED'],
  },
  campusDepartments: {
    doc: 'CAMPUS → Alma processing department. Campuses listed in tempeCampuses are placed by college instead. Merges with the default; set an entry to "" to remove it.',
    format: 'string-map',
    default: DEFAULT_CAMPUS_DEPARTMENTS,
  },
  tempeCampuses: {
    doc: 'Campuses whose processing department comes from COLLEGE_OR_DIVISION_CODE through tempeCollegeDepartments.',
    format: 'string-list',
    default: ['TEMPE'],
  },
  tempeCollegeDepartments: {
    doc: 'COLLEGE_OR_DIVISION_CODE → processing department for the tempeCampuses. Merges with the default; "" removes an entry.',
    format: 'string-map',
    default: DEFAULT_TEMPE_COLLEGE_DEPARTMENTS,
  },
  unknownTempeCollegeDepartment: {
    doc: 'Department for a Tempe row whose college is empty or not in tempeCollegeDepartments (logged as a warning); null rejects such rows to the rejects report instead.',
    format: 'string-or-null',
    default: 'COURSE_UNIT' as string | null,
  },
  campusCollegeDepartments: {
    doc: '"CAMPUS/COLLEGE" → department, for a college placed differently on one campus (Downtown Phoenix law courses). Checked before campusDepartments. "" removes an entry.',
    format: 'string-map',
    default: DEFAULT_CAMPUS_COLLEGE_DEPARTMENTS,
  },
  unknownCampusDepartment: {
    doc: 'Department for a row whose CAMPUS is empty or in no table (logged as a warning); null rejects such rows instead.',
    format: 'string-or-null',
    default: 'HAYDEN' as string | null,
  },
  courseIdPrefixDepartments: {
    doc: 'COURSE_ID prefix → department, overriding the campus placement (longest prefix wins). An empty COURSE_ID is read as missingCourseId. "" removes an entry.',
    format: 'string-map',
    default: DEFAULT_COURSE_ID_PREFIX_DEPARTMENTS,
  },
  courseCodePrefixDepartments: {
    doc: 'Course code (MYASU_COURSE_IDSTRING) prefix → department, overriding everything above (longest prefix wins). "" removes an entry.',
    format: 'string-map',
    default: DEFAULT_COURSE_CODE_PREFIX_DEPARTMENTS,
  },
  missingCourseId: {
    doc: 'Value used for an empty COURSE_ID (it becomes Searchable ID 1).',
    format: String,
    default: '-',
  },
  termCodes: {
    doc: '"TERM/suffix" → Alma course-term code (Term1). The suffix is matched against the end of the course code\'s first "-" part (2026Spring → "g", 2026SpringA → "gA"); the longest matching suffix wins. "" removes an entry.',
    format: 'string-map',
    default: DEFAULT_TERM_CODES,
  },
  unknownTermCode: {
    doc: 'Term1 for a row whose TERM and course code match no termCodes entry (logged as a warning; the original wrote an empty term); null rejects such rows instead.',
    format: 'string-or-null',
    default: '' as string | null,
  },
  dateFormat: {
    doc: 'Start/End Date format; must match the Alma integration profile. Tokens YYYY, MM, DD; other characters are copied.',
    format: 'nonempty-string',
    default: 'DD-MM-YYYY',
  },
  columns: {
    doc: 'Loader columns: 34 (Alma\'s full standard layout, ending with SUBMIT_LISTS_BY, CAMPUS_AND_PARTICIPANTS, READING_LIST_NAME) or 31 (the original file).',
    format: [34, 31],
    default: 34,
  },
};

export interface LegantoRuleParams {
  encoding: 'latin1' | 'windows-1252' | 'utf-8';
  skipStatuses: string[];
  deleteStatuses: string[];
  campusDepartments: Record<string, string>;
  tempeCampuses: string[];
  tempeCollegeDepartments: Record<string, string>;
  unknownTempeCollegeDepartment: string | null;
  campusCollegeDepartments: Record<string, string>;
  unknownCampusDepartment: string | null;
  courseIdPrefixDepartments: Record<string, string>;
  courseCodePrefixDepartments: Record<string, string>;
  missingCourseId: string;
  termCodes: Record<string, string>;
  unknownTermCode: string | null;
  dateFormat: string;
  columns: 31 | 34;
}

/** Cross-field checks convict cannot express; one problem per bad entry. */
export function validateLegantoRuleParams(p: LegantoRuleParams): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const key of Object.keys(p.campusCollegeDepartments)) {
    if (!/^[^/]+\/[^/]+$/.test(key)) {
      problems.push({ path: `campusCollegeDepartments.${key}`, message: `expected a key "CAMPUS/COLLEGE" such as "DTPHX/LW", found ${JSON.stringify(key)}` });
    }
  }
  for (const key of Object.keys(p.termCodes)) {
    if (!/^[^/]+\/[^/]+$/.test(key)) {
      problems.push({ path: `termCodes.${key}`, message: `expected a key "TERM/suffix" such as "1/gA", found ${JSON.stringify(key)}` });
    }
  }
  const tokens = ['YYYY', 'MM', 'DD'].filter((t) => !p.dateFormat.includes(t));
  if (tokens.length > 0) {
    problems.push({ path: 'dateFormat', message: `expected a pattern holding YYYY, MM and DD (such as "DD-MM-YYYY"), found ${JSON.stringify(p.dateFormat)} without ${tokens.join(', ')}` });
  }
  for (const [name, value] of [
    ['dateFormat', p.dateFormat],
    ['missingCourseId', p.missingCourseId],
  ] as const) {
    if (/[\t\r\n]/.test(value)) {
      problems.push({ path: name, message: `expected no TAB or line break (the loader file is tab-separated without quoting), found ${JSON.stringify(value)}` });
    }
  }
  const valueTables: Array<[string, Record<string, string>]> = [
    ['campusDepartments', p.campusDepartments],
    ['tempeCollegeDepartments', p.tempeCollegeDepartments],
    ['campusCollegeDepartments', p.campusCollegeDepartments],
    ['courseIdPrefixDepartments', p.courseIdPrefixDepartments],
    ['courseCodePrefixDepartments', p.courseCodePrefixDepartments],
    ['termCodes', p.termCodes],
  ];
  for (const [name, table] of valueTables) {
    for (const [key, value] of Object.entries(table)) {
      if (/[\t\r\n]/.test(value) || value.trim() !== value) {
        problems.push({ path: `${name}.${key}`, message: `expected an Alma code without spaces at either end, TABs or line breaks, found ${JSON.stringify(value)}` });
      }
    }
  }
  for (const [name, value] of [
    ['unknownTempeCollegeDepartment', p.unknownTempeCollegeDepartment],
    ['unknownCampusDepartment', p.unknownCampusDepartment],
  ] as const) {
    if (value !== null && value.trim() === '') problems.push({ path: name, message: 'expected a department code or null (reject), found an empty string' });
  }
  return problems;
}
