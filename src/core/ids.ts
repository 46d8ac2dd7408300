import { randomBytes, randomFillSync } from 'node:crypto';

/** CSPRNG bytes drawn 4 KiB at a time (as crypto.randomUUID does internally): one system call per ~400 ids. */
const POOL = Buffer.alloc(4096);
let used = POOL.length;

/**
 * UUIDv7: time-ordered, so keyset pagination by id is stable under inserts (new rows sort last) and
 * B-tree inserts stay local. One id format everywhere.
 */
export function newId(now = Date.now()): string {
  if (used + 10 > POOL.length) {
    randomFillSync(POOL);
    used = 0;
  }
  const b = Buffer.allocUnsafe(16);
  b.writeUIntBE(now, 0, 6);
  POOL.copy(b, 6, used, used + 10);
  used += 10;
  b[6] = (b[6]! & 0x0f) | 0x70;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (v: unknown): v is string => typeof v === 'string' && UUID_RE.test(v);

export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}
