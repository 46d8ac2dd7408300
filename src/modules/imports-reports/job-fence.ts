import type { Clock } from '../../core/clock.js';
import type { Tx } from '../../db/db.js';
import { jobsRepository } from './jobs.repository.js';

/**
 * A job run's fence inside another capability's transaction (the students import's batches): whether the run still
 * holds the job (the row stays locked to the end of the transaction, so a takeover waits for it), and the run's
 * resume point, committed with the rows it counts. Handed to the students service by the container.
 */
export function createJobFence({ clock }: { clock: Clock }) {
  return {
    holds: (tx: Tx, tenantId: string, jobId: string, token: number) => jobsRepository.holds(tx, tenantId, jobId, token),
    checkpoint: (tx: Tx, tenantId: string, jobId: string, result: unknown) => jobsRepository.checkpoint(tx, tenantId, jobId, result, clock.now()),
  };
}
export type JobFence = ReturnType<typeof createJobFence>;
