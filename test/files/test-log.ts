import type { JobLogger } from '../../src/jobs/job-types.js';

export interface CapturedLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  meta: Record<string, unknown> | undefined;
}

/** A JobLogger that keeps every line, for assertions on warnings and on secrets in logs. */
export function captureLog(): JobLogger & { lines: CapturedLine[]; text(): string } {
  const lines: CapturedLine[] = [];
  const at = (level: CapturedLine['level']) => (message: string, meta?: Record<string, unknown>) => void lines.push({ level, message, meta });
  return {
    lines,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    text: () => lines.map((l) => `${l.level} ${l.message} ${l.meta === undefined ? '' : JSON.stringify(l.meta)}`).join('\n'),
  };
}

/** Run `fn` and return what it threw (failing the test if it did not throw). */
export async function caught(fn: () => Promise<unknown>): Promise<Error & { code?: string; transient?: boolean }> {
  try {
    await fn();
  } catch (err) {
    return err as Error & { code?: string; transient?: boolean };
  }
  throw new Error('expected the call to throw, it returned');
}
