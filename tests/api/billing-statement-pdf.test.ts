import { describe, expect, it } from 'vitest';
import { mkGuardian, mkStudent, newCentre, useServer } from '../factories/index.js';
import { Agent } from '../helpers/http.js';
import { isPdf, pdfTextRuns } from '../helpers/pdf.js';
import { addMember, type TestServer } from '../helpers/server.js';
import { waitJob } from './jobs.helpers.js';

/**
 * Statements as printable PDFs: the contract names JSON only, so the same routes answer `application/pdf` when the
 * client prefers it (content negotiation) and JSON otherwise, unchanged. The PDF is read back (zlib-inflated content
 * streams) for the family, the lines and the totals.
 */

const ok = <T = any>(r: { status: number; text: string; body: T }, status = 200) => {
  expect(r.status, r.text).toBe(status);
  return r.body;
};

/** A GET answered as bytes (the test Agent reads text), with the agent's cookies. */
async function getBytes(a: Agent, path: string, accept: string) {
  const cookie = [...a.cookies.values()].map((c) => `${c.name}=${encodeURIComponent(c.value)}`).join('; ');
  const res = await fetch(a.baseUrl + path, { headers: { accept, ...(cookie ? { cookie } : {}) } });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}
const PDF = 'application/pdf';
const localToday = (tz: string) => new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());

async function family(a: Agent, lastName: string, email?: string) {
  const g = await mkGuardian(a, { firstName: 'Ana', lastName, ...(email ? { email } : {}) });
  const s = await mkStudent(a, { dateOfBirth: '2021-01-01', lastName });
  expect((await a.put(`/students/${s.id}/guardians/${g.id}`, { relationship: 'parent', authorizedPickup: true })).status).toBeLessThan(300);
  const account = ok(await a.post('/billing/accounts', { name: `Family ${lastName}`, payerGuardianIds: [g.id], studentIds: [s.id] }), 201);
  return { g, s, account };
}

