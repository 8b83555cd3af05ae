/**
 * Alma course-term code for a CEM row (leganto_shared.py getStringTerm): TERM picks the table
 * (1 spring, 4 summer, 7 fall), and the end of the course code's first `-` part picks the code
 * (`2026Spring-…` → "g" → SPRING, `2026SpringA-…` → "gA" → TERM4). Null when nothing matches.
 *
 * `table` holds TERM → [suffix, code] pairs sorted longest suffix first, so "gDYN" is tried
 * before a hypothetical "N" and the answer never depends on config key order.
 */
export function termCode(
  courseCode: string,
  term: string,
  table: ReadonlyMap<string, ReadonlyArray<readonly [string, string]>>,
): string | null {
  const suffixes = table.get(term);
  if (suffixes === undefined) return null;
  const semester = courseCode.split('-', 1)[0] ?? '';
  for (const [suffix, code] of suffixes) if (semester.endsWith(suffix)) return code;
  return null;
}
