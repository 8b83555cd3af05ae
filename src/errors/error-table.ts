import { ERROR_CODES } from './error-codes.js';

/** The README's error-code table, generated from the catalogue (test/docs/readme-generated.test.ts keeps them equal). */
export function renderErrorTable(): string {
  const rows = ['| code | retried | meaning |', '| --- | --- | --- |'];
  for (const [code, info] of Object.entries(ERROR_CODES)) {
    rows.push(`| \`${code}\` | ${info.transient ? 'yes' : 'no'} | ${info.summary} |`);
  }
  return rows.join('\n');
}
