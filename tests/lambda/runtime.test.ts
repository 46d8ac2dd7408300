import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { lambdaContext, v2Event } from './events.js';

/** The cold-start bootstrap: a configuration error answers 500 (and retries), a dropped connection is survived. */
type Result = { statusCode: number; headers: Record<string, string>; body: string };
let handler: (e: unknown, c?: unknown) => Promise<Result>;
let runtime: typeof import('../../src/entrypoints/lambda-runtime.js');
const savedEnv = { ...process.env };
const SERVER = savedEnv.DATABASE_URL;
const APP_NAME = `daycare-lambda-test-${process.pid}`;

beforeAll(async () => {
  process.env.NODE_ENV = 'test';
  process.env.LOG_LEVEL = 'silent';
  process.env.DATA_DIR = 'memory://';
  for (const v of ['SUPABASE_URL', 'REDIS_URL', 'DB_POOL_MAX']) delete process.env[v];
  process.env.SESSION_SECRET = 'runtime-test-session-secret-0123456789abcdef';
  process.env.SUPABASE_JWT_SECRET = 'runtime-test-supabase-secret-0123456789abcdef';
  // Tag this test's connections so the one that is killed below is ours, not another test file's.
  if (SERVER) process.env.DATABASE_URL = `${SERVER}${SERVER.includes('?') ? '&' : '?'}application_name=${APP_NAME}`;
  runtime = await import('../../src/entrypoints/lambda-runtime.js');
  ({ handler } = (await import('../../src/entrypoints/lambda-api.js')) as never);
});
afterAll(async () => {
  await runtime.resetForTests();
  process.env = savedEnv;
});

describe('Lambda cold start', () => {
  it('a configuration error: one log line naming the variable, a 500 in the error shape, and the next invocation retries', async () => {
    process.env.DB_POOL_MAX = 'lots';
    const log = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const res = await handler(v2Event('GET', '/health/live', { requestId: 'CfgErr0001=' }), lambdaContext);
      expect(res.statusCode).toBe(500);
      expect(JSON.parse(res.body)).toEqual({ error: { code: 'INTERNAL', message: expect.any(String), requestId: 'CfgErr0001=' } });
      expect(res.headers['content-type']).toBe('application/json');
      expect(res.headers['x-request-id']).toBe('CfgErr0001=');
      expect(log).toHaveBeenCalledTimes(1);
      const line = String(log.mock.calls[0]![0]);
      expect(line).toContain('DB_POOL_MAX');
      expect(line).not.toContain('\n');
      expect(line).not.toContain('lots');
    } finally {
      log.mockRestore();
    }
    // Fixed (e.g. a secret set meanwhile): the next invocation starts the environment.
    delete process.env.DB_POOL_MAX;
    const ok = await handler(v2Event('GET', '/health/live'), lambdaContext);
    expect(ok.statusCode).toBe(200);
    expect((await runtime.getContainer()).config.dbPoolMax).toBe(2);
  }, 60_000);

  it.skipIf(!SERVER)('survives the database dropping its connection: the next invocation is ready again', async () => {
    const ready = () => handler(v2Event('GET', '/health/ready'), lambdaContext);
    expect((await ready()).statusCode).toBe(200);
    const admin = new pg.Client({ connectionString: SERVER });
    await admin.connect();
    try {
      const killed = await admin.query(
        `select pg_terminate_backend(pid) as killed from pg_stat_activity
          where datname = current_database() and pid <> pg_backend_pid() and application_name = $1`,
        [APP_NAME],
      );
      expect(killed.rowCount).toBeGreaterThanOrEqual(1);
    } finally {
      await admin.end();
    }
    const res = await ready();
    expect(res.statusCode, res.body).toBe(200);
    expect(JSON.parse(res.body).checks.database).toBe('ok');
    // And a transaction-using route works as well.
    expect((await ready()).statusCode).toBe(200);
  });
});
