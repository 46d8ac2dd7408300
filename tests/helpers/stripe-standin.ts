import { createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A Stripe stand-in for tests: a real local HTTP server answering the few endpoints our provider calls, the way Stripe
 * answers them — form-encoded requests in (`a[b][0][c]=v`, as the SDK sends them), Stripe-shaped JSON objects and
 * error bodies out, Idempotency-Key honoured (the same key and body replays the first answer; another body is a 400
 * `idempotency_error`). Every request is recorded (method, path, headers, Idempotency-Key, Stripe-Version, the decoded
 * body). It can be told to fail (a 500, or hang without answering) and drives the objects as Stripe's own systems
 * would (a session paid, expired or failed; a refund in the dashboard; a dispute).
 *
 *   POST /v1/checkout/sessions   GET /v1/checkout/sessions/:id   POST /v1/refunds   GET /v1/charges/:id
 */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, unknown>;
  headers: Record<string, string>;
  idempotencyKey: string | undefined;
  stripeVersion: string | undefined;
  authorization: string | undefined;
  contentType: string | undefined;
  body: Record<string, unknown>;
  rawBody: string;
}

type Fault = { kind: 'status'; status: number; times: number } | { kind: 'hang'; times: number };
type Obj = Record<string, any>;

export interface StripeStandin {
  url: string;
  port: number;
  requests: RecordedRequest[];
  sessions: Map<string, Obj>;
  charges: Map<string, Obj>;
  refunds: Map<string, Obj>;
  /** The next `times` requests answer `status` with a Stripe-shaped api_error body. */
  failNext(times: number, status?: number): void;
  /** The next `times` requests are read and never answered (the client's timeout decides). */
  hangNext(times: number): void;
  /** What refunds answer from now on. */
  refundStatus: 'succeeded' | 'pending' | 'failed';
  /** Stripe's systems: the payer paid (complete, paid, a PaymentIntent and its charge carrying the PI's metadata). */
  pay(sessionId: string): { paymentIntent: string; charge: string };
  /** An asynchronous method failed: complete, unpaid. */
  failPayment(sessionId: string): void;
  expire(sessionId: string): void;
  refundInDashboard(chargeId: string, amount: number): void;
  dispute(chargeId: string, amount?: number): Obj;
  close(): Promise<void>;
}

const id = (prefix: string) => `${prefix}_${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x')}`;
const now = () => Math.floor(Date.now() / 1000);

/** `a[b][0][c]=v` form bodies, as stripe-node encodes them, into nested objects and arrays. */
export function decodeForm(raw: string): Record<string, unknown> {
  const out: Obj = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    const m = /^([^[\]]+)((?:\[[^\]]*\])*)$/.exec(key);
    if (!m) {
      out[key] = value;
      continue;
    }
    const path = [m[1]!, ...[...m[2]!.matchAll(/\[([^\]]*)\]/g)].map((x) => x[1]!)];
    let node: Obj = out;
    path.forEach((seg, i) => {
      const last = i === path.length - 1;
      const nextIsIndex = !last && /^\d+$/.test(path[i + 1]!);
      const k = Array.isArray(node) && /^\d+$/.test(seg) ? Number(seg) : seg;
      if (last) (node as any)[k] = value;
      else node = (node as any)[k] ??= nextIsIndex ? [] : {};
    });
  }
  return out;
}

function stripeError(res: http.ServerResponse, status: number, err: { type: string; code?: string; message: string; param?: string }) {
  send(res, status, {
    error: { ...err, doc_url: err.code ? `https://stripe.com/docs/error-codes/${err.code.replace(/_/g, '-')}` : undefined, request_log_url: 'https://dashboard.stripe.com/test/logs/req_standin' },
  });
}

function send(res: http.ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}) {
  const text = JSON.stringify(body, null, 2);
  res.writeHead(status, { 'content-type': 'application/json', 'request-id': id('req'), 'stripe-version': '2026-11-18.endive', ...extra });
  res.end(text);
}

