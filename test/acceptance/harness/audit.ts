import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { killedAfterReportingNote, type RunRecord } from '../../../src/runner/run-record.js';

/**
 * What the acceptance tests check after every fault, from the outside: the run records on disk
 * and the bytes at every destination.
 *
 * - A run is every directory `<stateDir>/runs/<job>/<runId>/`; one without a readable record.json,
 *   or still `running` when no process is left to finish it, is a *missing record*.
 * - A *partial file* is a file under a final name at a destination whose size and sha256 match
 *   no complete file any run recorded (its `files[]`, or the local copy in its files/ directory).
 * - A *temp leftover* is a `.<name>.<12 hex>.part` name; allowed only while a transfer runs, so
 *   each one found after the runs ended is reported (not a failure by itself).
 * - A *duplicate delivery* is one run (or one retry chain: a run and its retries serve the same
 *   slot) delivering the same no-overwrite file or epoch twice, or delivering two epochs.
 */

export interface RunFacts {
  runId: string;
  job: string;
  dir: string;
  record: RunRecord | null;
  /** Local copies in files/: name, size, sha256. */
  local: Array<{ name: string; bytes: number; sha256: string }>;
}

export function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

export function readRuns(stateDir: string): RunFacts[] {
  const out: RunFacts[] = [];
  const runsDir = join(stateDir, 'runs');
  if (!existsSync(runsDir)) return out;
  for (const job of readdirSync(runsDir)) {
    const jobDir = join(runsDir, job);
    if (!lstatSync(jobDir).isDirectory()) continue;
    for (const runId of readdirSync(jobDir)) {
      const dir = join(jobDir, runId);
      if (!lstatSync(dir).isDirectory()) continue;
      let record: RunRecord | null = null;
      try {
        record = JSON.parse(readFileSync(join(dir, 'record.json'), 'utf8')) as RunRecord;
      } catch {
        record = null;
      }
      const local: RunFacts['local'] = [];
      const filesDir = join(dir, 'files');
      if (existsSync(filesDir)) {
        for (const name of readdirSync(filesDir)) {
          const p = join(filesDir, name);
          if (!statSync(p).isFile()) continue;
          const buf = readFileSync(p);
          local.push({ name, bytes: buf.length, sha256: sha256(buf) });
        }
      }
      out.push({ runId, job, dir, record, local });
    }
  }
  return out;
}

export interface RecordProblems {
  /** Run directories without a readable record, or records still `running`. */
  missing: string[];
  /** Records whose status contradicts what the run did. */
  untruthful: string[];
}

/** Basic truthfulness of every record; callers add fault-specific expectations. */
export function checkRecords(runs: readonly RunFacts[]): RecordProblems {
  const missing: string[] = [];
  const untruthful: string[] = [];
  for (const r of runs) {
    const rec = r.record;
    if (!rec) {
      missing.push(`${r.job}/${r.runId}: no readable record.json`);
      continue;
    }
    if (rec.status === 'running') {
      missing.push(`${r.job}/${r.runId}: still "running" after every process ended`);
      continue;
    }
    if (rec.runId !== r.runId || rec.job !== r.job) untruthful.push(`${r.job}/${r.runId}: record names ${rec.job}/${rec.runId}`);
    if (rec.finishedAt === null && rec.status !== 'skipped') untruthful.push(`${r.job}/${r.runId}: ${rec.status} without finishedAt`);
    // A process killed after it reported its outcome keeps that outcome, and its record says so
    // (spawn-run.ts); a success recorded for a process killed before then would be a lie.
    const killedAfterReporting = rec.exit?.signal != null && rec.notes.includes(killedAfterReportingNote(rec.exit.signal));
    if (rec.status === 'succeeded') {
      if (rec.error !== null) untruthful.push(`${r.job}/${r.runId}: succeeded with error ${rec.error.code}`);
      if (rec.deliveries.some((d) => d.status === 'failed')) untruthful.push(`${r.job}/${r.runId}: succeeded with a failed delivery`);
      if (rec.exit && rec.exit.signal !== null && !killedAfterReporting) untruthful.push(`${r.job}/${r.runId}: succeeded but the process died from ${rec.exit.signal}`);
    } else if (rec.status !== 'skipped') {
      if (rec.error === null || !/^[A-Z_]+$/.test(rec.error.code)) untruthful.push(`${r.job}/${r.runId}: ${rec.status} without an error code`);
    }
    if (rec.exit?.signal === 'SIGKILL' && rec.status === 'succeeded' && !killedAfterReporting) {
      untruthful.push(`${r.job}/${r.runId}: killed by SIGKILL yet recorded succeeded`);
    }
  }
  return { missing, untruthful };
}

