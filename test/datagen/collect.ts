import type { Cell, GeneratedRow } from '../../src/datagen/table-def.js';

export type Row = Readonly<Record<string, Cell>>;

/** Rows grouped by table (small datasets only). */
export function byTable(rows: Iterable<GeneratedRow>): Map<string, Row[]> {
  const out = new Map<string, Row[]>();
  for (const r of rows) {
    const list = out.get(r.table);
    if (list) list.push(r.row);
    else out.set(r.table, [r.row]);
  }
  return out;
}

export function rowsOf(tables: Map<string, Row[]>, table: string): Row[] {
  const rows = tables.get(table);
  if (!rows) throw new Error(`no rows for table ${table}`);
  return rows;
}

export function countBy<T>(items: Iterable<T>, key: (item: T) => string): Map<string, number> {
  const out = new Map<string, number>();
  for (const item of items) out.set(key(item), (out.get(key(item)) ?? 0) + 1);
  return out;
}
