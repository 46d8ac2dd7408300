/**
 * The morning rush (issue 28): an open-model scenario. Requests arrive at a fixed rate whatever the server answers (not
 * a closed loop of N connections, where a slow server slows its own load), mixed as a morning is, across many centres
 * and many users of the 1,000-centre data set:
 * - the door's kiosk: PIN lookups, and children checked in (and, to keep a pool of children free, out again) by PIN;
 * - each room's tablet (a teacher's session) polling the room's roster;
 * - parents (guardian members) opening their child's daily report and their context (`/me/context`);
 * - staff (the owners' and the teachers' sessions) opening their context and listing children.
 * The rate is stepped up as fractions of the list floor's closed-loop capacity; a step holds when p99 < 100 ms and
 * nothing failed. Latency is measured from each request's scheduled arrival (so a server that falls behind shows it:
 * no coordinated omission). Sessions are minted as bench/run.ts mints them (the local Supabase stand-in's tokens).
 */
import http from 'node:http';
import pg from 'pg';
import { signInAs, type Signed } from './sign-in.js';

/** One kind of request in the mix, with its share of arrivals. */
export interface RushRoute {
  name: string;
  weight: number;
  /** The request for this arrival, or null when none can be made now (a kiosk pair whose children are all busy). */
  make(): RushRequest | null;
}
interface RushRequest {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** Status codes that count as an answer (anything else is an error). */
  ok: (status: number) => boolean;
  done?: (status: number) => void;
}
export interface RouteStats {
  name: string;
  count: number;
  errors: number;
  p50: number;
  p99: number;
  p999: number;
}
export interface StepResult {
  rate: number;
  fraction: number;
  /** Answers per second actually completed in the measured window. */
  completed: number;
  errors: number;
  /** Failed answers by HTTP status (0: time-out or socket error). */
  errorStatuses: Record<number, number>;
  /** Arrivals the mix could not make (no free child at a kiosk): should be 0. */
  skipped: number;
  p50: number;
  p99: number;
  p999: number;
  routes: RouteStats[];
  ok: boolean;
  /** Peak number of requests in flight at once. */
  inFlight: number;
}

const P99_LIMIT_MS = 100;
const TIMEOUT_MS = 10_000;

const quantile = (sorted: number[], q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]! : 0);
const round = (n: number) => Math.round(n * 10) / 10;

/** Runs `fn` over `items`, `n` at a time. */
async function pool<T, R>(items: T[], n: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let i = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (i < items.length) {
        const k = i++;
        out[k] = await fn(items[k]!);
      }
    }),
  );
  return out;
}

export interface RushCentre {
  owner: Signed;
  teacher: Signed;
  parents: { session: Signed; studentId: string }[];
  rooms: string[];
  kiosk: string;
  /** Children a PIN may check in and out: [pin, studentId]. */
  pins: [string, string][];
  /** A request of this centre's kiosk is in flight (a kiosk serves one adult at a time). */
  kioskBusy?: boolean;
}

/**
 * Sets up `centres` centres of the seeded data set through the API, with the owners' sessions: a teacher and two
 * parents invited and signed in (their memberships persist, so a later run just signs in), a kiosk, and PINs for
 * `pinsPerCentre` parents (each the seeded first guardian of child n, who may pick that child up).
 */
