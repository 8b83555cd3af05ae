#!/usr/bin/env node
// `npm test`: the whole suite on a bare machine.
// 1. Checks the system programs the fixtures need (OpenSSH server, PostgreSQL, systemd-analyze,
//    the sftp/psql clients). As root it installs what is missing with apt-get; otherwise it stops
//    at once and names exactly what is missing.
// 2. Builds dist/ (the black-box tests run the built `sisrelay` executable).
// 3. Runs vitest; the fixtures (sshd, PostgreSQL, SMTP, TDS, Moodle/Alma sandboxes) are started
//    by the test files on loopback and killed by pid. Ends with a plain "N passed, N failed" line.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

function pgBinDir() {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return null;
  const versions = readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions.length ? join(base, versions[0], 'bin') : null;
}

function onPath(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

const requirements = [
  { what: 'OpenSSH server (/usr/sbin/sshd)', ok: () => existsSync('/usr/sbin/sshd'), pkg: 'openssh-server' },
  { what: 'OpenSSH clients (sftp, ssh-keygen)', ok: () => onPath('sftp') && onPath('ssh-keygen'), pkg: 'openssh-client' },
  { what: 'PostgreSQL server (initdb, pg_ctl under /usr/lib/postgresql/*/bin)', ok: () => pgBinDir() !== null, pkg: 'postgresql' },
  { what: 'PostgreSQL client (psql)', ok: () => onPath('psql'), pkg: 'postgresql-client' },
  { what: 'systemd-analyze (offline unit check)', ok: () => onPath('systemd-analyze'), pkg: 'systemd' },
];

let missing = requirements.filter((r) => !r.ok());
if (missing.length > 0) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    process.stderr.write('npm test needs these system programs, which are missing:\n');
    for (const m of missing) process.stderr.write(`  - ${m.what}: Debian package ${m.pkg}\n`);
    process.stderr.write(`Install them as root (apt-get install -y ${[...new Set(missing.map((m) => m.pkg))].join(' ')}) or run npm test as root.\n`);
    process.exit(2);
  }
  const pkgs = [...new Set(missing.map((m) => m.pkg))];
  process.stdout.write(`installing ${pkgs.join(' ')} with apt-get\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  if (r.status === 0) r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], { stdio: 'inherit', env });
  if (r.status !== 0) {
    process.stderr.write(`apt-get failed (exit ${r.status}); could not install ${pkgs.join(' ')}\n`);
    process.exit(2);
  }
  missing = requirements.filter((r) => !r.ok());
  if (missing.length > 0) {
    process.stderr.write(`still missing after apt-get: ${missing.map((m) => m.what).join(', ')}\n`);
    process.exit(2);
  }
}

const build = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit', cwd: root });
if (build.status !== 0) {
  process.stderr.write('build failed: dist/ could not be compiled\n');
  process.exit(1);
}

const outDir = join(root, '.ci');
mkdirSync(outDir, { recursive: true });
const jsonFile = join(outDir, 'vitest.json');
const args = [join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${jsonFile}`, ...process.argv.slice(2)];
const run = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: root, env: { ...process.env, TZ: process.env.TZ ?? 'UTC' } });

let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const report = JSON.parse(readFileSync(jsonFile, 'utf8'));
  passed = report.numPassedTests ?? 0;
  failed = (report.numFailedTests ?? 0) + (report.numFailedTestSuites ?? 0);
  skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
} catch {
  failed += 1;
}
process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exit(run.status === 0 && failed === 0 ? 0 : 1);
