/**
 * Failures and logs, below HTTP: the log serializer, unavailable → 503, configuration naming every problem, the embedded
 * database's lock and zombies, Redis failing fast and honouring its database index, and a dropped pg connection.
 */
import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { CacheUnavailableError } from '../../src/adapters/cache/cache.js';
import { RedisCache } from '../../src/adapters/cache/redis-cache.js';
import { ConfigError, loadConfig } from '../../src/core/config.js';
import { fromDatabaseError } from '../../src/core/errors.js';
import { createLogger, serializeError } from '../../src/core/logger.js';
import { isAlive, openDatabase } from '../../src/db/db.js';

describe('logs never carry query parameters or bodies', () => {
  const drizzleLike = () => {
    const cause = Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00 near "Secret"'), { code: '22021', severity: 'ERROR' });
    return Object.assign(new Error('Failed query: insert into students (first_name) values ($1)\nparams: Secret\u0000Child,peanuts'), {
      query: 'insert into students …',
      params: ['Secret\u0000Child', 'peanuts'],
      cause,
    });
  };

  it('the err serializer keeps the SQLSTATE and drops messages, queries and parameters', () => {
    const out = JSON.stringify(serializeError(drizzleLike()));
    expect(out).toContain('22021');
    expect(out).not.toMatch(/Secret|peanuts|Failed query|params/);
  });

  it('a logger line with an error, a query and a body shows none of them', () => {
    let written = '';
    const sink = new Writable({
      write(chunk, _enc, cb) {
        written += String(chunk);
        cb();
      },
    });
    const log = createLogger('info', sink);
    log.error({ err: drizzleLike(), query: { q: 'Secret' }, body: { firstName: 'Secret' }, req: { query: 'allergies=peanuts' } }, 'unhandled error');
    expect(written).toContain('unhandled error');
    expect(written).not.toMatch(/Secret|peanuts/);
  });

  it('every log call hands the error itself to the serializer, never its message (a database message quotes data)', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const files = (readdirSync('src', { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => join('src', f));
    const offenders = files.flatMap((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .map((line, i) => [f, i + 1, line] as const)
        .filter(([, , line]) => /\berr(or)?: (String\(|message\(|\w+\.message|\w+ instanceof Error)/.test(line)),
    );
    expect(offenders).toEqual([]);
  });

  it('database encoding errors are a 400, never a 500', () => {
    for (const code of ['22021', '22P05']) expect(fromDatabaseError(Object.assign(new Error('x'), { code }))?.status).toBe(400);
  });
});

describe('unavailable means 503 NOT_READY', () => {
  it.each([
    ['57P01', { code: '57P01' }],
    ['08006', { code: '08006' }],
    ['ECONNREFUSED', { code: 'ECONNREFUSED' }],
    ['pool ended', { message: 'Cannot use a pool after calling end on the pool' }],
    ['connection terminated', { message: 'Connection terminated unexpectedly' }],
    ['wrapped by drizzle', { message: 'Failed query', cause: Object.assign(new Error('x'), { code: '57P03' }) }],
  ])('%s', (_n, props) => {
    expect(fromDatabaseError(Object.assign(new Error(String((props as any).message ?? 'x')), props))?.code).toBe('NOT_READY');
  });
  it('the cache being down', () => expect(fromDatabaseError(new CacheUnavailableError('Connection is closed.'))?.code).toBe('NOT_READY'));
});

describe('start-up configuration', () => {
  it('names every missing production variable at once, in one line', () => {
    try {
      loadConfig({ NODE_ENV: 'production' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const m = (e as Error).message;
      expect(m.split('\n')).toHaveLength(1);
      for (const v of ['DATABASE_URL', 'SESSION_SECRET', 'SUPABASE_URL', 'SMTP_URL']) expect(m).toContain(v);
    }
  });
  it('names every bad variable at once, never their values', () => {
    expect(() => loadConfig({ PORT: 'abc', BODY_LIMIT: 'huge', LOG_LEVEL: 'loud' })).toThrow(/PORT.*BODY_LIMIT.*LOG_LEVEL/);
    expect(() => loadConfig({ PORT: 'abc' })).not.toThrow(/abc/);
  });
  it('a Redis URL must end in a database number, if anything', () => {
    expect(() => loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379/cache' })).toThrow(/REDIS_URL/);
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379/3' }).redisUrl).toBe('redis://127.0.0.1:6379/3');
  });
});

describe("the embedded database's lock (7)", () => {
  it('a zombie (killed, not reaped) is not alive; a running process is', async () => {
    // `sleep 0` becomes a zombie child of the exec'd `sleep 5`, which never reaps it.
    const sh = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const pid = Number(await new Promise<string>((r) => sh.stdout!.once('data', (d) => r(String(d).trim()))));
    await new Promise((r) => setTimeout(r, 300));
    try {
      expect(isAlive(sh.pid!)).toBe(true);
      expect(isAlive(pid)).toBe(false);
    } finally {
      sh.kill('SIGKILL');
    }
  });
});

describe('Redis fails fast', () => {
  it('an unreachable Redis answers CacheUnavailableError within a second, on every command', async () => {
    const cache = new RedisCache({ url: 'redis://127.0.0.1:1/0' });
    try {
      for (const op of [() => cache.get('k'), () => cache.readAndCount(['{a}x'], '{a}c', 60), () => cache.incr('c', 60), () => cache.set('k', 'v', 5)]) {
        const started = Date.now();
        await expect(op()).rejects.toBeInstanceOf(CacheUnavailableError);
        expect(Date.now() - started).toBeLessThan(1000);
      }
    } finally {
      await cache.close();
    }
  });

  it.skipIf(!process.env.REDIS_URL)("honours the URL's database index and refuses one the server does not have", async () => {
    const base = new URL(process.env.REDIS_URL!);
    base.pathname = '/99';
    const wrong = new RedisCache({ url: base.toString() });
    try {
      await expect(wrong.checkDatabase()).rejects.toThrow(/REDIS_URL names database 99/);
      await expect(wrong.get('x')).rejects.toBeInstanceOf(CacheUnavailableError);
    } finally {
      await wrong.close();
    }
    base.pathname = '/7';
    const seven = new RedisCache({ url: base.toString() });
    base.pathname = '/0';
    const zero = new RedisCache({ url: base.toString() });
    try {
      await seven.checkDatabase();
      await zero.checkDatabase();
      const key = `trust-db-index-${process.pid}-${Date.now()}`;
      await seven.set(key, 'seven', 30);
      expect(await seven.get(key)).toBe('seven');
      expect(await zero.get(key)).toBeNull();
      await seven.del(key);
    } finally {
      await seven.close();
      await zero.close();
    }
  });
});

describe.skipIf(!process.env.DATABASE_URL)('a pg connection dropped under a transaction (A)', () => {
  it('fails that transaction with NOT_READY and nothing else: no unhandled error event, the pool serves the next one', async () => {
    const dropped: Error[] = [];
    const db = await openDatabase({ databaseUrl: process.env.DATABASE_URL, poolMax: 2, onPoolError: (e) => dropped.push(e) });
    try {
      const failed = await db
        .scoped({ tenantId: null }, async (tx) => {
          await tx.execute(sql`select set_config('app.probe', '1', true)`); // a real transaction is open
          const pid = ((await tx.execute(sql`select pg_backend_pid() as pid`)) as any).rows[0].pid;
          await db.raw.execute(sql`select pg_terminate_backend(${pid}::int)`);
          await new Promise((r) => setTimeout(r, 200)); // the FATAL arrives while the client is checked out
          await tx.execute(sql`select 1`);
        })
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(failed).toBeTruthy();
      expect(fromDatabaseError(failed)?.code).toBe('NOT_READY');
      expect(dropped.length).toBeGreaterThan(0);
      const ok = await db.scoped({ tenantId: null }, async (tx) => ((await tx.execute(sql`select 1 as one`)) as any).rows[0].one);
      expect(ok).toBe(1);
    } finally {
      await db.close();
    }
  });
});
