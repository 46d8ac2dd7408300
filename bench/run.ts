/**
 * `npm run bench`: the HTTP benchmark (issue 7). Starts the real server (child process) on PostgreSQL and Redis, signs
 * in as owners of several centres and drives it with autocannon (bounded in time and connections), next to two
 * baselines measured in the same run: a bare node:http + pg server doing the same SQL (the floor) and a bare Hono
 * server answering a constant (the framework's ceiling). Prints a table and rewrites the figures in docs/performance.md.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:http';
import path from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { morningMix, rushReport, setUpRush, stepRush } from './rush.js';
import { signInAs } from './sign-in.js';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : def;
};
const DURATION = Number(arg('duration', '8'));
const WARMUP = Number(arg('warmup', '5'));
/** Closes the stays a check-in + check-out run left open (a pair cut by the end of a run), before the next run. */
let resetStays: (() => Promise<void>) | undefined;
/**
 * `--only list,roster`: a quick run of just these API scenarios and the floor (for profiling; writes no figures);
 * `rush` adds the morning rush after them, `coldstart` the Lambda cold starts (`--only list,me,rush,coldstart`).
 */
const ONLY = process.argv.includes('--only') ? arg('only', '').split(',') : null;
/**
 * `--profile`: the API process runs with --cpu-prof; its profile is summarised by `npx tsx bench/profile-summary.ts`.
 * V8 writes it only when the process exits by itself: a profiled server drains for 1 s and gets 20 s before SIGKILL.
 */
const PROFILE = process.argv.includes('--profile');
const CONNECTIONS = Number(arg('connections', '32'));
const ADMIN = process.env.BENCH_ADMIN_URL ?? 'postgres://root@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const dbUrl = (name: string) => {
  const u = new URL(ADMIN);
  u.pathname = `/${name}`;
  return u.toString();
};
const DATA_DIR = path.resolve('.bench/data');
/**
 * The list statement of GET /students?limit=50 as the floor and the peers run it ($1 = tenant, $2 = page size + 1): the
 * same columns, filter and order as the API's own.
 */
const LIST_SQL =
  'select id, first_name, last_name, date_of_birth, room_id, allergies, notes, external_id, status, archived_at, created_at, updated_at, version from students where tenant_id = $1 and archived_at is null order by id limit $2';
/** The API runs with the Node flags `npm start` gives it (package.json): its heap limit bounds its RSS. */
const NODE_FLAGS = (JSON.parse(readFileSync('package.json', 'utf8')).scripts.start as string).match(/--[\w-]+=\S+/g) ?? [];
/** The HS256 secret the peers verify their session cookies with (they sign nothing themselves). */
const PEER_SECRET = 'bench-peer-secret-0123456789abcdef0123456789abcdef';

async function dbExists(name: string) {
  const c = new pg.Client({ connectionString: ADMIN });
  await c.connect();
  const r = await c.query('select 1 from pg_database where datname = $1', [name]);
  await c.end();
  if (!r.rowCount) return false;
  const d = new pg.Client({ connectionString: dbUrl(name) });
  await d.connect();
  const t = await d.query(`select count(*)::int n from tenants`).catch(() => ({ rows: [{ n: 0 }] }));
  await d.end();
  return t.rows[0].n > 0;
}

