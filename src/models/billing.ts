import { sql } from 'drizzle-orm';
import { bigint, date, foreignKey, index, integer, jsonb, pgTable, primaryKey, text, timestamp, unique, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { guardians, students } from './centre.js';
import { resourceColumns, tenantIdColumn, ts } from './columns.js';
import {
  CHARGE_KINDS,
  CHARGE_STATUSES,
  INVOICE_LINE_KINDS,
  INVOICE_STATES,
  LEDGER_ENTRY_TYPES,
  PAYMENT_METHODS,
  PAYMENT_STATUSES,
  REFUND_STATUSES,
} from './enums.js';
import { tenants } from './tenancy.js';

/**
 * Billing (CONTRACT "Billing"). Money is an integer of minor units everywhere: `bigint` columns read as JS numbers
 * (mode 'number': exact below 2^53), never `numeric`, never a float.
 */
const money = (name: string) => bigint(name, { mode: 'number' });

/** One row per centre: its billing settings and the invoice-number counter (locked by the issuing transaction). */
export const billingSettings = pgTable('billing_settings', {
  tenantId: uuid('tenant_id')
    .primaryKey()
    .references(() => tenants.id, { onDelete: 'cascade' }),
  currency: text('currency').notNull().default('USD'),
  dueDay: integer('due_day').notNull().default(1),
  siblingDiscounts: jsonb('sibling_discounts').$type<Record<string, number>>().notNull().default(sql`'{}'::jsonb`),
  latePickup: jsonb('late_pickup').$type<{ after: string; graceMinutes: number; perMinute: number } | null>(),
  taxId: text('tax_id'),
  /** The last invoice number issued (0 = none yet): the next is this + 1, taken in the issuing transaction. */
  lastInvoiceNumber: integer('last_invoice_number').notNull().default(0),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  version: integer('version').notNull().default(1),
});

export const billingPlans = pgTable(
  'billing_plans',
  {
    ...resourceColumns(),
    tenantId: tenantIdColumn().references(() => tenants.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    amount: money('amount').notNull(),
    interval: text('interval', { enum: ['month'] }).notNull().default('month'),
    archivedAt: ts('archived_at'),
  },
  (t) => [unique('billing_plans_tenant_id_id_key').on(t.tenantId, t.id), index('billing_plans_tenant_name_idx').on(t.tenantId, t.id)],
);

export const billingAccounts = pgTable(
  'billing_accounts',
  {
    ...resourceColumns(),
    tenantId: tenantIdColumn().references(() => tenants.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
  },
  (t) => [unique('billing_accounts_tenant_id_id_key').on(t.tenantId, t.id)],
);

export const billingAccountPayers = pgTable(
  'billing_account_payers',
  {
    tenantId: tenantIdColumn(),
    accountId: uuid('account_id').notNull(),
    guardianId: uuid('guardian_id').notNull(),
  },
  (t) => [
    primaryKey({ name: 'billing_account_payers_pk', columns: [t.tenantId, t.accountId, t.guardianId] }),
    index('billing_account_payers_guardian_idx').on(t.tenantId, t.guardianId),
    foreignKey({ name: 'billing_account_payers_account_fk', columns: [t.tenantId, t.accountId], foreignColumns: [billingAccounts.tenantId, billingAccounts.id] }).onDelete('cascade'),
    foreignKey({ name: 'billing_account_payers_guardian_fk', columns: [t.tenantId, t.guardianId], foreignColumns: [guardians.tenantId, guardians.id] }),
  ],
);

/** A child is in at most one account (the unique key: a second account → 409). */
export const billingAccountStudents = pgTable(
  'billing_account_students',
  {
    tenantId: tenantIdColumn(),
    accountId: uuid('account_id').notNull(),
    studentId: uuid('student_id').notNull(),
  },
  (t) => [
    primaryKey({ name: 'billing_account_students_pk', columns: [t.tenantId, t.accountId, t.studentId] }),
    uniqueIndex('billing_account_students_one_account').on(t.tenantId, t.studentId),
    foreignKey({ name: 'billing_account_students_account_fk', columns: [t.tenantId, t.accountId], foreignColumns: [billingAccounts.tenantId, billingAccounts.id] }).onDelete('cascade'),
    foreignKey({ name: 'billing_account_students_student_fk', columns: [t.tenantId, t.studentId], foreignColumns: [students.tenantId, students.id] }),
  ],
);

export const billingSubscriptions = pgTable(
  'billing_subscriptions',
  {
    ...resourceColumns(),
    tenantId: tenantIdColumn().references(() => tenants.id, { onDelete: 'cascade' }),
    studentId: uuid('student_id').notNull(),
    planId: uuid('plan_id').notNull(),
    startDate: date('start_date', { mode: 'string' }).notNull(),
    endDate: date('end_date', { mode: 'string' }),
  },
  (t) => [
    unique('billing_subscriptions_tenant_id_id_key').on(t.tenantId, t.id),
    index('billing_subscriptions_student_idx').on(t.tenantId, t.studentId, t.startDate),
    index('billing_subscriptions_plan_idx').on(t.tenantId, t.planId),
    foreignKey({ name: 'billing_subscriptions_student_fk', columns: [t.tenantId, t.studentId], foreignColumns: [students.tenantId, students.id] }),
    foreignKey({ name: 'billing_subscriptions_plan_fk', columns: [t.tenantId, t.planId], foreignColumns: [billingPlans.tenantId, billingPlans.id] }),
  ],
);

export const billingCharges = pgTable(
  'billing_charges',
  {
    ...resourceColumns(),
    tenantId: tenantIdColumn().references(() => tenants.id, { onDelete: 'cascade' }),
    accountId: uuid('account_id').notNull(),
    studentId: uuid('student_id'),
    kind: text('kind', { enum: CHARGE_KINDS }).notNull().default('manual'),
    description: text('description').notNull(),
    amount: money('amount').notNull(),
    serviceDate: date('service_date', { mode: 'string' }).notNull(),
    status: text('status', { enum: CHARGE_STATUSES }).notNull(),
    attendanceId: uuid('attendance_id'),
    decidedByMembershipId: uuid('decided_by_membership_id'),
  },
  (t) => [
    unique('billing_charges_tenant_id_id_key').on(t.tenantId, t.id),
    index('billing_charges_account_idx').on(t.tenantId, t.accountId, t.status, t.serviceDate),
    // At most one late-pickup fee per child per local day: the first stays (insert … on conflict do nothing).
    uniqueIndex('billing_charges_one_late_pickup').on(t.tenantId, t.studentId, t.serviceDate).where(sql`kind = 'late_pickup'`),
    foreignKey({ name: 'billing_charges_account_fk', columns: [t.tenantId, t.accountId], foreignColumns: [billingAccounts.tenantId, billingAccounts.id] }),
    foreignKey({ name: 'billing_charges_student_fk', columns: [t.tenantId, t.studentId], foreignColumns: [students.tenantId, students.id] }),
  ],
);

/** `state` is what is stored (draft, issued, void); open/paid are derived from the ledger (allocation.ts). */
export const billingInvoices = pgTable(
  'billing_invoices',
  {
    ...resourceColumns(),
    tenantId: tenantIdColumn().references(() => tenants.id, { onDelete: 'cascade' }),
    accountId: uuid('account_id').notNull(),
    period: text('period').notNull(),
    number: integer('number'),
    state: text('state', { enum: INVOICE_STATES }).notNull().default('draft'),
    total: money('total').notNull(),
    issueDate: date('issue_date', { mode: 'string' }),
    dueDate: date('due_date', { mode: 'string' }),
    voidReason: text('void_reason'),
    voidedAt: ts('voided_at'),
  },
  (t) => [
    unique('billing_invoices_tenant_id_id_key').on(t.tenantId, t.id),
    // At most one invoice per (account, period) that is not void: a run can be repeated safely.
    uniqueIndex('billing_invoices_one_per_period').on(t.tenantId, t.accountId, t.period).where(sql`state <> 'void'`),
    uniqueIndex('billing_invoices_number_key').on(t.tenantId, t.number),
    index('billing_invoices_tenant_period_idx').on(t.tenantId, t.period, t.state),
    foreignKey({ name: 'billing_invoices_account_fk', columns: [t.tenantId, t.accountId], foreignColumns: [billingAccounts.tenantId, billingAccounts.id] }),
  ],
);

export const billingInvoiceLines = pgTable(
  'billing_invoice_lines',
  {
    id: uuid('id').notNull().defaultRandom().primaryKey(),
    tenantId: tenantIdColumn(),
    invoiceId: uuid('invoice_id').notNull(),
    position: integer('position').notNull(),
    kind: text('kind', { enum: INVOICE_LINE_KINDS }).notNull(),
    studentId: uuid('student_id'),
    description: text('description').notNull(),
    amount: money('amount').notNull(),
    serviceFrom: date('service_from', { mode: 'string' }),
    serviceTo: date('service_to', { mode: 'string' }),
    planId: uuid('plan_id'),
    subscriptionId: uuid('subscription_id'),
    chargeId: uuid('charge_id'),
  },
  (t) => [
    index('billing_invoice_lines_invoice_idx').on(t.tenantId, t.invoiceId, t.position),
    index('billing_invoice_lines_student_idx').on(t.tenantId, t.studentId, t.serviceFrom),
    index('billing_invoice_lines_charge_idx').on(t.tenantId, t.chargeId),
    index('billing_invoice_lines_plan_idx').on(t.tenantId, t.planId),
    index('billing_invoice_lines_subscription_idx').on(t.tenantId, t.subscriptionId),
    foreignKey({ name: 'billing_invoice_lines_invoice_fk', columns: [t.tenantId, t.invoiceId], foreignColumns: [billingInvoices.tenantId, billingInvoices.id] }).onDelete('cascade'),
  ],
);

/** Recorded (cash, check, …) and, later, online payments: an online one only adds rows here and ledger entries. */
export const billingPayments = pgTable(
  'billing_payments',
  {
    ...resourceColumns(),
    tenantId: tenantIdColumn().references(() => tenants.id, { onDelete: 'cascade' }),
    accountId: uuid('account_id').notNull(),
    amount: money('amount').notNull(),
    method: text('method', { enum: PAYMENT_METHODS }).notNull(),
    status: text('status', { enum: PAYMENT_STATUSES }).notNull(),
    payerGuardianId: uuid('payer_guardian_id'),
    receivedOn: date('received_on', { mode: 'string' }),
    reference: text('reference'),
    succeededAt: ts('succeeded_at'),
    /** Online payments: the provider and its object id (a checkout session), the return URL and expiry. */
    provider: text('provider'),
    providerRef: text('provider_ref'),
    /** Online payments: the provider's payment intent once paid (charge and dispute events name it), and the return URL. */
    providerIntent: text('provider_intent'),
    returnUrl: text('return_url'),
    recordedByMembershipId: uuid('recorded_by_membership_id'),
  },
  (t) => [
    unique('billing_payments_tenant_id_id_key').on(t.tenantId, t.id),
    index('billing_payments_account_idx').on(t.tenantId, t.accountId, t.createdAt),
    // A provider's session names one payment of ours (the webhook finds the tenant through it).
    uniqueIndex('billing_payments_provider_ref_key').on(t.provider, t.providerRef),
    index('billing_payments_provider_intent_idx').on(t.provider, t.providerIntent),
    foreignKey({ name: 'billing_payments_account_fk', columns: [t.tenantId, t.accountId], foreignColumns: [billingAccounts.tenantId, billingAccounts.id] }),
    foreignKey({ name: 'billing_payments_payer_fk', columns: [t.tenantId, t.payerGuardianId], foreignColumns: [guardians.tenantId, guardians.id] }),
  ],
);

export const billingRefunds = pgTable(
  'billing_refunds',
  {
    ...resourceColumns(),
    tenantId: tenantIdColumn().references(() => tenants.id, { onDelete: 'cascade' }),
    paymentId: uuid('payment_id').notNull(),
    amount: money('amount').notNull(),
    reason: text('reason').notNull(),
    status: text('status', { enum: REFUND_STATUSES }).notNull(),
    succeededAt: ts('succeeded_at'),
    providerRef: text('provider_ref'),
  },
  (t) => [
    unique('billing_refunds_tenant_id_id_key').on(t.tenantId, t.id),
    index('billing_refunds_payment_idx').on(t.tenantId, t.paymentId),
    foreignKey({ name: 'billing_refunds_payment_fk', columns: [t.tenantId, t.paymentId], foreignColumns: [billingPayments.tenantId, billingPayments.id] }),
  ],
);

/**
 * The ledger: append-only (the app role has no UPDATE/DELETE, and a trigger refuses them). `seq` is the posting order;
 * an account's balance is the sum of its entries, never a stored column.
 */
export const billingLedgerEntries = pgTable(
  'billing_ledger_entries',
  {
    id: uuid('id').notNull().defaultRandom().primaryKey(),
    seq: bigint('seq', { mode: 'number' }).generatedAlwaysAsIdentity(),
    tenantId: tenantIdColumn().references(() => tenants.id, { onDelete: 'cascade' }),
    accountId: uuid('account_id').notNull(),
    type: text('type', { enum: LEDGER_ENTRY_TYPES }).notNull(),
    amount: money('amount').notNull(),
    effectiveDate: date('effective_date', { mode: 'string' }).notNull(),
    invoiceId: uuid('invoice_id'),
    paymentId: uuid('payment_id'),
    refundId: uuid('refund_id'),
    memo: text('memo').notNull().default(''),
    createdByMembershipId: uuid('created_by_membership_id'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    unique('billing_ledger_entries_tenant_id_id_key').on(t.tenantId, t.id),
    index('billing_ledger_account_seq_idx').on(t.tenantId, t.accountId, t.seq),
    index('billing_ledger_account_date_idx').on(t.tenantId, t.accountId, t.effectiveDate, t.seq),
    foreignKey({ name: 'billing_ledger_account_fk', columns: [t.tenantId, t.accountId], foreignColumns: [billingAccounts.tenantId, billingAccounts.id] }),
    foreignKey({ name: 'billing_ledger_invoice_fk', columns: [t.tenantId, t.invoiceId], foreignColumns: [billingInvoices.tenantId, billingInvoices.id] }),
    foreignKey({ name: 'billing_ledger_payment_fk', columns: [t.tenantId, t.paymentId], foreignColumns: [billingPayments.tenantId, billingPayments.id] }),
  ],
);
