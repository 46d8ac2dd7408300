/**
 * Delivery benchmarks (issue 23): `npx tsx bench/notifications.ts` or `npm run bench -- --only notifications`.
 * In-process against the real PostgreSQL (a database of its own on BENCH_ADMIN_URL's server, dropped after) and a local
 * SMTP sink (smtp-server), through the container's own services:
 *  - fan-out: one notify() call for N member recipients (the in-app rows and the deliveries) in one transaction;
 *  - drain: outbox events per second through the worker host's drain; emails per second through sendDue to the sink;
 *  - the outbox's cost on a write: a minimal audited write transaction with and without its outbox row;
 *  - the idle cost of the 1 s outbox poll: statements and transactions per minute of an idle process.
 * Prints the figures as Markdown (docs/performance.md "Notifications" quotes them). Options: --emails N (default 2000),
 * --events N (default 5000), --idle S (seconds of idle measurement, default 30).
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { SMTPServer } from 'smtp-server';
import { createContainer } from '../src/container.js';
import { loadConfig } from '../src/core/config.js';
import { forTenant } from '../src/db/db.js';
import { startBackground } from '../src/workers/runtime.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const EMAILS = arg('emails', 2000);
const EVENTS = arg('events', 5000);
const IDLE_SECONDS = arg('idle', 30);
const ADMIN = process.env.BENCH_ADMIN_URL ?? 'postgres://root@127.0.0.1:5432/postgres';
const DB = `daycare_bench_notifications_${process.pid}`;
const dbUrl = (name: string) => Object.assign(new URL(ADMIN), { pathname: `/${name}` }).toString();
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
const mib = (b: number) => Math.round(b / 1048576);

/** Every statement any pg client of this process sends (BEGIN, set_config, COMMIT included). */
let statements = 0;
const origQuery = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  statements++;
  return (origQuery as (...a: unknown[]) => unknown).apply(this, args);
} as typeof pg.Client.prototype.query;

