import { ConfigError, loadConfig } from '../config/load-config.js';
import { findConfigPath } from '../config/find-config.js';
import type { Config, JobConfig } from '../config/config-types.js';
import { SisrelayError, isSisrelayError } from '../errors/sisrelay-error.js';
import type { JobCatalog } from '../jobs/job-types.js';
import { Redactor } from '../util/redactor.js';

/**
 * What every CLI command shares: where output goes (redacted), how the config is found and
 * loaded, and how errors become exit codes. Commands return an exit code instead of calling
 * process.exit, so tests can run them in-process.
 */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  env: NodeJS.ProcessEnv;
  catalog: JobCatalog;
  /** Redacts secrets of the last loaded config from all output. */
  redactor: Redactor;
}

export function processIo(catalog: JobCatalog): CliIo {
  const redactor = new Redactor();
  return {
    out: (line) => process.stdout.write(`${redactor.redact(line)}\n`),
    err: (line) => process.stderr.write(`${redactor.redact(line)}\n`),
    env: process.env,
    catalog,
    redactor,
  };
}

export function loadCliConfig(io: CliIo, flag: string | undefined, opts: { resolveSecrets: boolean }): Config {
  const { path } = findConfigPath(flag, io.env);
  const config = loadConfig({ file: path, catalog: io.catalog, env: io.env, resolveSecrets: opts.resolveSecrets });
  io.redactor.add(config.secrets);
  return config;
}

export function jobOrThrow(config: Config, name: string): JobConfig {
  const job = config.jobs[name];
  if (!job) {
    const known = Object.keys(config.jobs);
    throw new SisrelayError('JOB_UNKNOWN', `expected the name of a job in ${config.file} (${known.join(', ') || 'none defined'}), found ${JSON.stringify(name)}`);
  }
  return job;
}

/** Print an error the way an admin needs it, and pick the exit code. */
export function reportError(io: CliIo, err: unknown): number {
  if (err instanceof ConfigError) {
    io.err(`sisrelay: invalid config ${err.message.split('\n')[0]}`);
    for (const p of err.problems) io.err(`  ${p.path}: ${p.message}`);
    return 1;
  }
  if (isSisrelayError(err)) {
    io.err(`sisrelay: ${err.code}: ${err.message}`);
    return err.code === 'JOB_UNKNOWN' ? 2 : 1;
  }
  io.err(`sisrelay: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  return 1;
}
