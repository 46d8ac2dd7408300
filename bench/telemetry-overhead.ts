/**
 * `npx tsx bench/telemetry-overhead.ts [--db daycare_bench_telemetry] [--rounds 2] [--duration 8] [--all-traces] [--profile] [--baseline <ref>]`: the cost of
 * telemetry on the authenticated list (GET /students?limit=50), measured alone — the built server with telemetry off,
 * then on (OTLP to a local sink that accepts everything), alternated `rounds` times so that load from other work on
 * the machine falls on both. Reports throughput and the server's own CPU time per request (steadier than req/s on a
 * shared machine). Needs a seeded database (`npm run bench:seed -- --tenants 100 --db daycare_bench_telemetry`).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import autocannon from 'autocannon';
import { signLocalSupabaseToken } from '../src/core/security/supabase.js';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : def;
};
const DB = arg('db', 'daycare_bench_telemetry');
const ROUNDS = Number(arg('rounds', '2'));
const DURATION = Number(arg('duration', '8'));
const ADMIN = process.env.BENCH_ADMIN_URL ?? 'postgres://root@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/11';
const DATA_DIR = path.resolve('.bench/telemetry-data');
const NODE_FLAGS = (JSON.parse(readFileSync('package.json', 'utf8')).scripts.start as string).match(/--[\w-]+=\S+/g) ?? [];
/** `--profile`: every server runs with --cpu-prof, into .bench/profile/telemetry-<variant> (`npx tsx bench/profile-summary.ts <file>`). */
const PROFILE = process.argv.includes('--profile');
/** `--baseline <git ref>`: also the default telemetry as built from that commit (the same run, alternated: a before/after ratio on a busy machine). */
const BASELINE = process.argv.includes('--baseline') ? arg('baseline', 'HEAD') : undefined;
const BASELINE_DIR = path.resolve('.bench/telemetry-baseline');
const profileFlags = (name: string) => (PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve('.bench/profile', `telemetry-${name.replace(/\W+/g, '-')}`)}`] : []);
const dbUrl = () => Object.assign(new URL(ADMIN), { pathname: `/${DB}` }).toString();

const VARIANTS: Record<string, Record<string, string>> = {
  off: {},
  'on (default)': { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:3956', OTEL_SERVICE_NAME: 'daycare-bench' },
  // `--all-traces`: also with every trace recorded (the default samples one root trace in ten).
  ...(BASELINE ? { [`on, ${BASELINE}`]: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:3956', OTEL_SERVICE_NAME: 'daycare-bench', SERVER: path.join(BASELINE_DIR, 'dist/server/http-server.mjs') } } : {}),
  ...(process.argv.includes('--all-traces') ? { 'on, every trace': { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:3956', OTEL_SERVICE_NAME: 'daycare-bench', OTEL_TRACES_SAMPLER: 'parentbased_always_on' } } : {}),
};

const ticks = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(f[11]) + Number(f[12]);
};

async function start(name: string, env: Record<string, string>, port: number): Promise<ChildProcess> {
  const { SERVER = 'dist/server/http-server.mjs', ...vars } = env;
  const child = spawn(process.execPath, [...NODE_FLAGS, ...profileFlags(name), SERVER], {
    env: { ...process.env, DATABASE_URL: dbUrl(), REDIS_URL, PORT: String(port), DATA_DIR, LOG_LEVEL: 'warn', RATE_LIMIT_PER_MINUTE: '10000000', RATE_LIMIT_AUTH_PER_MINUTE: '1000000', SCHEDULER_ENABLED: 'false', DB_POOL_MAX: '10', ...vars },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; i < 150; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health/ready`)).ok) return child;
    } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('the server never became ready');
}

