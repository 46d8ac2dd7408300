import { getTableColumns, type Table } from 'drizzle-orm';

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
