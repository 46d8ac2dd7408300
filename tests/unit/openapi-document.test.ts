import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/app.js';
import { buildOpenApiDocument } from '../../src/api/openapi/document.js';
import type { Container } from '../../src/container.js';

/**
 * The OpenAPI document the API serves, byte for byte, against the committed copy beside this file: a change to the
 * public contract (a route, a schema, their order) is made on purpose, never by a refactoring. After a deliberate
 * change: `UPDATE_OPENAPI_SNAPSHOT=1 npx vitest run tests/unit/openapi-document.test.ts`, and review the diff.
 * Built as scripts/generate-client.ts builds it (no server, no container): the served one differs only in `servers`.
 */
const SNAPSHOT = path.join(import.meta.dirname, 'openapi.snapshot.json');

describe('the OpenAPI document', () => {
  it('equals the committed tests/unit/openapi.snapshot.json byte for byte', () => {
    const text = JSON.stringify(buildOpenApiDocument(createApp({} as Container)), null, 2) + '\n';
    if (process.env.UPDATE_OPENAPI_SNAPSHOT) writeFileSync(SNAPSHOT, text);
    const committed = readFileSync(SNAPSHOT, 'utf8');
    // Paths in order first: a readable failure when only the order moved.
    expect(Object.keys(JSON.parse(text).paths)).toEqual(Object.keys(JSON.parse(committed).paths));
    expect(text === committed, 'the generated document differs from the snapshot').toBe(true);
  });
});

/**
 * What the frontend relies on in the document, checked here once on the built document (they were single GETs of
 * /openapi.json in the route files; the byte-for-byte check above holds all of them, these say which parts matter when
 * the snapshot is rewritten on purpose).
 */
describe('the OpenAPI document describes', () => {
  const doc = buildOpenApiDocument(createApp({} as Container)) as any;

  it('a 3.1 document where every operation has responses, sign-in and centres included', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.paths['/auth/exchange'].post).toBeDefined();
    expect(doc.paths['/tenants'].post.responses['201']).toBeDefined();
    for (const [p, ops] of Object.entries<any>(doc.paths)) for (const op of Object.values<any>(ops)) expect(op.responses, p).toBeDefined();
  });

  it('the health routes, readiness with its 503', () => {
    expect(doc.paths['/health/live']?.get).toBeTruthy();
    expect(doc.paths['/health/ready']?.get?.responses?.['503']).toBeTruthy();
  });

  it('the centre routes', () => {
    for (const p of ['/rooms', '/rooms/{id}', '/students', '/students/{id}', '/students/{id}/guardians', '/students/{id}/guardians/{guardianId}', '/guardians', '/guardians/{id}', '/staff', '/staff/{id}'])
      expect(doc.paths[p], p).toBeDefined();
    expect(doc.paths['/students/{id}/guardians/{guardianId}'].put.responses['201']).toBeDefined();
    expect(doc.components.schemas.Student.properties.dateOfBirth).toBeDefined();
  });

  it('the attendance and message routes', () => {
    expect(doc.paths['/attendance/check-in'].post.responses['201']).toBeDefined();
    expect(doc.paths['/attendance/check-out'].post.responses['200']).toBeDefined();
    expect(doc.paths['/attendance'].get).toBeDefined();
    expect(doc.paths['/attendance/{id}'].patch).toBeDefined();
    expect(doc.paths['/rooms/{id}/roster'].get.responses['200']).toBeDefined();
    expect(doc.paths['/messages'].post.responses['201']).toBeDefined();
    expect(doc.paths['/messages/{id}/read'].post.responses['204']).toBeDefined();
  });

  it('money as integers in minor units of the currency', () => {
    const schemas = doc.components.schemas;
    for (const [schema, field] of [
      ['Invoice', 'total'],
      ['Invoice', 'amountDue'],
      ['Plan', 'amount'],
      ['Payment', 'amount'],
      ['LedgerEntry', 'amount'],
      ['BillingAccount', 'balance'],
    ]) {
      const prop = schemas[schema].properties[field];
      expect(prop.type, `${schema}.${field}`).toBe('integer');
      expect(prop.description, `${schema}.${field}`).toMatch(/minor units/);
    }
    expect(schemas.Invoice.properties.currency.type).toBe('string');
  });
});
