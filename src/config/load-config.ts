import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import JSON5 from 'json5';
import { SisrelayError } from '../errors/sisrelay-error.js';
import { parseDuration } from '../util/duration.js';
import { dstHazards } from '../scheduler/dst-hazards.js';
import type { JobCatalog } from '../jobs/job-types.js';
import { checkWithSchema } from './check-with-schema.js';
import { describeFound } from './config-formats.js';
import { CONNECTION_TYPES, SECRET_KEYS, connectionSchemas } from './connection-schemas.js';
import { daemonSchema, jobSchema, sandboxSchema } from './daemon-schema.js';
import { deepFreeze } from './deep-freeze.js';
import { parseHostKeySpec } from '../adapters/files/host-key.js';
import { isSecretRef, resolveRef } from './secret-ref.js';
import type {
  Config,
  ConfigProblem,
  ConnectionType,
  DaemonConfig,
  JobConfig,
  NamedConnection,
  SandboxConfig,
} from './config-types.js';

export interface LoadConfigOptions {
  file: string;
  catalog: JobCatalog;
  env?: NodeJS.ProcessEnv;
  /** Resolve secret references (start, run, validate, check). Read-only commands skip it. */
  resolveSecrets?: boolean;
  /** Reference instant for DST warnings. */
  now?: Date;
}

/** Thrown when the file is unreadable or invalid; carries every problem, one per line. */
export class ConfigError extends SisrelayError {
  readonly problems: ConfigProblem[];
  constructor(file: string, problems: ConfigProblem[]) {
    const lines = problems.map((p) => `${p.path}: ${p.message}`);
    super('CONFIG_INVALID', `${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n${lines.join('\n')}`, {
      details: { file, problems: problems.length },
    });
    this.problems = problems;
  }
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const TOP_LEVEL = ['daemon', 'connections', 'jobs', 'sandbox'];
/** The package's own data/ directory (course mappings ship there). */
const PACKAGE_DATA_DIR = fileURLToPath(new URL('../../data/', import.meta.url));

/**
 * Read, validate and resolve a config file. Reports every problem at once (never the first
 * only): an admin fixing a file should see the whole list in one `sisrelay validate`.
 */
export function loadConfig(opts: LoadConfigOptions): Config {
  const file = resolve(opts.file);
  const baseDir = dirname(file);
  const env = opts.env ?? process.env;
  const resolveSecrets = opts.resolveSecrets ?? true;
  const problems: ConfigProblem[] = [];
  const secrets = new Set<string>();

  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new SisrelayError('CONFIG_UNREADABLE', `${file}: expected a readable config file, found ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code}`, { cause: err });
  }
  let raw: unknown;
  try {
    raw = JSON5.parse(text);
  } catch (err) {
    const e = err as Error & { lineNumber?: number; columnNumber?: number };
    const where = e.lineNumber !== undefined ? `:${e.lineNumber}:${e.columnNumber ?? 0}` : '';
    throw new ConfigError(file, [{ path: `${file}${where}`, message: `expected JSON (comments and trailing commas allowed), found a syntax error: ${e.message.replace(/^JSON5: /, '')}` }]);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(file, [{ path: '(root)', message: `expected an object with keys ${TOP_LEVEL.join(', ')}, found ${describeFound(raw)}` }]);
  }
  const root = raw as Record<string, unknown>;
  for (const key of Object.keys(root)) {
    if (!TOP_LEVEL.includes(key) && key !== '$comment') problems.push({ path: key, message: `unknown key; expected one of: ${TOP_LEVEL.join(', ')}` });
  }

  // --- daemon
  const d = checkWithSchema(daemonSchema, root.daemon ?? {}, 'daemon');
  problems.push(...d.problems);
  const daemon = d.value ? buildDaemon(d.value, baseDir) : null;

  // --- connections
  const connections: Record<string, NamedConnection> = {};
  const rawConns = root.connections ?? {};
  if (typeof rawConns !== 'object' || rawConns === null || Array.isArray(rawConns)) {
    problems.push({ path: 'connections', message: `expected an object of named connections, found ${describeFound(rawConns)}` });
  } else {
    for (const [name, entry] of Object.entries(rawConns as Record<string, unknown>)) {
      const conn = checkConnection(name, entry, { baseDir, env, resolveSecrets, problems, secrets, stateDir: daemon?.stateDir ?? null });
      if (conn) connections[name] = conn;
    }
  }

