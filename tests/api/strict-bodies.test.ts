/**
 * The edges every route shares (issue 21, "Also", and point 5), generated from the OpenAPI document like the fuzz test:
 * - every JSON request body is strict: an unknown key (`tenantId`) is a 400 VALIDATION_ERROR naming it, everywhere;
 * - every name field refuses invisible and bidi control characters (400) and is stored NFC-normalised;
 * - `/openapi.json`'s `servers` comes from PUBLIC_URL, never from the request's Host header.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newTenant, startServer, type TestServer } from '../helpers/server.js';
import type { Agent } from '../helpers/http.js';

type Schema = { $ref?: string; type?: string; const?: unknown; enum?: unknown[]; properties?: Record<string, Schema>; anyOf?: Schema[]; oneOf?: Schema[]; allOf?: Schema[]; additionalProperties?: unknown };
type Doc = { paths: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: Schema }> } }>>; components?: { schemas?: Record<string, Schema> } };

const ZERO = '00000000-0000-4000-8000-000000000000';

function bodies(doc: Doc) {
  const resolve = (s: Schema | undefined): Schema | undefined => (s?.$ref ? resolve(doc.components?.schemas?.[s.$ref.split('/').pop()!]) : s);
  const out: { method: string; path: string; objects: Schema[] }[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const schema = resolve(op.requestBody?.content?.['application/json']?.schema);
      if (!schema) continue;
      const alts = [...(schema.oneOf ?? []), ...(schema.anyOf ?? []), ...(schema.allOf ?? [])].map(resolve).filter((x): x is Schema => !!x);
      out.push({ method: method.toUpperCase(), path, objects: alts.length ? alts : [schema] });
    }
  }
  return { out, resolve };
}

/** The single-valued fields of an object schema (a discriminated union's `type`), so validation reaches the rest. */
function base(o: Schema, resolve: (s: Schema | undefined) => Schema | undefined) {
  const b: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o.properties ?? {})) {
    const r = resolve(v);
    if (r?.const !== undefined) b[k] = r.const;
    else if (r?.enum?.length === 1) b[k] = r.enum[0];
  }
  return b;
}

function getWithHost(url: string, host: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { host } }, (res) => {
      let data = '';
      res.on('data', (d) => (data += d));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(data) }));
    });
    req.on('error', reject);
  });
}

describe('edges every route shares', () => {
  let srv: TestServer;
  let owner: Agent;
  let kioskAuth: Record<string, string>;
  let formAuth: Record<string, string>;
  let doc: Doc;
  beforeAll(async () => {
    srv = await startServer();
    ({ owner } = await newTenant(srv));
    kioskAuth = { authorization: `Bearer ${(await owner.post('/kiosks', { name: 'Door' })).body.token}` };
    formAuth = { authorization: `Bearer ${(await owner.post('/application-forms', { name: 'Website' })).body.token}` };
    doc = (await srv.agent().get('/openapi.json')).body;
  }, 180_000);
  afterAll(() => srv?.close());

  it('every JSON body refuses an unknown key with a 400 naming it (move, check-in and check-out included)', { timeout: 120_000 }, async () => {
    const { out, resolve } = bodies(doc);
    const names = out.map((b) => `${b.method} ${b.path}`);
    for (const p of ['POST /attendance/move', 'POST /attendance/check-in', 'POST /attendance/check-out', 'POST /tenants', 'POST /messages', 'POST /auth/switch']) expect(names).toContain(p);
    const failures: string[] = [];
    for (const b of out) {
      const path = b.path.replace(/\{[^}]+\}/g, ZERO);
      for (const o of b.objects) {
        const body = { ...base(o, resolve), tenantId: ZERO };
        const own = path.startsWith('/kiosk/') ? kioskAuth : path === '/public/applications' ? formAuth : undefined;
        const who = own ? srv.agent() : owner;
        const res = await who.request(b.method, path, { body, headers: own ?? {} });
        const named = JSON.stringify(res.body?.error?.details ?? []).includes('tenantId');
        if (res.status !== 400 || res.body?.error?.code !== 'VALIDATION_ERROR' || !named) failures.push(`${b.method} ${path} ${JSON.stringify(body)} → ${res.status} ${res.text.slice(0, 160)}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('names refuse invisible and bidi control characters (400) in every name field, and are stored NFC', { timeout: 120_000 }, async () => {
    const bad = ['Sunshine\u200b Early\u202e Learning', 'A\u200cB', 'A\u200dB', 'A\u200eB', 'A\u200fB', 'A\u202aB', 'A\u202dB', 'A\u2066B', 'A\u2069B', '\ufeffAB', 'A\u00adB', 'A\u0007B', 'A\nB', 'A\u2028B', 'A\u2060B', 'A\u180eB'];
    const creates: [string, (name: string) => Record<string, unknown>][] = [
      ['/tenants', (name) => ({ name, timezone: 'UTC' })],
      ['/rooms', (name) => ({ name, capacity: 5 })],
      ['/students', (name) => ({ firstName: name, lastName: 'X', dateOfBirth: '2022-02-02' })],
      ['/students', (name) => ({ firstName: 'X', lastName: name, dateOfBirth: '2022-02-02' })],
      ['/guardians', (name) => ({ firstName: name, lastName: 'X' })],
      ['/staff', (name) => ({ firstName: 'X', lastName: name, roomIds: [] })],
      ['/kiosks', (name) => ({ name })],
    ];
    const failures: string[] = [];
    for (const [path, body] of creates) {
      for (const name of bad) {
        const res = await owner.post(path, body(name));
        if (res.status !== 400 || res.body.error.code !== 'VALIDATION_ERROR') failures.push(`${path} ${JSON.stringify(name)} → ${res.status}`);
      }
    }
    const patches: [string, string, (name: string) => Record<string, unknown>][] = [
      ['/tenant', 'PATCH', (name) => ({ name })],
      [`/rooms/${(await owner.post('/rooms', { name: 'R', capacity: 3 })).body.id}`, 'PATCH', (name) => ({ name })],
    ];
    for (const [path, method, body] of patches) {
      const res = await owner.request(method, path, { body: body(bad[0]!) });
      if (res.status !== 400) failures.push(`${method} ${path} → ${res.status}`);
    }
    expect(failures).toEqual([]);
    // NFC: "e" + combining acute is stored as the one character "é".
    const room = await owner.post('/rooms', { name: 'Cafe\u0301 Room', capacity: 3 });
    expect(room.status).toBe(201);
    expect(room.body.name).toBe('Caf\u00e9 Room');
    // Visible non-Latin names are fine.
    expect((await owner.post('/guardians', { firstName: 'Zoë', lastName: 'Øster-Łukasz 李' })).status).toBe(201);
  });

  it('/openapi.json servers come from PUBLIC_URL, never from the Host header; the rest of the document is unchanged', { timeout: 180_000 }, async () => {
    const forged = await getWithHost(`${srv.url}/openapi.json`, 'evil.example');
    expect(forged.status).toBe(200);
    expect(forged.body.servers).toEqual([{ url: '/' }]);
    const configured = await startServer({ env: { PUBLIC_URL: 'https://api.daycare.example' } });
    try {
      const withUrl = await getWithHost(`${configured.url}/openapi.json`, 'evil.example');
      expect(withUrl.body.servers).toEqual([{ url: 'https://api.daycare.example' }]);
      const { servers: _a, ...restA } = withUrl.body;
      const { servers: _b, ...restB } = forged.body;
      expect(JSON.stringify(restA)).toBe(JSON.stringify(restB));
    } finally {
      await configured.close();
    }
  });
});
