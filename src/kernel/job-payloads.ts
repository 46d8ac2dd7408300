import { z } from 'zod';
import { str } from '../core/strings.js';

/**
 * The typed map of job name → payload schema (always with `tenantId`). The jobs service checks a payload against its
 * name when it enqueues; the worker host parses it again with the same schema before a handler sees it.
 */
export const JOB_PAYLOADS = {
  'report.attendance': z.object({
    tenantId: str().uuid(),
    from: str(),
    to: str(),
    roomId: str().uuid().optional(),
    createdByMembershipId: str().uuid().nullable(),
  }),
  'import.students': z.object({
    tenantId: str().uuid(),
    fileId: str().uuid(),
    dryRun: z.boolean(),
    createdByMembershipId: str().uuid().nullable(),
  }),
  /** A month's billing run for the centre (services/billing/invoices.service.ts). */
  'billing.run': z.object({
    tenantId: str().uuid(),
    period: str().regex(/^\d{4}-(0[1-9]|1[0-2])$/),
    createdByMembershipId: str().uuid().nullable(),
  }),
} as const;

export type JobName = keyof typeof JOB_PAYLOADS;
export type JobPayload<N extends JobName> = z.infer<(typeof JOB_PAYLOADS)[N]>;

/** A failure that retrying cannot fix (bad payload, missing file, malformed CSV header): the job fails at once. */
export class PermanentJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentJobError';
  }
}

/** This run no longer holds the job (its lease ran out and another run took over): it stops, writing nothing more. */
export class LeaseLostError extends Error {
  constructor() {
    super('The job was taken over by another run');
    this.name = 'LeaseLostError';
  }
}
