import { access, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { JobConfig, NamedConnection, SandboxConfig } from '../config/config-types.js';
import { buildMoodleFixture, MOODLE_ROLES, STUDENT_ROLE_ID } from '../datagen/moodle-fixture.js';
import { buildAlmaFixture } from '../datagen/alma-fixture.js';
import { writeCemExport } from '../datagen/cem-generator.js';
import type { AcademicTerm } from '../datagen/powercampus-generator.js';
import { writeFileAtomic } from '../runner/atomic-write.js';
import { compactDate, localDate } from '../util/dates.js';
import { createMoodleState, startMoodleSandbox } from './moodle-sandbox.js';
import { startAlmaSandbox, type AlmaCourse as SandboxAlmaCourse } from './alma-sandbox.js';
import { sendText, startSandboxServer, type SandboxServer } from './sandbox-server.js';
import { startSmtpSandbox } from './smtp-sandbox.js';

/**
 * The demo's stand-ins for the outside world, in one child process of the daemon:
 * - a Moodle web-services site whose courses, users and enrolments come from the same seeded
 *   PowerCampus data the demo's embedded database holds (so the sync has a few adds and drops);
 * - an Alma API whose course catalogue matches the CEM export, and that export itself, written
 *   each day into the leganto job's pickup directory (the file the vendor would drop);
 * - a mail relay writing .eml files, and a Slack webhook writing .json files, under demo/out.
 * It exits when the daemon goes away (IPC disconnect), so it can never outlive it.
 */

export interface SandboxInit {
  config: {
    sandbox: SandboxConfig;
    connections: Record<string, NamedConnection>;
    jobs: Record<string, JobConfig>;
    stateDir: string;
    dataDir: string;
  };
}

export interface SandboxReady {
  services: string[];
}

/** Sent instead of SandboxReady when a service cannot start (e.g. its port is taken). */
export interface SandboxFailed {
  error: string;
  /** errno code when there is one (EADDRINUSE: another sandbox, e.g. the daemon's, holds the port). */
  code: string | null;
}

type Closer = () => Promise<void>;

async function main(init: SandboxInit): Promise<SandboxReady> {
  const { sandbox, connections, jobs } = init.config;
  const services: string[] = [];
  const closers: Closer[] = [];

  if (sandbox.moodle) {
    const m = sandbox.moodle;
    const syncJob = Object.values(jobs).find((j) => j.type === 'moodle-enrollments' && j.params.moodle === m.connection);
    const source = syncJob ? connections[String(syncJob.params.source)] : undefined;
    if (!syncJob || source?.type !== 'pglite' || source.dataset !== 'powercampus') {
      const found = syncJob ? `its source '${String(syncJob.params.source)}' is ${describeConnection(source)}` : 'no such job';
      throw new Error(`sandbox.moodle: expected a moodle-enrollments job using connection ${m.connection} with a pglite powercampus source; found ${found}`);
    }
    const fx = buildMoodleFixture({
      seed: source.seed,
      students: source.students,
      year: String(syncJob.params.academicYear),
      term: String(syncJob.params.academicTerm) as AcademicTerm,
      courses: source.courses,
    });
    const state = createMoodleState({
      courses: fx.courses.map((c) => ({ id: c.id, shortname: c.shortname, fullname: c.fullname, category: c.categoryid, idnumber: c.idnumber })),
      users: fx.users.map((u) => ({ id: u.id, username: u.username, firstname: u.firstname, lastname: u.lastname, email: u.email, idnumber: u.idnumber })),
      enrolments: fx.enrolments.map((e) => ({ userid: e.userid, courseid: e.courseid, roleid: e.roleid, suspended: e.status === 1 })),
      // student is a standard role, which Moodle stores with an empty name (see DEFAULT_MOODLE_ROLES).
      roles: MOODLE_ROLES.map((r, i) => ({ id: r.id, shortname: r.shortname, name: r.id === STUDENT_ROLE_ID ? '' : r.name, sortorder: i + 1 })),
    });
    const site = await startMoodleSandbox({ token: m.token, state, port: m.port, sitename: 'sisrelay demo Moodle' });
    closers.push(() => site.close());
    services.push(`Moodle web services at ${site.url} (${fx.courses.length} courses, ${fx.users.length} users, ${fx.enrolments.length} enrolments)`);
  }

  if (sandbox.alma) {
    const a = sandbox.alma;
    const loadJob = Object.values(jobs).find((j) => j.type === 'leganto-courses' && j.params.alma === a.connection);
    const drop = loadJob ? connections[String(loadJob.params.source)] : undefined;
    if (!loadJob || drop?.type !== 'local') {
      const found = loadJob ? `its source '${String(loadJob.params.source)}' is ${describeConnection(drop)}` : 'no such job';
      throw new Error(`sandbox.alma: expected a leganto-courses job using connection ${a.connection} with a local source directory; found ${found}`);
    }
    const zone = loadJob.timezone;
    const dir = resolve(drop.path, String(loadJob.params.sourceDir).replace(/^\/+/, ''));
    const prefix = String(loadJob.params.filePattern);
    const cem = sandbox.cem;
    const writeToday = async (): Promise<string> => {
      const now = new Date();
      // The job's pattern may end in glob characters (leganto_export_{YYYYMMDD}*); the file the
      // "vendor" drops is the plain name plus .csv, which that pattern matches.
      const name = prefix.replace('{YYYYMMDD}', compactDate(now, zone)).replace(/[*?]/g, '');
      const path = join(dir, `${name}.csv`);
      if (await exists(path)) return path;
      await mkdir(dir, { recursive: true, mode: 0o700 });
      // writeCemExport writes under a dot-name the job's pattern cannot match, then renames.
      await writeCemExport(path, { seed: cem.seed, rows: cem.rows, date: localDate(now, zone), encoding: 'latin1', includeMalformed: true });
      return path;
    };
    const first = await writeToday();
    // A demo left running overnight needs tomorrow's export too.
    const timer = setInterval(() => void writeToday().catch(() => undefined), 10 * 60_000);
    closers.push(async () => clearInterval(timer));
    const today = localDate(new Date(), zone);
    const year = Number(today.slice(0, 4));
    const fx = buildAlmaFixture({ seed: cem.seed, rows: cem.rows, date: today, years: [year - 1, year] });
    const courses: SandboxAlmaCourse[] = fx.courses.map((c) => ({
      ...c,
      reading_lists: Array.from({ length: c.reading_lists }, (_, i) => ({ id: `${c.id}${i}`, code: `${c.code}-RL${i + 1}`, name: `Reading list ${i + 1}`, status: 'Complete' })),
    }));
    const api = await startAlmaSandbox({ apiKey: a.apiKey, courses, port: a.port, perSecondLimit: 25 });
    closers.push(() => api.close());
    services.push(`Alma API at ${api.url} (${courses.length} courses); today's CEM export ${first}`);
  }

  if (sandbox.smtp) {
    const relay = await startSmtpSandbox({ maildir: sandbox.smtp.maildir, port: sandbox.smtp.port });
    closers.push(() => relay.close());
    services.push(`mail relay on 127.0.0.1:${relay.port} writing ${sandbox.smtp.maildir}`);
  }

  if (sandbox.slack) {
    const hook = await startWebhookSink(sandbox.slack.port, sandbox.slack.dir);
    closers.push(() => hook.close());
    services.push(`Slack webhook on 127.0.0.1:${sandbox.slack.port} writing ${sandbox.slack.dir}`);
  }

  const shutdown = async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown());
  process.once('disconnect', () => void shutdown());
  return { services };
}

/**
 * Slack incoming-webhook stand-in: answers "ok" and keeps each payload as a JSON file (alerts can
 * name students, so 0600, written atomically so a reader never sees half a payload).
 */
async function startWebhookSink(port: number, dir: string): Promise<SandboxServer> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  let n = 0;
  return startSandboxServer(async (_req, res, body) => {
    const name = `${new Date().toISOString().replace(/[:.]/g, '')}-${String(++n).padStart(4, '0')}.json`;
    try {
      await writeFileAtomic(join(dir, name), body);
    } catch {
      sendText(res, 500, 'write failed', 'text/plain');
      return;
    }
    sendText(res, 200, 'ok', 'text/plain');
  }, { port });
}

function describeConnection(c: NamedConnection | undefined): string {
  if (!c) return 'not a defined connection';
  return c.type === 'pglite' ? `a pglite ${c.dataset} connection` : `a ${c.type} connection`;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}

process.once('message', (msg: SandboxInit) => {
  main(msg).then(
    (ready) => process.send?.(ready),
    (err: unknown) => {
      const failed: SandboxFailed = { error: err instanceof Error ? err.message : String(err), code: (err as NodeJS.ErrnoException).code ?? null };
      process.send?.(failed, () => process.exit(1));
    },
  );
});
