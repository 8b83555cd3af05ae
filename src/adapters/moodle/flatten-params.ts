/**
 * Moodle's REST server reads parameters the way PHP fills `$_POST`: nested arrays travel as
 * bracketed keys (`enrolments[0][userid]=5`, `options[1][name]=onlyactive`). A wrong index or a
 * missing bracket is not an error in PHP — it silently becomes a different structure — so this
 * one function builds every key and has table tests.
 *
 * Booleans become "1"/"0" (what PHP's PARAM_BOOL accepts; "true" is rejected by PARAM_INT
 * fields), `undefined` entries are left out, `null` is refused because PHP cannot tell it apart
 * from an empty string and Moodle would validate "" against the field's type.
 */
export type MoodleParamValue =
  | string
  | number
  | bigint
  | boolean
  | undefined
  | readonly MoodleParamValue[]
  | { readonly [key: string]: MoodleParamValue };

export type MoodleParams = Record<string, MoodleParamValue>;

export function flattenParams(params: MoodleParams, into: URLSearchParams = new URLSearchParams()): URLSearchParams {
  for (const [key, value] of Object.entries(params)) add(into, key, value);
  return into;
}

function add(out: URLSearchParams, key: string, value: MoodleParamValue | null): void {
  if (value === undefined) return;
  if (value === null) {
    throw new TypeError(`Moodle parameter ${key} is null; Moodle cannot receive null (omit the key instead)`);
  }
  if (typeof value === 'boolean') {
    out.append(key, value ? '1' : '0');
    return;
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`Moodle parameter ${key} is ${String(value)}, not a finite number`);
    out.append(key, String(value));
    return;
  }
  if (typeof value === 'string' || typeof value === 'bigint') {
    out.append(key, String(value));
    return;
  }
  if (Array.isArray(value)) {
    // Explicit indices, never `key[]`: PHP's `[]` appends, which breaks when one list item is an
    // object with several fields (each field would start a new item).
    value.forEach((v: MoodleParamValue, i: number) => add(out, `${key}[${i}]`, v));
    return;
  }
  for (const [k, v] of Object.entries(value as Record<string, MoodleParamValue>)) add(out, `${key}[${k}]`, v);
}
