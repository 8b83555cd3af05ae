import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDist } from '../acceptance/harness/dist.js';
import { testDirs, waitFor, type TestDirs } from '../daemon/helpers/daemon-harness.js';

/**
 * The built executable, as installed: `node bin/sisrelay.js` loading dist/ (compiled JavaScript,
 * the real job catalog, no TypeScript loader). `npm test` builds dist/ first; a bare `vitest run`
 * rebuilds it here when it is missing or stale.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'sisrelay.js');
let dirs: TestDirs;

beforeAll(async () => {
  // Builds dist/ when it is missing or older than src/, under the lock the acceptance tests use.
  await ensureDist();
  dirs = await testDirs('sisrelay-bin-');
  await writeFile(dirs.configFile, `{
    // A production-shaped config: relative paths resolve against this file.
    daemon: { stateDir: 'state', logDir: 'log', timezone: 'America/Phoenix', shutdownGrace: '2s' },
    connections: {
      ps: { type: 'pglite', dataset: 'powerschool', seed: 1, students: 20 },
      out: { type: 'local', path: 'out', create: true },
    },
    jobs: {
      'littlesis-roster': { schedule: '20 9 * * *', params: { source: 'ps', destination: 'out' } },
    },
  }\n`);
});

afterAll(async () => {
  await dirs.cleanup();
});

function bin(args: string[], env: NodeJS.ProcessEnv = {}): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, ...env }, timeout: 30_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('node bin/sisrelay.js (built)', () => {
  it('validates, lists and computes next runs with the shipped job catalog', () => {
    const valid = bin(['validate', dirs.configFile]);
    expect(valid).toEqual({ code: 0, out: `config OK: ${dirs.configFile}\n  1 job (1 scheduled), 2 connections\n`, err: '' });

    const next = bin(['next', 'littlesis-roster', '-n', '2', '--from', '2027-03-15T00:00:00Z'], { SISRELAY_CONFIG: dirs.configFile });
    expect(next).toEqual({ code: 0, out: '2027-03-15T09:20:00-07:00 2027-03-15T16:20:00Z\n2027-03-16T09:20:00-07:00 2027-03-16T16:20:00Z\n', err: '' });

    const jobs = bin(['jobs', '--config', dirs.configFile]);
    expect(jobs.code).toBe(0);
    expect(jobs.out).toMatch(/^littlesis-roster +littlesis-roster +20 9 \* \* \* +America\/Phoenix +\S+T09:20:00-07:00 \S+T16:20:00Z$/m);

    const unknown = bin(['history', 'nope', '--config', dirs.configFile]);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toBe(`sisrelay: JOB_UNKNOWN: expected the name of a job in ${dirs.configFile} (littlesis-roster), found "nope"\n`);
  });

  it('exits 1 with one line per problem for an invalid config', async () => {
    const bad = join(dirs.root, 'bad.json');
    await writeFile(bad, JSON.stringify({ daemon: { logLevl: 'debug' }, jobs: { 'littlesis-roster': { schedule: 'every day' }, clever: { type: 'clever-demographics', params: { source: 'missing' } } } }));
    const r = bin(['validate', bad]);
    expect(r.code).toBe(1);
    const lines = r.err.trimEnd().split('\n');
    expect(lines[0]).toBe(`sisrelay: invalid config ${bad}: ${lines.length - 1} problems`);
    expect(lines.slice(1).every((l) => /^ {2}\S+: /.test(l))).toBe(true);
    expect(lines).toContain('  daemon.logLevl: unknown key; expected one of: timezone, stateDir, logDir, dataDir, logLevel, shutdownGrace, missedTolerance, maxConcurrentRuns, watchConfig, retention, http, notifications');
    expect(lines).toContain('  jobs.littlesis-roster.schedule: expected 5 fields (minute hour day-of-month month day-of-week), found 2');
    expect(r.err).toMatch(/^ {2}jobs\.clever\.params\.source: expected the name of a connection of type .*, found "missing" \(no such connection\)$/m);
  });

  it('starts the compiled daemon, logs to stdout and sisrelay.log, and stops on SIGTERM with exit 0', async () => {
    const child = spawn(process.execPath, [BIN, 'start', '--config', dirs.configFile], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitFor(() => out.includes(' ready scheduled=1 jobs=1'), 20_000, 'the daemon to be ready');
      expect(readFileSync(join(dirs.root, 'state', 'daemon.pid'), 'utf8').trim()).toBe(String(child.pid));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    expect(out).toMatch(/ info  job=littlesis-roster scheduled schedule="20 9 \* \* \*" zone=America\/Phoenix next=\S+T16:20:00\.000Z\n/);
    expect(out).toMatch(/ info  stopping \(SIGTERM\)/);
    expect(out.trimEnd().endsWith(' info  stopped')).toBe(true);
    expect(readFileSync(join(dirs.root, 'log', 'sisrelay.log'), 'utf8')).toContain(' info  stopped');
    expect(existsSync(join(dirs.root, 'state', 'daemon.pid'))).toBe(false);
  });
});
