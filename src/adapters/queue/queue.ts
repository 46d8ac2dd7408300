/** The queue carries only ids; the `jobs` row is the source of truth. */
export interface JobMessage {
  jobId: string;
  tenantId: string;
}

export interface Queue {
  readonly kind: 'sqs' | 'memory';
  send(message: JobMessage, opts?: { delaySeconds?: number }): Promise<void>;
}
