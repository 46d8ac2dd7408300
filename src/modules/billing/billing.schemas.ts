import { z } from '@hono/zod-openapi';
import { str } from '../../core/strings.js';
import { CHARGE_KINDS, CHARGE_STATUSES, INVOICE_LINE_KINDS, INVOICE_STATUSES, LEDGER_ENTRY_TYPES, PAYMENT_METHODS, PAYMENT_STATUSES, RECORDED_PAYMENT_METHODS, REFUND_STATUSES } from '../../models/enums.js';
import { CalendarDate, Id, ListQuery, Name } from '../../api/routes/registry.js';

/** Request and response schemas of the billing routes. Money is an integer of minor units, never a float. */

const MAX_MONEY = 1_000_000_000_000; // 10^12 minor units: far above any real amount, far below 2^53
export const Money = z.number().int().min(-MAX_MONEY).max(MAX_MONEY).openapi({ description: 'An integer amount in minor units (cents) of the centre’s `currency`', example: 120000 });
export const PositiveMoney = z.number().int().min(1).max(MAX_MONEY).openapi({ description: 'An integer amount > 0 in minor units (cents) of the centre’s `currency`', example: 120000 });
export const Period = str().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be YYYY-MM').openapi({ example: '2026-03' });
const Text = (max: number) => str().trim().min(1, 'is required').max(max);
const Percent = z.number().int().min(0).max(100);
const HHMM = str().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM');
const stamps = { createdAt: str(), updatedAt: str(), version: z.number().int() };

export const BillingSettingsPatch = z
  .object({
    currency: str().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as USD').optional(),
    dueDay: z.number().int().min(1).max(28).optional(),
    siblingDiscounts: z
      .record(str().regex(/^[1-9]\d{0,2}$/, 'a rank: 1, 2, 3 …'), Percent)
      .optional()
      .openapi({ description: 'Percent by a child’s rank; the highest rank named applies to every further child', example: { '2': 10, '3': 15 } }),
    latePickup: z.object({ after: HHMM, graceMinutes: z.number().int().min(0).max(1440), perMinute: PositiveMoney }).strict().nullable().optional(),
    taxId: str().trim().max(100).nullable().optional(),
  })
  .strict()
  .openapi('BillingSettingsPatch');
export const BillingSettings = z
  .object({
    currency: str(),
    dueDay: z.number().int(),
    siblingDiscounts: z.record(str(), z.number().int()),
    latePickup: z.object({ after: str(), graceMinutes: z.number().int(), perMinute: Money }).nullable(),
    taxId: str().nullable(),
  })
  .openapi('BillingSettings');

export const PlanCreate = z.object({ name: Name, amount: PositiveMoney, interval: z.literal('month').optional() }).strict().openapi('PlanCreate');
export const PlanPatch = z.object({ name: Name.optional(), amount: PositiveMoney.optional() }).strict().openapi('PlanPatch');
export const Plan = z.object({ id: str(), name: str(), amount: Money, interval: z.literal('month'), archivedAt: str().nullable(), ...stamps }).openapi('Plan');

export const AccountCreate = z
  .object({ name: Name, payerGuardianIds: z.array(Id).min(1, 'give at least one payer').max(20), studentIds: z.array(Id).max(50) })
  .strict()
  .openapi('AccountCreate');
export const AccountPatch = z
  .object({ name: Name.optional(), payerGuardianIds: z.array(Id).min(1, 'give at least one payer').max(20).optional(), studentIds: z.array(Id).max(50).optional() })
  .strict()
  .openapi('AccountPatch');
export const Account = z
  .object({ id: str(), name: str(), payerGuardianIds: z.array(str()), studentIds: z.array(str()), balance: Money, currency: str(), ...stamps })
  .openapi('BillingAccount');

export const SubscriptionCreate = z.object({ studentId: Id, planId: Id, startDate: CalendarDate, endDate: CalendarDate.nullable().optional() }).strict().openapi('SubscriptionCreate');
export const SubscriptionPatch = z.object({ planId: Id.optional(), startDate: CalendarDate.optional(), endDate: CalendarDate.nullable().optional() }).strict().openapi('SubscriptionPatch');
export const Subscription = z
  .object({ id: str(), studentId: str(), planId: str(), accountId: str().nullable(), startDate: str(), endDate: str().nullable(), ...stamps })
  .openapi('Subscription');
export const SubscriptionQuery = ListQuery.extend({ studentId: Id.optional(), accountId: Id.optional() });

