/**
 * Issue 27, "A versioned API and an installable client": info.version (semver) = the client package's version = the
 * CHANGELOG's newest entry; the deprecation mechanism (Deprecation / Sunset headers, `deprecated: true` + x-sunset) on a
 * test-only route over a real socket; /docs's error examples per status with the contract's codes, its sign-in
 * paragraph and its document without Authorize fields a browser cannot use; README's relative links.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deprecatedRoute, deprecationHeaders } from '../../src/api/middleware/deprecation.js';
import { API_VERSION, buildOpenApiDocument, errorExamples } from '../../src/api/openapi/document.js';
import { ERROR_STATUS } from '../../src/core/errors.js';
import { startServer, type TestServer } from '../helpers/server.js';

const ROOT = path.resolve(__dirname, '../..');
const METHODS = ['get', 'put', 'post', 'patch', 'delete'];

describe('the API version', () => {
  it('is semver, the client package carries it, and CHANGELOG.md names it as the newest version', () => {
    expect(API_VERSION).toMatch(/^\d+\.\d+\.\d+$/);
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'clients/typescript/package.json'), 'utf8'));
    expect(pkg.version).toBe(API_VERSION);
    expect(pkg.private).toBeUndefined();
    const changelog = readFileSync(path.join(ROOT, 'CHANGELOG.md'), 'utf8');
    const versions = [...changelog.matchAll(/^## \[(\d+\.\d+\.\d+)\]/gm)].map((m) => m[1]);
    expect(versions[0]).toBe(API_VERSION);
    expect(versions).toEqual([...versions].sort((a, b) => b!.localeCompare(a!, 'en', { numeric: true })));
  });
});

describe('a deprecated route (test-only) over a real socket', () => {
  const policy = { since: '2026-12-01T00:00:00Z', sunset: '2027-07-01T00:00:00Z' };
  const app = new OpenAPIHono();
  const Out = z.object({ ok: z.boolean() });
  app.openapi(
    deprecatedRoute(
      createRoute({ method: 'get', path: '/old/{id}', request: { params: z.object({ id: z.string().min(3) }) }, responses: { 200: { description: 'ok', content: { 'application/json': { schema: Out } } } } }),
      policy,
    ),
    (c) => c.json({ ok: true }, 200),
  );
  app.openapi(createRoute({ method: 'get', path: '/current', responses: { 200: { description: 'ok', content: { 'application/json': { schema: Out } } } } }), (c) => c.json({ ok: true }, 200));
  let url: string;
  let server: ReturnType<typeof serve>;
  beforeAll(async () => {
    await new Promise<void>((resolve) => {
      server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve());
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('answers Deprecation (@unix seconds) and Sunset (HTTP-date), on errors too; other routes do not', async () => {
    const ok = await fetch(`${url}/old/abc`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('deprecation')).toBe(`@${Date.parse(policy.since) / 1000}`);
    expect(ok.headers.get('sunset')).toBe('Thu, 01 Jul 2027 00:00:00 GMT');
    const bad = await fetch(`${url}/old/x`);
    expect(bad.status).toBe(400);
    expect(bad.headers.get('deprecation')).toBe('@1796083200');
    const current = await fetch(`${url}/current`);
    expect(current.headers.get('deprecation')).toBeNull();
    expect(current.headers.get('sunset')).toBeNull();
  });

  it('the document marks it deprecated with x-deprecated-since and x-sunset, and documents the two headers', () => {
    const doc = buildOpenApiDocument(app);
    const op = doc.paths['/old/{id}'].get;
    expect(op).toMatchObject({ deprecated: true, 'x-deprecated-since': policy.since, 'x-sunset': policy.sunset });
    expect(Object.keys(op.responses['200'].headers)).toEqual(expect.arrayContaining(['Deprecation', 'Sunset']));
    expect(doc.paths['/current'].get.deprecated).toBeUndefined();
    expect(Object.keys(doc.paths['/current'].get.responses['200'].headers)).not.toContain('Deprecation');
  });

  it('refuses a sunset that is not after the deprecation', () => {
    expect(() => deprecationHeaders({ since: '2027-01-01', sunset: '2026-01-01' })).toThrow();
    expect(() => deprecationHeaders({ since: 'soon', sunset: '2027-01-01' })).toThrow();
  });
});

describe('/docs and its documents', () => {
  let srv: TestServer;
  let doc: Record<string, any>;
  let page: Record<string, any>;
  beforeAll(async () => {
    srv = await startServer();
    doc = (await srv.agent().get('/openapi.json')).body;
    page = (await srv.agent().get('/docs/openapi.json')).body;
  }, 120_000);
  afterAll(() => srv?.close());

  it('info: the version, and a first paragraph saying how to sign in on the page', () => {
    expect(doc.info.version).toBe(API_VERSION);
    const first = String(doc.info.description).split('\n\n')[0]!;
    expect(first).toContain('npm run token');
    expect(first).toContain('POST /auth/exchange');
    expect(first).toContain('Try it out');
  });

  it('every error answer has examples whose codes belong to its status (401 is never NOT_FOUND)', () => {
    let checked = 0;
    for (const [p, item] of Object.entries(doc.paths as Record<string, any>)) {
      for (const m of METHODS) {
        for (const [status, res] of Object.entries((item[m]?.responses ?? {}) as Record<string, any>)) {
          const media = res.content?.['application/json'];
          if (!/^[45]/.test(status) || !media) continue;
          const examples = Object.values((media.examples ?? {}) as Record<string, { value: any }>);
          expect(examples.length, `${m} ${p} ${status}`).toBeGreaterThan(0);
          for (const e of examples) expect(String(ERROR_STATUS[e.value.error.code as keyof typeof ERROR_STATUS]), `${m} ${p} ${status}`).toBe(status);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(300);
    const codes = (p: string, m: string, s: string) => Object.keys(doc.paths[p][m].responses[s].content['application/json'].examples);
    expect(codes('/students/{id}', 'get', '401')).toEqual(['UNAUTHENTICATED']);
    expect(codes('/students/{id}', 'get', '403')).toEqual(['FORBIDDEN', 'CSRF_FAILED']);
    expect(codes('/students/{id}', 'get', '404')).toEqual(['NOT_FOUND']);
    expect(codes('/students', 'post', '400')).toEqual(['VALIDATION_ERROR']);
    expect(codes('/students', 'post', '409')).toEqual(['CONFLICT', 'IDEMPOTENCY_IN_PROGRESS']);
    expect(codes('/students', 'post', '422')).toEqual(['UNPROCESSABLE', 'IDEMPOTENCY_KEY_REUSED']);
    expect(codes('/students', 'post', '429')).toEqual(['RATE_LIMITED']);
    expect(codes('/auth/exchange', 'post', '401')).toEqual(['INVALID_TOKEN']);
    expect(Object.keys(doc.paths['/students'].post.responses['429'].headers)).toEqual(expect.arrayContaining(['Retry-After', 'RateLimit-Policy', 'RateLimit']));
    expect(errorExamples('418', 'whatever')).toEqual({});
  });

  it('/docs/openapi.json has the same operations and no Authorize field a browser cannot use', () => {
    expect(Object.keys(page.paths).sort()).toEqual(Object.keys(doc.paths).sort());
    expect(Object.keys(doc.components.securitySchemes)).toEqual(expect.arrayContaining(['sessionCookie', 'refreshCookie', 'offerToken']));
    const schemes = page.components.securitySchemes;
    for (const name of ['sessionCookie', 'refreshCookie', 'offerToken']) expect(schemes[name]).toBeUndefined();
    for (const s of Object.values(schemes as Record<string, any>)) expect(s.in).not.toBe('cookie');
    for (const [p, item] of Object.entries(page.paths as Record<string, any>))
      for (const m of METHODS)
        for (const req of item[m]?.security ?? []) for (const name of Object.keys(req)) expect(schemes[name], `${m} ${p} ${name}`).toBeDefined();
    // What remains usable on the page: the CSRF header on unsafe cookie operations, the kiosk's and the form's Bearer.
    expect(page.paths['/students'].post.security).toEqual([{ csrfToken: [] }]);
    expect(page.paths['/students'].get.security).toEqual([]);
    expect(page.paths['/kiosk/check-in'].post.security).toEqual([{ kioskToken: [] }]);
  });
});

describe('README', () => {
  it('every relative link names a file or folder that exists', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const links = [...readme.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((l) => !/^[a-z]+:/i.test(l) && !l.startsWith('#'));
    expect(links.length).toBeGreaterThan(2);
    for (const link of links) expect(existsSync(path.join(ROOT, decodeURIComponent(link.split('#')[0]!))), link).toBe(true);
  });

  it('the quick start seeds before it starts the server', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const quick = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('\n## ', readme.indexOf('## Quick start') + 5));
    // The two commands first (an empty API), then the demo centre's block, which seeds before it starts.
    expect(quick).toContain('npm install && npm start');
    const seed = quick.indexOf('npm run seed');
    expect(seed).toBeGreaterThan(0);
    const block = quick.slice(quick.lastIndexOf('```sh', seed), quick.indexOf('```\n', seed));
    expect(block.indexOf('npm run seed')).toBeLessThan(block.indexOf('npm start'));
    expect(block.indexOf('npm start')).toBeGreaterThan(0);
  });
});
