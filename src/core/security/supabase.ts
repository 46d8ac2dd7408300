import type { JWTPayload } from 'jose';
import { invalidToken } from '../errors.js';
import { canonicalEmail } from '../email.js';

/** What we take from a verified Supabase access token. Roles and memberships come from our database, never from here. */
export interface SupabaseIdentity {
  sub: string;
  email: string;
  sessionId: string;
}

type Jose = typeof import('./jose.js');
let jose: Promise<Jose> | undefined;
/**
 * jose (JWT signing and Supabase verification) is imported on first use: a request that only presents a session
 * cookie never needs it (the service's own tokens are verified with node:crypto), so a cold start does not load it.
 */
export function loadJose(): Promise<Jose> {
  return (jose ??= import('./jose.js').catch((err) => {
    jose = undefined;
    throw err;
  }));
}

export const LOCAL_ISSUER = 'http://localhost/auth/v1';

export interface SupabaseVerifierOptions {
  supabaseUrl?: string;
  /** Legacy HS256 projects. */
  jwtSecret?: string;
  /** Local mode: the secret kept in DATA_DIR, used by `npm run token`. */
  localSecret?: string;
  /** After a JWKS fetch, no other for this long, whatever kids arrive (default 30 s). */
  jwksCooldownMs?: number;
}

/**
 * Verifies Supabase access tokens (STACK.md pitfall 5): JWKS created once per process (jose caches keys and refetches
 * on an unknown `kid`, with a cooldown), ES256/RS256 for JWKS keys, HS256 only against the configured secret.
 */
export function createSupabaseVerifier(opts: SupabaseVerifierOptions) {
  const issuer = opts.supabaseUrl ? `${opts.supabaseUrl}/auth/v1` : opts.localSecret ? LOCAL_ISSUER : undefined;
  const jwksUrl = opts.supabaseUrl ? new URL(`${opts.supabaseUrl}/auth/v1/.well-known/jwks.json`) : undefined;
  /** jose is loaded, and the one JWKS of the process made, by the first sign-in, not by the container. */
  let jwks: ReturnType<Jose['createRemoteJWKSet']> | undefined;
  const hsSecret = opts.jwtSecret ?? opts.localSecret;
  const hsKey = hsSecret ? new TextEncoder().encode(hsSecret) : undefined;

  return async function verify(token: unknown): Promise<SupabaseIdentity> {
    if (typeof token !== 'string' || token.length > 8192 || token.split('.').length !== 3) throw invalidToken();
    const { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } = await loadJose();
    if (jwksUrl)
      jwks ??= createRemoteJWKSet(jwksUrl, { cooldownDuration: opts.jwksCooldownMs ?? 30_000, cacheMaxAge: 10 * 60_000, timeoutDuration: 5_000 });
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      throw invalidToken();
    }
    let payload: JWTPayload;
    try {
      const common = {
        audience: 'authenticated',
        requiredClaims: ['exp', 'sub'],
        clockTolerance: 5,
        ...(issuer ? { issuer } : {}),
      };
      if (alg === 'HS256' && hsKey) {
        ({ payload } = await jwtVerify(token, hsKey, { ...common, algorithms: ['HS256'] }));
      } else if ((alg === 'ES256' || alg === 'RS256') && jwks) {
        ({ payload } = await jwtVerify(token, jwks, { ...common, algorithms: ['ES256', 'RS256'] }));
      } else {
        throw invalidToken();
      }
    } catch {
      throw invalidToken();
    }
    if (payload.role !== 'authenticated') throw invalidToken();
    if (payload.is_anonymous === true) throw invalidToken();
    if (typeof payload.sub !== 'string' || !payload.sub) throw invalidToken();
    if (typeof payload.session_id !== 'string' || !payload.session_id) throw invalidToken();
    const email = typeof payload.email === 'string' ? canonicalEmail(payload.email) : '';
    return { sub: payload.sub, email, sessionId: payload.session_id };
  };
}
export type SupabaseVerifier = ReturnType<typeof createSupabaseVerifier>;

/** Local mode only: the Supabase user id (`sub`) that `npm run token` gives an email (the demo seed's accounts). */
export async function localSupabaseSub(email: string) {
  const { createHash } = await import('node:crypto');
  return uuidFromString(createHash('sha256').update(`local:${canonicalEmail(email)}`).digest('hex'));
}

/** Local mode only: a Supabase-shaped access token signed with the local secret (`npm run token`). */
export async function signLocalSupabaseToken(secret: string, email: string, opts: { sub?: string; ttlSeconds?: number } = {}) {
  const { randomUUID } = await import('node:crypto');
  const sub = opts.sub ?? (await localSupabaseSub(email));
  const { SignJWT } = await loadJose();
  return new SignJWT({ email: canonicalEmail(email), role: 'authenticated', session_id: randomUUID(), is_anonymous: false, aal: 'aal1' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(sub)
    .setIssuer(LOCAL_ISSUER)
    .setAudience('authenticated')
    .setIssuedAt()
    .setExpirationTime(`${opts.ttlSeconds ?? 3600}s`)
    .sign(new TextEncoder().encode(secret));
}

function uuidFromString(hex: string) {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