describe('billing statements as PDF', () => {
  const srv: TestServer = useServer();

  it('Accept: application/pdf → a PDF of the statement and of the tax statement (family, lines, totals, currency, local dates); JSON otherwise, unchanged', async () => {
    const tz = 'Pacific/Auckland';
    const { owner } = await newCentre(srv, { name: 'Kowhai Early Learning', timezone: tz });
    ok(await owner.patch('/tenant', { billing: { taxId: 'NZ-123-456', currency: 'NZD' } }));
    const plan = ok(await owner.post('/billing/plans', { name: 'Full time', amount: 123456 }), 201);
    const f = await family(owner, 'Ngata');
    ok(await owner.post('/billing/subscriptions', { studentId: f.s.id, planId: plan.id, startDate: '2025-01-01' }), 201);
    const run = ok(await owner.post('/billing/runs', { period: '2025-01' }), 202);
    expect((await waitJob(owner, run.jobId)).status).toBe('succeeded');
    const draft = ok(await owner.get(`/billing/invoices?accountId=${f.account.id}&period=2025-01`)).items[0];
    const inv = ok(await owner.post(`/billing/invoices/${draft.id}/issue`));
    const today = localToday(tz);
    const year = Number(today.slice(0, 4));
    ok(await owner.post(`/billing/accounts/${f.account.id}/payments`, { amount: 100000, method: 'bank_transfer', receivedOn: today, payerGuardianId: f.g.id }), 201);
    ok(await owner.post(`/billing/accounts/${f.account.id}/credits`, { amount: 5, reason: 'Rounding goodwill' }), 201);

    // A month back from the centre's today (the issue date, the payment and the credit are all today, local).
    const from = new Date(Date.parse(`${today}T00:00:00Z`) - 30 * 86400_000).toISOString().slice(0, 10);
    const to = new Date(Date.parse(`${today}T00:00:00Z`) + 86400_000).toISOString().slice(0, 10);
    expect(inv.issueDate).toBe(today);
    const path = `/billing/accounts/${f.account.id}/statement?from=${from}&to=${to}`;
    const json = ok(await owner.get(path));
    // JSON stays the default: no Accept, */*, JSON preferred, or an unknown type.
    for (const accept of [undefined, '*/*', 'application/json', 'application/json, application/pdf;q=0.5', 'text/csv']) {
      const r = await owner.get(path, accept ? { accept } : {});
      expect(r.status, accept).toBe(200);
      expect(r.headers.get('content-type'), accept).toMatch(/^application\/json/);
      expect(r.body, accept).toEqual(json);
      expect(r.headers.get('vary'), accept).toMatch(/accept/i);
    }

    const before = localToday(tz);
    const r = await getBytes(owner, path, PDF);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe(PDF);
    expect(r.headers.get('content-disposition')).toBe(`attachment; filename="statement-${from}-${to}.pdf"; filename*=UTF-8''statement-${from}-${to}.pdf`);
    expect(r.headers.get('vary')).toMatch(/accept/i);
    expect(Number(r.headers.get('content-length'))).toBe(r.bytes.length);
    expect(isPdf(r.bytes)).toBe(true);
    const runs = pdfTextRuns(r.bytes);
    const text = runs.join('\n');
    expect(runs).toContain('Kowhai Early Learning');
    expect(runs).toContain('Tax ID: NZ-123-456');
    expect(runs).toContain('Account: Family Ngata');
    expect(runs).toContain(`Payers: Ana Ngata`);
    expect(runs).toContain(`Period: ${from} to ${to}`);
    expect([before, localToday(tz)].map((d) => `Issued on: ${d}`)).toContain(runs.find((x) => x.startsWith('Issued on: ')));
    // The lines: date, description, amount, running balance — money from minor units (123456 → 1,234.56).
    const line = (cells: string[]) => {
      const i = runs.indexOf(cells[0]!, runs.indexOf('Opening balance'));
      return runs.slice(i, i + cells.length);
    };
    const invLine = [inv.issueDate, `Invoice ${inv.number} (2025-01)`, 'NZD 1,234.56', 'NZD 1,234.56'];
    expect(line(invLine)).toEqual(invLine);
    expect(text).toContain('Payment: bank_transfer payment');
    expect(text).toContain('NZD -1,000.00');
    expect(text).toContain('Credit: Rounding goodwill');
    expect(text).toContain('NZD -0.05');
    // The totals agree with the JSON statement.
    expect(json.closingBalance).toBe(123456 - 100000 - 5);
    expect(runs).toContain('NZD 234.51');
    expect(runs).toContain('Closing balance');
    expect(text).toContain('Charges in the period: NZD 1,234.56');
    expect(text).toContain('Payments and credits in the period: NZD -1,000.05');
    expect(text).toContain('Amount due: NZD 234.51');

    // The tax statement: the centre's name and tax id, the payer and the year's total.
    const tax = ok(await owner.get(`/billing/accounts/${f.account.id}/tax-statement?year=${year}`));
    expect(tax.totalPaid).toBe(100000);
    const t = await getBytes(owner, `/billing/accounts/${f.account.id}/tax-statement?year=${year}`, 'application/pdf, application/json;q=0.9');
    expect(t.status).toBe(200);
    expect(t.headers.get('content-type')).toBe(PDF);
    expect(t.headers.get('content-disposition')).toContain(`tax-statement-${year}.pdf`);
    const truns = pdfTextRuns(t.bytes);
    expect(isPdf(t.bytes)).toBe(true);
    expect(truns).toEqual(expect.arrayContaining(['Kowhai Early Learning', 'Tax ID: NZ-123-456', `Childcare payments statement ${year}`, 'Account: Family Ngata', 'Ana Ngata', 'NZD 1,000.00', 'Total paid']));
    expect(truns[truns.indexOf('Total paid') + 1]).toBe('NZD 1,000.00');
    // A year without payments still prints, with a zero total.
    const empty = pdfTextRuns((await getBytes(owner, `/billing/accounts/${f.account.id}/tax-statement?year=2019`, PDF)).bytes);
    expect(empty).toEqual(expect.arrayContaining(['No payments in this year', 'Total paid']));
    expect(empty[empty.indexOf('Total paid') + 1]).toBe('NZD 0.00');
  });

  it('a guardian gets the PDF of an account they pay for; another family’s, another centre’s, no session, a wrong role or a bad range → the JSON error', async () => {
    const { owner } = await newCentre(srv, { name: 'Totara House' });
    const other = await newCentre(srv);
    const gm = await addMember(srv, owner, ['guardian']);
    const mine = await family(owner, 'Mine', gm.email);
    const theirs = await family(owner, 'Theirs');
    const elsewhere = await family(other.owner, 'Elsewhere');
    const range = 'from=2025-01-01&to=2025-12-31';
    const st = (id: string) => `/billing/accounts/${id}/statement?${range}`;
    const tax = (id: string) => `/billing/accounts/${id}/tax-statement?year=2025`;

    const g = gm.agent;
    const own = await getBytes(g, st(mine.account.id), PDF);
    expect(own.status).toBe(200);
    expect(pdfTextRuns(own.bytes)).toEqual(expect.arrayContaining(['Totara House', 'Account: Family Mine', 'Opening balance', 'Closing balance']));
    expect((await getBytes(g, tax(mine.account.id), PDF)).status).toBe(200);

    const errorOf = (r: { bytes: Buffer; headers: Headers }) => {
      expect(r.headers.get('content-type')).toMatch(/^application\/json/);
      return JSON.parse(r.bytes.toString('utf8')).error.code as string;
    };
    // A guardian for another family, and another centre's account: 404, the same as an unknown id.
    for (const p of [st(theirs.account.id), tax(theirs.account.id), st(elsewhere.account.id), tax(elsewhere.account.id), st('00000000-0000-4000-8000-000000000000')]) {
      const r = await getBytes(g, p, PDF);
      expect(r.status, p).toBe(404);
      expect(errorOf(r)).toBe('NOT_FOUND');
    }
    for (const p of [st(elsewhere.account.id), tax(elsewhere.account.id)]) expect((await getBytes(owner, p, PDF)).status, p).toBe(404);

    // No session → 401; a member whose role does not read billing (a teacher), or without the entitlement → 403.
    const anon = new Agent(srv.url);
    const noSession = await getBytes(anon, st(mine.account.id), PDF);
    expect(noSession.status).toBe(401);
    expect(errorOf(noSession)).toBe('UNAUTHENTICATED');
    const teacher = (await addMember(srv, owner, ['teacher'])).agent;
    const noBilling = (await addMember(srv, owner, ['admin'], { entitlements: ['messaging'] })).agent;
    for (const a of [teacher, noBilling])
      for (const p of [st(mine.account.id), tax(mine.account.id)]) {
        const r = await getBytes(a, p, PDF);
        expect(r.status, p).toBe(403);
        expect(errorOf(r)).toBe('FORBIDDEN');
      }

    // Validation still comes first: more than 366 days, a malformed date or year → 400.
    for (const p of [`/billing/accounts/${mine.account.id}/statement?from=2024-01-01&to=2025-06-01`, `/billing/accounts/${mine.account.id}/statement?from=2025-02-30&to=2025-03-01`, `/billing/accounts/${mine.account.id}/tax-statement?year=20x5`]) {
      const r = await getBytes(owner, p, PDF);
      expect(r.status, p).toBe(400);
      expect(errorOf(r)).toBe('VALIDATION_ERROR');
    }
  });
});