export async function setUpRush(base: string, secret: string, dbUrl: string, centres: number, pinsPerCentre = 10): Promise<RushCentre[]> {
  const c = new pg.Client({ connectionString: dbUrl });
  await c.connect();
  // The seed's ids are md5-derived: child n of centre t and its parent are md5('s' || t || '-' || n), md5('g' || ...).
  const ids = (await c.query(`select t, md5('t' || t)::uuid tenant, array(select md5('g' || t || '-' || n)::uuid::text from generate_series(1, $2::int) n) guardians,
      array(select md5('s' || t || '-' || n)::uuid::text from generate_series(1, $2::int) n) students,
      array(select md5('r' || t || '-' || r)::uuid::text from generate_series(1, 4) r) rooms
    from generate_series(1, $1::int) t`, [centres, pinsPerCentre])).rows as { t: number; guardians: string[]; students: string[]; rooms: string[] }[];
  await c.end();
  const t0 = performance.now();
  const out = await pool(ids, 8, async ({ t, guardians, students, rooms }) => {
    const owner = await signInAs(base, secret, `owner${t}@bench.example`);
    const send = async (method: string, p: string, body?: unknown) => {
      const r = await fetch(base + p, { method, headers: { cookie: owner.cookie, 'x-csrf-token': owner.csrf, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: r.status, body: (await r.json().catch(() => null)) as any };
    };
    const invite = async (email: string, roles: string[]) => {
      const r = await send('POST', '/memberships', { email, roles });
      // 409: invited (and signed in) by an earlier run.
      if (r.status !== 201 && r.status !== 409) throw new Error(`invite ${email}: ${r.status} ${JSON.stringify(r.body)}`);
    };
    const teacherEmail = `staff1.t${t}@bench.example`;
    const parentEmails = [1, 2].map((n) => `parent${n}.t${t}@bench.example`);
    await invite(teacherEmail, ['teacher']);
    for (const e of parentEmails) await invite(e, ['guardian']);
    const kiosk = await send('POST', '/kiosks', { name: 'Front door (bench)' });
    if (kiosk.status !== 201) throw new Error(`kiosk ${t}: ${kiosk.status} ${JSON.stringify(kiosk.body)}`);
    const pins: [string, string][] = [];
    for (let n = 0; n < guardians.length; n++) {
      const r = await send('PUT', `/guardians/${guardians[n]}/pin`);
      if (r.status !== 200) throw new Error(`pin ${t}/${n}: ${r.status} ${JSON.stringify(r.body)}`);
      pins.push([r.body.pin, students[n]!]);
    }
    const teacher = await signInAs(base, secret, teacherEmail);
    const parents = await Promise.all(parentEmails.map(async (e, n) => ({ session: await signInAs(base, secret, e), studentId: students[n]! })));
    return { owner, teacher, parents, rooms, kiosk: kiosk.body.token as string, pins };
  });
  console.log(`rush: ${centres} centres set up (owner, teacher, 2 parents, a kiosk, ${pinsPerCentre} PINs each) in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  return out;
}

/** The morning's mix over the centres set up by `setUpRush`. */
export function morningMix(centres: RushCentre[]): RushRoute[] {
  const pick = <T>(xs: T[]) => xs[Math.floor(Math.random() * xs.length)]!;
  const today = new Date().toISOString().slice(0, 10);
  const json = { 'content-type': 'application/json' };
  // Kiosk pairs: a free child is checked in by its parent's PIN; a checked-in one is checked out. Each child is in at
  // most one request at a time, so no pair answers 409 by the bench's own doing.
  const free: { c: RushCentre; pin: string; id: string; in: boolean }[] = centres.flatMap((c) => c.pins.map(([pin, id]) => ({ c, pin, id, in: false })));
  for (let i = free.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [free[i], free[j]] = [free[j]!, free[i]!];
  }
  const is = (...codes: number[]) => (s: number) => codes.includes(s);
  // A kiosk is a tablet at the door: one adult at a time. An arrival goes to a free kiosk (a few tries), or is skipped
  // (counted against the step: adults queueing at every door).
  const freeKiosk = () => {
    for (let i = 0; i < 8; i++) {
      const c = pick(centres);
      if (!c.kioskBusy) return c;
    }
    return null;
  };
  return [
    {
      name: 'POST /kiosk/lookup',
      weight: 10,
      make: () => {
        const c = freeKiosk();
        if (!c) return null;
        c.kioskBusy = true;
        return {
          method: 'POST',
          path: '/kiosk/lookup',
          headers: { ...json, authorization: `Bearer ${c.kiosk}` },
          body: JSON.stringify({ pin: pick(c.pins)[0] }),
          ok: is(200),
          done: () => (c.kioskBusy = false),
        };
      },
    },
    {
      name: 'POST /kiosk/check-in|out',
      weight: 10,
      make: () => {
        const at = free.slice(0, 64).findIndex((x) => !x.c.kioskBusy);
        if (at < 0) return null;
        const k = free.splice(at, 1)[0]!;
        k.c.kioskBusy = true;
        const path = k.in ? '/kiosk/check-out' : '/kiosk/check-in';
        return {
          method: 'POST',
          path,
          headers: { ...json, authorization: `Bearer ${k.c.kiosk}` },
          body: JSON.stringify({ pin: k.pin, studentIds: [k.id] }),
          ok: is(k.in ? 200 : 201),
          done: (s) => {
            k.c.kioskBusy = false;
            if (s === 200 || s === 201) k.in = !k.in;
            // No answer (a time-out): the child's state is unknown, so it leaves the pool (no 409 of the bench's making).
            if (s !== 0) free.push(k);
          },
        };
      },
    },
    {
      name: 'GET /rooms/{id}/roster (tablet)',
      weight: 25,
      make: () => {
        const c = pick(centres);
        return { method: 'GET', path: `/rooms/${pick(c.rooms)}/roster`, headers: { cookie: c.teacher.cookie }, ok: is(200) };
      },
    },
    {
      name: 'GET /students/{id}/daily-report (parent)',
      weight: 15,
      make: () => {
        const p = pick(pick(centres).parents);
        return { method: 'GET', path: `/students/${p.studentId}/daily-report?date=${today}`, headers: { cookie: p.session.cookie }, ok: is(200) };
      },
    },
    {
      name: 'GET /me/context (parent)',
      weight: 15,
      make: () => ({ method: 'GET', path: '/me/context', headers: { cookie: pick(pick(centres).parents).session.cookie }, ok: is(200) }),
    },
    {
      name: 'GET /me/context (staff)',
      weight: 5,
      make: () => {
        const c = pick(centres);
        return { method: 'GET', path: '/me/context', headers: { cookie: Math.random() < 0.5 ? c.owner.cookie : c.teacher.cookie }, ok: is(200) };
      },
    },
    {
      name: 'GET /students?limit=50 (staff)',
      weight: 20,
      make: () => {
        const c = pick(centres);
        return { method: 'GET', path: '/students?limit=50', headers: { cookie: Math.random() < 0.5 ? c.owner.cookie : c.teacher.cookie }, ok: is(200) };
      },
    },
  ];
}

/**
 * Drives `base` at `rate` arrivals a second for `seconds` (plus `rampSeconds` at the same rate, not measured), with
 * arrivals spread evenly and each route drawn by weight. Many sockets (keep-alive), so the generator never waits for a
 * connection before sending: a request waits only when the server does.
 */
export async function openLoad(base: string, routes: RushRoute[], rate: number, seconds: number, rampSeconds = 2): Promise<Omit<StepResult, 'fraction' | 'ok'>> {
  const url = new URL(base);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });
  const total = routes.reduce((a, r) => a + r.weight, 0);
  const draw = () => {
    let x = Math.random() * total;
    for (const r of routes) if ((x -= r.weight) < 0) return r;
    return routes[routes.length - 1]!;
  };
  const lat = new Map<string, number[]>(routes.map((r) => [r.name, []]));
  const errs = new Map<string, number>(routes.map((r) => [r.name, 0]));
  /** Failed answers by status (0: no answer within the time-out, or a socket error). */
  const statuses = new Map<number, number>();
  let skipped = 0;
  let inFlight = 0;
  let peak = 0;
  const start = performance.now() + 20;
  const measureFrom = start + rampSeconds * 1000;
  const end = measureFrom + seconds * 1000;
  const pending = new Set<Promise<void>>();
  const fire = (at: number) => {
    const route = draw();
    const req = route.make();
    const measured = at >= measureFrom;
    if (!req) {
      if (measured) skipped++;
      return;
    }
    inFlight++;
    peak = Math.max(peak, inFlight);
    const p = new Promise<void>((resolve) => {
      let settled = false;
      const finish = (status: number) => {
        if (settled) return;
        settled = true;
        inFlight--;
        req.done?.(status);
        if (measured) {
          if (req.ok(status)) lat.get(route.name)!.push(performance.now() - at);
          else {
            errs.set(route.name, errs.get(route.name)! + 1);
            statuses.set(status, (statuses.get(status) ?? 0) + 1);
          }
        }
        resolve();
      };
      const r = http.request(
        { agent, host: url.hostname, port: url.port, method: req.method, path: req.path, headers: req.body ? { ...req.headers, 'content-length': Buffer.byteLength(req.body) } : req.headers, timeout: TIMEOUT_MS },
        (res) => {
          res.resume();
          res.on('end', () => finish(res.statusCode ?? 0));
          res.on('error', () => finish(0));
        },
      );
      r.on('timeout', () => r.destroy(new Error('timeout')));
      r.on('error', () => finish(0));
      r.end(req.body);
    });
    pending.add(p);
    void p.then(() => pending.delete(p));
  };
  const interval = 1000 / rate;
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (start + sent * interval <= Math.min(now, end)) fire(start + sent++ * interval);
      if (now >= end) return resolve();
      setTimeout(tick, 1);
    };
    setTimeout(tick, Math.max(0, start - performance.now()));
  });
  await Promise.all(pending);
  agent.destroy();
  const all: number[] = [];
  const routeStats: RouteStats[] = routes.map((r) => {
    const xs = lat.get(r.name)!.sort((a, b) => a - b);
    all.push(...xs);
    return { name: r.name, count: xs.length, errors: errs.get(r.name)!, p50: round(quantile(xs, 0.5)), p99: round(quantile(xs, 0.99)), p999: round(quantile(xs, 0.999)) };
  });
  all.sort((a, b) => a - b);
  const errors = routeStats.reduce((a, r) => a + r.errors, 0);
  return { rate, completed: Math.round(all.length / seconds), errors, errorStatuses: Object.fromEntries(statuses), skipped, p50: round(quantile(all, 0.5)), p99: round(quantile(all, 0.99)), p999: round(quantile(all, 0.999)), routes: routeStats, inFlight: peak };
}

/**
 * Steps the rate up from 30% of the floor's capacity by 10% until a step fails (p99 ≥ 100 ms or any error), then tries
 * once halfway between the last step that held and the first that failed (stepping down from 15% when not even the
 * first step held). Returns every step, in order.
 */
export async function stepRush(base: string, routes: RushRoute[], floorRps: number, seconds: number, warmupSeconds: number, beforeStep?: () => Promise<void>) {
  const steps: StepResult[] = [];
  const run = async (fraction: number) => {
    await beforeStep?.();
    const r = await openLoad(base, routes, Math.max(1, Math.round(fraction * floorRps)), seconds);
    const step: StepResult = { ...r, fraction, ok: r.errors === 0 && r.skipped === 0 && r.p99 < P99_LIMIT_MS };
    console.log(
      `rush at ${String(step.rate).padStart(5)} req/s (${(fraction * 100).toFixed(0).padStart(3)}% of the floor): completed ${step.completed}/s  p50 ${step.p50} ms  p99 ${step.p99} ms  p99.9 ${step.p999} ms  errors ${step.errors} ${JSON.stringify(step.errorStatuses)}  skipped ${step.skipped}  in flight ≤ ${step.inFlight}  ${step.ok ? 'holds' : 'BREAKS'}`,
    );
    steps.push(step);
    return step;
  };
  // Warm-up (JIT, pools, caches) at a low rate, not recorded.
  await openLoad(base, routes, Math.max(1, Math.round(0.3 * floorRps)), warmupSeconds, 0);
  let good: StepResult | undefined;
  let bad: StepResult | undefined;
  for (let f = 0.3; f <= 1.6; f = Math.round((f + 0.1) * 100) / 100) {
    const s = await run(f);
    if (!s.ok) {
      bad = s;
      break;
    }
    good = s;
  }
  // A busy machine may not hold even the first step: halve the rate until one holds (down to 5% of the floor).
  for (let f = 0.15; !good && f >= 0.05; f = Math.round((f / 2) * 100) / 100) {
    const s = await run(f);
    if (s.ok) good = s;
    else bad = s;
  }
  if (bad && good && bad.fraction > good.fraction * 1.2) {
    const s = await run((good.fraction + bad.fraction) / 2);
    if (s.ok) good = s;
    else bad = s;
  }
  return { steps, best: good, broke: bad };
}

export function rushReport(result: Awaited<ReturnType<typeof stepRush>>, floorRps: number, limits: string) {
  const { steps, best, broke } = result;
  const lines = [
    `Open model, arrivals at a fixed rate; latency from each request's scheduled arrival; a step holds when p99 < ${P99_LIMIT_MS} ms with 0 errors. ${limits}`,
    '',
    '| rate req/s | % of the floor | completed /s | p50 ms | p99 ms | p99.9 ms | errors (by status; 0 = time-out) | skipped (no free kiosk) | holds |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...steps.map((s) => `| ${s.rate} | ${(s.fraction * 100).toFixed(0)}% | ${s.completed} | ${s.p50} | ${s.p99} | ${s.p999} | ${s.errors}${s.errors ? ` ${JSON.stringify(s.errorStatuses)}` : ''} | ${s.skipped} | ${s.ok ? 'yes' : 'no'} |`),
  ];
  if (best) {
    lines.push('', `Per route at ${best.rate} req/s (the highest rate that held):`, '', '| route | requests | p50 ms | p99 ms | p99.9 ms | errors |', '| --- | ---: | ---: | ---: | ---: | ---: |');
    lines.push(...best.routes.map((r) => `| ${r.name} | ${r.count} | ${r.p50} | ${r.p99} | ${r.p999} | ${r.errors} |`));
  }
  if (broke) {
    lines.push('', `At ${broke.rate} req/s (where it broke):`, '', '| route | requests | p50 ms | p99 ms | p99.9 ms | errors |', '| --- | ---: | ---: | ---: | ---: | ---: |');
    lines.push(...broke.routes.map((r) => `| ${r.name} | ${r.count} | ${r.p50} | ${r.p99} | ${r.p999} | ${r.errors} |`));
  }
  const frac = best ? best.rate / floorRps : 0;
  const summary = `morning rush: ${best ? `${best.rate} req/s held (p99 ${best.p99} ms, 0 errors)` : 'no rate held'} = ${(frac * 100).toFixed(0)}% of the floor's ${floorRps} req/s (target ≥ 60%): ${frac >= 0.6 ? 'met' : 'MISSED'}; ${broke ? `breaks at ${broke.rate} req/s (p99 ${broke.p99} ms, ${broke.errors} errors)` : 'did not break up to 160% of the floor'}`;
  return { table: lines.join('\n'), summary };
}
