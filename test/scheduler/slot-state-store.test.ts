import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SlotStateStore } from '../../src/scheduler/slot-state-store.js';

let stateDir: string;

beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'sisrelay-slots-'));
});

afterEach(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

describe('SlotStateStore', () => {
  it('returns null for a job never recorded, then what was set', async () => {
    const store = new SlotStateStore(stateDir);
    expect(await store.get('nightly')).toBeNull();
    await store.set('nightly', { lastSlot: new Date('2027-03-16T08:00:00Z'), lastFiredAt: new Date('2027-03-16T08:00:00.120Z'), trigger: 'schedule' });
    expect(await new SlotStateStore(stateDir).get('nightly')).toEqual({
      job: 'nightly', lastSlot: '2027-03-16T08:00:00.000Z', lastFiredAt: '2027-03-16T08:00:00.120Z', trigger: 'schedule',
    });
  });

  it('creates <stateDir>/scheduler 0700 and the file 0600', async () => {
    const store = new SlotStateStore(stateDir);
    await store.set('moodle-sync', { lastSlot: null, lastFiredAt: null, trigger: null });
    expect((await stat(join(stateDir, 'scheduler'))).mode & 0o777).toBe(0o700);
    expect((await stat(join(stateDir, 'scheduler', 'moodle-sync.json'))).mode & 0o777).toBe(0o600);
    expect(await readdir(join(stateDir, 'scheduler'))).toEqual(['moodle-sync.json']);
  });

  it('applies concurrent writes for one job in call order', async () => {
    const store = new SlotStateStore(stateDir);
    const writes = [1, 2, 3, 4, 5].map((i) =>
      store.set('nightly', { lastSlot: new Date(Date.UTC(2027, 0, i)), lastFiredAt: null, trigger: 'schedule' }));
    await Promise.all(writes);
    expect((await store.get('nightly'))?.lastSlot).toBe('2027-01-05T00:00:00.000Z');
  });

  it('keeps the old file when a write dies before its rename, and removes the leftover temp', async () => {
    const store = new SlotStateStore(stateDir);
    await store.set('nightly', { lastSlot: new Date('2027-03-15T08:00:00Z'), lastFiredAt: null, trigger: 'schedule' });
    // What a writer killed between write and rename leaves behind: a half-written temp file.
    await writeFile(join(stateDir, 'scheduler', '.nightly.json.4242.deadbeef.tmp'), '{"job":"nightly","lastSlot":"2027-03-16T0');
    expect((await store.get('nightly'))?.lastSlot).toBe('2027-03-15T08:00:00.000Z');
    expect(await store.removeStaleTemps()).toBe(1);
    expect(await readdir(join(stateDir, 'scheduler'))).toEqual(['nightly.json']);
  });

  it('reports a corrupt file by name instead of resetting it', async () => {
    const store = new SlotStateStore(stateDir);
    await store.set('nightly', { lastSlot: null, lastFiredAt: null, trigger: null });
    const file = join(stateDir, 'scheduler', 'nightly.json');
    await writeFile(file, '{"job":"nightly","lastSl');
    await expect(store.get('nightly')).rejects.toMatchObject({
      code: 'INTERNAL_ERROR',
      message: expect.stringContaining(`scheduler state file ${file} is corrupt`),
    });
    await writeFile(file, JSON.stringify({ job: 'nightly', lastSlot: 'yesterday', lastFiredAt: null, trigger: 'schedule' }));
    await expect(store.get('nightly')).rejects.toThrow(/found lastSlot "yesterday"/);
    await writeFile(file, JSON.stringify({ job: 'other', lastSlot: null, lastFiredAt: null, trigger: null }));
    await expect(store.get('nightly')).rejects.toThrow(/found job "other"/);
    await writeFile(file, '');
    await expect(store.get('nightly')).rejects.toThrow(/found an empty file/);
  });

  it('refuses job names that could escape the directory', async () => {
    const store = new SlotStateStore(stateDir);
    await expect(store.set('../etc', { lastSlot: null, lastFiredAt: null, trigger: null })).rejects.toThrow(/expected a job name/);
    expect(() => store.pathFor('a/b')).toThrow(/expected a job name/);
  });

  it('never leaves a torn file when the writer is SIGKILLed at an arbitrary moment', async () => {
    const fixture = join(import.meta.dirname, 'fixtures', 'slot-writer.ts');
    for (const killAfter of [3, 17, 40]) {
      const child = spawn(process.execPath, ['--import', 'tsx', fixture, stateDir], { stdio: ['ignore', 'pipe', 'pipe'] });
      let acknowledged = 0;
      let lastAck = 0;
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
      await new Promise<void>((resolve, reject) => {
        let buffer = '';
        child.stdout.on('data', (d: Buffer) => {
          buffer += d.toString();
          const lines = buffer.split('\n');
          buffer = lines.pop()!;
          for (const line of lines) {
            acknowledged++;
            lastAck = Number(line);
            // Kill mid-stream: the writer is already inside a later write.
            if (acknowledged === killAfter) child.kill('SIGKILL');
          }
        });
        child.on('exit', () => (acknowledged >= killAfter ? resolve() : reject(new Error(`writer exited early: ${stderr}`))));
      });
      expect(await exited).toBe('SIGKILL');
      const state = await new SlotStateStore(stateDir).get('nightly');
      expect(state).not.toBeNull();
      // Every acknowledged write is durable (later ones may have landed before the kill arrived).
      expect(Date.parse(state!.lastSlot!)).toBeGreaterThanOrEqual(lastAck);
      expect(state!.lastFiredAt).toBe(new Date(Date.parse(state!.lastSlot!) + 1000).toISOString());
      await new SlotStateStore(stateDir).removeStaleTemps();
      expect(await readdir(join(stateDir, 'scheduler'))).toEqual(['nightly.json']);
    }
  });
});
