import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import type { NamedConnection, PgliteConnection } from '../../config/config-types.js';
import { SisrelayError } from '../../errors/sisrelay-error.js';
import { siblingModule } from '../../util/module-url.js';
import type { Redactor } from '../../util/redactor.js';
import type { Binds, QueryOptions, SqlRow, SqlSource } from '../adapter-types.js';
import { translateBinds } from './named-binds.js';
import { RowNormalizer } from './normalize-row.js';
import { PG_TEXT_PARSERS } from './pg-type-parsers.js';
import { pgParam } from './postgres-source.js';
import { abortReason, batchesFromRows, collectRows, fetchSizeOf } from './source-support.js';
import { describeConnection, sqlError, toSqlError, type SqlErrorContext } from './sql-errors.js';

/**
 * Embedded PostgreSQL (PGlite, WASM) holding the generated demo dataset.
 *
 * connect() asks the data generator for a snapshot tarball (made once per dataset/seed/size,
 * then reused from the snapshot dir) and opens an in-memory PGlite from it.
 *
 * Streaming: PGlite has no cursor API, so stream() uses SQL cursors — BEGIN READ ONLY;
 * DECLARE ... NO SCROLL CURSOR FOR <query> (binds pass through the extended protocol);
 * FETCH FORWARD <fetchSize> until a short batch; COMMIT, which closes the cursor. JavaScript
 * holds one batch at a time. (The database itself lives in WASM memory: that is the price of the
 * zero-setup demo.)
 *
 * Timeouts: a PGlite statement runs synchronously inside WASM and blocks the event loop, so a
 * per-call timeoutMs cannot interrupt it; the signal is checked between batches.
 */

/** What connect() asks the snapshot maker for (the fields of ensurePgliteSnapshot it uses). */
export interface SnapshotRequest {
  dataset: PgliteConnection['dataset'];
  seed: number;
  students: number;
  dir: string;
  /** powerschool only; absent = the generator's default (the school year containing today). */
  schoolYearStart?: number;
  /** powercampus only; absent = the term containing today. */
  year?: number;
  term?: NonNullable<PgliteConnection['academicTerm']>;
  courses?: number;
}
/** Returns the path of a .tar.gz PGlite data-dir dump. */
export type SnapshotProvider = (req: SnapshotRequest) => Promise<string>;

/** Where snapshots are cached when the connection names no snapshotDir. */
export function defaultSnapshotDir(): string {
  return join(tmpdir(), 'sisrelay-pglite-snapshots');
}

async function generatorSnapshot(req: SnapshotRequest): Promise<string> {
  // Loaded on first use only: the generator is demo-only code.
  const mod = (await import(siblingModule(import.meta.url, '../../datagen/pglite-snapshot').href)) as {
    ensurePgliteSnapshot(r: SnapshotRequest): Promise<string>;
  };
  return mod.ensurePgliteSnapshot(req);
}

let cursorSeq = 0;

export class PgliteSource implements SqlSource {
  readonly kind = 'pglite' as const;
  readonly description: string;
  readonly #conn: NamedConnection<PgliteConnection>;
  readonly #ctx: SqlErrorContext;
  readonly #snapshot: SnapshotProvider;
  #db: PGlite | null = null;
  #connecting: Promise<void> | null = null;

  constructor(conn: NamedConnection<PgliteConnection>, opts: { redactor: Redactor; snapshot?: SnapshotProvider }) {
    this.#conn = conn;
    this.#ctx = {
      facts: { name: conn.name, type: 'pglite', host: 'embedded', port: null, database: `${conn.dataset}-${conn.seed}-${conn.students}`, user: '' },
      redactor: opts.redactor,
      secrets: [],
    };
    this.description = describeConnection(this.#ctx.facts);
    this.#snapshot = opts.snapshot ?? generatorSnapshot;
  }

  get snapshotDir(): string {
    return this.#conn.snapshotDir ?? defaultSnapshotDir();
  }

