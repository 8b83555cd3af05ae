/**
 * Load a generated dataset into PostgreSQL or PGlite: schema, then rows, in one transaction.
 *
 * `loadDataset` needs only an `exec(sql, params)` function, so it serves a pg.Client
 * (`(s, p) => client.query(s, p)`) and PGlite (`(s, p) => db.query(s, p)`) alike; rows go in as
 * multi-row parameterised INSERTs (pg `$n` placeholders). `loadDatasetWithCopy` is the fast path
 * for a pg.Client: one `COPY … FROM STDIN` per table. Either way rows stream from the generator,
 * so memory does not grow with the dataset.
 */
import type { Client } from 'pg';
import { SisrelayError } from '../errors/sisrelay-error.js';
import { copyFrom, copyTextValue } from './pg-copy.js';
import type { Cell, Dataset, GeneratedRow, TableDef } from './table-def.js';

export type SqlExec = (sql: string, params: unknown[]) => Promise<unknown>;

export interface LoadOptions {
  /** Rows per INSERT statement; capped so a statement stays under PostgreSQL's 65,535 parameters. Default 1000. */
  batchRows?: number;
  /** Load into this PostgreSQL schema: created if missing, and `search_path` set for the transaction only. */
  schema?: string;
  /** DROP the dataset's views and tables first (IF EXISTS). Default false. */
  dropExisting?: boolean;
  /** Run the DDL (default true); false loads rows into tables that already exist. */
  createTables?: boolean;
  /**
   * 'values' (default): `INSERT … VALUES ($1, …), (…)`, portable to any PostgreSQL-protocol exec.
   * 'unnest': `INSERT … SELECT * FROM unnest($1::type[], …)`, one array parameter per column —
   * PostgreSQL/PGlite only, several times fewer bytes to parse for wide batches.
   */
  method?: 'values' | 'unnest';
  /** Called after each table is loaded. */
  onTable?: (table: string, rows: number) => void;
}

