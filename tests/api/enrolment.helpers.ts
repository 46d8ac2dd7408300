import { expect } from 'vitest';
import type { EnrolmentBilling } from '../../src/modules/enrolment/billing-port.js';
import type { NotifyRequest } from '../../src/modules/enrolment/notify-port.js';
import type { Agent } from '../helpers/http.js';

/** A recording stand-in for the notifications seam: what enrolment announced, per centre. */
export function recordingNotify() {
  const calls: { tenantId: string; req: NotifyRequest }[] = [];
  return {
    calls,
    notify: async (_tx: unknown, tenantId: string, req: NotifyRequest) => {
      calls.push({ tenantId, req });
    },
    /** The raw offer token of the latest offer.made for this application (what the email's link carries). */
    offerToken(applicationId: string) {
      const c = calls.filter((x) => x.req.type === 'offer.made' && x.req.subject.id === applicationId).at(-1);
      expect(c, `no offer.made for ${applicationId}`).toBeDefined();
      return String(c!.req.data.offerToken);
    },
  };
}

/** A billing port that knows one plan and records the enrolments it was asked for. */
export function fakeBilling(activePlanId: string) {
  const enrolled: { guardianId: string; studentId: string; planId: string; startDate: string }[] = [];
  const port: EnrolmentBilling = {
    planIsOffered: async (_tx, _tenantId, planId) => planId === activePlanId,
    enrolOnPlan: async (_tx, _ctx, input) => {
      enrolled.push(input);
    },
  };
  return { port, enrolled };
}

let n = 0;
/** A start date safely in the future (the offer's startDate must not be in the past). */
export const START = `${new Date().getUTCFullYear() + 1}-01-04`;
export const application = (o: Record<string, unknown> = {}) => {
  const i = ++n;
  return {
    child: { firstName: `Kid${i}`, lastName: 'Applicant', dateOfBirth: '2024-02-03' },
    guardian: { firstName: 'Par', lastName: `Ent${i}`, email: `parent${i}.${process.pid}.${Date.now().toString(36)}@example.test` },
    desiredStartDate: START,
    ...o,
  };
};

export async function apply(owner: Agent, o: Record<string, unknown> = {}) {
  const r = await owner.post('/applications', application(o));
  expect(r.status, r.text).toBe(201);
  return r.body as { id: string; version: number; [k: string]: any };
}

/** A public caller: no cookies, optionally a form's Bearer token. */
export function publicClient(url: string) {
  const call = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    const text = await res.text();
    let parsed: any = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = text;
    }
    return { status: res.status, headers: res.headers, body: parsed, text };
  };
  return { post: call };
}
