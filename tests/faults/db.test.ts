/**
 * One centre must not stall the others, and no wait on the database is without a bound (issue 20, points 8 and 9):
 * the built server against a private PostgreSQL cluster (never the shared one), with short timeouts for the test.
 * - A room row of centre A locked for 40 s from a separate connection while A's requests keep coming: A's requests
 *   end as 503 NOT_READY with Retry-After (lock_timeout, the per-centre pool cap), never 500 nor a hang; centre B
 *   keeps answering fast; readiness stays 200.
 * - PostgreSQL frozen (every process of the cluster SIGSTOPped): requests answer 503 within the bound
 *   (DB_STATEMENT_TIMEOUT_MS + 1 s client-side), readiness 503 within a second, the slots are freed, and the server
 *   recovers by itself when PostgreSQL resumes.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingTools, request, sessionHeaders, sleep, startFaultStack, type ApiProcess, type FaultStack, type HttpResult, type PgCluster, type Session } from './harness.js';

const missing = missingTools();
if (missing) console.warn(`database fault tests skipped: ${missing}`);

const HOLD_MS = 40_000;
const STATEMENT_TIMEOUT_MS = 3_000;
/** What a request may take while the database is frozen: the client-side bound (statement timeout + 1 s), a centre's slot wait (2 s) and slack for a busy machine. */
const FROZEN_BOUND_MS = STATEMENT_TIMEOUT_MS + 1_000 + 2_000 + 2_000;

type Outcome = { status: number | null; code?: string; retryAfter?: string; ms: number; error?: string };

async function attempt(base: string, method: string, p: string, opts: Parameters<typeof request>[3]): Promise<Outcome> {
  try {
    const r = await request(base, method, p, opts);
    return { status: r.status, code: r.body?.error?.code, retryAfter: r.headers['retry-after'] as string | undefined, ms: r.ms };
  } catch (e) {
    return { status: null, error: (e as NodeJS.ErrnoException).code ?? (e as Error).message, ms: (e as { ms?: number }).ms ?? 0 };
  }
}

