import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FromChild } from '../../src/runner/protocol.js';
import type { RunRecord } from '../../src/runner/run-record.js';
import { RunStore } from '../../src/runner/run-store.js';
import { executeRun, type ExecuteRunOptions } from '../../src/runner/spawn-run.js';
import { newRecord, pgConnection, pidGone, specFor, tempDirs, waitFor } from './helpers/run-fixtures.js';

let dirs: Awaited<ReturnType<typeof tempDirs>>;
let store: RunStore;

beforeAll(async () => {
  dirs = await tempDirs();
  store = new RunStore(dirs.stateDir, dirs.logDir);
});
afterAll(async () => {
  await dirs.cleanup();
});

async function run(
  fixture: string,
  params: Record<string, unknown> = {},
  opts: Partial<ExecuteRunOptions> = {},
  specOver: Parameters<typeof specFor>[2] = {},
): Promise<{ final: RunRecord; log: string; ms: number; messages: FromChild[] }> {
  const record = await newRecord(store, fixture, fixture);
  const messages: FromChild[] = [];
  const t0 = Date.now();
  const final = await executeRun(specFor(record, fixture, { params, ...specOver }), record, {
    store,
    timeoutMs: 30_000,
    killGraceMs: 1000,
    maxMemoryMb: 256,
    onMessage: (m) => messages.push(structuredClone(m)),
    ...opts,
  });
  const ms = Date.now() - t0;
  return { final, log: await readFile(final.logFile, 'utf8'), ms, messages };
}

const mode = async (p: string): Promise<number> => (await stat(p)).mode & 0o777;

describe('executeRun: outcomes', () => {
  it('records a successful run with counts, files, notes, exit code and a persisted final record', async () => {
    const { final, log } = await run('succeeds', { rows: 4 });
    expect(final.status).toBe('succeeded');
    expect(final.error).toBeNull();
    expect(final.exit).toEqual({ code: 0, signal: null });
    expect(final.counts).toEqual({ rows_read: 4, rows_written: 4 });
    expect(final.notes).toEqual(['starting', 'wrote 4 rows']);
    expect(final.files).toHaveLength(1);
    expect(final.files[0]).toMatchObject({ name: 'out.csv', rows: 4, bytes: 4 * 'student-0\r\n'.length });
    expect(await mode(final.files[0]!.path)).toBe(0o600);
    expect(final.pid).toBeGreaterThan(0);
    expect(final.durationMs).toBeGreaterThan(0);
    expect(log).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info  runner started .*pid=\d+ attempt=1/m);
    expect(log).toMatch(/Z info  wrote file file=out\.csv rows=4 attempt=1$/m);
    expect(log).toMatch(/runner finished status=succeeded .*duration=/);
    const onDisk = JSON.parse(await readFile(join(final.runDir, 'record.json'), 'utf8')) as RunRecord;
    expect(onDisk).toEqual(final);
    const result = JSON.parse(await readFile(join(final.runDir, 'result.json'), 'utf8'));
    expect(result).toMatchObject({ runId: final.runId, outcome: 'succeeded', error: null });
    for (const f of ['record.json', 'run.log', 'result.json']) expect(await mode(join(final.runDir, f))).toBe(0o600);
    expect(await mode(final.runDir)).toBe(0o700);
    expect(await mode(join(final.runDir, 'files'))).toBe(0o700);
  });

  it('records a permanent job error with its code and keeps the stack in the log only', async () => {
    const { final, log } = await run('throws-permanent');
    expect(final.status).toBe('failed');
    expect(final.error).toEqual({
      code: 'DATA_INVALID',
      message: 'students.csv row 7: expected a grade level 0-12, found "13"',
      transient: false,
    });
    expect(final.exit).toEqual({ code: 1, signal: null });
    expect(log).toContain('job failed code=DATA_INVALID transient=false');
    expect(log).toContain('throws-permanent.ts');
    expect(JSON.stringify(final)).not.toContain('throws-permanent.ts:');
  });

  it('keeps the transient flag of a transient job error', async () => {
    const counterFile = join(dirs.root, 'counter-direct');
    const { final } = await run('transient-once', { counterFile });
    expect(final.status).toBe('failed');
    expect(final.error).toMatchObject({ code: 'SQL_CONNECT_REFUSED', transient: true });
  });

  it('classifies a non-zero exit without a result as RUN_EXITED and keeps the process output', async () => {
    const { final, log } = await run('exits-nonzero', { code: 3 });
    expect(final.status).toBe('failed');
    expect(final.error).toMatchObject({ code: 'RUN_EXITED', transient: false });
    expect(final.error?.message).toContain('exited with code 3');
    expect(final.exit).toEqual({ code: 3, signal: null });
    expect(log).toContain('exits-nonzero: bye');
  });

  it.each(['SIGKILL', 'SIGSEGV'] as const)('classifies death by %s as RUN_CRASHED naming the signal', async (signal) => {
    const { final } = await run('dies-by-signal', { signal });
    expect(final.status).toBe('failed');
    expect(final.error).toMatchObject({ code: 'RUN_CRASHED', transient: false });
    expect(final.error?.message).toContain(signal);
    expect(final.exit).toEqual({ code: null, signal });
  });

  it('keeps a reported success when the process is killed after reporting it, and says so', async () => {
    const { final, messages } = await run('dies-after-reporting');
    expect(messages.at(-1)).toEqual({ type: 'done' });
    expect(final.exit).toEqual({ code: null, signal: 'SIGKILL' });
    expect(final.status).toBe('succeeded');
    expect(final.error).toBeNull();
    expect(final.counts).toEqual({ rows_written: 2 });
    expect(final.notes).toEqual(['work complete', 'the run process was killed by SIGKILL after it reported its outcome']);
  });

  it('classifies V8 heap exhaustion as RUN_OUT_OF_MEMORY', async () => {
    const { final, log } = await run('exceeds-memory', {}, { maxMemoryMb: 64 });
    expect(final.status).toBe('failed');
    expect(final.error).toMatchObject({ code: 'RUN_OUT_OF_MEMORY', transient: false });
    expect(final.error?.message).toContain('64 MB');
    expect(final.exit?.code).not.toBe(0);
    expect(log).toMatch(/heap/i);
  });
});

