import { z } from 'zod';
import type { Config } from '../core/config.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { Database } from '../repositories/db.js';
import type { JobRow } from '../repositories/jobs.repository.js';
import type { Storage } from '../adapters/storage/storage.js';
import type { Queue } from '../adapters/queue/queue.js';
import { str } from '../core/strings.js';

/** The file-service operations jobs use (implemented by src/services/files.service.ts). */
export interface ServerFiles {
  createServerFile(
    tenantId: string,
    meta: { purpose: 'report'; fileName: string; contentType: string; createdByMembershipId: string | null },
    write: (key: string) => Promise<{ size: number }>,
  ): Promise<{ id: string }>;
  confirmUploaded(
    ctx: { tenantId: string },
    fileId: string,
  ): Promise<{ id: string; storageKey: string; contentType: string; size: number; purpose: string; status: string }>;
}

/** What job handlers and scheduled tasks may use: the container's adapters, narrowed. */
export interface WorkerDeps {
  config: Config;
  logger: Logger;
  clock: Clock;
  db: Database;
  storage: Storage | undefined;
  queue: Queue;
  files: ServerFiles;
}

export interface JobContext {
  deps: WorkerDeps;
  job: JobRow;
  attempt: number;
  /** 0–100; written to the job row (throttled). */
  progress(percent: number): Promise<void>;
  /** Saves a partial result now, so a retry after a crash finds it (a report's finished file). */
  checkpoint(result: unknown): Promise<void>;
}

/** A failure that retrying cannot fix (bad payload, missing file, malformed CSV header): the job fails at once. */
export class PermanentJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentJobError';
  }
}

export interface JobDefinition<S extends z.ZodType<{ tenantId: string }>> {
  type: string;
  payload: S;
  run(ctx: JobContext, payload: z.infer<S>): Promise<unknown>;
}

export const defineJob = <S extends z.ZodType<{ tenantId: string }>>(def: JobDefinition<S>) => def;

export const tenantPayload = z.object({ tenantId: str().uuid() });
