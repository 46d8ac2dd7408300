import type { DomainEvent } from '../kernel/events.js';
import type { WorkerServices } from './job-types.js';

/** A service method that reacts to a committed event. Idempotent: the outbox delivers at least once. */
export interface Subscriber {
  /** Stable: the outbox row remembers which subscribers already succeeded by this name. */
  name: string;
  run(services: WorkerServices, event: DomainEvent): Promise<unknown>;
}

const jobDispatch: Subscriber = {
  name: 'jobs.dispatch',
  run: (services, event) => services.jobs.dispatch(event.tenantId, (event.payload as { jobId: string }).jobId),
};

/** Event name → its subscribers, run in this order (one failing does not stop the next). */
export const SUBSCRIBERS: Record<string, Subscriber[]> = {
  // Enqueueing a job is a reaction to its committed request (issue 20 point 3): never committed-but-not-queued.
  'job.report.attendance.requested': [jobDispatch],
  'job.import.students.requested': [jobDispatch],
  'job.billing.run.requested': [jobDispatch],
};