async function signIn(base: string, secret: string, t: number): Promise<string> {
  const token = await signLocalSupabaseToken(secret, `owner${t}@bench.example`);
  const r = await fetch(`${base}/auth/exchange`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ accessToken: token }) });
  const body = (await r.json()) as any;
  const jar = new Map(r.headers.getSetCookie().map((c) => c.split(';')[0]!.split('=') as [string, string]));
  const inv = body.activeMembershipId ? null : body.invitations?.[0];
  if (inv) {
    const post = (p: string, b: unknown) =>
      fetch(base + p, { method: 'POST', headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '), 'x-csrf-token': body.csrfToken, 'content-type': 'application/json' }, body: JSON.stringify(b) });
    await post(`/invitations/${inv.id}/accept`, {});
    const sw = await post('/auth/switch', { membershipId: inv.id });
    for (const c of sw.headers.getSetCookie()) jar.set(...(c.split(';')[0]!.split('=') as [string, string]));
  }
  return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
}

async function measure(name: string, env: Record<string, string>, port: number) {
  const child = await start(name, env, port);
  try {
    const base = `http://127.0.0.1:${port}`;
    const secret = readFileSync(path.join(DATA_DIR, 'local-auth-secret'), 'utf8').trim();
    const cookies: string[] = [];
    for (let t = 1; t <= 10; t++) cookies.push(await signIn(base, secret, t));
    let i = 0;
    const requests = [{ method: 'GET' as const, setupRequest: (req: any) => ({ ...req, path: '/students?limit=50', headers: { cookie: cookies[i++ % cookies.length]! } }) }];
    await autocannon({ url: base, connections: 32, duration: 4, requests });
    const before = ticks(child.pid!);
    const res = await autocannon({ url: base, connections: 32, duration: DURATION, requests });
    const cpuUs = ((ticks(child.pid!) - before) * 10_000) / (res.requests.total || 1);
    const row = { name, rps: Math.round(res.requests.average), p99: res.latency.p99, cpuUs: Math.round(cpuUs), errors: res.errors + res.non2xx };
    console.log(`${name.padEnd(20)} ${String(row.rps).padStart(6)} req/s  p99 ${row.p99} ms  server CPU ${row.cpuUs} µs/request  errors ${row.errors}`);
    return row;
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

async function main() {
  mkdirSync(DATA_DIR, { recursive: true });
  if (spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' }).status !== 0) throw new Error('build failed');
  if (BASELINE) {
    // That commit's sources, built beside ours (its bundle finds this checkout's node_modules).
    rmSync(BASELINE_DIR, { recursive: true, force: true });
    mkdirSync(BASELINE_DIR, { recursive: true });
    const archive = spawnSync('git', ['archive', BASELINE, 'src', 'package.json', 'scripts/build.mjs'], { maxBuffer: 1 << 30 });
    if (archive.status !== 0 || spawnSync('tar', ['-x', '-C', BASELINE_DIR], { input: archive.stdout }).status !== 0) throw new Error(`git archive ${BASELINE} failed`);
    if (spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit', cwd: BASELINE_DIR }).status !== 0) throw new Error('baseline build failed');
  }
  const sink = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  await new Promise<void>((r) => sink.listen(3956, '127.0.0.1', r));
  const rows: Record<string, { rps: number[]; cpu: number[] }> = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, env] of Object.entries(VARIANTS)) {
      const r = await measure(name, env, 3955);
      (rows[name] ??= { rps: [], cpu: [] }).rps.push(r.rps);
      rows[name].cpu.push(r.cpuUs);
    }
  }
  sink.close();
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const off = rows.off!;
  for (const [name, r] of Object.entries(rows)) {
    if (name === 'off') continue;
    console.log(
      `telemetry ${name}: ${mean(r.rps).toFixed(0)} vs ${mean(off.rps).toFixed(0)} req/s off (${((1 - mean(r.rps) / mean(off.rps)) * 100).toFixed(1)}% of throughput); ` +
        `server CPU ${mean(r.cpu).toFixed(0)} vs ${mean(off.cpu).toFixed(0)} µs/request (+${((mean(r.cpu) / mean(off.cpu) - 1) * 100).toFixed(1)}%)`,
    );
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
