import { spawn } from 'node:child_process';
import { chmod, cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, ensureDist } from './harness/dist.js';
import { sisrelay, Transcript, type CliResult } from './harness/processes.js';
import { scanForSecrets } from './harness/secrets.js';

/**
 * Bad input, black-box: every file in test/fixtures/broken-configs/ is a copy of control/valid.json
 * with one defect. `sisrelay validate <file>` (the built executable, in its own process) must exit
 * 1 and print, on a line of its own, the key path of the defect and what is wrong with it. The
 * control file must pass with the same environment, so each failure is the defect's alone.
 */

const CORPUS = fileURLToPath(new URL('../fixtures/broken-configs/', import.meta.url));

/** Secrets the valid config needs (recognisable, and never allowed in the output). */
const ENV: Record<string, string> = {
  BC_PG_PASSWORD: 'S3CR3T-bc-pg-31f9a2',
  BC_MSSQL_PASSWORD: 'S3CR3T-bc-mssql-8c1d07',
  BC_SFTP_PASSWORD: 'S3CR3T-bc-sftp-5e22b1',
  BC_MOODLE_TOKEN: 'S3CR3T-bc-moodle-0d9f4c',
  BC_ALMA_API_KEY: 'S3CR3T-bc-alma-a41e6b',
  BC_SLACK_WEBHOOK_URL: 'https://hooks.slack.test/services/T0/B0/S3CR3T-bc-slack-77c0ee',
};
/** Secret values written into broken files themselves: refused, and never echoed. */
const FILE_SECRETS = ['S3CR3T-literal-token-5f0e', 'S3CR3T-root-only-alma-key-77aa'];

interface Case {
  /** Key path printed before the colon (null: the file cannot be read at all). */
  key: string | null;
  /** What the message must say about it. */
  phrase: RegExp;
  /** Run as the unprivileged user `nobody`, on a copy whose named file is root-only (0600). */
  rootOnly?: string;
}

