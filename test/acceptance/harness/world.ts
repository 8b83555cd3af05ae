import { execFile } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildAlmaFixture, type AlmaFixture } from '../../../src/datagen/alma-fixture.js';
import { writeCemExport } from '../../../src/datagen/cem-generator.js';
import { loadDatasetWithCopy } from '../../../src/datagen/load-dataset.js';
import { buildMoodleFixture, type MoodleFixture } from '../../../src/datagen/moodle-fixture.js';
import { powerCampusDataset } from '../../../src/datagen/powercampus-generator.js';
import { powerSchoolDataset } from '../../../src/datagen/powerschool-generator.js';
import { startAlmaSandbox, type AlmaCourse, type AlmaSandbox } from '../../../src/sandbox/alma-sandbox.js';
import { createMoodleState, startMoodleSandbox, type MoodleSandbox } from '../../../src/sandbox/moodle-sandbox.js';
import { startHttpSink, type HttpSink } from '../../fixtures/http-sink.js';
import { startPostgres, type PgFixture } from '../../fixtures/postgres.js';
import { startSmtpSink, type SmtpSink } from '../../fixtures/smtp-sink.js';
import { SFTP_USER, startSshd, type SshdFixture } from '../../fixtures/sshd.js';
import { startTdsPgBridge, type TdsPgBridge } from '../../fixtures/tds-pg-bridge.js';
import { Transcript } from './processes.js';
import { makeSecrets, type Secrets } from './secrets.js';
import { startFaultProxy, type FaultProxy } from './tcp-fault-proxy.js';

/**
 * Everything a whole-system test talks to, started from the test process: a real PostgreSQL 15
 * holding a generated PowerSchool district and PowerCampus university, a real OpenSSH server
 * (chrooted SFTP user), the PowerCampus TDS endpoint bridged to PostgreSQL, an SMTP server with
 * AUTH, a Slack webhook, and the Moodle and Alma sandbox web services; plus TCP fault proxies in
 * front of sshd and PostgreSQL. Every credential is a recognisable secret (`S3CR3T-...`) passed to
 * sisrelay through the environment or a file, never written into a config file.
 */

const run = promisify(execFile);

export interface WorldOptions {
  /** PowerSchool students (default 200). */
  students?: number;
  /** PowerCampus students (default 150). */
  pcStudents?: number;
  /** CEM export rows (default 160). */
  cemRows?: number;
  /** Bytes per second through the slow SFTP proxy (default 400 kB/s). */
  sftpRate?: number;
  /** Bytes per second through the crawling SFTP proxy, for small files (default 40 kB/s). */
  crawlRate?: number;
  /** A second, independent OpenSSH server (to stop it without disturbing the first). */
  secondSshd?: boolean;
  /** Timeout of the Moodle and Alma connections (default "3s"). */
  httpTimeout?: string;
}

export interface World {
  root: string;
  secrets: Secrets;
  /** Secret values the scan looks for (the secrets plus the private key's body). */
  secretValues: string[];
  /** Environment handed to every sisrelay process (the secrets live here). */
  env: NodeJS.ProcessEnv;
  transcript: Transcript;
  /** UTC date of "today" for the CEM export name (YYYY-MM-DD). */
  today: string;
  pg: PgFixture;
  /** Relays to PostgreSQL that can cut a connection after N bytes of results. */
  pgProxy: FaultProxy;
  sshd: SshdFixture;
  /** Throttled relay to sshd: uploads take long enough to be interrupted. */
  sftpProxy: FaultProxy;
  /** A slower relay to sshd, for small files. */
  sftpCrawl: FaultProxy;
  /** The second sshd and its throttled relay (when asked for). */
  sshdB: SshdFixture | null;
  sftpProxyB: FaultProxy | null;
  /** Host path of the second sshd's /upload. */
  uploadB: string | null;
  /** A directory inside the second sshd's /upload, owned by sftpuser. */
  sftpDirB(rel: string): Promise<string>;
  tds: TdsPgBridge;
  smtp: SmtpSink;
  slack: HttpSink;
  moodle: MoodleSandbox;
  alma: AlmaSandbox;
  /** Second, independent sandboxes (faults injected into the first never reach them). */
  moodleB: MoodleSandbox;
  almaB: AlmaSandbox;
  moodleFixture: MoodleFixture;
  almaFixture: AlmaFixture;
  /** Host path of sftpuser's /upload. */
  upload: string;
  /** dataDir holding mappings/acc-academic.json and mappings/acc-hubs.json. */
  dataDir: string;
  pcTerm: { year: string; term: 'Winter' | 'Spring' | 'Summer' | 'Fall' };
  /** A directory inside sftpuser's /upload, owned by sftpuser (as if it had created it). */
  sftpDir(rel: string): Promise<string>;
  /** A file placed in the chroot as if sftpuser had uploaded it. */
  placeSftpFile(rel: string, content: Buffer | string): Promise<string>;
  /** The CEM export for `today` under /upload/<dir> (a fresh one each call; written with malformed lines). */
  writeCem(dir: string, opts?: { includeMalformed?: boolean; rows?: number }): Promise<string>;
  /** `connections` block of a config: every fixture above, secrets as references. */
  connections(): Record<string, unknown>;
  stop(): Promise<void>;
}

