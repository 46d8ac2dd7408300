import { expect } from 'vitest';
import { newId } from '../../src/core/ids.js';
import { attendance, guardians, rooms, staff, staffRooms, students } from '../../src/models/index.js';
import type { Agent } from '../helpers/http.js';
import type { TestServer } from '../helpers/server.js';

/** Polls GET /jobs/{id} until the job is finished (the in-process queue runs it in the server's process). */
export async function waitJob(agent: Agent, jobId: string, timeoutMs = 20_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await agent.get(`/jobs/${jobId}`);
    expect(r.status).toBe(200);
    if (r.body.status === 'succeeded' || r.body.status === 'failed') return r.body;
    if (Date.now() > until) throw new Error(`job ${jobId} still ${r.body.status}`);
    await new Promise((res) => setTimeout(res, 25));
  }
}

/** Uploads a CSV the way a browser does: presign (purpose import), then the signed upload URL. */
export async function uploadCsv(agent: Agent, text: string | Uint8Array, fileName = 'children.csv') {
  const bytes = typeof text === 'string' ? new TextEncoder().encode(text) : text;
  const p = await agent.post('/files/presign', { purpose: 'import', contentType: 'text/csv', size: bytes.byteLength, fileName });
  expect(p.status, p.text).toBe(201);
  const up = p.body.upload;
  let res: Response;
  if (up.method === 'POST') {
    const form = new FormData();
    for (const [k, v] of Object.entries<string>(up.fields ?? {})) form.append(k, v);
    form.append('file', new Blob([bytes as any], { type: 'text/csv' }));
    res = await fetch(up.url, { method: 'POST', body: form });
  } else {
    res = await fetch(up.url, { method: up.method, headers: up.headers, body: bytes as any });
  }
  expect(res.status).toBeLessThan(300);
  return p.body.fileId as string;
}

/** Centre data written straight to the database (these tests must not depend on the centre routes). */
export async function seedRoom(srv: TestServer, tenantId: string, v: { name?: string; ageGroup?: 'infant' | 'toddler' | 'preschool' | 'school_age'; ratio?: number; staff?: number } = {}) {
  return srv.container.db.scoped({ tenantId }, async (tx) => {
    const id = newId();
    await tx.insert(rooms).values({ id, tenantId, name: v.name ?? 'Room', capacity: 30, ageGroup: v.ageGroup ?? 'preschool', ratio: v.ratio ?? null });
    for (let i = 0; i < (v.staff ?? 0); i++) {
      const sid = newId();
      await tx.insert(staff).values({ id: sid, tenantId, firstName: 'Staff', lastName: String(i) });
      await tx.insert(staffRooms).values({ tenantId, staffId: sid, roomId: id });
    }
    return id;
  });
}

export async function seedStudent(srv: TestServer, tenantId: string, v: { firstName: string; lastName: string; roomId?: string | null; dateOfBirth?: string; externalId?: string }) {
  return srv.container.db.scoped({ tenantId }, async (tx) => {
    const id = newId();
    await tx.insert(students).values({ id, tenantId, firstName: v.firstName, lastName: v.lastName, dateOfBirth: v.dateOfBirth ?? '2021-01-01', roomId: v.roomId ?? null, externalId: v.externalId ?? null });
    return id;
  });
}

export async function seedGuardian(srv: TestServer, tenantId: string, firstName: string, lastName: string) {
  return srv.container.db.scoped({ tenantId }, async (tx) => {
    const id = newId();
    await tx.insert(guardians).values({ id, tenantId, firstName, lastName });
    return id;
  });
}

export async function seedVisit(
  srv: TestServer,
  tenantId: string,
  v: { studentId: string; roomId: string | null; date: string; in: string; out?: string | null; droppedOff?: string; pickedUp?: string },
) {
  return srv.container.db.scoped({ tenantId }, async (tx) => {
    const id = newId();
    await tx.insert(attendance).values({
      id,
      tenantId,
      studentId: v.studentId,
      roomId: v.roomId,
      date: v.date,
      checkInAt: new Date(v.in),
      checkOutAt: v.out ? new Date(v.out) : null,
      droppedOffByGuardianId: v.droppedOff ?? null,
      pickedUpByGuardianId: v.pickedUp ?? null,
    });
    return id;
  });
}
