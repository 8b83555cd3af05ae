import { main } from '../../../src/cli/main.js';
import type { CliIo } from '../../../src/cli/cli-io.js';
import type { JobCatalog } from '../../../src/jobs/job-types.js';
import { Redactor } from '../../../src/util/redactor.js';
import { fixtureCatalog } from '../../daemon/helpers/daemon-harness.js';

/** A CliIo that keeps what a terminal would show, redacted exactly as processIo() redacts it. */
export interface CapturedIo extends CliIo {
  stdout: string[];
  stderr: string[];
}

export function captureIo(env: NodeJS.ProcessEnv = {}, catalog: JobCatalog = fixtureCatalog()): CapturedIo {
  const redactor = new Redactor();
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    out: (line) => stdout.push(...redactor.redact(line).split('\n')),
    err: (line) => stderr.push(...redactor.redact(line).split('\n')),
    env,
    catalog,
    redactor,
    stdout,
    stderr,
  };
}

/** Runs `sisrelay <args>` in-process; argv[0..1] are the node binary and script, as in process.argv. */
export async function sisrelay(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string; io: CapturedIo }> {
  const io = captureIo(env);
  const code = await main(['node', 'sisrelay', ...args], io.catalog, io);
  return { code, out: io.stdout.join('\n'), err: io.stderr.join('\n'), io };
}
