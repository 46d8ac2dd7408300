/**
 * The session races, decided where they are decided: the sessions service and the cache.
 * A refresh reads the session and membership in one transaction, then mints (the token, and the membership's version
 * written forward-only to the cache). A membership change (demotion, suspension, removal) or a logout commits, then
 * writes its cache entry (the version, a tombstone, the family's cut-off). Each of the two flows is paused at its cache
 * write (a hook in the cache), and every interleaving of "run up to the write" and "write and finish" is played, on
 * every cache kind of the run: the member must never keep the old rights, and logout must end every token the sign-in
 * ever minted. The soak of the same races over HTTP is in the fault suite (tests/faults/session-races-soak.test.ts).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cache } from '../../src/adapters/cache/cache.js';
import type { RequestMeta, TenantContext } from '../../src/core/context.js';
import type { Agent } from '../helpers/http.js';
import { addMember, CACHES, newTenant, startServer, uniqueEmail, type TestServer } from '../helpers/server.js';

type Flow = 'refresh' | 'change';

/** Holds every forward-only cache write of a flow (the flow's name rides along in async context) until released. */
class WriteGate {
  private readonly als = new AsyncLocalStorage<Flow>();
  private readonly held = new Map<Flow, { arrived: Promise<void>; arrive: () => void; release: () => void; released: Promise<void> }>();
  writes: string[] = [];

