import { open, readlink, stat } from 'node:fs/promises';
import { resolve, dirname } from 'node:path';
import type { CliIo } from '../cli-io.js';
import { jobOrThrow, loadCliConfig, reportError } from '../cli-io.js';
import { RunStore } from '../../runner/run-store.js';

/**
 * `sisrelay logs <job> [-f] [--run ID]`: print the latest run's log; with -f keep following,
 * and when a new run starts switch to its log (the same as `tail -F /var/log/sisrelay/<job>.log`).
 */
export async function logsCommand(
  io: CliIo,
  jobName: string,
  opts: { config?: string; follow?: boolean; run?: string; pollMs?: number; signal?: AbortSignal },
): Promise<number> {
  try {
    const config = loadCliConfig(io, opts.config, { resolveSecrets: false });
    jobOrThrow(config, jobName);
    // Listen before printing anything: a Ctrl-C right after the first lines must end `-f` with
    // exit 0 like any later one, not kill the process with the default SIGINT action.
    const signal = opts.follow ? (opts.signal ?? stopOnSignals()) : null;
    const store = new RunStore(config.daemon.stateDir, config.daemon.logDir, { onProblem: () => {} });
    if (opts.run) {
      const record = await store.read(jobName, opts.run);
      if (!record) {
        io.err(`sisrelay: no run ${opts.run} of ${jobName} in ${store.runsDir}`);
        return 1;
      }
      await printFrom(io, record.logFile, 0);
      return 0;
    }
    const link = store.jobLogLink(jobName);
    let current = await latestLog(link, store, jobName);
    if (!current && !opts.follow) {
      io.out(`no runs of ${jobName} yet (${link} does not exist)`);
      return 0;
    }
    let offset = current ? await printFrom(io, current, 0) : 0;
    if (!opts.follow) return 0;
    const pollMs = opts.pollMs ?? 500;
    while (!signal!.aborted) {
      await new Promise((r) => setTimeout(r, pollMs));
      const latest = await latestLog(link, store, jobName);
      if (latest && latest !== current) {
        if (current) offset = await printFrom(io, current, offset);
        io.out(`==> ${latest} <==`);
        current = latest;
        offset = 0;
      }
      if (current) offset = await printFrom(io, current, offset);
    }
    return 0;
  } catch (err) {
    return reportError(io, err);
  }
}

async function latestLog(link: string, store: RunStore, job: string): Promise<string | null> {
  try {
    return resolve(dirname(link), await readlink(link));
  } catch {
    const [newest] = await store.list(job, { limit: 1 });
    return newest?.logFile ?? null;
  }
}

/** Print the file from `offset` (whole lines only) and return the new offset. */
async function printFrom(io: CliIo, path: string, offset: number): Promise<number> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    return offset;
  }
  if (size <= offset) return size < offset ? 0 : offset;
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(size - offset);
    await fh.read(buf, 0, buf.length, offset);
    const text = buf.toString('utf8');
    const end = text.lastIndexOf('\n');
    if (end < 0) return offset;
    for (const line of text.slice(0, end).split('\n')) io.out(line);
    return offset + Buffer.byteLength(text.slice(0, end + 1));
  } finally {
    await fh.close();
  }
}

function stopOnSignals(): AbortSignal {
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return ac.signal;
}
