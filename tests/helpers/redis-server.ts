import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

/** True when a `redis-server` binary is on PATH (the private-Redis tests are skipped otherwise). */
export const HAS_REDIS_SERVER = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;

export interface PrivateRedis {
  url: string;
  /** Empties this private server (never the machine's shared Redis): what a restart without persistence leaves. */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A throw-away redis-server of the test's own (no persistence), so a test may flush it without touching anyone else's. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const proc: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  const admin = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => 50 });
  admin.on('error', () => undefined); // refused until the server is up
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await admin.connect().catch(() => undefined);
      if ((await admin.ping()) === 'PONG') break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error(`redis-server on ${port} did not start`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    async flush() {
      await admin.flushall();
    },
    async stop() {
      admin.disconnect();
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
    },
  };
}
