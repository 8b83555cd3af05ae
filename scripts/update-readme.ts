// Rewrites the README's generated sections (config reference, error codes) from the schemas and
// the error catalogue. test/docs/readme-generated.test.ts fails when they are stale.
// Run: npx tsx scripts/update-readme.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { renderConfigReference } from '../src/config/config-reference.js';
import { renderErrorTable } from '../src/errors/error-table.js';
import { jobCatalog } from '../src/jobs/catalog.js';

const file = new URL('../README.md', import.meta.url);
let text = readFileSync(file, 'utf8');
const sections: Record<string, string> = { 'config-reference': renderConfigReference(jobCatalog()), 'error-codes': renderErrorTable() };
for (const [name, body] of Object.entries(sections)) {
  const re = new RegExp(`(<!-- BEGIN GENERATED: ${name} -->\\n)[\\s\\S]*?(<!-- END GENERATED: ${name} -->)`);
  if (!re.test(text)) throw new Error(`README.md has no generated section ${name}`);
  text = text.replace(re, (_m, a: string, b: string) => `${a}${body}\n${b}`);
}
writeFileSync(file, text);
process.stdout.write('README.md generated sections updated\n');
