import type { z } from 'zod';
import type { JobName } from '../kernel/job-payloads.js';
import { JOBS } from '../modules/index.js';
import type { JobDefinition } from './job-types.js';

export * from './job-types.js';

export type JobRegistry = Record<string, JobDefinition<z.ZodType<{ tenantId: string }>>>;

/** The handlers the modules register (src/modules/index.ts), one per job name of the typed payload map (kernel/job-payloads.ts): none missing, none extra. */
const HANDLERS: { [N in JobName]: JobDefinition<z.ZodType<{ tenantId: string }>, N> } & Record<Exclude<keyof typeof JOBS, JobName>, never> = JOBS;
export const JOB_REGISTRY: JobRegistry = HANDLERS;
