import { count, eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { newId } from '../../src/core/ids.js';
import { jobs, students } from '../../src/models/index.js';
import { LeaseLostError } from '../../src/kernel/job-payloads.js';
import type { ImportRow } from '../../src/modules/people/students-import.rows.js';
import { createWorkerHost } from '../../src/workers/host.js';
import { defineJob, JOB_REGISTRY, type JobRegistry } from '../../src/workers/jobs.js';
import { ENGINES } from '../helpers/engines.js';
import { newTenant, type TestServer } from '../helpers/server.js';
import { useServer } from '../factories/index.js';
import { uploadCsv } from '../api/jobs.helpers.js';

/**
 * One run per job (issue 20, points 2 and 4): a run claims the job with a lease and a fencing token, renews the lease
 * while it runs (heartbeat), a second delivery meanwhile is `busy`, a lease that ran out is taken over, and the run
 * that lost it writes nothing more — neither its batches nor its result. Imports of one centre are serialised.
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const REGISTRY: JobRegistry = {
  ...JOB_REGISTRY,
  'test.sleep': defineJob({
    type: 'test.sleep',
    payload: z.object({ tenantId: z.string(), ms: z.number() }),
    async run(ctx, p) {
      await sleep(p.ms);
      return { attempt: ctx.attempt };
    },
  }),
};

const host = (srv: TestServer) => {
  const c = srv.container;
  return createWorkerHost({ services: c.workers.services, queue: c.queue, logger: c.logger, clock: c.clock, registry: REGISTRY });
};
async function insertJob(srv: TestServer, tenantId: string, type: string, payload: Record<string, unknown>) {
  const id = newId();
  await srv.container.db.scoped({ tenantId }, (tx) => tx.insert(jobs).values({ id, tenantId, type, payload: { tenantId, ...payload } }));
  return id;
}
const jobRow = (srv: TestServer, tenantId: string, id: string) =>
  srv.container.db.scoped({ tenantId }, async (tx) => (await tx.select().from(jobs).where(eq(jobs.id, id)))[0]!);
/** As if the run holding the job had died `seconds` ago: its lease ran out. */
const expireLease = (srv: TestServer, tenantId: string, id: string) =>
  srv.container.db.scoped({ tenantId }, (tx) => tx.update(jobs).set({ leaseExpiresAt: sql`now() - interval '1 second'` }).where(eq(jobs.id, id)));
const childCount = (srv: TestServer, tenantId: string) =>
  srv.container.db.scoped({ tenantId }, async (tx) => (await tx.select({ n: count() }).from(students).where(eq(students.tenantId, tenantId)))[0]!.n);

const rows = (n: number, from = 1): ImportRow[] =>
  Array.from({ length: n }, (_, i) => ({
    row: from + i,
    firstName: `Kid${from + i}`,
    lastName: 'Lease',
    dateOfBirth: '2021-01-01',
    externalId: null,
    roomId: undefined,
    status: undefined,
    allergies: undefined,
    notes: undefined,
  }));

describe.each(ENGINES)('job leases (%s)', (engine) => {
  const srv = useServer({ engine, env: { JOBS_LEASE_SECONDS: '2' } });

  it('a claim takes a lease and a new token; a second claim is busy; a lease that ran out is taken over and fences the old run out', async () => {
    const { tenant } = await newTenant(srv);
    const runs = srv.container.workers.services.jobs.runs;
    const id = await insertJob(srv, tenant.id, 'test.sleep', { ms: 0 });
    const first = await runs.start(tenant.id, id);
    expect(first).toMatchObject({ token: 1, job: { status: 'running', attempts: 1 } });
    expect(await runs.start(tenant.id, id)).toBe('busy');
    expect(await runs.expired()).not.toContainEqual({ jobId: id, tenantId: tenant.id });

    await expireLease(srv, tenant.id, id);
    expect(await runs.expired()).toContainEqual({ jobId: id, tenantId: tenant.id });
    const second = await runs.start(tenant.id, id);
    expect(second).toMatchObject({ token: 2, job: { attempts: 2 } });
    // The first run is fenced out: no heartbeat, no checkpoint, no result.
    expect(await runs.renew(tenant.id, id, 1)).toBe(false);
    expect(await runs.checkpoint(tenant.id, id, { from: 'first' }, 1)).toBe(false);
    expect(await runs.succeed(tenant.id, id, { from: 'first' }, 1)).toBe(false);
    expect(await runs.renew(tenant.id, id, 2)).toBe(true);
    expect(await runs.succeed(tenant.id, id, { from: 'second' }, 2)).toBe(true);
    expect(await jobRow(srv, tenant.id, id)).toMatchObject({ status: 'succeeded', result: { from: 'second' }, leaseExpiresAt: null });
    expect(await runs.start(tenant.id, id)).toBeUndefined();
  });

  it('a running job renews its lease: a delivery after the lease length is still busy, and the run finishes once', async () => {
    const { tenant } = await newTenant(srv);
    const workers = host(srv);
    const id = await insertJob(srv, tenant.id, 'test.sleep', { ms: 3500 });
    const running = workers.runJob(id, tenant.id, 1);
    await sleep(2600); // past the 2 s lease: only the heartbeat keeps it
    expect(await workers.runJob(id, tenant.id, 2)).toEqual({ status: 'busy' });
    expect(await running).toEqual({ status: 'succeeded' });
    expect(await jobRow(srv, tenant.id, id)).toMatchObject({ status: 'succeeded', attempts: 1, result: { attempt: 1 } });
  });

  it('a run whose lease was taken over stops at its next write and leaves the result to the new run', async () => {
    const { tenant } = await newTenant(srv);
    const workers = host(srv);
    const id = await insertJob(srv, tenant.id, 'test.sleep', { ms: 1500 });
    const old = workers.runJob(id, tenant.id, 1);
    await sleep(200);
    await expireLease(srv, tenant.id, id);
    expect(await workers.runJob(id, tenant.id, 2)).toEqual({ status: 'succeeded' });
    expect(await old).toEqual({ status: 'superseded' });
    expect(await jobRow(srv, tenant.id, id)).toMatchObject({ status: 'succeeded', attempts: 2, result: { attempt: 2 } });
  });

  it('an import batch commits only under the run that holds the job: a stale token writes no child', async () => {
    const { tenant, membership } = await newTenant(srv);
    const { students: svc, jobs: jobsSvc } = srv.container.workers.services;
    const id = await insertJob(srv, tenant.id, 'test.sleep', { ms: 0 });
    const claim = await jobsSvc.runs.start(tenant.id, id);
    if (!claim || claim === 'busy') throw new Error('not claimed');
    const actor = { tenantId: tenant.id, membershipId: membership.id, jobId: id };
    await expect(svc.importBatch({ ...actor, runToken: claim.token + 1 }, rows(10), { dryRun: false })).rejects.toBeInstanceOf(LeaseLostError);
    expect(await childCount(srv, tenant.id)).toBe(0);
    expect(await svc.importBatch({ ...actor, runToken: claim.token }, rows(10), { dryRun: false })).toMatchObject({ created: 10 });
    expect(await childCount(srv, tenant.id)).toBe(10);
  });

  it('the same file imported twice at once creates each child once', async () => {
    const { owner, tenant, membership } = await newTenant(srv);
    const workers = host(srv);
    const csv = 'firstName,lastName,dateOfBirth\n' + Array.from({ length: 1200 }, (_, i) => `Kid${i},Twice,2021-02-03`).join('\n') + '\n';
    const fileId = await uploadCsv(owner, csv);
    const payload = { fileId, dryRun: false, createdByMembershipId: membership.id };
    const [a, b] = [await insertJob(srv, tenant.id, 'import.students', payload), await insertJob(srv, tenant.id, 'import.students', payload)];
    const outcomes = await Promise.all([workers.runJob(a, tenant.id, 1), workers.runJob(b, tenant.id, 1)]);
    expect(outcomes).toEqual([{ status: 'succeeded' }, { status: 'succeeded' }]);
    expect(await childCount(srv, tenant.id)).toBe(1200);
    const results = [(await jobRow(srv, tenant.id, a)).result, (await jobRow(srv, tenant.id, b)).result] as { created: number; skipped: number }[];
    expect(results[0]!.created + results[1]!.created).toBe(1200);
  });
});
