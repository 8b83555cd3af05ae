import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderConfigReference } from '../../src/config/config-reference.js';
import { renderErrorTable } from '../../src/errors/error-table.js';
import { ERROR_CODES } from '../../src/errors/error-codes.js';
import { jobCatalog } from '../../src/jobs/catalog.js';

// The README's config reference and error table are generated from the schemas and the error
// catalogue; these tests fail when either drifts. Regenerate with
// `npx sisrelay config-reference` / `npx sisrelay config-reference --errors` and paste between the markers.
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

function section(name: string): string {
  const m = new RegExp(`<!-- BEGIN GENERATED: ${name} -->\\n([\\s\\S]*?)\\n<!-- END GENERATED: ${name} -->`).exec(readme);
  if (!m) throw new Error(`README.md has no generated section ${name}`);
  return m[1]!;
}

describe('README generated sections', () => {
  it('config reference matches the schemas', () => {
    expect(section('config-reference')).toBe(renderConfigReference(jobCatalog()));
  });
  it('error table matches the catalogue, every code once', () => {
    const table = section('error-codes');
    expect(table).toBe(renderErrorTable());
    for (const code of Object.keys(ERROR_CODES)) expect(table.split(`\`${code}\``).length - 1).toBe(1);
  });
});
