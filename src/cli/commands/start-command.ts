import { Daemon } from '../../daemon/daemon.js';
import { findConfigPath } from '../../config/find-config.js';
import type { CliIo } from '../cli-io.js';
import { reportError } from '../cli-io.js';

/**
 * `sisrelay start`: the daemon in the foreground (systemd Type=exec). SIGHUP reloads the config,
 * SIGTERM/SIGINT stop it within daemon.shutdownGrace. Resolves with the exit code once stopped.
 */
export async function startCommand(io: CliIo, opts: { config?: string; watch?: boolean }): Promise<number> {
  const { path } = findConfigPath(opts.config, io.env);
  const daemon = new Daemon({ configFile: path, catalog: io.catalog, env: io.env, watch: opts.watch ?? false });
  try {
    await daemon.start();
  } catch (err) {
    return reportError(io, err);
  }
  io.redactor.add(daemon.config.secrets);
  return new Promise<number>((resolve) => {
    const onHup = () => void daemon.reload('SIGHUP');
    const onStop = (signal: NodeJS.Signals) => {
      process.off('SIGHUP', onHup);
      process.off('SIGTERM', onStop);
      process.off('SIGINT', onStop);
      // A second Ctrl-C while draining kills at once: the admin means it.
      process.once('SIGINT', () => process.exit(130));
      daemon.stop(signal).then(
        () => resolve(0),
        (err) => resolve(reportError(io, err)),
      );
    };
    process.on('SIGHUP', onHup);
    process.on('SIGTERM', onStop);
    process.on('SIGINT', onStop);
  });
}
