import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// A rename that fails (disk full, EXDEV, a crash right before it) must leave the previous state
// file untouched and no temp file behind.
const renameControl = vi.hoisted(() => ({ fail: false }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...actual,
    rename: async (from: string, to: string) => {
      if (renameControl.fail) throw Object.assign(new Error('simulated'), { code: 'EIO' });
      return actual.rename(from, to);
    },
  };
});

const { SlotStateStore } = await import('../../src/scheduler/slot-state-store.js');

let stateDir: string;
beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'sisrelay-slots-'));
});
afterAll(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

describe('SlotStateStore when the rename fails', () => {
  it('keeps the old file, reports the file, and cleans its temp', async () => {
    const store = new SlotStateStore(stateDir);
    await store.set('nightly', { lastSlot: new Date('2027-03-15T08:00:00Z'), lastFiredAt: null, trigger: 'schedule' });
    const file = join(stateDir, 'scheduler', 'nightly.json');
    const before = await readFile(file, 'utf8');

    renameControl.fail = true;
    await expect(store.set('nightly', { lastSlot: new Date('2027-03-16T08:00:00Z'), lastFiredAt: null, trigger: 'schedule' }))
      .rejects.toThrow(`scheduler state file ${file} could not be written (EIO)`);
    renameControl.fail = false;

    expect(await readFile(file, 'utf8')).toBe(before);
    expect(await readdir(join(stateDir, 'scheduler'))).toEqual(['nightly.json']);
    // The queue is not wedged by the failure.
    await store.set('nightly', { lastSlot: new Date('2027-03-17T08:00:00Z'), lastFiredAt: null, trigger: 'schedule' });
    expect((await store.get('nightly'))?.lastSlot).toBe('2027-03-17T08:00:00.000Z');
  });
});
