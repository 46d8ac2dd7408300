import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { RootConstruct, type Node } from 'constructs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, parseOrigins, readConfig } from '../lib/config.js';
import { createStubLambdaDir, HANDLER_FILES, missingHandlers, resolveLambdaDir } from '../lib/lambda-assets.js';
import { serverlessCacheName } from '../lib/network.js';

/** A construct tree root holding `context`, as `-c key=value` would (an App would create a cloud assembly dir). */
function ctx(context: Record<string, unknown> = {}): Node {
  const root = new RootConstruct();
  for (const [k, v] of Object.entries(context)) root.node.setContext(k, v);
  return root.node;
}

describe('context parsing', () => {
  it('defaults to elasticache, no origins, migrations on deploy, worker concurrency 5', () => {
    const cfg = readConfig(ctx());
    expect(cfg).toEqual(DEFAULT_CONFIG);
  });

  it('accepts https origins and http://localhost, rejects wildcards, paths and plain http', () => {
    expect(parseOrigins(' https://app.example.com , http://localhost:5173,https://app.example.com')).toEqual([
      'https://app.example.com',
      'http://localhost:5173',
    ]);
    expect(() => parseOrigins('https://*.example.com')).toThrow(/wildcard/);
    expect(() => parseOrigins('https://app.example.com/')).toThrow(/not an origin/);
    expect(() => parseOrigins('http://app.example.com')).toThrow(/https/);
    expect(() => parseOrigins('app.example.com')).toThrow(/not a URL/);
  });

  it('reads booleans and integers given as strings on the command line', () => {
    const cfg = readConfig(ctx({ supabaseJwtSecret: 'true', migrateOnDeploy: 'no', apiThrottleRate: '20', supabaseUrl: 'https://x.supabase.co/' }));
    expect(cfg.supabaseJwtSecret).toBe(true);
    expect(cfg.migrateOnDeploy).toBe(false);
    expect(cfg.apiThrottleRate).toBe(20);
    expect(cfg.supabaseUrl).toBe('https://x.supabase.co');
    expect(() => readConfig(ctx({ migrateOnDeploy: 'maybe' }))).toThrow(/"migrateOnDeploy"/);
    expect(() => readConfig(ctx({ databaseUrlSecretArn: 'daycare/db' }))).toThrow(/"databaseUrlSecretArn"/);
  });
});

describe('lambda directory', () => {
  it('writes stub handlers that export an async handler', async () => {
    const dir = createStubLambdaDir();
    try {
      expect(missingHandlers(dir)).toEqual([]);
      for (const f of HANDLER_FILES) {
        const mod = await import(pathToFileURL(path.join(dir, f)).href);
        await expect(mod.handler()).resolves.toEqual({});
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to fall back to stubs unless allowed, so a deploy never ships them', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'daycare-no-build-'));
    try {
      expect(() => resolveLambdaDir({ allowStub: false, defaultDir: empty })).toThrow(/npm run build:lambda/);
      const warnings: string[] = [];
      const r = resolveLambdaDir({ allowStub: true, defaultDir: empty, warn: (m) => warnings.push(m) });
      expect(r.stub).toBe(true);
      expect(missingHandlers(r.dir)).toEqual([]);
      expect(warnings.join()).toMatch(/STUB/);
      fs.rmSync(r.dir, { recursive: true, force: true });
      // An explicit LAMBDA_DIR must hold the three bundles.
      expect(() => resolveLambdaDir({ allowStub: true, explicitDir: empty })).toThrow(/api\.mjs/);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });

  it('uses the build output when it is there', () => {
    const built = createStubLambdaDir();
    try {
      expect(resolveLambdaDir({ allowStub: false, defaultDir: built })).toEqual({ dir: built, stub: false });
      expect(resolveLambdaDir({ allowStub: false, explicitDir: built })).toEqual({ dir: built, stub: false });
    } finally {
      fs.rmSync(built, { recursive: true, force: true });
    }
  });
});

describe('serverless cache name', () => {
  it('is lowercase, starts with a letter and fits in 40 characters', () => {
    expect(serverlessCacheName('DaycareStack')).toBe('daycarestack-cache');
    expect(serverlessCacheName('Daycare_Prod--Stack')).toBe('daycare-prod-stack-cache');
    const long = serverlessCacheName('X'.repeat(80));
    expect(long.length).toBeLessThanOrEqual(40);
    expect(long).toMatch(/^[a-z][a-z0-9-]*[a-z0-9]$/);
    expect(serverlessCacheName('123')).toBe('daycare-cache');
  });
});