export const CONN = {
  powerschool: 'powerschool',
  powerschoolCut: 'powerschool-cut',
  /** The same database as another login (so a test can kill just its sessions). */
  powerschoolB: 'powerschool-b',
  powercampus: 'powercampus',
  powercampusPg: 'powercampus-pg',
  sftp: 'sftp',
  sftpSlow: 'sftp-slow',
  sftpCrawl: 'sftp-crawl',
  sftpB: 'sftp-b',
  local: 'local-drop',
  moodle: 'moodle',
  moodleB: 'moodle-b',
  alma: 'alma',
  almaB: 'alma-b',
  smtp: 'smtp',
  slack: 'slack',
} as const;

const ENV = {
  pg: 'ACC_PG_PASSWORD',
  mssql: 'ACC_MSSQL_PASSWORD',
  sftpPassphrase: 'ACC_SFTP_PASSPHRASE',
  moodle: 'ACC_MOODLE_TOKEN',
  alma: 'ACC_ALMA_API_KEY',
  smtp: 'ACC_SMTP_PASSWORD',
  slack: 'ACC_SLACK_WEBHOOK_URL',
} as const;

export const PG_READER = 'sisrelay_reader';
export const PG_READER_B = 'sisrelay_reader_b';
export const PC_READER = 'pcreader';
export const SMTP_USER = 'relay';

async function ids(user: string): Promise<{ uid: number; gid: number }> {
  const [{ stdout: u }, { stdout: g }] = await Promise.all([run('id', ['-u', user]), run('id', ['-g', user])]);
  return { uid: Number(u.trim()), gid: Number(g.trim()) };
}