const M = 'jobs.moodle-enrollments.params';
const CASES: Record<string, Case> = {
  'cron-four-fields': { key: 'jobs.littlesis-roster.schedule', phrase: /expected 5 fields .*found 4$/ },
  'cron-six-fields': { key: 'jobs.littlesis-roster.schedule', phrase: /expected 5 fields .*found 6 \(seconds are not supported\)/ },
  'cron-minute-out-of-range': { key: 'jobs.littlesis-roster.schedule', phrase: /minute: expected minutes 0-59 .*found "61"/ },
  'cron-hour-out-of-range': { key: 'jobs.samegoal-demographics.schedule', phrase: /hour: expected hours 0-23 .*found "24"/ },
  'cron-words': { key: 'jobs.littlesis-roster.schedule', phrase: /expected 5 fields/ },
  'zone-misspelled': { key: 'jobs.littlesis-roster.timezone', phrase: /expected an IANA time zone .*found "America\/Chicgo"/ },
  'zone-daemon-unknown': { key: 'daemon.timezone', phrase: /expected an IANA time zone .*found "Mars\/Olympus_Mons"/ },
  'zone-wrong-type': { key: 'jobs.clever-demographics.timezone', phrase: /expected an IANA time zone .*found -6 \(number\)/ },
  'unknown-top-level-key': { key: 'deamon', phrase: /^unknown key; expected one of: daemon, connections, jobs, sandbox$/ },
  'unknown-job-key': { key: 'jobs.littlesis-roster.shedule', phrase: /^unknown key; expected one of: .*\bschedule\b/ },
  'unknown-param': { key: 'jobs.littlesis-roster.params.destinaton', phrase: /^unknown key; expected one of: .*\bdestination\b/ },
  'unknown-connection-key': { key: 'connections.ps.hostname', phrase: /^unknown key; expected one of: type, host, port/ },
  'unknown-daemon-key': { key: 'daemon.logLevl', phrase: /^unknown key; expected one of: .*\blogLevel\b/ },
  'secret-env-unset': { key: 'connections.ps.password', phrase: /expected environment variable BC_UNSET_PG_PASSWORD to be set, found it unset/ },
  'secret-literal': { key: 'connections.moodle.token', phrase: /found a literal string \(secrets may not be written in the config file\)/ },
  'secret-file-missing': { key: 'connections.pc.password', phrase: /secrets\/no-such-secret, found no such file/ },
  'secret-file-empty': { key: 'connections.pc.password', phrase: /secrets\/empty-secret, found an empty file/ },
  'secret-file-unreadable': { key: 'connections.alma.apiKey', phrase: /root-only-secret, found it unreadable \(permission denied\)/, rootOnly: 'secrets/root-only-secret' },
  'secret-credential-no-dir': { key: 'connections.drop.password', phrase: /credential sftp-password from \$CREDENTIALS_DIRECTORY, found CREDENTIALS_DIRECTORY unset/ },
  'config-unreadable': { key: null, phrase: /CONFIG_UNREADABLE: .*config-unreadable\.json: expected a readable config file, found permission denied/, rootOnly: 'config-unreadable.json' },
  'port-as-string': { key: 'connections.ps.port', phrase: /expected a TCP port 1-65535, found "5432" \(string\)/ },
  'port-out-of-range': { key: 'connections.drop.port', phrase: /expected a TCP port 1-65535, found 70000/ },
  'enabled-not-boolean': { key: 'jobs.littlesis-roster.enabled', phrase: /expected true or false, found "yes"/ },
  'retries-negative': { key: 'jobs.littlesis-roster.retries.max', phrase: /expected a whole number 0 or more, found -1/ },
  'duration-unparseable': { key: 'jobs.littlesis-roster.timeout', phrase: /expected a duration .*found "10 minutes"/ },
  'retry-delays-inverted': { key: 'jobs.littlesis-roster.retries.maxDelay', phrase: /expected at least retries.initialDelay \(10m\), found "1m"/ },
  'overlap-unknown': { key: 'jobs.littlesis-roster.overlap', phrase: /expected one of "skip", "queue", found "parallel"/ },
  'deadline-invalid': { key: 'jobs.littlesis-roster.alerts.deadline', phrase: /expected a time of day "HH:MM".*found "25:00"/ },
  'job-type-unknown': { key: 'jobs.littlesis-roster.type', phrase: /expected one of littlesis-roster, .*found "littlesis"/ },
  'job-name-invalid': { key: 'jobs.Nightly Roster', phrase: /expected a job name of lower-case letters/ },
  'connection-ref-missing': { key: 'jobs.littlesis-roster.params.destination', phrase: /found "littlesis-sftp" \(no such connection\)/ },
  'connection-ref-wrong-type': { key: 'jobs.samegoal-demographics.params.source', phrase: /expected a connection of type oracle or mssql or postgres or pglite, found "moodle" of type moodle/ },
  'connection-type-unknown': { key: 'connections.ps.type', phrase: /expected one of oracle, .*found "mysql"/ },
  'connections-not-object': { key: 'connections', phrase: /expected an object of named connections, found an array of 1/ },
  'email-connection-wrong-type': { key: 'daemon.notifications.emailConnection', phrase: /expected a connection of type smtp, found "slack" of type slack/ },
  'email-recipient-invalid': { key: 'daemon.notifications.emailTo', phrase: /expected a list of e-mail addresses/ },
  'sftp-no-host-key': { key: 'connections.drop.hostKey', phrase: /expected exactly one of hostKey or knownHostsFile .*found neither/ },
  'sftp-host-key-and-file': { key: 'connections.drop.hostKey', phrase: /expected exactly one of hostKey or knownHostsFile .*found both/ },
  'alma-rate-too-high': { key: 'connections.alma.ratePerSecond', phrase: /expected 1-25 .*found 50/ },
  'moodle-url-not-http': { key: 'connections.moodle.url', phrase: /expected an http:\/\/ or https:\/\/ URL, found "moodle.university.test"/ },
  'mssql-encrypt-invalid': { key: 'connections.pc.encrypt', phrase: /expected true, false or "strict", found "yes"/ },
  'retention-cron-invalid': { key: 'daemon.retention.schedule', phrase: /expected 5 fields .*found 3/ },
  'mapping-file-errors': { key: 'mappings/broken-academic.json', phrase: /"BIO1010-Fall2026"\.id: expected the Moodle course id, a positive integer \(line 6\), found "201"/ },
  'mapping-file-missing': { key: 'mappings/wc_pc_mapping_sp27.json', phrase: /cannot read .*mappings\/wc_pc_mapping_sp27.json: no such file/ },
  'mapping-file-not-json': { key: 'mappings/not-json-hubs.json', phrase: /not valid JSON at line 1, column 49/ },
  'moodle-roles-equal': { key: `${M}.roles.auditingstudent`, phrase: /expected a role id different from roles.student, found 5 for both/ },
  'samegoal-unknown-column': { key: 'jobs.samegoal-demographics.params.studentColumns', phrase: /column "Favourite Colour" has no PowerSchool source/ },
  'rollover-no-recipients': { key: 'jobs.leganto-rollover-report.params.emailTo', phrase: /expected at least one recipient, found an empty list/ },
  'json-syntax-error': { key: null, phrase: /json-syntax-error\.json:21:7: expected JSON \(comments and trailing commas allowed\), found a syntax error/ },
  'root-is-array': { key: '(root)', phrase: /expected an object with keys daemon, connections, jobs, sandbox, found an array of 1/ },
};

