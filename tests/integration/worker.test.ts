import { ChangeMessageVisibilityCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startFauxqs, type FauxqsServer } from 'fauxqs';
import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { MemoryQueue } from '../../src/adapters/queue/memory-queue.js';
import { newId } from '../../src/core/ids.js';
import { files, jobs } from '../../src/models/index.js';
import { JOB_REGISTRY, defineJob, type JobRegistry } from '../../src/workers/jobs.js';
import { createWorkerHost } from '../../src/workers/host.js';
import { MAX_ATTEMPTS } from '../../src/workers/runner.js';
import { createWorkerHandler } from '../../src/workers/worker.js';
import { startBackground } from '../../src/workers/runtime.js';
import { newTenant, startServer, type TestServer } from '../helpers/server.js';
import { useServer } from '../factories/index.js';
import { waitJob } from '../api/jobs.helpers.js';

/** Jobs that only tests register: one always fails, one fails twice then succeeds. */
let flakyCalls = 0;
const TEST_REGISTRY: JobRegistry = {
  ...JOB_REGISTRY,
  'test.poison': defineJob({ type: 'test.poison', payload: z.object({ tenantId: z.string() }), run: async () => { throw new Error('boom'); } }),
  'test.flaky': defineJob({
    type: 'test.flaky',
    payload: z.object({ tenantId: z.string() }),
    run: async () => {
      if (++flakyCalls < 3) throw new Error('not yet');
      return { ok: true };
    },
  }),
};

/** A worker host over the container's services with the test jobs registered (and, optionally, its own queue). */
function testHost(srv: TestServer, queue = srv.container.queue) {
  const c = srv.container;
  return createWorkerHost({ services: c.workers.services, queue, logger: c.logger, clock: c.clock, registry: TEST_REGISTRY });
}

async function insertJob(srv: TestServer, tenantId: string, type: string) {
  const id = newId();
  await srv.container.db.scoped({ tenantId }, (tx) => tx.insert(jobs).values({ id, tenantId, type, payload: { tenantId } }));
  return id;
}
const jobRow = (srv: TestServer, tenantId: string, id: string) =>
  srv.container.db.scoped({ tenantId }, async (tx) => (await tx.select().from(jobs).where(eq(jobs.id, id)))[0]!);

describe('SQS queue and Lambda worker (fauxqs)', () => {
  let sqs: FauxqsServer;
  let srv: TestServer;
  let client: SQSClient;
  let queueUrl: string;
  let dlqUrl: string;
  let handler: ReturnType<typeof createWorkerHandler>;

  beforeAll(async () => {
    process.env.AWS_ACCESS_KEY_ID ??= 'test';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
    sqs = await startFauxqs({ port: 0, logger: false });
    const dlq = sqs.createQueue('jobs-dlq');
    dlqUrl = dlq.queueUrl;
    queueUrl = sqs.createQueue('jobs', {
      attributes: { VisibilityTimeout: '30', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.queueArn, maxReceiveCount: String(MAX_ATTEMPTS) }) },
    }).queueUrl;
    srv = await startServer({ env: { JOBS_QUEUE_URL: queueUrl, SQS_ENDPOINT: sqs.address, AWS_REGION: 'us-east-1' } });
    client = new SQSClient({ endpoint: sqs.address, region: 'us-east-1' });
    const host = testHost(srv);
    handler = createWorkerHandler(async () => host);
  });
  afterAll(async () => {
    await srv?.close();
    client?.destroy();
    await sqs?.stop();
  });

  /** What the Lambda event source mapping does: receive a batch, invoke, delete the successes, release the failures. */
  async function deliver(url = queueUrl) {
    const got = await client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['ApproximateReceiveCount'], WaitTimeSeconds: 0 }));
    const records = (got.Messages ?? []).map((m) => ({ messageId: m.MessageId!, body: m.Body!, receiptHandle: m.ReceiptHandle!, attributes: { ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1' } }));
    if (!records.length) return { records, failures: [] as string[] };
    const res = (await handler({ Records: records })) as { batchItemFailures: { itemIdentifier: string }[] };
    const failed = new Set(res.batchItemFailures.map((f) => f.itemIdentifier));
    const ok = records.filter((r) => !failed.has(r.messageId));
    if (ok.length) await client.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: ok.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })) }));
    for (const r of records.filter((x) => failed.has(x.messageId)))
      await client.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: r.receiptHandle, VisibilityTimeout: 0 }));
    return { records, failures: res.batchItemFailures.map((f) => f.itemIdentifier) };
  }

  it('the API sends {jobId, tenantId} to SQS; a batch where one message fails reports exactly that message id', async () => {
    expect(srv.container.queue.kind).toBe('sqs');
    const { owner, tenant } = await newTenant(srv);
    const r = await owner.post('/reports', { type: 'attendance', from: '2025-01-01', to: '2025-01-31' });
    expect(r.status).toBe(202);
    const poison = await insertJob(srv, tenant.id, 'test.poison');
    await srv.container.queue.send({ jobId: poison, tenantId: tenant.id });
    // The report's message is sent by the outbox's dispatch subscriber after the commit (drained asynchronously).
    await vi.waitFor(
      async () => {
        const a = await client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
        expect(Number(a.Attributes?.ApproximateNumberOfMessages)).toBe(2);
      },
      { timeout: 15_000, interval: 100 },
    );

    const { records, failures } = await deliver();
    expect(records).toHaveLength(2);
    const poisonMsg = records.find((m) => JSON.parse(m.body).jobId === poison)!;
    expect(JSON.parse(records.find((m) => m !== poisonMsg)!.body)).toEqual({ jobId: r.body.jobId, tenantId: tenant.id });
    expect(failures).toEqual([poisonMsg.messageId]);
    expect((await waitJob(owner, r.body.jobId)).status).toBe('succeeded');
    expect(await jobRow(srv, tenant.id, poison)).toMatchObject({ status: 'queued', attempts: 1 });

    // A redelivery of the finished report is acknowledged without running it again.
    const again = await handler({ Records: [{ messageId: 'm-dup', body: JSON.stringify({ jobId: r.body.jobId, tenantId: tenant.id }), attributes: { ApproximateReceiveCount: '2' } }] });
    expect(again).toEqual({ batchItemFailures: [] });

    // The poison message comes back until its fifth delivery fails: the job is failed, the message lands in the DLQ.
    for (let i = 0; i < 10; i++) {
      const d = await deliver();
      if (!d.records.length) break;
    }
    const row = await jobRow(srv, tenant.id, poison);
    expect(row).toMatchObject({ status: 'failed', attempts: MAX_ATTEMPTS });
    expect(row.error).toBe(`Failed after ${MAX_ATTEMPTS} attempts: boom`);
    const dead = await client.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10 }));
    expect(dead.Messages?.map((m) => JSON.parse(m.Body!).jobId)).toEqual([poison]);
  });

  it('malformed bodies are acknowledged (logged), never reported with an empty id; scheduler events run their task', async () => {
    const res = await handler({ Records: [{ messageId: 'bad-1', body: 'not json' }, { messageId: 'bad-2', body: '{"jobId":1}' }] });
    expect(res).toEqual({ batchItemFailures: [] });
    const task = (await handler({ source: 'daycare.scheduler', task: 'attendance.rollup' })) as { task: string };
    expect(task.task).toBe('attendance.rollup');
    await expect(handler({ source: 'daycare.scheduler', task: 'rm -rf' })).rejects.toThrow('unsupported event');
  });
});

