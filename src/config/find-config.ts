import { resolve } from 'node:path';

export const DEFAULT_CONFIG_PATH = '/etc/sisrelay/sisrelay.json';

/** `--config`, then `$SISRELAY_CONFIG`, then /etc/sisrelay/sisrelay.json. */
export function findConfigPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): { path: string; source: 'flag' | 'env' | 'default' } {
  if (flag !== undefined && flag !== '') return { path: resolve(flag), source: 'flag' };
  const fromEnv = env.SISRELAY_CONFIG;
  if (fromEnv !== undefined && fromEnv !== '') return { path: resolve(fromEnv), source: 'env' };
  return { path: DEFAULT_CONFIG_PATH, source: 'default' };
}
