import { USED_EVENT_TYPES, type PaymentsProvider, type SessionView } from '../../adapters/payments/provider.js';
import type { Clock } from '../../core/clock.js';
import type { RequestMeta, TenantContext } from '../../core/context.js';
import { conflict, notFound, unprocessable } from '../../core/errors.js';
import { newId, UUID_RE } from '../../core/ids.js';
import type { Logger } from '../../core/logger.js';
import type { BillingActor, PaymentRow, PaymentsBilling } from '../billing/index.js';
import { forTenant, systemWide, type Database, type Tx } from '../../db/db.js';
import { paymentsRepository as pay } from './payments.repository.js';
import { access } from '../../auth/access.js';
import { requireId } from '../../kernel/helpers.js';
import { money } from '../../core/money.js';
import type { Notify } from '../../kernel/notify-port.js';

export interface PaymentsDeps {
  db: Pick<Database, 'scoped' | 'afterCommit'>;
  clock: Clock;
  logger: Pick<Logger, 'info' | 'warn'>;
  notify: Notify;
  payments: PaymentsProvider;
  /** APP_URL and APP_ORIGINS: the origins a checkout's returnUrl may go back to. */
  returnOrigins: string[];
  /** Recorded (cash, check…) payments are refunded by billing's ledger, at once. */
  refundRecorded: (ctx: TenantContext, paymentId: string, input: { amount: number; reason: string }) => Promise<unknown>;
  /** Billing's accounts, payment rows, ledger and audit trail, in this service's transactions (billing's index.ts). */
  billing: PaymentsBilling;
}

/** A system actor for audit rows written by the provider's events (no member acts). */
const providerActor = (tenantId: string, requestId?: string): BillingActor => ({ tenantId, membershipId: null, userId: null, requestId });

const refundDto = (r: { id: string; paymentId: string; amount: number; reason: string; status: string; createdAt: Date; updatedAt: Date; version: number }) => ({
  id: r.id,
  paymentId: r.paymentId,
  amount: money(r.amount),
  reason: r.reason,
  status: r.status as 'pending' | 'succeeded' | 'failed',
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
  version: r.version,
});

/**
 * Online payments (CONTRACT "Payments online"): the checkout, the provider's webhooks (verified over the raw bytes,
 * the tenant from our own payment row, the event id recorded with the effect, only legal moves, the provider read back
 * before any change), online refunds, refunds made elsewhere and disputes.
 */
