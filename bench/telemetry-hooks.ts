/**
 * `npx tsx bench/telemetry-hooks.ts [--rounds 3] [--requests 30000] [--baseline <git ref>]`: what telemetry adds to a
 * request inside the process, without a database or an HTTP server — steadier than bench/telemetry-overhead.ts on a
 * busy machine, since it counts only this process's CPU time. A simulated request: the log scope and
 * telemetry.request around 40 awaits, 3 pg queries and 3 Redis commands (pg's and ioredis's own methods replaced by
 * stubs, so the telemetry hooks wrap them as in the server), spans exported over OTLP/HTTP to a sink in another process.
 * `never sampled` is the default sampler at ratio 0: what every request pays. Each variant runs in a fresh process, alternated `rounds` times; `--baseline` adds that commit's src/core beside ours.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import http, { createServer } from 'node:http';
import path from 'node:path';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : def;
};
const SINK_PORT = 3958;

async function child(root: string, mode: string, requests: number) {
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${SINK_PORT}`;
  if (mode === 'every trace') process.env.OTEL_TRACES_SAMPLER = 'parentbased_always_on';
  const pg = (await import('pg')).default;
  const { Redis } = await import('ioredis');
  (pg.Client.prototype as unknown as { query: unknown }).query = async () => ({ rows: [] });
  (Redis.prototype as unknown as { sendCommand: unknown }).sendCommand = (command: { promise: Promise<unknown> }) => command.promise;
  const { startTelemetry, telemetry } = await import(path.resolve(root, 'src/core/telemetry.ts'));
  const { logContext } = await import(path.resolve(root, 'src/core/logger.ts'));
  const client = Object.create(pg.Client.prototype) as { query: (text: string) => Promise<unknown> };
  const redis = Object.create(Redis.prototype) as { sendCommand: (c: { name: string; promise: Promise<unknown> }) => Promise<unknown> };
  const step = async (i: number) => {
    if (i % 13 === 0) await client.query('SELECT 1');
    else if (i % 13 === 6) await redis.sendCommand({ name: 'get', promise: Promise.resolve(null) });
    else await Promise.resolve(i);
  };
  const work = async () => {
    for (let i = 0; i < 40; i++) await step(i);
  };
  const agent = new http.Agent({ keepAlive: true });
  const ping = () =>
    new Promise<void>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: SINK_PORT, path: '/ping', method: 'POST', agent }, (res) => res.resume().on('end', resolve));
      req.on('error', reject);
      req.end('{}');
    });
  const outcome = () => ({ route: '/students', status: 200, requestId: 'r', tenantId: 't' });
  const one = () => {
    const fields: Record<string, unknown> = { requestId: 'r' };
    return logContext.run(fields, () => (telemetry.enabled ? telemetry.request('GET', undefined, () => (Object.assign(fields, telemetry.logFields()), work()), outcome) : work()));
  };
  if (mode !== 'off') await startTelemetry({ serviceName: 'daycare-bench', ...(mode === 'never sampled' ? { traceRatio: 0 } : mode.startsWith('ratio=') ? { traceRatio: Number(mode.slice(6)) } : {}) }); // `ratio=0.01`: by hand
  for (let i = 0; i < requests / 5; i++) await one();
  const before = process.cpuUsage();
  for (let i = 0; i < requests; i++) {
    await one();
    // Some real I/O and a timer in every variant (an HTTP round trip to the sink), as a server has: without them, the
    // exporter's sockets and timers alone would change how Node's async hooks run for every promise (their property
    // reads see more kinds of object), and "off" would look cheaper than it is.
    if (i % 50 === 0) await Promise.all([ping(), new Promise((r) => setTimeout(r, 0))]);
  }
  await telemetry.flush();
  const used = process.cpuUsage(before);
  process.stdout.write(String((used.user + used.system) / requests));
}

async function main() {
  const rounds = Number(arg('rounds', '3'));
  const requests = Number(arg('requests', '30000'));
  const baseline = process.argv.includes('--baseline') ? arg('baseline', 'HEAD') : undefined;
  const roots: Record<string, string> = { '': process.cwd() };
  if (baseline) {
    const dir = path.resolve('.bench/telemetry-hooks-baseline');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const archive = spawnSync('git', ['archive', baseline, 'src/core', 'package.json'], { maxBuffer: 1 << 30 });
    if (archive.status !== 0 || spawnSync('tar', ['-x', '-C', dir], { input: archive.stdout }).status !== 0) throw new Error(`git archive ${baseline} failed`);
    roots[`, ${baseline}`] = dir;
  }
  const sink = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  // The sink runs in this (parent) process: its CPU is not counted.
  await new Promise<void>((r) => sink.listen(SINK_PORT, '127.0.0.1', r));
  const variants = ['off', 'never sampled', 'on (default)', 'every trace'].flatMap((mode) => (mode === 'off' ? [[mode, ''] as const] : Object.keys(roots).map((k) => [mode, k] as const)));
  const rows = new Map<string, number[]>();
  for (let round = 0; round < rounds; round++) {
    for (const [mode, key] of variants) {
      const name = `${mode}${key}`;
      const out = await new Promise<string>((resolve, reject) => {
        const p = spawn(process.execPath, ['--import', 'tsx', process.argv[1]!, '--child', roots[key]!, mode, String(requests)], { stdio: ['ignore', 'pipe', 'inherit'] });
        let text = '';
        p.stdout.on('data', (d) => (text += d));
        p.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`${name} exited with ${code}`))));
      });
      const us = Number(out);
      rows.set(name, [...(rows.get(name) ?? []), us]);
      console.log(`round ${round + 1}  ${name.padEnd(28)} ${us.toFixed(2)} µs CPU/request`);
    }
  }
  sink.close();
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const off = median(rows.get('off')!);
  for (const [name, xs] of rows) console.log(`${name.padEnd(28)} median ${median(xs).toFixed(2)} µs/request${name === 'off' ? '' : `, telemetry adds ${(median(xs) - off).toFixed(2)} µs`}`);
}

if (process.argv[2] === '--child') {
  child(process.argv[3]!, process.argv[4]!, Number(process.argv[5])).then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
} else {
  main().then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
