import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgBossQueue } from '../../src/adapters/queue/pgboss-queue.js';
import { newId } from '../../src/core/ids.js';

/**
 * The pg-boss consumer's loop (issue 20, point 5), in this process on a database of this test's own: it fetches as
 * many jobs as it has free slots, never runs more than `concurrency` at once, fetches again as soon as a slot frees
 * (not once per polling interval), and awaits each completion.
 */
const serverUrl = process.env.DATABASE_URL;
const local = !!serverUrl && ['127.0.0.1', 'localhost'].includes(new URL(serverUrl).hostname);

describe.skipIf(!local)('pg-boss consumer loop', () => {
  const dbName = `daycare_pump_${process.pid}`;
  const url = (name: string) => {
    const u = new URL(serverUrl!);
    u.hostname = '127.0.0.1';
    u.pathname = `/${name}`;
    return u.toString();
  };
  const admin = async (q: string) => {
    const c = new pg.Client({ connectionString: url('postgres') });
    await c.connect();
    await c.query(q);
    await c.end();
  };
  let sender: PgBossQueue;
  let consumer: PgBossQueue;

  beforeAll(async () => {
    await admin(`drop database if exists ${dbName} with (force)`);
    await admin(`create database ${dbName}`);
    const opts = { databaseUrl: url(dbName), maxAttempts: 2, timeoutSeconds: 60, retryDelaySeconds: 0 };
    sender = new PgBossQueue(opts);
    await sender.start();
    consumer = new PgBossQueue(opts, 'worker');
  }, 60_000);

  afterAll(async () => {
    await consumer?.close(2000).catch(() => undefined);
    await sender?.close(1000).catch(() => undefined);
    await admin(`drop database if exists ${dbName} with (force)`);
  }, 30_000);

  it('runs 12 jobs three at a time, back to back, and completes each', async () => {
    const ids = Array.from({ length: 12 }, () => newId());
    for (const jobId of ids) await sender.send({ jobId, tenantId: newId() });
    let running = 0;
    let most = 0;
    const done: string[] = [];
    let started = 0;
    await consumer.consume(
      async (m) => {
        started ||= Date.now();
        most = Math.max(most, ++running);
        await new Promise((r) => setTimeout(r, 300));
        running--;
        done.push(m.jobId);
        return 'done';
      },
      { concurrency: 3, pollingIntervalSeconds: 2 },
    );
    for (let i = 0; i < 100 && done.length < 12; i++) await new Promise((r) => setTimeout(r, 100));
    const ms = Date.now() - started;
    expect(done.sort()).toEqual([...ids].sort());
    expect(most).toBe(3);
    // Four rounds of 300 ms; polling once per job and slot would take four 2-second intervals.
    expect(ms).toBeLessThan(4000);
    const c = new pg.Client({ connectionString: url(dbName) });
    await c.connect();
    for (let i = 0; i < 30; i++) {
      const { rows } = await c.query(`select state, count(*)::int n from pgboss.job where name = 'daycare-jobs' group by 1`);
      if (rows.length === 1 && rows[0].state === 'completed') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await c.query(`select state, count(*)::int n from pgboss.job where name = 'daycare-jobs' group by 1`)).rows).toEqual([{ state: 'completed', n: 12 }]);
    await c.end();
  }, 30_000);
});
