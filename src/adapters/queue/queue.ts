/** The queue carries only ids; the `jobs` row is the source of truth. */
export interface JobMessage {
  jobId: string;
  tenantId: string;
}

/** What a consumer of the in-process queue reports back: done (success or final failure), or try again later. */
export type DeliveryOutcome = 'done' | 'retry';

export interface Queue {
  readonly kind: 'sqs' | 'memory' | 'pgboss';
  send(message: JobMessage, opts?: { delaySeconds?: number }): Promise<void>;
  /** Stops local delivery (pending timers) or pg-boss's pool; SQS has nothing to close. */
  close(): Promise<void>;
}
