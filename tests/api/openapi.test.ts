import { Validator } from '@seriousme/openapi-schema-validator';
import type { z } from '@hono/zod-openapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/app.js';
import { REQUEST_EXAMPLES } from '../../src/api/openapi/examples.js';
import { operationIdFor } from '../../src/api/openapi/document.js';
import type { Container } from '../../src/container.js';
import { ERROR_STATUS } from '../../src/core/errors.js';
import { startServer, newTenant, type TestServer } from '../helpers/server.js';
import { uploadCsv, waitJob } from './jobs.helpers.js';

const METHODS = ['get', 'put', 'post', 'patch', 'delete'];
const UNSAFE = ['post', 'put', 'patch', 'delete'];
const operations = (doc: any) =>
  Object.entries(doc.paths as Record<string, any>).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((method) => ({ path, method, op: item[method], key: `${method.toUpperCase()} ${path}` })),
  );

/** One server for the file: the document and /docs only read it. */
let srv: TestServer;
beforeAll(async () => {
  srv = await startServer();
});
afterAll(() => srv?.close());

describe('GET /openapi.json', () => {
  let doc: any;
  beforeAll(async () => {
    doc = (await srv.agent().get('/openapi.json')).body;
  });

  it('is a valid OpenAPI 3.1 document (checked against the official schema)', async () => {
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(doc.openapi).toBe('3.1.0');
    // From configuration (PUBLIC_URL), never the request's Host: without PUBLIC_URL the relative "/" (tests/api/strict-bodies.test.ts).
    expect(doc.servers).toEqual([{ url: '/' }]);
  });

  it('describes every route of the route table with its request and error responses', () => {
    const { routeTable } = createApp(srv.container);
    expect(routeTable.length).toBeGreaterThan(40);
    // Each app has its own table: building a second one does not grow the first.
    expect(createApp(srv.container).routeTable).toHaveLength(routeTable.length);
    expect(new Set(routeTable.map((r) => `${r.method} ${r.path}`)).size).toBe(routeTable.length);
    for (const r of routeTable) {
      const op = doc.paths[r.path]?.[r.method.toLowerCase()];
      expect(op, `${r.method} ${r.path}`).toBeDefined();
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['401', '403', '429']));
      if (['POST', 'PUT', 'PATCH'].includes(r.method) && op.requestBody) expect(op.requestBody.content['application/json'].schema).toBeDefined();
    }
    for (const p of ['/auth/exchange', '/auth/refresh', '/auth/logout', '/auth/switch', '/me/context']) expect(doc.paths[p], p).toBeDefined();
  });

  it('gives every operation a unique operationId and a tag, by one rule', () => {
    const ids = operations(doc).map(({ op, key }) => {
      expect(op.operationId, key).toMatch(/^[a-z][A-Za-z]*(\.[a-z][A-Za-z]*)+$/);
      expect(op.tags?.length, key).toBe(1);
      expect(doc.tags.map((t: any) => t.name)).toContain(op.tags[0]);
      return op.operationId;
    });
    expect(new Set(ids).size).toBe(ids.length);
    const id = (m: string, p: string) => doc.paths[p][m].operationId;
    expect(id('get', '/students')).toBe('students.list');
    expect(id('post', '/students')).toBe('students.create');
    expect(id('get', '/students/{id}')).toBe('students.get');
    expect(id('patch', '/students/{id}')).toBe('students.update');
    expect(id('post', '/attendance/check-in')).toBe('attendance.checkIn');
    expect(id('get', '/attendance')).toBe('attendance.list');
    expect(id('get', '/rooms/{id}/roster')).toBe('rooms.roster.get');
    expect(id('post', '/auth/exchange')).toBe('auth.exchange');
    expect(id('get', '/health/ready')).toBe('health.ready');
    expect(doc.paths['/students/{id}'].get.tags).toEqual(['students']);
    expect(doc.paths['/me/context'].get.tags).toEqual(['auth']);
    // Routes that do not exist yet get sensible names by the same rule.
    expect(operationIdFor('POST', '/invitations/{id}/accept')).toBe('invitations.accept');
    expect(operationIdFor('POST', '/students/{id}/care-entries')).toBe('students.careEntries.create');
    expect(operationIdFor('GET', '/students/{id}/daily-report')).toBe('students.dailyReport.get');
    expect(operationIdFor('POST', '/kiosk/check-in')).toBe('kiosk.checkIn');
  });

  it('lists the contract’s error codes as an enum', () => {
    const codes = doc.components.schemas.Error.properties.error.properties.code.enum;
    expect([...codes].sort()).toEqual(Object.keys(ERROR_STATUS).sort());
    // CONTRACT §2, "Codes used at least".
    const contract = 'VALIDATION_ERROR UNAUTHENTICATED INVALID_TOKEN CSRF_FAILED FORBIDDEN INVALID_PIN INVALID_SIGNATURE NOT_FOUND CONFLICT IDEMPOTENCY_IN_PROGRESS PRECONDITION_FAILED PAYLOAD_TOO_LARGE UNSUPPORTED_MEDIA_TYPE IDEMPOTENCY_KEY_REUSED UNPROCESSABLE RATE_LIMITED INTERNAL NOT_READY';
    expect(codes).toEqual(expect.arrayContaining(contract.split(' ')));
  });

  it('declares the session cookie, the CSRF header on every unsafe cookie operation, and the kiosk Bearer scheme', () => {
    const s = doc.components.securitySchemes;
    expect(s.sessionCookie).toMatchObject({ type: 'apiKey', in: 'cookie', name: '__Host-session' });
    expect(s.refreshCookie).toMatchObject({ type: 'apiKey', in: 'cookie', name: '__Secure-refresh' });
    expect(s.csrfToken).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-CSRF-Token' });
    expect(s.kioskToken).toMatchObject({ type: 'http', scheme: 'bearer' });
    const PUBLIC = ['POST /auth/exchange', 'GET /health/live', 'GET /health/ready'];
    for (const key of PUBLIC) expect(doc.paths[key.split(' ')[1]!][key.split(' ')[0]!.toLowerCase()].security, key).toEqual([]);
    for (const { method, op, key } of operations(doc)) {
      if (PUBLIC.includes(key)) continue;
      const alternatives = op.security.filter((r: any) => Object.keys(r).length > 0);
      expect(alternatives.length, key).toBeGreaterThan(0);
      if (key.split(' ')[1]!.startsWith('/kiosk/')) {
        // A kiosk route: the Bearer token only (no cookie, so no CSRF header).
        expect(op.security, key).toEqual([{ kioskToken: [] }]);
        continue;
      }
      if (key.split(' ')[1]!.startsWith('/public/')) {
        // The public enrolment routes: their own token (a form's Bearer, an offer's), never a cookie or CSRF header.
        expect(op.security, key).toEqual([key.endsWith('/public/applications') ? { applicationFormToken: [] } : { offerToken: [] }]);
        continue;
      }
      for (const requirement of alternatives) {
        expect(Object.keys(requirement).some((k) => k === 'sessionCookie' || k === 'refreshCookie'), key).toBe(true);
        expect('csrfToken' in requirement, key).toBe(UNSAFE.includes(method));
      }
      expect(op.parameters?.some((p: any) => p.name.toLowerCase() === 'x-csrf-token') ?? false, key).toBe(false);
    }
    for (const p of ['/auth/refresh', '/auth/logout', '/auth/switch']) expect(doc.paths[p].post.security[0], p).toHaveProperty('csrfToken');
  });

  it('documents If-Match only on PATCH, PUT and DELETE', () => {
    for (const { method, op, key } of operations(doc)) {
      const ifMatch = op.parameters?.some((p: any) => p.in === 'header' && p.name === 'if-match') ?? false;
      expect(ifMatch, key).toBe(['patch', 'put', 'delete'].includes(method));
    }
  });

  it('documents the response headers: Set-Cookie, ETag, Idempotent-Replayed, Retry-After, Location', () => {
    const h = (m: string, p: string, status: string) => Object.keys(doc.paths[p][m].responses[status].headers ?? {});
    expect(h('post', '/auth/exchange', '200')).toContain('Set-Cookie');
    expect(h('post', '/auth/refresh', '200')).toContain('Set-Cookie');
    expect(h('post', '/auth/logout', '204')).toContain('Set-Cookie');
    expect(h('get', '/students/{id}', '200')).toContain('ETag');
    expect(h('get', '/students', '200')).not.toContain('ETag');
    expect(h('post', '/students', '201')).toEqual(expect.arrayContaining(['ETag', 'Idempotent-Replayed', 'X-Request-Id']));
    expect(h('get', '/students', '429')).toContain('Retry-After');
    for (const p of ['/reports', '/imports']) expect(doc.paths[p].post.responses['202'].headers.Location).toMatchObject({ required: true });
    for (const { op, key } of operations(doc)) for (const [status, r] of Object.entries<any>(op.responses)) expect(r.headers?.['X-Request-Id'], `${key} ${status}`).toBeDefined();
  });

  it('writes nullable objects so that generators read them as T | null', () => {
    const membership = doc.paths['/me/context'].get.responses['200'].content['application/json'].schema.properties.membership;
    expect(membership).toEqual({ anyOf: [{ $ref: '#/components/schemas/Membership' }, { type: 'null' }] });
    expect(JSON.stringify(doc)).not.toMatch(/"allOf":\[\{"\$ref":"[^"]+"\},\{"type":\["object","null"\]\}\]/);
  });

  it('has an example on every request body, and each written example passes the route’s own schema', () => {
    for (const { op, key } of operations(doc)) {
      const media = op.requestBody?.content?.['application/json'];
      if (media) expect(media.example, key).toBeDefined();
    }
    const app = createApp({} as Container);
    let checked = 0;
    for (const d of app.openAPIRegistry.definitions as any[]) {
      if (d.type !== 'route') continue;
      const schema = d.route.request?.body?.content?.['application/json']?.schema as z.ZodType | undefined;
      const example = REQUEST_EXAMPLES[operationIdFor(d.route.method, d.route.path)];
      if (!schema || example === undefined) continue;
      const parsed = schema.safeParse(example);
      expect(parsed.success, `${d.route.method} ${d.route.path}: ${parsed.error?.message}`).toBe(true);
      checked++;
    }
    expect(checked).toBe(Object.keys(REQUEST_EXAMPLES).length);
  });

  it('POST /reports and POST /imports answer 202 with Location: /jobs/{id}', async () => {
    const { owner } = await newTenant(srv);
    const report = await owner.post('/reports', { type: 'attendance', from: '2026-01-01', to: '2026-01-31' });
    expect(report.status).toBe(202);
    expect(report.headers.get('location')).toBe(`/jobs/${report.body.jobId}`);
    expect((await owner.get(report.headers.get('location')!)).status).toBe(200);
    const fileId = await uploadCsv(owner, 'firstName,lastName,dateOfBirth\nAda,Lovelace,2021-05-14\n');
    const imp = await owner.post('/imports', { type: 'students', fileId, dryRun: true });
    expect(imp.status).toBe(202);
    expect(imp.headers.get('location')).toBe(`/jobs/${imp.body.jobId}`);
    await waitJob(owner, report.body.jobId);
    await waitJob(owner, imp.body.jobId);
  });
});

describe('GET /docs', () => {

  it('serves Swagger UI and its assets from this server (works offline)', async () => {
    const a = srv.agent();
    const page = await a.get('/docs');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.text).not.toMatch(/https?:\/\//);
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    const srcs = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(srcs).toEqual(expect.arrayContaining(['/docs/assets/swagger-ui.css', '/docs/assets/swagger-ui-bundle.js', '/docs/assets/init.js']));
    for (const src of srcs) {
      const r = await a.get(src);
      expect(r.status, src).toBe(200);
      expect(r.text.length, src).toBeGreaterThan(100);
    }
    const bundle = await a.get('/docs/assets/swagger-ui-bundle.js');
    expect(bundle.headers.get('content-type')).toMatch(/javascript/);
    expect(bundle.text).toContain('SwaggerUIBundle');
    expect((await a.get('/docs/assets/init.js')).text).toContain("url: '/docs/openapi.json'");
    expect((await a.get('/docs/assets/package.json')).status).toBe(404);
    expect((await a.get('/docs/assets/..%2Fpackage.json')).status).toBe(404);
  });
});