describe('in-process queue', () => {
  const srv = useServer();

  it('retries with backoff until the job succeeds, and gives up after five attempts', async () => {
    const { tenant } = await newTenant(srv);
    const queue = new MemoryQueue({ backoffMs: () => 5 });
    const host = testHost(srv, queue);
    queue.setHandler((m, attempt) => host.consume(m, attempt));
    flakyCalls = 0;
    const flaky = await insertJob(srv, tenant.id, 'test.flaky');
    const poison = await insertJob(srv, tenant.id, 'test.poison');
    await queue.send({ jobId: flaky, tenantId: tenant.id });
    await queue.send({ jobId: poison, tenantId: tenant.id });
    await queue.idle();
    expect(await jobRow(srv, tenant.id, flaky)).toMatchObject({ status: 'succeeded', attempts: 3, result: { ok: true }, progress: 100 });
    expect(await jobRow(srv, tenant.id, poison)).toMatchObject({ status: 'failed', attempts: MAX_ATTEMPTS, error: 'Failed after 5 attempts: boom' });
    await queue.close();
  });

  it('a report job run again after it made its file returns that file instead of writing another (idempotent)', async () => {
    const { owner, tenant } = await newTenant(srv);
    const r = await owner.post('/reports', { type: 'attendance', from: '2025-01-01', to: '2025-01-02' });
    const done = await waitJob(owner, r.body.jobId);
    const countFiles = () => srv.container.db.scoped({ tenantId: tenant.id }, async (tx) => (await tx.select({ n: count() }).from(files).where(eq(files.tenantId, tenant.id)))[0]!.n);
    expect(await countFiles()).toBe(1);
    // As if the worker had crashed after the file was written but before the job was marked done.
    await srv.container.db.scoped({ tenantId: tenant.id }, (tx) => tx.update(jobs).set({ status: 'running' }).where(eq(jobs.id, r.body.jobId)));
    expect((await srv.container.workers.runJob(r.body.jobId, tenant.id, 2)).status).toBe('succeeded');
    expect(await countFiles()).toBe(1);
    expect((await waitJob(owner, r.body.jobId)).result).toEqual(done.result);
    // A finished job is not run again at all.
    expect((await srv.container.workers.runJob(r.body.jobId, tenant.id, 3)).status).toBe('skipped');
  });
});

// Its own PGlite database: recovery re-queues every unfinished job it can see, and on a shared server database that
// would include other test files' jobs.
describe('startBackground', () => {
  const srv = useServer({ engine: 'pglite' });

  it('startBackground re-queues the jobs a stopped process left queued or running (scheduler off under tests)', async () => {
    const { tenant } = await newTenant(srv);
    const left = await srv.container.db.scoped({ tenantId: tenant.id }, async (tx) => {
      const ids = [newId(), newId()];
      const payload = { tenantId: tenant.id, from: '2025-01-01', to: '2025-01-02', createdByMembershipId: null };
      await tx.insert(jobs).values(ids.map((id, i) => ({ id, tenantId: tenant.id, type: 'report.attendance', payload, status: i ? ('running' as const) : ('queued' as const) })));
      return ids;
    });
    const bg = await startBackground(srv.container);
    await (srv.container.queue as MemoryQueue).idle();
    for (const id of left) expect(await jobRow(srv, tenant.id, id)).toMatchObject({ status: 'succeeded', result: { rows: 0 } });
    await bg.stop();
  });

});
