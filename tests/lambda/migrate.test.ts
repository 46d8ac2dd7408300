import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler } from '../../src/entrypoints/lambda-migrate.js';

const savedEnv = { ...process.env };
const SERVER = savedEnv.DATABASE_URL;
beforeAll(() => {
  for (const v of ['DATABASE_URL_SECRET_ARN', 'SESSION_SECRET_ARN']) delete process.env[v];
});
afterAll(() => {
  process.env = savedEnv;
});

describe('Lambda migrate handler', () => {
  it.skipIf(!SERVER)('migrates the server (idempotent, under the advisory lock) and returns {ok, engine}', async () => {
    process.env.NODE_ENV = 'production';
    process.env.DATABASE_URL = SERVER;
    const [a, b] = await Promise.all([handler({}), handler({})]);
    expect(a).toMatchObject({ ok: true, engine: 'pg' });
    expect(b).toMatchObject({ ok: true, engine: 'pg' });
  });

  it('migrates an embedded PGlite when no DATABASE_URL is set (local invocation)', async () => {
    process.env.NODE_ENV = 'development';
    delete process.env.DATABASE_URL;
    process.env.DATA_DIR = 'memory://';
    expect(await handler()).toMatchObject({ ok: true, engine: 'pglite' });
  }, 60_000);

  it('throws in production without a database URL, and on an unreachable server', async () => {
    process.env.NODE_ENV = 'production';
    delete process.env.DATABASE_URL;
    await expect(handler()).rejects.toThrow(/DATABASE_URL/);
    process.env.DATABASE_URL = 'postgres://nobody@127.0.0.1:1/none';
    await expect(handler()).rejects.toThrow();
  });
});
