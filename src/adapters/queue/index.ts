import type { Config } from '../../core/config.js';
import type { Queue } from './queue.js';

/** SQS when JOBS_QUEUE_URL is set, else the in-process queue. (stub: filled in by the jobs work) */
export async function openQueue(_config: Config): Promise<Queue | undefined> {
  return undefined;
}
export type { Queue };
