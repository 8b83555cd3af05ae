import pLimit from 'p-limit';

/**
 * Run `fn` over `items` with at most `concurrency` at once. After the first failure (or an
 * abort) no new item starts; the ones in flight are awaited, then the first failure is thrown, so
 * no Alma call is still running behind the job's back when it reports the error.
 */
export async function runBounded<T>(items: readonly T[], concurrency: number, signal: AbortSignal, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  const limit = pLimit(Math.max(1, concurrency));
  let failure: { error: unknown } | null = null;
  await Promise.all(
    items.map((item, i) =>
      limit(async () => {
        if (failure !== null) return;
        try {
          signal.throwIfAborted();
          await fn(item, i);
        } catch (error) {
          failure ??= { error };
        }
      }),
    ),
  );
  if (failure !== null) throw (failure as { error: unknown }).error;
}