  // --- jobs
  const jobs: Record<string, JobConfig> = {};
  const rawJobs = root.jobs ?? {};
  if (typeof rawJobs !== 'object' || rawJobs === null || Array.isArray(rawJobs)) {
    problems.push({ path: 'jobs', message: `expected an object of named jobs, found ${describeFound(rawJobs)}` });
  } else {
    const ctx: JobCtx = {
      catalog: opts.catalog,
      rawDataDir: typeof root.daemon === 'object' && root.daemon !== null ? (root.daemon as Record<string, unknown>).dataDir : undefined,
      connections,
      rawConnections: rawConns as Record<string, unknown>,
      daemon,
      baseDir,
      problems,
    };
    for (const [name, entry] of Object.entries(rawJobs as Record<string, unknown>)) {
      const job = checkJob(name, entry, ctx);
      if (job) jobs[name] = job;
    }
  }

  // --- notification connections
  if (daemon) {
    const n = daemon.notifications;
    if (n.email) checkConnectionRef('daemon.notifications.emailConnection', n.email.connection, ['smtp'], connections, rawConns, problems);
    if (n.slack) checkConnectionRef('daemon.notifications.slackConnection', n.slack.connection, ['slack'], connections, rawConns, problems);
    if (n.email && n.email.to.length === 0) {
      problems.push({ path: 'daemon.notifications.emailTo', message: 'expected at least one recipient when emailConnection is set, found an empty list' });
    }
  }

  // --- sandbox (demo)
  let sandbox: SandboxConfig | null = null;
  if (root.sandbox !== undefined) {
    const s = checkWithSchema(sandboxSchema, root.sandbox, 'sandbox');
    problems.push(...s.problems);
    if (s.value) sandbox = buildSandbox(s.value, baseDir, connections, rawConns, problems);
  }

  if (problems.length > 0 || !daemon) throw new ConfigError(file, problems);

  const warnings: string[] = [];
  const now = opts.now ?? new Date();
  for (const job of Object.values(jobs)) {
    if (!job.enabled || job.schedule === null) continue;
    for (const h of dstHazards(job.schedule, job.timezone, now, 400).slice(0, 2)) {
      warnings.push(`jobs.${job.name}.schedule: ${h.effect}`);
    }
  }

  const config: Config = {
    file,
    baseDir,
    daemon,
    connections,
    jobs,
    sandbox,
    secrets: [...secrets],
    warnings,
  };
  return deepFreeze(config);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- convict's getProperties() is untyped here
function buildDaemon(v: any, baseDir: string): DaemonConfig {
  const n = v.notifications as { emailConnection: string | null; emailTo: string[]; slackConnection: string | null };
  return {
    timezone: v.timezone,
    stateDir: resolve(baseDir, v.stateDir),
    logDir: resolve(baseDir, v.logDir),
    dataDir: v.dataDir === null ? PACKAGE_DATA_DIR : resolve(baseDir, v.dataDir),
    logLevel: v.logLevel,
    shutdownGraceMs: parseDuration(v.shutdownGrace)!,
    missedToleranceMs: parseDuration(v.missedTolerance)!,
    maxConcurrentRuns: v.maxConcurrentRuns,
    watchConfig: v.watchConfig,
    retention: { maxAgeMs: parseDuration(v.retention.maxAge)!, schedule: v.retention.schedule },
    http: { enabled: v.http.enabled, host: v.http.host, port: v.http.port },
    notifications: {
      email: n.emailConnection === null ? null : { connection: n.emailConnection, to: n.emailTo },
      slack: n.slackConnection === null ? null : { connection: n.slackConnection },
    },
  };
}

interface ConnCtx {
  baseDir: string;
  env: NodeJS.ProcessEnv;
  resolveSecrets: boolean;
  problems: ConfigProblem[];
  secrets: Set<string>;
  stateDir: string | null;
}

function checkConnection(name: string, entry: unknown, ctx: ConnCtx): NamedConnection | null {
  const path = `connections.${name}`;
  if (!NAME_RE.test(name)) {
    ctx.problems.push({ path, message: `expected a name of letters, digits, ".", "_" or "-" (max 64), found ${JSON.stringify(name)}` });
  }
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    ctx.problems.push({ path, message: `expected an object with a "type", found ${describeFound(entry)}` });
    return null;
  }
  const type = (entry as Record<string, unknown>).type;
  if (typeof type !== 'string' || !(CONNECTION_TYPES as string[]).includes(type)) {
    ctx.problems.push({ path: `${path}.type`, message: `expected one of ${CONNECTION_TYPES.join(', ')}, found ${describeFound(type)}` });
    return null;
  }
  const t = type as ConnectionType;
  const secretKeys = new Set(SECRET_KEYS[t]);
  const { schema, filled } = withReferenceDefaults(connectionSchemas[t], entry as Record<string, unknown>);
  const checked = checkWithSchema(schema, filled, path, { secretPaths: secretKeys });
  ctx.problems.push(...checked.problems);
  if (!checked.value) return null;
  const v = checked.value as Record<string, unknown>;

