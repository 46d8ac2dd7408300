/**
 * The real entry points as a newcomer runs them: the built server process on embedded defaults (PGlite and local
 * secrets in a fresh DATA_DIR, migrations at start), the token CLI, a sign-in, a graceful stop, and a bad setting.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../helpers/http.js';
import { buildServer } from '../helpers/build.js';

const PORT = 3300 + (process.pid % 500);
const base = `http://127.0.0.1:${PORT}`;
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'daycare-e2e-'));
const env = { ...process.env, DATABASE_URL: '', REDIS_URL: '', PORT: String(PORT), DATA_DIR: dataDir, LOG_LEVEL: 'warn', NODE_ENV: 'development' };

describe('the server process on embedded defaults', () => {
  let child: ReturnType<typeof spawn>;
  let stdout = '';
  beforeAll(async () => {
    buildServer();
    child = spawn(process.execPath, ['dist/server/http-server.mjs'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    for (let i = 0; i < 150; i++) {
      const ok = await fetch(`${base}/health/ready`).then((r) => r.ok, () => false);
      if (ok) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error('the server never became ready');
  }, 60_000);
  afterAll(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });

  it('serves, signs in with a token from the CLI, creates a centre, then stops cleanly on SIGTERM', async () => {
    const token = execFileSync(process.execPath, ['dist/server/cli.mjs', 'token', '--email', 'newcomer@example.com'], { env }).toString().trim();
    const a = new Agent(base);
    expect((await a.post('/auth/exchange', { accessToken: token })).status).toBe(200);
    expect((await a.post('/tenants', { name: 'First Centre', timezone: 'Europe/Dublin' })).status).toBe(201);
    expect((await a.get('/me/context')).body.tenant.name).toBe('First Centre');
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 30_000);

  it('prints the address a browser should use: localhost, not 127.0.0.1 (cookies are per site)', () => {
    expect(stdout).toContain(`Daycare API: http://localhost:${PORT} `);
    expect(stdout).toContain(`http://localhost:${PORT}/docs`);
  });

  it('a bad setting stops the process with one line naming the variable', () => {
    const r = spawnSync(process.execPath, ['dist/server/http-server.mjs'], { env: { ...env, PORT: 'not-a-port', SESSION_SECRET: 'hunter2' }, encoding: 'utf8' });
    expect(r.status).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/PORT/);
    expect(r.stderr).not.toContain('not-a-port');
  });
});
