import { getTableColumns, getTableName, type Table } from 'drizzle-orm';
import type { Statement } from './db.js';

/**
 * The column types whose driver value is already what Drizzle's row mapper would answer, on node-postgres and PGlite
 * alike (a `date` in string mode is cast to text, or the driver would answer a Date).
 */
const SAFE = new Set(['PgUUID', 'PgText', 'PgVarchar', 'PgInteger', 'PgSmallInt', 'PgBoolean', 'PgJsonb', 'PgTimestamp', 'PgDateString']);

/**
 * A table's select list for a statement written as SQL (`queryMany`): every column aliased to its property name, so a
 * row comes back in the shape of `typeof table.$inferSelect`. Built once, when a repository module loads; a column
 * type the driver would answer differently from Drizzle fails then, not at run time.
 */
export function selectList(table: Table, opts: { alias?: string; except?: string[] } = {}): string {
  const { alias, except = [] } = opts;
  const prefix = alias ? `${alias}.` : '';
  return Object.entries(getTableColumns(table))
    .filter(([key]) => !except.includes(key))
    .map(([key, col]) => {
      if (!SAFE.has(col.columnType)) throw new Error(`selectList: ${col.name} is a ${col.columnType}; map it by hand`);
      return `${prefix}"${col.name}"${col.columnType === 'PgDateString' ? '::text' : ''} as "${key}"`;
    })
    .join(', ');
}

/**
 * A timestamptz as the API writes it (`Date.prototype.toISOString()`: UTC, milliseconds, `Z`), formatted by PostgreSQL,
 * so that a hot list needs neither a Date per value nor a DTO mapping. Truncates to the millisecond exactly as the
 * driver's Date does (tests/integration/sql-statements.test.ts compares the two).
 */
export const isoText = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

const returning = new WeakMap<Table, string>();
const insertTexts = new Map<string, string>();

/**
 * `insert … returning` every column (aliased as `selectList` does) for a statement written as SQL: the columns are the
 * keys of `values` that are not undefined (the database's defaults fill the rest, as with Drizzle: the models have no
 * JavaScript-side defaults). jsonb values are sent as JSON text. The text is built once per table and set of columns.
 */
export function insertStatement(table: Table, values: Record<string, unknown>): Statement {
  const columns = getTableColumns(table);
  const keys = Object.keys(values).filter((k) => values[k] !== undefined);
  const name = getTableName(table);
  const cacheKey = `${name}:${keys.join(',')}`;
  let text = insertTexts.get(cacheKey);
  if (!text) {
    let list = returning.get(table);
    if (!list) returning.set(table, (list = selectList(table)));
    const names = keys.map((k) => {
      const col = columns[k];
      if (!col) throw new Error(`insertStatement: ${name} has no column ${k}`);
      return `"${col.name}"`;
    });
    const params = keys.map((k, i) => `$${i + 1}${columns[k]!.columnType === 'PgJsonb' ? '::jsonb' : ''}`);
    text = `insert into "${name}" (${names.join(', ')}) values (${params.join(', ')}) returning ${list}`;
    insertTexts.set(cacheKey, text);
  }
  const params = keys.map((k) => (columns[k]!.columnType === 'PgJsonb' && values[k] !== null ? JSON.stringify(values[k]) : values[k]));
  return { text, values: params };
}
