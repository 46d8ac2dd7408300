/**
 * The shared security suite, generated from the route table that `defineRoute` fills (src/api/routes/registry.ts):
 * every authenticated route, not a hand-picked list. A route without an entry in SAMPLES fails the suite.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeTable } from '../../src/api/app.js';
import { ENTITLEMENTS, permissionsFor } from '../../src/core/security/permissions.js';
import type { Agent } from '../helpers/http.js';
import { recordingNotify } from './enrolment.helpers.js';
import { addMember, newTenant, startServer, uniqueEmail, type TestServer } from '../helpers/server.js';
import { waitJob } from './jobs.helpers.js';

type Ids = Record<string, string>;
interface Sample {
  /** Which fixture fills `{id}` (and `{guardianId}`). */
  id?: string;
  guardianId?: string;
  body?: (ids: Ids) => unknown;
  query?: string;
}

const SAMPLES: Record<string, Sample> = {
  'POST /tenants': { body: () => ({ name: 'Another', timezone: 'UTC' }) },
  'GET /tenant': {},
  'PATCH /tenant': { body: () => ({ name: 'Renamed' }) },
  'GET /memberships': {},
  'POST /memberships': { body: () => ({ email: uniqueEmail('inv'), roles: ['teacher'] }) },
  'PATCH /memberships/{id}': { id: 'membership', body: () => ({ roles: ['teacher'] }) },
  'DELETE /memberships/{id}': { id: 'membership' },
  'GET /audit-logs': {},
  // The fixture invitation is for another email: 404 for every caller (tests/api/invitations.test.ts covers the rest).
  'GET /invitations': {},
  'POST /invitations/{id}/accept': { id: 'membership' },
  'POST /invitations/{id}/decline': { id: 'membership' },
  'GET /rooms': {},
  'POST /rooms': { body: () => ({ name: 'Room', capacity: 5 }) },
  'GET /rooms/{id}': { id: 'room' },
  'PATCH /rooms/{id}': { id: 'room', body: () => ({ name: 'Room 2' }) },
  'DELETE /rooms/{id}': { id: 'room' },
  'GET /rooms/{id}/roster': { id: 'room' },
  'GET /students': {},
  'POST /students': { body: () => ({ firstName: 'A', lastName: 'B', dateOfBirth: '2022-02-02' }) },
  'GET /students/{id}': { id: 'student' },
  'PATCH /students/{id}': { id: 'student', body: () => ({ notes: 'n' }) },
  'DELETE /students/{id}': { id: 'student' },
  'GET /students/{id}/guardians': { id: 'student' },
  'PUT /students/{id}/guardians/{guardianId}': { id: 'student', guardianId: 'guardian', body: () => ({ relationship: 'parent', authorizedPickup: true }) },
  'DELETE /students/{id}/guardians/{guardianId}': { id: 'student', guardianId: 'guardian' },
  'GET /guardians': {},
  'POST /guardians': { body: () => ({ firstName: 'G', lastName: 'H' }) },
  'GET /guardians/{id}': { id: 'guardian' },
  'PATCH /guardians/{id}': { id: 'guardian', body: () => ({ phone: '123' }) },
  'DELETE /guardians/{id}': { id: 'guardian' },
  'GET /staff': {},
  'POST /staff': { body: () => ({ firstName: 'S', lastName: 'T', roomIds: [] }) },
  'GET /staff/{id}': { id: 'staff' },
  'PATCH /staff/{id}': { id: 'staff', body: () => ({ lastName: 'U' }) },
  'DELETE /staff/{id}': { id: 'staff' },
  'POST /attendance/check-in': { body: (ids) => ({ studentId: ids.student }) },
  'POST /attendance/check-out': { body: (ids) => ({ studentId: ids.student }) },
  'POST /attendance/move': { body: (ids) => ({ studentId: ids.student2, roomId: ids.room2 }) },
  'GET /attendance': {},
  'POST /absences': { body: (ids) => ({ studentId: ids.student, date: '2099-01-01', reason: 'sick' }) },
  'GET /absences': {},
  'POST /students/{id}/care-entries': { id: 'student', body: () => ({ type: 'meal', details: { meal: 'lunch', amount: 'all' } }) },
  'GET /students/{id}/care-entries': { id: 'student' },
  'GET /students/{id}/daily-report': { id: 'student' },
  'POST /rooms/{id}/care-entries': { id: 'room', body: () => ({ type: 'note', note: 'Quiet morning' }) },
  'GET /care-entries/{id}': { id: 'careEntry' },
  'PATCH /care-entries/{id}': { id: 'careEntry', body: () => ({ note: 'changed' }) },
  'DELETE /care-entries/{id}': { id: 'careEntry' },
  'POST /incidents': { body: (ids) => ({ studentId: ids.student, occurredAt: '2026-01-05T10:00:00Z', type: 'injury', description: 'Bumped head', actionTaken: 'Ice pack' }) },
  'GET /incidents': {},
  'GET /incidents/{id}': { id: 'incident' },
  'PATCH /incidents/{id}': { id: 'incident', body: () => ({ location: 'Hall' }) },
  'POST /incidents/{id}/review': { id: 'incident' },
  'POST /incidents/{id}/acknowledge': { id: 'incident' },
  'DELETE /absences/{id}': { id: 'absence' },
  'PATCH /attendance/{id}': { id: 'attendance', body: () => ({ note: 'corrected', reason: 'typo' }) },
  'GET /attendance/rollups': { query: 'from=2026-01-01&to=2026-01-31' },
  'GET /messages': {},
  'POST /messages': { body: (ids) => ({ audience: { type: 'student', id: ids.student }, body: 'Hello' }) },
  'POST /messages/{id}/read': { id: 'message' },
  'POST /files/presign': { body: (ids) => ({ purpose: 'document', contentType: 'application/pdf', size: 100, fileName: 'a.pdf', studentId: ids.student }) },
  'GET /files/{id}': { id: 'file' },
  'POST /reports': { body: () => ({ type: 'attendance', from: '2026-01-01', to: '2026-01-31' }) },
  'POST /imports': { body: (ids) => ({ type: 'students', fileId: ids.file }) },
  'GET /jobs/{id}': { id: 'job' },
  'POST /staff/{id}/clock-in': { id: 'staff', body: (ids) => ({ roomId: ids.room }) },
  'POST /staff/{id}/move': { id: 'staff', body: (ids) => ({ roomId: ids.room }) },
  'POST /staff/{id}/clock-out': { id: 'staff', body: () => ({}) },
  'GET /timecards': {},
  'PUT /guardians/{id}/pin': { id: 'guardian' },
  'GET /kiosks': {},
  'POST /kiosks': { body: () => ({ name: 'Door' }) },
  'DELETE /kiosks/{id}': { id: 'kiosk' },
  // The kiosk routes (the fourth credential kind): the PIN and children come from the kiosk section's own family.
  'POST /kiosk/lookup': { body: (ids) => ({ pin: ids.pin ?? '000000' }) },
  'POST /kiosk/check-in': { body: (ids) => ({ pin: ids.pin ?? '000000', studentIds: [ids.kioskChild ?? ids.student] }) },
  'POST /kiosk/check-out': { body: (ids) => ({ pin: ids.pin ?? '000000', studentIds: [ids.kioskChild ?? ids.student] }) },
  'GET /applications': {},
  'POST /applications': { body: () => applicationBody() },
  'GET /applications/{id}': { id: 'application' },
  'PATCH /applications/{id}': { id: 'application', body: () => ({ notes: 'n' }) },
  'POST /applications/{id}/offer': { id: 'application', body: (ids) => ({ roomId: ids.room, startDate: '2099-01-05', outOfOrderReason: 'suite' }) },
  'POST /applications/{id}/accept': { id: 'offeredApplication' },
  'POST /applications/{id}/decline': { id: 'offeredApplication', body: () => ({}) },
  'POST /applications/{id}/withdraw': { id: 'application', body: () => ({ reason: 'suite' }) },
  'POST /applications/{id}/reinstate': { id: 'application' },
  'GET /waitlist': {},
  'GET /application-forms': {},
  'POST /application-forms': { body: () => ({ name: 'Form' }) },
  'DELETE /application-forms/{id}': { id: 'form' },
  // The public routes (their own credentials: a form's Bearer token, an offer token in the body).
  'POST /public/applications': { body: () => applicationBody() },
  'POST /public/offers/lookup': { body: (ids) => ({ token: ids.offerToken ?? 'dco1_unknown' }) },
  'POST /public/offers/respond': { body: (ids) => ({ token: ids.offerToken ?? 'dco1_unknown', decision: 'decline', returnToWaitlist: true }) },
  // Billing (issue 24): the fixtures below make an account for the fixture child, a plan, a draft and an issued invoice.
  'GET /billing/settings': {},
  'PATCH /billing/settings': { body: () => ({ dueDay: 2 }) },
  'GET /billing/plans': {},
  'POST /billing/plans': { body: () => ({ name: 'Plan', amount: 100 }) },
  'GET /billing/plans/{id}': { id: 'plan' },
  'PATCH /billing/plans/{id}': { id: 'plan', body: () => ({ name: 'Plan 2' }) },
  'DELETE /billing/plans/{id}': { id: 'plan' },
  'GET /billing/accounts': {},
  'POST /billing/accounts': { body: (ids) => ({ name: 'Family', payerGuardianIds: [ids.guardian], studentIds: [] }) },
  'GET /billing/accounts/{id}': { id: 'account' },
  'PATCH /billing/accounts/{id}': { id: 'account', body: () => ({ name: 'Renamed' }) },
  'GET /billing/subscriptions': {},
  'POST /billing/subscriptions': { body: (ids) => ({ studentId: ids.student, planId: ids.plan, startDate: '2030-01-01', endDate: '2030-01-31' }) },
  'PATCH /billing/subscriptions/{id}': { id: 'subscription', body: () => ({ endDate: '2029-12-31' }) },
  'DELETE /billing/subscriptions/{id}': { id: 'subscription' },
  'GET /billing/charges': {},
  'POST /billing/charges': { body: (ids) => ({ accountId: ids.account, description: 'Trip', amount: 100, serviceDate: '2025-01-05' }) },
  'POST /billing/charges/{id}/approve': { id: 'charge' },
  'POST /billing/charges/{id}/waive': { id: 'charge' },
  'POST /billing/runs': { body: () => ({ period: '2025-03' }) },
  'GET /billing/invoices': {},
  'GET /billing/invoices/{id}': { id: 'invoice' },
  'POST /billing/invoices/{id}/issue': { id: 'invoice' },
  'POST /billing/invoices/{id}/void': { id: 'issuedInvoice', body: () => ({ reason: 'Wrong family' }) },
  'DELETE /billing/invoices/{id}': { id: 'invoice' },
  'GET /billing/accounts/{id}/ledger': { id: 'account' },
  'POST /billing/accounts/{id}/credits': { id: 'account', body: () => ({ amount: 100, reason: 'Goodwill' }) },
  'POST /billing/accounts/{id}/payments': { id: 'account', body: () => ({ amount: 100, method: 'cash', receivedOn: '2025-01-05' }) },
  'GET /billing/payments': {},
  'GET /billing/payments/{id}': { id: 'payment' },
  'POST /billing/payments/{id}/refunds': { id: 'payment', body: () => ({ amount: 1, reason: 'Overpaid' }) },
  'POST /billing/accounts/{id}/checkout': { id: 'account', body: () => ({ returnUrl: 'http://localhost:3000/billing/paid' }) },
  'GET /billing/accounts/{id}/statement': { id: 'account', query: 'from=2025-01-01&to=2025-12-31' },
  'GET /billing/accounts/{id}/tax-statement': { id: 'account', query: 'year=2025' },
  'GET /notifications': {},
  'POST /notifications/{id}/read': { id: 'notification' },
  'POST /notifications/read-all': {},
  'GET /me/notification-preferences': {},
  'PUT /me/notification-preferences': { body: () => ({ items: [{ type: 'message.received', email: true }] }) },
  'GET /notification-deliveries': {},
};
let applicant = 0;
function applicationBody() {
  return { child: { firstName: 'App', lastName: `Licant${++applicant}`, dateOfBirth: '2024-01-01' }, guardian: { firstName: 'P', lastName: 'Q', email: uniqueEmail('applicant') }, desiredStartDate: '2099-01-05' };
}

