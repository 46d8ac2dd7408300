import { spawnSync } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { v2Event } from './events.js';

/**
 * `npm run build:lambda` and the bundles it writes, run the way Lambda runs them: copied into a directory with no
 * node_modules anywhere above it, in a fresh Node process, without AWS.
 */
const root = path.resolve(import.meta.dirname, '../..');
const out = path.join(root, 'dist/lambda');
const SERVER = process.env.DATABASE_URL;
let task: string; // the copy, like /var/task
/** Production refuses the fake payments provider (CONTRACT §1). */
const STRIPE_ENV = { PAYMENTS_PROVIDER: 'stripe', STRIPE_SECRET_KEY: 'sk_test_bundle', STRIPE_WEBHOOK_SECRET: 'whsec_bundle' };

function run(file: string, script: string, env: Record<string, string>, cwd: string) {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd,
    env: { PATH: process.env.PATH!, BUNDLE: pathToFileURL(file).href, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  const r = spawnSync('npm', ['run', 'build:lambda'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  expect(r.status, r.stderr + r.stdout).toBe(0);
}, 120_000);

describe('npm run build:lambda', () => {
  it('writes api.mjs, worker.mjs, migrate.mjs exporting handler, with source maps and the migrations', async () => {
    const files = await readdir(out);
    for (const name of ['api', 'worker', 'migrate']) {
      expect(files).toContain(`${name}.mjs`);
      expect(files).toContain(`${name}.mjs.map`);
      expect(await readFile(path.join(out, `${name}.mjs`), 'utf8')).toMatch(/export\s*\{[^}]*\bhandler\b/);
    }
    expect(files).toContain('migrations');
    // Swagger UI for /docs: beside the code, read on the first /docs request, never imported.
    expect((await readdir(path.join(out, 'docs-assets'))).sort()).toEqual(['LICENSE', 'NOTICE', 'swagger-ui-bundle.js', 'swagger-ui.css']);
    for (const f of (await readdir(out)).filter((n) => n.endsWith('.mjs'))) expect(await readFile(path.join(out, f), 'utf8'), f).not.toContain('webpackUniversalModuleDefinition');
    const sql = (await readdir(path.join(out, 'migrations'))).filter((f) => f.endsWith('.sql'));
    expect(sql.length).toBeGreaterThanOrEqual(2);
    await stat(path.join(out, 'migrations/meta/_journal.json'));
  });

  it('keeps the API bundle under 1 MB and PGlite out of every file', async () => {
    const api = (await stat(path.join(out, 'api.mjs'))).size;
    expect(api).toBeLessThan(1024 * 1024);
    const mjs = (await readdir(out)).filter((f) => f.endsWith('.mjs'));
    let all = 0;
    for (const f of mjs) {
      const code = await readFile(path.join(out, f), 'utf8');
      all += code.length;
      expect(code, f).not.toContain('pglite.wasm');
      // The only mention allowed: db.ts's `const { PGlite } = await import('@electric-sql/pglite')`, never taken on Lambda.
      expect(code.replace(/\{PGlite:[\w$]+\}=await import\("@electric-sql\/pglite"\)/g, ''), f).not.toMatch(/PGlite/);
      expect(code, f).not.toMatch(/^import[^;]*["'](@electric-sql\/pglite|drizzle-orm\/pglite)/m);
    }
    expect(all).toBeGreaterThan(api);
  });

  it('leaves the Stripe SDK out of what api.mjs and worker.mjs load at import (a lazy chunk, loaded on first use)', async () => {
    const staticClosure = async (entry: string) => {
      const seen = new Set<string>();
      const stack = [entry];
      while (stack.length) {
        const f = stack.pop()!;
        if (seen.has(f)) continue;
        seen.add(f);
        const code = await readFile(path.join(out, f), 'utf8');
        for (const m of code.matchAll(/(?:^|[;}\n])\s*(?:import|export)\s*(?:[^;'"()]*?from\s*)?"\.\/([\w.-]+\.mjs)"/g)) stack.push(m[1]!);
      }
      return seen;
    };
    const sdk = async (f: string) => (await readFile(path.join(out, f), 'utf8')).includes('api.stripe.com');
    const all = (await readdir(out)).filter((f) => f.endsWith('.mjs'));
    expect((await Promise.all(all.map(sdk))).some(Boolean)).toBe(true); // bundled, for the stripe provider
    for (const entry of ['api.mjs', 'worker.mjs']) {
      const loaded = [...(await staticClosure(entry))];
      expect(loaded.length).toBeGreaterThan(1);
      expect(loaded.filter((f) => f !== entry).length).toBeGreaterThan(0);
      for (const f of loaded) expect(await sdk(f), `${entry} → ${f}`).toBe(false);
    }
  });

  describe('run outside the repository (no node_modules), like /var/task', () => {
    beforeAll(async () => {
      task = path.join(await mkdtemp(path.join(os.tmpdir(), 'daycare-task-')), 'task');
      await cp(out, task, { recursive: true });
    });

    it.skipIf(!SERVER)('api.mjs answers a v2 GET /health/live with 200 in production mode', () => {
      const event = v2Event('GET', '/health/live', { requestId: 'BundleReq01=' });
      const r = run(
        path.join(task, 'api.mjs'),
        `const { handler } = await import(process.env.BUNDLE);
         const res = await handler(${JSON.stringify(event)}, {});
         console.log(JSON.stringify(res)); process.exit(0);`,
        {
          NODE_ENV: 'production',
          DATABASE_URL: SERVER!,
          SESSION_SECRET: 'bundle-test-session-secret-0123456789abcdef',
          SUPABASE_JWT_SECRET: 'bundle-test-supabase-secret-0123456789abcdef',
          ...STRIPE_ENV,
          EMAIL_TRANSPORT: 'ses',
          LOG_LEVEL: 'warn',
        },
        task,
      );
      expect(r.status, r.stderr).toBe(0);
      const res = JSON.parse(r.stdout.trim().split('\n').pop()!);
      expect(res.statusCode).toBe(200);
      expect(JSON.parse(res.body)).toEqual({ status: 'ok' });
      expect(res.headers['x-request-id']).toBe('BundleReq01=');
    });

    it.skipIf(!SERVER)('api.mjs serves /docs and its Swagger UI assets from the copy beside the bundle', () => {
      const r = run(
        path.join(task, 'api.mjs'),
        `const { handler } = await import(process.env.BUNDLE);
         const out = [];
         for (const event of ${JSON.stringify(['/docs', '/docs/assets/swagger-ui.css', '/docs/assets/swagger-ui-bundle.js'].map((p) => v2Event('GET', p)))}) {
           const res = await handler(event, {});
           const body = res.isBase64Encoded ? Buffer.from(res.body, 'base64').toString() : res.body;
           out.push({ p: event.rawPath, status: res.statusCode, length: body.length, swagger: /swagger-?ui/i.test(body) });
         }
         console.log(JSON.stringify(out)); process.exit(0);`,
        {
          NODE_ENV: 'production',
          DATABASE_URL: SERVER!,
          SESSION_SECRET: 'bundle-test-session-secret-0123456789abcdef',
          SUPABASE_JWT_SECRET: 'bundle-test-supabase-secret-0123456789abcdef',
          ...STRIPE_ENV,
          EMAIL_TRANSPORT: 'ses',
          LOG_LEVEL: 'warn',
        },
        task,
      );
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
      for (const o of out) expect(o, o.p).toMatchObject({ status: 200, swagger: true });
      expect(out[2].length).toBeGreaterThan(500_000);
    });

    it('api.mjs without DATABASE_URL in production answers 500 in the error shape and logs the variable', () => {
      const r = run(
        path.join(task, 'api.mjs'),
        `const { handler } = await import(process.env.BUNDLE);
         const res = await handler(${JSON.stringify(v2Event('GET', '/health/live', { requestId: 'NoDb000001=' }))}, {});
         console.log(JSON.stringify(res)); process.exit(0);`,
        { NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(40), SUPABASE_JWT_SECRET: 'y'.repeat(40) },
        task,
      );
      expect(r.status, r.stderr).toBe(0);
      const res = JSON.parse(r.stdout.trim().split('\n').pop()!);
      expect(res.statusCode).toBe(500);
      expect(JSON.parse(res.body).error).toMatchObject({ code: 'INTERNAL', requestId: 'NoDb000001=' });
      expect(r.stderr.trim().split('\n')).toEqual([expect.stringContaining('DATABASE_URL')]);
    });

    it.skipIf(!SERVER)('migrate.mjs finds the migrations beside itself and returns {ok, engine}', async () => {
      const elsewhere = await mkdtemp(path.join(os.tmpdir(), 'daycare-cwd-'));
      const r = run(
        path.join(task, 'migrate.mjs'),
        `const { handler } = await import(process.env.BUNDLE);
         console.log(JSON.stringify(await handler({}))); process.exit(0);`,
        { NODE_ENV: 'production', DATABASE_URL: SERVER! },
        elsewhere,
      );
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toMatchObject({ ok: true, engine: 'pg' });
    });

    it('migrate.mjs fails (throws) without a database URL in production', () => {
      const r = run(
        path.join(task, 'migrate.mjs'),
        `const { handler } = await import(process.env.BUNDLE);
         try { await handler({}); console.log('no error'); } catch (e) { console.log('threw: ' + e.message); }`,
        { NODE_ENV: 'production' },
        task,
      );
      expect(r.stdout).toContain('threw: Invalid configuration: DATABASE_URL');
    });
  });
});
