import { posix } from 'node:path';
import type { EpochFile } from '../../adapters/adapter-types.js';
import { isSisrelayError } from '../../errors/sisrelay-error.js';
import type { FileRecord } from '../../runner/run-record.js';
import type { JobContext } from '../job-types.js';

/**
 * Delivery of finished local files, with the bookkeeping every job needs: a dry run delivers
 * nothing and records a 'dry-run' delivery naming the target it would have used; a failed
 * delivery is recorded as 'failed' (message redacted) before the error goes up, so the run
 * record says what was attempted where.
 */

type DeliveryContext = Pick<JobContext, 'dryRun' | 'connections' | 'report' | 'log' | 'redact'>;

function failureNote(ctx: DeliveryContext, err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const code = isSisrelayError(err) ? `${err.code}: ` : '';
  return ctx.redact(`${code}${text}`).slice(0, 500);
}

/**
 * Opens the destination in the background while the extract runs, so the SSH handshake and
 * login (100–250 ms, more on a WAN) overlap the query instead of following it. Failures are
 * swallowed here: the delivery itself connects again and reports them properly. Nothing is
 * opened in a dry run.
 */
export function connectEarly(ctx: DeliveryContext, connection: string): void {
  if (ctx.dryRun) return;
  void ctx.connections
    .files(connection)
    .then((target) => target.connect())
    .catch(() => undefined);
}

/** Atomic replace of `remotePath` (temp name + rename, done by the FileTarget). */
export async function deliverReplace(ctx: DeliveryContext, connection: string, file: FileRecord, remotePath: string): Promise<void> {
  if (ctx.dryRun) {
    ctx.report.delivery({ connection, target: remotePath, mode: 'replace', status: 'dry-run', bytes: file.bytes, note: 'dry run: nothing delivered' });
    ctx.log.info(`dry run: ${file.name} (${file.bytes} bytes) not delivered to ${connection}:${remotePath}`);
    return;
  }
  try {
    const target = await ctx.connections.files(connection);
    const put = await target.putReplace(file.path, remotePath);
    ctx.report.delivery({ connection, target: put.path, mode: 'replace', status: 'delivered', bytes: put.bytes });
  } catch (err) {
    ctx.report.delivery({ connection, target: remotePath, mode: 'replace', status: 'failed', note: failureNote(ctx, err) });
    throw err;
  }
}

/**
 * A new epoch directory `parentDir/epochName` holding `files`, then the empty `marker` last. The
 * FileTarget removes what it created when anything fails before the marker, so a failed run never
 * leaves a marker (the consumer only processes epochs that have one).
 */
export async function deliverEpoch(
  ctx: DeliveryContext,
  connection: string,
  parentDir: string,
  epochName: string,
  files: ReadonlyArray<{ record: FileRecord; name: string }>,
  marker: string,
): Promise<void> {
  const dir = posix.join(parentDir, epochName);
  const bytes = files.reduce((n, f) => n + f.record.bytes, 0);
  if (ctx.dryRun) {
    ctx.report.delivery({ connection, target: dir, mode: 'epoch', status: 'dry-run', bytes, note: `dry run: ${files.map((f) => f.name).join(', ')} and ${marker} not delivered` });
    ctx.log.info(`dry run: epoch ${dir} not created on ${connection}`);
    return;
  }
  try {
    const target = await ctx.connections.files(connection);
    const epochFiles: EpochFile[] = files.map((f) => ({ localPath: f.record.path, name: f.name }));
    const result = await target.putEpoch(parentDir, epochName, epochFiles, marker);
    ctx.report.delivery({ connection, target: result.dir, mode: 'epoch', status: 'delivered', bytes, note: `${result.files.length} files, then ${marker}` });
  } catch (err) {
    ctx.report.delivery({ connection, target: dir, mode: 'epoch', status: 'failed', note: `no ${marker} written: ${failureNote(ctx, err)}` });
    throw err;
  }
}
