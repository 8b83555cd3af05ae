/**
 * Table definitions shared by the DDL, the generators and the loader, so the column list of an
 * INSERT can never drift from the CREATE TABLE it targets.
 *
 * Only portable types and unquoted identifiers are used, so the text runs unchanged on PostgreSQL
 * and PGlite. On Oracle use VARCHAR2 for VARCHAR (VARCHAR works but is discouraged) and remember
 * that Oracle stores '' as NULL; on SQL Server TIMESTAMP is rowversion, use DATETIME2 instead
 * (no generated table uses TIMESTAMP today).
 */

export type ColumnType =
  | 'INTEGER'
  | 'BIGINT'
  | 'DATE'
  | 'TIMESTAMP'
  | `NUMERIC(${number},${number})`
  | `VARCHAR(${number})`;

export interface ColumnDef {
  readonly name: string;
  readonly type: ColumnType;
  readonly notNull?: boolean;
}

export interface IndexDef {
  readonly name: string;
  readonly columns: readonly string[];
}

export interface TableDef {
  readonly name: string;
  readonly columns: readonly ColumnDef[];
  readonly primaryKey?: readonly string[];
  readonly indexes?: readonly IndexDef[];
}

export interface ViewDef {
  readonly name: string;
  /** The SELECT the view stands for. */
  readonly select: string;
}

/**
 * A generated cell. DATE values are 'YYYY-MM-DD' strings and TIMESTAMP values
 * 'YYYY-MM-DD HH:MM:SS' strings, so rows compare and serialise the same everywhere.
 */
export type Cell = string | number | null;

export interface GeneratedRow {
  readonly table: string;
  readonly row: Readonly<Record<string, Cell>>;
}

/** A generated database: its schema and a re-iterable row stream (table by table). */
export interface Dataset {
  readonly name: string;
  readonly tables: readonly TableDef[];
  readonly views: readonly ViewDef[];
  /** CREATE TABLE, CREATE VIEW, CREATE INDEX statements in executable order. */
  readonly ddl: readonly string[];
  /** Each call starts a fresh, identical stream. */
  rows(): Iterable<GeneratedRow>;
}

export function createTableSql(table: TableDef): string {
  const lines = table.columns.map((c) => `  ${c.name} ${c.type}${c.notNull ? ' NOT NULL' : ''}`);
  if (table.primaryKey && table.primaryKey.length > 0) {
    lines.push(`  PRIMARY KEY (${table.primaryKey.join(', ')})`);
  }
  return `CREATE TABLE ${table.name} (\n${lines.join(',\n')}\n)`;
}

export function createIndexSql(table: TableDef): string[] {
  return (table.indexes ?? []).map((ix) => `CREATE INDEX ${ix.name} ON ${table.name} (${ix.columns.join(', ')})`);
}

export function createViewSql(view: ViewDef): string {
  return `CREATE VIEW ${view.name} AS ${view.select}`;
}

/** Tables first, then views (they reference tables), then indexes. */
export function renderDdl(tables: readonly TableDef[], views: readonly ViewDef[] = []): string[] {
  return [
    ...tables.map(createTableSql),
    ...views.map(createViewSql),
    ...tables.flatMap(createIndexSql),
  ];
}
