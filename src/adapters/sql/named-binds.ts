import { SisrelayError } from '../../errors/sisrelay-error.js';
import type { BindValue, Binds } from '../adapter-types.js';

/**
 * Job SQL is written once with Oracle-style `:name` binds and runs on every driver. This module
 * rewrites the placeholders for the driver at hand without putting a value into the SQL text (the
 * one exception, PostgreSQL's COPY, which takes no parameters, goes through inlineBinds):
 *
 *   postgres/pglite  `:id` → `$1`            (the same name reuses its number)
 *   mssql            `:id` → `@id`
 *   oracle           `:id` → `:id`
 *
 * An array value expands into one placeholder per element (`IN (:ids)` → `IN ($1, $2, $3)`), so
 * a list filter needs no string-built SQL. Placeholders inside string literals, quoted
 * identifiers and comments are left alone, and so is PostgreSQL's `::type` cast.
 */

export type BindDialect = 'postgres' | 'mssql' | 'oracle';
export type ScalarBind = Exclude<BindValue, readonly unknown[]>;

export interface TranslatedSql {
  sql: string;
  /** postgres: the values for $1..$n in order; empty for the other dialects. */
  values: ScalarBind[];
  /**
   * mssql / oracle: values by bind name (without prefix). An array bind `ids` becomes
   * `ids__0`, `ids__1`, ...; empty for postgres.
   */
  named: Record<string, ScalarBind>;
}

/** Separator between an array bind's name and its element index. */
export const ARRAY_BIND_SEPARATOR = '__';

function bindError(message: string, bind: string): SisrelayError {
  return new SisrelayError('SQL_QUERY_FAILED', message, { details: { bind } });
}

const isIdentStart = (c: string | undefined): boolean => c !== undefined && /[A-Za-z_]/.test(c);
const isIdentChar = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_]/.test(c);

/** Index just past a quoted run that started at `start` (the opening quote), with doubled-quote escapes. */
function skipQuoted(sql: string, start: number, close: string, backslashEscapes = false): number {
  let i = start + 1;
  while (i < sql.length) {
    const c = sql[i];
    if (backslashEscapes && c === '\\') {
      i += 2;
      continue;
    }
    if (c === close) {
      if (sql[i + 1] === close) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i++;
  }
  return sql.length; // unterminated: the database will say so
}

function skipBlockComment(sql: string, start: number, nested: boolean): number {
  let depth = 0;
  let i = start;
  while (i < sql.length) {
    if (sql.startsWith('/*', i)) {
      depth = nested ? depth + 1 : 1;
      i += 2;
    } else if (sql.startsWith('*/', i)) {
      depth--;
      i += 2;
      if (depth <= 0) return i;
    } else {
      i++;
    }
  }
  return sql.length;
}

/**
 * Where a statement's first keyword starts: past whitespace, opening parentheses and comments
 * (nested block comments where the dialect nests them, as skipNonCode reads them).
 */
export function leadingCodeStart(sql: string, dialect: BindDialect): number {
  let i = 0;
  while (i < sql.length) {
    if (/[\s(]/.test(sql[i]!)) {
      i++;
    } else if (sql.startsWith('--', i)) {
      const nl = sql.indexOf('\n', i);
      i = nl === -1 ? sql.length : nl + 1;
    } else if (sql.startsWith('/*', i)) {
      i = skipBlockComment(sql, i, dialect !== 'oracle');
    } else {
      break;
    }
  }
  return i;
}

const ORACLE_Q_CLOSE: Record<string, string> = { '[': ']', '{': '}', '(': ')', '<': '>' };

/**
 * End of the literal/comment/quoted identifier starting at `i`, or -1 when `i` does not start one.
 * Dialect differences that matter: PostgreSQL E'..' backslash escapes and $tag$ quoting, Oracle
 * q'[..]' quoting, SQL Server [bracketed] identifiers, and nested block comments (not in Oracle).
 */
function skipNonCode(sql: string, i: number, dialect: BindDialect): number {
  const c = sql[i];
  const prev = i > 0 ? sql[i - 1] : undefined;
  if (c === "'") {
    const escapePrefix = prev === 'E' || prev === 'e';
    const standalonePrefix = escapePrefix && !isIdentChar(i > 1 ? sql[i - 2] : undefined);
    return skipQuoted(sql, i, "'", dialect === 'postgres' && standalonePrefix);
  }
  if (c === '"') return skipQuoted(sql, i, '"');
  if (c === '[' && dialect === 'mssql') return skipQuoted(sql, i, ']');
  if (c === '-' && sql[i + 1] === '-') {
    const nl = sql.indexOf('\n', i);
    return nl === -1 ? sql.length : nl;
  }
  if (c === '/' && sql[i + 1] === '*') return skipBlockComment(sql, i, dialect !== 'oracle');
  if (dialect === 'oracle' && (c === 'q' || c === 'Q') && sql[i + 1] === "'" && !isIdentChar(prev)) {
    const open = sql[i + 2];
    if (open === undefined) return sql.length;
    const close = ORACLE_Q_CLOSE[open] ?? open;
    const end = sql.indexOf(`${close}'`, i + 3);
    return end === -1 ? sql.length : end + 2;
  }
  if (dialect === 'postgres' && c === '$' && !isIdentChar(prev)) {
    const m = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i, i + 64));
    if (m) {
      const tag = m[0];
      const end = sql.indexOf(tag, i + tag.length);
      return end === -1 ? sql.length : end + tag.length;
    }
  }
  return -1;
}

