import { and, eq, inArray, isNull } from 'drizzle-orm';
import type { ServiceDeps } from './kernel/deps.js';
import { newId } from './core/ids.js';
import { ENTITLEMENTS } from './core/security/permissions.js';
import { localSupabaseSub } from './core/security/supabase.js';
import { addDays, localDate, zonedInstant } from './core/time.js';
import { absences, attendance, careEntries, guardians, incidents, kiosks, memberships, rooms, shifts, staff, staffRooms, studentGuardians, students, tenants, users } from './models/index.js';
import { ABSENCE_REASONS, MOODS } from './models/enums.js';
import { acrossCentres, forTenant } from './db/db.js';
import type { TenantContext } from './core/context.js';
import { permissionsFor } from './core/security/permissions.js';
import type { KiosksService } from './modules/kiosk/index.js';
import { seedDemoWaitlist } from './modules/enrolment/index.js';
import type { BillingService } from './modules/billing/index.js';
import { seedBilling } from './modules/billing/index.js';
import type { Notify } from './kernel/notify-port.js';
import { notificationsRepository } from './modules/notifications/index.js';

/** A fixed id, so `npm run seed` is idempotent: a second run only prints how to sign in. */
export const DEMO_TENANT_ID = '00000000-0000-4000-8000-00000000d3e0';
const DEMO_KIOSK = 'Front door (demo)';
export const DEMO_EMAILS = { owner: 'owner@demo.example', teacher: 'teacher@demo.example', guardian: 'parent@demo.example' };

const FIRST = ['Ava', 'Noah', 'Mia', 'Leo', 'Isla', 'Oliver', 'Zoe', 'Ethan', 'Ruby', 'Arlo', 'Aria', 'Finn', 'Luna', 'Hugo', 'Ella', 'Theo', 'Ivy', 'Max', 'Nora', 'Kai'];
const LAST = ['Smith', 'Nguyen', 'Patel', 'Garcia', 'Kim', 'Brown', 'Wilson', 'Singh', 'Taylor', 'Martin', 'Lee', 'Walker'];

