import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/config-types.js';
import { SisrelayError } from '../errors/sisrelay-error.js';
import { nodeArgsFor, siblingModule } from '../util/module-url.js';
import type { DaemonLogger } from '../observability/daemon-logger.js';
import type { SandboxFailed, SandboxInit, SandboxReady } from '../sandbox/sandbox-main.js';

export interface SandboxHandle {
  stop(): Promise<void>;
}

/**
 * The demo's embedded services (sandbox Moodle, Alma and mail relay) run in their own child
 * process, started and stopped with the daemon: the daemon itself never serves traffic or holds
 * generated data, exactly as in production. Only configs with a `sandbox` section start it.
 */
export async function startSandbox(config: Config, log: DaemonLogger): Promise<SandboxHandle> {
  const sandbox = config.sandbox;
  if (!sandbox) throw new SisrelayError('INTERNAL_ERROR', 'startSandbox called without a sandbox section');
  const init: SandboxInit = { config: { sandbox, connections: config.connections, jobs: config.jobs, stateDir: config.daemon.stateDir, dataDir: config.daemon.dataDir } };
  const entry = siblingModule(import.meta.url, '../sandbox/sandbox-main');
  const child: ChildProcess = fork(fileURLToPath(entry), [], {
    execArgv: nodeArgsFor(entry),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  const ready = await new Promise<SandboxReady>((resolve, reject) => {
    const timer = setTimeout(() => reject(new SisrelayError('INTERNAL_ERROR', 'the demo sandbox did not start within 120 s')), 120_000);
    child.once('message', (msg: SandboxReady | SandboxFailed) => {
      clearTimeout(timer);
      if ('error' in msg) {
        reject(new SisrelayError('CONFIG_INVALID', `the demo sandbox could not start: ${msg.error}`, { details: { code: msg.code } }));
      } else {
        resolve(msg);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new SisrelayError('INTERNAL_ERROR', `the demo sandbox exited during start (code ${code}, signal ${signal})`));
    });
    child.send(init);
  });
  for (const line of ready.services) log.info(`sandbox: ${line}`);
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
      }),
  };
}
