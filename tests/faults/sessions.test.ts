/**
 * Issue 20, points 6 and 7, with a private redis-server this file starts, snapshots, kills and restarts (never the
 * machine's shared Redis). The API runs in this process (startServer) against PGlite, or the PostgreSQL server of
 * DATABASE_URL.
 *
 * Point 6: Redis restored from an older RDB file must not revive a logged-out token, a switched-away token, a
 * reuse-revoked family or a suspended member: what the restored server holds is a copy from before, and the cache's
 * generation (the server's run_id) tells the API to ask the database until the copies are rebuilt.
 * Point 7: an empty Redis restart keeps a kiosk's PIN lock (it lives in the database).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { PIN_MAX_FAILURES } from '../../src/modules/kiosk/kiosks.service.js';
import { newCentre } from '../factories/index.js';
import type { Agent } from '../helpers/http.js';
import { addMember, newTenant, startServer, uniqueEmail, type TestServer } from '../helpers/server.js';
import { freePort, missingTools, portOpen, sleep } from './harness.js';

const missing = missingTools();

/** A redis-server with an RDB file in its own directory: SAVE, copy the file, kill, put an older file back, start. */
class SnapshotRedis {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'daycare-faults-redis-'));
  private child: ChildProcess | undefined;
  constructor(readonly port: number) {}
  get url() {
    return `redis://127.0.0.1:${this.port}/0`;
  }
  async start() {
    // `--save ''`: no automatic snapshots, and none on shutdown; only SAVE writes dump.rdb.
    this.child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--dbfilename', 'dump.rdb', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      if (await portOpen(this.port)) return;
      await sleep(50);
    }
    throw new Error('redis-server did not start');
  }
  private async admin<T>(fn: (r: Redis) => Promise<T>) {
    const r = new Redis(this.url, { maxRetriesPerRequest: 1 });
    try {
      return await fn(r);
    } finally {
      r.disconnect();
    }
  }
  /** SAVE, and keep a copy of the file under `name`. */
  async snapshot(name: string) {
    await this.admin((r) => r.save());
    copyFileSync(path.join(this.dir, 'dump.rdb'), path.join(this.dir, name));
  }
  async kill() {
    const c = this.child;
    this.child = undefined;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  }
  /** Killed, the snapshot `name` put back as dump.rdb (or no file: an empty restart), started again on the same port. */
  async restartFrom(name: string | null) {
    await this.kill();
    rmSync(path.join(this.dir, 'dump.rdb'), { force: true });
    if (name) copyFileSync(path.join(this.dir, name), path.join(this.dir, 'dump.rdb'));
    await this.start();
  }
  dbSize() {
    return this.admin((r) => r.dbsize());
  }
  async destroy() {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Waits until the API's cache answers again after a restart (503 NOT_READY until ioredis has reconnected). */
async function untilNot503(call: () => Promise<{ status: number }>) {
  for (let i = 0; i < 100; i++) {
    const r = await call();
    if (r.status !== 503) return r;
    await sleep(100);
  }
  throw new Error('the API never recovered from the Redis restart');
}

describe.skipIf(!!missing)('sessions and the kiosk when Redis forgets or goes back (private redis-server)', () => {
  let redis: SnapshotRedis;
  let srv: TestServer;
  const clock = new ManualClock();

  beforeAll(async () => {
    redis = new SnapshotRedis(await freePort());
    await redis.start();
    srv = await startServer({ cache: 'redis', redisUrl: redis.url, clock });
  }, 120_000);
  afterAll(async () => {
    await srv?.close();
    await redis?.destroy();
  });

  it('Redis restored from an older RDB file revives none of: a logged-out token, a switched-away token, a reuse-revoked family, a suspended member', async () => {
    // 1. Logged out.
    const out = await srv.signIn(uniqueEmail('out'));
    expect((await out.post('/tenants', { name: 'Logged out', timezone: 'UTC' })).status).toBe(201);
    const loggedOut = out.clone();
    // 2. Switched away: the token of the second centre, after a switch back to the first.
    const sw = await newTenant(srv);
    expect((await sw.owner.post('/tenants', { name: 'Second', timezone: 'UTC' })).status).toBe(201);
    const switchedAway = sw.owner.clone();
    // 3. A stolen refresh token: the family is revoked when the rotated token comes back after the grace.
    const fam = await newTenant(srv);
    const thief = fam.owner.clone();
    expect((await fam.owner.post('/auth/refresh')).status).toBe(200);
    const reuseRevoked = fam.owner.clone();
    // 4. A teacher about to be suspended.
    const centre = await newTenant(srv);
    const teacher = await addMember(srv, centre.owner, ['teacher']);
    // A live session that nothing happens to.
    const live = (await newTenant(srv)).owner;

    const victims: [string, Agent][] = [
      ['logged out', loggedOut],
      ['switched away', switchedAway],
      ['reuse-revoked family', reuseRevoked],
      ['suspended member', teacher.agent],
    ];
    // Every one of them works, and the cache holds "not revoked" and the current entitlements versions…
    for (const [what, a] of [...victims, ['live', live] as [string, Agent]]) expect((await a.get('/students')).status, what).toBe(200);
    // …in the snapshot a restore will bring back.
    await redis.snapshot('before.rdb');

    expect((await out.post('/auth/logout')).status).toBe(204);
    expect((await sw.owner.post('/auth/switch', { membershipId: sw.membership.id })).status).toBe(200);
    clock.advance(11_000);
    expect((await thief.post('/auth/refresh')).status).toBe(401);
    expect((await centre.owner.patch(`/memberships/${teacher.membershipId}`, { status: 'suspended' })).status).toBe(200);
    const refusedBefore = new Map<string, number>();
    for (const [what, a] of victims) {
      const s = (await a.get('/students')).status;
      expect(s, what).not.toBe(200);
      refusedBefore.set(what, s);
    }

    await redis.restartFrom('before.rdb');
    expect(await redis.dbSize()).toBeGreaterThan(0); // the older contents really are back

    await untilNot503(() => live.get('/students'));
    // All four compared at once, so a failure names every case that came back.
    const after = new Map<string, number>();
    for (const [what, a] of victims) after.set(what, (await untilNot503(() => a.get('/students'))).status);
    expect(after).toEqual(refusedBefore);
    // And again, once the API has learnt the restarted server's generation and rebuilt its copies.
    await sleep(300);
    for (const [what, a] of victims) after.set(what, (await a.get('/students')).status);
    expect(after).toEqual(refusedBefore);
    expect((await live.get('/students')).status).toBe(200);
    expect((await switchedAway.get('/me/context')).status).toBe(401);
    expect((await sw.owner.get('/students')).status).toBe(200); // the new centre's token works
  });

  it('an empty Redis restart keeps a kiosk PIN lock', async () => {
    const c = await newCentre(srv);
    const g = await c.fx.guardian({ firstName: 'Alex' });
    const pinRes = await c.owner.put(`/guardians/${g.id}/pin`);
    expect(pinRes.status).toBe(200);
    const pin = pinRes.body.pin as string;
    const kiosk = await c.owner.post('/kiosks', { name: 'Door' });
    const call = async (body: unknown) => {
      const res = await fetch(`${srv.url}/kiosk/lookup`, {
        method: 'POST',
        headers: { authorization: `Bearer ${kiosk.body.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.status };
    };
    const bad = pin === '000000' ? '000001' : '000000';
    for (let i = 0; i < PIN_MAX_FAILURES; i++) expect((await call({ pin: bad })).status).toBe(401);
    expect((await call({ pin })).status).toBe(429);
    await redis.restartFrom(null);
    expect(await redis.dbSize()).toBe(0);
    expect((await untilNot503(() => call({ pin }))).status).toBe(429);
  });
});
