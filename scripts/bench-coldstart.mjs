// `npm run bench:coldstart`: builds the Lambda bundles, prints their sizes (the API must load < 1 MB at import), then
// measures cold starts in fresh Node processes: import the bundle + answer a first API Gateway v2 `GET /health/live`.
//   a   dist/lambda/api.mjs with DATABASE_URL (local PostgreSQL) and SESSION_SECRET, NODE_ENV=production
//   a+  the same with S3, SQS and Redis configured too (Redis's chunk loads at cold start; S3's and SQS's on first use)
//   b   a bare Hono app (`hono/aws-lambda`, one constant route) bundled with the same esbuild options
// and the cold start of a real first request, import + first `GET /students?limit=50`:
//   r   api.mjs (pg) with a valid session cookie: authenticated, the list read from the database (200)
//   r+  the same with S3, SQS and Redis configured too
//   u   api.mjs (pg) without a cookie: the container is built, the route answers 401 (no query)
// The real route runs against its own database (BENCH_DATABASE_URL, default daycare_coldstart), created, migrated and
// given the demo seed (`npm run seed`) the first time; one setup process signs the demo owner in through
// POST /auth/exchange (a Supabase HS256 token signed with the bench's SUPABASE_JWT_SECRET) for the session cookie.
// Prints medians of N runs and the ratios to b. No AWS needed (clients are built, nothing is sent).
import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { buildLambda, LAMBDA_BUILD_OPTIONS, API_LIMIT_BYTES } from './build-lambda.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const N = Number(process.env.BENCH_RUNS ?? 10);
const DATABASE_URL = process.env.DATABASE_URL || 'postgres://root@127.0.0.1:5432/daycare_test';
const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const BENCH_DATABASE_URL = process.env.BENCH_DATABASE_URL || 'postgres://root@127.0.0.1:5432/daycare_coldstart';

// ---------------------------------------------------------------- build + sizes
console.log('== bundles');
const { bundles } = await buildLambda();
const apiOk = bundles.api.static < API_LIMIT_BYTES;
console.log(`API bundle loaded at import: ${(bundles.api.static / 1024).toFixed(0)} KiB ${apiOk ? '<' : '>='} 1 MiB ${apiOk ? 'OK' : 'FAIL'}`);
if (!apiOk) process.exitCode = 1;

const benchDir = path.join(root, '.bench/coldstart');
await mkdir(benchDir, { recursive: true });
await writeFile(
  path.join(benchDir, 'bare.ts'),
  `import { Hono } from 'hono';\nimport { handle } from 'hono/aws-lambda';\nconst app = new Hono();\napp.get('/health/live', (c) => c.json({ status: 'ok' }));\nexport const handler = handle(app);\n`,
);
await build({ ...LAMBDA_BUILD_OPTIONS, absWorkingDir: root, entryPoints: { bare: path.join(benchDir, 'bare.ts') }, outdir: benchDir });
const bare = path.join(benchDir, 'bare.mjs');

// ---------------------------------------------------------------- one cold start = one fresh process
const CHILD = `
const t0 = performance.now();
const { handler } = await import(process.env.BENCH_BUNDLE);
const t1 = performance.now();
const req = JSON.parse(process.env.BENCH_REQUEST ?? '{}');
const method = req.method ?? 'GET', rawPath = req.path ?? '/health/live', rawQueryString = req.query ?? '';
const headers = { host: 'abc123.execute-api.eu-west-1.amazonaws.com', 'user-agent': 'bench', ...(req.headers ?? {}) };
if (req.body !== undefined) headers['content-type'] = 'application/json';
const res = await handler({
  version: '2.0', routeKey: '$default', rawPath, rawQueryString,
  ...(req.cookies ? { cookies: req.cookies } : {}),
  headers,
  ...(rawQueryString ? { queryStringParameters: Object.fromEntries(new URLSearchParams(rawQueryString)) } : {}),
  requestContext: { accountId: '123456789012', apiId: 'abc123', domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
    domainPrefix: 'abc123', http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '203.0.113.10', userAgent: 'bench' },
    requestId: 'BenchReqId0000=', routeKey: '$default', stage: '$default', time: '01/Jan/2026:00:00:00 +0000', timeEpoch: Date.now() },
  ...(req.body !== undefined ? { body: JSON.stringify(req.body) } : {}),
  isBase64Encoded: false,
}, { awsRequestId: 'bench' });
const t2 = performance.now();
const out = { status: res.statusCode, importMs: t1 - t0, firstMs: t2 - t1, totalMs: t2 - t0 };
if (process.env.BENCH_KEEP) Object.assign(out, { cookies: res.cookies ?? [], headers: res.headers, body: res.body });
process.stdout.write(JSON.stringify(out) + '\\n');
process.exit(0);
`;