export const ChargeCreate = z
  .object({ accountId: Id, studentId: Id.nullable().optional(), description: Text(500), amount: PositiveMoney, serviceDate: CalendarDate })
  .strict()
  .openapi('ChargeCreate');
export const Charge = z
  .object({ id: str(), accountId: str(), studentId: str().nullable(), kind: z.enum(CHARGE_KINDS), description: str(), amount: Money, serviceDate: str(), status: z.enum(CHARGE_STATUSES), ...stamps })
  .openapi('Charge');
export const ChargeQuery = ListQuery.extend({ accountId: Id.optional(), status: z.enum(CHARGE_STATUSES).optional() });

export const RunCreate = z.object({ period: Period }).strict().openapi('BillingRunCreate');
export const JobStarted = z.object({ jobId: str() });

export const InvoiceLine = z.object({
  kind: z.enum(INVOICE_LINE_KINDS),
  studentId: str().nullable(),
  description: str(),
  amount: Money,
  serviceFrom: str().nullable(),
  serviceTo: str().nullable(),
});
export const Invoice = z
  .object({
    id: str(),
    number: z.number().int().nullable(),
    accountId: str(),
    period: str(),
    status: z.enum(INVOICE_STATUSES),
    lines: z.array(InvoiceLine),
    total: Money,
    amountPaid: Money,
    amountDue: Money,
    overdue: z.boolean(),
    issueDate: str().nullable(),
    dueDate: str().nullable(),
    voidReason: str().nullable(),
    currency: str(),
    ...stamps,
  })
  .openapi('Invoice');
export const InvoiceQuery = ListQuery.extend({ accountId: Id.optional(), period: Period.optional(), status: z.enum(INVOICE_STATUSES).optional() });
export const VoidBody = z.object({ reason: Text(500) }).strict().openapi('InvoiceVoid');

export const LedgerEntry = z
  .object({
    id: str(),
    type: z.enum(LEDGER_ENTRY_TYPES),
    amount: Money.openapi({ description: 'Positive: owed; negative: paid or credited (minor units)' }),
    effectiveDate: str(),
    invoiceId: str().nullable(),
    paymentId: str().nullable(),
    memo: str(),
    createdAt: str(),
  })
  .openapi('LedgerEntry');
export const CreditCreate = z.object({ amount: PositiveMoney, reason: Text(500) }).strict().openapi('CreditCreate');

export const PaymentCreate = z
  .object({
    amount: PositiveMoney,
    method: z.enum(RECORDED_PAYMENT_METHODS),
    receivedOn: CalendarDate,
    payerGuardianId: Id.nullable().optional(),
    reference: str().trim().max(200).nullable().optional(),
  })
  .strict()
  .openapi('PaymentRecord');
export const Payment = z
  .object({
    id: str(),
    accountId: str(),
    amount: Money,
    refunded: Money,
    currency: str(),
    status: z.enum(PAYMENT_STATUSES),
    method: z.enum(PAYMENT_METHODS),
    payerGuardianId: str().nullable(),
    receivedOn: str().nullable(),
    reference: str().nullable(),
    succeededAt: str().nullable(),
    ...stamps,
  })
  .openapi('Payment');
export const PaymentQuery = ListQuery.extend({ accountId: Id.optional(), status: z.enum(PAYMENT_STATUSES).optional() });
export const RefundCreate = z.object({ amount: PositiveMoney, reason: Text(500) }).strict().openapi('RefundCreate');
export const Refund = z.object({ id: str(), paymentId: str(), amount: Money, reason: str(), status: z.enum(REFUND_STATUSES), ...stamps }).openapi('Refund');

export const StatementQuery = z.object({ from: CalendarDate, to: CalendarDate });
export const Statement = z
  .object({ accountId: str(), from: str(), to: str(), currency: str(), openingBalance: Money, entries: z.array(LedgerEntry), closingBalance: Money })
  .openapi('Statement');
/** `Accept: application/pdf` on the statement routes: the same statement as a printable PDF. */
export const PdfFile = str().openapi({ type: 'string', format: 'binary', description: 'A PDF document (`Accept: application/pdf`)' });
export const TaxQuery = z.object({ year: z.coerce.number().int().min(1900).max(2999) });
export const TaxStatement = z
  .object({
    year: z.number().int(),
    accountId: str(),
    currency: str(),
    centre: z.object({ name: str(), taxId: str().nullable() }),
    payers: z.array(z.object({ guardianId: str().nullable(), name: str().nullable(), paid: Money })),
    totalPaid: Money,
  })
  .openapi('TaxStatement');