function placeholder(dialect: BindDialect, name: string): string {
  return dialect === 'mssql' ? `@${name}` : `:${name}`;
}

/**
 * Calls `replace` for each `:name` placeholder outside literals, quoted identifiers and comments,
 * and returns the statement with each replaced by what it returned.
 */
function rewritePlaceholders(sql: string, dialect: BindDialect, replace: (name: string) => string): string {
  let out = '';
  let i = 0;
  let copyFrom = 0;
  while (i < sql.length) {
    const skipTo = skipNonCode(sql, i, dialect);
    if (skipTo !== -1) {
      i = skipTo;
      continue;
    }
    if (sql[i] === ':') {
      if (sql[i + 1] === ':') {
        i += 2; // PostgreSQL cast `::type`
        continue;
      }
      if (isIdentStart(sql[i + 1])) {
        let j = i + 2;
        while (isIdentChar(sql[j])) j++;
        const name = sql.slice(i + 1, j);
        out += sql.slice(copyFrom, i) + replace(name);
        i = j;
        copyFrom = j;
        continue;
      }
    }
    i++;
  }
  return out + sql.slice(copyFrom);
}

/** The value given for `name`, or the error for a placeholder without one. */
function valueOf(given: Binds, name: string): BindValue {
  if (!Object.hasOwn(given, name) || given[name] === undefined) {
    throw bindError(`SQL bind :${name} is used in the statement but no value was given for it`, name);
  }
  return given[name] as BindValue;
}

/** Every bind given must be used: a misspelt placeholder would otherwise leave a filter unset. */
function checkAllUsed(given: Binds, used: ReadonlySet<string>): void {
  for (const name of Object.keys(given)) {
    if (given[name] !== undefined && !used.has(name)) {
      throw bindError(`SQL bind "${name}" was given but the statement has no :${name} placeholder`, name);
    }
  }
}

export function translateBinds(sql: string, binds: Binds | undefined, dialect: BindDialect): TranslatedSql {
  const given = binds ?? {};
  const used = new Set<string>();
  const values: ScalarBind[] = [];
  const named: Record<string, ScalarBind> = {};
  const pgNumbers = new Map<string, string>(); // name → "$1" or "$1, $2, $3"

  const replacementFor = (name: string): string => {
    const value = valueOf(given, name);
    used.add(name);
    if (dialect === 'postgres') {
      const known = pgNumbers.get(name);
      if (known !== undefined) return known;
      let text: string;
      if (Array.isArray(value)) {
        checkArray(name, value);
        text = value.map((v: string | number) => `$${values.push(v)}`).join(', ');
      } else {
        text = `$${values.push(value as ScalarBind)}`;
      }
      pgNumbers.set(name, text);
      return text;
    }
    if (Array.isArray(value)) {
      checkArray(name, value);
      return value
        .map((v: string | number, k: number) => {
          const key = `${name}${ARRAY_BIND_SEPARATOR}${k}`;
          if (Object.hasOwn(given, key)) {
            throw bindError(`SQL bind :${name} expands to :${key}, which is also given as a bind of its own; rename one`, key);
          }
          named[key] = v;
          return placeholder(dialect, key);
        })
        .join(', ');
    }
    named[name] = value as ScalarBind;
    return placeholder(dialect, name);
  };

  const out = rewritePlaceholders(sql, dialect, replacementFor);
  checkAllUsed(given, used);
  return { sql: out, values, named };
}

/**
 * The statement with every placeholder replaced by a literal that `literal` renders, for the one
 * statement that cannot take parameters: PostgreSQL's COPY (see postgres-copy.ts). The rules for
 * missing, unused and list binds are translateBinds'.
 */
export function inlineBinds(sql: string, binds: Binds | undefined, dialect: BindDialect, literal: (value: ScalarBind, name: string) => string): string {
  const given = binds ?? {};
  const used = new Set<string>();
  const out = rewritePlaceholders(sql, dialect, (name) => {
    const value = valueOf(given, name);
    used.add(name);
    if (Array.isArray(value)) {
      checkArray(name, value);
      return value.map((v: string | number) => literal(v, name)).join(', ');
    }
    return literal(value as ScalarBind, name);
  });
  checkAllUsed(given, used);
  return out;
}

function checkArray(name: string, value: readonly unknown[]): void {
  if (value.length === 0) {
    throw bindError(
      `SQL bind :${name} is an empty list; "IN ()" is not valid SQL, so skip the query or give at least one value`,
      name,
    );
  }
  for (const v of value) {
    if (typeof v !== 'string' && typeof v !== 'number') {
      throw bindError(`SQL bind :${name} is a list holding a ${v === null ? 'null' : typeof v}; lists may hold strings and numbers only`, name);
    }
  }
}