/** Seeded pseudo-random numbers: the same demo every time. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

export async function seedDemo(c: Pick<ServiceDeps, 'db' | 'clock'> & { kiosks: KiosksService; billing?: BillingService; notifications?: { notify: Notify } }): Promise<string> {
  const { db, clock } = c;
  const tz = 'America/Los_Angeles';
  const existing = await db.scoped(forTenant(DEMO_TENANT_ID), (tx) => tx.select({ id: tenants.id }).from(tenants).where(eq(tenants.id, DEMO_TENANT_ID)));
  if (!existing.length) {
    const rand = rng(42);
    const pick = <T>(a: T[]) => a[Math.floor(rand() * a.length)]!;
    // The demo accounts are the local-mode users `npm run token` signs in (by their Supabase id, never by email alone),
    // already members: nothing here joins anyone by email (invitations need the invitee's consent).
    const demoUser = async (email: string) => {
      const supabaseId = await localSupabaseSub(email);
      return db.scoped(acrossCentres({}), async (tx) => {
        await tx.insert(users).values({ supabaseId, email }).onConflictDoNothing({ target: users.supabaseId });
        const [u] = await tx.select({ id: users.id }).from(users).where(eq(users.supabaseId, supabaseId));
        return u!.id;
      });
    };
    const userIds = { owner: await demoUser(DEMO_EMAILS.owner), teacher: await demoUser(DEMO_EMAILS.teacher), guardian: await demoUser(DEMO_EMAILS.guardian) };
    await db.scoped(forTenant(DEMO_TENANT_ID), async (tx) => {
      await tx.insert(tenants).values({ id: DEMO_TENANT_ID, name: 'Sunshine Early Learning (demo)', timezone: tz, closingTime: '18:00' });
      const ownerMembership = newId();
      const teacherMembership = newId();
      await tx.insert(memberships).values([
        { id: ownerMembership, tenantId: DEMO_TENANT_ID, userId: userIds.owner, email: DEMO_EMAILS.owner, roles: ['owner'], entitlements: [...ENTITLEMENTS], status: 'active' },
        { id: teacherMembership, tenantId: DEMO_TENANT_ID, userId: userIds.teacher, email: DEMO_EMAILS.teacher, roles: ['teacher'], entitlements: [...ENTITLEMENTS], status: 'active' },
        { id: newId(), tenantId: DEMO_TENANT_ID, userId: userIds.guardian, email: DEMO_EMAILS.guardian, roles: ['guardian'], entitlements: [...ENTITLEMENTS], status: 'active' },
      ]);
      const roomDefs = [
        { name: 'Joeys', ageGroup: 'infant' as const, capacity: 8, years: 0 },
        { name: 'Wombats', ageGroup: 'toddler' as const, capacity: 12, years: 2 },
        { name: 'Kookaburras', ageGroup: 'preschool' as const, capacity: 20, years: 4 },
        { name: 'Platypus Club', ageGroup: 'school_age' as const, capacity: 20, years: 7 },
      ];
      const roomRows = roomDefs.map((r) => ({ id: newId(), tenantId: DEMO_TENANT_ID, name: r.name, ageGroup: r.ageGroup, capacity: r.capacity }));
      await tx.insert(rooms).values(roomRows);
      const staffRows = Array.from({ length: 8 }, (_, i) => ({
        id: newId(),
        tenantId: DEMO_TENANT_ID,
        firstName: pick(FIRST),
        lastName: pick(LAST),
        email: i === 0 ? DEMO_EMAILS.teacher : `staff${i}@demo.example`,
      }));
      await tx.insert(staff).values(staffRows);
      await tx.insert(staffRooms).values(staffRows.map((s, i) => ({ tenantId: DEMO_TENANT_ID, staffId: s.id, roomId: roomRows[i % roomRows.length]!.id })));
      const today = localDate(clock.now(), tz);
      const studentRows = Array.from({ length: 40 }, (_, i) => {
        const room = roomDefs[i % 4]!;
        const dob = addDays(today, -Math.floor(365 * (room.years + rand() * 1.5)) - 120);
        return { id: newId(), tenantId: DEMO_TENANT_ID, firstName: pick(FIRST), lastName: pick(LAST), dateOfBirth: dob, roomId: roomRows[i % 4]!.id, externalId: `DEMO-${1000 + i}`, allergies: i % 7 === 0 ? 'peanuts' : null };
      });
      await tx.insert(students).values(studentRows);
      const guardianRows = studentRows.map((s, i) => ({
        id: newId(),
        tenantId: DEMO_TENANT_ID,
        firstName: pick(FIRST),
        lastName: s.lastName,
        email: i === 0 ? DEMO_EMAILS.guardian : `parent${i}@demo.example`,
        phone: `+1555010${String(i).padStart(2, '0')}`,
      }));
      await tx.insert(guardians).values(guardianRows);
      await tx.insert(studentGuardians).values(studentRows.map((s, i) => ({ tenantId: DEMO_TENANT_ID, studentId: s.id, guardianId: guardianRows[i]!.id, relationship: 'parent', authorizedPickup: true })));
      await seedDemoWaitlist(tx, { tenantId: DEMO_TENANT_ID, today, now: clock.now(), roomIds: roomRows.map((r) => r.id), siblingOf: studentRows[0]! });
      // A week of attendance (weekdays), dropped off and picked up by the child's guardian. Some toddlers spend the
      // afternoon with the preschoolers (a move: two stays); a child who stays home has an absence; the care log has
      // the day's meals, bottles, naps, nappies and moods, and now and then a staff-only note.
      const rows: (typeof attendance.$inferInsert)[] = [];
      const absenceRows: (typeof absences.$inferInsert)[] = [];
      const entryRows: (typeof careEntries.$inferInsert)[] = [];
      const at = (date: string, hhmm: string) => zonedInstant(date, hhmm, tz);
      const entry = (studentId: string, date: string, type: (typeof careEntries.$inferInsert)['type'], hhmm: string, details: Record<string, unknown> = {}, extra: Partial<typeof careEntries.$inferInsert> = {}) => {
        const t = at(date, hhmm);
        entryRows.push({ id: newId(t.getTime()), tenantId: DEMO_TENANT_ID, studentId, type, at: t, date, details, recordedByMembershipId: teacherMembership, ...extra });
      };
      let lastDay = '';
      for (let d = 7; d >= 1; d--) {
        const date = addDays(today, -d);
        const dow = new Date(`${date}T12:00:00Z`).getUTCDay();
        if (dow === 0 || dow === 6) continue;
        lastDay = date;
        for (const [i, s] of studentRows.entries()) {
          if (rand() < 0.1) {
            absenceRows.push({ id: newId(), tenantId: DEMO_TENANT_ID, studentId: s.id, date, reason: pick([...ABSENCE_REASONS]), note: null, reportedByMembershipId: teacherMembership });
            continue;
          }
          const inAt = zonedInstant(date, `0${7 + Math.floor(rand() * 2)}:${String(Math.floor(rand() * 60)).padStart(2, '0')}`, tz);
          const outAt = zonedInstant(date, `1${5 + Math.floor(rand() * 3)}:${String(Math.floor(rand() * 60)).padStart(2, '0')}`, tz);
          const base = { tenantId: DEMO_TENANT_ID, studentId: s.id, date, droppedOffByGuardianId: guardianRows[i]!.id };
          if (i % 4 === 1 && rand() < 0.4) {
            const moveAt = at(date, '13:00');
            rows.push({ ...base, id: newId(inAt.getTime()), roomId: s.roomId, checkInAt: inAt, checkOutAt: moveAt, movedToRoomId: roomRows[2]!.id });
            rows.push({ ...base, id: newId(moveAt.getTime()), roomId: roomRows[2]!.id, checkInAt: moveAt, checkOutAt: outAt, pickedUpByGuardianId: guardianRows[i]!.id });
          } else {
            rows.push({ ...base, id: newId(inAt.getTime()), roomId: s.roomId, checkInAt: inAt, checkOutAt: outAt, pickedUpByGuardianId: guardianRows[i]!.id });
          }
          const little = i % 4 <= 1;
          entry(s.id, date, 'meal', '09:00', { meal: little ? 'am_snack' : 'breakfast', amount: pick(['some', 'most', 'all']) });
          entry(s.id, date, 'meal', '12:00', { meal: 'lunch', amount: pick(['none', 'some', 'most', 'all']), food: pick(['Pasta', 'Rice and beans', 'Soup', 'Fish pie']) });
          entry(s.id, date, 'mood', '10:30', { mood: pick([...MOODS]) });
          if (i % 4 === 0) {
            entry(s.id, date, 'bottle', '10:00', { ml: 90 + Math.floor(rand() * 8) * 15, contents: pick(['formula', 'breast_milk']) });
            entry(s.id, date, 'diaper', '11:00', { kind: pick(['wet', 'bm', 'wet_bm', 'dry']) });
            entry(s.id, date, 'diaper', '14:30', { kind: pick(['wet', 'bm', 'wet_bm', 'dry']) });
          }
          if (little) entry(s.id, date, 'nap', '12:45', {}, { endAt: at(date, `14:${String(Math.floor(rand() * 30)).padStart(2, '0')}`) });
          else entry(s.id, date, 'activity', '10:00', { title: pick(['Painting', 'Sand play', 'Story time', 'Music']) });
          if (rand() < 0.1) entry(s.id, date, 'note', '15:00', {}, { note: 'Seemed tired after lunch; keep an eye on it', visibleToGuardians: false });
        }
      }
      // Today: one child is home sick (the roster's `absent`).
      absenceRows.push({ id: newId(), tenantId: DEMO_TENANT_ID, studentId: studentRows[4]!.id, date: today, reason: 'sick', note: 'Temperature last night', reportedByMembershipId: teacherMembership });
      if (absenceRows.length) await tx.insert(absences).values(absenceRows);
      if (entryRows.length) await tx.insert(careEntries).values(entryRows);
      // One incident in each state (the demo guardian's child has the reviewed and the acknowledged ones).
      if (lastDay) {
        const mk = (studentId: string, hhmm: string, type: (typeof incidents.$inferInsert)['type'], description: string, actionTaken: string) => ({
          id: newId(),
          tenantId: DEMO_TENANT_ID,
          studentId,
          roomId: studentRows.find((x) => x.id === studentId)!.roomId,
          occurredAt: at(lastDay, hhmm),
          type,
          description,
          actionTaken,
          location: 'Garden',
          reportedByMembershipId: teacherMembership,
        });
        const open = mk(studentRows[5]!.id, '10:20', 'behaviour', 'Bit a friend during outdoor play', 'Separated, talked it through; the friend’s bite checked (no broken skin)');
        const reviewed = mk(studentRows[0]!.id, '11:05', 'injury', 'Tripped on the path and grazed a knee', 'Cleaned with water, plaster applied, comforted');
        const acked = mk(studentRows[0]!.id, '15:40', 'illness', 'Temperature of 38.1 °C after nap', 'Cool drink, rested in the quiet corner; parent called');
        await tx.insert(incidents).values([open, reviewed, acked]);
        const reviewedAt = at(lastDay, '16:00');
        await tx.update(incidents).set({ status: 'reviewed', reviewedAt, reviewedByMembershipId: ownerMembership, version: 2 }).where(inArray(incidents.id, [reviewed.id, acked.id]));
        await tx.update(incidents).set({ status: 'acknowledged', acknowledgedAt: at(lastDay, '17:10'), acknowledgedByGuardianId: guardianRows[0]!.id, version: 3 }).where(eq(incidents.id, acked.id));
      }
      if (rows.length) await tx.insert(attendance).values(rows);
      // Staff time: the week's weekdays 07:00–16:00 in their room, and one adult per room on shift now.
      const shiftRows = [];
      for (let d = 7; d >= 1; d--) {
        const date = addDays(today, -d);
        const dow = new Date(`${date}T12:00:00Z`).getUTCDay();
        if (dow === 0 || dow === 6) continue;
        for (const [i, s] of staffRows.entries()) {
          const inAt = zonedInstant(date, '07:00', tz);
          shiftRows.push({ id: newId(inAt.getTime()), tenantId: DEMO_TENANT_ID, staffId: s.id, roomId: roomRows[i % roomRows.length]!.id, date, clockInAt: inAt, clockOutAt: zonedInstant(date, '16:00', tz) });
        }
      }
      const since = new Date(clock.now().getTime() - 2 * 3600_000);
      for (const [i, s] of staffRows.slice(0, roomRows.length).entries())
        shiftRows.push({ id: newId(), tenantId: DEMO_TENANT_ID, staffId: s.id, roomId: roomRows[i]!.id, date: localDate(since, tz), clockInAt: since, clockOutAt: null });
      await tx.insert(shifts).values(shiftRows);
    });
  }
  if (c.notifications) await demoNotifications(c.db, c.notifications.notify);
  const { kiosk, ctx } = await demoKioskCredentials(c);
  // Billing (issue 24): plans, families, two issued months and a payment, made once with the centre.
  const billed = !existing.length && c.billing ? await seedBilling({ ...c, billing: c.billing }, ctx, tz, DEMO_EMAILS.guardian) : undefined;
  return [
    ...(billed ? [`Billing: ${billed.accounts} family accounts on 4 plans, the two previous months invoiced, one payment.`] : []),
    `Demo centre ready: "Sunshine Early Learning (demo)" (${tz}), 4 rooms, 40 children, 40 guardians, 8 staff, a week of attendance with room moves, absences and the care log, one incident in each state, a waitlist of five with an open offer.`,
    'Sign in locally (local mode: no SUPABASE_URL / SUPABASE_JWT_SECRET):',
    ...Object.entries(DEMO_EMAILS).map(([role, email]) => `  ${role.padEnd(8)} TOKEN=$(npm run -s token -- --email ${email})`),
    '  then: curl -c jar -H "content-type: application/json" -d "{\\"accessToken\\":\\"$TOKEN\\"}" http://localhost:3000/auth/exchange',
    'Kiosk (issued afresh by every run; the previous demo kiosk and PINs stop working):',
    `  KIOSK_TOKEN=${kiosk.token}`,
    ...kiosk.pins.map((p) => `  PIN ${p.pin}  ${p.name} (${p.email})`),
    '  then: curl -H "authorization: Bearer $KIOSK_TOKEN" -H "content-type: application/json" -d \'{"pin":"<PIN>"}\' http://localhost:3000/kiosk/lookup',
  ].join('\n');
}

/**
 * A kiosk token and PINs for the first demo guardians, issued through the kiosks service as the demo owner (so they
 * are audited like any other): a PIN is shown only when it is made, so every run makes new ones.
 */