/** Every process of the cluster: the postmaster and its children (backends, checkpointer, walwriter…). */
function clusterPids(cluster: PgCluster): number[] {
  const postmaster = Number(readFileSync(path.join(cluster.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
  const children = spawnSync('ps', ['-o', 'pid=', '--ppid', String(postmaster)], { encoding: 'utf8' })
    .stdout.split('\n')
    .map((s) => Number(s.trim()))
    .filter((n) => n > 0);
  return [postmaster, ...children];
}

describe.skipIf(!!missing)('one centre cannot stall the others; no wait on the database without a bound', () => {
  let stack: FaultStack;
  let cluster: PgCluster;
  let api: ApiProcess;
  let admin: pg.Client;
  const centres: { session: Session; tenantId: string; roomId: string }[] = [];
  let frozen: number[] = [];

  const headersOf = (s: Session) => sessionHeaders(s);

  beforeAll(async () => {
    stack = await startFaultStack(
      {
        REDIS_URL: '',
        SHUTDOWN_DRAIN_SECONDS: '2',
        RATE_LIMIT_AUTH_PER_MINUTE: '1000000',
        RATE_LIMIT_AUTH_PER_USER_PER_MINUTE: '1000000',
        RATE_LIMIT_PER_MINUTE: '10000000',
        DB_POOL_MAX: '10',
        DB_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS),
      },
      { onExit: () => frozen.forEach((pid) => spawnSync('kill', ['-CONT', String(pid)])) },
    );
    ({ cluster, api, admin } = stack);
    for (const name of ['A', 'B']) {
      const { session, tenantId } = await stack.newCentre(`dbfaults-${name}@example.test`, `Centre ${name}`);
      const room = await request(api.base, 'POST', '/rooms', { headers: headersOf(session), body: { name: `Room ${name}`, capacity: 10 } });
      expect(room.status, JSON.stringify(room.body)).toBe(201);
      centres.push({ session, tenantId, roomId: room.body.id });
    }
  }, 120_000);

  afterAll(async () => {
    for (const pid of frozen) spawnSync('kill', ['-CONT', String(pid)]);
    await stack?.close();
  }, 60_000);

  it('a room row of one centre locked for 40 s: its requests end 503 with Retry-After (never 500), another centre answers fast, readiness stays 200', async () => {
    const [a, b] = centres as [(typeof centres)[0], (typeof centres)[0]];
    await admin.query('begin');
    await admin.query('select id from rooms where id = $1 for update', [a.roomId]);
    const until = Date.now() + HOLD_MS;
    const locked: Outcome[] = [];
    const other: (Outcome & { what: string })[] = [];
    const ready: Outcome[] = [];
    const loops: Promise<void>[] = [];
    // 16 writers of the locked centre keep trying to change the locked room.
    for (let w = 0; w < 16; w++)
      loops.push(
        (async () => {
          for (let n = 0; Date.now() < until; n++) {
            const o = await attempt(api.base, 'PATCH', `/rooms/${a.roomId}`, { headers: headersOf(a.session), body: { name: `Room A ${w}-${n}` }, timeoutMs: 30_000 });
            locked.push(o);
            if (o.status === null) await sleep(100);
          }
        })(),
      );
    // The other centre reads and writes as usual.
    for (let w = 0; w < 3; w++)
      loops.push(
        (async () => {
          for (let n = 0; Date.now() < until; n++) {
            const read = await attempt(api.base, 'GET', '/rooms?limit=5', { headers: headersOf(b.session), timeoutMs: 30_000 });
            other.push({ ...read, what: 'GET /rooms' });
            const write = await attempt(api.base, 'POST', '/rooms', {
              headers: { ...headersOf(b.session), 'idempotency-key': randomUUID() },
              body: { name: `B ${w}-${n}`, capacity: 5 },
              timeoutMs: 30_000,
            });
            other.push({ ...write, what: 'POST /rooms' });
            await sleep(150);
          }
        })(),
      );
    loops.push(
      (async () => {
        while (Date.now() < until) {
          ready.push(await attempt(api.base, 'GET', '/health/ready', { timeoutMs: 30_000 }));
          await sleep(500);
        }
      })(),
    );
    await Promise.all(loops);
    await admin.query('rollback');

    expect(api.alive, api.stderr).toBe(true);
    // The locked centre: 503 NOT_READY with Retry-After, each within lock_timeout + the slot wait (+ slack), never 500.
    expect(locked.length).toBeGreaterThan(16);
    expect(locked.filter((o) => o.status !== 503 && o.status !== 409)).toEqual([]);
    expect(locked.filter((o) => o.code !== 'NOT_READY' && o.code !== 'CONFLICT')).toEqual([]);
    expect(locked.filter((o) => !o.retryAfter)).toEqual([]);
    expect(Math.max(...locked.map((o) => o.ms))).toBeLessThan(8_000);
    // The other centre: every request answered, 200/201, fast.
    expect(other.length).toBeGreaterThan(30);
    expect(other.filter((o) => o.status !== (o.what === 'GET /rooms' ? 200 : 201))).toEqual([]);
    const times = other.map((o) => o.ms).sort((x, y) => x - y);
    // (Bounds with slack for a loaded 2-core machine; without the fixes these wait the pool's 5 s and then fail.)
    expect(times[Math.floor(times.length * 0.95)]).toBeLessThan(1_500);
    expect(times[times.length - 1]).toBeLessThan(4_000);
    // Readiness never waited behind the stuck centre.
    expect(ready.length).toBeGreaterThan(20);
    expect(ready.filter((o) => o.status !== 200)).toEqual([]);
    expect(Math.max(...ready.map((o) => o.ms))).toBeLessThan(2_000);

    // The lock released: the centre works again.
    const after = await request(api.base, 'PATCH', `/rooms/${a.roomId}`, { headers: headersOf(a.session), body: { name: 'Room A again' } });
    expect(after.status, JSON.stringify(after.body)).toBe(200);
  }, 90_000);

  it('PostgreSQL frozen: requests answer 503 within the bound, readiness 503 within a second, the pool is usable again once it resumes', async () => {
    const b = centres[1]!;
    // Warm connections in the pool (the ones a frozen server leaves hanging), then freeze every process of the cluster.
    await Promise.all(Array.from({ length: 8 }, () => request(api.base, 'GET', '/rooms?limit=5', { headers: headersOf(b.session) })));
    const ss = spawnSync('ss', ['-tnoH', 'state', 'established', 'dst', `127.0.0.1:${cluster.port}`], { encoding: 'utf8' });
    if (ss.status === 0) expect(ss.stdout, 'TCP keepalive on the pool connections').toMatch(/keepalive/);
    frozen = clusterPids(cluster);
    for (const pid of frozen) process.kill(pid, 'SIGSTOP');
    const frozenAt = Date.now();

    const wave = () =>
      Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          i % 2
            ? attempt(api.base, 'GET', '/rooms?limit=5', { headers: headersOf(b.session), timeoutMs: 20_000 })
            : attempt(api.base, 'POST', '/rooms', {
                headers: { ...headersOf(b.session), 'idempotency-key': randomUUID() },
                body: { name: `frozen-${i}-${randomUUID().slice(0, 8)}`, capacity: 3 },
                timeoutMs: 20_000,
              }),
        ),
      );
    const [first, readyWhileFrozen] = await Promise.all([wave(), (async () => (await sleep(500), attempt(api.base, 'GET', '/health/ready', { timeoutMs: 10_000 })))()]);
    // The slots of the first wave are freed: a second wave is bounded the same way (not queued behind the first).
    const second = await wave();
    const frozenFor = Date.now() - frozenAt;
    for (const pid of [...frozen].reverse()) process.kill(pid, 'SIGCONT');
    frozen = [];

    expect(api.alive, api.stderr).toBe(true);
    for (const o of [...first, ...second]) {
      expect(o.status, JSON.stringify(o)).toBe(503);
      expect(o.code).toBe('NOT_READY');
      expect(o.ms).toBeLessThan(FROZEN_BOUND_MS);
    }
    expect(frozenFor).toBeLessThan(2 * FROZEN_BOUND_MS);
    expect(readyWhileFrozen.status).toBe(503);
    expect(readyWhileFrozen.ms).toBeLessThan(1_500);

    // PostgreSQL resumes: the server answers again by itself, within seconds.
    const back = Date.now();
    let r: HttpResult | null = null;
    while (Date.now() - back < 15_000) {
      r = await request(api.base, 'GET', '/rooms?limit=5', { headers: headersOf(b.session), timeoutMs: 10_000 }).catch(() => null);
      if (r?.status === 200) break;
      await sleep(200);
    }
    expect(r?.status).toBe(200);
    expect(Date.now() - back).toBeLessThan(10_000);
    const ready = await request(api.base, 'GET', '/health/ready');
    expect(ready.status).toBe(200);
    const write = await request(api.base, 'POST', '/rooms', { headers: { ...headersOf(b.session), 'idempotency-key': randomUUID() }, body: { name: 'after the thaw', capacity: 3 } });
    expect(write.status, JSON.stringify(write.body)).toBe(201);
  }, 90_000);
});
