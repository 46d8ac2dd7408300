/**
 * Measures the two heavy jobs on embedded PGlite (not a test): a 5,000-row students import and a one-year attendance
 * report for a 100-child centre. Run: `npx tsx scripts/bench-jobs.ts`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MemoryQueue } from '../src/adapters/queue/memory-queue.js';
import { createContainer } from '../src/container.js';
import type { TenantContext } from '../src/core/context.js';
import { loadConfig } from '../src/core/config.js';
import { newId } from '../src/core/ids.js';
import { addDays } from '../src/core/time.js';
import { PERMISSIONS } from '../src/core/security/permissions.js';
import { attendance, files, jobs, rooms, students, tenants } from '../src/models/index.js';
import { openDatabase } from '../src/db/db.js';
import { eq } from 'drizzle-orm';

async function main() {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'daycare-bench-'));
  const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  const db = await openDatabase({ dataDir: 'memory://' });
  await db.migrate();
  const c = await createContainer(config, { db });
  const queue = c.queue as MemoryQueue;
  const tenantId = newId();
  const ctx: TenantContext = {
    requestId: 'bench',
    userId: newId(),
    email: 'bench@example.test',
    sessionId: newId(),
    tenantId,
    membershipId: newId(),
    roles: ['owner'],
    entitlements: ['messaging', 'reports', 'imports'],
    permissions: [...PERMISSIONS],
    guardianOnly: false,
    ip: null,
    userAgent: null,
  };
  const roomIds = [newId(), newId(), newId(), newId()];
  await db.scoped({ tenantId }, async (tx) => {
    await tx.insert(tenants).values({ id: tenantId, name: 'Bench', timezone: 'Europe/London' });
    await tx.insert(rooms).values(roomIds.map((id, i) => ({ id, tenantId, name: `Room ${i + 1}`, capacity: 30 })));
  });
  const finished = async (jobId: string) => {
    await queue.idle();
    return db.scoped({ tenantId }, async (tx) => (await tx.select().from(jobs).where(eq(jobs.id, jobId)))[0]!);
  };

  // 1. Import: 5,000 rows (with guardians), then the same file again (all matched, nothing written).
  let csv = 'externalId,firstName,lastName,dateOfBirth,roomId,status,allergies,guardianFirstName,guardianLastName,guardianEmail,guardianRelationship,guardianAuthorizedPickup\n';
  for (let i = 0; i < 5000; i++)
    csv += `S${i},Child${i},"Family, ${i % 700}",${2019 + (i % 5)}-0${1 + (i % 9)}-1${i % 10},${roomIds[i % 4]},enrolled,${i % 7 ? '' : 'nuts'},Parent${i},Family${i % 700},parent${i}@example.test,parent,true\n`;
  const fileId = newId();
  const key = `tenants/${tenantId}/files/${fileId}`;
  const body = Buffer.from(csv);
  await db.scoped({ tenantId }, (tx) => tx.insert(files).values({ id: fileId, tenantId, purpose: 'import', fileName: 'bench.csv', contentType: 'text/csv', size: body.byteLength, storageKey: key, status: 'uploaded' }));
  await c.storage!.putStream(key, (async function* () { yield body; })(), 'text/csv');
  for (const label of ['import 5,000 rows (new)', 'import 5,000 rows (again, all matched)']) {
    const t0 = performance.now();
    const { jobId } = await c.jobs.startImport(ctx, { type: 'students', fileId });
    const job = await finished(jobId);
    const r = job.result as any;
    console.log(`${label}: ${(performance.now() - t0).toFixed(0)} ms — ${job.status} ${job.error ?? ""}, created ${r?.created}, updated ${r?.updated}, skipped ${r?.skipped}, errors ${r?.errors?.length}`);
  }

  // 2. Report: 100 children in the centre, a year of weekday attendance (≈ 26,000 records).
  const kids = await db.scoped({ tenantId }, (tx) => tx.select({ id: students.id, roomId: students.roomId }).from(students).limit(100));
  let day = '2024-01-01';
  let records = 0;
  const t0 = performance.now();
  for (let d = 0; d < 366; d++, day = addDays(day, 1)) {
    const dow = new Date(`${day}T00:00:00Z`).getUTCDay();
    if (dow === 0 || dow === 6) continue;
    const rows = kids.map((k, i) => ({
      id: newId(),
      tenantId,
      studentId: k.id,
      roomId: k.roomId,
      date: day,
      checkInAt: new Date(`${day}T08:${String(i % 60).padStart(2, '0')}:00Z`),
      checkOutAt: new Date(`${day}T17:${String(i % 60).padStart(2, '0')}:00Z`),
    }));
    await db.scoped({ tenantId }, (tx) => tx.insert(attendance).values(rows));
    records += rows.length;
  }
  console.log(`seeded ${records} attendance records in ${(performance.now() - t0).toFixed(0)} ms`);
  const heapBefore = process.memoryUsage().heapUsed;
  const t1 = performance.now();
  const { jobId } = await c.jobs.startReport(ctx, { type: 'attendance', from: '2024-01-01', to: '2024-12-31' });
  const job = await finished(jobId);
  const r = job.result as { fileId: string; rows: number };
  const info = await c.storage!.head(`tenants/${tenantId}/files/${r.fileId}`);
  console.log(
    `report one year / 100 children: ${(performance.now() - t1).toFixed(0)} ms — ${job.status}, ${r.rows} rows, ${(info!.size / 1e6).toFixed(1)} MB CSV, heap now ${(process.memoryUsage().heapUsed / 1e6).toFixed(0)} MB (was ${(heapBefore / 1e6).toFixed(0)} MB before)`,
  );
  await c.close();
  await rm(dataDir, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