// The app's own route table, at collection time (registering routes needs no container).
const routes = routeTable();
const key = (r: { method: string; path: string }) => `${r.method} ${r.path}`;
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Routes opened by a session; the /kiosk/* and /public/* routes take their own credentials (their sections below). */
const isPublic = (r: { permission: string }) => r.permission === 'public-form' || r.permission === 'public-offer';
const sessionRoutes = routes.filter((r) => r.permission !== 'kiosk' && !isPublic(r));
const publicRoutes = routes.filter(isPublic);
const notifications = recordingNotify();
const kioskRoutes = routes.filter((r) => r.permission === 'kiosk');

function url(r: { path: string }, ids: Ids, extraQuery = '') {
  const s = SAMPLES[key(r as any)] ?? {};
  let p = r.path;
  if (s.id) p = p.replace('{id}', ids[s.id] ?? '00000000-0000-4000-8000-000000000000');
  if (s.guardianId) p = p.replace('{guardianId}', ids[s.guardianId] ?? '00000000-0000-4000-8000-000000000000');
  const q = [s.query, extraQuery].filter(Boolean).join('&');
  return q ? `${p}?${q}` : p;
}
const send = (a: Agent, r: { method: string; path: string }, ids: Ids, opts: { extraQuery?: string; bodyExtra?: object } = {}) => {
  const s = SAMPLES[key(r)] ?? {};
  const body = s.body ? { ...(s.body(ids) as object), ...(opts.bodyExtra ?? {}) } : UNSAFE.has(r.method) && opts.bodyExtra ? opts.bodyExtra : undefined;
  return a.request(r.method, url(r, ids, opts.extraQuery), body === undefined ? {} : { body });
};

