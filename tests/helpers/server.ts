import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { createApp } from '../../src/api/app.js';
import type { Cache } from '../../src/adapters/cache/cache.js';
import { MemoryCache } from '../../src/adapters/cache/memory-cache.js';
import { RedisCache } from '../../src/adapters/cache/redis-cache.js';
import { createContainer, type Container } from '../../src/container.js';
import type { Clock } from '../../src/core/clock.js';
import { loadConfig } from '../../src/core/config.js';
import { signLocalSupabaseToken } from '../../src/core/security/supabase.js';
import { Agent } from './http.js';
import { DEFAULT_ENGINE, openTestDatabase, SERVERS_ONLY, type Engine } from './engines.js';

export type CacheKind = 'memory' | 'redis';
export const DEFAULT_CACHE: CacheKind = process.env.REDIS_URL ? 'redis' : 'memory';
/** The in-process cache (unless SERVERS_ONLY, engines.ts); real Redis too when REDIS_URL is set. */
export const CACHES: CacheKind[] = process.env.REDIS_URL ? (SERVERS_ONLY ? ['redis'] : ['memory', 'redis']) : ['memory'];

export interface TestServer {
  url: string;
  container: Container;
  agent(): Agent;
  /** A Supabase-shaped access token for `email` (local mode). */
  token(email: string, opts?: { sub?: string; ttlSeconds?: number }): Promise<string>;
  /** Signs in through /auth/exchange and returns the agent holding the cookies. */
  signIn(email: string): Promise<Agent>;
  close(): Promise<void>;
}

export function testCache(kind: CacheKind, redisUrl = process.env.REDIS_URL): Cache {
  return kind === 'redis' ? new RedisCache({ url: redisUrl! }) : new MemoryCache();
}

/** The real app over a real socket, on PGlite or the PostgreSQL server, with the in-process cache or real Redis. */
export async function startServer(
  opts: { engine?: Engine; cache?: CacheKind; redisUrl?: string; /** Wraps the cache the container gets (a test's hook into its calls). */ wrapCache?: (c: Cache) => Cache; env?: Record<string, string>; clock?: Clock; enrolment?: NonNullable<Parameters<typeof createContainer>[1]>['enrolment']; billing?: NonNullable<Parameters<typeof createContainer>[1]>['billing'] } = {},
): Promise<TestServer> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'daycare-test-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    RATE_LIMIT_AUTH_PER_MINUTE: '100000',
    RATE_LIMIT_AUTH_PER_USER_PER_MINUTE: '100000',
    RATE_LIMIT_PER_MINUTE: '1000000',
    ...(opts.env ?? {}),
  });
  const db = await openTestDatabase(opts.engine ?? DEFAULT_ENGINE);
  const container = await createContainer(config, { db, cache: (opts.wrapCache ?? ((c: Cache) => c))(testCache(opts.cache ?? DEFAULT_CACHE, opts.redisUrl)), clock: opts.clock, enrolment: opts.enrolment, billing: opts.billing });
  const app = createApp(container);
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const token = (email: string, o?: { sub?: string; ttlSeconds?: number }) => signLocalSupabaseToken(container.localAuthSecret!, email, o);
  return {
    url,
    container,
    agent: () => new Agent(url),
    token,
    async signIn(email: string) {
      const a = new Agent(url);
      const res = await a.post('/auth/exchange', { accessToken: await token(email) });
      if (res.status !== 200) throw new Error(`sign-in failed: ${res.status} ${res.text}`);
      return a;
    },
    async close() {
      await new Promise<void>((r) => server.close(() => r()));
      await container.close();
    },
  };
}

let seq = 0;
/** A unique email per call, so tests sharing a database never collide. */
export function uniqueEmail(prefix = 'user') {
  return `${prefix}.${process.pid}.${Date.now().toString(36)}.${++seq}@example.test`;
}

/** Signs a new owner in and creates a centre; the agent is switched to it. */
export async function newTenant(srv: TestServer, opts: { name?: string; timezone?: string } = {}) {
  const email = uniqueEmail('owner');
  const owner = await srv.signIn(email);
  const res = await owner.post('/tenants', { name: opts.name ?? 'Test Centre', timezone: opts.timezone ?? 'UTC' });
  if (res.status !== 201) throw new Error(`create tenant failed: ${res.status} ${res.text}`);
  return { owner, email, tenant: res.body.tenant as { id: string; timezone: string }, membership: res.body.membership as { id: string } };
}

/**
 * Invites `email` with roles, signs them in and accepts the invitation (CONTRACT §3: nothing joins at sign-in).
 * When the sign-in had no active centre yet, the agent switches to the new one, so a new member's agent works in
 * the inviting centre; an account that already had one stays where it was.
 */
export async function addMember(srv: TestServer, owner: Agent, roles: string[], opts: { entitlements?: string[]; email?: string } = {}) {
  const email = opts.email ?? uniqueEmail(roles.join('-'));
  const inv = await owner.post('/memberships', { email, roles, ...(opts.entitlements ? { entitlements: opts.entitlements } : {}) });
  if (inv.status !== 201) throw new Error(`invite failed: ${inv.status} ${inv.text}`);
  const membershipId = inv.body.id as string;
  const agent = new Agent(srv.url);
  const signedIn = await agent.post('/auth/exchange', { accessToken: await srv.token(email) });
  if (signedIn.status !== 200) throw new Error(`sign-in failed: ${signedIn.status} ${signedIn.text}`);
  const accepted = await agent.post(`/invitations/${membershipId}/accept`, {});
  if (accepted.status !== 200) throw new Error(`accept failed: ${accepted.status} ${accepted.text}`);
  if (!signedIn.body.activeMembershipId) {
    const switched = await agent.post('/auth/switch', { membershipId });
    if (switched.status !== 200) throw new Error(`switch failed: ${switched.status} ${switched.text}`);
  }
  return { agent, email, membershipId };
}
