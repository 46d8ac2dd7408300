/**
 * The transactional outbox (services/events.ts, src/workers/host.ts) on both engines: an event commits or rolls back
 * with its change; the drain hands each event to its subscribers, retries a failing one with backoff while the
 * others (of that event and of other events) go on, never runs a subscriber that already succeeded again, and two
 * drains at once never deliver one event twice.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import { newId } from '../../src/core/ids.js';
import { createLogger } from '../../src/core/logger.js';
import { tenants } from '../../src/models/index.js';
import { auditRepository } from '../../src/db/audit.repository.js';
import { forTenant, systemWide, type Database } from '../../src/db/db.js';
import { outboxRepository } from '../../src/db/outbox.repository.js';
import { createOutboxService, events } from '../../src/kernel/events.js';
import { createWorkerHost } from '../../src/workers/host.js';
import type { Subscriber } from '../../src/workers/subscribers.js';
import { ENGINES, openTestDatabase } from '../helpers/engines.js';

const logger = createLogger('silent');

for (const engine of ENGINES) {
  describe(`outbox (${engine})`, () => {
    let db: Database;
    let tenantId: string;
    beforeAll(async () => {
      db = await openTestDatabase(engine);
      tenantId = newId();
      await db.raw.insert(tenants).values({ id: tenantId, name: 'Outbox centre', timezone: 'UTC' });
    });
    afterAll(() => db.close());

    const rows = (name: string) =>
      db.raw.execute(sql`select status, attempts, delivered, last_error as "lastError" from outbox_events where tenant_id = ${tenantId} and name = ${name} order by id`).then(
        (r) => (r as unknown as { rows: { status: string; attempts: number; delivered: string[]; lastError: string | null }[] }).rows,
      );
    const actor = { tenantId: '', actorUserId: null, actorMembershipId: null, ip: null, userAgent: null, requestId: 'req-outbox' };
    // The database may be shared with other test files' servers: subscribers act on this test's centre only.
    const mine = (subs: Record<string, Subscriber[]>) =>
      Object.fromEntries(Object.entries(subs).map(([n, list]) => [n, list.map((s) => ({ ...s, run: async (sv: never, e: { tenantId: string }) => (e.tenantId === tenantId ? s.run(sv, e as never) : undefined) }))]));
    const host = (subscribers: Record<string, Subscriber[]>) =>
      createWorkerHost({ services: { outbox: createOutboxService({ db, logger }), jobs: { runs: {} } } as never, queue: { send: async () => undefined }, logger, clock: systemClock, subscribers: mine(subscribers) });

    it('an event commits with its change and is not announced when the change rolls back', async () => {
      const jobId = newId();
      await db.scoped(forTenant(tenantId), (tx) =>
        events.record(tx, { ...actor, tenantId }, 'job.report.attendance.requested', { jobId, type: 'report.attendance', payload: { tenantId } }, { type: 'job', id: jobId }),
      );
      await db
        .scoped(forTenant(tenantId), async (tx) => {
          await auditRepository.append(tx, { ...actor, tenantId, action: 'test.rolled_back', targetType: 'x', targetId: newId() });
          throw new Error('roll back');
        })
        .catch(() => undefined);
      expect(await rows('job.report.attendance.requested')).toHaveLength(1);
      expect(await rows('test.rolled_back')).toEqual([]);
      // The typed map checks the payload against the name.
      await expect(db.scoped(forTenant(tenantId), (tx) => events.record(tx, { ...actor, tenantId }, 'job.import.students.requested', { jobId: 'nope' } as never))).rejects.toThrow();
    });

    it('a failing subscriber is retried with backoff; the other subscribers and events are not held up, nor run twice', async () => {
      const ran: string[] = [];
      let flakyFails = 1;
      const subs: Record<string, Subscriber[]> = {
        'test.a': [
          { name: 'ok1', run: async () => void ran.push('ok1') },
          {
            name: 'flaky',
            run: async () => {
              ran.push('flaky');
              if (flakyFails-- > 0) throw new Error('flaky is down');
            },
          },
        ],
        'test.b': [{ name: 'ok2', run: async () => void ran.push('ok2') }],
      };
      await db.scoped(forTenant(tenantId), async (tx) => {
        await auditRepository.append(tx, { ...actor, tenantId, action: 'test.a', targetType: 'x', targetId: newId(), after: { n: 1 } });
        await auditRepository.append(tx, { ...actor, tenantId, action: 'test.b', targetType: 'x', targetId: newId() });
      });
      const h = host(subs);
      await h.drain();
      expect(ran.sort()).toEqual(['flaky', 'ok1', 'ok2']);
      expect(await rows('test.b')).toMatchObject([{ status: 'done', attempts: 1 }]);
      const [a] = await rows('test.a');
      expect(a).toMatchObject({ status: 'pending', attempts: 1, delivered: ['ok1'] });
      expect(a!.lastError).toContain('flaky is down');
      // Backing off: not due yet.
      ran.length = 0;
      await h.drain();
      expect(ran).toEqual([]);
      await db.raw.execute(sql`update outbox_events set available_at = now() where tenant_id = ${tenantId} and name = 'test.a'`);
      await h.drain();
      expect(ran).toEqual(['flaky']);
      expect(await rows('test.a')).toMatchObject([{ status: 'done', attempts: 2, lastError: null }]);
    });

    it('two drains at once deliver each event once', async () => {
      const seen: string[] = [];
      const subs: Record<string, Subscriber[]> = { 'test.many': [{ name: 'count', run: async (_s, e) => void seen.push(String(e.id)) }] };
      await db.scoped(forTenant(tenantId), async (tx) => {
        for (let i = 0; i < 30; i++) await auditRepository.append(tx, { ...actor, tenantId, action: 'test.many', targetType: 'x', targetId: newId() });
      });
      await Promise.all([host(subs).drain(), host(subs).drain(), host(subs).drain()]);
      expect(seen).toHaveLength(30);
      expect(new Set(seen).size).toBe(30);
      expect((await rows('test.many')).every((r) => r.status === 'done')).toBe(true);
      // The cleanup task's purge: finished rows go (the system scope may delete only those), pending ones stay.
      await db.scoped(forTenant(tenantId), (tx) => auditRepository.append(tx, { ...actor, tenantId, action: 'test.pending', targetType: 'x', targetId: newId() }));
      await db.scoped(systemWide(), (tx) => outboxRepository.purge(tx, 0));
      expect(await rows('test.many')).toEqual([]);
      expect(await rows('test.pending')).toHaveLength(1);
    });
  });
}