  // Resolve references (secrets and env-sourced plain values).
  const out: Record<string, unknown> = { name };
  let ok = true;
  for (const [key, value] of Object.entries(v)) {
    if (isSecretRef(value)) {
      if (!ctx.resolveSecrets) {
        out[key] = secretKeys.has(key) ? '' : `<${'env' in value ? value.env : 'credential' in value ? value.credential : value.file}>`;
        continue;
      }
      const r = resolveRef(value, { env: ctx.env, baseDir: ctx.baseDir });
      if (!r.ok) {
        ctx.problems.push({ path: `${path}.${key}`, message: r.problem });
        ok = false;
        continue;
      }
      out[key] = r.value;
      if (secretKeys.has(key)) ctx.secrets.add(r.value);
    } else {
      out[key] = value;
    }
  }
  if (!ok) return null;
  return finishConnection(t, out, path, ctx);
}

/**
 * Keys whose default is a reference (`{ "env": "MS_PW" }`) are filled in before convict sees the
 * entry: convict deep-merges objects into their defaults, which would turn a configured
 * `{ "file": "..." }` into `{ "env": "MS_PW", "file": "..." }`.
 */
function withReferenceDefaults(schema: Record<string, unknown>, entry: Record<string, unknown>): { schema: Record<string, unknown>; filled: Record<string, unknown> } {
  const filled = { ...entry };
  const out: Record<string, unknown> = {};
  for (const [key, node] of Object.entries(schema)) {
    const def = (node as { default?: unknown }).default;
    if (isSecretRef(def)) {
      if (!Object.hasOwn(filled, key)) filled[key] = def;
      out[key] = { ...(node as object), default: null };
    } else {
      out[key] = node;
    }
  }
  return { schema: out, filled };
}