describe('executeRun: timeout and cancel', () => {
  it('times out a cooperative job: cancel message, the job stops itself, status timed_out', async () => {
    // The timeout leaves time for the child to load (tsx) before SIGTERM: a run still loading dies by the signal.
    const { final, log, ms } = await run('hangs-cooperative', { stopDelayMs: 100 }, { timeoutMs: 4000, killGraceMs: 3000 });
    expect(final.status).toBe('timed_out');
    expect(final.error).toMatchObject({ code: 'RUN_TIMED_OUT', transient: false });
    expect(log).toContain('abort seen, stopping');
    // It left on its own before the SIGKILL.
    expect(final.exit?.signal).toBeNull();
    expect(ms).toBeLessThan(4000 + 3000);
  });

  it('times out a job that ignores SIGTERM: SIGKILL after the grace, within timeout + grace', async () => {
    const { final, log, ms } = await run('hangs-ignoring', {}, { timeoutMs: 3000, killGraceMs: 700 });
    expect(final.status).toBe('timed_out');
    expect(final.error?.code).toBe('RUN_TIMED_OUT');
    expect(final.exit).toEqual({ code: null, signal: 'SIGKILL' });
    expect(log).toContain('SIGTERM ignored');
    expect(log).toContain('runner grace period over, killing process group');
    expect(ms).toBeGreaterThanOrEqual(3000 + 700);
    expect(ms).toBeLessThan(3000 + 700 + 3000);
  });

  it('cancels through cancelSignal with the same escalation and records cancelled', async () => {
    const ac = new AbortController();
    const record = await newRecord(store, 'cancelme');
    const p = executeRun(specFor(record, 'hangs-ignoring'), record, {
      store,
      timeoutMs: 30_000,
      killGraceMs: 500,
      maxMemoryMb: 128,
      cancelSignal: ac.signal,
      onMessage: (m) => {
        if (m.type === 'note') ac.abort('shutdown');
      },
    });
    const final = await p;
    expect(final.status).toBe('cancelled');
    expect(final.error).toMatchObject({ code: 'RUN_CANCELLED', transient: false });
    expect(final.error?.message).toContain('shutdown');
    expect(final.exit?.signal).toBe('SIGKILL');
  });
});

