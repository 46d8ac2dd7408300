/**
 * The enrolment service with its ports handed in directly (a real database underneath): what it announces through the
 * notification seam, what it asks of billing and of the tenancy service's invitation, and what a rollback leaves.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { newId } from '../../src/core/ids.js';
import { guardians, rooms, students, tenants } from '../../src/models/index.js';
import type { Database } from '../../src/db/db.js';
import { createEnrolmentService } from '../../src/modules/enrolment/enrolment.service.js';
import { createPublicEnrolmentService } from '../../src/modules/enrolment/public.service.js';
import { noBilling } from '../../src/modules/enrolment/billing-port.js';
import { peopleForEnrolment } from '../../src/modules/people/index.js';
import { MemoryCache } from '../../src/adapters/cache/memory-cache.js';
import { createRateLimiter } from '../../src/adapters/cache/rate-limiter.js';
import { loadConfig } from '../../src/core/config.js';
import { rateLimitPolicies } from '../../src/core/rate-limits.js';
import { ENGINES, openTestDatabase } from '../helpers/engines.js';
import { fakeBilling, recordingNotify, START } from '../api/enrolment.helpers.js';
import { ownerCtx } from './fakes.js';

describe.each(ENGINES)('enrolment service on %s', (engine) => {
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase(engine);
  });
  afterAll(() => db.close());

  async function centre() {
    const tenantId = newId();
    const roomId = newId();
    await db.scoped({ tenantId }, async (tx) => {
      await tx.insert(tenants).values({ id: tenantId, name: 'Service Centre', timezone: 'UTC' });
      await tx.insert(rooms).values({ id: roomId, tenantId, name: 'Robins', capacity: 3 });
    });
    return { ctx: { ...ownerCtx(tenantId), entitlements: ['billing'] }, roomId };
  }
  function services(opts: { billing?: ReturnType<typeof fakeBilling>['port'] } = {}) {
    const rec = recordingNotify();
    const invites: { email: string; roles: string[] }[] = [];
    const clock = new ManualClock();
    const enrolment = createEnrolmentService({
      db,
      clock,
      notify: rec.notify,
      billing: opts.billing ?? noBilling,
      tenancy: { invite: async (_ctx, input) => (invites.push({ email: input.email, roles: input.roles }), { id: newId() }) as never },
      people: peopleForEnrolment,
    });
    const pub = createPublicEnrolmentService({ db, clock, limits: createRateLimiter(new MemoryCache(), rateLimitPolicies(loadConfig({ NODE_ENV: 'test' })), () => clock.now().getTime()), notify: rec.notify, enrolment, people: peopleForEnrolment });
    return { enrolment, pub, rec, invites, clock };
  }
  const input = (email = `fam.${newId()}@example.test`) => ({
    child: { firstName: 'Ivy', lastName: 'Stone', dateOfBirth: '2024-04-04' },
    guardian: { firstName: 'Rue', lastName: 'Stone', email },
    desiredStartDate: START,
  });

  it('offer → notify offer.made (subject, the applicant’s email, the raw token and first name) in the offer’s transaction', async () => {
    const { ctx, roomId } = await centre();
    const { enrolment, rec } = services();
    const a = await enrolment.create(ctx, input('Rue.Stone@Example.test'));
    expect(rec.calls).toEqual([]);
    await enrolment.offer(ctx, a.id, { roomId, startDate: START });
    expect(rec.calls).toHaveLength(1);
    expect(rec.calls[0]).toMatchObject({
      tenantId: ctx.tenantId,
      req: { type: 'offer.made', subject: { type: 'application', id: a.id }, recipients: { emails: ['rue.stone@example.test'] }, data: { childFirstName: 'Ivy' } },
    });
    expect(String(rec.calls[0]!.req.data.offerToken)).toMatch(/^dco1_/);
    // Nothing in the data an email may not carry (no notes, no names beyond the child's first).
    expect(Object.keys(rec.calls[0]!.req.data).sort()).toEqual(['childFirstName', 'expiresAt', 'offerToken', 'startDate']);
  });

  it('a public submission → application.received to the applicant; a refused offer announces nothing', async () => {
    const { ctx, roomId } = await centre();
    const { enrolment, pub, rec } = services();
    const form = await pub.createForm(ctx, { name: 'Web' });
    const who = await pub.authenticateForm(form.token, { requestId: 'r', ip: '203.0.113.9', userAgent: null });
    await pub.submit(who, input('kim@example.test'));
    expect(rec.calls.map((c) => [c.req.type, c.req.recipients])).toEqual([['application.received', { emails: ['kim@example.test'] }]]);
    const [app] = (await enrolment.list(ctx, { limit: 10 })).items;
    await expect(enrolment.offer(ctx, app!.id, { roomId, startDate: '2001-01-01' })).rejects.toMatchObject({ code: 'UNPROCESSABLE' });
    expect(rec.calls).toHaveLength(1);
  });

  it('accept invites through the tenancy service (guardian role) and enrols on the plan through the billing port', async () => {
    const { ctx, roomId } = await centre();
    const PLAN = newId();
    const billing = fakeBilling(PLAN);
    const { enrolment, invites } = services({ billing: billing.port });
    const a = await enrolment.create(ctx, input('joy@example.test'));
    await enrolment.offer(ctx, a.id, { roomId, startDate: START, planId: PLAN });
    const r = await enrolment.accept(ctx, a.id);
    expect(invites).toEqual([{ email: 'joy@example.test', roles: ['guardian'] }]);
    expect(billing.enrolled).toEqual([{ guardianId: r.guardianId, studentId: r.studentId, planId: PLAN, startDate: START }]);
  });

  it('with the default billing port, an offered plan is refused (422) and an accept that needs billing rolls back whole', async () => {
    const { ctx, roomId } = await centre();
    const { enrolment } = services();
    const a = await enrolment.create(ctx, input());
    await expect(enrolment.offer(ctx, a.id, { roomId, startDate: START, planId: newId() })).rejects.toMatchObject({ code: 'UNPROCESSABLE' });
    // An offer naming a plan made while billing was wired, accepted after it was not: nothing of the accept is kept.
    const PLAN = newId();
    const wired = services({ billing: fakeBilling(PLAN).port });
    await wired.enrolment.offer(ctx, a.id, { roomId, startDate: START, planId: PLAN });
    await expect(enrolment.accept(ctx, a.id)).rejects.toMatchObject({ code: 'UNPROCESSABLE', message: 'billing is not available' });
    const after = await enrolment.get(ctx, a.id);
    expect(after).toMatchObject({ status: 'offered', studentId: null, guardianId: null });
    const left = await db.scoped({ tenantId: ctx.tenantId }, async (tx) => ({ students: await tx.select().from(students), guardians: await tx.select().from(guardians) }));
    expect(left).toEqual({ students: [], guardians: [] });
  });
});
