import { expect } from 'vitest';
import type { Agent } from '../helpers/http.js';

/** Small factories for the centre tests: each asserts the create succeeded and returns the body. */
let n = 0;
export async function mkRoom(a: Agent, body: Record<string, unknown> = {}) {
  const r = await a.post('/rooms', { name: `Room ${++n}`, capacity: 12, ...body });
  expect(r.status, r.text).toBe(201);
  return r.body as { id: string; version: number; [k: string]: any };
}
export async function mkStudent(a: Agent, body: Record<string, unknown> = {}) {
  const r = await a.post('/students', { firstName: 'Kid', lastName: `Number${++n}`, dateOfBirth: '2021-03-04', ...body });
  expect(r.status, r.text).toBe(201);
  return r.body as { id: string; version: number; [k: string]: any };
}
export async function mkGuardian(a: Agent, body: Record<string, unknown> = {}) {
  const r = await a.post('/guardians', { firstName: 'Pat', lastName: `Parent${++n}`, ...body });
  expect(r.status, r.text).toBe(201);
  return r.body as { id: string; version: number; [k: string]: any };
}
export async function mkStaff(a: Agent, body: Record<string, unknown> = {}) {
  const r = await a.post('/staff', { firstName: 'Sam', lastName: `Staff${++n}`, roomIds: [], ...body });
  expect(r.status, r.text).toBe(201);
  return r.body as { id: string; version: number; roomIds: string[]; [k: string]: any };
}
/** Every page of a list, following nextCursor. */
export async function allPages(a: Agent, path: string, limit: number, start: string | null = null) {
  const pages: any[][] = [];
  let cursor: string | null = start;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const r = await a.get(`${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(r.status, r.text).toBe(200);
    pages.push(r.body.items);
    cursor = r.body.nextCursor;
  } while (cursor && pages.length < 1000);
  return pages;
}
export const auditActions = async (owner: Agent, action: string) => {
  const r = await owner.get(`/audit-logs?action=${encodeURIComponent(action)}&limit=200`);
  expect(r.status).toBe(200);
  return r.body.items as any[];
};
