/**
 * The rule of the unit of work a keyed request runs in (src/kernel/idempotency.service.ts, "The unit of work"): each
 * `db.scoped()` call made in it joins its one transaction as a savepoint with its own scope; a call that throws rolls
 * back alone; the whole rolls back only when the unit of work does (a 5xx answer); the transaction handed to
 * unitOfWork's own callback carries the scope of the last call that joined; afterCommit waits for the commit.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import { newId } from '../../src/core/ids.js';
import { forTenant, type Database, type Tx } from '../../src/db/db.js';
import { createIdempotencyService } from '../../src/kernel/idempotency.service.js';
import { ENGINES, openTestDatabase } from '../helpers/engines.js';

const rowsOf = (r: unknown) => (r as { rows: Record<string, unknown>[] }).rows;
const addTenant = (tx: Tx, id: string) => tx.execute(sql`insert into tenants (id, name, timezone) values (${id}, 'uow', 'UTC')`);

describe.each(ENGINES)('the unit of work on %s', (engine) => {
  let db: Database;
  const exists = async (id: string) => rowsOf(await db.scoped(forTenant(id), (tx) => tx.execute(sql`select id from tenants where id = ${id}`))).length === 1;
  beforeAll(async () => {
    db = await openTestDatabase(engine);
  }, 120_000);
  afterAll(async () => {
    await db?.close();
  });

  it("a joined call sees an earlier one's uncommitted write; the unit of work's rollback takes both", async () => {
    const a = newId();
    let seen = false;
    const failed = await db
      .unitOfWork(forTenant(a), async () => {
        await db.scoped(forTenant(a), (tx) => addTenant(tx, a));
        seen = rowsOf(await db.scoped(forTenant(a), (tx) => tx.execute(sql`select id from tenants where id = ${a}`))).length === 1;
        throw new Error('boom');
      })
      .catch((e: Error) => e.message);
    expect(seen).toBe(true);
    expect(failed).toBe('boom');
    expect(await exists(a)).toBe(false);
  });

  it('a joined call that throws rolls back alone: what the calls before it wrote commits with the unit of work', async () => {
    const kept = newId();
    const undone = newId();
    await db.unitOfWork(forTenant(kept), async () => {
      await db.scoped(forTenant(kept), (tx) => addTenant(tx, kept));
      await db
        .scoped(forTenant(undone), async (tx) => {
          await addTenant(tx, undone);
          throw new Error('conflict');
        })
        .catch(() => undefined);
    });
    expect(await exists(kept)).toBe(true);
    expect(await exists(undone)).toBe(false);
  });

  it("each joined call runs under its own scope; unitOfWork's own transaction then carries the last joined scope", async () => {
    const outer = newId();
    const inner = newId();
    const setting = (tx: Tx) => tx.execute(sql`select current_setting('app.tenant_id') as t`).then((r) => rowsOf(r)[0]!.t);
    const seen = await db.unitOfWork(forTenant(outer), async (tx) => {
      const before = await setting(tx);
      const joined = await db.scoped(forTenant(inner), setting);
      const after = await setting(tx);
      return { before, joined, after };
    });
    expect(seen).toEqual({ before: outer, joined: inner, after: inner });
  });

  it('afterCommit waits for the commit, and is dropped on a rollback', async () => {
    const ran: string[] = [];
    await db.unitOfWork(forTenant(newId()), async () => {
      await db.afterCommit(() => ran.push('committed'));
      expect(ran).toEqual([]);
    });
    await db.unitOfWork(forTenant(newId()), async () => {
      await db.afterCommit(() => ran.push('rolled back'));
      throw new Error('x');
    }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 20));
    expect(ran).toEqual(['committed']);
  });

  it('a keyed request: a stored (4xx) answer commits with the work before it; an answer not stored (5xx) rolls all of it back', async () => {
    const idem = createIdempotencyService({ db, clock: systemClock });
    const key = (tenantId: string) => ({ tenantId, userId: newId(), method: 'POST', path: '/x', key: newId() });
    const a = newId();
    const conflict = await idem.run(key(a), 'f', async () => {
      await db.scoped(forTenant(a), (tx) => addTenant(tx, a));
      return 409;
    }, async (status) => ({ status, body: null, headers: {} }));
    expect(conflict).toEqual({ fresh: 409 });
    expect(await exists(a)).toBe(true);
    const b = newId();
    const failed = await idem.run(key(b), 'f', async () => {
      await db.scoped(forTenant(b), (tx) => addTenant(tx, b));
      return 503;
    }, async () => null);
    expect(failed).toEqual({ fresh: 503 });
    expect(await exists(b)).toBe(false);
  });
});
