import { spawnSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import openapiTS, { astToString } from 'openapi-typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server.js';

/** A program written against the generated types, as a frontend would write it: it must type-check. */
const PROGRAM = `
import type { components, operations, paths } from './schema.js';

type Json<R> = R extends { content: { 'application/json': infer T } } ? T : never;
type Student = components['schemas']['Student'];

// operationIds name the operations.
const list: Json<operations['students.list']['responses'][200]>['items'] = [];
const first: Student | undefined = list[0];
const one: Json<operations['students.get']['responses'][200]> | undefined = first;
const checkIn: operations['attendance.checkIn']['requestBody'] = { content: { 'application/json': { studentId: 's1' } } };

// Nullable objects are T | null.
type Context = Json<paths['/me/context']['get']['responses'][200]>;
const noMembership: Context['membership'] = null;
const membership: Context['membership'] = { id: 'm', tenantId: 't', tenantName: 'n', roles: ['owner'], entitlements: [], status: 'active' };
// @ts-expect-error a membership is not an empty object
const empty: Context['membership'] = {};

// Error codes are the contract's enum.
type Code = components['schemas']['Error']['error']['code'];
const code: Code = 'NOT_FOUND';
// @ts-expect-error not a contract code
const unknownCode: Code = 'NOPE';

// Headers and parameters: If-Match on PATCH, not on POST.
const patchHeaders: NonNullable<operations['students.update']['parameters']['header']> = { 'if-match': '"3"' };
// @ts-expect-error POST /students takes no If-Match
const postHeaders: NonNullable<operations['students.create']['parameters']['header']> = { 'if-match': '"3"' };
type Accepted = operations['reports.create']['responses'][202]['headers'];
const location: Accepted['Location'] = '/jobs/1';

export const used = [one, checkIn, noMembership, membership, empty, code, unknownCode, patchHeaders, postHeaders, location];
`;

describe('the served OpenAPI document generates TypeScript types that a program type-checks against', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startServer();
  });
  afterAll(() => srv.close());

  it('openapi-typescript + tsc', async () => {
    const doc = (await srv.agent().get('/openapi.json')).body;
    const types = astToString(await openapiTS(doc));
    const dir = await mkdtemp(path.join(os.tmpdir(), 'daycare-openapi-types-'));
    await writeFile(path.join(dir, 'schema.d.ts'), types);
    await writeFile(path.join(dir, 'program.ts'), PROGRAM);
    const compilerOptions = { strict: true, noEmit: true, target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', types: [] };
    await writeFile(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['program.ts'] }));
    const tsc = path.resolve(import.meta.dirname, '../../node_modules/typescript/bin/tsc');
    const r = spawnSync(
      process.execPath,
      [tsc, '-p', 'tsconfig.json'],
      { cwd: dir, encoding: 'utf8', timeout: 120_000 },
    );
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  }, 120_000);
});
