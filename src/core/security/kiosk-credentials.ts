import { createHash, createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { isUuid } from '../ids.js';

/**
 * The two kiosk credentials (CONTRACT §5 "Kiosk"): an adult's 6-digit PIN and a kiosk's device token.
 *
 * PINs: 10^6 values cannot be protected by a plain hash (anyone reading the table tries them all in a second), so the
 * stored value is an HMAC under a per-deployment key derived from SESSION_SECRET with its own label. The same key gives
 * the same hash for the same PIN, which is what lets a unique index keep PINs unique per centre and a kiosk find the
 * adult by PIN alone. Rotating SESSION_SECRET therefore invalidates every PIN (issue new ones).
 */
export class PinHasher {
  private readonly key: Buffer;
  constructor(secret: string) {
    this.key = createHmac('sha256', secret).update('daycare/guardian-pin/v1').digest();
  }
  /** Six digits from the CSPRNG, leading zeros kept. */
  generate(): string {
    return String(randomInt(0, 1_000_000)).padStart(6, '0');
  }
  hash(pin: string): string {
    return createHmac('sha256', this.key).update(pin).digest('base64url');
  }
}

export const isPin = (s: string) => /^\d{6}$/.test(s);

/**
 * A kiosk token: `dck1_` + base64url(tenant id ‖ kiosk id ‖ 32 random bytes). The ids let the middleware find the
 * kiosk inside its own centre's row-level security scope (no cross-tenant lookup by secret); the random part is the
 * credential, stored only as its SHA-256 (256 bits of entropy need no key or slow hash).
 */
const PREFIX = 'dck1_';
const uuidBytes = (id: string) => Buffer.from(id.replace(/-/g, ''), 'hex');
const uuidString = (b: Buffer) => {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};

export function newKioskToken(tenantId: string, kioskId: string): { token: string; hash: string } {
  const secret = randomBytes(32);
  const token = PREFIX + Buffer.concat([uuidBytes(tenantId), uuidBytes(kioskId), secret]).toString('base64url');
  return { token, hash: hashSecret(secret) };
}

export function parseKioskToken(token: string): { tenantId: string; kioskId: string; secret: Buffer } | null {
  if (!token.startsWith(PREFIX) || token.length > 200) return null;
  const raw = Buffer.from(token.slice(PREFIX.length), 'base64url');
  if (raw.length !== 64) return null;
  const tenantId = uuidString(raw.subarray(0, 16));
  const kioskId = uuidString(raw.subarray(16, 32));
  if (!isUuid(tenantId) || !isUuid(kioskId)) return null;
  return { tenantId, kioskId, secret: raw.subarray(32) };
}

export const hashSecret = (secret: Buffer) => createHash('sha256').update(secret).digest('base64url');

export function secretMatches(secret: Buffer, storedHash: string): boolean {
  const a = Buffer.from(hashSecret(secret));
  const b = Buffer.from(storedHash);
  return a.length === b.length && timingSafeEqual(a, b);
}