/** Builds a full set of resources in a centre through its owner, so every `{id}` route has a real target. */
async function fixtures(srv: TestServer, owner: Agent): Promise<Ids> {
  const ids: Ids = {};
  const must = async (p: Promise<any>, what: string) => {
    const r = await p;
    if (r.status >= 300) throw new Error(`fixture ${what}: ${r.status} ${r.text}`);
    return r.body;
  };
  ids.room = (await must(owner.post('/rooms', { name: 'Fixture room', capacity: 10 }), 'room')).id;
  ids.room2 = (await must(owner.post('/rooms', { name: 'Nap room', capacity: 10 }), 'room2')).id;
  ids.student = (await must(owner.post('/students', { firstName: 'Fix', lastName: 'Ture', dateOfBirth: '2021-05-05', roomId: ids.room }), 'student')).id;
  ids.student2 = (await must(owner.post('/students', { firstName: 'Other', lastName: 'Child', dateOfBirth: '2021-06-06', roomId: ids.room }), 'student2')).id;
  ids.guardian = (await must(owner.post('/guardians', { firstName: 'Gu', lastName: 'Ardian' }), 'guardian')).id;
  await must(owner.put(`/students/${ids.student}/guardians/${ids.guardian}`, { relationship: 'parent', authorizedPickup: true }), 'link');
  ids.staff = (await must(owner.post('/staff', { firstName: 'St', lastName: 'Aff', roomIds: [ids.room] }), 'staff')).id;
  ids.membership = (await must(owner.post('/memberships', { email: uniqueEmail('fx'), roles: ['teacher'] }), 'membership')).id;
  ids.attendance = (await must(owner.post('/attendance/check-in', { studentId: ids.student2 }), 'check-in')).id;
  ids.kiosk = (await must(owner.post('/kiosks', { name: 'Fixture kiosk' }), 'kiosk')).id;
  ids.absence = (await must(owner.post('/absences', { studentId: ids.student, date: '2098-12-31', reason: 'vacation' }), 'absence')).id;
  ids.careEntry = (await must(owner.post(`/students/${ids.student}/care-entries`, { type: 'nap' }), 'care entry')).id;
  ids.incident = (await must(owner.post('/incidents', { studentId: ids.student, occurredAt: '2026-01-05T10:00:00Z', type: 'injury', description: 'Bumped head', actionTaken: 'Ice pack' }), 'incident')).id;
  ids.message = (await must(owner.post('/messages', { audience: { type: 'tenant' }, body: 'Welcome' }), 'message')).id;
  const file = await owner.post('/files/presign', { purpose: 'import', contentType: 'text/csv', size: 10, fileName: 'x.csv' });
  if (file.status === 201) ids.file = file.body.fileId;
  const job = await owner.post('/reports', { type: 'attendance', from: '2026-01-01', to: '2026-01-02' });
  if (job.status === 202) ids.job = job.body.jobId;
  ids.application = (await must(owner.post('/applications', applicationBody()), 'application')).id;
  ids.offeredApplication = (await must(owner.post('/applications', applicationBody()), 'offered application')).id;
  await must(owner.post(`/applications/${ids.offeredApplication}/offer`, { roomId: ids.room2, startDate: '2099-01-05', outOfOrderReason: 'fixture' }), 'offer');
  ids.form = (await must(owner.post('/application-forms', { name: 'Fixture form' }), 'form')).id;
  // Billing: a plan, the fixture child's account and subscription, a charge, a draft and an issued invoice, a payment.
  ids.plan = (await must(owner.post('/billing/plans', { name: 'Fixture plan', amount: 50000 }), 'plan')).id;
  ids.account = (await must(owner.post('/billing/accounts', { name: 'Fixture family', payerGuardianIds: [ids.guardian], studentIds: [ids.student] }), 'account')).id;
  ids.subscription = (await must(owner.post('/billing/subscriptions', { studentId: ids.student, planId: ids.plan, startDate: '2025-01-01', endDate: '2025-02-28' }), 'subscription')).id;
  ids.charge = (await must(owner.post('/billing/charges', { accountId: ids.account, description: 'Fixture charge', amount: 100, serviceDate: '2025-01-03' }), 'charge')).id;
  for (const period of ['2025-01', '2025-02']) await waitJob(owner, (await must(owner.post('/billing/runs', { period }), 'run')).jobId);
  const invoices = (await must(owner.get(`/billing/invoices?accountId=${ids.account}`), 'invoices')).items as { id: string; period: string }[];
  ids.invoice = invoices.find((i) => i.period === '2025-01')!.id;
  ids.issuedInvoice = (await must(owner.post(`/billing/invoices/${invoices.find((i) => i.period === '2025-02')!.id}/issue`), 'issue')).id;
  ids.payment = (await must(owner.post(`/billing/accounts/${ids.account}/payments`, { amount: 1000, method: 'cash', receivedOn: '2025-01-05' }), 'payment')).id;
  // The owner's own notification (a message's readers never include its author, so one is written directly).
  const me = (await must(owner.get('/me/context'), 'context')) as { tenant: { id: string }; membership: { id: string } };
  await srv.container.db.scoped({ tenantId: me.tenant.id }, (tx) =>
    srv.container.notifications.notify(tx, me.tenant.id, { type: 'message.received', subject: { type: 'message', id: ids.message }, recipients: { membershipIds: [me.membership.id] }, data: {} }),
  );
  ids.notification = (await must(owner.get('/notifications'), 'notifications')).items[0].id;
  return ids;
}

