import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { posix } from 'node:path';
import type { FileTarget, RemoteEntry } from '../../adapters/adapter-types.js';
import { SisrelayError } from '../../errors/sisrelay-error.js';
import type { FileRecord } from '../../runner/run-record.js';
import type { JobLogger } from '../job-types.js';

/**
 * Find today's CEM export on the source and download it (leganto_pull.py). The original took
 * every name starting `leganto_export_<YYYYMMDD>` and crashed with an unbound variable when there
 * was none; here no match is INPUT_NOT_FOUND naming the place and the pattern, and among several
 * matches the newest (then the last by name) wins, with the others logged.
 */

/**
 * The file-name pattern as a RegExp: `{YYYYMMDD}` is today's date, `*` any run of characters,
 * `?` one character; everything else is literal.
 */
export function exportNameMatcher(pattern: string, yyyymmdd: string): RegExp {
  const parts = pattern.split('{YYYYMMDD}').map((chunk) =>
    chunk
      .split('')
      .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join(''),
  );
  return new RegExp(`^${parts.join(yyyymmdd)}$`);
}

/** The export to take among directory entries, or null: newest first, then the last name. */
export function chooseExport(entries: readonly RemoteEntry[], matcher: RegExp): { chosen: RemoteEntry | null; matches: RemoteEntry[] } {
  const matches = entries.filter((e) => e.type === 'file' && matcher.test(e.name));
  const sorted = [...matches].sort((a, b) => a.modifiedAt.getTime() - b.modifiedAt.getTime() || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { chosen: sorted.at(-1) ?? null, matches: sorted };
}

export interface PullOptions {
  dir: string;
  pattern: string;
  /** Today in the job's zone, YYYYMMDD. */
  today: string;
  /** Where the copy goes (inside the run's files dir). */
  localPath: string;
  log: JobLogger;
}

export interface PulledExport {
  remotePath: string;
  file: FileRecord;
}

export async function pullCemExport(source: FileTarget, opts: PullOptions): Promise<PulledExport> {
  const matcher = exportNameMatcher(opts.pattern, opts.today);
  const entries = await source.list(opts.dir);
  const { chosen, matches } = chooseExport(entries, matcher);
  if (chosen === null) {
    throw new SisrelayError(
      'INPUT_NOT_FOUND',
      `no CEM export for ${opts.today} in ${opts.dir} on ${source.description}: no file matches "${opts.pattern.replace('{YYYYMMDD}', opts.today)}" ` +
        `(filePattern "${opts.pattern}"; ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'} in the directory)`,
      { details: { dir: opts.dir, pattern: opts.pattern, today: opts.today, entries: entries.length } },
    );
  }
  if (matches.length > 1) {
    opts.log.warn(`${matches.length} files match today's CEM export pattern; taking the newest, ${chosen.name}`, { matches: matches.map((m) => m.name) });
  }
  const remotePath = posix.join(opts.dir, chosen.name);
  const { bytes } = await source.download(remotePath, opts.localPath);
  opts.log.info(`pulled ${remotePath} (${bytes} bytes) from ${source.description} as ${posix.basename(opts.localPath)}`);
  return {
    remotePath,
    file: { name: posix.basename(opts.localPath), path: opts.localPath, bytes, sha256: await sha256File(opts.localPath) },
  };
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
