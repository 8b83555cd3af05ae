import { lstat, readdir, readFile, readlink, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/runner/atomic-write.js';
import { formatLogLine } from '../../src/runner/log-line.js';
import { isRunId, newRunId, runIdTime } from '../../src/runner/run-id.js';
import type { RunRecord } from '../../src/runner/run-record.js';
import { RunStore, type StoreProblem } from '../../src/runner/run-store.js';
import { tempDirs } from './helpers/run-fixtures.js';

let dirs: Awaited<ReturnType<typeof tempDirs>>;
let store: RunStore;
const problems: StoreProblem[] = [];

beforeAll(async () => {
  dirs = await tempDirs();
  store = new RunStore(dirs.stateDir, dirs.logDir, { onProblem: (p) => problems.push(p) });
});
afterAll(async () => {
  await dirs.cleanup();
});

const mode = async (p: string): Promise<number> => (await stat(p)).mode & 0o777;

describe('run ids', () => {
  it('encode the UTC instant, sort by time as strings and are filesystem-safe', () => {
    const id = newRunId(new Date('2026-11-22T13:24:00.123Z'));
    expect(id).toMatch(/^20261122T132400123Z-[0-9a-f]{6}$/);
    expect(isRunId(id)).toBe(true);
    expect(runIdTime(id)?.toISOString()).toBe('2026-11-22T13:24:00.123Z');
    const times = ['2026-03-08T09:59:59.999Z', '2026-03-08T10:00:00.000Z', '2027-01-01T00:00:00.001Z', '2026-12-31T23:59:59.999Z'];
    const ids = times.map((t) => newRunId(new Date(t)));
    expect([...ids].sort().map((i) => runIdTime(i)!.toISOString())).toEqual([...times].sort());
    expect(newRunId(new Date(0))).not.toBe(newRunId(new Date(0)));
    expect(isRunId('../etc')).toBe(false);
    expect(runIdTime('not-an-id')).toBeNull();
  });
});

describe('writeFileAtomic', () => {
  it('writes with the requested mode and leaves no temp file behind', async () => {
    const p = join(dirs.root, 'atomic.json');
    await writeFileAtomic(p, 'one');
    await writeFileAtomic(p, 'two', 0o640);
    expect(await readFile(p, 'utf8')).toBe('two');
    expect(await mode(p)).toBe(0o640);
    expect((await readdir(dirs.root)).filter((n) => n.includes('atomic'))).toEqual(['atomic.json']);
  });
});

describe('formatLogLine', () => {
  it('renders time, padded level, message and key=value pairs, quoting where needed', () => {
    const line = formatLogLine(new Date('2026-11-22T13:24:00.123Z'), 'info', 'wrote file', {
      file: 'out.csv',
      note: 'two words',
      rows: 4,
      ok: true,
      skip: undefined,
      nested: { a: 1 },
    });
    expect(line).toBe('2026-11-22T13:24:00.123Z info  wrote file file=out.csv note="two words" rows=4 ok=true nested={"a":1}\n');
  });
});

describe('RunStore', () => {
  it('create() makes a 0700 run dir with 0600 log and record, a 0700 files dir, and a running record', async () => {
    const r = await store.create({ job: 'nightly', type: 'littlesis', trigger: 'schedule', slot: new Date('2026-11-22T03:00:00Z'), now: new Date('2026-11-22T03:00:00.250Z') });
    expect(r).toMatchObject({
      version: 1,
      job: 'nightly',
      type: 'littlesis',
      status: 'running',
      slot: '2026-11-22T03:00:00.000Z',
      attempt: 1,
      retryOf: null,
      createdAt: '2026-11-22T03:00:00.250Z',
      finishedAt: null,
      error: null,
    });
    expect(r.runId.startsWith('20261122T030000250Z-')).toBe(true);
    expect(r.runDir).toBe(join(dirs.stateDir, 'runs', 'nightly', r.runId));
    expect(await mode(r.runDir)).toBe(0o700);
    expect(await mode(join(r.runDir, 'files'))).toBe(0o700);
    expect(await mode(r.logFile)).toBe(0o600);
    expect(await mode(join(r.runDir, 'record.json'))).toBe(0o600);
    expect(await store.read('nightly', r.runId)).toEqual(r);
  });

  it('points <job>.log at the newest run; a skipped record does not move it', async () => {
    const a = await store.create({ job: 'linked', type: 't', trigger: 'manual', slot: null });
    const b = await store.create({ job: 'linked', type: 't', trigger: 'manual', slot: null });
    const link = join(dirs.logDir, 'linked.log');
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readlink(link)).toBe(b.logFile);
    expect(await readlink(link)).not.toBe(a.logFile);
    const s = await store.create({ job: 'linked', type: 't', trigger: 'manual', slot: null, status: 'skipped', notes: ['skipped: x'] });
    expect(s).toMatchObject({ status: 'skipped', finishedAt: s.createdAt, durationMs: 0, notes: ['skipped: x'] });
    expect(await readlink(link)).toBe(b.logFile);
    expect((await readdir(dirs.logDir)).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('applies concurrent writes of one record in call order', async () => {
    const r = await store.create({ job: 'ordered', type: 't', trigger: 'manual', slot: null });
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.write({ ...r, counts: { n: i } })));
    expect((await store.read('ordered', r.runId))?.counts).toEqual({ n: 19 });
  });

  it('lists newest first with a limit, skipping and reporting torn or missing records', async () => {
    const made: RunRecord[] = [];
    for (let i = 0; i < 4; i++) {
      made.push(await store.create({ job: 'listed', type: 't', trigger: 'manual', slot: null, now: new Date(Date.UTC(2026, 10, 22, 1, i)) }));
    }
    await writeFile(join(made[1]!.runDir, 'record.json'), '{"version":1,"runId":');
    const before = problems.length;
    const all = await store.list('listed');
    expect(all.map((r) => r.runId)).toEqual([made[3]!, made[2]!, made[0]!].map((r) => r.runId));
    expect(problems.slice(before)).toEqual([{ path: join(made[1]!.runDir, 'record.json'), problem: expect.stringContaining('not valid JSON') }]);
    expect((await store.list('listed', { limit: 2 })).map((r) => r.runId)).toEqual([made[3]!.runId, made[2]!.runId]);
    expect(await store.jobs()).toEqual(expect.arrayContaining(['listed', 'nightly', 'linked']));
    expect(await store.list('never-ran')).toEqual([]);
  });

  it('latestSuccess() returns the newest succeeded, non-dry run', async () => {
    const mk = async (minute: number, status: RunRecord['status'], dryRun = false): Promise<RunRecord> => {
      const r = await store.create({ job: 'succ', type: 't', trigger: 'manual', slot: null, dryRun, now: new Date(Date.UTC(2026, 10, 22, 2, minute)) });
      const done = { ...r, status, finishedAt: r.createdAt };
      await store.write(done);
      return done;
    };
    expect(await store.latestSuccess('succ')).toBeNull();
    const ok = await mk(0, 'succeeded');
    await mk(1, 'failed');
    await mk(2, 'succeeded', true);
    expect((await store.latestSuccess('succ'))?.runId).toBe(ok.runId);
  });

  it('rejects job names that would escape the runs directory', async () => {
    await expect(store.create({ job: '../evil', type: 't', trigger: 'manual', slot: null })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    expect(() => store.runDir('a/b', newRunId())).toThrow(/cannot be used as a directory name/);
  });
});
