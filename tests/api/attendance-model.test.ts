import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtures, type Fixtures } from '../factories/index.js';
import type { Agent } from '../helpers/http.js';
import { newTenant, startServer, type TestServer } from '../helpers/server.js';

/**
 * Model-based test of the check-in/check-out state machine: random command sequences run against the API and
 * against a tiny model (who is in, the room's capacity); every answer must match what the model predicts.
 */
const CAPACITY = 2;
const CHILDREN = 3;

interface Model {
  open: Set<number>;
  checkIns: number;
}
interface Real {
  agent: Agent;
  kids: string[];
  roomId: string;
}

class CheckIn implements fc.AsyncCommand<Model, Real> {
  constructor(readonly child: number) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const res = await r.agent.post('/attendance/check-in', { studentId: r.kids[this.child] });
    const expected = m.open.has(this.child) || m.open.size >= CAPACITY ? 409 : 201;
    expect(res.status, res.text).toBe(expected);
    if (expected === 201) {
      m.open.add(this.child);
      m.checkIns++;
      expect(res.body).toMatchObject({ studentId: r.kids[this.child], roomId: r.roomId, checkOutAt: null });
    } else expect(res.body.error.code).toBe('CONFLICT');
  }
  toString = () => `in(${this.child})`;
}

class CheckOut implements fc.AsyncCommand<Model, Real> {
  constructor(readonly child: number) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const res = await r.agent.post('/attendance/check-out', { studentId: r.kids[this.child] });
    const expected = m.open.has(this.child) ? 200 : 409;
    expect(res.status, res.text).toBe(expected);
    if (expected === 200) {
      m.open.delete(this.child);
      expect(res.body.checkOutAt).not.toBeNull();
    }
  }
  toString = () => `out(${this.child})`;
}

class Roster implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(m: Model, r: Real) {
    const res = await r.agent.get(`/rooms/${r.roomId}/roster`);
    expect(res.status).toBe(200);
    expect(res.body.presentCount).toBe(m.open.size);
    expect(res.body.present.map((p: any) => r.kids.indexOf(p.id)).sort()).toEqual([...m.open].sort());
  }
  toString = () => 'roster';
}

describe('attendance state machine (property)', () => {
  let srv: TestServer;
  let owner: Agent;
  let fx: Fixtures;
  beforeAll(async () => {
    srv = await startServer();
    const t = await newTenant(srv);
    owner = t.owner;
    fx = fixtures(srv, t.tenant.id);
  });
  afterAll(() => srv.close());

  it('matches the model for random sequences of check-ins and check-outs', async () => {
    const child = fc.integer({ min: 0, max: CHILDREN - 1 });
    const commands = fc.commands(
      [child.map((c) => new CheckIn(c)), child.map((c) => new CheckOut(c)), fc.constant(new Roster())],
      { maxCommands: 14 },
    );
    await fc.assert(
      fc.asyncProperty(commands, async (cmds) => {
        const room = await fx.room({ capacity: CAPACITY });
        const kids: string[] = [];
        for (let i = 0; i < CHILDREN; i++) kids.push((await fx.student({ roomId: room.id })).id);
        const model: Model = { open: new Set(), checkIns: 0 };
        const real: Real = { agent: owner, kids, roomId: room.id };
        await fc.asyncModelRun(() => ({ model, real }), cmds);
        // Afterwards the stored records agree with the model too.
        const list = await owner.get(`/attendance?roomId=${room.id}&limit=200`);
        expect(list.body.items).toHaveLength(model.checkIns);
        const open = list.body.items.filter((x: any) => x.checkOutAt === null).map((x: any) => kids.indexOf(x.studentId));
        expect(open.sort()).toEqual([...model.open].sort());
      }),
      { numRuns: 30 },
    );
  }, 120_000); // 30 generated scenarios over HTTP: generous on a loaded CI machine, no timing is asserted
});
