/** Options of the PowerSchool generator, with the defaults the demo and golden data use. */
import { DEFAULT_NAME_OPTIONS, type NameOptions } from './name-pools.js';

export interface PowerSchoolOptions {
  names: NameOptions;
  /** School years before `schoolYearStart` that get TERMS and SECTIONS rows. Default 1. */
  previousYears: number;
  /** Share of returning active (and graduated) students with last year's CC rows. Default 0.15. */
  previousYearEnrollmentRate: number;
  /** Probability that an active student has a dropped enrollment (negative termid/sectionid). Default 0.3. */
  dropRate: number;
  /** Share of elementary/middle students with one class at another school. Default 0.05. */
  crossSchoolRate: number;
  /** Share of sections with a NULL room. Default 0.06. */
  nullRoomRate: number;
  /** Share of sections whose room has a comma, quote or accent. Default 0.03. */
  specialRoomRate: number;
  /** Share of regular teachers without an e-mail address (office accounts never have one). Default 0.04. */
  teacherNoEmailRate: number;
  /** Share of students whose U_DEF_EXT_STUDENTS0 values differ from the computed Clever values. Default 0.1. */
  customMismatchRate: number;
  /** Share of students with two S_IL_STU_X rows. Default 0. */
  duplicateLepRowRate: number;
  /** Share of students whose `fer` is not a number. Default 0. */
  nonNumericFerRate: number;
  /** Share of positive CC rows with a NULL dateleft (crashed the original). Default 0. */
  nullDateLeftRate: number;
  /** Share of positive CC rows whose teacherid has no SCHOOLSTAFF row. Default 0. */
  orphanTeacherRate: number;
  /** Share of active students with a NULL exitdate. Default 0. */
  nullExitDateRate: number;
}

export type PowerSchoolOptionsInput = Partial<Omit<PowerSchoolOptions, 'names'>> & { names?: Partial<NameOptions> };

export const DEFAULT_POWERSCHOOL_OPTIONS: PowerSchoolOptions = {
  names: DEFAULT_NAME_OPTIONS,
  previousYears: 1,
  previousYearEnrollmentRate: 0.15,
  dropRate: 0.3,
  crossSchoolRate: 0.05,
  nullRoomRate: 0.06,
  specialRoomRate: 0.03,
  teacherNoEmailRate: 0.04,
  customMismatchRate: 0.1,
  duplicateLepRowRate: 0,
  nonNumericFerRate: 0,
  nullDateLeftRate: 0,
  orphanTeacherRate: 0,
  nullExitDateRate: 0,
};

export function resolvePowerSchoolOptions(input: PowerSchoolOptionsInput = {}): PowerSchoolOptions {
  return {
    ...DEFAULT_POWERSCHOOL_OPTIONS,
    ...input,
    names: { ...DEFAULT_POWERSCHOOL_OPTIONS.names, ...(input.names ?? {}) },
  };
}