/** Durations to ms, paths resolved, cross-field rules per type. */
function finishConnection(t: ConnectionType, v: Record<string, unknown>, path: string, ctx: ConnCtx): NamedConnection | null {
  const ms = (key: string) => parseDuration(v[key])!;
  const problems = ctx.problems;
  const before = problems.length;
  switch (t) {
    case 'oracle':
      return { name: v.name, type: t, connectString: v.connectString, user: v.user, password: v.password, connectTimeoutMs: ms('connectTimeout'), callTimeoutMs: ms('callTimeout') } as NamedConnection;
    case 'mssql':
      return {
        name: v.name, type: t, server: v.server, port: v.port, database: v.database, user: v.user, password: v.password,
        encrypt: v.encrypt, trustServerCertificate: v.trustServerCertificate, connectTimeoutMs: ms('connectTimeout'), requestTimeoutMs: ms('requestTimeout'),
      } as NamedConnection;
    case 'postgres':
      return {
        name: v.name, type: t, host: v.host, port: v.port, database: v.database, user: v.user, password: v.password ?? null,
        ssl: v.ssl, connectTimeoutMs: ms('connectTimeout'), statementTimeoutMs: ms('statementTimeout'), copy: v.copy,
      } as NamedConnection;
    case 'pglite': {
      const snapshotDir = v.snapshotDir === null ? (ctx.stateDir ? resolve(ctx.stateDir, 'pglite') : null) : resolve(ctx.baseDir, v.snapshotDir as string);
      return {
        name: v.name, type: t, dataset: v.dataset, seed: v.seed, students: v.students, snapshotDir,
        schoolYearStart: v.schoolYearStart ?? null, academicYear: v.academicYear ?? null, academicTerm: v.academicTerm ?? null, courses: v.courses,
      } as NamedConnection;
    }
    case 'sftp': {
      if ((v.hostKey === null) === (v.knownHostsFile === null)) {
        problems.push({ path: `${path}.hostKey`, message: `expected exactly one of hostKey or knownHostsFile (host keys are always verified), found ${v.hostKey === null ? 'neither' : 'both'}` });
      }
      if (typeof v.hostKey === 'string') {
        try {
          parseHostKeySpec(v.hostKey);
        } catch (err) {
          problems.push({ path: `${path}.hostKey`, message: `expected a known_hosts line, "ssh-ed25519 AAAA..." or a "SHA256:..." fingerprint, found ${describeFound(v.hostKey)}: ${(err as Error).message}` });
        }
      }
      if (v.password === null && v.privateKey === null && ctx.resolveSecrets) {
        problems.push({ path: `${path}.password`, message: 'expected a password or a privateKey, found neither' });
      }
      if (problems.length > before) return null;
      return {
        name: v.name, type: t, host: v.host, port: v.port, username: v.username, password: v.password ?? null, privateKey: v.privateKey ?? null,
        passphrase: v.passphrase ?? null, hostKey: v.hostKey ?? null,
        knownHostsFile: v.knownHostsFile === null ? null : resolve(ctx.baseDir, v.knownHostsFile as string),
        connectTimeoutMs: ms('connectTimeout'), retries: v.retries, retryDelayMs: ms('retryDelay'), tempDir: v.tempDir ?? null,
      } as NamedConnection;
    }
    case 'local':
      return { name: v.name, type: t, path: resolve(ctx.baseDir, v.path as string), create: v.create } as NamedConnection;
    case 'moodle':
    case 'alma': {
      const url = String(v.url);
      if (!/^https?:\/\//.test(url)) {
        problems.push({ path: `${path}.url`, message: `expected an http:// or https:// URL, found ${describeFound(url)}` });
        return null;
      }
      const tuning = { timeoutMs: ms('timeout'), concurrency: v.concurrency, ratePerSecond: v.ratePerSecond, retries: v.retries, retryDelayMs: ms('retryDelay') };
      if (t === 'moodle') return { name: v.name, type: t, url, token: v.token, ...tuning } as NamedConnection;
      if ((v.ratePerSecond as number) > 25 || (v.ratePerSecond as number) === 0) {
        problems.push({ path: `${path}.ratePerSecond`, message: `expected 1-25 (Alma allows 25 calls per second per institution), found ${String(v.ratePerSecond)}` });
        return null;
      }
      return { name: v.name, type: t, url, apiKey: v.apiKey, minRemaining: v.minRemaining, ...tuning } as NamedConnection;
    }
    case 'smtp':
      return {
        name: v.name, type: t, host: v.host, port: v.port, secure: v.secure, requireTls: v.requireTls, user: v.user ?? null,
        password: v.password ?? null, from: v.from, timeoutMs: ms('timeout'),
      } as NamedConnection;
    case 'slack':
      return { name: v.name, type: t, webhookUrl: v.webhookUrl, timeoutMs: ms('timeout') } as NamedConnection;
  }
}

interface JobCtx {
  catalog: JobCatalog;
  /** daemon.dataDir as written, for when the daemon section itself failed validation. */
  rawDataDir: unknown;
  connections: Record<string, NamedConnection>;
  rawConnections: Record<string, unknown>;
  daemon: DaemonConfig | null;
  baseDir: string;
  problems: ConfigProblem[];
}

