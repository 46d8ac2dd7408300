import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { JobMessage, Queue } from './queue.js';

/** SQS: the API sends `{jobId, tenantId}`; the worker Lambda (src/entrypoints/lambda-worker.ts) consumes the batches. */
export class SqsQueue implements Queue {
  readonly kind = 'sqs' as const;
  private readonly client: SQSClient;
  constructor(private readonly opts: { queueUrl: string; region: string; endpoint?: string }) {
    this.client = new SQSClient({ region: opts.region, ...(opts.endpoint ? { endpoint: opts.endpoint } : {}) });
  }

  async send(message: JobMessage, opts: { delaySeconds?: number } = {}) {
    const delay = Math.max(0, Math.min(900, Math.round(opts.delaySeconds ?? 0)));
    await this.client.send(
      new SendMessageCommand({ QueueUrl: this.opts.queueUrl, MessageBody: JSON.stringify(message), ...(delay ? { DelaySeconds: delay } : {}) }),
    );
  }

  async close() {
    this.client.destroy();
  }
}
