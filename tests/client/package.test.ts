/**
 * Issue 27: clients/typescript is a package a separate frontend installs from a tarball. `npm pack` (after the build
 * that generates the types) gives a tarball with built JS and .d.ts, versioned with the API; installed into a
 * throwaway project (offline, from npm's cache), a consumer file type-checks with tsc, a wrong one does not, and the
 * installed package signs in against the real server with its own cookie jar.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION } from '../../src/api/openapi/document.js';
import { buildClient } from '../helpers/build.js';
import { startServer, uniqueEmail, type TestServer } from '../helpers/server.js';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
const CLIENT = path.join(ROOT, 'clients/typescript');
const TSC = path.join(ROOT, 'node_modules/typescript/bin/tsc');

const CONSUMER = `import { createDaycareClient, createCookieJar, type ApiError, type SignedOut } from '@daycare/client';
const api = createDaycareClient({ baseUrl: 'http://localhost:3000', cookieJar: createCookieJar(), onSignedOut: (s: SignedOut) => void s.status });
export async function main(accessToken: string): Promise<string> {
  await api.POST('/auth/exchange', { body: { accessToken } });
  const { data, error } = await api.GET('/students', { params: { query: { limit: 20 } } });
  if (error) {
    const e: ApiError = error;
    return e.error.code;
  }
  return data.items.map((s) => s.firstName).join(',');
}
`;
const WRONG = `import { createDaycareClient } from '@daycare/client';
const api = createDaycareClient({ baseUrl: 'http://localhost:3000' });
export const r = api.GET('/students', { params: { query: { limit: 'twenty' } } });
export const p = api.GET('/no-such-route');
`;

describe('clients/typescript as an installable package', () => {
  let dir: string;
  let tarball: string;
  let srv: TestServer;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'daycare-client-consumer-'));
    // The build generates the types from the route schemas and compiles dist/ (unless .ci/run has just built this tree,
    // tests/helpers/build.ts); pack then skips its own prepack build.
    buildClient(ROOT);
    const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: CLIENT, timeout: 120_000 });
    const info = JSON.parse(packed.stdout)[0] as { filename: string; version: string; files: { path: string }[] };
    tarball = path.join(dir, info.filename);
    expect(info.version).toBe(API_VERSION);
    const files = info.files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(['package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/schema.d.ts', 'openapi.json']));
    expect(files.some((f) => f.startsWith('src/'))).toBe(false);
    await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    // Offline: the package's one dependency (and its own) packed from this repository's node_modules, as a registry would serve them.
    const deps: string[] = [];
    for (const dep of ['openapi-fetch', 'openapi-typescript-helpers']) {
      const out = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir, path.join(ROOT, 'node_modules', dep)], { cwd: dir, timeout: 120_000 });
      deps.push(path.join(dir, (JSON.parse(out.stdout)[0] as { filename: string }).filename));
    }
    await run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball, ...deps], { cwd: dir, timeout: 300_000 });
    srv = await startServer();
  }, 600_000);
  afterAll(async () => {
    await srv?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is versioned with the API, not private, with types and exports', async () => {
    const pkg = JSON.parse(await readFile(path.join(dir, 'node_modules/@daycare/client/package.json'), 'utf8'));
    expect(pkg).toMatchObject({ name: '@daycare/client', version: API_VERSION, types: './dist/index.d.ts' });
    expect(pkg.private).toBeUndefined();
    expect(pkg.exports['.']).toMatchObject({ types: './dist/index.d.ts', import: './dist/index.js' });
    const doc = JSON.parse(await readFile(path.join(dir, 'node_modules/@daycare/client/openapi.json'), 'utf8'));
    expect(doc.info.version).toBe(API_VERSION);
  });

  it('a consumer file type-checks with tsc against the installed package; a wrong one does not', async () => {
    const tsconfig = { compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, lib: ['ES2022', 'DOM'], types: [] }, files: ['consumer.ts'] };
    await writeFile(path.join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
    await writeFile(path.join(dir, 'consumer.ts'), CONSUMER);
    await run(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: dir, timeout: 300_000 });
    await writeFile(path.join(dir, 'consumer.ts'), WRONG);
    const failed = await run(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: dir, timeout: 300_000 }).then(
      () => '',
      (e: { stdout: string }) => e.stdout,
    );
    expect(failed).toMatch(/consumer\.ts\(3,/);
    expect(failed).toMatch(/consumer\.ts\(4,/);
  }, 600_000);

  it('the installed package signs in against the real server in Node with its cookie jar, and answers typed errors', async () => {
    const mod = (await import(pathToFileURL(path.join(dir, 'node_modules/@daycare/client/dist/index.js')).href)) as typeof import('../../clients/typescript/src/index.js');
    const api = mod.createDaycareClient({ baseUrl: srv.url, cookieJar: true });
    const signedOut = await api.GET('/me/context');
    expect(signedOut.response.status).toBe(401);
    expect(signedOut.error!.error.code).toBe('UNAUTHENTICATED');
    const email = uniqueEmail('pkg');
    const ex = await api.POST('/auth/exchange', { body: { accessToken: await srv.token(email) } });
    expect(ex.response.status).toBe(200);
    const created = await api.POST('/tenants', { body: { name: 'Packed Centre', timezone: 'UTC' } });
    expect(created.response.status, JSON.stringify(created.error)).toBe(201);
    const me = await api.GET('/me/context');
    expect(me.data!.tenant?.name).toBe('Packed Centre');
  });
});