export interface Destination {
  label: string;
  /** Host path of the directory a vendor reads. */
  root: string;
  /** Paths (relative to root) that are inputs, not deliveries (the CEM export). */
  ignore?: (rel: string) => boolean;
  /** Marker file names (empty files written last in epoch mode). */
  markers?: string[];
  /**
   * Which jobs deliver time-stamped names (epoch directories, loader files) into which directory
   * (relative to root): `{ 'course_loader': ['leganto-courses'] }`. Unlisted directories: any job.
   */
  owners?: Readonly<Record<string, readonly string[]>>;
}

export interface DestinationReport {
  finalsChecked: number;
  partialFinals: string[];
  tempLeftovers: string[];
  duplicateDeliveries: string[];
  completeEpochs: number;
  incompleteEpochs: string[];
  /** Complete epochs and time-stamped files that no run's start time names (UTC jobs). */
  unattributed: string[];
}

const TEMP_RE = /^\.(.+)\.[0-9a-f]{12}\.part$/;

function walk(dir: string, out: string[]): void {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = lstatSync(p);
    if (st.isDirectory()) walk(p, out);
    else out.push(p);
  }
}

export function scanDestinations(destinations: readonly Destination[], runs: readonly RunFacts[]): DestinationReport {
  const known = new Map<string, number>();
  for (const r of runs) {
    for (const f of r.record?.files ?? []) known.set(f.sha256, f.bytes);
    for (const f of r.local) known.set(f.sha256, f.bytes);
  }
  const report: DestinationReport = { finalsChecked: 0, partialFinals: [], tempLeftovers: [], duplicateDeliveries: [], completeEpochs: 0, incompleteEpochs: [], unattributed: [] };
  // Time-stamped deliveries (epoch directories, Alma loader files) are named after the run's
  // start: a second one owned by the same retry chain is the same slot delivered twice.
  const byId = new Map<string, RunRecord>();
  for (const r of runs) if (r.record) byId.set(r.runId, r.record);
  const owners = new Map<string, Set<string>>();
  for (const r of runs) {
    const rec = r.record;
    if (!rec) continue;
    for (const at of [rec.createdAt, rec.startedAt]) {
      if (!at) continue;
      const key = `${rec.job}|${at.slice(0, 19).replace(/[-:T]/g, '')}`;
      const set = owners.get(key) ?? new Set<string>();
      set.add(`${rec.job}:${chainRoot(byId, rec)}`);
      owners.set(key, set);
    }
  }
  const stampedPerChain = new Map<string, string[]>();
  const attribute = (label: string, stamp: string, jobs: readonly string[] | undefined): void => {
    // Names carry seconds only: two jobs starting in the same second share a stamp, so only the
    // jobs that deliver into this directory can own it.
    const chains = new Set<string>();
    for (const j of jobs ?? [...new Set(runs.map((r) => r.job))]) for (const c of owners.get(`${j}|${stamp}`) ?? []) chains.add(c);
    if (chains.size === 0) report.unattributed.push(label);
    for (const c of chains) {
      const list = stampedPerChain.get(c) ?? [];
      list.push(label);
      stampedPerChain.set(c, list);
    }
  };
  for (const d of destinations) {
    const markers = new Set(d.markers ?? ['COMPLETE']);
    const files: string[] = [];
    walk(d.root, files);
    const epochDirs = new Set<string>();
    for (const p of files) {
      const rel = relative(d.root, p);
      if (d.ignore?.(rel)) continue;
      const name = basename(p);
      if (TEMP_RE.test(name)) {
        report.tempLeftovers.push(`${d.label}:${rel}`);
        continue;
      }
      if (/^\d{8}-\d{6}$/.test(basename(join(p, '..')))) epochDirs.add(join(p, '..'));
      const buf = readFileSync(p);
      report.finalsChecked++;
      if (markers.has(name)) {
        if (buf.length !== 0) report.partialFinals.push(`${d.label}:${rel} (marker with ${buf.length} bytes)`);
        continue;
      }
      if (known.get(sha256(buf)) !== buf.length) report.partialFinals.push(`${d.label}:${rel} (${buf.length} bytes, content no run recorded)`);
      const stamped = /^(\d{14})\.txt$/.exec(name);
      if (stamped) attribute(`${d.label}:${rel}`, stamped[1]!, d.owners?.[dirname(rel)]);
    }
    for (const dir of epochDirs) {
      const names = readdirSync(dir);
      if (names.some((n) => markers.has(n))) {
        report.completeEpochs++;
        attribute(`${d.label}:${relative(d.root, dir)}`, basename(dir).replace('-', ''), d.owners?.[relative(d.root, dirname(dir)) || '.']);
        if (names.some((n) => TEMP_RE.test(n))) report.partialFinals.push(`${d.label}:${relative(d.root, dir)} (complete epoch holding a temporary file)`);
      } else {
        report.incompleteEpochs.push(`${d.label}:${relative(d.root, dir)}`);
      }
    }
  }
  for (const [chain, labels] of stampedPerChain) {
    if (labels.length > 1) report.duplicateDeliveries.push(`retry chain ${chain} has ${labels.length} time-stamped deliveries: ${labels.join(', ')}`);
  }
  report.duplicateDeliveries.push(...duplicateDeliveries(runs));
  return report;
}

