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
