/**
 * Lambda handler for the worker: SQS batches of job messages (partial-failure reporting) and EventBridge Scheduler
 * events `{"source":"daycare.scheduler","task":"…"}`. (stub: filled in by the jobs work)
 */
export async function handler(_event: unknown): Promise<unknown> {
  throw new Error('worker not implemented yet');
}
