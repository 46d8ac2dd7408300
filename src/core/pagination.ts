import { validationError } from '../core/errors.js';
import { isUuid } from '../core/ids.js';

/** Opaque cursors: base64url of the last item's sort key. Keyset pagination is stable under inserts. */
export function encodeCursor(v: string | number): string {
  return Buffer.from(String(v)).toString('base64url');
}
export function decodeUuidCursor(cursor: string | undefined): string | undefined {
  if (!cursor) return undefined;
  const v = Buffer.from(cursor, 'base64url').toString();
  if (!isUuid(v)) throw validationError('The cursor is not valid', [{ path: 'cursor', message: 'not a cursor this API issued' }]);
  return v;
}
export function decodeNumberCursor(cursor: string | undefined): number | undefined {
  if (!cursor) return undefined;
  const v = Number(Buffer.from(cursor, 'base64url').toString());
  if (!Number.isSafeInteger(v) || v <= 0) throw validationError('The cursor is not valid', [{ path: 'cursor', message: 'not a cursor this API issued' }]);
  return v;
}
/** Rows were fetched with limit + 1: trims and builds the page. */
export function toPage<R, T>(rows: R[], limit: number, map: (r: R) => T, key: (r: R) => string | number) {
  const more = rows.length > limit;
  const items = more ? rows.slice(0, limit) : rows;
  return { items: items.map(map), nextCursor: more && items.length ? encodeCursor(key(items[items.length - 1]!)) : null };
}
