/**
 * Start-up errors (issue 11, item 6): one line on stderr naming what to fix, exit 1, no stack trace.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const run = (env: Record<string, string>) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/entrypoints/http-server.ts'], {
    env: { ...process.env, DATABASE_URL: '', REDIS_URL: '', LOG_LEVEL: 'silent', NODE_ENV: 'development', SCHEDULER_ENABLED: 'false', DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'daycare-start-')), ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });

const oneLine = (stderr: string) => {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /);
  return lines[0]!;
};

describe('start-up errors', () => {
  it('a port in use: one line naming PORT', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const r = run({ PORT: String(port) });
      expect(r.status).toBe(1);
      expect(oneLine(r.stderr)).toMatch(new RegExp(`PORT ${port}.*in use`));
    } finally {
      blocker.close();
    }
  }, 60_000);

  it('an unreachable database: one line naming DATABASE_URL (without its password)', () => {
    const r = run({ DATABASE_URL: 'postgres://app:hunter2-secret@127.0.0.1:1/daycare' });
    expect(r.status).toBe(1);
    const line = oneLine(r.stderr);
    expect(line).toMatch(/DATABASE_URL/);
    expect(line).not.toContain('hunter2');
  }, 60_000);

  it('production without its settings: every missing variable in one line', () => {
    const r = run({ NODE_ENV: 'production', SESSION_SECRET: '', SUPABASE_URL: '', SUPABASE_JWT_SECRET: '' });
    expect(r.status).toBe(1);
    const line = oneLine(r.stderr);
    for (const v of ['DATABASE_URL', 'SESSION_SECRET', 'SUPABASE_URL']) expect(line).toContain(v);
  }, 60_000);
});