  arm(flow: Flow) {
    let arrive!: () => void;
    let release!: () => void;
    const arrived = new Promise<void>((r) => (arrive = r));
    const released = new Promise<void>((r) => (release = r));
    this.held.set(flow, { arrived, arrive, release, released });
  }
  run<T>(flow: Flow, fn: () => Promise<T>) {
    return this.als.run(flow, fn);
  }
  arrived(flow: Flow) {
    return this.held.get(flow)!.arrived;
  }
  release(flow: Flow) {
    this.held.get(flow)?.release();
  }
  wrap = (cache: Cache): Cache =>
    new Proxy(cache, {
      get: (target, prop) => {
        if (prop === 'setIfGreater') {
          return async (key: string, value: number, ttl: number) => {
            const flow = this.als.getStore();
            const h = flow && this.held.get(flow);
            if (flow && h) {
              this.writes.push(`${flow}:${key.split(':').at(-2) === 'cut' ? 'cut' : 'ev'}`);
              h.arrive();
              await h.released;
            }
            return target.setIfGreater(key, value, ttl);
          };
        }
        const v = Reflect.get(target, prop, target);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
}

/** Every order of the two flows' two steps: "up to its cache write" (1st letter) and "the write and the rest" (2nd). */
const ORDERS: Flow[][] = [
  ['refresh', 'refresh', 'change', 'change'],
  ['refresh', 'change', 'refresh', 'change'],
  ['refresh', 'change', 'change', 'refresh'],
  ['change', 'refresh', 'refresh', 'change'],
  ['change', 'refresh', 'change', 'refresh'],
  ['change', 'change', 'refresh', 'refresh'],
];
const label = (order: Flow[]) => {
  const seen = new Set<Flow>();
  return order.map((f) => (seen.has(f) ? `${f} writes` : (seen.add(f), `${f} reads`))).join(' → ');
};

type Settled = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Plays one order: the first step of a flow starts it and waits until it holds at its write (or ends without one). */
async function play(gate: WriteGate, order: Flow[], flows: Record<Flow, () => Promise<unknown>>): Promise<Record<Flow, Settled>> {
  const running = new Map<Flow, Promise<Settled>>();
  for (const flow of order) {
    const p = running.get(flow);
    if (!p) {
      gate.arm(flow);
      const done = gate.run(flow, flows[flow]).then(
        (value): Settled => ({ ok: true, value }),
        (error): Settled => ({ ok: false, error }),
      );
      running.set(flow, done);
      await Promise.race([gate.arrived(flow), done]);
    } else {
      gate.release(flow);
      await p;
    }
  }
  return { refresh: await running.get('refresh')!, change: await running.get('change')! };
}

const meta = (): RequestMeta => ({ requestId: 'race', ip: '127.0.0.1', userAgent: 'session-races' });
const LIMITS = { RATE_LIMIT_TENANTS_PER_ACCOUNT_PER_DAY: '1000000', RATE_LIMIT_INVITATIONS_PER_TENANT_PER_HOUR: '1000000' };

for (const cache of CACHES) {
  describe(`session races at the service and the cache, every interleaving (${cache === 'redis' ? 'Redis' : 'in-process cache'})`, () => {
    const gate = new WriteGate();
    let srv: TestServer;
    beforeAll(async () => {
      srv = await startServer({ cache, wrapCache: gate.wrap, env: LIMITS });
    });
    afterAll(async () => {
      await srv?.close();
    });

    const access = (a: Agent) => a.cookie('__Host-session')!;
    const refreshOf = (a: Agent) => a.cookie('__Secure-refresh')!;
    /** What the authenticator makes of a token now: its context, or the 401 it throws. */
    const judge = (token: string) => srv.container.authenticator.authenticate(token, meta()).then((r) => r.ctx, (err: { status?: number }) => ({ refused: err.status }));
    async function ownerCtx(owner: Agent) {
      return (await srv.container.authenticator.authenticate(access(owner), meta())).ctx as TenantContext;
    }
    /** The refresh flow: the token the service minted, or null when it refused (a refresh after the change). */
    const refresh = (token: string) => async () => (await srv.container.sessions.refresh(token, meta())).issued;

    for (const order of ORDERS) {
      it(`a refresh racing a demotion never keeps the old role: ${label(order)}`, async () => {
        const { owner } = await newTenant(srv);
        const m = await addMember(srv, owner, ['admin']);
        const ctx = await ownerCtx(owner);
        gate.writes = [];
        const r = await play(gate, order, {
          refresh: refresh(refreshOf(m.agent)),
          change: () => srv.container.tenancy.updateMembership(ctx, m.membershipId, { roles: ['teacher'] }),
        });
        expect(r.change.ok).toBe(true);
        expect(r.refresh.ok).toBe(true);
        // Both flows really reached their writes in the order played (the hook held them).
        expect(gate.writes.sort()).toEqual(['change:ev', 'refresh:ev']);
        const minted = (r.refresh as { value: { accessToken: string } }).value.accessToken;
        for (const token of [minted, access(m.agent)]) {
          const seen = await judge(token);
          expect(seen).toMatchObject({ roles: ['teacher'] });
          expect((seen as { permissions: string[] }).permissions).not.toContain('audit:read');
        }
      });

      it(`a refresh racing a suspension never keeps access: ${label(order)}`, async () => {
        const { owner } = await newTenant(srv);
        const m = await addMember(srv, owner, ['teacher']);
        const ctx = await ownerCtx(owner);
        const r = await play(gate, order, {
          refresh: refresh(refreshOf(m.agent)),
          change: () => srv.container.tenancy.updateMembership(ctx, m.membershipId, { status: 'suspended' }),
        });
        expect(r.change.ok).toBe(true);
        expect(r.refresh.ok).toBe(true);
        const minted = (r.refresh as { value: { accessToken: string } }).value.accessToken;
        for (const token of [minted, access(m.agent)]) expect(await judge(token)).toMatchObject({ tenantId: null, permissions: [] });
      });

      it(`a refresh racing a removal never keeps access: ${label(order)}`, async () => {
        const { owner } = await newTenant(srv);
        const m = await addMember(srv, owner, ['teacher']);
        const ctx = await ownerCtx(owner);
        const r = await play(gate, order, {
          refresh: refresh(refreshOf(m.agent)),
          change: () => srv.container.tenancy.removeMembership(ctx, m.membershipId),
        });
        expect(r.change.ok).toBe(true);
        expect(r.refresh.ok).toBe(true);
        const minted = (r.refresh as { value: { accessToken: string } }).value.accessToken;
        for (const token of [minted, access(m.agent)]) expect(await judge(token)).toMatchObject({ tenantId: null, permissions: [] });
      });

      it(`logout racing a refresh ends every token of the sign-in, for any membership: ${label(order)}`, async () => {
        const a = await srv.signIn(uniqueEmail('family'));
        const a1 = access(a);
        expect((await a.post('/auth/refresh')).status).toBe(200);
        const a2 = access(a);
        expect((await a.post('/tenants', { name: 'Race', timezone: 'UTC' })).status).toBe(201);
        const c1 = access(a);
        const claims = (await srv.container.authenticator.authenticate(c1, meta())).claims;
        gate.writes = [];
        const r = await play(gate, order, {
          refresh: refresh(refreshOf(a)),
          change: () => srv.container.sessions.logout(claims, undefined, meta()),
        });
        expect(r.change.ok).toBe(true);
        // A refresh that read after the logout is refused; one that read before minted a token, which must not outlive it.
        const refreshReadFirst = order.indexOf('refresh') < order.indexOf('change');
        if (refreshReadFirst) expect(r.refresh.ok).toBe(true);
        else expect(r.refresh).toMatchObject({ ok: false, error: { status: 401 } });
        expect(gate.writes).toContain('change:cut');
        const tokens = [a1, a2, c1];
        if (r.refresh.ok) tokens.push((r.refresh.value as { accessToken: string }).accessToken);
        for (const token of tokens) expect(await judge(token)).toEqual({ refused: 401 });
      });
    }

    it('the hook holds a flow at its write: a held demotion leaves the old role in force until it writes', async () => {
      // The hook is real: while the demotion's cache write is held, the member's token still reads as admin (the
      // cache has not heard of the change yet), and the moment the write lands it does not.
      const { owner } = await newTenant(srv);
      const m = await addMember(srv, owner, ['admin']);
      const ctx = await ownerCtx(owner);
      expect(await judge(access(m.agent))).toMatchObject({ roles: ['admin'] });
      gate.arm('change');
      const demoted = gate.run('change', () => srv.container.tenancy.updateMembership(ctx, m.membershipId, { roles: ['teacher'] }));
      await gate.arrived('change');
      expect(await judge(access(m.agent))).toMatchObject({ roles: ['admin'] });
      gate.release('change');
      await demoted;
      expect(await judge(access(m.agent))).toMatchObject({ roles: ['teacher'] });
    });
  });
}
