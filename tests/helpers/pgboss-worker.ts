// A worker process for tests/integration/pgboss.test.ts: the same container, worker host and pg-boss consumer as
// `npm run worker` (src/entrypoints/worker.ts), plus two test job types and a schedule ticking every minute, with a
// fast clock and polling so the test stays short.
import { z } from 'zod';
import { PgBossQueue } from '../../src/adapters/queue/pgboss-queue.js';
import { createContainer } from '../../src/container.js';
import { loadConfig } from '../../src/core/config.js';
import { createWorkerHost } from '../../src/workers/host.js';
import { defineJob, JOB_REGISTRY } from '../../src/workers/jobs.js';
import { startPgBossWorker } from '../../src/workers/pgboss.js';
import { MAX_ATTEMPTS } from '../../src/workers/runner.js';

const payload = z.object({ tenantId: z.string(), firstAttemptMs: z.number(), laterAttemptsMs: z.number(), fail: z.boolean().optional() });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const testJob = defineJob({
  type: 'test.sleep',
  payload,
  async run(ctx, p) {
    ctx.logger.info({ worker: process.env.WORKER_NAME }, 'test job running');
    await sleep(ctx.attempt === 1 ? p.firstAttemptMs : p.laterAttemptsMs);
    if (p.fail) throw new Error('this test job always fails');
    return { worker: process.env.WORKER_NAME };
  },
});

const config = loadConfig();
const container = await createContainer(config);
await container.db.migrate();
const queue = new PgBossQueue(
  { databaseUrl: config.databaseUrl!, maxAttempts: MAX_ATTEMPTS, timeoutSeconds: config.jobs.timeoutSeconds, retryDelaySeconds: config.jobs.retryDelaySeconds, clockSeconds: 1 },
  'worker',
);
const workers = createWorkerHost({ services: container.workers.services, queue, logger: container.logger, clock: container.clock, registry: { ...JOB_REGISTRY, 'test.sleep': testJob } });
const worker = await startPgBossWorker({ workers, queue, logger: container.logger, config }, { pollingIntervalSeconds: 0.5, schedules: { cleanup: '* * * * *' } });
container.logger.info({ worker: process.env.WORKER_NAME }, 'test worker ready');
process.on('SIGTERM', async () => {
  await worker.stop(2000);
  await container.close();
  process.exit(0);
});