async function demoKioskCredentials(c: Pick<ServiceDeps, 'db'> & { kiosks: KiosksService }) {
  const { owner, adults, oldKiosks } = await c.db.scoped(forTenant(DEMO_TENANT_ID), async (tx) => ({
    owner: (await tx.select().from(memberships).where(eq(memberships.email, DEMO_EMAILS.owner)))[0]!,
    adults: (await tx.select().from(guardians).orderBy(guardians.email)).filter((g) => g.email === DEMO_EMAILS.guardian || /^parent[12]@/.test(g.email ?? '')),
    oldKiosks: await tx.select({ id: kiosks.id }).from(kiosks).where(and(isNull(kiosks.revokedAt), eq(kiosks.name, DEMO_KIOSK))),
  }));
  const ctx: TenantContext = {
    requestId: `seed-${newId()}`,
    tenantId: DEMO_TENANT_ID,
    membershipId: owner.id,
    userId: owner.userId!,
    email: DEMO_EMAILS.owner,
    sessionId: 'seed',
    roles: ['owner'],
    entitlements: [...ENTITLEMENTS],
    permissions: permissionsFor(['owner'], [...ENTITLEMENTS]),
    guardianOnly: false,
    ip: null,
    userAgent: 'npm run seed',
  };
  for (const k of oldKiosks) await c.kiosks.revoke(ctx, k.id);
  const { token } = await c.kiosks.create(ctx, { name: DEMO_KIOSK });
  const pins = [];
  for (const g of adults) pins.push({ pin: (await c.kiosks.setPin(ctx, g.id)).pin, name: `${g.firstName} ${g.lastName}`, email: g.email });
  return { kiosk: { token, pins }, ctx };
}

