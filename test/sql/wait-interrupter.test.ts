import { afterEach, describe, expect, it } from 'vitest';
import { WaitInterrupter } from '../../src/adapters/sql/wait-interrupter.js';

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};

afterEach(() => {
  process.removeListener('unhandledRejection', onUnhandled);
  unhandled.length = 0;
});

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 20));

describe('WaitInterrupter', () => {
  it('passes the awaited result through when nothing interrupts', async () => {
    const waits = new WaitInterrupter();
    await expect(waits.waitFor(Promise.resolve(7))).resolves.toBe(7);
    await expect(waits.waitFor(Promise.reject(new Error('driver')))).rejects.toThrow('driver');
  });

  it('ends the wait in progress with the reason', async () => {
    const waits = new WaitInterrupter();
    const waiting = waits.waitFor(new Promise<never>(() => undefined));
    const reason = new Error('connection ended');
    waits.interrupt(reason);
    await expect(waiting).rejects.toBe(reason);
  });

  it('fails every later wait with the first reason, and a promise that fails afterwards is not left unhandled', async () => {
    process.on('unhandledRejection', onUnhandled);
    const waits = new WaitInterrupter();
    const reason = new Error('connection ended');
    waits.interrupt(reason);
    waits.interrupt(new Error('second'));
    // A read started on the connection that just ended: it fails a moment later.
    let fail!: (e: Error) => void;
    const read = new Promise<never>((_, reject) => {
      fail = reject;
    });
    await expect(waits.waitFor(read)).rejects.toBe(reason);
    fail(new Error('read ECONNRESET'));
    await tick();
    expect(unhandled).toEqual([]);
  });
});
