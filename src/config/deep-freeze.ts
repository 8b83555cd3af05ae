/**
 * Freeze a loaded config all the way down: nothing may change it after validation (a reload
 * builds a new one), so "who mutated this?" bugs cannot happen.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
