import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSupabaseVerifier } from '../../src/core/security/supabase.js';
import { startFakeSupabase } from '../helpers/supabase.js';

describe('Supabase JWKS', () => {
  let supa: Awaited<ReturnType<typeof startFakeSupabase>>;
  beforeAll(async () => {
    supa = await startFakeSupabase();
  });
  afterAll(() => supa.close());

  it('is fetched once, refetched for an unknown kid after the cooldown (key rotation), and not hammered', async () => {
    const verify = createSupabaseVerifier({ supabaseUrl: supa.url, jwksCooldownMs: 200 });
    const before = supa.jwksHits;
    for (let i = 0; i < 3; i++) expect((await verify(await supa.sign({ sub: `u${i}` }))).sub).toBe(`u${i}`);
    expect(supa.jwksHits - before).toBe(1);
    // Unknown kids within the cooldown: refused without a fetch storm.
    const unknown = await supa.sign({ sub: 'x' }, { kid: 'nobody' });
    for (let i = 0; i < 5; i++) await expect(verify(unknown)).rejects.toMatchObject({ code: 'INVALID_TOKEN' });
    expect(supa.jwksHits - before).toBeLessThanOrEqual(2);
    // Supabase rotates its signing key: a token with the new kid is accepted once the cooldown has passed.
    const signNew = await supa.rotate('es-2');
    await new Promise((r) => setTimeout(r, 250));
    expect((await verify(await signNew({ sub: 'rotated' }))).sub).toBe('rotated');
  });
});