/**
 * A few notifications for the demo families (the reviewed incident, today's check-ins), through the same `notify` the
 * services call: in-app rows for the guardian members, and email deliveries the server sends (as .eml files under
 * DATA_DIR/mail/ by default) once it runs. Dedupe keys make a second seed add nothing.
 */
async function demoNotifications(db: ServiceDeps['db'], notify: Notify) {
  await db.scoped(forTenant(DEMO_TENANT_ID), async (tx) => {
    const children = new Map((await tx.select({ id: students.id, firstName: students.firstName }).from(students)).map((s) => [s.id, s.firstName]));
    const reviewed = await tx.select({ id: incidents.id, studentId: incidents.studentId }).from(incidents).where(eq(incidents.status, 'reviewed'));
    for (const i of reviewed)
      await notify(tx, DEMO_TENANT_ID, {
        type: 'incident.reviewed',
        subject: { type: 'incident', id: i.id },
        recipients: { guardianIds: await notificationsRepository.viewersOf(tx, DEMO_TENANT_ID, i.studentId) },
        data: { childFirstName: children.get(i.studentId) ?? null, studentId: i.studentId },
      });
    const open = await tx.select({ id: attendance.id, studentId: attendance.studentId }).from(attendance).where(isNull(attendance.checkOutAt)).limit(10);
    for (const a of open)
      await notify(tx, DEMO_TENANT_ID, {
        type: 'attendance.checked_in',
        subject: { type: 'attendance', id: a.id },
        recipients: { guardianIds: await notificationsRepository.viewersOf(tx, DEMO_TENANT_ID, a.studentId) },
        data: { childFirstName: children.get(a.studentId) ?? null, studentId: a.studentId },
      });
  });
}
