import { validateDetailed } from 'node-cron';

/**
 * What each field accepts, for "expected …" wording. node-cron 4.6.0 reports only
 * "<value> is a invalid expression for <field>", which tells an admin what is wrong but not what
 * would be right.
 */
const FIELD_EXPECTATIONS: Record<string, { label: string; expected: string }> = {
  second: { label: 'second', expected: 'a second 0-59' },
  minute: { label: 'minute', expected: 'minutes 0-59 (a number, list a,b, range a-b, step */n or a-b/n)' },
  hour: { label: 'hour', expected: 'hours 0-23 (a number, list a,b, range a-b, step */n or a-b/n)' },
  dayOfMonth: {
    label: 'day-of-month',
    expected: 'days 1-31 (a number, list, range, step, L, L-n, nW or LW) that exist in the given month(s)',
  },
  month: { label: 'month', expected: 'months 1-12 or JAN-DEC (a number, list, range or step)' },
  dayOfWeek: {
    label: 'day-of-week',
    expected: 'weekdays 0-7 or SUN-SAT (0 and 7 are Sunday; list, range, step, nL or n#k)',
  },
};

/** Words for a field count that is not 5, naming the usual cause. */
function fieldCountProblem(count: number): string {
  const base = `expected 5 fields (minute hour day-of-month month day-of-week), found ${count}`;
  if (count === 6) return `${base} (seconds are not supported)`;
  if (count === 7) return `${base} (seconds and years are not supported)`;
  return base;
}

/**
 * Problems with a cron expression as sisrelay accepts it (empty = valid): node-cron 4.6.0's own
 * grammar (including its nicknames such as `@daily`), restricted to 5 fields. Seconds are refused
 * because a job config copied from a 6-field source would otherwise silently shift every field
 * one place to the right.
 */
export function validateCron(expr: string): string[] {
  if (typeof expr !== 'string') return [`expected a cron expression string, found ${typeof expr}`];
  const text = expr.trim();
  if (text === '') {
    return ['expected 5 fields (minute hour day-of-month month day-of-week), found an empty expression'];
  }
  const count = text.split(/\s+/).length;
  if (!text.startsWith('@') && count !== 5) return [fieldCountProblem(count)];

  const result = validateDetailed(text);
  if (result.valid) return [];
  return result.errors.map((e) => {
    if (e.field === 'expression') {
      if (text.startsWith('@')) {
        return `expected 5 fields or one of the nicknames @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly, found ${JSON.stringify(text)}`;
      }
      if (/illegal characters/.test(e.message)) {
        return `expected only digits, letters, single spaces and the characters - * / , # ?, found ${JSON.stringify(text)} (node-cron: ${e.message})`;
      }
      return `expected a valid cron expression, found ${JSON.stringify(text)} (node-cron: ${e.message})`;
    }
    const field = FIELD_EXPECTATIONS[e.field];
    const label = field?.label ?? e.field;
    const expected = field?.expected ?? `a valid ${e.field}`;
    if (/impossible day of month/.test(e.message)) {
      return `${label}: expected a day that exists in the given month(s), found ${JSON.stringify(e.value ?? '')} (node-cron: ${e.message})`;
    }
    return `${label}: expected ${expected}, found ${JSON.stringify(e.value ?? '')} (node-cron: ${e.message})`;
  });
}