function coldStart(bundle, env, request, expect = 200, keep = false, nodeArgs = []) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [...nodeArgs, '--input-type=module', '-e', CHILD], {
      cwd: path.dirname(bundle),
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        BENCH_BUNDLE: pathToFileURL(bundle).href,
        ...(request ? { BENCH_REQUEST: JSON.stringify(request) } : {}),
        ...(keep ? { BENCH_KEEP: '1' } : {}),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      const wallMs = performance.now() - started;
      const line = out.trim().split('\n').pop();
      if (code !== 0 || !line) return reject(new Error(`cold start failed (${code}): ${err || out}`));
      const r = JSON.parse(line);
      if (r.status !== expect)
        return reject(new Error(`${request?.method ?? 'GET'} ${request?.path ?? '/health/live'} answered ${r.status}, not ${expect}: ${err}${r.body ?? ''}`));
      resolve({ ...r, wallMs });
    });
  });
}

const reachable = (url) =>
  new Promise((resolve) => {
    const u = new URL(url);
    const s = net.connect({ host: u.hostname, port: Number(u.port || 6379) });
    s.setTimeout(500);
    s.on('connect', () => (s.destroy(), resolve(true)));
    s.on('error', () => resolve(false));
    s.on('timeout', () => (s.destroy(), resolve(false)));
  });

const apiEnv = {
  NODE_ENV: 'production',
  DATABASE_URL,
  SESSION_SECRET: 'bench-session-secret-0123456789-abcdefghijklmnop',
  SUPABASE_JWT_SECRET: 'bench-supabase-jwt-secret-0123456789-abcdefghij',
  // Production refuses the fake payments provider; the Stripe SDK is loaded on first use, never at a cold start.
  PAYMENTS_PROVIDER: 'stripe',
  STRIPE_SECRET_KEY: 'sk_test_bench',
  STRIPE_WEBHOOK_SECRET: 'whsec_bench',
  // Production requires a real email transport; nothing is sent at a cold start (nodemailer loads on first use).
  SMTP_URL: 'smtp://127.0.0.1:2525',
  LOG_LEVEL: 'warn',
};
const withRedis = await reachable(REDIS_URL);
const fullEnv = {
  ...apiEnv,
  S3_BUCKET: 'bench-bucket',
  AWS_REGION: 'eu-west-1',
  JOBS_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/bench-jobs',
  ...(withRedis ? { REDIS_URL } : {}),
};

// ---------------------------------------------------------------- the real route's database and session
/** Creates, migrates and seeds BENCH_DATABASE_URL's database the first time; returns the demo owner's email. */
async function prepareDatabase() {
  const { default: pg } = await import('pg');
  const target = new URL(BENCH_DATABASE_URL);
  const dbName = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(BENCH_DATABASE_URL);
  admin.pathname = '/postgres';
  const a = new pg.Client({ connectionString: admin.href });
  await a.connect();
  try {
    const { rowCount } = await a.query('SELECT 1 FROM pg_database WHERE datname = $1', [dbName]);
    if (!rowCount) await a.query(`CREATE DATABASE "${dbName.replace(/"/g, '""')}"`);
  } finally {
    await a.end();
  }
  const c = new pg.Client({ connectionString: BENCH_DATABASE_URL });
  await c.connect();
  let seeded = false;
  try {
    seeded = !!(await c.query(`SELECT 1 FROM pg_tables WHERE tablename = 'tenants'`)).rowCount &&
      !!(await c.query(`SELECT 1 FROM tenants WHERE id = '00000000-0000-4000-8000-00000000d3e0'`)).rowCount;
  } finally {
    await c.end();
  }
  if (!seeded) {
    console.log(`(seeding ${dbName}: migrations + the demo seed, once)`);
    await new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/entrypoints/cli.ts', 'seed'], {
        cwd: root,
        env: { ...process.env, DATABASE_URL: BENCH_DATABASE_URL, NODE_ENV: 'development', REDIS_URL: '', LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`npm run seed failed (${code})`))));
    });
  }
  return 'owner@demo.example';
}