/** Further problems a case may report besides its own (none unless listed). */
const ALSO: Record<string, RegExp[]> = {
  // Without a daemon section the package's data/ is searched for the mapping files.
  'unknown-top-level-key': [/^ {2}mappings\/good-(academic|hubs)\.json: cannot read .*\/data\/mappings\/good-(academic|hubs)\.json: no such file$/],
  // A job without a usable name cannot default its type from it either.
  'job-name-invalid': [/^ {2}jobs\.Nightly Roster\.type: expected one of /],
  // The mapping file has three defects; all are listed at once.
  'mapping-file-errors': [/"CHEM2020-Fall2026"\.courses: expected a non-empty list/, /"CHEM2020-Fall2026-01"\.teacher: unknown key/],
  'samegoal-unknown-column': [/column "Student ID" has no PowerSchool source/],
  // Every job naming a connection that no longer exists says so.
  'connections-not-object': [/^ {2}jobs\.[a-z-]+\.params\.[a-zA-Z]+: expected the name of a connection of type .*\(no such connection\)$/, /^ {2}daemon\.notifications\.(email|slack)Connection: /],
};

const transcript = new Transcript();
const results = new Map<string, CliResult>();
let scratch: string;

async function nobodyCopy(name: string, rootOnly: string): Promise<string> {
  const dir = await mkdtemp(join(scratch, `${name}-`));
  await chmod(dir, 0o755);
  await cp(CORPUS, dir, { recursive: true });
  await chmod(join(dir, rootOnly), 0o600);
  return join(dir, `${name}.json`);
}

async function validate(file: string, asNobody: boolean): Promise<CliResult> {
  // `nobody` has no special access: what root could read, it cannot (root ignores file modes).
  const args = ['validate', file];
  if (!asNobody) return sisrelay(args, { env: ENV, transcript });
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, uid: 65534, gid: 65534, env: { PATH: process.env.PATH, ...ENV }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('close', (code, signal) => {
      transcript.add(`validate ${file} (as nobody)`, out + err);
      resolve({ args, code, signal, out, err, ms: 0 });
    });
  });
}

beforeAll(async () => {
  await ensureDist();
  scratch = await mkdtemp(join(tmpdir(), 'sisrelay-broken-configs-'));
  await chmod(scratch, 0o755);
  const names = Object.keys(CASES);
  // A few at a time: each is a node process loading the whole CLI.
  for (let i = 0; i < names.length; i += 4) {
    await Promise.all(
      names.slice(i, i + 4).map(async (name) => {
        const c = CASES[name]!;
        const file = c.rootOnly ? await nobodyCopy(name, c.rootOnly) : join(CORPUS, `${name}.json`);
        results.set(name, await validate(file, c.rootOnly !== undefined));
      }),
    );
  }
}, 240_000);

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('sisrelay validate on the broken-config corpus', () => {
  it('has at least 30 cases, and every file in the corpus is in the table', async () => {
    const files = (await readdir(CORPUS)).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
    expect(files).toEqual(Object.keys(CASES).sort());
    expect(files.length).toBeGreaterThanOrEqual(30);
  });

  it('accepts the control file every case was derived from', async () => {
    const r = await sisrelay(['validate', join(CORPUS, 'control', 'valid.json')], { env: ENV, transcript });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^config OK: .*control\/valid\.json\n {2}6 jobs \(6 scheduled\), 7 connections\n/);
    // The root-only files of the permission cases are fine for root: only the mode differs.
    for (const name of Object.keys(CASES).filter((n) => CASES[n]!.rootOnly)) {
      const asRoot = await sisrelay(['validate', join(CORPUS, `${name}.json`)], { env: ENV, transcript });
      expect(asRoot.code, `${name} read by root`).toBe(0);
    }
  });

  it.each(Object.keys(CASES))('%s: exit 1, naming the key and what is wrong', (name) => {
    const c = CASES[name]!;
    const r = results.get(name)!;
    expect(r.out).toBe('');
    expect(r.code).toBe(1);
    const lines = r.err.trimEnd().split('\n');
    if (c.key === null) {
      expect(lines.some((l) => c.phrase.test(l)), r.err).toBe(true);
      return;
    }
    expect(lines[0]).toMatch(new RegExp(`^sisrelay: invalid config .*${name}\\.json: ${lines.length - 1} problems?$`));
    const own = lines.slice(1).filter((l) => l.startsWith(`  ${c.key}: `));
    expect(own.length, `no line for ${c.key} in:\n${r.err}`).toBeGreaterThan(0);
    expect(own.some((l) => c.phrase.test(l.slice(c.key!.length + 4))), r.err).toBe(true);
    // Nothing else is reported: one defect, one (set of) problem lines.
    const others = lines.slice(1).filter((l) => !l.startsWith(`  ${c.key}: `));
    for (const l of others) expect((ALSO[name] ?? []).some((re) => re.test(l)), `unexpected problem line for ${name}: ${l}`).toBe(true);
  });

  it('never prints a secret, whether it came from the environment or was written into the file', () => {
    const scan = scanForSecrets([...Object.values(ENV), ...FILE_SECRETS], [], transcript.entries);
    expect(scan.textsScanned).toBeGreaterThanOrEqual(2 * Object.keys(CASES).length);
    expect(scan.leaks).toEqual([]);
  });
});
