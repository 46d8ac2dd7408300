import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { randomToken, newId } from '../ids.js';
import { loadJose } from './supabase.js';

const ISSUER = 'daycare-api';
const AUDIENCE = 'daycare-api';
const TYP = 'at+jwt';

export interface AccessClaims {
  /** user id */
  sub: string;
  email: string;
  /** session (refresh family) id */
  sid: string;
  mid: string | null;
  tid: string | null;
  roles: string[];
  ent: string[];
  /** entitlements version of the membership when the token was minted */
  ev: number;
  jti: string;
  exp: number;
}

/** When an access token was minted, in ms: its `jti` is a UUIDv7, whose first 48 bits are that instant. */
export function issuedAtMs(c: Pick<AccessClaims, 'jti'>): number {
  const ms = parseInt(c.jti.replace(/-/g, '').slice(0, 12), 16);
  return Number.isFinite(ms) ? ms : 0;
}

/**
 * How far ahead of the verifying host's clock a token's `iat` may be (hosts' clocks differ a little). Minting never
 * stamps an `iat` ahead of its own clock, so one host never refuses what it has just minted, whatever its clock did.
 */
export const CLOCK_SKEW_SECONDS = 60;

/** The service's own short-lived access tokens and CSRF tokens, both keyed by SESSION_SECRET. */
export class TokenService {
  private readonly rawKey: Buffer<ArrayBuffer>;
  /**
   * Imported once for signing with jose (which would otherwise import the raw key on every call), on the first
   * signature: a cold start that only verifies tokens (node:crypto) needs neither WebCrypto nor jose.
   */
  private key: Promise<CryptoKey> | undefined;
  private readonly csrfKey: Buffer;

  constructor(secret: string, readonly accessTtlSeconds: number) {
    const raw = createHash('sha256').update(`access|${secret}`).digest();
    this.rawKey = raw;
    this.csrfKey = createHash('sha256').update(`csrf|${secret}`).digest();
  }

  /**
   * `orderMs` orders the token against its family's cut-off (it becomes the `jti`'s instant, see issuedAtMs) and may
   * lie ahead of this host's clock (a cut-off set before the clock stepped back); the token's times (`iat`, `exp`)
   * come from `nowMs`, this host's clock, and `iat` is never ahead of it, so verifyAccess on the same clock (or one
   * within CLOCK_SKEW_SECONDS) never refuses a token just minted.
   */
  async signAccess(c: Omit<AccessClaims, 'jti' | 'exp'>, orderMs: number, nowMs: number = orderMs): Promise<{ token: string; jti: string; exp: number }> {
    const jti = newId(orderMs);
    const iat = Math.floor(Math.min(orderMs, nowMs) / 1000);
    const exp = Math.floor(nowMs / 1000) + this.accessTtlSeconds;
    const { SignJWT } = await loadJose();
    this.key ??= crypto.subtle.importKey('raw', this.rawKey, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    const token = await new SignJWT({ email: c.email, sid: c.sid, mid: c.mid, tid: c.tid, roles: c.roles, ent: c.ent, ev: c.ev })
      .setProtectedHeader({ alg: 'HS256', typ: TYP })
      .setSubject(c.sub)
      .setJti(jti)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(await this.key);
    return { token, jti, exp };
  }

  /**
   * Returns the claims, or null for anything not a valid, unexpired token of ours. Verified with node:crypto
   * synchronously (WebCrypto's async HMAC job was ~7% of the API's CPU): the exact base64url signature must match,
   * the header must be exactly HS256 + at+jwt, and issuer, audience, expiry and the required claims are checked.
   */
  verifyAccess(token: string, nowMs: number): AccessClaims | null {
    if (token.length > 4096) return null;
    const first = token.indexOf('.');
    const second = token.indexOf('.', first + 1);
    if (first < 0 || second < 0 || token.indexOf('.', second + 1) >= 0) return null;
    const signed = token.slice(0, second);
    const expected = createHmac('sha256', this.rawKey).update(signed).digest('base64url');
    if (!safeEqual(token.slice(second + 1), expected)) return null;
    try {
      const header = JSON.parse(Buffer.from(token.slice(0, first), 'base64url').toString('utf8'));
      if (header?.alg !== 'HS256' || header?.typ !== TYP || Object.keys(header).length !== 2) return null;
      const c = JSON.parse(Buffer.from(token.slice(first + 1, second), 'base64url').toString('utf8')) as AccessClaims & Record<string, unknown>;
      const now = Math.floor(nowMs / 1000);
      if (c.iss !== ISSUER || c.aud !== AUDIENCE) return null;
      if (typeof c.exp !== 'number' || c.exp <= now) return null;
      if (typeof c.iat === 'number' && c.iat > now + CLOCK_SKEW_SECONDS) return null;
      if (typeof c.jti !== 'string' || typeof c.sub !== 'string' || typeof c.sid !== 'string') return null;
      if (!Array.isArray(c.roles) || !Array.isArray(c.ent) || typeof c.ev !== 'number') return null;
      return c;
    } catch {
      return null;
    }
  }

  /** A CSRF token bound to the session: nonce + HMAC(session id, nonce). */
  csrfFor(sessionId: string): string {
    const nonce = randomToken(16);
    return `${nonce}.${this.csrfMac(sessionId, nonce)}`;
  }

  verifyCsrf(sessionId: string, header: string | undefined, cookie: string | undefined): boolean {
    if (!header || !cookie || header.length > 200 || cookie.length > 200) return false;
    if (!safeEqual(header, cookie)) return false;
    const [nonce, mac] = header.split('.');
    if (!nonce || !mac) return false;
    return safeEqual(mac, this.csrfMac(sessionId, nonce));
  }

  private csrfMac(sessionId: string, nonce: string) {
    return createHmac('sha256', this.csrfKey).update(`${sessionId}|${nonce}`).digest('base64url');
  }
}

export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

/** Refresh tokens are `<sessionId>.<secret>`; only the SHA-256 of the whole value is stored. */
export function newRefreshToken(sessionId: string) {
  return `${sessionId}.${randomToken(32)}`;
}
export function hashToken(token: string) {
  return createHash('sha256').update(token).digest('base64url');
}
export function sessionIdOfRefreshToken(token: string | undefined): string | null {
  if (!token || token.length > 200) return null;
  const i = token.indexOf('.');
  const sid = i > 0 ? token.slice(0, i) : '';
  return /^[0-9a-f-]{36}$/i.test(sid) ? sid : null;
}