describe('shared security suite over every route', () => {
  let srv: TestServer;
  let a: Awaited<ReturnType<typeof newTenant>>;
  let b: Awaited<ReturnType<typeof newTenant>>;
  let idsA: Ids;
  let idsB: Ids;
  const members: Record<string, Agent> = {};

  beforeAll(async () => {
    srv = await startServer({ enrolment: { notify: notifications.notify } });
    a = await newTenant(srv, { name: 'Centre A' });
    b = await newTenant(srv, { name: 'Centre B' });
    idsA = await fixtures(srv, a.owner);
    idsB = await fixtures(srv, b.owner);
    members.owner = a.owner;
    members.admin = (await addMember(srv, a.owner, ['admin'])).agent;
    members.teacher = (await addMember(srv, a.owner, ['teacher'])).agent;
    const g = await addMember(srv, a.owner, ['guardian']);
    // The guardian member's own record, linked to one child.
    const rec = await a.owner.post('/guardians', { firstName: 'Parent', lastName: 'Member', email: g.email });
    await a.owner.put(`/students/${idsA.student}/guardians/${rec.body.id}`, { relationship: 'parent', authorizedPickup: true });
    members.guardian = g.agent;
  });
  afterAll(() => srv.close());

  it('covers every authenticated route: each has a sample in this suite', () => {
    expect(routes.length).toBeGreaterThan(30);
    const missing = routes.map(key).filter((k) => !SAMPLES[k]);
    expect(missing, 'routes missing from the security suite').toEqual([]);
  });

  // The offer routes answer an unknown token with 404 (their own section below): every other route is a 401 here.
  it.each(routes.filter((r) => r.permission !== 'public-offer').map((r) => [key(r), r] as const))('%s: no session → 401 UNAUTHENTICATED', async (_k, r) => {
    const res = await send(srv.agent(), r, idsA);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHENTICATED');
  });

  it.each(sessionRoutes.filter((r) => UNSAFE.has(r.method)).map((r) => [key(r), r] as const))('%s: missing CSRF token → 403 CSRF_FAILED', async (_k, r) => {
    const noCsrf = a.owner.clone();
    noCsrf.csrf = false;
    const res = await send(noCsrf, r, idsA);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('CSRF_FAILED');
  });

  for (const role of ['owner', 'admin', 'teacher', 'guardian'] as const) {
    const perms = permissionsFor([role], [...ENTITLEMENTS]);
    it.each(sessionRoutes.map((r) => [key(r), r] as const))(`%s as ${role}: as the role table says`, async (_k, r) => {
      // POST /tenants switches the caller's session to the centre it creates (and retires the old token): it runs
      // as a separate signed-in user, so the member's own session stays in centre A.
      const who = r.path === '/tenants' ? await srv.signIn(uniqueEmail(role)) : members[role]!;
      const res = await send(who, r, idsA);
      expect(res.status, res.text).toBeLessThan(500);
      expect(res.status).not.toBe(401);
      if (r.permission !== 'authenticated' && !perms.includes(r.permission as any)) {
        // Visibility before permission (CONTRACT §4): 404 for a resource this member cannot even read, else 403.
        if (res.status === 404) {
          expect(UNSAFE.has(r.method), `${role} got 404 for a read route`).toBe(true);
          // The resource the path names, read by the same member: they cannot see it either.
          const firstParam = r.path.split('/').findIndex((s) => /^\{.+\}$/.test(s));
          const target = url(r, idsA).split('?')[0]!.split('/').slice(0, firstParam + 1).join('/');
          const read = await who.get(target);
          expect(read.status, `${role} got 404 for a change to ${target}, which they can read`).toBe(404);
        } else {
          expect(res.status, `${role} lacks ${r.permission}`).toBe(403);
          expect(res.body.error.code).toBe('FORBIDDEN');
        }
      }
    });
  }

  it.each(routes.filter((r) => SAMPLES[key(r)]?.id).map((r) => [key(r), r] as const))("%s with another centre's id → 404", async (_k, r) => {
    const res = await send(a.owner, r, idsB);
    expect(res.status, res.text).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
  });

  it("a guardian asking for another family's child → 404", async () => {
    expect((await members.guardian!.get(`/students/${idsA.student}`)).status).toBe(200);
    expect((await members.guardian!.get(`/students/${idsA.student2}`)).status).toBe(404);
    expect((await members.guardian!.get(`/attendance?studentId=${idsA.student2}`)).body.items ?? []).toEqual([]);
  });

  it('a tenantId smuggled into any query or body is ignored: the other centre is untouched and unseen', async () => {
    const count = async () => {
      const r: any = await srv.container.db.raw.execute(
        sql`select (select count(*) from rooms where tenant_id = ${b.tenant.id})::int r, (select count(*) from students where tenant_id = ${b.tenant.id})::int s,
                   (select count(*) from guardians where tenant_id = ${b.tenant.id})::int g, (select count(*) from staff where tenant_id = ${b.tenant.id})::int st,
                   (select count(*) from messages where tenant_id = ${b.tenant.id})::int m, (select count(*) from memberships where tenant_id = ${b.tenant.id})::int mb,
                   (select count(*) from absences where tenant_id = ${b.tenant.id})::int ab, (select count(*) from care_entries where tenant_id = ${b.tenant.id})::int ce,
                   (select count(*) from incidents where tenant_id = ${b.tenant.id})::int inc, (select count(*) from attendance where tenant_id = ${b.tenant.id})::int att`,
      );
      return r.rows[0];
    };
    const before = await count();
    const bIds = new Set(Object.values(idsB));
    for (const r of routes) {
      if (r.path === '/tenants') continue;
      const res = await send(a.owner, r, idsA, { extraQuery: `tenantId=${b.tenant.id}`, bodyExtra: { tenantId: b.tenant.id } });
      expect(res.status, `${key(r)}: ${res.text}`).toBeLessThan(500);
      for (const id of bIds) expect(res.text.includes(id), `${key(r)} leaked another centre's id`).toBe(false);
      expect(res.text.includes(b.tenant.id), `${key(r)} named the other centre`).toBe(false);
    }
    expect(await count()).toEqual(before);
  });

  describe('the kiosk credential (a device, not a person)', () => {
    let token = '';
    let tokenB = '';
    const kioskIds: Ids = {};
    const bearer = (t: string) => {
      const agent = srv.agent();
      return { agent, headers: { authorization: `Bearer ${t}` } };
    };
    const sendAs = (t: string, r: { method: string; path: string }, ids: Ids) => {
      const { agent, headers } = bearer(t);
      const s = SAMPLES[key(r)] ?? {};
      const body = s.body ? s.body(ids) : UNSAFE.has(r.method) ? {} : undefined;
      return agent.request(r.method, url(r, ids), body === undefined ? { headers } : { body, headers });
    };
    beforeAll(async () => {
      // A family of its own: the role tests above archive and revoke the shared fixtures.
      const child = await a.owner.post('/students', { firstName: 'Kio', lastName: 'Sk', dateOfBirth: '2021-07-07' });
      const adult = await a.owner.post('/guardians', { firstName: 'Door', lastName: 'Adult' });
      await a.owner.put(`/students/${child.body.id}/guardians/${adult.body.id}`, { relationship: 'parent', authorizedPickup: true });
      kioskIds.kioskChild = child.body.id;
      kioskIds.pin = (await a.owner.put(`/guardians/${adult.body.id}/pin`)).body.pin;
      token = (await a.owner.post('/kiosks', { name: 'Suite kiosk' })).body.token;
      tokenB = (await b.owner.post('/kiosks', { name: 'Other centre kiosk' })).body.token;
    });

    it('there are kiosk routes, all under /kiosk/', () => {
      expect(kioskRoutes.map(key).sort()).toEqual(['POST /kiosk/check-in', 'POST /kiosk/check-out', 'POST /kiosk/lookup']);
    });

    it.each(sessionRoutes.map((r) => [key(r), r] as const))('%s with a kiosk token → 401 UNAUTHENTICATED', async (_k, r) => {
      const res = await sendAs(token, r, idsA);
      expect(res.status, res.text).toBe(401);
      expect(res.body.error.code).toBe('UNAUTHENTICATED');
    });

    for (const role of ['owner', 'admin', 'teacher', 'guardian'] as const) {
      it.each(kioskRoutes.map((r) => [key(r), r] as const))(`%s with ${role}'s session and no kiosk token → 401`, async (_k, r) => {
        const res = await send(members[role]!, r, { ...idsA, ...kioskIds });
        expect(res.status).toBe(401);
        expect(res.body.error.code).toBe('UNAUTHENTICATED');
      });
    }

    it.each(kioskRoutes.map((r) => [key(r), r] as const))('%s with a valid kiosk token and no CSRF header → served', async (_k, r) => {
      const res = await sendAs(token, r, { ...idsA, ...kioskIds });
      expect(res.status, res.text).toBeLessThan(300);
    });

    it.each(kioskRoutes.map((r) => [key(r), r] as const))("%s from another centre's kiosk: its PINs and children are not these → 401 INVALID_PIN", async (_k, r) => {
      const res = await sendAs(tokenB, r, { ...idsA, ...kioskIds });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('INVALID_PIN');
      expect(res.text).not.toContain(kioskIds.kioskChild);
    });

    it.each(kioskRoutes.map((r) => [key(r), r] as const))('%s with a malformed, forged or revoked token → 401 UNAUTHENTICATED', async (_k, r) => {
      const revoked = (await a.owner.post('/kiosks', { name: 'Revoked' })).body;
      expect((await a.owner.delete(`/kiosks/${revoked.id}`)).status).toBe(204);
      for (const t of ['x', token.slice(0, -4) + 'AAAA', revoked.token]) {
        const res = await sendAs(t, r, { ...idsA, ...kioskIds });
        expect(res.status, t).toBe(401);
        expect(res.body.error.code).toBe('UNAUTHENTICATED');
      }
    });
  });

  describe('the public credentials (/public/*: an application form token, an offer token)', () => {
    let formToken = '';
    let formTokenB = '';
    const pubIds: Ids = {};
    const sendPublic = (r: { method: string; path: string }, ids: Ids, headers: Record<string, string> = {}, agent = srv.agent()) => {
      const s = SAMPLES[key(r)] ?? {};
      return agent.request(r.method, url(r, ids), { body: s.body ? s.body(ids) : {}, headers });
    };
    beforeAll(async () => {
      formToken = (await a.owner.post('/application-forms', { name: 'Suite form' })).body.token;
      formTokenB = (await b.owner.post('/application-forms', { name: 'Other centre form' })).body.token;
      const app = await a.owner.post('/applications', applicationBody());
      await a.owner.post(`/applications/${app.body.id}/offer`, { roomId: idsA.room2, startDate: '2099-01-05', outOfOrderReason: 'suite' });
      pubIds.offerToken = notifications.offerToken(app.body.id);
      pubIds.offeredApp = app.body.id;
    });

    it('there are public routes, all under /public/', () => {
      expect(publicRoutes.map(key).sort()).toEqual(['POST /public/applications', 'POST /public/offers/lookup', 'POST /public/offers/respond']);
    });

    it.each(sessionRoutes.map((r) => [key(r), r] as const))('%s with a form token as Bearer → 401 UNAUTHENTICATED', async (_k, r) => {
      const res = await send(srv.agent(), r, idsA, {});
      const withToken = await srv.agent().request(r.method, url(r, idsA), { headers: { authorization: `Bearer ${formToken}` }, ...(UNSAFE.has(r.method) ? { body: SAMPLES[key(r)]?.body?.(idsA) ?? {} } : {}) });
      expect(res.status).toBe(401);
      expect(withToken.status, withToken.text).toBe(401);
      expect(withToken.body.error.code).toBe('UNAUTHENTICATED');
    });

    for (const role of ['owner', 'admin', 'teacher', 'guardian'] as const) {
      it.each(publicRoutes.map((r) => [key(r), r] as const))(`%s with ${role}'s session and no public credential → nothing opens`, async (_k, r) => {
        const res = await sendPublic(r, idsA, {}, members[role]!);
        // A session is no credential here: the form route wants its token (401); an unknown offer token is a 404.
        expect(res.status).toBe(r.permission === 'public-form' ? 401 : 404);
      });
    }

    it.each(publicRoutes.map((r) => [key(r), r] as const))('%s with a valid credential and no CSRF header → served', async (_k, r) => {
      const res = await sendPublic(r, { ...idsA, ...pubIds }, r.permission === 'public-form' ? { authorization: `Bearer ${formToken}` } : {});
      expect(res.status, res.text).toBeLessThan(300);
    });

    it('another centre’s form token files the application in that centre only', async () => {
      const res = await sendPublic(publicRoutes.find((r) => r.permission === 'public-form')!, idsA, { authorization: `Bearer ${formTokenB}` });
      expect(res.status).toBe(201);
      const seenByA = (await a.owner.get('/applications?limit=200')).body.items.length;
      const seenByB = (await b.owner.get('/applications?limit=200')).body.items.length;
      expect(seenByB).toBeGreaterThan(0);
      expect(seenByA).toBeGreaterThan(0);
      expect(res.text).not.toContain(b.tenant.id);
    });

    it.each(publicRoutes.map((r) => [key(r), r] as const))('%s with a malformed, forged or revoked token → 401 (form) / 404 (offer)', async (_k, r) => {
      if (r.permission === 'public-form') {
        const revoked = (await a.owner.post('/application-forms', { name: 'Revoked' })).body;
        expect((await a.owner.delete(`/application-forms/${revoked.id}`)).status).toBe(204);
        for (const t of ['x', formToken.slice(0, -4) + 'AAAA', revoked.token, formToken.replace('dcf1_', 'dco1_')]) {
          const res = await sendPublic(r, idsA, { authorization: `Bearer ${t}` });
          expect(res.status, t).toBe(401);
          expect(res.body.error.code).toBe('UNAUTHENTICATED');
        }
      } else {
        for (const t of ['x', pubIds.offerToken!.slice(0, -4) + 'AAAA', formToken, pubIds.offerToken!.replace('dco1_', 'dcf1_')]) {
          const res = await sendPublic(r, { ...idsA, offerToken: t });
          expect(res.status, t).toBe(404);
          expect(res.body.error.code).toBe('NOT_FOUND');
        }
      }
    });
  });
});
