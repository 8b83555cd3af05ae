import type { LegantoRuleParams } from './rule-params.js';

/**
 * The loader rules in the shape the pure functions use: maps without removed ("") entries,
 * prefix tables ordered longest first. Built once per run from the job's params.
 */
export interface LegantoRules {
  skipStatuses: ReadonlySet<string>;
  deleteStatuses: ReadonlySet<string>;
  placement: PlacementTables;
  missingCourseId: string;
  /** TERM → [suffix, code] longest suffix first. */
  termCodes: ReadonlyMap<string, ReadonlyArray<readonly [string, string]>>;
  unknownTermCode: string | null;
  dateFormat: string;
  columns: 31 | 34;
  /** Course-code prefixes whose rows are skipped (the rollover report's configurable skip). */
  skipCodePrefixes: readonly string[];
}

export interface PlacementTables {
  campusDepartments: ReadonlyMap<string, string>;
  tempeCampuses: ReadonlySet<string>;
  tempeCollegeDepartments: ReadonlyMap<string, string>;
  unknownTempeCollegeDepartment: string | null;
  /** Key `CAMPUS/COLLEGE`. */
  campusCollegeDepartments: ReadonlyMap<string, string>;
  unknownCampusDepartment: string | null;
  /** Longest prefix first. */
  courseIdPrefixDepartments: ReadonlyArray<readonly [string, string]>;
  courseCodePrefixDepartments: ReadonlyArray<readonly [string, string]>;
  /**
   * Rollover report only: campuses placed through the Tempe college table, whose resulting
   * department is then replaced through `onlineDepartmentOverrides` (HAYDEN → FLETCHER).
   */
  onlineCampuses: ReadonlySet<string>;
  onlineDepartmentOverrides: ReadonlyMap<string, string>;
}

export interface ReportPlacementParams {
  onlineCampuses: string[];
  onlineDepartmentOverrides: Record<string, string>;
  skipCodePrefixes: string[];
}

export function rulesFromParams(p: LegantoRuleParams, report?: ReportPlacementParams): LegantoRules {
  const terms = new Map<string, Array<[string, string]>>();
  for (const [key, code] of live(p.termCodes)) {
    const slash = key.indexOf('/');
    const term = key.slice(0, slash);
    const suffix = key.slice(slash + 1);
    const list = terms.get(term) ?? [];
    list.push([suffix, code]);
    terms.set(term, list);
  }
  for (const list of terms.values()) list.sort(longestKeyFirst);
  return {
    skipStatuses: new Set(p.skipStatuses),
    deleteStatuses: new Set(p.deleteStatuses),
    placement: {
      campusDepartments: new Map(live(p.campusDepartments)),
      tempeCampuses: new Set(p.tempeCampuses),
      tempeCollegeDepartments: new Map(live(p.tempeCollegeDepartments)),
      unknownTempeCollegeDepartment: p.unknownTempeCollegeDepartment,
      campusCollegeDepartments: new Map(live(p.campusCollegeDepartments)),
      unknownCampusDepartment: p.unknownCampusDepartment,
      courseIdPrefixDepartments: byLongestKey(p.courseIdPrefixDepartments),
      courseCodePrefixDepartments: byLongestKey(p.courseCodePrefixDepartments),
      onlineCampuses: new Set(report?.onlineCampuses ?? []),
      onlineDepartmentOverrides: new Map(live(report?.onlineDepartmentOverrides ?? {})),
    },
    missingCourseId: p.missingCourseId,
    termCodes: terms,
    unknownTermCode: p.unknownTermCode,
    dateFormat: p.dateFormat,
    columns: p.columns,
    skipCodePrefixes: report?.skipCodePrefixes ?? [],
  };
}

/** Entries not removed with "". */
function live(map: Record<string, string>): Array<[string, string]> {
  return Object.entries(map).filter(([, v]) => v !== '');
}

/** Prefix/suffix tables are searched in this order, so the most specific key wins; ties by key keep it independent of config order. */
function longestKeyFirst(a: readonly [string, string], b: readonly [string, string]): number {
  return b[0].length - a[0].length || a[0].localeCompare(b[0]);
}

function byLongestKey(map: Record<string, string>): Array<readonly [string, string]> {
  return live(map).sort(longestKeyFirst);
}