  async connect(): Promise<void> {
    if (this.#db) return;
    this.#connecting ??= this.#open().finally(() => {
      this.#connecting = null;
    });
    return this.#connecting;
  }

  /** The snapshot this connection needs (exported shape for tests and the demo's docs). */
  snapshotRequest(): SnapshotRequest {
    const c = this.#conn;
    const req: SnapshotRequest = { dataset: c.dataset, seed: c.seed, students: c.students, dir: this.snapshotDir };
    if (c.dataset === 'powerschool') {
      if (c.schoolYearStart !== null && c.schoolYearStart !== undefined) req.schoolYearStart = c.schoolYearStart;
    } else {
      if (c.academicYear !== null && c.academicYear !== undefined) {
        const year = Number(c.academicYear);
        if (!Number.isInteger(year)) {
          throw new SisrelayError('CONFIG_INVALID', `connection "${c.name}": academicYear must be a year such as "2026", got "${c.academicYear}"`);
        }
        req.year = year;
      }
      if (c.academicTerm !== null && c.academicTerm !== undefined) req.term = c.academicTerm;
      if (c.courses !== undefined) req.courses = c.courses;
    }
    return req;
  }

  async #open(): Promise<void> {
    const { dataset } = this.#conn;
    let tarball: Buffer;
    let path = '';
    try {
      path = await this.#snapshot(this.snapshotRequest());
      tarball = await readFile(path);
    } catch (err) {
      throw sqlError('SQL_CONNECT_REFUSED', `the ${dataset} snapshot could not be prepared${path ? ` (${path})` : ''}`, this.#ctx, err);
    }
    try {
      const { PGlite } = await import('@electric-sql/pglite');
      this.#db = await PGlite.create({ loadDataDir: new Blob([tarball]), parsers: { ...PG_TEXT_PARSERS } });
    } catch (err) {
      throw sqlError('SQL_CONNECT_REFUSED', `PGlite could not open the snapshot ${path}`, this.#ctx, err);
    }
  }

  async *stream(sql: string, binds?: Binds, options: QueryOptions = {}): AsyncGenerator<SqlRow> {
    const { signal } = options;
    const q = translateBinds(sql, binds, 'postgres');
    const batch = fetchSizeOf(options.fetchSize);
    signal?.throwIfAborted();
    await this.connect();
    const db = this.#db!;
    const cursor = `sisrelay_cursor_${++cursorSeq}`;
    const normalizer = new RowNormalizer();
    let open = false;
    try {
      await db.exec('BEGIN READ ONLY');
      open = true;
      await db.query(`DECLARE ${cursor} NO SCROLL CURSOR FOR ${q.sql}`, q.values.map(pgParam));
      for (;;) {
        if (signal?.aborted) throw abortReason(signal);
        const res = await db.query<Record<string, unknown>>(`FETCH FORWARD ${batch} FROM ${cursor}`);
        for (const row of res.rows) yield normalizer.normalize(row);
        if (res.rows.length < batch) break;
      }
    } catch (err) {
      if (signal?.aborted) throw abortReason(signal);
      throw toSqlError(err, 'query', this.#ctx);
    } finally {
      // COMMIT of a failed transaction rolls back; either way the cursor goes with it.
      if (open) await db.exec('COMMIT').catch(() => undefined);
    }
  }

  /** stream()'s rows in arrays of at most fetchSize: the driver hands rows over one by one. */
  async *streamBatches(sql: string, binds?: Binds, options: QueryOptions = {}): AsyncGenerator<SqlRow[], void, undefined> {
    yield* batchesFromRows(this.stream(sql, binds, options), fetchSizeOf(options.fetchSize));
  }

  all(sql: string, binds?: Binds, options?: QueryOptions): Promise<SqlRow[]> {
    return collectRows(this.stream(sql, binds, options));
  }

  async close(): Promise<void> {
    const db = this.#db;
    this.#db = null;
    if (db) await db.close();
  }
}
