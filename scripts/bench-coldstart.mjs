// `npm run bench:coldstart`: builds the Lambda bundles, prints their sizes (the API must load < 1 MB at import), then
// measures cold starts in fresh Node processes: import the bundle + answer a first API Gateway v2 `GET /health/live`.
//   a   dist/lambda/api.mjs with DATABASE_URL (local PostgreSQL) and SESSION_SECRET, NODE_ENV=production
//   a+  the same with S3, SQS and Redis configured too (their chunks load at cold start, as in production)
//   b   a bare Hono app (`hono/aws-lambda`, one constant route) bundled with the same esbuild options
// Prints medians of N runs and the ratios to b. No AWS needed (clients are built, nothing is sent).
import { spawn } from 'node:child_process';
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
const res = await handler({
  version: '2.0', routeKey: '$default', rawPath: '/health/live', rawQueryString: '',
  headers: { host: 'abc123.execute-api.eu-west-1.amazonaws.com', 'user-agent': 'bench' },
  requestContext: { accountId: '123456789012', apiId: 'abc123', domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
    domainPrefix: 'abc123', http: { method: 'GET', path: '/health/live', protocol: 'HTTP/1.1', sourceIp: '203.0.113.10', userAgent: 'bench' },
    requestId: 'BenchReqId0000=', routeKey: '$default', stage: '$default', time: '01/Jan/2026:00:00:00 +0000', timeEpoch: Date.now() },
  isBase64Encoded: false,
}, { awsRequestId: 'bench' });
const t2 = performance.now();
process.stdout.write(JSON.stringify({ status: res.statusCode, importMs: t1 - t0, firstMs: t2 - t1, totalMs: t2 - t0 }) + '\\n');
process.exit(0);
`;

function coldStart(bundle, env) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], {
      cwd: path.dirname(bundle),
      env: { PATH: process.env.PATH, HOME: process.env.HOME, BENCH_BUNDLE: pathToFileURL(bundle).href, ...env },
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
      if (r.status !== 200) return reject(new Error(`GET /health/live answered ${r.status}: ${err}`));
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

const variants = [
  { key: 'a', label: 'a  daycare api.mjs (pg)', bundle: bundles.api.file, env: apiEnv },
  { key: 'a+', label: `a+ daycare api.mjs (pg, S3, SQS${withRedis ? ', Redis' : ''})`, bundle: bundles.api.file, env: fullEnv },
  { key: 'b', label: 'b  bare Hono app', bundle: bare, env: { NODE_ENV: 'production' } },
];

console.log(`\n== cold starts: ${N} fresh processes per variant (interleaved), first v2 GET /health/live`);
const runs = Object.fromEntries(variants.map((v) => [v.key, []]));
await coldStart(bare, {}); // warm the OS file cache once, so the first variant is not penalised
for (let i = 0; i < N; i++) for (const v of variants) runs[v.key].push(await coldStart(v.bundle, v.env));

const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const med = (key, field) => median(runs[key].map((r) => r[field]));
const f = (n) => `${n.toFixed(1).padStart(7)} ms`;
console.log(`${'variant'.padEnd(42)} ${'import'.padStart(10)} ${'1st event'.padStart(10)} ${'import+1st'.padStart(10)} ${'process'.padStart(10)}`);
for (const v of variants)
  console.log(`${v.label.padEnd(42)} ${f(med(v.key, 'importMs'))} ${f(med(v.key, 'firstMs'))} ${f(med(v.key, 'totalMs'))} ${f(med(v.key, 'wallMs'))}`);
const ratio = (k) => (med(k, 'totalMs') / med('b', 'totalMs')).toFixed(2);
const wallRatio = (k) => (med(k, 'wallMs') / med('b', 'wallMs')).toFixed(2);
console.log(`\nratio a/b  (import + first event): ${ratio('a')}   (whole process incl. Node start: ${wallRatio('a')})`);
console.log(`ratio a+/b (import + first event): ${ratio('a+')}   (whole process incl. Node start: ${wallRatio('a+')})`);
