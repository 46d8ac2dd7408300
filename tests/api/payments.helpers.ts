import { expect } from 'vitest';
import type { NotifyRequest } from '../../src/modules/billing/notify-port.js';
import { mkGuardian, mkStudent, newCentre } from '../factories/index.js';
import type { Agent } from '../helpers/http.js';
import { addMember, type TestServer } from '../helpers/server.js';
import { waitJob } from './jobs.helpers.js';

export const RETURN_URL = 'http://localhost:3000/billing/paid';

export const ok = <T = any>(r: { status: number; text: string; body: T }, status = 200) => {
  expect(r.status, r.text).toBe(status);
  return r.body;
};

/** A recording stand-in for billing's notify port. */
export function recordingNotify() {
  const calls: { tenantId: string; req: NotifyRequest }[] = [];
  return { calls, notify: async (_tx: unknown, tenantId: string, req: NotifyRequest) => void calls.push({ tenantId, req }) };
}

/**
 * A centre with a guardian member who pays for one account owing `amount` (an issued January invoice), and another
 * family's account.
 */
export async function owingFamily(srv: TestServer, amount = 1000) {
  const { owner, tenant } = await newCentre(srv);
  const gm = await addMember(srv, owner, ['guardian']);
  const g = await mkGuardian(owner, { email: gm.email });
  const kid = await mkStudent(owner, { dateOfBirth: '2021-01-01' });
  expect((await owner.put(`/students/${kid.id}/guardians/${g.id}`, { relationship: 'parent', authorizedPickup: true })).status).toBeLessThan(300);
  const account = ok(await owner.post('/billing/accounts', { name: 'Family', payerGuardianIds: [g.id], studentIds: [kid.id] }), 201);
  const plan = ok(await owner.post('/billing/plans', { name: 'Plan', amount }), 201);
  ok(await owner.post('/billing/subscriptions', { studentId: kid.id, planId: plan.id, startDate: '2025-01-01' }), 201);
  const run = ok(await owner.post('/billing/runs', { period: '2025-01' }), 202);
  expect((await waitJob(owner, run.jobId)).status).toBe('succeeded');
  const invoice = ok(await owner.get(`/billing/invoices?accountId=${account.id}&period=2025-01`)).items[0];
  ok(await owner.post(`/billing/invoices/${invoice.id}/issue`));
  expect(ok(await owner.get(`/billing/accounts/${account.id}`)).balance).toBe(amount);
  return { owner, tenant, guardian: gm.agent, guardianId: g.id, account, invoice };
}

export async function checkout(a: Agent, accountId: string, body: Record<string, unknown> = {}, headers?: Record<string, string>) {
  return a.post(`/billing/accounts/${accountId}/checkout`, { returnUrl: RETURN_URL, ...body }, headers);
}

/** POSTs a signed delivery to the webhook route as the provider would (no cookies). */
export async function deliver(url: string, provider: string, d: { body: string; headers: Record<string, string> }) {
  const res = await fetch(`${url}/webhooks/payments/${provider}`, { method: 'POST', body: d.body, headers: d.headers });
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body, text };
}

export async function ledgerTypes(a: Agent, accountId: string) {
  return ok(await a.get(`/billing/accounts/${accountId}/ledger?limit=200`)).items.map((e: any) => `${e.type}:${e.amount}`);
}
