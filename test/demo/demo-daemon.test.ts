import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import JSON5 from 'json5';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, ensureDist } from '../acceptance/harness/dist.js';

/**
 * The README's first command, as a newcomer runs it: the daemon on config/demo.json runs all six
 * jobs at start against the embedded database and sandbox services, `status` and `logs` work from
 * a second process, Ctrl-C stops it cleanly, and `sisrelay run <job> --dry-run` works for every
 * job without the daemon. The demo is copied to a temp directory with free ports, so a demo a
 * developer has running cannot collide with it; everything else is the shipped file.
 */

let dir: string;
let config: string;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function cli(args: string[], timeoutMs = 120_000): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: { PATH: process.env.PATH, TZ: 'UTC' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

beforeAll(async () => {
  ensureDist();
  dir = mkdtempSync(join(tmpdir(), 'sisrelay-demo-'));
  mkdirSync(join(dir, 'config'));
  cpSync(join(ROOT, 'config', 'demo-secrets'), join(dir, 'config', 'demo-secrets'), { recursive: true });
  cpSync(join(ROOT, 'data'), join(dir, 'data'), { recursive: true });
  const demo = JSON5.parse(readFileSync(join(ROOT, 'config', 'demo.json'), 'utf8')) as any;
  const [moodle, alma, smtp, slack, http] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  demo.sandbox.moodle.port = moodle;
  demo.sandbox.alma.port = alma;
  demo.sandbox.smtp.port = smtp;
  demo.sandbox.slack.port = slack;
  demo.daemon.http.port = http;
  demo.connections['demo-moodle'].url = `http://127.0.0.1:${moodle}/`;
  demo.connections['demo-alma'].url = `http://127.0.0.1:${alma}`;
  demo.connections['demo-mail'].port = smtp;
  writeFileSync(join(dir, 'config', 'demo-secrets', 'slack-webhook-url'), `http://127.0.0.1:${slack}/services/DEMO/WEBHOOK/not-secret\n`);
  config = join(dir, 'config', 'demo.json');
  writeFileSync(config, JSON.stringify(demo, null, 2));
}, 180_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the demo (README first command)', () => {
  it('runs all six jobs at start, answers status and logs from a second process, and stops on Ctrl-C', async () => {
    const daemon = spawn(process.execPath, [BIN, 'start', '--config', config], { cwd: dir, env: { PATH: process.env.PATH, TZ: 'UTC' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    daemon.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    daemon.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise<number | null>((resolve) => daemon.on('close', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 170_000;
      while ((out.match(/run finished status=succeeded/g) ?? []).length < 6 && Date.now() < deadline) {
        if (/run finished status=(failed|timed_out)/.test(out)) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      expect(out).not.toMatch(/run finished status=(failed|timed_out)/);
      for (const job of ['littlesis-roster', 'clever-demographics', 'samegoal-demographics', 'moodle-enrollments', 'leganto-courses', 'leganto-rollover-report']) {
        expect(out).toMatch(new RegExp(`job=${job} run=\\S+ run finished status=succeeded`));
      }

      const status = await cli(['status', '--config', config]);
      expect(status.code).toBe(0);
      expect(status.out).toMatch(/^daemon: running \(pid \d+\)/);
      expect((status.out.match(/last run: {5}succeeded/g) ?? []).length).toBe(6);
      const logs = await cli(['logs', 'littlesis-roster', '--config', config]);
      expect(logs.code).toBe(0);
      expect(logs.out).toMatch(/runner finished status=succeeded/);

      const outDir = join(dir, 'demo', 'out');
      expect(readFileSync(join(outDir, 'littlesis', 'littlesis_roster.csv'), 'utf8')).toMatch(/^CC\.COURSE_NUMBER,CC\.SECTION_NUMBER,.*SCHOOLS\.ABBREVIATION\r\n/);
      expect(existsSync(join(outDir, 'clever', 'sftp', 'clever', 'raceethnicity.txt'))).toBe(true);
      const [epoch] = readdirSync(join(outDir, 'samegoal', 'upload'));
      expect(readdirSync(join(outDir, 'samegoal', 'upload', epoch!)).sort()).toEqual(['COMPLETE', 'guardians.csv', 'students.csv']);
      expect(readFileSync(join(outDir, 'conduit', 'webcampus.uws.edu', 'conduit', 'enrollments.csv'), 'utf8')).toMatch(/^action,shortname,idnumber,role\n(add|drop),/);
      expect(readdirSync(join(outDir, 'alma', 'course_loader')).some((f) => /^\d{14}\.txt$/.test(f))).toBe(true);
      expect(readdirSync(join(outDir, 'mail')).some((f) => f.endsWith('.eml'))).toBe(true);
      expect(readdirSync(join(outDir, 'slack')).length).toBeGreaterThan(0);
    } finally {
      daemon.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(out).toMatch(/stopping \(SIGINT\)/);
    expect(out).toMatch(/ stopped\n/);
  }, 240_000);

  it('runs every job with --dry-run and no daemon: files produced, nothing delivered', async () => {
    for (const job of ['littlesis-roster', 'clever-demographics', 'samegoal-demographics', 'moodle-enrollments', 'leganto-courses', 'leganto-rollover-report']) {
      const r = await cli(['run', job, '--dry-run', '--config', config]);
      expect(r.code, `${job}: ${r.out}\n${r.err}`).toBe(0);
      expect(r.out).toMatch(new RegExp(`run \\S+ succeeded`));
      expect(r.out).toMatch(/file: .*\/files\//);
      expect(r.out).not.toMatch(/delivery: delivered/);
    }
  }, 300_000);
});
