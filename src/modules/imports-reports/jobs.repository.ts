import { and, eq, inArray, isNull, or, sql, type SQL } from 'drizzle-orm';
import { jobs } from '../../models/index.js';
import { telemetry } from '../../core/telemetry.js';
import type { Tx } from '../../db/db.js';

export type JobRow = typeof jobs.$inferSelect;

/** A run's writes carry its fencing token: a run that lost its lease changes nothing. */
const fenced = (token: number | undefined): SQL | undefined => (token === undefined ? undefined : eq(jobs.leaseToken, token));
const written = (rows: unknown[]) => rows.length > 0;

/** The `jobs` table: the source of truth for every background job (the queue carries only ids). */
export const jobsRepository = {
  async insert(tx: Tx, values: typeof jobs.$inferInsert) {
    // The request's trace travels with the job (telemetry on): the job's span links back to it.
    const [row] = await tx.insert(jobs).values({ traceParent: telemetry.traceParent() ?? null, ...values }).returning();
    return row!;
  },
  async get(tx: Tx, tenantId: string, id: string) {
    const [row] = await tx.select().from(jobs).where(and(eq(jobs.tenantId, tenantId), eq(jobs.id, id)));
    return row;
  },
  /**
   * Claims the job for one run: running, attempts + 1, a new fencing token and a lease of `leaseSeconds` (the
   * database's clock). Only a queued job, or a running one whose lease ran out (its run died), can be claimed.
   * undefined when it is not claimable: finished, unknown, or running under a live lease (see `get`).
   */
  async claim(tx: Tx, tenantId: string, id: string, leaseSeconds: number, now: Date) {
    const [row] = await tx
      .update(jobs)
      .set({
        status: 'running',
        attempts: sql`${jobs.attempts} + 1`,
        leaseToken: sql`${jobs.leaseToken} + 1`,
        leaseExpiresAt: sql`now() + make_interval(secs => ${leaseSeconds})`,
        startedAt: now,
        updatedAt: now,
        version: sql`${jobs.version} + 1`,
      })
      .where(
        and(
          eq(jobs.tenantId, tenantId),
          eq(jobs.id, id),
          or(eq(jobs.status, 'queued'), and(eq(jobs.status, 'running'), or(isNull(jobs.leaseExpiresAt), sql`${jobs.leaseExpiresAt} < now()`))),
        ),
      )
      .returning();
    return row;
  },
  /** The heartbeat: extends the lease of the run holding `token`; false when another run took the job over. */
  async renew(tx: Tx, tenantId: string, id: string, token: number, leaseSeconds: number) {
    const rows = await tx
      .update(jobs)
      .set({ leaseExpiresAt: sql`now() + make_interval(secs => ${leaseSeconds})` })
      .where(and(eq(jobs.tenantId, tenantId), eq(jobs.id, id), eq(jobs.leaseToken, token), eq(jobs.status, 'running')))
      .returning({ id: jobs.id });
    return rows.length > 0;
  },
  /**
   * The fence of a run's writes: locks the job row for the rest of the transaction if `token` still holds it. A
   * takeover (a claim) waits for that transaction, so it sees everything the old run committed, and the old run's
   * next transaction finds the token changed.
   */
  async holds(tx: Tx, tenantId: string, id: string, token: number) {
    const rows = await tx
      .select({ id: jobs.id })
      .from(jobs)
      .where(and(eq(jobs.tenantId, tenantId), eq(jobs.id, id), eq(jobs.leaseToken, token), eq(jobs.status, 'running')))
      .for('update');
    return rows.length > 0;
  },
  /** Running jobs whose lease ran out: their run died (a killed or crashed worker). */
  async expiredLeases(tx: Tx, tenantId: string) {
    return tx
      .select({ id: jobs.id })
      .from(jobs)
      .where(and(eq(jobs.tenantId, tenantId), eq(jobs.status, 'running'), sql`${jobs.leaseExpiresAt} < now()`))
      .orderBy(jobs.id);
  },
  async progress(tx: Tx, tenantId: string, id: string, progress: number, now: Date, token?: number) {
    await tx
      .update(jobs)
      .set({ progress, updatedAt: now, version: sql`${jobs.version} + 1` })
      .where(and(eq(jobs.tenantId, tenantId), eq(jobs.id, id), eq(jobs.status, 'running'), fenced(token)));
  },
  /** Saves a partial result while running (a report's file), so a retry does not redo the work. */
  async checkpoint(tx: Tx, tenantId: string, id: string, result: unknown, now: Date, token?: number) {
    return written(
      await tx
        .update(jobs)
        .set({ result: result as any, updatedAt: now, version: sql`${jobs.version} + 1` })
        .where(and(eq(jobs.tenantId, tenantId), eq(jobs.id, id), fenced(token)))
        .returning({ id: jobs.id }),
    );
  },
  async succeed(tx: Tx, tenantId: string, id: string, result: unknown, now: Date, token?: number) {
    return written(
      await tx
        .update(jobs)
        .set({ status: 'succeeded', progress: 100, result: result as any, error: null, finishedAt: now, updatedAt: now, leaseExpiresAt: null, version: sql`${jobs.version} + 1` })
        .where(and(eq(jobs.tenantId, tenantId), eq(jobs.id, id), fenced(token)))
        .returning({ id: jobs.id }),
    );
  },
  async fail(tx: Tx, tenantId: string, id: string, error: string, now: Date, token?: number) {
    return written(
      await tx
        .update(jobs)
        .set({ status: 'failed', error, finishedAt: now, updatedAt: now, leaseExpiresAt: null, version: sql`${jobs.version} + 1` })
        .where(and(eq(jobs.tenantId, tenantId), eq(jobs.id, id), inArray(jobs.status, ['queued', 'running']), fenced(token)))
        .returning({ id: jobs.id }),
    );
  },
  /** Back to the queue after a failed attempt; the last error is kept for the logs (the API shows it once failed). */
  async requeue(tx: Tx, tenantId: string, id: string, error: string, now: Date, token?: number) {
    return written(
      await tx
        .update(jobs)
        .set({ status: 'queued', error, updatedAt: now, leaseExpiresAt: null, version: sql`${jobs.version} + 1` })
        .where(and(eq(jobs.tenantId, tenantId), eq(jobs.id, id), eq(jobs.status, 'running'), fenced(token)))
        .returning({ id: jobs.id }),
    );
  },
  /** Start-up recovery of the in-process queue: jobs a stopped process left behind. */
  async unfinished(tx: Tx, tenantId: string) {
    return tx
      .select({ id: jobs.id })
      .from(jobs)
      .where(and(eq(jobs.tenantId, tenantId), inArray(jobs.status, ['queued', 'running'])))
      .orderBy(jobs.id);
  },
};
