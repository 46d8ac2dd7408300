/**
 * The fault suite's own infrastructure: a private PostgreSQL cluster and Redis on free ports (never the machine's
 * shared ones on 5432/6379), the built server as a child process, and plain HTTP over fresh 127.0.0.1 sockets.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { buildServer } from '../helpers/build.js';

export const PG_BIN = process.env.PG_BIN ?? '/usr/local/bin';
const REDIS_SERVER = process.env.REDIS_SERVER_BIN ?? 'redis-server';

/** Why the suite cannot run here, or null. */
export function missingTools(): string | null {
  for (const b of ['initdb', 'pg_ctl', 'postgres']) if (!existsSync(path.join(PG_BIN, b))) return `${path.join(PG_BIN, b)} not found (set PG_BIN)`;
  if (spawnSync(REDIS_SERVER, ['--version']).status !== 0) return `${REDIS_SERVER} not found (set REDIS_SERVER_BIN)`;
  if (process.getuid?.() === 0 && spawnSync('id', ['postgres']).status !== 0) return 'running as root and there is no postgres user for initdb';
  return null;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A throwaway PostgreSQL cluster owned by the postgres user (initdb refuses root). */
export class PgCluster {
  readonly dir: string;
  readonly port: number;
  private readonly asPostgres: boolean;
  constructor(port: number) {
    this.port = port;
    this.dir = mkdtempSync(path.join(os.tmpdir(), 'daycare-faults-pg-'));
    this.asPostgres = process.getuid?.() === 0;
    if (this.asPostgres) {
      const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
      chownSync(this.dir, uid, gid);
    }
  }
  get url() {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }
  private run(bin: string, args: string[]) {
    const cmd = this.asPostgres ? 'runuser' : path.join(PG_BIN, bin);
    const argv = this.asPostgres ? ['-u', 'postgres', '--', path.join(PG_BIN, bin), ...args] : args;
    const r = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(`${bin} ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
  }
  /**
   * A new cluster: a copy of one `initdb` made once per machine and PostgreSQL version (kept in the temp folder), which
   * takes a fraction of initdb's seconds; every fault test file starts its own.
   */
  init() {
    const version = spawnSync(path.join(PG_BIN, 'postgres'), ['--version'], { encoding: 'utf8' }).stdout.replace(/\W+/g, '-');
    const template = path.join(os.tmpdir(), `daycare-faults-initdb-${version}${process.getuid?.() ?? ''}`);
    if (!existsSync(path.join(template, 'data', 'PG_VERSION'))) {
      const fresh = new PgCluster(this.port);
      fresh.run('initdb', ['-D', path.join(fresh.dir, 'data'), '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
      try {
        renameSync(fresh.dir, template); // atomic: a parallel run never copies half a cluster
      } catch {
        rmSync(fresh.dir, { recursive: true, force: true }); // another run made it first
      }
    }
    execFileSync('cp', ['-a', path.join(template, 'data'), path.join(this.dir, 'data')]);
  }
  start() {
    this.run('pg_ctl', ['-D', path.join(this.dir, 'data'), '-l', path.join(this.dir, 'log'), '-w', '-t', '30', '-o', `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']);
  }
  stop(mode: 'fast' | 'immediate' = 'fast') {
    this.run('pg_ctl', ['-D', path.join(this.dir, 'data'), '-w', '-t', '30', '-m', mode, 'stop']);
  }
  restart() {
    this.run('pg_ctl', ['-D', path.join(this.dir, 'data'), '-w', '-t', '30', '-m', 'fast', '-o', `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`, '-l', path.join(this.dir, 'log'), 'restart']);
  }
  destroy() {
    try {
      this.stop('immediate');
    } catch {
      /* not running */
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A throwaway Redis without persistence. */
export class RedisServer {
  child: ChildProcess | undefined;
  constructor(readonly port: number) {}
  get url() {
    return `redis://127.0.0.1:${this.port}/0`;
  }
  async start() {
    this.child = spawn(REDIS_SERVER, ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    for (let i = 0; i < 50; i++) {
      if (await portOpen(this.port)) return;
      await sleep(100);
    }
    throw new Error('redis did not start');
  }
  kill() {
    const c = this.child;
    this.child = undefined;
    if (c && c.exitCode === null) c.kill('SIGKILL');
    return c ? new Promise<void>((r) => (c.exitCode !== null ? r() : c.once('exit', () => r()))) : Promise.resolve();
  }
}

export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** The built API server as a child process. */
export class ApiProcess {
  child: ChildProcess | undefined;
  stderr = '';
  /** The server's log lines (stdout). */
  output = '';
  constructor(readonly env: Record<string, string>, readonly port: number) {}
  get base() {
    return `http://127.0.0.1:${this.port}`;
  }
  async start() {
    this.stderr = '';
    this.output = '';
    const child = spawn(process.execPath, ['dist/server/http-server.mjs'], { env: { ...process.env, ...this.env, PORT: String(this.port) }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => (this.output = (this.output + String(d)).slice(-50_000)));
    child.stderr!.on('data', (d) => (this.stderr = (this.stderr + String(d)).slice(-20_000)));
    this.child = child;
    for (let i = 0; i < 150; i++) {
      if (child.exitCode !== null) throw new Error(`the server exited at start: ${this.stderr}`);
      const r = await request(this.base, 'GET', '/health/ready').catch(() => null);
      if (r?.status === 200) return;
      await sleep(100);
    }
    throw new Error(`the server never became ready: ${this.stderr}`);
  }
  get alive() {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const c = this.child!;
    if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve({ code: c.exitCode, signal: c.signalCode });
    return new Promise((r) => c.once('exit', (code, signal) => r({ code, signal })));
  }
  kill(signal: NodeJS.Signals) {
    this.child?.kill(signal);
  }
}

export interface HttpResult {
  status: number;
  body: any;
  headers: http.IncomingHttpHeaders;
  ms: number;
  /** When the TCP connection was established (Date.now()), if it was. */
  connectedAt?: number;
}

/** One request over a fresh socket (no keep-alive reuse), bounded in time. Rejects with the socket error's code. */
export function request(base: string, method: string, p: string, opts: { headers?: Record<string, string>; body?: unknown; timeoutMs?: number } = {}): Promise<HttpResult> {
  const started = performance.now();
  const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  let connectedAt: number | undefined;
  return new Promise((resolve, reject) => {
    const req = http.request(
      base + p,
      {
        method,
        agent: false,
        headers: { ...(body ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } : {}), ...(opts.headers ?? {}) },
        timeout: opts.timeoutMs ?? 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: any = text;
          try {
            parsed = text ? JSON.parse(text) : null;
          } catch {
            /* not JSON */
          }
          resolve({ status: res.statusCode!, body: parsed, headers: res.headers, ms: performance.now() - started, connectedAt });
        });
        res.on('error', (e) => reject(Object.assign(e, { ms: performance.now() - started })));
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('client timeout'), { code: 'CLIENT_TIMEOUT' })));
    req.on('error', (e) => reject(Object.assign(e, { ms: performance.now() - started, connectedAt })));
    req.on('socket', (s) => s.once('connect', () => (connectedAt = Date.now())));
    if (body) req.write(body);
    req.end();
  });
}

/** A signed-in session as raw headers (cookies + CSRF), obtained through /auth/exchange. */
export async function signIn(base: string, accessToken: string) {
  const r = await request(base, 'POST', '/auth/exchange', { body: { accessToken } });
  if (r.status !== 200) throw new Error(`sign-in failed: ${r.status} ${JSON.stringify(r.body)}`);
  const session = cookiesOf(r.headers);
  return { ...session, csrf: r.body.csrfToken as string };
}

export function cookiesOf(headers: http.IncomingHttpHeaders) {
  const jar = new Map<string, string>();
  for (const c of headers['set-cookie'] ?? []) {
    const [pair] = c.split(';');
    const i = pair!.indexOf('=');
    jar.set(pair!.slice(0, i), pair!.slice(i + 1));
  }
  return { jar };
}

export function sessionHeaders(s: { jar: Map<string, string>; csrf: string }) {
  return { cookie: [...s.jar].filter(([, v]) => v).map(([k, v]) => `${k}=${v}`).join('; '), 'x-csrf-token': s.csrf };
}

export type Session = { jar: Map<string, string>; csrf: string };

/** A fault test's stack: its own PostgreSQL cluster (and Redis when asked), the built API as a child process, an admin connection. */
export interface FaultStack {
  cluster: PgCluster;
  redis: RedisServer | undefined;
  api: ApiProcess;
  /** A connection to the cluster as its superuser (errors ignored: the tests stop the cluster under it). */
  admin: pg.Client;
  /** The API's environment: workers and the CLI run with the same. */
  env: Record<string, string>;
  dataDir: string;
  /** A new admin connection (after a restart of the cluster). */
  connectAdmin(): Promise<pg.Client>;
  /** An `npm run worker` process (dist/server/worker.mjs) with the API's environment; its stdout and stderr go to `log`. */
  startWorker(log: (chunk: string) => void): ChildProcess;
  /** The owner of a new centre, signed in: a token from the built CLI, /auth/exchange, POST /tenants. */
  newCentre(email: string, name: string): Promise<{ session: Session; tenantId: string }>;
  /** Stops the API, the workers (SIGTERM), the admin connection, Redis and the cluster; removes the data directory. */
  close(): Promise<void>;
}

/**
 * Builds the server (unless .ci/run just did), starts a private cluster (and Redis with `redis: true`) on free ports,
 * then the API with `env` over the defaults below. When this process dies mid-suite, `onExit` runs and nothing the
 * stack started outlives it.
 */
export async function startFaultStack(env: Record<string, string>, opts: { redis?: boolean; onExit?: () => void } = {}): Promise<FaultStack> {
  buildServer();
  const [pgPort, redisPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const cluster = new PgCluster(pgPort);
  const redis = opts.redis ? new RedisServer(redisPort) : undefined;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'daycare-faults-data-'));
  const redisEnv: Record<string, string> = redis ? { REDIS_URL: redis.url } : {};
  const fullEnv = { NODE_ENV: 'development', DATABASE_URL: cluster.url, ...redisEnv, DATA_DIR: dataDir, LOG_LEVEL: 'error', SCHEDULER_ENABLED: 'false', ...env };
  const api = new ApiProcess(fullEnv, apiPort);
  const workers: ChildProcess[] = [];
  process.once('exit', () => {
    opts.onExit?.();
    api.kill('SIGKILL');
    for (const w of workers) w.kill('SIGKILL');
    redis?.child?.kill('SIGKILL');
    cluster.destroy();
  });
  cluster.init();
  cluster.start();
  await redis?.start();
  await api.start();
  const connectAdmin = async () => {
    const c = new pg.Client({ connectionString: cluster.url });
    c.on('error', () => undefined);
    await c.connect();
    return c;
  };
  const stack: FaultStack = {
    cluster,
    redis,
    api,
    admin: await connectAdmin(),
    env: fullEnv,
    dataDir,
    connectAdmin,
    startWorker(log) {
      const w = spawn(process.execPath, ['dist/server/worker.mjs'], { env: { ...process.env, ...fullEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
      w.stdout!.on('data', (d) => log(String(d)));
      w.stderr!.on('data', (d) => log(String(d)));
      workers.push(w);
      return w;
    },
    async newCentre(email, name) {
      const token = execFileSync(process.execPath, ['dist/server/cli.mjs', 'token', '--email', email], { env: { ...process.env, ...fullEnv } }).toString().trim();
      const session = await signIn(stack.api.base, token);
      const t = await request(stack.api.base, 'POST', '/tenants', { headers: sessionHeaders(session), body: { name, timezone: 'UTC' } });
      if (t.status !== 201) throw new Error(`POST /tenants: ${t.status} ${JSON.stringify(t.body)}`);
      for (const [k, v] of cookiesOf(t.headers).jar) session.jar.set(k, v);
      session.csrf = decodeURIComponent(session.jar.get('__Host-csrf')!);
      return { session, tenantId: t.body.tenant.id as string };
    },
    async close() {
      if (stack.api.alive) {
        stack.api.kill('SIGKILL');
        await stack.api.exited();
      }
      for (const w of workers) {
        if (w.exitCode !== null || w.signalCode !== null) continue;
        w.kill('SIGTERM');
        await new Promise((r) => w.once('exit', r));
      }
      await stack.admin.end().catch(() => undefined);
      await redis?.kill();
      cluster.destroy();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return stack;
}
