import { randomBytes } from 'node:crypto';
import { isUuid } from '../ids.js';
import { hashSecret, secretMatches } from './kiosk-credentials.js';

/**
 * The two public enrolment credentials (CONTRACT §5 "Enrolment"): an application form's token (`dcf1_…`, the Bearer
 * of POST /public/applications) and an offer's token (`dco1_…`, in the offer.made email). Built like a kiosk token:
 * base64url(tenant id ‖ record id ‖ 32 random bytes). The ids let the API find the record inside its centre's
 * row-level security scope (no lookup by secret across centres); the 256 random bits are the credential, stored only
 * as a SHA-256 and compared in constant time.
 */
export type EnrolmentTokenKind = 'form' | 'offer';
const PREFIX: Record<EnrolmentTokenKind, string> = { form: 'dcf1_', offer: 'dco1_' };

const uuidBytes = (id: string) => Buffer.from(id.replace(/-/g, ''), 'hex');
const uuidString = (b: Buffer) => {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};

export function newEnrolmentToken(kind: EnrolmentTokenKind, tenantId: string, id: string): { token: string; hash: string } {
  const secret = randomBytes(32);
  return { token: PREFIX[kind] + Buffer.concat([uuidBytes(tenantId), uuidBytes(id), secret]).toString('base64url'), hash: hashSecret(secret) };
}

export function parseEnrolmentToken(kind: EnrolmentTokenKind, token: string): { tenantId: string; id: string; secret: Buffer } | null {
  if (typeof token !== 'string' || !token.startsWith(PREFIX[kind]) || token.length > 200) return null;
  const body = token.slice(PREFIX[kind].length);
  if (!/^[A-Za-z0-9_-]+$/.test(body)) return null;
  const raw = Buffer.from(body, 'base64url');
  if (raw.length !== 64) return null;
  const tenantId = uuidString(raw.subarray(0, 16));
  const id = uuidString(raw.subarray(16, 32));
  if (!isUuid(tenantId) || !isUuid(id)) return null;
  return { tenantId, id, secret: raw.subarray(32) };
}

/** Constant-time comparison of a presented secret with the stored hash (null hash = no live token). */
export const enrolmentSecretMatches = (secret: Buffer, storedHash: string | null) => storedHash !== null && secretMatches(secret, storedHash);
