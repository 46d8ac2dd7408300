import { telemetry } from '../core/telemetry.js';
import { createWorkerHandler } from '../workers/worker.js';
import { describeStartupError, getContainer } from './lambda-runtime.js';

/**
 * Lambda handler for the worker: SQS batches of job messages (partial-failure reporting) and EventBridge Scheduler
 * events `{"source":"daycare.scheduler","task":"attendance.rollup"|"attendance.reminders"|"incidents.reminders"|"cleanup"}`. The container is
 * built once per execution environment (lambda-runtime.ts) and awaited on the first invocation.
 */
const handle = createWorkerHandler(async () => {
  try {
    const c = await getContainer();
    return c.workers;
  } catch (err) {
    console.error(describeStartupError(err));
    throw err;
  }
});

export async function handler(event: unknown) {
  try {
    return await handle(event);
  } finally {
    // Export this invocation's spans and job metrics before the environment is frozen (no-op when telemetry is off).
    await telemetry.flush().catch(() => undefined);
  }
}
