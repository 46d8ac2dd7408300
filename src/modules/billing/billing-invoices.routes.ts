import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../../api/env.js';
import { attachmentDisposition } from '../../core/file-limits.js';
import { etag, parseIfMatch } from '../../api/etag.js';
import { prefers } from '../../api/negotiate.js';
import { tenantCtx } from '../../api/middleware/session.js';
import {
  CreditCreate,
  Invoice,
  InvoiceQuery,
  JobStarted,
  LedgerEntry,
  Payment,
  PaymentCreate,
  PaymentQuery,
  PdfFile,
  Refund,
  RefundCreate,
  RunCreate,
  Statement,
  StatementQuery,
  TaxQuery,
  TaxStatement,
  VoidBody,
} from './billing.schemas.js';
import { defineRoute, IdParam, jsonBody, jsonResponse, ListQuery, page } from '../../api/routes/registry.js';
import { billingAccountVisible, invoiceVisible, paymentVisible } from '../../api/routes/visibility.js';

/** Billing runs, invoices, the ledger, credits, payments, refunds and statements (CONTRACT "Billing"). */
export function registerBillingInvoiceRoutes(app: OpenAPIHono<AppEnv>) {
  const billing = (c: { get(k: 'container'): AppEnv['Variables']['container'] }) => c.get('container').billing;

  app.openapi(
    defineRoute({
      method: 'post',
      path: '/billing/runs',
      permission: 'billing:manage',
      summary: 'Run a month: draft invoices for every account (a job; its result counts created, rebuilt, skipped)',
      request: jsonBody(RunCreate),
      responses: { 202: jsonResponse(JobStarted, 'Started') },
    }),
    async (c) => c.json(await billing(c).invoices.startRun(tenantCtx(c), c.req.valid('json').period), 202),
  );

  app.openapi(
    defineRoute({ method: 'get', path: '/billing/invoices', permission: 'billing:read', summary: 'Invoices (a guardian: their accounts’, never drafts)', request: { query: InvoiceQuery }, responses: { 200: jsonResponse(page(Invoice), 'Invoices') } }),
    async (c) => c.json(await billing(c).invoices.list(tenantCtx(c), c.req.valid('query')), 200),
  );
  app.openapi(
    defineRoute({ method: 'get', path: '/billing/invoices/{id}', permission: 'billing:read', summary: 'One invoice', request: { params: IdParam }, responses: { 200: jsonResponse(Invoice, 'The invoice') } }),
    async (c) => {
      const r = await billing(c).invoices.get(tenantCtx(c), c.req.valid('param').id);
      c.header('ETag', etag(r.version));
      return c.json(r, 200);
    },
  );
  app.openapi(
    defineRoute({
      method: 'post',
      path: '/billing/invoices/{id}/issue',
      permission: 'billing:manage',
      visible: invoiceVisible,
      summary: 'Issue a draft: the next number of the centre, posted to the ledger, payers notified',
      request: { params: IdParam },
      responses: { 200: jsonResponse(Invoice, 'Issued') },
    }),
    async (c) => {
      const r = await billing(c).invoices.issue(tenantCtx(c), c.req.valid('param').id, parseIfMatch(c.req.header('if-match')));
      c.header('ETag', etag(r.version));
      return c.json(r, 200);
    },
  );
  app.openapi(
    defineRoute({
      method: 'post',
      path: '/billing/invoices/{id}/void',
      permission: 'billing:manage',
      visible: invoiceVisible,
      summary: 'Void an issued invoice (a `void` ledger entry of −total; the number stays used)',
      request: { params: IdParam, ...jsonBody(VoidBody) },
      responses: { 200: jsonResponse(Invoice, 'Voided') },
    }),
    async (c) => {
      const r = await billing(c).invoices.void(tenantCtx(c), c.req.valid('param').id, c.req.valid('json').reason, parseIfMatch(c.req.header('if-match')));
      c.header('ETag', etag(r.version));
      return c.json(r, 200);
    },
  );
  app.openapi(
    defineRoute({ method: 'delete', path: '/billing/invoices/{id}', permission: 'billing:manage', visible: invoiceVisible, summary: 'Delete a draft (anything else → 409)', request: { params: IdParam }, responses: { 204: { description: 'Deleted' } } }),
    async (c) => {
      await billing(c).invoices.deleteDraft(tenantCtx(c), c.req.valid('param').id, parseIfMatch(c.req.header('if-match')));
      return c.body(null, 204);
    },
  );

  app.openapi(
    defineRoute({ method: 'get', path: '/billing/accounts/{id}/ledger', permission: 'billing:read', summary: 'The account’s ledger, in posting order', request: { params: IdParam, query: ListQuery }, responses: { 200: jsonResponse(page(LedgerEntry), 'Entries') } }),
    async (c) => c.json(await billing(c).ledger.ledger(tenantCtx(c), c.req.valid('param').id, c.req.valid('query')), 200),
  );
  app.openapi(
    defineRoute({ method: 'post', path: '/billing/accounts/{id}/credits', permission: 'billing:manage', visible: billingAccountVisible, summary: 'Credit an account (an entry of −amount)', request: { params: IdParam, ...jsonBody(CreditCreate) }, responses: { 201: jsonResponse(LedgerEntry, 'Posted') } }),
    async (c) => c.json(await billing(c).ledger.credit(tenantCtx(c), c.req.valid('param').id, c.req.valid('json')), 201),
  );
  app.openapi(
    defineRoute({
      method: 'post',
      path: '/billing/accounts/{id}/payments',
      permission: 'billing:manage',
      visible: billingAccountVisible,
      summary: 'Record a payment received by staff (succeeded at once; payers notified)',
      request: { params: IdParam, ...jsonBody(PaymentCreate) },
      responses: { 201: jsonResponse(Payment, 'Recorded') },
    }),
    async (c) => {
      const r = await billing(c).ledger.recordPayment(tenantCtx(c), c.req.valid('param').id, c.req.valid('json'));
      c.header('ETag', etag(r.version));
      return c.json(r, 201);
    },
  );
  app.openapi(
    defineRoute({ method: 'get', path: '/billing/payments', permission: 'billing:read', summary: 'Payments (a guardian: their accounts’)', request: { query: PaymentQuery }, responses: { 200: jsonResponse(page(Payment), 'Payments') } }),
    async (c) => c.json(await billing(c).ledger.listPayments(tenantCtx(c), c.req.valid('query')), 200),
  );
  app.openapi(
    defineRoute({ method: 'get', path: '/billing/payments/{id}', permission: 'billing:read', summary: 'One payment', request: { params: IdParam }, responses: { 200: jsonResponse(Payment, 'The payment') } }),
    async (c) => {
      const r = await billing(c).ledger.getPayment(tenantCtx(c), c.req.valid('param').id);
      c.header('ETag', etag(r.version));
      return c.json(r, 200);
    },
  );
  app.openapi(
    defineRoute({
      method: 'post',
      path: '/billing/payments/{id}/refunds',
      permission: 'billing:manage',
      visible: paymentVisible,
      summary: 'Refund a succeeded payment (a recorded one at once: a `refund` entry)',
      request: { params: IdParam, ...jsonBody(RefundCreate) },
      responses: { 201: jsonResponse(Refund, 'Refunded') },
    }),
    // Online payments are refunded through the provider (issue 25); recorded ones by billing's ledger, at once.
    async (c) => c.json((await c.get('container').onlinePayments.refund(tenantCtx(c), c.req.valid('param').id, c.req.valid('json'))) as never, 201),
  );
  // Statements answer JSON, or a printable PDF when the client prefers `application/pdf` (the same data).
  const jsonOrPdf = <T extends Parameters<typeof jsonResponse>[0]>(schema: T, description: string) => ({
    description: `${description}: JSON, or a PDF with \`Accept: application/pdf\``,
    content: { 'application/json': { schema }, 'application/pdf': { schema: PdfFile } },
  });
  const pdf = (doc: { fileName: string; bytes: Buffer }) =>
    new Response(new Uint8Array(doc.bytes), {
      status: 200,
      headers: { 'Content-Type': 'application/pdf', 'Content-Disposition': attachmentDisposition(doc.fileName), 'Content-Length': String(doc.bytes.length), Vary: 'Accept', 'X-Content-Type-Options': 'nosniff' },
    });
  app.openapi(
    defineRoute({
      method: 'get',
      path: '/billing/accounts/{id}/statement',
      permission: 'billing:read',
      summary: 'A statement of the entries dated from–to (at most 366 days); `Accept: application/pdf` for a printable one',
      request: { params: IdParam, query: StatementQuery },
      responses: { 200: jsonOrPdf(Statement, 'The statement') },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const id = c.req.valid('param').id;
      if (prefers(c.req.header('accept'), 'application/pdf')) return pdf(await billing(c).ledger.statementPdf(tenantCtx(c), id, q.from, q.to));
      c.header('Vary', 'Accept');
      return c.json(await billing(c).ledger.statement(tenantCtx(c), id, q.from, q.to), 200);
    },
  );
  app.openapi(
    defineRoute({
      method: 'get',
      path: '/billing/accounts/{id}/tax-statement',
      permission: 'billing:read',
      summary: 'The year’s payments less refunds and reversals, by payer, with the centre’s name and tax id; `Accept: application/pdf` for a printable one',
      request: { params: IdParam, query: TaxQuery },
      responses: { 200: jsonOrPdf(TaxStatement, 'The tax statement') },
    }),
    async (c) => {
      const { year } = c.req.valid('query');
      const id = c.req.valid('param').id;
      if (prefers(c.req.header('accept'), 'application/pdf')) return pdf(await billing(c).ledger.taxStatementPdf(tenantCtx(c), id, year));
      c.header('Vary', 'Accept');
      return c.json(await billing(c).ledger.taxStatement(tenantCtx(c), id, year), 200);
    },
  );
}
