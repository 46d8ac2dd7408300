import { spawnSync } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { buildLambda } from '../helpers/build.js';
import { isPdf, pdfTextRuns } from '../helpers/pdf.js';
import { DOMAIN, v2Event } from './events.js';

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

// `npm run build:lambda`, unless .ci/run has just built this tree (tests/helpers/build.ts).
beforeAll(() => buildLambda(root), 120_000);

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

    it.skipIf(!SERVER)('api.mjs prints a statement as PDF (Accept: application/pdf): pdfkit and its font metrics came with the bundle', async () => {
      const secret = 'bundle-test-supabase-secret-0123456789abcdef';
      const email = `bundle-pdf.${process.pid}.${Date.now().toString(36)}@example.test`;
      const token = await new SignJWT({ email, role: 'authenticated', session_id: randomUUID(), is_anonymous: false, aal: 'aal1' })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(randomUUID())
        .setAudience('authenticated')
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(new TextEncoder().encode(secret));
      // A centre, a family account with a credit on it, then its statement as a PDF — every step through the handler.
      const r = run(
        path.join(task, 'api.mjs'),
        `const { handler } = await import(process.env.BUNDLE);
         const base = JSON.parse(process.env.EVENT);
         let cookies = [];
         let csrf = '';
         const call = async (method, p, body, query = '', accept) => {
           const e = structuredClone(base);
           Object.assign(e, { rawPath: p, rawQueryString: query, cookies });
           Object.assign(e.requestContext.http, { method, path: p });
           if (query) e.queryStringParameters = Object.fromEntries(new URLSearchParams(query));
           if (accept) e.headers.accept = accept;
           if (method !== 'GET') Object.assign(e.headers, { origin: 'https://${DOMAIN}', 'x-csrf-token': csrf });
           if (body !== undefined) {
             e.body = JSON.stringify(body);
             Object.assign(e.headers, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(e.body)) });
           }
           const res = await handler(e, {});
           for (const c of res.cookies ?? []) {
             const pair = c.split(';')[0];
             const name = pair.slice(0, pair.indexOf('='));
             cookies = cookies.filter((x) => !x.startsWith(name + '='));
             if (!pair.endsWith('=')) cookies.push(pair);
             if (name === '__Host-csrf') csrf = decodeURIComponent(pair.slice(name.length + 1));
           }
           if (res.statusCode >= 300) throw new Error(method + ' ' + p + ': ' + res.statusCode + ' ' + res.body);
           return res;
         };
         const json = (res) => JSON.parse(res.body);
         csrf = json(await call('POST', '/auth/exchange', { accessToken: process.env.TOKEN })).csrfToken;
         await call('POST', '/tenants', { name: 'Bundle Centre', timezone: 'Europe/Paris' });
         const g = json(await call('POST', '/guardians', { firstName: 'Ana', lastName: 'Bundle' }));
         const s = json(await call('POST', '/students', { firstName: 'Kid', lastName: 'Bundle', dateOfBirth: '2021-03-04' }));
         await call('PUT', '/students/' + s.id + '/guardians/' + g.id, { relationship: 'parent', authorizedPickup: true });
         const a = json(await call('POST', '/billing/accounts', { name: 'Family Bundle', payerGuardianIds: [g.id], studentIds: [s.id] }));
         await call('POST', '/billing/accounts/' + a.id + '/credits', { amount: 250, reason: 'Welcome' });
         const day = (n) => new Date(Date.now() + n * 86400000).toISOString().slice(0, 10);
         const res = await call('GET', '/billing/accounts/' + a.id + '/statement', undefined, 'from=' + day(-2) + '&to=' + day(2), 'application/pdf');
         console.log(JSON.stringify({ status: res.statusCode, type: res.headers['content-type'], base64: res.isBase64Encoded, body: res.body }));
         process.exit(0);`,
        {
          NODE_ENV: 'production',
          DATABASE_URL: SERVER!,
          SESSION_SECRET: 'bundle-test-session-secret-0123456789abcdef',
          SUPABASE_JWT_SECRET: secret,
          ...STRIPE_ENV,
          EMAIL_TRANSPORT: 'ses',
          LOG_LEVEL: 'warn',
          TOKEN: token,
          EVENT: JSON.stringify(v2Event('GET', '/')),
        },
        task,
      );
      expect(r.status, r.stderr + r.stdout).toBe(0);
      const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
      expect(out).toMatchObject({ status: 200, type: 'application/pdf', base64: true });
      const pdf = Buffer.from(out.body, 'base64');
      expect(isPdf(pdf)).toBe(true);
      expect(pdfTextRuns(pdf)).toEqual(expect.arrayContaining(['Bundle Centre', 'Account: Family Bundle', 'Payers: Ana Bundle', 'Credit: Welcome', 'USD -2.50', 'Closing balance']));
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