/** The first attempt of each retry chain (a retry serves the same slot as the run it retries). */
function chainRoot(byId: Map<string, RunRecord>, rec: RunRecord): string {
  let cur = rec;
  for (let i = 0; i < 20 && cur.retryOf; i++) {
    const prev = byId.get(cur.retryOf);
    if (!prev) return cur.retryOf;
    cur = prev;
  }
  return cur.runId;
}

export function duplicateDeliveries(runs: readonly RunFacts[]): string[] {
  const out: string[] = [];
  const byId = new Map<string, RunRecord>();
  for (const r of runs) if (r.record) byId.set(r.runId, r.record);
  const claims = new Map<string, string[]>();
  for (const r of runs) {
    const rec = r.record;
    if (!rec) continue;
    const delivered = rec.deliveries.filter((d) => d.status === 'delivered');
    const seen = new Set<string>();
    for (const d of delivered) {
      const key = `${d.connection}:${d.target}`;
      if (seen.has(key)) out.push(`${rec.job}/${rec.runId} delivered ${key} twice`);
      seen.add(key);
      if (d.mode === 'no-overwrite' || d.mode === 'epoch') {
        const list = claims.get(key) ?? [];
        list.push(rec.runId);
        claims.set(key, list);
      }
    }
    if (delivered.filter((d) => d.mode === 'epoch').length > 1) out.push(`${rec.job}/${rec.runId} delivered more than one epoch`);
  }
  for (const [key, ids] of claims) if (ids.length > 1) out.push(`${key} delivered by ${ids.join(', ')} (no-overwrite/epoch target delivered twice)`);
  // One delivery per retry chain: a retry must not deliver again what its failed attempt delivered.
  const perChain = new Map<string, Set<string>>();
  for (const r of runs) {
    const rec = r.record;
    if (!rec) continue;
    for (const d of rec.deliveries) {
      if (d.status !== 'delivered' || (d.mode !== 'epoch' && d.mode !== 'no-overwrite' && d.mode !== 'email')) continue;
      const chain = `${rec.job}:${chainRoot(byId, rec)}:${d.connection}:${d.mode}`;
      const set = perChain.get(chain) ?? new Set<string>();
      set.add(rec.runId);
      perChain.set(chain, set);
    }
  }
  for (const [chain, ids] of perChain) if (ids.size > 1) out.push(`retry chain ${chain} delivered ${ids.size} times (${[...ids].join(', ')})`);
  return out;
}
