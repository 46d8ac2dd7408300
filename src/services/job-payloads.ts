import { z } from 'zod';

/**
 * The typed map of job name → payload schema (always with `tenantId`). The jobs service checks a payload against its
 * name when it enqueues; the worker host parses it again with the same schema before a handler sees it.
 */
export const JOB_PAYLOADS = {
  'report.attendance': z.object({
    tenantId: z.string().uuid(),
    from: z.string(),
    to: z.string(),
    roomId: z.string().uuid().optional(),
    createdByMembershipId: z.string().uuid().nullable(),
  }),
  'import.students': z.object({
    tenantId: z.string().uuid(),
    fileId: z.string().uuid(),
    dryRun: z.boolean(),
    createdByMembershipId: z.string().uuid().nullable(),
  }),
} as const;

export type JobName = keyof typeof JOB_PAYLOADS;
export type JobPayload<N extends JobName> = z.infer<(typeof JOB_PAYLOADS)[N]>;
export const JOB_NAMES = Object.keys(JOB_PAYLOADS) as JobName[];

/** A failure that retrying cannot fix (bad payload, missing file, malformed CSV header): the job fails at once. */
export class PermanentJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentJobError';
  }
}
