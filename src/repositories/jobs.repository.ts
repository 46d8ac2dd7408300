import { and, eq, inArray, sql } from 'drizzle-orm';
import { jobs } from '../models/index.js';
import type { Tx } from './db.js';

export type JobRow = typeof jobs.$inferSelect;

/** The `jobs` table: the source of truth for every background job (the queue carries only ids). */
export const jobsRepository = {
  async insert(tx: Tx, values: typeof jobs.$inferInsert) {
    const [row] = await tx.insert(jobs).values(values).returning();
    return row!;
  },
  async get(tx: Tx, tenantId: string, id: string) {
    const [row] = await tx.select().from(jobs).where(and(eq(jobs.tenantId, tenantId), eq(jobs.id, id)));
    return row;
  },
  /** Claims the job for one delivery: running, attempts + 1. Null when it is already finished (a redelivery). */
  async start(tx: Tx, tenantId: string, id: string, now: Date) {
    const [row] = await tx
      .update(jobs)
      .set({ status: 'running', attempts: sql`${jobs.attempts} + 1`, startedAt: now, updatedAt: now, version: sql`${jobs.version} + 1` })
      .where(and(eq(jobs.tenantId, tenantId), eq(jobs.id, id), inArray(jobs.status, ['queued', 'running'])))
      .returning();
    return row;
  },
  async progress(tx: Tx, tenantId: string, id: string, progress: number, now: Date) {
    await tx
      .update(jobs)
      .set({ progress, updatedAt: now, version: sql`${jobs.version} + 1` })
      .where(and(eq(jobs.tenantId, tenantId), eq(jobs.id, id), eq(jobs.status, 'running')));
  },
  /** Saves a partial result while running (a report's file), so a retry does not redo the work. */
  async checkpoint(tx: Tx, tenantId: string, id: string, result: unknown, now: Date) {
    await tx
      .update(jobs)
      .set({ result: result as any, updatedAt: now, version: sql`${jobs.version} + 1` })
      .where(and(eq(jobs.tenantId, tenantId), eq(jobs.id, id)));
  },
  async succeed(tx: Tx, tenantId: string, id: string, result: unknown, now: Date) {
    await tx
      .update(jobs)
      .set({ status: 'succeeded', progress: 100, result: result as any, error: null, finishedAt: now, updatedAt: now, version: sql`${jobs.version} + 1` })
      .where(and(eq(jobs.tenantId, tenantId), eq(jobs.id, id)));
  },
  async fail(tx: Tx, tenantId: string, id: string, error: string, now: Date) {
    await tx
      .update(jobs)
      .set({ status: 'failed', error, finishedAt: now, updatedAt: now, version: sql`${jobs.version} + 1` })
      .where(and(eq(jobs.tenantId, tenantId), eq(jobs.id, id), inArray(jobs.status, ['queued', 'running'])));
  },
  /** Back to the queue after a failed attempt; the last error is kept for the logs (the API shows it once failed). */
  async requeue(tx: Tx, tenantId: string, id: string, error: string, now: Date) {
    await tx
      .update(jobs)
      .set({ status: 'queued', error, updatedAt: now, version: sql`${jobs.version} + 1` })
      .where(and(eq(jobs.tenantId, tenantId), eq(jobs.id, id), eq(jobs.status, 'running')));
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