export function createPaymentsService(deps: PaymentsDeps) {
  const { db, clock, notify, payments, logger, billing } = deps;
  const { payers, audit } = billing;

  async function succeed(tx: Tx, p: PaymentRow, intent: string | null, requestId?: string) {
    const now = clock.now();
    const moved = await pay.move(tx, p.tenantId, p.id, 'pending', { status: 'succeeded', succeededAt: now, providerIntent: intent }, now);
    if (!moved) return false;
    await billing.post(tx, { id: newId(), tenantId: p.tenantId, accountId: p.accountId, type: 'payment', amount: money(-p.amount), effectiveDate: await billing.today(tx, p.tenantId), paymentId: p.id, memo: 'online payment' });
    await audit(tx, providerActor(p.tenantId, requestId), { action: 'billing.payment.succeeded', targetType: 'billing_payment', targetId: p.id, before: { status: 'pending' }, after: { status: 'succeeded' } });
    const { currency } = await billing.settings(tx, p.tenantId);
    await notify(tx, p.tenantId, {
      type: 'payment.succeeded',
      subject: { type: 'payment', id: p.id },
      recipients: { guardianIds: await payers(tx, p.tenantId, p.accountId) },
      data: { paymentId: p.id, accountId: p.accountId, amount: p.amount, currency },
    });
    return true;
  }

  async function endUnpaid(tx: Tx, p: PaymentRow, status: 'failed' | 'expired', requestId?: string) {
    const now = clock.now();
    const moved = await pay.move(tx, p.tenantId, p.id, 'pending', { status }, now);
    if (!moved) return false;
    await audit(tx, providerActor(p.tenantId, requestId), { action: `billing.payment.${status}`, targetType: 'billing_payment', targetId: p.id, before: { status: 'pending' }, after: { status } });
    if (status === 'failed') {
      const { currency } = await billing.settings(tx, p.tenantId);
      await notify(tx, p.tenantId, {
        type: 'payment.failed',
        subject: { type: 'payment', id: p.id },
        recipients: { guardianIds: await payers(tx, p.tenantId, p.accountId), billingAdmins: true },
        data: { paymentId: p.id, accountId: p.accountId, amount: p.amount, currency },
      });
    }
    return true;
  }

  /** A refund of ours the provider has settled: succeeded → a `refund` entry (once: the move is guarded). */
  async function settleRefund(tx: Tx, p: PaymentRow, refundId: string, status: 'succeeded' | 'failed', providerRef: string | null) {
    const now = clock.now();
    const r = await pay.settleRefund(tx, p.tenantId, refundId, ['pending'], { status, succeededAt: status === 'succeeded' ? now : null, ...(providerRef ? { providerRef } : {}) }, now);
    if (r && status === 'succeeded') {
      await billing.post(tx, { id: newId(), tenantId: p.tenantId, accountId: p.accountId, type: 'refund', amount: money(r.amount), effectiveDate: await billing.today(tx, p.tenantId), paymentId: p.id, refundId: r.id, memo: r.reason });
    }
    return r;
  }

  function sameMoney(p: PaymentRow, amount: number | null, currency: string | null, settingsCurrency: string) {
    return amount === p.amount && (currency ?? '').toLowerCase() === settingsCurrency.toLowerCase();
  }

  async function onSession(eventId: string, type: string, sessionId: string, requestId: string) {
    const row = await db.scoped(systemWide(), (tx) => pay.findBySession(tx, payments.name, sessionId));
    if (!row) return 'unknown payment';
    const view: SessionView | null = await payments.retrieveSession(sessionId);
    if (!view) return 'unknown at the provider';
    return db.scoped(forTenant(row.tenantId), async (tx) => {
      const p = await billing.getPayment(tx, row.tenantId, row.id, true);
      if (!p) return 'unknown payment';
      const { currency } = await billing.settings(tx, p.tenantId);
      if (view.paymentId !== p.id || !sameMoney(p, view.amount, view.currency, currency)) {
        logger.warn({ paymentId: p.id, sessionId }, 'payments: the session read back does not match our payment; ignored');
        return 'mismatch';
      }
      if (!(await pay.recordEvent(tx, p.tenantId, payments.name, eventId, type, p.id))) return 'redelivery';
      if (view.status === 'paid') await succeed(tx, p, view.paymentIntent, requestId);
      else if (view.status === 'expired') await endUnpaid(tx, p, 'expired', requestId);
      else if (view.status === 'unpaid' && type === 'checkout.session.async_payment_failed') await endUnpaid(tx, p, 'failed', requestId);
      return 'applied';
    });
  }

  async function onCharge(eventId: string, type: string, chargeId: string, disputeAmount: number | null, requestId: string) {
    const view = await payments.retrieveCharge(chargeId);
    if (!view?.paymentIntent) return 'unknown at the provider';
    const row = await db.scoped(systemWide(), (tx) => pay.findByIntent(tx, payments.name, view.paymentIntent!));
    if (!row) return 'unknown payment';
    return db.scoped(forTenant(row.tenantId), async (tx) => {
      const p = await billing.getPayment(tx, row.tenantId, row.id, true);
      if (!p) return 'unknown payment';
      if (!(await pay.recordEvent(tx, p.tenantId, payments.name, eventId, type, p.id))) return 'redelivery';
      if (type === 'charge.refunded') {
        const ours = await pay.refundsOf(tx, p.tenantId, p.id);
        let settled = ours.filter((r) => r.status === 'succeeded').reduce((s, r) => s + r.amount, 0);
        for (const r of ours.filter((x) => x.status === 'pending')) {
          if (settled + r.amount > view.amountRefunded) break;
          if (await settleRefund(tx, p, r.id, 'succeeded', null)) settled += r.amount;
        }
        const elsewhere = Math.min(view.amountRefunded, p.amount) - settled;
        if (elsewhere > 0) {
          const now = clock.now();
          const r = await billing.insertRefund(tx, { id: newId(), tenantId: p.tenantId, paymentId: p.id, amount: money(elsewhere), reason: 'Refunded at the payment provider', status: 'succeeded', succeededAt: now, providerRef: chargeId, createdAt: now, updatedAt: now });
          await billing.post(tx, { id: newId(), tenantId: p.tenantId, accountId: p.accountId, type: 'refund', amount: money(elsewhere), effectiveDate: await billing.today(tx, p.tenantId), paymentId: p.id, refundId: r.id, memo: r.reason });
          await audit(tx, providerActor(p.tenantId, requestId), { action: 'billing.refund.succeeded', targetType: 'billing_payment', targetId: p.id, after: refundDto(r) });
        }
        return 'applied';
      }
      // charge.dispute.created: the read-back must show the dispute; the amount is the signed event's.
      if (!view.disputed || disputeAmount === null) return 'not disputed';
      const now = clock.now();
      const moved = await pay.move(tx, p.tenantId, p.id, 'succeeded', { status: 'reversed' }, now);
      if (!moved) return 'illegal move';
      const amount = Math.min(Math.max(0, Math.trunc(disputeAmount)), p.amount);
      if (amount > 0) await billing.post(tx, { id: newId(), tenantId: p.tenantId, accountId: p.accountId, type: 'payment_reversal', amount: money(amount), effectiveDate: await billing.today(tx, p.tenantId), paymentId: p.id, memo: 'dispute' });
      await audit(tx, providerActor(p.tenantId, requestId), { action: 'billing.payment.reversed', targetType: 'billing_payment', targetId: p.id, before: { status: 'succeeded' }, after: { status: 'reversed', amount } });
      return 'applied';
    });
  }

  return {
    provider: payments,

    /** POST /billing/accounts/{id}/checkout: a pending online payment and the provider's hosted page, in one transaction. */
    async checkout(ctx: TenantContext, accountId: string, input: { amount?: number; returnUrl: string }, origin: string) {
      const aid = requireId(accountId, 'Account');
      let returnOrigin: string | null = null;
      try {
        returnOrigin = new URL(input.returnUrl).origin;
      } catch {
        returnOrigin = null;
      }
      if (!returnOrigin || !deps.returnOrigins.includes(returnOrigin))
        throw unprocessable('The returnUrl must go back to the app', [{ path: 'returnUrl', message: `its origin must be one of ${deps.returnOrigins.join(', ')}` }]);
      const now = clock.now();
      return db.scoped(forTenant(ctx), async (tx) => {
        await billing.assertAccountVisible(tx, ctx, aid);
        const account = await billing.getAccount(tx, ctx.tenantId, aid, true);
        if (!account) throw notFound('Account');
        const staff = ctx.permissions.includes('billing:manage');
        let payerGuardianId: string | null = null;
        if (!staff) {
          const mine = await access.guardianIds(tx, ctx);
          const accountPayers = await payers(tx, ctx.tenantId, aid);
          payerGuardianId = mine.find((g) => accountPayers.includes(g)) ?? null;
          if (!payerGuardianId) throw notFound('Account');
        }
        const balance = await billing.balance(tx, ctx.tenantId, aid);
        const amount = input.amount ?? balance;
        if (amount < 1 || amount > balance)
          throw unprocessable(balance < 1 ? 'Nothing is owed on this account' : 'The amount must be between 1 and the balance', [{ path: 'amount', message: `between 1 and ${balance}` }]);
        const { currency } = await billing.settings(tx, ctx.tenantId);
        const centre = await billing.centre(tx, ctx.tenantId);
        const id = newId();
        const p = await billing.insertPayment(tx, { id, tenantId: ctx.tenantId, accountId: aid, amount: money(amount), method: 'online', status: 'pending', payerGuardianId, receivedOn: null, reference: null, provider: payments.name, returnUrl: input.returnUrl, recordedByMembershipId: ctx.membershipId, createdAt: now, updatedAt: now });
        const session = await payments.createCheckout({
          paymentId: p.id,
          amount,
          currency,
          description: `${centre?.name ?? 'Childcare'}: payment on account`,
          returnUrl: input.returnUrl,
          ...(ctx.email ? { customerEmail: ctx.email } : {}),
          expiresAt: new Date(now.getTime() + 3600_000),
          origin,
        });
        await pay.setProviderRef(tx, ctx.tenantId, p.id, payments.name, session.sessionId, {});
        await audit(tx, ctx, { action: 'billing.payment.checkout', targetType: 'billing_payment', targetId: p.id, after: { id: p.id, accountId: aid, amount, status: 'pending', method: 'online', payerGuardianId } });
        return { paymentId: p.id, redirectUrl: session.redirectUrl, expiresAt: session.expiresAt.toISOString() };
      });
    },

    /**
     * POST /webhooks/payments/{provider}: the signature first (over the raw bytes), then our row, the read-back and
     * the one transaction that records the event id with its effect. Answers what was done (logs and tests).
     */
    async webhook(providerName: string, raw: Uint8Array, headers: Headers, meta: RequestMeta) {
      if (providerName !== payments.name) throw notFound('Payment provider');
      const ev = await payments.verifyWebhook(raw, headers);
      if (!(USED_EVENT_TYPES as readonly string[]).includes(ev.type)) return 'ignored type';
      const s = ev.subject;
      let outcome: string;
      if (s.kind === 'session') outcome = await onSession(ev.id, ev.type, s.sessionId, meta.requestId);
      else if (s.kind === 'charge') outcome = await onCharge(ev.id, ev.type, s.chargeId, null, meta.requestId);
      else if (s.kind === 'dispute') outcome = await onCharge(ev.id, ev.type, s.chargeId, s.amount, meta.requestId);
      else outcome = 'ignored subject';
      logger.info({ eventId: ev.id, type: ev.type, outcome }, 'payments: webhook');
      return outcome;
    },

    /**
     * POST /billing/payments/{id}/refunds. Recorded payments: billing refunds them at once. Online: tx 1 locks the
     * payment, checks (409, 422 counting pending refunds) and inserts a pending refund; the provider is called outside
     * any transaction with the refund's id as its idempotency key; tx 2 settles it (succeeded → a `refund` entry;
     * the provider down or refusing → failed, visible, and a new request may try again). A later `charge.refunded`
     * settles a refund the provider answered `pending`.
     */
    async refund(ctx: TenantContext, paymentId: string, input: { amount: number; reason: string }) {
      const pid = requireId(paymentId, 'Payment');
      const first = await db.scoped(forTenant(ctx), async (tx) => {
        const p = await billing.getPayment(tx, ctx.tenantId, pid, true);
        if (!p) throw notFound('Payment');
        if (p.method !== 'online') return { recorded: true as const };
        if (p.status !== 'succeeded') throw conflict(`The payment is ${p.status}: only a succeeded payment is refunded`);
        const refunded = (await billing.refunded(tx, ctx.tenantId, [p.id])).get(p.id) ?? 0;
        if (input.amount > p.amount - refunded) throw unprocessable('More than is left unrefunded', [{ path: 'amount', message: `at most ${p.amount - refunded}` }]);
        if (!p.providerIntent) throw conflict('The provider has not named the payment’s charge yet');
        const now = clock.now();
        const r = await billing.insertRefund(tx, { id: newId(), tenantId: ctx.tenantId, paymentId: p.id, amount: money(input.amount), reason: input.reason, status: 'pending', createdAt: now, updatedAt: now });
        await audit(tx, ctx, { action: 'billing.refund.requested', targetType: 'billing_payment', targetId: p.id, before: { refunded }, after: refundDto(r) });
        return { recorded: false as const, p, r };
      });
      if (first.recorded) return deps.refundRecorded(ctx, pid, input);
      const { p, r } = first;
      let status: 'pending' | 'succeeded' | 'failed';
      let providerRef: string | null = null;
      try {
        const res = await payments.refund({ paymentIntent: p.providerIntent!, amount: r.amount, idempotencyKey: r.id });
        status = res.status;
        providerRef = res.refundId;
      } catch (err) {
        logger.warn({ err, refundId: r.id }, 'payments: the provider refund failed');
        status = 'failed';
      }
      return db.scoped(forTenant(ctx), async (tx) => {
        if (status !== 'pending') {
          await settleRefund(tx, p, r.id, status, providerRef);
          await audit(tx, ctx, { action: `billing.refund.${status}`, targetType: 'billing_payment', targetId: p.id, after: { id: r.id, status } });
        } else if (providerRef) await pay.settleRefund(tx, p.tenantId, r.id, ['pending'], { providerRef }, clock.now());
        return refundDto((await pay.getRefund(tx, ctx.tenantId, r.id))!);
      });
    },

    /** The fake provider's page: our payment's seed (after a restart the fake's memory is gone) — system scope, by session. */
    async devSeed(paymentId: string) {
      if (!UUID_RE.test(paymentId)) return null;
      const row = await db.scoped(systemWide(), (tx) => pay.findBySession(tx, payments.name, `cs_fake_${paymentId.toLowerCase()}`));
      if (!row) return null;
      return db.scoped(forTenant(row.tenantId), async (tx) => {
        const p = await billing.getPayment(tx, row.tenantId, row.id);
        if (!p) return null;
        const { currency } = await billing.settings(tx, row.tenantId);
        return { paymentId: p.id, amount: p.amount, currency, returnUrl: p.returnUrl ?? '', status: p.status };
      });
    },
  };
}
export type PaymentsService = ReturnType<typeof createPaymentsService>;
