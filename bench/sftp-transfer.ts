/**
 * SFTP upload throughput: SftpTarget.putReplace against OpenSSH's own `sftp` client, same sshd,
 * same 50 MB file, same run. Each upload opens its own connection (the CLI cannot do otherwise),
 * so both figures include the SSH handshake.
 *
 *   npx tsx bench/sftp-transfer.ts
 *
 * Prints the median MB/s of each, their ratio, and BENCH lines. Every upload is verified by
 * SHA-256 against the source before it counts.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SftpTarget } from '../src/adapters/files/sftp-target.js';
import type { JobLogger } from '../src/jobs/job-types.js';
import { Redactor } from '../src/util/redactor.js';
import { startSshd } from '../test/fixtures/sshd.js';

const SIZE = 50 * 1024 * 1024;
const RUNS = 3;
const MB = 1024 * 1024;

const quiet: JobLogger = { debug: () => undefined, info: () => undefined, warn: (m) => console.warn(m), error: (m) => console.error(m) };

async function sha256(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function runSftpCli(args: string[], batch: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('sftp', args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`sftp exited ${code}: ${err.trim()}`))));
    child.stdin.end(batch);
  });
}

async function main(): Promise<void> {
  const fx = await startSshd();
  const remoteDir = path.join(fx.dir, 'remote');
  try {
    await mkdir(remoteDir, { mode: 0o700 });
    const source = path.join(fx.dir, 'bench-50mb.bin');
    await writeFile(source, randomBytes(SIZE));
    const sourceSha = await sha256(source);

    const conn = fx.sftpConnection({ name: 'bench', username: 'root', privateKey: fx.clientKey, password: null });
    const cliArgs = [
      '-b', '-',
      '-o', 'BatchMode=yes',
      '-o', `UserKnownHostsFile=${fx.knownHostsPath}`,
      '-o', 'StrictHostKeyChecking=yes',
      '-i', fx.clientKeyPath,
      '-P', String(fx.port),
      'root@127.0.0.1',
    ];

    const adapterMbps: number[] = [];
    const cliMbps: number[] = [];
    // Interleaved, so drift in machine load hits both methods alike.
    for (let i = 0; i < RUNS; i++) {
      const a = path.join(remoteDir, `adapter-${i}.bin`);
      let t0 = process.hrtime.bigint();
      const target = new SftpTarget(conn, { redactor: new Redactor(), log: quiet });
      await target.putReplace(source, a);
      await target.close();
      let secs = Number(process.hrtime.bigint() - t0) / 1e9;
      if ((await stat(a)).size !== SIZE || (await sha256(a)) !== sourceSha) throw new Error(`adapter upload ${i} differs from the source`);
      adapterMbps.push(SIZE / MB / secs);

      const c = path.join(remoteDir, `cli-${i}.bin`);
      t0 = process.hrtime.bigint();
      await runSftpCli(cliArgs, `put ${source} ${c}\n`);
      secs = Number(process.hrtime.bigint() - t0) / 1e9;
      if ((await stat(c)).size !== SIZE || (await sha256(c)) !== sourceSha) throw new Error(`cli upload ${i} differs from the source`);
      cliMbps.push(SIZE / MB / secs);
      await Promise.all([rm(a), rm(c)]);
    }

    const adapter = median(adapterMbps);
    const cli = median(cliMbps);
    const ratio = adapter / cli;
    const fmt = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(', ');
    console.log(`50 MiB upload over loopback, ${RUNS} runs each, connect included, sha256 verified`);
    console.log(`  SftpTarget.putReplace: ${fmt(adapterMbps)} MB/s (median ${adapter.toFixed(1)})`);
    console.log(`  sftp CLI (batch put):  ${fmt(cliMbps)} MB/s (median ${cli.toFixed(1)})`);
    console.log(`  ratio adapter/cli:     ${ratio.toFixed(2)}`);
    console.log(`BENCH sftp_throughput_ratio ${ratio.toFixed(3)} ratio target >= 0.8`);
    console.log(`BENCH sftp_adapter_mbps ${adapter.toFixed(1)} MB/s target >= 0`);
    console.log(`BENCH sftp_cli_mbps ${cli.toFixed(1)} MB/s target >= 0`);
  } finally {
    await fx.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
