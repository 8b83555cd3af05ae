/**
 * A per-row check for loops over a streamed extract: throws the signal's reason, looking at the
 * signal every 1024 calls. A cancelled or timed-out run then stops between rows instead of after
 * the whole extract, without paying for a signal read on every row.
 */
export function cancelCheck(signal: AbortSignal): () => void {
  let n = 0;
  return () => {
    if ((++n & 1023) === 0) signal.throwIfAborted();
  };
}