export async function startStripeStandin(): Promise<StripeStandin> {
  const requests: RecordedRequest[] = [];
  const sessions = new Map<string, Obj>();
  const charges = new Map<string, Obj>();
  const refunds = new Map<string, Obj>();
  const intents = new Map<string, Obj>();
  const idempotent = new Map<string, { fingerprint: string; status: number; body: unknown }>();
  const faults: Fault[] = [];
  const sockets = new Set<Socket>();
  const state = { refundStatus: 'succeeded' as StripeStandin['refundStatus'] };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const u = new URL(req.url ?? '/', 'http://standin');
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]));
      const rec: RecordedRequest = {
        method: req.method ?? 'GET',
        path: u.pathname,
        query: decodeForm(u.search.slice(1)),
        headers,
        idempotencyKey: headers['idempotency-key'],
        stripeVersion: headers['stripe-version'],
        authorization: headers['authorization'],
        contentType: headers['content-type'],
        body: decodeForm(rawBody),
        rawBody,
      };
      requests.push(rec);

      const fault = faults[0];
      if (fault) {
        if (--fault.times <= 0) faults.shift();
        if (fault.kind === 'hang') return; // read, never answered
        return stripeError(res, fault.status, { type: 'api_error', message: 'An unknown error occurred' });
      }
      if (!rec.authorization?.startsWith('Bearer sk_')) {
        return stripeError(res, 401, { type: 'invalid_request_error', message: 'Invalid API Key provided' });
      }

      // Idempotency, as Stripe does it: per key, the first answer replayed for the same request; another request → 400.
      const key = rec.method === 'POST' ? rec.idempotencyKey : undefined;
      const fingerprint = `${rec.method} ${rec.path} ${rawBody}`;
      if (key) {
        const seen = idempotent.get(key);
        if (seen && seen.fingerprint !== fingerprint) {
          return stripeError(res, 400, {
            type: 'idempotency_error',
            message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
          });
        }
        if (seen) return send(res, seen.status, seen.body, { 'idempotent-replayed': 'true' });
      }
      const answer = (status: number, body: unknown) => {
        if (key && status < 500) idempotent.set(key, { fingerprint, status, body });
        send(res, status, body);
      };
      const missing = (what: string, value: string) =>
        stripeError(res, 404, { type: 'invalid_request_error', code: 'resource_missing', param: 'id', message: `No such ${what}: '${value}'` });

      let m: RegExpExecArray | null;
      if (rec.method === 'POST' && rec.path === '/v1/checkout/sessions') {
        const b = rec.body as Obj;
        if (b.mode !== 'payment') return stripeError(res, 400, { type: 'invalid_request_error', code: 'parameter_invalid_empty', param: 'mode', message: 'Missing required param: mode.' });
        const item = b.line_items?.[0];
        const amount = Number(item?.price_data?.unit_amount) * Number(item?.quantity ?? 1);
        if (!Number.isSafeInteger(amount)) return stripeError(res, 400, { type: 'invalid_request_error', code: 'parameter_missing', param: 'line_items', message: 'Missing required param: line_items.' });
        if (amount < 50) {
          return stripeError(res, 400, {
            type: 'invalid_request_error',
            code: 'amount_too_small',
            param: 'line_items[0][price_data][unit_amount]',
            message: 'The Checkout Session\'s total amount due must add up to at least $0.50 usd',
          });
        }
        const sid = id('cs_test');
        const session: Obj = {
          id: sid,
          object: 'checkout.session',
          amount_subtotal: amount,
          amount_total: amount,
          cancel_url: b.cancel_url ?? null,
          client_reference_id: b.client_reference_id ?? null,
          created: now(),
          currency: item.price_data.currency,
          customer_email: b.customer_email ?? null,
          expires_at: b.expires_at ? Number(b.expires_at) : now() + 24 * 3600,
          livemode: false,
          metadata: b.metadata ?? {},
          mode: 'payment',
          payment_intent: null,
          payment_status: 'unpaid',
          status: 'open',
          success_url: b.success_url ?? null,
          url: `https://checkout.stripe.com/c/pay/${sid}#standin`,
          _intentMetadata: b.payment_intent_data?.metadata ?? {},
        };
        sessions.set(sid, session);
        return answer(200, publicView(session));
      }
      if (rec.method === 'GET' && (m = /^\/v1\/checkout\/sessions\/([^/]+)$/.exec(rec.path))) {
        const s = sessions.get(decodeURIComponent(m[1]!));
        return s ? answer(200, publicView(s)) : missing('checkout.session', m[1]!);
      }
      if (rec.method === 'GET' && (m = /^\/v1\/charges\/([^/]+)$/.exec(rec.path))) {
        const c = charges.get(decodeURIComponent(m[1]!));
        return c ? answer(200, c) : missing('charge', m[1]!);
      }
      if (rec.method === 'POST' && rec.path === '/v1/refunds') {
        const b = rec.body as Obj;
        const pi = intents.get(String(b.payment_intent ?? ''));
        if (!pi) return missing('payment_intent', String(b.payment_intent ?? ''));
        const charge = charges.get(pi.latest_charge)!;
        const amount = b.amount === undefined ? charge.amount - charge.amount_refunded : Number(b.amount);
        if (charge.amount_refunded >= charge.amount) {
          return stripeError(res, 400, { type: 'invalid_request_error', code: 'charge_already_refunded', message: `Charge ${charge.id} has already been refunded.` });
        }
        if (!Number.isSafeInteger(amount) || amount < 1 || amount > charge.amount - charge.amount_refunded) {
          return stripeError(res, 400, {
            type: 'invalid_request_error',
            code: 'amount_too_large',
            param: 'amount',
            message: `Refund amount (${amount}) is greater than unrefunded amount on charge (${charge.amount - charge.amount_refunded})`,
          });
        }
        const refund: Obj = {
          id: id('re'),
          object: 'refund',
          amount,
          charge: charge.id,
          created: now(),
          currency: charge.currency,
          metadata: b.metadata ?? {},
          payment_intent: pi.id,
          reason: b.reason ?? null,
          status: state.refundStatus,
        };
        refunds.set(refund.id, refund);
        if (state.refundStatus !== 'failed') {
          charge.amount_refunded += amount;
          charge.refunded = charge.amount_refunded >= charge.amount;
        }
        return answer(200, refund);
      }
      return stripeError(res, 404, { type: 'invalid_request_error', message: `Unrecognized request URL (${rec.method}: ${rec.path}).` });
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;

  const sessionOf = (sid: string) => {
    const s = sessions.get(sid);
    if (!s) throw new Error(`stand-in: no session ${sid}`);
    return s;
  };

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    sessions,
    charges,
    refunds,
    failNext: (times, status = 500) => void faults.push({ kind: 'status', status, times }),
    hangNext: (times) => void faults.push({ kind: 'hang', times }),
    get refundStatus() {
      return state.refundStatus;
    },
    set refundStatus(v) {
      state.refundStatus = v;
    },
    pay(sid) {
      const s = sessionOf(sid);
      const pi: Obj = { id: id('pi'), object: 'payment_intent', amount: s.amount_total, currency: s.currency, metadata: { ...s._intentMetadata }, status: 'succeeded' };
      const charge: Obj = {
        id: id('ch'),
        object: 'charge',
        amount: s.amount_total,
        amount_captured: s.amount_total,
        amount_refunded: 0,
        captured: true,
        created: now(),
        currency: s.currency,
        disputed: false,
        livemode: false,
        metadata: { ...s._intentMetadata },
        paid: true,
        payment_intent: pi.id,
        refunded: false,
        status: 'succeeded',
      };
      pi.latest_charge = charge.id;
      intents.set(pi.id, pi);
      charges.set(charge.id, charge);
      Object.assign(s, { status: 'complete', payment_status: 'paid', payment_intent: pi.id, url: null });
      return { paymentIntent: pi.id, charge: charge.id };
    },
    failPayment(sid) {
      Object.assign(sessionOf(sid), { status: 'complete', payment_status: 'unpaid', url: null });
    },
    expire(sid) {
      Object.assign(sessionOf(sid), { status: 'expired', url: null });
    },
    refundInDashboard(chargeId, amount) {
      const c = charges.get(chargeId)!;
      c.amount_refunded = Math.min(c.amount, c.amount_refunded + amount);
      c.refunded = c.amount_refunded >= c.amount;
    },
    dispute(chargeId, amount) {
      const c = charges.get(chargeId)!;
      c.disputed = true;
      return { id: id('dp'), object: 'dispute', amount: amount ?? c.amount, charge: c.id, currency: c.currency, payment_intent: c.payment_intent, reason: 'fraudulent', status: 'needs_response', created: now() };
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** The session as Stripe shows it (without the stand-in's own bookkeeping). */
function publicView(s: Obj) {
  const { _intentMetadata: _hidden, ...rest } = s;
  return rest;
}

/**
 * `Stripe-Signature` for a payload, computed here independently of the code under test: `t=<ts>,v1=<hex
 * HMAC-SHA256(secret, "<ts>.<payload>")>` — Stripe's documented scheme.
 */
export function signWebhook(payload: string, secret: string, timestampSeconds = now()): string {
  return `t=${timestampSeconds},v1=${createHmac('sha256', secret).update(`${timestampSeconds}.${payload}`).digest('hex')}`;
}

/** A Stripe event around `object`, as Stripe's webhook endpoints receive it. */
export function stripeEvent(type: string, object: Obj, o: { id?: string; created?: number } = {}) {
  return {
    id: o.id ?? id('evt'),
    object: 'event',
    api_version: '2026-11-18.endive',
    created: o.created ?? now(),
    data: { object },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
  };
}