describe('executeRun: isolation', () => {
  it('keeps the parent event loop on time while the child blocks its own', async () => {
    const lateness: number[] = [];
    let timer: NodeJS.Timeout | undefined;
    const { final } = await run('busy-loop', { ms: 3000 }, {
      onMessage: (m) => {
        if (m.type !== 'note' || timer) return;
        let expected = Date.now() + 50;
        timer = setInterval(() => {
          const now = Date.now();
          lateness.push(now - expected);
          expected = now + 50;
        }, 50);
      },
    });
    clearInterval(timer);
    expect(final.status).toBe('succeeded');
    expect(final.counts.spins).toBeGreaterThan(0);
    // About 60 ticks expected over the 3 s busy period; most must have happened.
    expect(lateness.length).toBeGreaterThan(30);
    expect(Math.max(...lateness)).toBeLessThan(500);
  });

  it('gives the child only allow-listed environment variables, no secrets in argv, cwd = run dir', async () => {
    process.env.MDL_TOKEN = 'tok-should-not-leak';
    process.env.LC_TESTVAR = 'kept';
    try {
      const { final } = await run('reports-env', {}, { env: { SISRELAY_EXTRA: '1' } });
      const env = final.notes.find((n) => n.startsWith('env:'))!.slice(4).split(',');
      expect(env).toContain('PATH');
      expect(env).toContain('LC_TESTVAR');
      expect(env).toContain('SISRELAY_EXTRA');
      expect(env).not.toContain('MDL_TOKEN');
      expect(env).not.toContain('NODE_OPTIONS');
      const argv = final.notes.find((n) => n.startsWith('argv:'))!;
      expect(argv).toContain('child-entry');
      expect(argv).toContain(final.runId);
      expect(final.notes.find((n) => n.startsWith('execArgv:'))).toContain('--max-old-space-size=256');
      expect(final.notes).toContain(`cwd:${final.runDir}`);
    } finally {
      delete process.env.MDL_TOKEN;
      delete process.env.LC_TESTVAR;
    }
  });

  it('kills helper processes the job left behind in its process group', async () => {
    const { final } = await run('spawns-helper');
    expect(final.status).toBe('succeeded');
    const helperPid = Number(final.notes.find((n) => n.startsWith('helper:'))!.slice('helper:'.length));
    expect(helperPid).toBeGreaterThan(0);
    expect(await waitFor(() => pidGone(helperPid), 3000)).toBe(true);
  });

  it('coalesces progress writes but always persists the final values', async () => {
    let progressWrites = 0;
    const { final } = await run('reports-many', { n: 3000 }, { onProgress: () => progressWrites++ });
    expect(final.status).toBe('succeeded');
    expect(final.counts.progress).toBe(3000);
    const onDisk = JSON.parse(await readFile(join(final.runDir, 'record.json'), 'utf8')) as RunRecord;
    expect(onDisk.counts.progress).toBe(3000);
    expect(progressWrites).toBeLessThan(100);
  });
});

describe('executeRun: secrets', () => {
  it('redacts a connection password from run.log, record.json, result.json and every message', async () => {
    const secret = 'S3cr3t-pa55 word!';
    const { final, log, messages } = await run('leaks-secret', {}, {}, {
      connections: { db: pgConnection(secret) },
      secrets: [secret],
    });
    expect(final.status).toBe('failed');
    expect(final.error?.code).toBe('INTERNAL_ERROR');
    expect(final.error?.message).toContain('password authentication failed for user "relay" (password "[REDACTED]")');
    const record = await readFile(join(final.runDir, 'record.json'), 'utf8');
    const result = await readFile(join(final.runDir, 'result.json'), 'utf8');
    const sent = JSON.stringify(messages);
    expect(messages.map((m) => m.type)).toEqual(['ready', 'note', 'items', 'count', 'failed']);
    for (const text of [log, record, result, sent]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(encodeURIComponent(secret));
      expect(text).not.toContain(Buffer.from(secret).toString('base64'));
      expect(text).toContain('[REDACTED]');
    }
    // Each leak path reached the log, redacted.
    expect(log).toContain('connecting with password=[REDACTED]');
    expect(log).toContain('driver debug: auth [REDACTED]');
    expect(log).toContain('raw write [REDACTED]');
    expect(existsSync(join(final.runDir, 'result.json'))).toBe(true);
  });
});
