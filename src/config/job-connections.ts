import type { Config, JobConfig, NamedConnection } from './config-types.js';

/** The connections `job` uses, by name, from `config` (what its run process and `check` get). */
export function jobConnections(config: Pick<Config, 'connections'>, job: Pick<JobConfig, 'connections'>): Record<string, NamedConnection> {
  const out: Record<string, NamedConnection> = {};
  for (const name of job.connections) {
    const c = config.connections[name];
    if (c) out[name] = c;
  }
  return out;
}
