import { lstat, readdir, readlink, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { runIdTime } from './run-id.js';
import type { RunStore } from './run-store.js';

/**
 * Retention: run directories hold generated files with student data, so they are deleted once
 * older than the job's retention age (default 42 days). Age counts from when the run finished,
 * or from when it was created if it never finished. A `running` run is never touched.
 */

export interface CleanupOptions {
  store: RunStore;
  /** Per-job ages; jobs not listed (including jobs no longer in config) use defaultMaxAgeMs. */
  retention: Array<{ job: string; maxAgeMs: number }>;
  defaultMaxAgeMs: number;
  now: Date;
}

export interface CleanupResult {
  removed: Array<{ job: string; runId: string; finishedAt: string | null }>;
  bytesFreed: number;
}

export async function cleanupRuns(options: CleanupOptions): Promise<CleanupResult> {
  const { store, now } = options;
  const ages = new Map(options.retention.map((r) => [r.job, r.maxAgeMs]));
  const result: CleanupResult = { removed: [], bytesFreed: 0 };

  for (const job of await store.jobs()) {
    const cutoff = now.getTime() - (ages.get(job) ?? options.defaultMaxAgeMs);
    const runIds = await store.runIds(job);
    let kept = 0;
    for (const runId of runIds) {
      const record = await store.read(job, runId);
      let endedAt: number | null;
      if (record) {
        if (record.status === 'running') {
          kept += 1;
          continue;
        }
        endedAt = Date.parse(record.finishedAt ?? record.createdAt);
      } else {
        // Unreadable record: the run id still says when it was created. A live run always has a
        // readable record (it is written atomically before the process starts).
        endedAt = runIdTime(runId)?.getTime() ?? null;
      }
      if (endedAt === null || Number.isNaN(endedAt) || endedAt >= cutoff) {
        kept += 1;
        continue;
      }
      const dir = store.runDir(job, runId);
      const bytes = await diskUsage(dir);
      await rm(dir, { recursive: true, force: true });
      result.bytesFreed += bytes;
      result.removed.push({ job, runId, finishedAt: record?.finishedAt ?? null });
    }
    if (kept === 0) {
      // The job's history is gone entirely (often a job removed from config): drop its directory.
      await rmdir(join(store.runsDir, job)).catch(() => undefined);
    }
  }
  await removeDanglingLinks(store);
  return result;
}

/** `<logDir>/<job>.log` links whose run was deleted; only links into our own runs directory. */
async function removeDanglingLinks(store: RunStore): Promise<void> {
  let names: string[];
  try {
    names = await readdir(store.logDir);
  } catch {
    return;
  }
  const runsDir = resolve(store.runsDir) + sep;
  for (const name of names) {
    if (!name.endsWith('.log')) continue;
    const path = join(store.logDir, name);
    try {
      if (!(await lstat(path)).isSymbolicLink()) continue;
      const target = resolve(store.logDir, await readlink(path));
      if (!target.startsWith(runsDir)) continue;
      await stat(path).then(
        () => undefined,
        async (err: NodeJS.ErrnoException) => {
          if (err.code === 'ENOENT') await unlink(path);
        },
      );
    } catch {
      /* raced with a relink or removal: leave it */
    }
  }
}

async function diskUsage(path: string): Promise<number> {
  let total = 0;
  let st;
  try {
    st = await lstat(path);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.size;
  for (const name of await readdir(path).catch(() => [] as string[])) total += await diskUsage(join(path, name));
  return total;
}