/** The Supabase user id the seed gave a demo account (src/core/security/supabase.ts localSupabaseSub). */
function localSupabaseSub(email) {
  const h = createHash('sha256').update(`local:${email.toLowerCase()}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Signs the owner in once through POST /auth/exchange (a fresh process of the same bundle) and returns the cookie. */
async function signIn(env, email) {
  const { SignJWT } = await import('jose');
  const supabaseToken = await new SignJWT({ role: 'authenticated', session_id: randomUUID(), is_anonymous: false, email })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(localSupabaseSub(email))
    .setIssuedAt()
    .setAudience('authenticated')
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(env.SUPABASE_JWT_SECRET));
  const r = await coldStart(bundles.api.file, env, { method: 'POST', path: '/auth/exchange', body: { accessToken: supabaseToken } }, 200, true);
  const session = r.cookies.find((c) => c.startsWith('__Host-session='));
  if (!session) throw new Error(`POST /auth/exchange set no session cookie: ${r.body}`);
  if (!JSON.parse(r.body).activeMembershipId) throw new Error(`the demo owner has no active membership: ${r.body}`);
  return session.split(';')[0];
}

const realEnv = { ...apiEnv, DATABASE_URL: BENCH_DATABASE_URL };
const realFullEnv = { ...fullEnv, DATABASE_URL: BENCH_DATABASE_URL };
const owner = await prepareDatabase();
const cookie = await signIn(realEnv, owner);
// Prove the Supabase user id matches the seed's (else exchange would have made a new user without a membership).
const students = { method: 'GET', path: '/students', query: 'limit=50', cookies: [cookie] };
const check = await coldStart(bundles.api.file, realEnv, students, 200, true);
const listed = JSON.parse(check.body);
if (!Array.isArray(listed.items) || listed.items.length === 0) throw new Error(`GET /students listed nothing: ${check.body.slice(0, 200)}`);

const variants = [
  { key: 'a', label: 'a  daycare api.mjs (pg)', bundle: bundles.api.file, env: apiEnv },
  { key: 'a+', label: `a+ daycare api.mjs (pg, S3, SQS${withRedis ? ', Redis' : ''})`, bundle: bundles.api.file, env: fullEnv },
  { key: 'r', label: 'r  GET /students, signed in (pg)', bundle: bundles.api.file, env: realEnv, request: students },
  { key: 'r+', label: `r+ GET /students, signed in (+S3, SQS${withRedis ? ', Redis' : ''})`, bundle: bundles.api.file, env: realFullEnv, request: students },
  { key: 'u', label: 'u  GET /students, no cookie: 401 (pg)', bundle: bundles.api.file, env: realEnv, request: { ...students, cookies: undefined }, expect: 401 },
  { key: 'b', label: 'b  bare Hono app', bundle: bare, env: { NODE_ENV: 'production' } },
];

console.log(`\n== cold starts: ${N} fresh processes per variant (interleaved); a, a+, b: first v2 GET /health/live; r, r+, u: first GET /students?limit=50`);
const runs = Object.fromEntries(variants.map((v) => [v.key, []]));
await coldStart(bare, {}); // warm the OS file cache once, so the first variant is not penalised
for (let i = 0; i < N; i++) for (const v of variants) runs[v.key].push(await coldStart(v.bundle, v.env, v.request, v.expect));

const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const med = (key, field) => median(runs[key].map((r) => r[field]));
const f = (n) => `${n.toFixed(1).padStart(7)} ms`;
console.log(`${'variant'.padEnd(46)} ${'import'.padStart(10)} ${'1st event'.padStart(10)} ${'import+1st'.padStart(10)} ${'process'.padStart(10)}`);
for (const v of variants)
  console.log(`${v.label.padEnd(46)} ${f(med(v.key, 'importMs'))} ${f(med(v.key, 'firstMs'))} ${f(med(v.key, 'totalMs'))} ${f(med(v.key, 'wallMs'))}`);
const ratio = (k) => (med(k, 'totalMs') / med('b', 'totalMs')).toFixed(2);
const wallRatio = (k) => (med(k, 'wallMs') / med('b', 'wallMs')).toFixed(2);
console.log(`\nratio a/b  (import + first event): ${ratio('a')}   (whole process incl. Node start: ${wallRatio('a')})`);
console.log(`ratio a+/b (import + first event): ${ratio('a+')}   (whole process incl. Node start: ${wallRatio('a+')})`);
console.log(`ratio r/b  (import + first GET /students, signed in): ${ratio('r')}   (whole process incl. Node start: ${wallRatio('r')})`);
console.log(`ratio r+/b (import + first GET /students, signed in): ${ratio('r+')}   (whole process incl. Node start: ${wallRatio('r+')})`);
console.log(`ratio u/b  (import + first GET /students, 401): ${ratio('u')}   (whole process incl. Node start: ${wallRatio('u')})`);

// BENCH_CPU_PROF=<dir>: one more cold start of r (after the timed ones, so they are not slowed), with --cpu-prof into
// <dir>; summarise it with `npx tsx bench/profile-summary.ts <dir>/<file>.cpuprofile`.
if (process.env.BENCH_CPU_PROF) {
  const dir = path.resolve(process.env.BENCH_CPU_PROF);
  await mkdir(dir, { recursive: true });
  await coldStart(bundles.api.file, realEnv, students, 200, false, ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', '100']);
  console.log(`\nprofile of a cold GET /students (r) written to ${dir}`);
}
