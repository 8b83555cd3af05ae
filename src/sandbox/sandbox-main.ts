import type { JobConfig, NamedConnection, SandboxConfig } from '../config/config-types.js';

/** What the daemon sends the sandbox process. */
export interface SandboxInit {
  config: {
    sandbox: SandboxConfig;
    connections: Record<string, NamedConnection>;
    jobs: Record<string, JobConfig>;
    stateDir: string;
    dataDir: string;
  };
}

/** The sandbox's answer once every service listens. */
export interface SandboxReady {
  services: string[];
}