export interface LoadStats {
  /** Rows loaded per table. */
  tables: Record<string, number>;
  rows: number;
  /** INSERT or COPY statements sent for rows. */
  statements: number;
  ms: number;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_PARAMS = 65_535;

function checkIdentifier(name: string, what: string): string {
  if (!IDENTIFIER.test(name)) throw new SisrelayError('CONFIG_INVALID', `${what} '${name}' is not a plain SQL identifier`);
  return name;
}

function preludeStatements(dataset: Dataset, options: LoadOptions): string[] {
  const out: string[] = [];
  if (options.schema !== undefined) {
    const schema = checkIdentifier(options.schema, 'schema');
    out.push(`CREATE SCHEMA IF NOT EXISTS ${schema}`, `SET LOCAL search_path TO ${schema}`);
  }
  if (options.dropExisting) {
    for (const v of dataset.views) out.push(`DROP VIEW IF EXISTS ${v.name}`);
    for (const t of [...dataset.tables].reverse()) out.push(`DROP TABLE IF EXISTS ${t.name}`);
  }
  if (options.createTables !== false) out.push(...dataset.ddl);
  return out;
}

function tableDef(dataset: Dataset, name: string): TableDef {
  const t = dataset.tables.find((x) => x.name === name);
  if (!t) throw new SisrelayError('DATA_INVALID', `generated row for table '${name}', which the dataset '${dataset.name}' does not define`);
  return t;
}

function checkColumns(table: TableDef, row: GeneratedRow['row']): void {
  const known = new Set(table.columns.map((c) => c.name));
  const unknown = Object.keys(row).filter((k) => !known.has(k));
  if (unknown.length > 0) {
    throw new SisrelayError('DATA_INVALID', `generated row for ${table.name} has columns the table lacks: ${unknown.join(', ')}`);
  }
}

/**
 * Group the row stream into per-table runs; each table must come as one contiguous run (the
 * generators guarantee it), because a table seen twice would be loaded in two pieces silently.
 */
function* tableRuns(dataset: Dataset): Generator<{ table: TableDef; rows: Generator<GeneratedRow['row']> }> {
  const it = dataset.rows()[Symbol.iterator]();
  let next = it.next();
  const done = new Set<string>();
  while (!next.done) {
    const name = next.value.table;
    if (done.has(name)) throw new SisrelayError('DATA_INVALID', `rows of table '${name}' are not contiguous in dataset '${dataset.name}'`);
    done.add(name);
    const table = tableDef(dataset, name);
    checkColumns(table, next.value.row);
    let exhausted = false;
    const rows = (function* () {
      while (!next.done && next.value.table === name) {
        yield next.value.row;
        next = it.next();
      }
      exhausted = true;
    })();
    yield { table, rows };
    // The consumer may stop early on error; drain so the next run starts at the right row.
    if (!exhausted) for (const _ of rows) void _;
  }
}

async function inTransaction<T>(exec: SqlExec, body: () => Promise<T>): Promise<T> {
  await exec('BEGIN', []);
  try {
    const result = await body();
    await exec('COMMIT', []);
    return result;
  } catch (err) {
    await exec('ROLLBACK', []).catch(() => undefined);
    throw err;
  }
}

function loadError(dataset: Dataset, table: string, loaded: number, cause: unknown): SisrelayError {
  if (cause instanceof SisrelayError) return cause;
  // Only the SQLSTATE goes into the message and details; the driver text stays in `cause`.
  const sqlState = typeof cause === 'object' && cause !== null && typeof (cause as { code?: unknown }).code === 'string'
    ? (cause as { code: string }).code
    : undefined;
  return new SisrelayError(
    'SQL_QUERY_FAILED',
    `loading dataset '${dataset.name}' failed in table '${table}' after ${loaded} rows${sqlState ? ` (SQLSTATE ${sqlState})` : ''}`,
    { cause, details: { dataset: dataset.name, table, loaded, ...(sqlState ? { sqlState } : {}) } },
  );
}

type RowRun = Iterable<GeneratedRow['row']>;

/**
 * The part both loaders share: one transaction, the schema, then each table's run of rows handed
 * to `loadTable` (which returns how many rows it loaded), with the per-table bookkeeping.
 */
async function loadTables(
  exec: SqlExec,
  dataset: Dataset,
  options: LoadOptions,
  loadTable: (table: TableDef, rows: RowRun, stats: LoadStats) => Promise<number>,
): Promise<LoadStats> {
  const started = Date.now();
  const stats: LoadStats = { tables: {}, rows: 0, statements: 0, ms: 0 };
  await inTransaction(exec, async () => {
    let step = '(schema)';
    try {
      for (const sql of preludeStatements(dataset, options)) await exec(sql, []);
      for (const { table, rows } of tableRuns(dataset)) {
        step = table.name;
        const count = await loadTable(table, rows, stats);
        stats.tables[table.name] = count;
        stats.rows += count;
        options.onTable?.(table.name, count);
      }
    } catch (err) {
      throw loadError(dataset, step, stats.rows, err);
    }
  });
  stats.ms = Date.now() - started;
  return stats;
}

/** Create the schema and insert every row with multi-row INSERTs, in one transaction. */
export async function loadDataset(exec: SqlExec, dataset: Dataset, options: LoadOptions = {}): Promise<LoadStats> {
  return loadTables(exec, dataset, options, (table, rows, stats) =>
    options.method === 'unnest'
      ? insertUnnest(exec, table, rows, options.batchRows ?? 5000, stats)
      : insertValues(exec, table, rows, options.batchRows ?? 1000, stats));
}

async function insertValues(exec: SqlExec, table: TableDef, rows: RowRun, batchRows: number, stats: LoadStats): Promise<number> {
  const cols = table.columns.map((c) => c.name);
  const perBatch = Math.max(1, Math.min(batchRows, Math.floor(MAX_PARAMS / cols.length)));
  const head = `INSERT INTO ${table.name} (${cols.join(', ')}) VALUES `;
  const tuple = (offset: number) => `(${cols.map((_, j) => `$${offset + j + 1}`).join(', ')})`;
  const sqlFor = (n: number) => head + Array.from({ length: n }, (_, r) => tuple(r * cols.length)).join(', ');
  const fullSql = sqlFor(perBatch);
  let params: Cell[] = [];
  let count = 0;
  let inBatch = 0;
  const flush = async () => {
    if (inBatch === 0) return;
    await exec(inBatch === perBatch ? fullSql : sqlFor(inBatch), params);
    stats.statements++;
    params = [];
    inBatch = 0;
  };
  for (const row of rows) {
    for (const c of cols) params.push(row[c] ?? null);
    inBatch++;
    count++;
    if (inBatch === perBatch) await flush();
  }
  await flush();
  return count;
}

function arrayType(type: string): string {
  if (type.startsWith('VARCHAR')) return 'text[]';
  if (type.startsWith('NUMERIC')) return 'numeric[]';
  return `${type.toLowerCase()}[]`;
}

async function insertUnnest(exec: SqlExec, table: TableDef, rows: RowRun, batchRows: number, stats: LoadStats): Promise<number> {
  const cols = table.columns;
  const sql = `INSERT INTO ${table.name} (${cols.map((c) => c.name).join(', ')}) SELECT * FROM unnest(${cols
    .map((c, j) => `$${j + 1}::${arrayType(c.type)}`)
    .join(', ')})`;
  let arrays: Cell[][] = cols.map(() => []);
  let inBatch = 0;
  let count = 0;
  const flush = async () => {
    if (inBatch === 0) return;
    await exec(sql, arrays);
    stats.statements++;
    arrays = cols.map(() => []);
    inBatch = 0;
  };
  for (const row of rows) {
    for (let j = 0; j < cols.length; j++) (arrays[j] as Cell[]).push(row[(cols[j] as { name: string }).name] ?? null);
    inBatch++;
    count++;
    if (inBatch >= batchRows) await flush();
  }
  await flush();
  return count;
}

/** The pg.Client fast path: the same schema, then one `COPY … FROM STDIN` per table. */
export async function loadDatasetWithCopy(client: Client, dataset: Dataset, options: LoadOptions = {}): Promise<LoadStats> {
  return loadTables((sql, params) => client.query(sql, params), dataset, options, async (table, rows, stats) => {
    const cols = table.columns.map((c) => c.name);
    let count = 0;
    const chunks = function* (): Generator<Buffer> {
      let lines: string[] = [];
      let size = 0;
      for (const row of rows) {
        const line = cols.map((c) => copyTextValue(row[c] ?? null)).join('\t');
        lines.push(line);
        size += line.length;
        count++;
        if (size > 256 * 1024) {
          yield Buffer.from(lines.join('\n') + '\n', 'utf8');
          lines = [];
          size = 0;
        }
      }
      if (lines.length > 0) yield Buffer.from(lines.join('\n') + '\n', 'utf8');
    };
    await copyFrom(client, `COPY ${table.name} (${cols.join(', ')}) FROM STDIN`, chunks());
    stats.statements++;
    return count;
  });
}
