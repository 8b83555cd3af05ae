import { fileURLToPath } from 'node:url';

/**
 * A module next to `base` (an import.meta.url), with the same extension as `base`.
 * Under the test runner the sources are .ts (run through tsx); after `npm run build` they are .js.
 * Job catalogs and the runner use this so one code path works in both.
 */
export function siblingModule(base: string, relativeWithoutExt: string): URL {
  const ext = base.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`${relativeWithoutExt}${ext}`, base);
}

/** Node flags needed to execute a module file: TypeScript sources need the tsx loader. */
export function nodeArgsFor(moduleUrl: URL | string): string[] {
  const path = typeof moduleUrl === 'string' && !moduleUrl.startsWith('file:') ? moduleUrl : fileURLToPath(moduleUrl);
  return path.endsWith('.ts') ? ['--import', 'tsx'] : [];
}
