#!/usr/bin/env node
// The one sisrelay executable. The TypeScript sources are compiled to dist/ by `npm ci`
// (the package's `prepare` script) or `npm run build`.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('sisrelay: dist/cli/main.js not found: run `npm ci` (or `npm run build`) in the sisrelay directory first.\n');
  process.exit(2);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv);