function startChild(file: string, env: Record<string, string>, command: string[] = [process.execPath, file]): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, command.slice(1), { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    child.on('exit', (code) => reject(new Error(`${file} exited with ${code}`)));
    child.stdout!.on('data', () => undefined);
    resolve(child);
  });
}
/** Waits for an answer (any status below 500: the peers answer 401 without a cookie). */
async function waitReady(url: string) {
  for (let i = 0; i < 150; i++) {
    try {
      const r = await fetch(url);
      if (r.status < 500) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} never became ready`);
}
function stop(child: ChildProcess) {
  child.removeAllListeners('exit');
  return new Promise<void>((r) => {
    child.once('exit', () => r());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), PROFILE ? 20_000 : 3000).unref();
  });
}

interface Session {
  cookie: string;
  csrf: string;
  students: string[];
  rooms: string[];
}

async function signIn(base: string, secret: string, t: number): Promise<Session> {
  const { cookie, csrf } = await signInAs(base, secret, `owner${t}@bench.example`);
  const get = async (p: string) => (await (await fetch(base + p, { headers: { cookie } })).json()) as any;
  const students = (await get('/students?limit=100')).items.map((s: any) => s.id);
  const rooms = (await get('/rooms')).items.map((s: any) => s.id);
  return { cookie, csrf, students, rooms };
}

interface Row {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  /** The API process's peak RSS during this scenario (MiB); API scenarios only. */
  rssMb?: number;
  /** CPU time per request (µs), by process: the server measured, PostgreSQL, Redis, the load generator, the rest. */
  cpu?: Record<CpuPart, number>;
}
type CpuPart = 'server' | 'postgres' | 'redis' | 'load generator' | 'other';
/** The server being measured (its CPU is the `server` part). */
let measuredPid = 0;
/** CPU ticks (1/100 s) of every process, from /proc (Linux), by part. */
function cpuTicks(): Record<CpuPart, number> {
  const out: Record<CpuPart, number> = { server: 0, postgres: 0, redis: 0, 'load generator': 0, other: 0 };
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return out;
  }
  for (const pid of pids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(f[11]) + Number(f[12]);
    const n = Number(pid);
    const part: CpuPart = n === measuredPid ? 'server' : comm === 'postgres' ? 'postgres' : comm.startsWith('redis-server') ? 'redis' : n === process.pid ? 'load generator' : 'other';
    out[part] += ticks;
  }
  return out;
}
/** Samples the RSS of the API process being measured (Linux /proc), so each scenario reports its peak. */
const rss = {
  pid: 0,
  peak: 0,
  timer: undefined as NodeJS.Timeout | undefined,
  read(): number {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
      return m ? Number(m[1]) / 1024 : 0;
    } catch {
      return 0;
    }
  },
  watch(pid: number) {
    this.pid = pid;
    this.peak = 0;
    this.timer = setInterval(() => (this.peak = Math.max(this.peak, this.read())), 100);
  },
  stop() {
    clearInterval(this.timer);
    this.pid = 0;
  },
  /** The peak since the last call (and restarts the window). */
  take(): number | undefined {
    if (!this.pid) return undefined;
    const p = Math.max(this.peak, this.read());
    this.peak = 0;
    return Math.round(p);
  },
};
async function drive(name: string, url: string, requests: autocannon.Request[], beforeRun?: () => Promise<void>): Promise<Row> {
  const connections = CONNECTIONS;
  // Every server gets the same warm-up (JIT, pools, caches) before it is measured.
  await autocannon({ url, connections, duration: WARMUP, requests, pipelining: 1 });
  await beforeRun?.();
  rss.take();
  const before = cpuTicks();
  const res = await autocannon({ url, connections, duration: DURATION, requests, pipelining: 1 });
  const after = cpuTicks();
  const total = res.requests.total || 1;
  // (A process that exits during the run takes its ticks with it: `other` can only be counted from 0.)
  const cpu = Object.fromEntries(Object.keys(before).map((k) => [k, Math.max(0, Math.round((((after[k as CpuPart] - before[k as CpuPart]) * 10) / total) * 1000))])) as Record<CpuPart, number>;
  const row: Row = { name, rps: Math.round(res.requests.average), p50: res.latency.p50, p99: res.latency.p99, errors: res.errors + res.timeouts, non2xx: res.non2xx, rssMb: rss.take(), cpu };
  console.log(
    `${name.padEnd(44)} ${String(row.rps).padStart(7)} req/s  p50 ${String(row.p50).padStart(4)} ms  p99 ${String(row.p99).padStart(4)} ms  errors ${row.errors}  non-2xx ${row.non2xx}${row.rssMb ? `  rss ${row.rssMb} MiB` : ''}  µs/req: server ${cpu.server} pg ${cpu.postgres} redis ${cpu.redis} loadgen ${cpu['load generator']} other ${cpu.other}`,
  );
  return row;
}

const rr = <T>(xs: T[]) => {
  let i = 0;
  return () => xs[i++ % xs.length]!;
};

async function scenarioSet(base: string, sessions: Session[], label: string, only?: string[]) {
  const rows: Row[] = [];
  const want = (n: string) => !only || only.includes(n);
  const next = rr(sessions);
  const withSession = (pathOf: (s: Session) => string): autocannon.Request => ({
    method: 'GET',
    setupRequest: (req: any) => {
      const s = next();
      return { ...req, path: pathOf(s), headers: { cookie: s.cookie } };
    },
  });
  if (want('list')) rows.push(await drive(`${label}GET /students?limit=50`, base, [withSession(() => '/students?limit=50')]));
  if (want('get')) rows.push(await drive(`${label}GET /students/{id}`, base, [withSession((s) => `/students/${s.students[Math.floor(Math.random() * s.students.length)]}`)]));
  if (want('roster')) rows.push(await drive(`${label}GET /rooms/{id}/roster`, base, [withSession((s) => `/rooms/${s.rooms[Math.floor(Math.random() * s.rooms.length)]}/roster`)]));
  if (want('report'))
    rows.push(await drive(`${label}GET /students/{id}/daily-report`, base, [withSession((s) => `/students/${s.students[Math.floor(Math.random() * s.students.length)]}/daily-report?date=${new Date(Date.now() - 2 * 86400_000).toISOString().slice(0, 10)}`)]));
  if (want('me')) rows.push(await drive(`${label}GET /me/context`, base, [withSession(() => '/me/context')]));
  if (want('checkin')) {
    const free = sessions.flatMap((s) => s.students.slice(0, 60).map((id) => ({ id, headers: { cookie: s.cookie, 'x-csrf-token': s.csrf } })));
    rows.push(await drivePairs(`${label}POST check-in + check-out`, base, free));
  }
  if (want('mixed')) {
    const paths = [(_s: Session) => '/students?limit=50', (s: Session) => `/students/${s.students[0]}`, (s: Session) => `/rooms/${s.rooms[0]}/roster`, () => '/me/context', () => '/attendance?limit=50'];
    rows.push(await drive(`${label}mixed, ${sessions.length} centres`, base, [withSession((s) => paths[Math.floor(Math.random() * paths.length)]!(s))]));
  }
  return rows;
}

/**
 * Check-in + check-out pairs: each connection checks one child in and out again (two requests per pair, counted as
 * two). A pool of free children avoids self-inflicted 409s. The API and the write floor are driven the same way.
 */
function drivePairs(name: string, base: string, free: { id: string; headers: Record<string, string> }[]) {
  const request = (path: string) => (req: any, ctx: any) => ({ ...req, path, headers: { ...ctx.pick.headers, 'content-type': 'application/json' }, body: JSON.stringify({ studentId: ctx.pick.id }) });
  const pairs: autocannon.Request[] = [
    {
      method: 'POST',
      setupRequest: (req: any, ctx: any) => {
        ctx.pick = free.shift();
        return ctx.pick ? request('/attendance/check-in')(req, ctx) : req;
      },
    },
    {
      method: 'POST',
      setupRequest: request('/attendance/check-out'),
      onResponse: (_status: number, _body: string, ctx: any) => {
        if (ctx.pick) free.push(ctx.pick);
      },
    },
  ];
  // A pair the end of the warm-up cut in half left its child checked in: close such stays before the measured run.
  return drive(name, base, pairs, resetStays);
}

/** An HS256 session cookie for the peers: `{ sub, tid, jti, exp }` signed with PEER_SECRET (their README). */
function peerCookie(tenantId: string) {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const body = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: randomUUID(), tid: tenantId, jti: randomUUID(), exp: Math.floor(Date.now() / 1000) + 3600 })}`;
  return `__Host-session=${body}.${createHmac('sha256', PEER_SECRET).update(body).digest('base64url')}`;
}

/** The two peers of ../shared/peers (copied to bench/peers), each only when its packages are installed. */
function peers(dbName: string) {
  const env = { DATABASE_URL: dbUrl(dbName), REDIS_URL, SESSION_SECRET: PEER_SECRET, PEER_SQL: LIST_SQL, PEER_ROLE: 'daycare_app' };
  const python = '/usr/bin/python3';
  const fastapi = existsSync(python) && spawnSync(python, ['-c', 'import fastapi, uvicorn, asyncpg, jwt, redis'], { stdio: 'ignore' }).status === 0;
  const resolve = (m: string) => {
    try {
      createRequire(import.meta.url).resolve(m);
      return true;
    } catch {
      return false;
    }
  };
  const express = ['express', 'cookie-parser', 'jsonwebtoken', 'ioredis', 'pg'].every(resolve);
  return [
    {
      name: 'peer: FastAPI + asyncpg + Redis',
      key: 'fastapi',
      available: fastapi,
      missing: 'apt-get install -y python3-fastapi python3-uvicorn python3-asyncpg python3-jwt python3-redis',
      server: { file: 'bench/peers/peer_fastapi.py', env, port: 8701, command: [python, '-m', 'uvicorn', 'peer_fastapi:app', '--app-dir', 'bench/peers', '--port', '8701', '--log-level', 'warning'] },
    },
    {
      name: 'peer: Express 5 + pg + ioredis',
      key: 'express',
      available: express,
      missing: 'npm install (express, cookie-parser, jsonwebtoken are devDependencies)',
      server: { file: 'bench/peers/peer_express.mjs', env, port: 8703, command: [process.execPath, 'bench/peers/peer_express.mjs', '8703'] },
    },
  ];
}

async function runApi(dbName: string, port: number, fn: (base: string, secret: string) => Promise<Row[]>, extraEnv: Record<string, string> = {}) {
  const env = {
    DATABASE_URL: dbUrl(dbName),
    REDIS_URL,
    PORT: String(port),
    DATA_DIR,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_MINUTE: '10000000',
    RATE_LIMIT_AUTH_PER_MINUTE: '1000000',
    SCHEDULER_ENABLED: 'false',
    DB_POOL_MAX: '10',
    // Profiled: a short drain, so the process exits by itself (V8 writes the --cpu-prof profile only then).
    ...(PROFILE ? { SHUTDOWN_DRAIN_SECONDS: '1' } : {}),
    ...extraEnv,
  };
  const server = 'dist/server/http-server.mjs';
  const command = [process.execPath, ...NODE_FLAGS, ...(PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve('.bench/profile')}`] : []), server];
  const child = await startChild(server, env, command);
  rss.watch(child.pid!);
  measuredPid = child.pid!;
  try {
    const base = `http://127.0.0.1:${port}`;
    await waitReady(`${base}/health/ready`);
    const secret = readFileSync(path.join(DATA_DIR, 'local-auth-secret'), 'utf8').trim();
    return await fn(base, secret);
  } finally {
    rss.stop();
    await stop(child);
  }
}

/** Runs one baseline or peer server (a child process), waits until it answers at `readyPath`, drives it, stops it. */
async function measure(
  name: string,
  server: { file: string; env: Record<string, string>; port: number; command?: string[]; readyPath?: string },
  scenario: (base: string) => Promise<Row> = (base) => drive(name, base, [{ method: 'GET', path: '/' }]),
) {
  const child = await startChild(server.file, { PORT: String(server.port), ...server.env }, server.command);
  measuredPid = child.pid!;
  const base = `http://127.0.0.1:${server.port}`;
  try {
    await waitReady(base + (server.readyPath ?? '/'));
    return await scenario(base);
  } finally {
    await stop(child);
  }
}

const READS = ['list', 'report', 'get', 'roster', 'me', 'checkin'];
/** Centres the morning rush spreads over (`--rush-centres`). */
const RUSH_CENTRES = Number(arg('rush-centres', '200'));
/**
 * The rate limits the morning rush runs with, set explicitly: the production defaults per user and per IP on /auth/*
 * raised only for the set-up (one IP signs in ~4 users per centre); the per-user limit stays the production default
 * (6,000 a minute), far above what any one session of the rush sends (~1 request a second).
 */
const RUSH_LIMITS = { RATE_LIMIT_PER_MINUTE: '6000', RATE_LIMIT_AUTH_PER_MINUTE: '1000000', RATE_LIMIT_AUTH_PER_USER_PER_MINUTE: '120' };

/** The morning rush (bench/rush.ts) on its own API process; `floorRps` is the list floor measured in the same run. */
async function runRush(dbName: string, floorRps: number) {
  let report: ReturnType<typeof rushReport> | undefined;
  const rows = await runApi(
    dbName,
    3909,
    async (base, secret) => {
      const c = new pg.Client({ connectionString: dbUrl(dbName) });
      await c.connect();
      await c.query(`update attendance set check_out_at = now() where check_out_at is null`);
      await c.end();
      const centres = await setUpRush(base, secret, dbUrl(dbName), RUSH_CENTRES);
      const result = await stepRush(base, morningMix(centres), floorRps, DURATION, WARMUP);
      report = rushReport(result, floorRps, `Rate limits: ${Object.entries(RUSH_LIMITS).map(([k, v]) => `${k}=${v}`).join(', ')} (the per-user limit is the production default; no session of the rush comes near it). ${RUSH_CENTRES} centres: per centre the owner, a teacher (the rooms' tablets), 2 parents, a kiosk and 10 PINs.`);
      const best = result.best ?? result.steps[0]!;
      return [{ name: `morning rush (open model) at ${best.rate} req/s`, rps: best.completed, p50: best.p50, p99: best.p99, errors: best.errors, non2xx: 0 } as Row];
    },
    RUSH_LIMITS,
  );
  console.log(`\n${report!.table}\n\n${report!.summary}`);
  return { rows, report: report! };
}

/** `--only …,coldstart`: the Lambda cold starts of `npm run bench:coldstart` (scripts/bench-coldstart.mjs) after the rest. */
function coldStart() {
  const r = spawnSync(process.execPath, ['scripts/bench-coldstart.mjs'], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('bench:coldstart failed');
}

async function main() {
  // `--only coldstart`: only the cold starts (no server, no floor).
  if (ONLY?.join() === 'coldstart') return coldStart();
  // `--only notifications`: the delivery benchmarks of bench/notifications.ts, on their own.
  if (ONLY?.join() === 'notifications') return void (await import('./notifications.js')).run();
  mkdirSync(DATA_DIR, { recursive: true });
  if (spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' }).status !== 0) throw new Error('build failed');
  if (!(await dbExists('daycare_bench_10'))) spawnSync('npx', ['tsx', 'bench/seed-scale.ts', '--tenants', '10'], { stdio: 'inherit' });
  const big = (await dbExists('daycare_bench_1000')) ? 'daycare_bench_1000' : null;
  if (!big) console.log('daycare_bench_1000 is missing: run `npm run bench:seed -- --tenants 1000` for the growth figures');
  const primary = big ?? 'daycare_bench_10';
  console.log(`\nbenchmark on ${primary}: ${CONNECTIONS} connections, ${DURATION} s per run\n`);

  const results: Record<string, Row> = {};
  const tenantIds: string[] = [];
  const picks: [string, string][] = [];
  // The API, twice in one process: the second run shows whether memory grows from one run to the next.
  const main = await runApi(primary, 3901, async (base, secret) => {
    const many = big && !ONLY ? 100 : 10;
    const sessions: Session[] = [];
    for (let t = 1; t <= many; t++) sessions.push(await signIn(base, secret, t));
    const c = new pg.Client({ connectionString: dbUrl(primary) });
    await c.connect();
    tenantIds.push(...(await c.query(`select id from tenants order by name limit 10`)).rows.map((r) => r.id));
    // A previous run stopped mid-pair leaves children checked in: close those, or their check-ins would be 409s.
    resetStays = async () => {
      const r = new pg.Client({ connectionString: dbUrl(primary) });
      await r.connect();
      await r.query(`update attendance set check_out_at = now() where check_out_at is null and check_in_at > now() - interval '1 hour'`);
      await r.end();
    };
    await c.query(`update attendance set check_out_at = now() where check_out_at is null`);
    // The write floor checks in other children of the same centres (its own pool, so neither run meets the other's).
    const floorKids = sessions.slice(0, 10).flatMap((s) => s.students.slice(60, 100));
    picks.push(...(await c.query(`select tenant_id, id from students where id = any($1::uuid[])`, [floorKids])).rows.map((r): [string, string] => [r.tenant_id, r.id]));
    await c.end();
    if (ONLY) return scenarioSet(base, sessions.slice(0, 10), '', ONLY);
    const rows = await scenarioSet(base, sessions.slice(0, 10), '', READS);
    rows.push(...(await scenarioSet(base, sessions, '', ['mixed'])));
    rows.push(...(await scenarioSet(base, sessions.slice(0, 10), 'run 2: ', READS)));
    rows.push(...(await scenarioSet(base, sessions, 'run 2: ', ['mixed'])));
    return rows;
  });
  for (const r of main) results[r.name] = r;

  const baselines: Row[] = [];
  const floorEnv = { DATABASE_URL: dbUrl(primary), BENCH_TENANTS: JSON.stringify(tenantIds), BENCH_SQL: LIST_SQL };
  const floor = await measure('floor: node:http + pg, same SQL', { file: 'bench/baselines/bare-pg.mjs', env: floorEnv, port: 3902 });
  if (ONLY) {
    if (ONLY.includes('rush')) await runRush(primary, floor.rps);
    if (ONLY.includes('coldstart')) coldStart();
    return;
  }
  const floorRls = await measure('floor + RLS transaction, same SQL', { file: 'bench/baselines/bare-pg.mjs', env: { ...floorEnv, BENCH_RLS: '1' }, port: 3905 });
  baselines.push(floor, floorRls);
  const peerRows: Record<string, Row> = {};
  for (const p of peers(primary)) {
    if (!p.available) {
      console.log(`${p.name}: not measured (${p.missing})`);
      continue;
    }
    const next = rr(tenantIds.map(peerCookie));
    const row = await measure(p.name, { ...p.server, readyPath: '/students' }, (base) =>
      drive(p.name, base, [{ method: 'GET', setupRequest: (req: any) => ({ ...req, path: '/students?limit=51', headers: { cookie: next() } }) }]),
    );
    peerRows[p.key] = row;
    baselines.push(row);
  }
  const writeFloorName = 'write floor: node:http + pg, same 2 transactions';
  const writeFloor = await measure(writeFloorName, { file: 'bench/baselines/bare-pg-writes.mjs', env: { DATABASE_URL: dbUrl(primary), BENCH_STUDENTS: JSON.stringify(picks) }, port: 3908 }, (base) =>
    drivePairs(writeFloorName, base, picks.map(([, id]) => ({ id, headers: {} }))),
  );
  baselines.push(writeFloor);
  const ceiling = await measure('ceiling: bare Hono, constant', { file: 'bench/baselines/bare-hono.mjs', env: {}, port: 3903 });
  baselines.push(ceiling);
  const rush = await runRush(primary, floor.rps);
  for (const r of rush.rows) results[r.name] = r;

  // Telemetry on: the same scenarios with OTLP export to a local sink that accepts everything (spans batched, metrics
  // every minute), against the run above with telemetry off.
  const sink = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  await new Promise<void>((r) => sink.listen(3906, '127.0.0.1', r));
  const withTelemetry = await runApi(
    primary,
    3907,
    async (base, secret) => {
      const sessions: Session[] = [];
      for (let t = 1; t <= 10; t++) sessions.push(await signIn(base, secret, t));
      return scenarioSet(base, sessions, 'telemetry on: ', ['list', 'get']);
    },
    { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:3906', OTEL_SERVICE_NAME: 'daycare-bench' },
  );
  await new Promise((r) => sink.close(r));
  for (const r of withTelemetry) results[r.name] = r;

  let growth: { list: number; roster: number } | null = null;
  if (big) {
    const small = await runApi('daycare_bench_10', 3904, async (base, secret) => {
      const sessions: Session[] = [];
      for (let t = 1; t <= 10; t++) sessions.push(await signIn(base, secret, t));
      return scenarioSet(base, sessions, '10 centres: ', ['list', 'roster']);
    });
    for (const r of small) results[r.name] = r;
    growth = { list: small[0]!.rps / results['GET /students?limit=50']!.rps, roster: small[1]!.rps / results['GET /rooms/{id}/roster']!.rps };
  }

  const list = results['GET /students?limit=50']!;
  const list2 = results['run 2: GET /students?limit=50']!;
  const roster = results['GET /rooms/{id}/roster']!;
  const report = results['GET /students/{id}/daily-report']!;
  const pairs = results['POST check-in + check-out']!;
  const pct = (a: number, b: number) => `${((a / b) * 100).toFixed(0)}%`;
  const mark = (ok: boolean) => (ok ? 'met' : 'MISSED');
  const apiRows = Object.values(results);
  const peakOf = (prefix: (n: string) => boolean) => Math.max(...main.filter((r) => prefix(r.name)).map((r) => r.rssMb ?? 0));
  const rss1 = peakOf((n) => !n.startsWith('run 2: '));
  const rss2 = peakOf((n) => n.startsWith('run 2: '));
  const rssMax = Math.max(...apiRows.map((r) => r.rssMb ?? 0));
  const errors = [...apiRows, ...baselines].reduce((a, r) => a + r.errors, 0);
  const readP99 = [list, roster, report].map((r) => r.p99);
  const fastapi = peerRows.fastapi;
  const express = peerRows.express;
  const summary = [
    `authenticated GET /students?limit=50 = ${pct(list.rps, floor.rps)} of the floor (target ≥ 70%): ${mark(list.rps >= 0.7 * floor.rps)}; run 2 in the same process: ${pct(list2.rps, floor.rps)}`,
    fastapi
      ? `authenticated GET /students?limit=50 = ${(list.rps / fastapi.rps).toFixed(2)}× the FastAPI peer (${fastapi.rps} req/s; target ≥ 1.5×): ${mark(list.rps >= 1.5 * fastapi.rps)}; run 2: ${(list2.rps / fastapi.rps).toFixed(2)}×`
      : 'FastAPI peer: not measured (its Debian packages are not installed)',
    express ? `Express peer: ${express.rps} req/s (${pct(express.rps, floor.rps)} of the floor); the API is ${(list.rps / express.rps).toFixed(2)}× it` : 'Express peer: not measured',
    `GET /rooms/{id}/roster = ${pct(roster.rps, floor.rps)} of the floor (target ≥ 50%): ${mark(roster.rps >= 0.5 * floor.rps)}`,
    `GET /students/{id}/daily-report = ${pct(report.rps, floor.rps)} of the floor (target ≥ 50%): ${mark(report.rps >= 0.5 * floor.rps)}`,
    `p99 at ${CONNECTIONS} connections: list ${readP99[0]} ms, roster ${readP99[1]} ms, daily report ${readP99[2]} ms (target < 50 ms): ${mark(readP99.every((p) => p < 50))}`,
    `check-in + check-out = ${pct(pairs.rps, writeFloor.rps)} of the write floor doing the same two transactions (${pairs.rps} vs ${writeFloor.rps} req/s; target ≥ 50%): ${mark(pairs.rps >= 0.5 * writeFloor.rps)}`,
    `errors across all runs: ${errors} (target 0): ${mark(errors === 0)}`,
    growth
      ? `growth 10 → 1000 centres (throughput ratio, 10/1000): list ${growth.list.toFixed(2)}, roster ${growth.roster.toFixed(2)} (target ≤ 1.3): ${mark(growth.list <= 1.3 && growth.roster <= 1.3)}`
      : 'growth: not measured (no 1000-centre data set)',
    `API RSS: peak ${rssMax} MiB over the whole benchmark (target < 200 MiB): ${mark(rssMax < 200)}; peak in run 1 ${rss1} MiB, in run 2 ${rss2} MiB (target: no growth, ≤ +10%): ${mark(rss2 <= rss1 * 1.1)}`,
    `floor ${floor.rps} req/s; floor inside a BEGIN … COMMIT RLS transaction ${floorRls.rps} req/s (${pct(floorRls.rps, floor.rps)}); framework ceiling (bare Hono) ${ceiling.rps} req/s`,
    `per-request overhead of the API over the floor ≈ ${(1e6 / list.rps - 1e6 / floor.rps).toFixed(0)} µs of machine time (both cores)`,
    ...(results['telemetry on: GET /students?limit=50']
      ? [`telemetry (OTLP spans + metrics) costs ${((1 - results['telemetry on: GET /students?limit=50']!.rps / list.rps) * 100).toFixed(0)}% of GET /students?limit=50 throughput`]
      : []),
  ];
  summary.unshift(rush.report.summary);
  console.log('\n' + summary.join('\n'));

  const table = [
    '| scenario | req/s | p50 ms | p99 ms | errors | non-2xx | API RSS MiB |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...[...apiRows, ...baselines].map((r) => `| ${r.name} | ${r.rps} | ${r.p50} | ${r.p99} | ${r.errors} | ${r.non2xx} | ${r.rssMb ?? ''} |`),
  ].join('\n');
  const parts: CpuPart[] = ['server', 'postgres', 'redis', 'load generator', 'other'];
  const cpuTable = [
    `| scenario | ${parts.join(' | ')} | total |`,
    `| --- | ${parts.map(() => '---:').join(' | ')} | ---: |`,
    ...[...apiRows, ...baselines].filter((r) => r.cpu).map((r) => `| ${r.name} | ${parts.map((p) => r.cpu![p]).join(' | ')} | ${parts.reduce((a, p) => a + r.cpu![p], 0)} |`),
  ].join('\n');
  console.log(`\nCPU time per request (µs), by process:\n${cpuTable}`);
  const docPath = 'docs/performance.md';
  if (existsSync(docPath)) {
    const doc = readFileSync(docPath, 'utf8');
    const block = `<!-- bench:start -->\nLatest run: ${new Date().toISOString()} on ${primary}, ${CONNECTIONS} connections, ${DURATION} s per scenario after ${WARMUP} s of warm-up.\n\n${table}\n\n${summary.map((s) => `- ${s}`).join('\n')}\n\nCPU time per request (µs) by process, from /proc: where the machine's two cores go in each scenario.\n\n${cpuTable}\n\nThe morning rush:\n\n${rush.report.table}\n<!-- bench:end -->`;
    writeFileSync(docPath, doc.replace(/<!-- bench:start -->[\s\S]*<!-- bench:end -->/, block));
    console.log(`\nfigures written to ${docPath}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
