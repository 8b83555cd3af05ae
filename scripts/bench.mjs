#!/usr/bin/env node
// `npm run bench [name ...]`: run the benchmark scripts in bench/ one after another (never in
// parallel: they measure throughput and memory on a 2-core machine), echo their output, and end
// with every `BENCH <name> <value> <unit> target <op> <value>` line gathered in one block so runs
// can be compared. A figure that misses its target is marked MISS; the exit code stays 0 unless a
// benchmark itself crashed (targets are measurements, not tests).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const order = ['daemon', 'run-start', 'sftp-transfer', 'sql-stream', 'csv-writer', 'powerschool-jobs', 'moodle-sync', 'leganto'];
const available = readdirSync(join(root, 'bench')).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3));
const wanted = process.argv.slice(2);
const names = (wanted.length ? wanted : [...order.filter((n) => available.includes(n)), ...available.filter((n) => !order.includes(n))]);

const build = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit', cwd: root });
if (build.status !== 0) process.exit(1);

const lines = [];
let crashed = 0;
for (const name of names) {
  if (!available.includes(name)) {
    process.stderr.write(`no benchmark bench/${name}.ts (have: ${available.join(', ')})\n`);
    crashed += 1;
    continue;
  }
  process.stdout.write(`\n=== bench/${name}.ts ===\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'bench', `${name}.ts`)], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, TZ: 'UTC' },
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  process.stdout.write(r.stdout ?? '');
  if (r.status !== 0) {
    crashed += 1;
    lines.push(`BENCH ${name} crashed (exit ${r.status ?? r.signal})`);
  }
  for (const line of (r.stdout ?? '').split('\n')) if (line.startsWith('BENCH ')) lines.push(line);
}

const verdict = (line) => {
  const m = /^BENCH \S+ (-?[\d.]+) \S+ target (<=|>=|<|>|=) (-?[\d.]+)/.exec(line);
  if (!m) return '';
  const [v, op, t] = [Number(m[1]), m[2], Number(m[3])];
  const ok = op === '<' ? v < t : op === '<=' ? v <= t : op === '>' ? v > t : op === '>=' ? v >= t : v === t;
  return ok ? '' : '   <-- MISS';
};
process.stdout.write('\n=== summary ===\n');
for (const line of lines) process.stdout.write(`${line}${verdict(line)}\n`);
process.exit(crashed ? 1 : 0);
