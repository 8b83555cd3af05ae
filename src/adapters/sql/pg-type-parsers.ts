import { integerFromString, numericFromString, wallClockFromText } from './normalize-row.js';

/** PostgreSQL type oids whose default text parsing breaks the SqlValue contract. */
export const PG_OIDS = { INT8: 20, NUMERIC: 1700, DATE: 1082, TIMESTAMP: 1114, JSON: 114, JSONB: 3802 } as const;

export type PgTextParser = (text: string) => unknown;

/**
 * Text parsers for the oids that need them, shared by pg (per client) and PGlite (per instance).
 * DATE and TIMESTAMP are the reason this exists: pg's defaults build them in the host zone, so
 * a midnight date read on a Chicago host is the previous day in UTC, and 02:30 on a spring-
 * forward day does not exist there at all. These parsers never consult the host zone.
 * INT8/NUMERIC arrive as text so no digit is lost; JSON stays text (SqlValue has no objects).
 */
export const PG_TEXT_PARSERS: Readonly<Record<number, PgTextParser>> = {
  [PG_OIDS.INT8]: integerFromString,
  [PG_OIDS.NUMERIC]: numericFromString,
  [PG_OIDS.DATE]: wallClockFromText,
  [PG_OIDS.TIMESTAMP]: wallClockFromText,
  [PG_OIDS.JSON]: (text) => text,
  [PG_OIDS.JSONB]: (text) => text,
};