function checkJob(name: string, entry: unknown, ctx: JobCtx): JobConfig | null {
  const path = `jobs.${name}`;
  if (!/^[a-z0-9][a-z0-9_-]{0,63}$/.test(name)) {
    ctx.problems.push({ path, message: `expected a job name of lower-case letters, digits, "_" or "-" (max 64; it names directories), found ${JSON.stringify(name)}` });
  }
  const checked = checkWithSchema(jobSchema, entry, path);
  ctx.problems.push(...checked.problems);
  const rawType = typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>).type : undefined;
  const type = typeof rawType === 'string' ? rawType : name;
  const descriptor = ctx.catalog.get(type);
  if (!descriptor) {
    ctx.problems.push({ path: `${path}.type`, message: `expected one of ${[...ctx.catalog.keys()].join(', ')}, found ${JSON.stringify(type)}${rawType === undefined ? ' (from the job name; set "type")' : ''}` });
    return null;
  }
  const rawParams = typeof entry === 'object' && entry !== null ? ((entry as Record<string, unknown>).params ?? {}) : {};
  const params = checkWithSchema(descriptor.params, rawParams, `${path}.params`);
  ctx.problems.push(...params.problems);
  // Params and their connections are checked even when the job's own keys had problems, so one
  // bad schedule does not hide an unknown connection (every problem is reported at once).
  if (!params.value) return null;

  const before = ctx.problems.length;
  const uses = descriptor.connections(params.value);
  for (const use of uses) {
    checkConnectionRef(`${path}.params.${use.param}`, use.name, use.types, ctx.connections, ctx.rawConnections, ctx.problems);
  }
  // A daemon section with a problem elsewhere still names its dataDir: look for mapping files
  // there, not in the package's data/ (which would add a false "no such file" per mapping).
  const dataDir = ctx.daemon?.dataDir ?? (typeof ctx.rawDataDir === 'string' ? resolve(ctx.baseDir, ctx.rawDataDir) : PACKAGE_DATA_DIR);
  if (descriptor.validate) {
    for (const p of descriptor.validate(params.value, { dataDir, baseDir: ctx.baseDir })) {
      // Problems inside data files (mappings/x.json: "BIO101".id) name the file, not a params key.
      const inFile = /^(data|mappings)\//.test(p.path) || isAbsolute(p.path) || /\.json\b/.test(p.path);
      ctx.problems.push({ path: inFile ? p.path : `${path}.params.${p.path}`, message: p.message });
    }
  }
  if (ctx.problems.length > before || !checked.value) return null;

  const v = checked.value as Record<string, any>;
  const ms = (x: unknown) => parseDuration(x)!;
  const retries = { max: v.retries.max, initialDelayMs: ms(v.retries.initialDelay), maxDelayMs: ms(v.retries.maxDelay) };
  if (retries.maxDelayMs < retries.initialDelayMs) {
    ctx.problems.push({ path: `${path}.retries.maxDelay`, message: `expected at least retries.initialDelay (${v.retries.initialDelay}), found ${JSON.stringify(v.retries.maxDelay)}` });
    return null;
  }
  // Without a valid daemon section the whole config is rejected: there are no defaults to inherit.
  if (!ctx.daemon) return null;
  return {
    name,
    type,
    description: v.description,
    enabled: v.enabled,
    schedule: v.schedule,
    timezone: v.timezone ?? ctx.daemon.timezone,
    timeoutMs: ms(v.timeout),
    killGraceMs: ms(v.killGrace),
    maxMemoryMb: v.maxMemoryMb,
    retries,
    overlap: v.overlap,
    catchUpMs: v.catchUp === null ? 0 : ms(v.catchUp),
    runOnStart: v.runOnStart,
    retentionMs: v.retention === null ? ctx.daemon.retention.maxAgeMs : ms(v.retention),
    alerts: { ...v.alerts },
    params: params.value as Record<string, unknown>,
    connections: [...new Set(uses.map((u) => u.name))],
  };
}

function checkConnectionRef(
  path: string,
  name: string,
  types: readonly ConnectionType[],
  connections: Record<string, NamedConnection>,
  rawConnections: unknown,
  problems: ConfigProblem[],
): void {
  const conn = connections[name];
  const rawExists = typeof rawConnections === 'object' && rawConnections !== null && Object.hasOwn(rawConnections, name);
  if (!conn) {
    // A connection that exists but failed its own checks was already reported; don't pile on.
    if (!rawExists) problems.push({ path, message: `expected the name of a connection of type ${types.join(' or ')}, found ${JSON.stringify(name)} (no such connection)` });
    return;
  }
  if (!types.includes(conn.type)) {
    problems.push({ path, message: `expected a connection of type ${types.join(' or ')}, found ${JSON.stringify(name)} of type ${conn.type}` });
  }
}

function buildSandbox(v: any, baseDir: string, connections: Record<string, NamedConnection>, rawConns: unknown, problems: ConfigProblem[]): SandboxConfig {
  const moodle = v.moodle.connection === null ? null : v.moodle;
  const alma = v.alma.connection === null ? null : v.alma;
  if (moodle) checkConnectionRef('sandbox.moodle.connection', moodle.connection, ['moodle'], connections, rawConns, problems);
  if (alma) checkConnectionRef('sandbox.alma.connection', alma.connection, ['alma'], connections, rawConns, problems);
  const moodleConn = moodle ? connections[moodle.connection] : undefined;
  const almaConn = alma ? connections[alma.connection] : undefined;
  return {
    enabled: v.enabled,
    moodle: moodle ? { port: moodle.port, connection: moodle.connection, token: moodleConn?.type === 'moodle' ? moodleConn.token : '' } : null,
    alma: alma ? { port: alma.port, connection: alma.connection, apiKey: almaConn?.type === 'alma' ? almaConn.apiKey : '' } : null,
    smtp: v.smtp.port === 0 ? null : { port: v.smtp.port, maildir: resolve(baseDir, v.smtp.maildir ?? 'demo/out/mail') },
    slack: v.slack.port === 0 ? null : { port: v.slack.port, dir: resolve(baseDir, v.slack.dir ?? 'demo/out/slack') },
    cem: { seed: v.cem.seed, rows: v.cem.rows },
  };
}