export async function run() {
  const admin = new pg.Client({ connectionString: ADMIN });
  await admin.connect();
  await admin.query(`create database ${DB}`);
  const received = { n: 0 };
  const sink = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _s, cb) {
      stream.on('data', () => undefined);
      stream.on('end', () => {
        received.n++;
        cb();
      });
    },
  });
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', () => r()));
  const smtpPort = (sink.server.address() as AddressInfo).port;
  const config = loadConfig({
    PATH: process.env.PATH,
    NODE_ENV: 'test',
    DATABASE_URL: dbUrl(DB),
    SCHEDULER_ENABLED: 'false',
    LOG_LEVEL: 'error',
    SESSION_SECRET: 'b'.repeat(48),
    DATA_DIR: `.bench/notifications-${process.pid}`,
    SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
  });
  const c = await createContainer(config);
  // Each line is printed as soon as it is measured (and kept for the caller).
  const out: string[] & { push(...lines: string[]): number } = Object.assign([] as string[], {
    push(...lines: string[]) {
      for (const l of lines) console.log(l);
      return Array.prototype.push.apply(out, lines);
    },
  });
  const raw = new pg.Pool({ connectionString: dbUrl(DB), max: 2 });
  try {
    await c.db.migrate();
    const tenantId = randomUUID();
    await raw.query(`insert into tenants (id, name, timezone) values ($1, 'Bench centre', 'UTC')`, [tenantId]);
    // 1,000 active members (teachers) as recipients.
    await raw.query(
      `insert into memberships (id, tenant_id, email, roles, entitlements, status)
       select gen_random_uuid(), $1, 'member' || g || '@bench.test', '{teacher}', '{}', 'active' from generate_series(1, 1000) g`,
      [tenantId],
    );
    const members = (await raw.query<{ id: string }>(`select id from memberships where tenant_id = $1 order by email`, [tenantId])).rows.map((r) => r.id);

    // ------------------------------------------------------------------ fan-out
    out.push('| fan-out: one event to N members (in-app rows + deliveries, one transaction) | median ms | p90 ms | runs |', '| --- | --- | --- | --- |');
    for (const n of [1, 20, 100, 1000]) {
      const runs = n === 1000 ? 10 : 30;
      const times: number[] = [];
      for (let i = 0; i < runs; i++) {
        const t0 = process.hrtime.bigint();
        await c.db.scoped(forTenant(tenantId), (tx) =>
          c.notifications.notify(tx, tenantId, { type: 'incident.reviewed', subject: { type: 'incident', id: randomUUID() }, recipients: { membershipIds: members.slice(0, n) }, data: { childFirstName: 'Ada' } }),
        );
        times.push(ms(t0));
      }
      out.push(`| N = ${n} | ${median(times).toFixed(1)} | ${pct(times, 0.9).toFixed(1)} | ${runs} |`);
    }
    // Those deliveries are not part of the email drain below.
    await raw.query(`update notification_deliveries set status = 'skipped' where tenant_id = $1`, [tenantId]);

    // ------------------------------------------------------------------ outbox drain
    // Audited changes without subscribers: what the drain itself costs per event (claim, deliver to none, mark done).
    for (let i = 0; i < EVENTS; i += 1000)
      await raw.query(
        `insert into outbox_events (tenant_id, name, payload, origin) select $1, 'room.updated', '{"targetType":"room"}'::jsonb, 'bench' from generate_series(1, $2)`,
        [tenantId, Math.min(1000, EVENTS - i)],
      );
    let t0 = process.hrtime.bigint();
    let drained = 0;
    for (;;) {
      const r = await c.workers.drain({ all: true });
      drained += r.events;
      if (r.events === 0) break;
    }
    const drainMs = ms(t0);
    out.push('', '| drain | items | seconds | per second |', '| --- | --- | --- | --- |');
    out.push(`| outbox events (no subscriber: claim, deliver, mark done; batches of 50) | ${drained} | ${(drainMs / 1000).toFixed(1)} | ${Math.round(drained / (drainMs / 1000))} |`);

    // ------------------------------------------------------------------ emails to the SMTP sink
    for (let i = 0; i < EMAILS; i += 500) {
      const batch = Array.from({ length: Math.min(500, EMAILS - i) }, (_, k) => `parent${i + k}@bench.test`);
      await c.db.scoped(forTenant(tenantId), (tx) => c.notifications.notify(tx, tenantId, { type: 'application.received', subject: { type: 'application', id: randomUUID() }, recipients: { emails: batch }, data: { childFirstName: 'Ada' } }));
    }
    const rss: number[] = [];
    const heap: number[] = [];
    const sampler = setInterval(() => {
      rss.push(process.memoryUsage().rss);
      heap.push(process.memoryUsage().heapUsed);
    }, 250);
    t0 = process.hrtime.bigint();
    while (received.n < EMAILS) {
      const n = await c.notifications.sendDue(50, null);
      if (n === 0) break;
    }
    const emailMs = ms(t0);
    clearInterval(sampler);
    out.push(`| emails through SMTP to a local sink (smtp-server, one connection per email) | ${received.n} | ${(emailMs / 1000).toFixed(1)} | ${Math.round(received.n / (emailMs / 1000))} |`);
    out.push('', `Memory while sending ${received.n} emails: RSS ${mib(Math.min(...rss))}–${mib(Math.max(...rss))} MiB, heap used ${mib(Math.min(...heap))}–${mib(Math.max(...heap))} MiB.`);

    // ------------------------------------------------------------------ the outbox's cost on a write
    // A minimal audited write transaction as the services run it (BEGIN, the RLS scope, the statement, COMMIT), with the
    // audit row and its outbox row (the one statement every audited change runs) or the audit row alone; interleaved.
    const withOutbox = `with audit as (insert into audit_logs (tenant_id, action, target_type, target_id, after) values ($1, 'room.updated', 'room', $2, $3::jsonb))
      insert into outbox_events (tenant_id, name, payload, origin) select $1::uuid, 'room.updated', $3::jsonb, 'bench'`;
    const auditOnly = `insert into audit_logs (tenant_id, action, target_type, target_id, after) values ($1, 'room.updated', 'room', $2, $3::jsonb)`;
    const times = { with: [] as number[], without: [] as number[] };
    const after = JSON.stringify({ id: randomUUID(), name: 'Room', capacity: 12, ratio: 4, version: 3 });
    for (let i = 0; i < 600; i++) {
      for (const [k, q] of (i % 2 ? [['with', withOutbox], ['without', auditOnly]] : [['without', auditOnly], ['with', withOutbox]]) as ['with' | 'without', string][]) {
        const s = process.hrtime.bigint();
        await c.db.scoped(forTenant(tenantId), (tx) => tx.execute(sqlOf(q, [tenantId, randomUUID(), after])));
        if (i >= 100) times[k].push(ms(s));
      }
    }
    const mw = median(times.with);
    const mo = median(times.without);
    out.push('', '| an audited write transaction | median ms | p90 ms |', '| --- | --- | --- |');
    out.push(`| audit row + outbox row (as every audited change) | ${mw.toFixed(2)} | ${pct(times.with, 0.9).toFixed(2)} |`);
    out.push(`| audit row only | ${mo.toFixed(2)} | ${pct(times.without, 0.9).toFixed(2)} |`);
    out.push(`| the outbox row's cost | ${(mw - mo).toFixed(2)} ms (${(((mw - mo) / mo) * 100).toFixed(0)} %) | |`);
    // The rows written above are drained by nobody: leave them be (the database is dropped).
    await raw.query(`update outbox_events set status = 'done' where status = 'pending'`);

    // ------------------------------------------------------------------ idle cost of the 1 s poll
    const xacts = async () => Number((await raw.query<{ n: string }>(`select xact_commit + xact_rollback as n from pg_stat_database where datname = $1`, [DB])).rows[0]!.n);
    const bg = await startBackground(c);
    await new Promise((r) => setTimeout(r, 2000));
    const s0 = statements;
    const x0 = await xacts();
    await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
    const x1 = await xacts();
    const s1 = statements;
    await bg.stop();
    await c.workers.stop();
    const perMin = (v: number) => Math.round((v * 60) / IDLE_SECONDS);
    // Our own two pg_stat_database reads are one statement and one transaction each.
    out.push('', `Idle process (in-process worker, 1 s outbox poll), ${IDLE_SECONDS} s measured: ${perMin(s1 - s0 - 1)} statements/min, ${perMin(x1 - x0 - 1)} transactions/min on the database.`);
  } finally {
    await c.close().catch(() => undefined);
    await raw.end();
    await new Promise((r) => sink.close(() => r(undefined)));
    // A connection still closing makes a plain drop fail: then it is forced (after the pools are gone).
    await admin.query(`drop database if exists ${DB}`).catch(async () => {
      await new Promise((r) => setTimeout(r, 1000));
      await admin.query(`drop database if exists ${DB} with (force)`);
    });
    await admin.end();
  }
  return [...out];
}

import { sql as dsql, type SQL } from 'drizzle-orm';
/** A raw statement with $n parameters as a Drizzle SQL object (tx.execute takes SQL). */
function sqlOf(text: string, params: unknown[]): SQL {
  const parts = text.split(/\$(\d+)/);
  const chunks: SQL[] = [];
  for (let i = 0; i < parts.length; i++) chunks.push(i % 2 ? dsql`${params[Number(parts[i]) - 1]}` : dsql.raw(parts[i]!));
  return dsql.join(chunks, dsql.raw(''));
}

if (import.meta.url === `file://${process.argv[1]}`)
  run().then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
