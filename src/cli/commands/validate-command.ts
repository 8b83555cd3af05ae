import type { CliIo } from '../cli-io.js';
import { loadCliConfig, reportError } from '../cli-io.js';

/**
 * `sisrelay validate [config]`: exit 0 when the file is valid (printing DST warnings), 1 with one
 * line per problem otherwise. `--skip-secrets` checks a file on a machine that lacks the secrets.
 */
export function validateCommand(io: CliIo, file: string | undefined, opts: { skipSecrets?: boolean }): number {
  try {
    const config = loadCliConfig(io, file, { resolveSecrets: !opts.skipSecrets });
    const jobs = Object.values(config.jobs);
    const enabled = jobs.filter((j) => j.enabled && j.schedule !== null).length;
    io.out(`config OK: ${config.file}`);
    io.out(`  ${jobs.length} job${jobs.length === 1 ? '' : 's'} (${enabled} scheduled), ${Object.keys(config.connections).length} connections${opts.skipSecrets ? ', secrets not checked' : ''}`);
    for (const w of config.warnings) io.out(`  warning: ${w}`);
    return 0;
  } catch (err) {
    return reportError(io, err);
  }
}
