import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/app.js';
import { startServer, type TestServer } from '../helpers/server.js';

describe('GET /openapi.json', () => {
  let srv: TestServer;
  let doc: any;
  beforeAll(async () => {
    srv = await startServer();
    doc = (await srv.agent().get('/openapi.json')).body;
  });
  afterAll(() => srv.close());

  it('is a valid OpenAPI 3.1 document (checked against the official schema)', async () => {
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(doc.openapi).toBe('3.1.0');
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
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['401', '403']));
      if (['POST', 'PUT', 'PATCH'].includes(r.method) && op.requestBody) expect(op.requestBody.content['application/json'].schema).toBeDefined();
    }
    for (const p of ['/auth/exchange', '/auth/refresh', '/auth/logout', '/auth/switch', '/me/context']) expect(doc.paths[p], p).toBeDefined();
  });
});
