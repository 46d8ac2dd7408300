import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newCentre } from '../factories/index.js';
import { startServer, type TestServer } from '../helpers/server.js';

/**
 * Round trips to PostgreSQL per request on the hot routes of the morning rush (issue 28), counted at the driver: every
 * `Client.query` is one round trip (a simple-protocol string of several statements is one). Background work (the
 * outbox drain, the email sender) is switched off so only the request's own work is counted. Server only: PGlite has
 * no network round trip.
 */
describe.skipIf(!process.env.DATABASE_URL)('round trips per request on PostgreSQL', () => {
  let srv: TestServer;
  let counting = false;
  const texts: string[] = [];
  const original = pg.Client.prototype.query;
  beforeAll(async () => {
    srv = await startServer({ engine: 'pg' });
    (srv.container.workers as any).kick = () => undefined;
    pg.Client.prototype.query = function (this: pg.Client, ...args: any[]) {
      if (counting) texts.push(String(typeof args[0] === 'string' ? args[0] : args[0]?.text).slice(0, 80));
      return (original as any).apply(this, args);
    } as any;
  });
  afterAll(async () => {
    pg.Client.prototype.query = original;
    await srv?.close();
  });
  const count = async (fn: () => Promise<{ status: number }>, status: number) => {
    await fn(); // warm (permission sets, caches)
    texts.length = 0;
    counting = true;
    try {
      expect((await fn()).status).toBe(status);
    } finally {
      counting = false;
    }
    return [...texts];
  };

  it('a tenant-scoped read is one round trip (settings and statement together); /me/context too', async () => {
    const c = await newCentre(srv);
    const room = await c.fx.room({ capacity: 10 });
    const kid = await c.fx.student({ roomId: room.id });
    const today = new Date().toISOString().slice(0, 10);
    expect(await count(() => c.owner.get('/students?limit=50'), 200)).toHaveLength(1);
    expect(await count(() => c.owner.get(`/rooms/${room.id}/roster`), 200)).toHaveLength(1);
    expect(await count(() => c.owner.get(`/students/${kid.id}/daily-report?date=${today}`), 200)).toHaveLength(1);
    // Was two (the memberships, then the centre) before issue 28.
    const me = await count(() => c.owner.get('/me/context'), 200);
    expect(me).toHaveLength(1);
    expect(me[0]).toMatch(/^select set_config/);
  });

  it('a write opens its transaction with its first write (settings in the same round trip) and pays one more to commit', async () => {
    const c = await newCentre(srv);
    const room = await c.fx.room({ capacity: 10 });
    const kids = [await c.fx.student({ roomId: room.id }), await c.fx.student({ roomId: room.id })];
    let i = 0;
    const trips = await count(async () => {
      const k = kids[i++]!;
      return c.owner.post('/attendance/check-in', { studentId: k.id });
    }, 201);
    expect(trips.filter((t) => /^begin; select set_config/.test(t))).toHaveLength(1);
    expect(trips[trips.length - 1]).toBe('commit');
    // 12 before issue 28 (one statement at a time); now the reads with the room's lock, the checks with the insert, the audit, the commit.
    console.log(`POST /attendance/check-in: ${trips.length} round trips`);
    expect(trips.length).toBeLessThanOrEqual(6);
  });

  it('a kiosk lookup, check-in and check-out: the token read, then one transaction (issue 28)', async () => {
    const c = await newCentre(srv);
    const room = await c.fx.room({ capacity: 10 });
    const g = await c.fx.guardian({ firstName: 'Alex' });
    const kids = [await c.fx.student({ roomId: room.id }), await c.fx.student({ roomId: room.id }), await c.fx.student({ roomId: room.id })];
    for (const k of kids) await c.fx.link(k.id, g.id, { authorizedPickup: true });
    const pin = (await c.owner.put(`/guardians/${g.id}/pin`)).body.pin as string;
    const token = (await c.owner.post('/kiosks', { name: 'Door' })).body.token as string;
    const post = async (path: string, body: unknown) => {
      const res = await fetch(srv.url + path, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      await res.text();
      return { status: res.status };
    };
    const lookup = await count(() => post('/kiosk/lookup', { pin }), 200);
    let i = 0;
    const checkIn = await count(() => post('/kiosk/check-in', { pin, studentIds: [kids[i++]!.id] }), 201);
    let j = 0;
    const checkOut = await count(() => post('/kiosk/check-out', { pin, studentIds: [kids[j++]!.id] }), 200);
    console.log(`kiosk round trips: lookup ${lookup.length}, check-in ${checkIn.length}, check-out ${checkOut.length}`);
    for (const trips of [lookup, checkIn, checkOut]) {
      // The kiosk's token (a read), then the door's one transaction: opened by its first statement, one commit.
      expect(trips.filter((t) => /^begin\b/.test(t))).toHaveLength(1);
      expect(trips.filter((t) => /^savepoint\b/.test(t))).toHaveLength(0);
      expect(trips[trips.length - 1]).toBe('commit');
    }
    // Before issue 28: lookup 8, check-in 25, check-out 21 (three transactions); now 4, 8 and 9. Guards against more.
    expect(lookup.length).toBeLessThanOrEqual(4);
    expect(checkIn.length).toBeLessThanOrEqual(10);
    expect(checkOut.length).toBeLessThanOrEqual(10);
  });
});
