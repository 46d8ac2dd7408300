/**
 * Embedded mode's data directory (issue 20, point 11), on real file systems: a tmpfs of 3 MB, a read-only tmpfs and a
 * tmpfs filled up while the server runs. Start-up failures are one line naming DATA_DIR's directory and the cause; a
 * full disk while running answers writes 503 NOT_READY (never 500) and readiness says so, and both recover once space
 * is freed. Needs root (mount); skipped with a message otherwise.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cookiesOf, freePort, request, sessionHeaders, signIn, sleep } from '../faults/harness.js';
import { buildServer } from '../helpers/build.js';

const baseEnv = { DATABASE_URL: '', REDIS_URL: '', LOG_LEVEL: 'silent', NODE_ENV: 'development', SCHEDULER_ENABLED: 'false' };
const mounts: string[] = [];

/** A tmpfs of `size` at a fresh directory (or why it cannot be mounted here). */
function tmpfs(size: string, readOnly = false): string | null {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'daycare-disk-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}${readOnly ? ',ro' : ''}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
  mounts.push(dir);
  return dir;
}
const canMount = (() => {
  if (process.getuid?.() !== 0) return false;
  const probe = tmpfs('1m');
  if (!probe) return false;
  unmount(probe);
  return true;
})();
if (!canMount) console.warn('embedded disk tests skipped: mounting a tmpfs needs root');

function unmount(dir: string) {
  spawnSync('umount', ['-l', dir]);
  rmSync(dir, { recursive: true, force: true });
  mounts.splice(mounts.indexOf(dir), 1);
}

const start = (env: Record<string, string>) =>
  spawnSync(process.execPath, ['dist/server/http-server.mjs'], { env: { ...process.env, ...baseEnv, ...env }, encoding: 'utf8', timeout: 60_000 });

const oneLine = (stderr: string) => {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /);
  return lines[0]!;
};

afterAll(() => {
  for (const m of [...mounts]) unmount(m);
});

// Embedded mode only: the CI pass on embedded defaults runs it (once, not again beside PostgreSQL).
describe.skipIf(!canMount || !!process.env.DATABASE_URL)('embedded mode: DATA_DIR on a small, read-only or full disk', () => {
  // The built server starts in a fraction of the time tsx takes on a busy machine.
  beforeAll(() => buildServer(), 60_000);

  it('3 MB free: one start-up line naming the directory and the lack of space', () => {
    const dir = tmpfs('3m')!;
    const r = start({ DATA_DIR: dir });
    expect(r.status).toBe(1);
    const line = oneLine(r.stderr);
    expect(line).toContain(dir);
    expect(line).toMatch(/DATA_DIR/);
    expect(line).toMatch(/only \d+(\.\d+)? MB free/);
    expect(line).not.toContain('[object Object]');
  }, 60_000);

  it('read-only: one start-up line naming the directory and that it is read-only', () => {
    const dir = tmpfs('64m', true)!;
    const r = start({ DATA_DIR: dir });
    expect(r.status).toBe(1);
    const line = oneLine(r.stderr);
    expect(line).toContain(dir);
    expect(line).toMatch(/read-only/);
    expect(line).not.toMatch(/ENOENT/);
  }, 60_000);

  it('the disk fills up while running: writes answer 503 NOT_READY (never 500), readiness says "disk full"; both recover when space is freed', async () => {
    const dir = tmpfs('96m')!;
    const port = await freePort();
    const env = { ...process.env, ...baseEnv, LOG_LEVEL: 'error', DATA_DIR: dir, PORT: String(port), RATE_LIMIT_PER_MINUTE: '10000000' };
    let server: ChildProcess | undefined;
    let stderr = '';
    try {
      server = spawn(process.execPath, ['dist/server/http-server.mjs'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
      server.stderr!.on('data', (d) => (stderr += String(d)));
      const base = `http://127.0.0.1:${port}`;
      let ready = false;
      for (let i = 0; i < 900 && !ready; i++) {
        ready = (await request(base, 'GET', '/health/ready').catch(() => null))?.status === 200;
        if (!ready) await sleep(100);
      }
      expect(ready, stderr).toBe(true);
      const token = spawnSync(process.execPath, ['dist/server/cli.mjs', 'token', '--email', 'disk@example.test'], { env, encoding: 'utf8' }).stdout.trim();
      const session = await signIn(base, token);
      const t = await request(base, 'POST', '/tenants', { headers: sessionHeaders(session), body: { name: 'Disk', timezone: 'UTC' } });
      expect(t.status, JSON.stringify(t.body)).toBe(201);
      for (const [k, v] of cookiesOf(t.headers).jar) session.jar.set(k, v);
      session.csrf = decodeURIComponent(session.jar.get('__Host-csrf')!);
      const write = (n: number) =>
        request(base, 'POST', '/rooms', {
          headers: { ...sessionHeaders(session), 'idempotency-key': randomUUID() },
          body: { name: `Room ${n} ${'x'.repeat(40)}`, capacity: 10 },
        });
      expect((await write(0)).status).toBe(201);

      // Fill the disk: every byte that is left.
      const filler = path.join(dir, 'filler');
      spawnSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=1M'], { encoding: 'utf8' });
      for (let i = 0; i < 50; i++) spawnSync('sh', ['-c', `head -c 4096 /dev/zero > ${filler}-${i}`]);

      const notReady = await request(base, 'GET', '/health/ready');
      expect(notReady.status).toBe(503);
      expect(notReady.body.error.code).toBe('NOT_READY');
      expect(notReady.body.error.message).toMatch(/disk full/);

      // Writes until one needs a new page: each is 201 or 503 NOT_READY with Retry-After, never 500.
      const statuses: number[] = [];
      let refused: Awaited<ReturnType<typeof write>> | undefined;
      for (let n = 1; n <= 400 && !refused; n++) {
        const r = await write(n);
        statuses.push(r.status);
        if (r.status !== 201) refused = r;
      }
      expect(refused, 'a write on the full disk').toBeDefined();
      expect(refused!.status, JSON.stringify(refused!.body)).toBe(503);
      expect(refused!.body.error.code).toBe('NOT_READY');
      expect(refused!.headers['retry-after']).toBeDefined();
      expect(statuses.filter((s) => s !== 201 && s !== 503)).toEqual([]);
      // Reads still answer.
      expect((await request(base, 'GET', '/rooms?limit=5', { headers: sessionHeaders(session) })).status).toBe(200);

      // Space freed: ready again, and writes work.
      rmSync(filler, { force: true });
      expect((await request(base, 'GET', '/health/ready')).status).toBe(200);
      expect((await write(1000)).status).toBe(201);
      expect(server.exitCode, stderr).toBeNull();
    } finally {
      if (server && server.exitCode === null) {
        server.kill('SIGKILL');
        await new Promise((r) => server!.once('exit', r));
      }
      unmount(dir);
    }
  }, 120_000);
});
