/**
 * `npm run bench`: the HTTP benchmark (issue 7). Starts the real server (child process) on PostgreSQL and Redis, signs
 * in as owners of several centres and drives it with autocannon (bounded in time and connections), next to two
 * baselines measured in the same run: a bare node:http + pg server doing the same SQL (the floor) and a bare Hono
 * server answering a constant (the framework's ceiling). Prints a table and rewrites the figures in docs/performance.md.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { signLocalSupabaseToken } from '../src/core/security/supabase.js';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : def;
};
const DURATION = Number(arg('duration', '8'));
const CONNECTIONS = Number(arg('connections', '32'));
const ADMIN = process.env.BENCH_ADMIN_URL ?? 'postgres://root@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const dbUrl = (name: string) => {
  const u = new URL(ADMIN);
  u.pathname = `/${name}`;
  return u.toString();
};
const DATA_DIR = path.resolve('.bench/data');

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

function startChild(file: string, env: Record<string, string>): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    child.on('exit', (code) => reject(new Error(`${file} exited with ${code}`)));
    child.stdout!.on('data', () => undefined);
    resolve(child);
  });
}
async function waitReady(url: string) {
  for (let i = 0; i < 150; i++) {
    try {
      const r = await fetch(url);
      if (r.ok) return;
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
    setTimeout(() => child.kill('SIGKILL'), 3000).unref();
  });
}

interface Session {
  cookie: string;
  csrf: string;
  students: string[];
  rooms: string[];
}

async function signIn(base: string, secret: string, t: number): Promise<Session> {
  const token = await signLocalSupabaseToken(secret, `owner${t}@bench.example`);
  const r = await fetch(`${base}/auth/exchange`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ accessToken: token }) });
  if (!r.ok) throw new Error(`sign-in ${t}: ${r.status} ${await r.text()}`);
  const body = (await r.json()) as any;
  const jar = new Map(r.headers.getSetCookie().map((c) => c.split(';')[0]!.split('=') as [string, string]));
  let csrf = body.csrfToken as string;
  // The seeded owner membership is an invitation: accept it and switch there (nothing joins at sign-in).
  const inv = body.activeMembershipId ? null : body.invitations?.[0];
  if (inv) {
    const post = (p: string, b: unknown) =>
      fetch(base + p, { method: 'POST', headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '), 'x-csrf-token': csrf, 'content-type': 'application/json' }, body: JSON.stringify(b) });
    if (!(await post(`/invitations/${inv.id}/accept`, {})).ok) throw new Error(`accept ${t}`);
    const sw = await post('/auth/switch', { membershipId: inv.id });
    if (!sw.ok) throw new Error(`switch ${t}: ${sw.status}`);
    for (const c of sw.headers.getSetCookie()) jar.set(...(c.split(';')[0]!.split('=') as [string, string]));
    csrf = ((await sw.json()) as any).csrfToken;
  }
  const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
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
}
async function drive(name: string, url: string, requests: autocannon.Request[], connections = CONNECTIONS): Promise<Row> {
  const res = await autocannon({ url, connections, duration: DURATION, requests, pipelining: 1 });
  const row = { name, rps: Math.round(res.requests.average), p50: res.latency.p50, p99: res.latency.p99, errors: res.errors + res.timeouts, non2xx: res.non2xx };
  console.log(`${name.padEnd(34)} ${String(row.rps).padStart(7)} req/s  p50 ${String(row.p50).padStart(4)} ms  p99 ${String(row.p99).padStart(4)} ms  errors ${row.errors}  non-2xx ${row.non2xx}`);
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
    // Each connection checks one child in and out again; a pool of free children avoids self-inflicted 409s.
    const free = sessions.flatMap((s) => s.students.slice(0, 60).map((id) => ({ s, id })));
    rows.push(
      await drive(`${label}POST check-in + check-out`, base, [
        {
          method: 'POST',
          setupRequest: (req: any, ctx: any) => {
            ctx.pick = free.shift();
            if (!ctx.pick) return req;
            return { ...req, path: '/attendance/check-in', headers: { cookie: ctx.pick.s.cookie, 'x-csrf-token': ctx.pick.s.csrf, 'content-type': 'application/json' }, body: JSON.stringify({ studentId: ctx.pick.id }) };
          },
        },
        {
          method: 'POST',
          setupRequest: (req: any, ctx: any) => ({ ...req, path: '/attendance/check-out', headers: { cookie: ctx.pick.s.cookie, 'x-csrf-token': ctx.pick.s.csrf, 'content-type': 'application/json' }, body: JSON.stringify({ studentId: ctx.pick.id }) }),
          onResponse: (_status: number, _body: string, ctx: any) => {
            if (ctx.pick) free.push(ctx.pick);
          },
        },
      ]),
    );
  }
  if (want('mixed')) {
    const paths = [(_s: Session) => '/students?limit=50', (s: Session) => `/students/${s.students[0]}`, (s: Session) => `/rooms/${s.rooms[0]}/roster`, () => '/me/context', () => '/attendance?limit=50'];
    rows.push(await drive(`${label}mixed, ${sessions.length} centres`, base, [withSession((s) => paths[Math.floor(Math.random() * paths.length)]!(s))]));
  }
  return rows;
}

async function runApi(dbName: string, port: number, fn: (base: string, secret: string) => Promise<Row[]>, extraEnv: Record<string, string> = {}) {
  const env = {
    ...extraEnv,
    DATABASE_URL: dbUrl(dbName),
    REDIS_URL,
    PORT: String(port),
    DATA_DIR,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_MINUTE: '10000000',
    RATE_LIMIT_AUTH_PER_MINUTE: '1000000',
    SCHEDULER_ENABLED: 'false',
    DB_POOL_MAX: '10',
  };
  const child = await startChild('dist/server/http-server.mjs', env);
  try {
    const base = `http://127.0.0.1:${port}`;
    await waitReady(`${base}/health/ready`);
    const secret = readFileSync(path.join(DATA_DIR, 'local-auth-secret'), 'utf8').trim();
    return await fn(base, secret);
  } finally {
    await stop(child);
  }
}

async function main() {
  mkdirSync(DATA_DIR, { recursive: true });
  if (spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' }).status !== 0) throw new Error('build failed');
  if (!(await dbExists('daycare_bench_10'))) spawnSync('npx', ['tsx', 'bench/seed-scale.ts', '--tenants', '10'], { stdio: 'inherit' });
  const big = (await dbExists('daycare_bench_1000')) ? 'daycare_bench_1000' : null;
  if (!big) console.log('daycare_bench_1000 is missing: run `npm run bench:seed -- --tenants 1000` for the growth figures');
  const primary = big ?? 'daycare_bench_10';
  console.log(`\nbenchmark on ${primary}: ${CONNECTIONS} connections, ${DURATION} s per run\n`);

  const results: Record<string, Row> = {};
  const tenantIds: string[] = [];
  const main = await runApi(primary, 3901, async (base, secret) => {
    const many = big ? 100 : 10;
    const sessions: Session[] = [];
    for (let t = 1; t <= many; t++) sessions.push(await signIn(base, secret, t));
    const c = new pg.Client({ connectionString: dbUrl(primary) });
    await c.connect();
    tenantIds.push(...(await c.query(`select id from tenants order by name limit 10`)).rows.map((r) => r.id));
    // A previous run stopped mid-pair leaves children checked in: close those, or their check-ins would be 409s.
    await c.query(`update attendance set check_out_at = now() where check_out_at is null`);
    await c.end();
    const rows = await scenarioSet(base, sessions.slice(0, 10), '', ['list', 'report', 'get', 'roster', 'me', 'checkin']);
    rows.push(...(await scenarioSet(base, sessions, '', ['mixed'])));
    return rows;
  });
  for (const r of main) results[r.name] = r;

  const floorChild = await startChild('bench/baselines/bare-pg.mjs', { DATABASE_URL: dbUrl(primary), PORT: '3902', BENCH_TENANTS: JSON.stringify(tenantIds) });
  await waitReady('http://127.0.0.1:3902/');
  const floor = await drive('floor: node:http + pg, same SQL', 'http://127.0.0.1:3902', [{ method: 'GET', path: '/' }]);
  await stop(floorChild);
  const rlsChild = await startChild('bench/baselines/bare-pg.mjs', { DATABASE_URL: dbUrl(primary), PORT: '3905', BENCH_TENANTS: JSON.stringify(tenantIds), BENCH_RLS: '1' });
  await waitReady('http://127.0.0.1:3905/');
  const floorRls = await drive('floor + RLS transaction, same SQL', 'http://127.0.0.1:3905', [{ method: 'GET', path: '/' }]);
  await stop(rlsChild);
  const honoChild = await startChild('bench/baselines/bare-hono.mjs', { PORT: '3903' });
  await waitReady('http://127.0.0.1:3903/');
  const ceiling = await drive('ceiling: bare Hono, constant', 'http://127.0.0.1:3903', [{ method: 'GET', path: '/' }]);
  await stop(honoChild);

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
    const bigList = results['GET /students?limit=50']!;
    const bigRoster = results['GET /rooms/{id}/roster']!;
    growth = { list: small[0]!.rps / bigList.rps, roster: small[1]!.rps / bigRoster.rps };
  }

  const list = results['GET /students?limit=50']!;
  const fraction = list.rps / floor.rps;
  const overheadUs = (1e6 / list.rps - 1e6 / floor.rps) ;
  const listOn = results['telemetry on: GET /students?limit=50'];
  const summary = [
    ...(listOn ? [`telemetry (OTLP spans + metrics) costs ${((1 - listOn.rps / list.rps) * 100).toFixed(0)}% of GET /students?limit=50 throughput (off ${list.rps} req/s, on ${listOn.rps} req/s)`] : []),
    `authenticated GET /students?limit=50 = ${(fraction * 100).toFixed(0)}% of the floor's throughput (target ≥ 70%)`,
    `per-request overhead of session + RLS + permissions over the floor ≈ ${overheadUs.toFixed(0)} µs of server time`,
    `framework ceiling (bare Hono) ${ceiling.rps} req/s; floor ${floor.rps} req/s; floor inside the RLS transaction ${floorRls.rps} req/s (${((floorRls.rps / floor.rps) * 100).toFixed(0)}% of the floor)`,
    `authenticated GET /students?limit=50 = ${((list.rps / floorRls.rps) * 100).toFixed(0)}% of the floor-with-RLS (the cost of Hono, session, permissions and Redis)`,
    `p99 of GET /students?limit=50 at ${CONNECTIONS} connections: ${list.p99} ms (target < 50 ms)`,
    `errors across all runs: ${Object.values(results).reduce((a, r) => a + r.errors, 0)} (target 0)`,
    growth ? `growth 10 → 1000 centres (throughput ratio, 10/1000): list ${growth.list.toFixed(2)}, roster ${growth.roster.toFixed(2)} (target ≤ 1.3)` : 'growth: not measured (no 1000-centre data set)',
  ];
  console.log('\n' + summary.join('\n'));

  const table = [
    '| scenario | req/s | p50 ms | p99 ms | errors | non-2xx |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...[...Object.values(results), floor, floorRls, ceiling].map((r) => `| ${r.name} | ${r.rps} | ${r.p50} | ${r.p99} | ${r.errors} | ${r.non2xx} |`),
  ].join('\n');
  const docPath = 'docs/performance.md';
  if (existsSync(docPath)) {
    const doc = readFileSync(docPath, 'utf8');
    const block = `<!-- bench:start -->\nLatest run: ${new Date().toISOString()} on ${primary}, ${CONNECTIONS} connections, ${DURATION} s per scenario.\n\n${table}\n\n${summary.map((s) => `- ${s}`).join('\n')}\n<!-- bench:end -->`;
    writeFileSync(docPath, doc.replace(/<!-- bench:start -->[\s\S]*<!-- bench:end -->/, block));
    console.log(`\nfigures written to ${docPath}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