export async function startWorld(opts: WorldOptions = {}): Promise<World> {
  const secrets = makeSecrets();
  const root = await mkdtemp(join(tmpdir(), 'sisrelay-acceptance-'));
  await chmod(root, 0o755);
  const now = new Date();
  const today = now.toISOString().slice(0, 10);
  const schoolYearStart = now.getUTCMonth() >= 6 ? now.getUTCFullYear() : now.getUTCFullYear() - 1;
  const pcTerm = { year: String(now.getUTCFullYear()), term: 'Fall' as const };
  const started: Array<() => Promise<unknown>> = [];

  try {
    const [pg, sshd, sshdB, smtp, slack] = await Promise.all([
      startPostgres(),
      startSshd(),
      opts.secondSshd ? startSshd() : Promise.resolve(null),
      startSmtpSink({ users: { [SMTP_USER]: secrets.smtp } }),
      startHttpSink(() => ({ status: 200, body: 'ok' })),
    ]);
    started.push(() => pg.stop(), () => sshd.stop(), () => smtp.close(), () => slack.close());
    if (sshdB) started.push(() => sshdB.stop());

    // PostgreSQL: both systems of record, read by a role whose password is a recognisable secret.
    await Promise.all([pg.createDatabase('powerschool'), pg.createDatabase('powercampus')]);
    const moodleGen = { seed: 'acceptance-moodle', students: opts.pcStudents ?? 150, year: Number(pcTerm.year), term: pcTerm.term, courses: 12 };
    const loadInto = async (db: string, load: (c: Awaited<ReturnType<PgFixture['client']>>) => Promise<unknown>): Promise<void> => {
      const c = await pg.client(db);
      try {
        await load(c);
        for (const role of [PG_READER, PG_READER_B]) {
          await c.query(`GRANT CONNECT ON DATABASE ${db} TO ${role}`);
          await c.query(`GRANT USAGE ON SCHEMA public TO ${role}`);
          await c.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role}`);
        }
        await c.query('ANALYZE');
      } finally {
        await c.end();
      }
    };
    const admin = await pg.client('postgres');
    await admin.query(`CREATE ROLE ${PG_READER} LOGIN PASSWORD '${secrets.pg}'`);
    await admin.query(`CREATE ROLE ${PG_READER_B} LOGIN PASSWORD '${secrets.pg}'`);
    await admin.end();
    await loadInto('powerschool', (c) =>
      loadDatasetWithCopy(c, powerSchoolDataset({ seed: 'acceptance-district', students: opts.students ?? 200, schoolYearStart, options: { nonNumericFerRate: 0.01 } })),
    );
    await loadInto('powercampus', (c) => loadDatasetWithCopy(c, powerCampusDataset(moodleGen)));

    const [pgProxy, sftpProxy, sftpCrawl, sftpProxyB, tds] = await Promise.all([
      startFaultProxy({ host: pg.host, port: pg.port }),
      startFaultProxy({ host: sshd.host, port: sshd.port }, { bytesPerSecond: opts.sftpRate ?? 400_000 }),
      startFaultProxy({ host: sshd.host, port: sshd.port }, { bytesPerSecond: opts.crawlRate ?? 40_000 }),
      sshdB ? startFaultProxy({ host: sshdB.host, port: sshdB.port }, { bytesPerSecond: opts.sftpRate ?? 400_000 }) : Promise.resolve(null),
      startTdsPgBridge({
        pg: { host: pg.host, port: pg.port, user: PG_READER, password: secrets.pg, database: 'powercampus' },
        users: { [PC_READER]: secrets.mssql },
        database: 'PowerCampus_acc',
      }),
    ]);
    started.push(() => pgProxy.close(), () => sftpProxy.close(), () => sftpCrawl.close(), () => tds.close());
    if (sftpProxyB) started.push(() => sftpProxyB.close());

    // Moodle: a site matching the generated term, with known pending adds and drops.
    const moodleFixture = buildMoodleFixture(moodleGen);
    const moodleState = () =>
      createMoodleState({
        roles: moodleFixture.roles.map((r) => ({ id: r.id, shortname: r.shortname, name: r.name, sortorder: r.id })),
        courses: moodleFixture.courses.map((c) => ({ id: c.id, shortname: c.shortname, fullname: c.fullname })),
        users: moodleFixture.users.map((u) => ({ id: u.id, username: u.username, firstname: u.firstname, lastname: u.lastname, email: u.email, idnumber: u.idnumber })),
        enrolments: moodleFixture.enrolments.map((e) => ({ userid: e.userid, courseid: e.courseid, roleid: e.roleid, suspended: e.status === 1 })),
      });
    const [moodle, moodleB] = await Promise.all([startMoodleSandbox({ token: secrets.moodle, state: moodleState() }), startMoodleSandbox({ token: secrets.moodle, state: moodleState() })]);
    started.push(() => moodle.close(), () => moodleB.close());

    // Alma: a catalogue consistent with today's CEM export.
    const cemRows = opts.cemRows ?? 160;
    const year = now.getUTCFullYear();
    const almaFixture = buildAlmaFixture({ seed: 'acceptance-cem', rows: cemRows, date: today, years: [year - 1, year], fillerPerYear: 40 });
    const [alma, almaB] = await Promise.all([
      startAlmaSandbox({ apiKey: secrets.alma, courses: almaCourses(almaFixture), perSecondLimit: 25 }),
      startAlmaSandbox({ apiKey: secrets.alma, courses: almaCourses(almaFixture), perSecondLimit: 25 }),
    ]);
    started.push(() => alma.close(), () => almaB.close());

    const dataDir = join(root, 'data');
    await mkdir(join(dataDir, 'mappings'), { recursive: true });
    await writeFile(join(dataDir, 'mappings', 'acc-academic.json'), JSON.stringify(moodleFixture.mapping, null, 2));
    await writeFile(join(dataDir, 'mappings', 'acc-hubs.json'), JSON.stringify(moodleFixture.nonAcademicMapping, null, 2));

    // Our own SFTP client key, encrypted with a recognisable passphrase, authorised for sftpuser.
    const keyPath = join(root, 'sftp-client-key');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', secrets.sftpPassphrase, '-C', 'acceptance', '-f', keyPath]);
    await chmod(keyPath, 0o600);
    const pub = (await readFile(`${keyPath}.pub`, 'utf8')).trim() + '\n';
    await appendFile(join(sshd.dir, 'authorized_keys'), pub);
    if (sshdB) await appendFile(join(sshdB.dir, 'authorized_keys'), pub);
    const keyBody = (await readFile(keyPath, 'utf8')).split('\n').filter((l) => l.length >= 60 && !l.startsWith('-----'));

    const upload = join(sshd.chrootDir, 'upload');
    const uploadB = sshdB ? join(sshdB.chrootDir, 'upload') : null;
    const sftpIds = await ids(SFTP_USER);
    const ownedDir = async (base: string, rel: string): Promise<string> => {
      const parts = rel.split('/').filter(Boolean);
      let dir = base;
      for (const p of parts) {
        dir = join(dir, p);
        await mkdir(dir, { recursive: true });
        await chown(dir, sftpIds.uid, sftpIds.gid);
      }
      return dir;
    };
    const sftpDir = (rel: string): Promise<string> => ownedDir(upload, rel);
    const sftpDirB = (rel: string): Promise<string> => {
      if (!uploadB) throw new Error('the world was started without secondSshd');
      return ownedDir(uploadB, rel);
    };
    const placeSftpFile = async (rel: string, content: Buffer | string): Promise<string> => {
      const path = join(upload, rel);
      await writeFile(path, content, { mode: 0o600 });
      await chown(path, sftpIds.uid, sftpIds.gid);
      return path;
    };
    const writeCem = async (dir: string, o: { includeMalformed?: boolean; rows?: number } = {}): Promise<string> => {
      const d = await sftpDir(dir);
      const path = join(d, `leganto_export_${today.replaceAll('-', '')}.csv`);
      await writeCemExport(path, { seed: 'acceptance-cem', rows: o.rows ?? cemRows, date: today, encoding: 'latin1', includeMalformed: o.includeMalformed ?? true });
      await chown(path, sftpIds.uid, sftpIds.gid);
      return path;
    };

    const slackUrl = `${slack.url}/services/T0ACC/B0ACC/${secrets.slack}`;
    const env: NodeJS.ProcessEnv = {
      [ENV.pg]: secrets.pg,
      [ENV.mssql]: secrets.mssql,
      [ENV.sftpPassphrase]: secrets.sftpPassphrase,
      [ENV.moodle]: secrets.moodle,
      [ENV.alma]: secrets.alma,
      [ENV.smtp]: secrets.smtp,
      [ENV.slack]: slackUrl,
    };
    const sftpBase = { type: 'sftp', username: SFTP_USER, privateKey: { file: keyPath }, passphrase: { env: ENV.sftpPassphrase }, connectTimeout: '20s' };
    const timeout = opts.httpTimeout ?? '3s';
    const moodleConn = (url: string) => ({ type: 'moodle', url, token: { env: ENV.moodle }, timeout, concurrency: 4, retries: 1, retryDelay: '100ms' });
    // Alma's 25 calls/s threshold is per institution (per sandbox here), while ratePerSecond paces
    // one run: two Leganto jobs in the same minute at 20/s each would be refused with 429.
    const almaConn = (url: string) => ({ type: 'alma', url, apiKey: { env: ENV.alma }, timeout, concurrency: 4, ratePerSecond: 10, minRemaining: 0, retries: 2, retryDelay: '200ms' });
    const connections = (): Record<string, unknown> => ({
      [CONN.powerschool]: { type: 'postgres', host: pg.host, port: pg.port, database: 'powerschool', user: PG_READER, password: { env: ENV.pg }, connectTimeout: '20s', statementTimeout: '60s' },
      [CONN.powerschoolB]: { type: 'postgres', host: pg.host, port: pg.port, database: 'powerschool', user: PG_READER_B, password: { env: ENV.pg }, connectTimeout: '20s', statementTimeout: '60s' },
      [CONN.powerschoolCut]: { type: 'postgres', host: pgProxy.host, port: pgProxy.port, database: 'powerschool', user: PG_READER, password: { env: ENV.pg }, connectTimeout: '20s', statementTimeout: '60s' },
      [CONN.powercampusPg]: { type: 'postgres', host: pg.host, port: pg.port, database: 'powercampus', user: PG_READER, password: { env: ENV.pg }, connectTimeout: '20s', statementTimeout: '60s' },
      [CONN.powercampus]: {
        type: 'mssql', server: tds.host, port: tds.port, database: 'PowerCampus_acc', user: PC_READER, password: { env: ENV.mssql },
        encrypt: false, connectTimeout: '20s', requestTimeout: '20s',
      },
      [CONN.sftp]: { ...sftpBase, host: sshd.host, port: sshd.port, knownHostsFile: sshd.knownHostsPath, retries: 1, retryDelay: '200ms' },
      [CONN.sftpSlow]: { ...sftpBase, host: sftpProxy.host, port: sftpProxy.port, hostKey: sshd.hostPublicKey, retries: 1, retryDelay: '300ms' },
      [CONN.sftpCrawl]: { ...sftpBase, host: sftpCrawl.host, port: sftpCrawl.port, hostKey: sshd.hostPublicKey, retries: 1, retryDelay: '300ms' },
      ...(sshdB && sftpProxyB
        ? { [CONN.sftpB]: { ...sftpBase, host: sftpProxyB.host, port: sftpProxyB.port, hostKey: `SHA256:${sshdB.fingerprint.slice(7)}`, retries: 2, retryDelay: '400ms' } }
        : {}),
      [CONN.local]: { type: 'local', path: join(root, 'local-drop'), create: true },
      [CONN.moodle]: moodleConn(moodle.url),
      [CONN.moodleB]: moodleConn(moodleB.url),
      [CONN.alma]: almaConn(alma.url),
      [CONN.almaB]: almaConn(almaB.url),
      [CONN.smtp]: { type: 'smtp', host: smtp.host, port: smtp.port, requireTls: false, user: SMTP_USER, password: { env: ENV.smtp }, from: 'sisrelay <sisrelay@acceptance.test>', timeout: '5s' },
      [CONN.slack]: { type: 'slack', webhookUrl: { env: ENV.slack }, timeout: '5s' },
    });

    return {
      root,
      secrets,
      secretValues: [...Object.values(secrets), slackUrl, ...keyBody],
      env,
      transcript: new Transcript(),
      today,
      pg,
      pgProxy,
      sshd,
      sftpProxy,
      sftpCrawl,
      sshdB,
      sftpProxyB,
      uploadB,
      sftpDirB,
      tds,
      smtp,
      slack,
      moodle,
      alma,
      moodleB,
      almaB,
      moodleFixture,
      almaFixture,
      upload,
      dataDir,
      pcTerm,
      sftpDir,
      placeSftpFile,
      writeCem,
      connections,
      stop: async () => {
        await Promise.allSettled(started.reverse().map((f) => f()));
        await rm(root, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await Promise.allSettled(started.reverse().map((f) => f()));
    await rm(root, { recursive: true, force: true });
    throw err;
  }
}

/** The datagen catalogue (reading lists as a count) in the sandbox's shape (reading lists as records). */
function almaCourses(fixture: AlmaFixture): AlmaCourse[] {
  return fixture.courses.map((c) => ({
    id: c.id,
    code: c.code,
    name: c.name,
    section: c.section,
    year: c.year,
    searchable_id: c.searchable_id,
    status: c.status,
    academic_department: c.academic_department,
    processing_department: c.processing_department,
    term: c.term,
    reading_lists: Array.from({ length: c.reading_lists }, (_, i) => ({ id: `${c.id}-rl${i}`, code: `RL-${c.id}-${i}`, name: `Reading list ${i + 1}` })),
  }));
}

export interface ConfigParts {
  daemon?: Record<string, unknown>;
  jobs: Record<string, unknown>;
  /** Extra or replacement connections. */
  connections?: Record<string, unknown>;
}

/** Writes a JSON5 config (JSON is JSON5) with state and logs under `dir`. */
export async function writeConfig(world: World, dir: string, parts: ConfigParts, file = join(dir, 'sisrelay.json')): Promise<string> {
  await mkdir(dir, { recursive: true });
  const config = {
    daemon: {
      timezone: 'UTC',
      stateDir: join(dir, 'state'),
      logDir: join(dir, 'log'),
      dataDir: world.dataDir,
      shutdownGrace: '10s',
      maxConcurrentRuns: 4,
      ...parts.daemon,
    },
    connections: { ...world.connections(), ...parts.connections },
    jobs: parts.jobs,
  };
  await writeFile(file, `// acceptance test config: every credential is a reference, never a value\n${JSON.stringify(config, null, 2)}\n`);
  return file;
}

/** A job entry with test defaults: UTC, short timeouts, no retries, alerts off unless asked. */
export function job(type: string, params: Record<string, unknown>, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type,
    timezone: 'UTC',
    timeout: '60s',
    killGrace: '2s',
    maxMemoryMb: 384,
    retries: { max: 0, initialDelay: '200ms', maxDelay: '1s' },
    alerts: { email: false, slack: false },
    params,
    ...over,
  };
}
