/**
 * Issue 20, point 10 (the token part): a host clock stepped back must not make /auth/refresh answer 200 with a token
 * that is then refused. The family's cut-off (a switch, a new centre) may lie ahead of the stepped-back clock: the new
 * token is ordered after it (its jti), but its times (iat, exp) come from the clock that will verify it.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { CLOCK_SKEW_SECONDS, TokenService } from '../../src/core/security/tokens.js';
import { useServer } from '../factories/index.js';
import { newTenant } from '../helpers/server.js';

describe('token times under a clock step', () => {
  const clock = new ManualClock();
  const srv = useServer({ clock });

  it('a −2 h step: /auth/refresh answers 200 with a token that works, after a switch and after creating a centre', async () => {
    clock.set(new Date());
    const { owner } = await newTenant(srv); // POST /tenants moved the family's cut-off to "now"
    expect((await owner.get('/students')).status).toBe(200);
    clock.advance(-2 * 3600_000);
    const refreshed = await owner.post('/auth/refresh');
    expect(refreshed.status).toBe(200);
    expect((await owner.get('/students')).status).toBe(200);
    expect((await owner.get('/me/context')).status).toBe(200);

    // A switch while the clock is behind the cut-off, then a refresh: each answer's token works.
    const second = await owner.post('/tenants', { name: 'Second', timezone: 'UTC' });
    expect(second.status).toBe(201);
    expect((await owner.get('/students')).status).toBe(200);
    expect((await owner.post('/auth/refresh')).status).toBe(200);
    expect((await owner.get('/students')).status).toBe(200);
    // And back: the token's exp came from the stepped-back clock, so it has expired; a refresh gives one that works.
    clock.advance(2 * 3600_000);
    expect((await owner.post('/auth/refresh')).status).toBe(200);
    expect((await owner.get('/students')).status).toBe(200);
  });

  it('a token is never minted with an iat ahead of the minting clock; verify accepts iat within the bounded skew only', async () => {
    const tokens = new TokenService('x'.repeat(32), 600);
    const now = Date.now();
    const claims = { sub: 'u', email: 'e', sid: 's', mid: null, tid: null, roles: [], ent: [], ev: 0 };
    // Ordered 2 h ahead (a cut-off from before the step), minted now: accepted now.
    const { token } = await tokens.signAccess(claims, now + 2 * 3600_000, now);
    expect(tokens.verifyAccess(token, now)).not.toBeNull();
    // Another host whose clock is ahead by less than the skew mints; this one accepts; beyond the skew, not.
    const ahead = await tokens.signAccess(claims, now + (CLOCK_SKEW_SECONDS - 5) * 1000);
    expect(tokens.verifyAccess(ahead.token, now)).not.toBeNull();
    const tooFar = await tokens.signAccess(claims, now + (CLOCK_SKEW_SECONDS + 5) * 1000);
    expect(tokens.verifyAccess(tooFar.token, now)).toBeNull();
  });
});
