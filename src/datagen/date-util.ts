/**
 * Calendar arithmetic on 'YYYY-MM-DD' strings with integer day numbers (proleptic Gregorian), so
 * results never depend on the host zone and no Date objects are allocated in the generators' hot
 * loops.
 */
import { civilFromDays } from '../util/dates.js';

/** Days since 1970-01-01 for a civil date (H. Hinnant's days_from_civil). */
export function dayNumber(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** 'YYYY-MM-DD' for a day number (civil_from_days). */
export function fromDayNumber(days: number): string {
  const { year: y, month: m, day: d } = civilFromDays(days);
  return `${String(y).padStart(4, '0')}-${m < 10 ? '0' : ''}${m}-${d < 10 ? '0' : ''}${d}`;
}

export function parseDayNumber(iso: string): number {
  return dayNumber(Number(iso.slice(0, 4)), Number(iso.slice(5, 7)), Number(iso.slice(8, 10)));
}

export function isoDate(year: number, month: number, day: number): string {
  return fromDayNumber(dayNumber(year, month, day));
}

export function addDays(iso: string, days: number): string {
  return fromDayNumber(parseDayNumber(iso) + days);
}

export function maxDate(a: string, b: string): string {
  return a > b ? a : b;
}
