import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { randomUUID } from 'node:crypto';

/** A stand-in for Supabase Auth's JWKS endpoint on loopback, with an ES256 and an RS256 key, and a token minter. */
export async function startFakeSupabase() {
  const es = await generateKeyPair('ES256', { extractable: true });
  const rs = await generateKeyPair('RS256', { extractable: true });
  const other = await generateKeyPair('ES256', { extractable: true });
  const esJwk = { ...(await exportJWK(es.publicKey)), kid: 'es-1', alg: 'ES256', use: 'sig' };
  const rsJwk = { ...(await exportJWK(rs.publicKey)), kid: 'rs-1', alg: 'RS256', use: 'sig' };
  let jwksHits = 0;
  const keys: JWK[] = [esJwk, rsJwk];
  const server = http.createServer((req, res) => {
    if (req.url === '/auth/v1/.well-known/jwks.json') {
      jwksHits++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys }));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer = `${url}/auth/v1`;

  async function sign(
    claims: Record<string, unknown>,
    opts: { alg?: 'ES256' | 'RS256'; kid?: string; key?: CryptoKey; expiresIn?: string | number; issuer?: string; audience?: string; notBefore?: string | number } = {},
  ) {
    const alg = opts.alg ?? 'ES256';
    const key = opts.key ?? (alg === 'ES256' ? es.privateKey : rs.privateKey);
    let jwt = new SignJWT({ role: 'authenticated', session_id: randomUUID(), is_anonymous: false, ...claims })
      .setProtectedHeader({ alg, kid: opts.kid ?? (alg === 'ES256' ? 'es-1' : 'rs-1'), typ: 'JWT' })
      .setIssuedAt()
      .setIssuer(opts.issuer ?? issuer)
      .setAudience(opts.audience ?? 'authenticated')
      .setExpirationTime(opts.expiresIn ?? '1h');
    if (opts.notBefore !== undefined) jwt = jwt.setNotBefore(opts.notBefore);
    return jwt.sign(key);
  }

  /** Key rotation: publish a new key and return a signer for it. */
  async function rotate(kid: string) {
    const pair = await generateKeyPair('ES256', { extractable: true });
    keys.push({ ...(await exportJWK(pair.publicKey)), kid, alg: 'ES256', use: 'sig' });
    return (claims: Record<string, unknown>) => sign(claims, { kid, key: pair.privateKey });
  }

  return {
    url,
    issuer,
    sign,
    rotate,
    otherKey: other.privateKey,
    esPublicJwk: esJwk,
    get jwksHits() {
      return jwksHits;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
