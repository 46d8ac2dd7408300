import type { z } from 'zod';
import type { JobActor } from '../core/context.js';
import type { Logger } from '../core/logger.js';
import type { OutboxService } from '../kernel/events.js';
import type { FilesService } from '../modules/files/index.js';
import type { JobRecord, JobsService } from '../modules/imports-reports/index.js';
import type { ReportsService } from '../modules/imports-reports/index.js';
import type { StudentsService } from '../modules/people/index.js';
import type { TasksService } from '../modules/tasks/index.js';
import type { BillingService } from '../modules/billing/index.js';

export { PermanentJobError } from '../kernel/job-payloads.js';

/** The services background work calls: handed to the worker host by the container, as createApp is handed them. */
export interface WorkerServices {
  jobs: JobsService;
  students: StudentsService;
  files: FilesService;
  reports: ReportsService;
  tasks: TasksService;
  billing: BillingService;
  /** The transactional outbox the host drains (kernel/events.ts). */
  outbox: OutboxService;
  /** Sends the email deliveries that are due (services/notifications/); optional until a deployment wires it. */
  notifications?: { sendDue(limit?: number, foreignGraceSeconds?: number | null): Promise<number> };
}

export interface JobContext {
  services: WorkerServices;
  logger: Logger;
  job: JobRecord;
  attempt: number;
  /** The centre, the member who asked and the job: passed first to the service methods a handler calls. */
  actor: JobActor;
  /** 0–100; written to the job row (throttled). */
  progress(percent: number): Promise<void>;
  /** Saves a partial result now, so a retry after a crash finds it (a report's finished file). */
  checkpoint(result: unknown): Promise<void>;
}

export interface JobDefinition<S extends z.ZodType<{ tenantId: string }>, T extends string = string> {
  type: T;
  payload: S;
  run(ctx: JobContext, payload: z.infer<S>): Promise<unknown>;
}

export const defineJob = <S extends z.ZodType<{ tenantId: string }>, T extends string>(def: JobDefinition<S, T>) => def;
