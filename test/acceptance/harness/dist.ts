import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The acceptance tests run the built executable (`node bin/sisrelay.js`, loading dist/), never
 * the TypeScript sources. dist/ is rebuilt when it is missing or older than any file under src/;
 * a lock directory keeps two acceptance files from compiling into the same dist/ at once (one
 * would otherwise import a file the other is half-way through writing).
 */

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const BIN = join(ROOT, 'bin', 'sisrelay.js');
const MAIN = join(ROOT, 'dist', 'cli', 'main.js');
const LOCK = join(tmpdir(), `sisrelay-dist-build-${createHash('sha256').update(ROOT).digest('hex').slice(0, 12)}.lock`);

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

function stale(): boolean {
  if (!existsSync(MAIN)) return true;
  return newestMtime(join(ROOT, 'src')) > statSync(MAIN).mtimeMs;
}

export async function ensureDist(): Promise<void> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      // Another file is building; a lock older than 3 minutes is from a killed run.
      try {
        if (Date.now() - statSync(LOCK).mtimeMs > 180_000) rmdirSync(LOCK);
      } catch {
        /* gone already */
      }
      if (Date.now() > deadline) throw new Error(`dist/ build lock ${LOCK} held for too long`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    if (stale()) {
      // tsc emits even when some module has a type error; only a missing output is fatal here.
      spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'ignore', cwd: ROOT });
    }
  } finally {
    rmdirSync(LOCK);
  }
  if (!existsSync(MAIN)) throw new Error(`dist/cli/main.js is missing after the build; run npm run build to see why`);
}
