import type { Logger } from '../core/logger.js';
import type { JobMessage } from '../adapters/queue/queue.js';
import type { JobRunner } from './runner.js';
import { SCHEDULED_TASKS, type ScheduledTask } from './schedules/index.js';

export interface SqsRecord {
  messageId: string;
  body: string;
  attributes?: { ApproximateReceiveCount?: string };
}
export interface SqsEvent {
  Records: SqsRecord[];
}
export interface SchedulerEvent {
  source: 'daycare.scheduler';
  task: ScheduledTask;
}
/** The one-minute schedule's event for the outbox drain (infra/): the outbox and the due emails. */
export interface OutboxDrainEvent {
  source: 'daycare.outbox';
}
export interface BatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}

/** What the Lambda batch logic needs of the worker host (src/workers/host.ts). */
export interface LambdaWorkerHost {
  runner: JobRunner;
  runTask(task: ScheduledTask): Promise<unknown>;
  /** Drains the outbox and sends the due emails (optional: older hosts in tests have none). */
  drain?(opts?: { all?: boolean }): Promise<{ events: number; emails: number }>;
  logger: Logger;
}

const isSqsEvent = (e: unknown): e is SqsEvent => !!e && typeof e === 'object' && Array.isArray((e as SqsEvent).Records);
const isOutboxEvent = (e: unknown): e is OutboxDrainEvent => !!e && typeof e === 'object' && (e as OutboxDrainEvent).source === 'daycare.outbox';
const isSchedulerEvent = (e: unknown): e is SchedulerEvent =>
  !!e && typeof e === 'object' && (e as SchedulerEvent).source === 'daycare.scheduler' && SCHEDULED_TASKS.includes((e as SchedulerEvent).task);

function parseMessage(body: string): JobMessage | null {
  try {
    const m = JSON.parse(body);
    if (m && typeof m.jobId === 'string' && typeof m.tenantId === 'string') return { jobId: m.jobId, tenantId: m.tenantId };
  } catch {}
  return null;
}

/**
 * The worker's batch logic (hosted by src/entrypoints/lambda-worker.ts). SQS batches: every record is processed; the
 * answer lists only the records that should come back (`reportBatchItemFailures`). A job that fails on its last
 * delivery is marked failed and still reported, so the redrive policy moves the message to the dead-letter queue.
 * EventBridge Scheduler events run one scheduled task.
 */
export function createWorkerHandler(host: () => Promise<LambdaWorkerHost>) {
  return async function handler(event: unknown): Promise<BatchResponse | { task: string; result: unknown }> {
    const h = await host();
    // Within the invocation, awaited: the environment may be frozen as soon as the handler returns.
    const drain = async () => {
      try {
        return await h.drain?.({ all: true });
      } catch (err) {
        h.logger.error({ err }, 'outbox drain failed');
        return undefined;
      }
    };
    if (isOutboxEvent(event)) return { task: 'outbox.drain', result: await drain() };
    if (isSchedulerEvent(event)) {
      const result = await h.runTask(event.task);
      await drain();
      return { task: event.task, result };
    }
    if (!isSqsEvent(event)) throw new Error('unsupported event');
    const failures: { itemIdentifier: string }[] = [];
    // One at a time: the function's database pool is tiny on purpose, and SQS maxConcurrency caps the fan-out.
    for (const record of event.Records) {
      const msg = parseMessage(record.body);
      if (!msg) {
        // A malformed body never becomes valid: acknowledge it (it is logged) rather than loop it to the DLQ.
        h.logger.error({ messageId: record.messageId }, 'dropping a malformed job message');
        continue;
      }
      const attempt = Math.max(1, Number(record.attributes?.ApproximateReceiveCount ?? 1) || 1);
      try {
        const outcome = await h.runner.runJob(msg.jobId, msg.tenantId, attempt);
        // busy: another run holds the job under a live lease; SQS brings the message back after its visibility
        // timeout, by when that run has finished (skipped then) or its lease has run out (taken over).
        if (outcome.status === 'retry' || outcome.status === 'busy' || (outcome.status === 'failed' && outcome.reason === 'exhausted')) failures.push({ itemIdentifier: record.messageId });
      } catch (err) {
        h.logger.error({ jobId: msg.jobId, err }, 'job delivery failed');
        failures.push({ itemIdentifier: record.messageId });
      }
    }
    // What the batch's jobs recorded (and anything an API function committed but could not send) goes out now.
    await drain();
    return { batchItemFailures: failures.filter((f) => f.itemIdentifier) };
  };
}
