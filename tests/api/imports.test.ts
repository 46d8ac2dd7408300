import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { guardians, studentGuardians, students } from '../../src/models/index.js';
import { addMember, newTenant } from '../helpers/server.js';
import { useServer } from '../factories/index.js';
import { seedRoom, uploadCsv, waitJob } from './jobs.helpers.js';

/**
 * Students import over HTTP: upload through /files/presign, POST /imports, poll GET /jobs/{id}.
 * `row` in errors is the 1-based data row (the header is not counted).
 */
describe('POST /imports (students CSV)', () => {
  const srv = useServer();

  const kids = (tenantId: string) => srv.container.db.scoped({ tenantId }, (tx) => tx.select().from(students).where(eq(students.tenantId, tenantId)).orderBy(students.lastName));

  async function runImport(agent: Awaited<ReturnType<typeof newTenant>>['owner'], csv: string | Uint8Array, dryRun?: boolean) {
    const fileId = await uploadCsv(agent, csv);
    const r = await agent.post('/imports', { type: 'students', fileId, ...(dryRun === undefined ? {} : { dryRun }) });
    expect(r.status, r.text).toBe(202);
    return waitJob(agent, r.body.jobId);
  }

  it('imports a CSV with a BOM, CRLF, quoted fields and columns in any order, with guardians; re-importing creates no duplicates', async () => {
    const { owner, tenant } = await newTenant(srv);
    const room = await seedRoom(srv, tenant.id, { name: 'Sunflowers' });
    const csv =
      '\uFEFFlastName,FirstName,dateOfBirth,externalId,roomId,status,allergies,notes,guardianFirstName,guardianLastName,guardianEmail,guardianRelationship,guardianAuthorizedPickup\r\n' +
      `Lovelace,Ada,2021-12-10,EXT-1,${room},enrolled,"peanuts, sesame","Likes ""maths""\r\nand music",Mary,Lovelace,Mary@Example.test,mother,true\r\n` +
      `Hopper,Grace,2020-12-09,,,withdrawn,,,,,,,\r\n` +
      `Turing,Alan,2022-06-23,,${room},,,,Mary,Lovelace,mary@example.test,aunt,no\r\n`;
    const job = await runImport(owner, csv);
    expect(job.status).toBe('succeeded');
    expect(job.result).toMatchObject({ created: 3, updated: 0, skipped: 0, rows: 3, errors: [] });
    const rows = await kids(tenant.id);
    expect(rows.map((k) => [k.firstName, k.lastName, k.dateOfBirth, k.externalId, k.roomId, k.status])).toEqual([
      ['Grace', 'Hopper', '2020-12-09', null, null, 'withdrawn'],
      ['Ada', 'Lovelace', '2021-12-10', 'EXT-1', room, 'enrolled'],
      ['Alan', 'Turing', '2022-06-23', null, room, 'enrolled'],
    ]);
    expect(rows[1]!.allergies).toBe('peanuts, sesame');
    expect(rows[1]!.notes).toBe('Likes "maths"\r\nand music');
    // One guardian (matched by email, case-insensitively), linked to two children.
    const g = await srv.container.db.scoped({ tenantId: tenant.id }, (tx) => tx.select().from(guardians).where(eq(guardians.tenantId, tenant.id)));
    expect(g).toHaveLength(1);
    expect(g[0]).toMatchObject({ firstName: 'Mary', email: 'mary@example.test' });
    const links = await srv.container.db.scoped({ tenantId: tenant.id }, (tx) =>
      tx.select().from(studentGuardians).where(and(eq(studentGuardians.tenantId, tenant.id), eq(studentGuardians.guardianId, g[0]!.id))),
    );
    expect(links.map((l) => [l.relationship, l.authorizedPickup]).sort()).toEqual([
      ['aunt', false],
      ['mother', true],
    ]);

    // The same file again: nothing created, nothing changed.
    const again = await runImport(owner, csv);
    expect(again.result).toMatchObject({ created: 0, updated: 0, skipped: 3, errors: [] });
    expect(await kids(tenant.id)).toHaveLength(3);

    // A changed row updates the child it matches (by externalId; by name + date of birth, case-insensitively).
    const changed = 'externalId,firstName,lastName,dateOfBirth,allergies\nEXT-1,Ada,Lovelace,2021-12-10,none\n,Alan,Turing,2022-06-23,\n';
    const upd = await runImport(owner, changed);
    expect(upd.result).toMatchObject({ created: 0, updated: 1, skipped: 1 });
    const after = await kids(tenant.id);
    expect(after).toHaveLength(3);
    expect(after.find((k) => k.externalId === 'EXT-1')!.allergies).toBe('none');
    // Matching ignores case; the names then take the file's spelling.
    const cased = await runImport(owner, 'firstName,lastName,dateOfBirth\nGRACE,hopper,2020-12-09\n');
    expect(cased.result).toMatchObject({ created: 0, updated: 1, skipped: 0 });
    expect((await kids(tenant.id)).map((k) => k.firstName)).toContain('GRACE');
  });

  it('lists bad rows with row, field and message, and imports the good ones', async () => {
    const { owner, tenant } = await newTenant(srv);
    const other = await newTenant(srv);
    const foreignRoom = await seedRoom(srv, other.tenant.id);
    const future = `${new Date().getUTCFullYear() + 2}-01-01`;
    const csv = [
      'firstName,lastName,dateOfBirth,status,roomId,guardianEmail,guardianFirstName,guardianLastName',
      'Ok,One,2021-01-01,,,,,', // 1
      ',Two,2021-01-01,,,,,', // 2: firstName missing
      'Bad,Date,2021-02-30,,,,,', // 3
      `Future,Kid,${future},,,,,`, // 4
      'Odd,Status,2021-01-01,graduated,,,,', // 5
      `Wrong,Room,2021-01-01,,${foreignRoom},,,`, // 6
      'Bad,Email,2021-01-01,,,not-an-email,Pat,Email', // 7
      ',,,,,,,', // 8: blank, ignored
      'Ok,One,2021-01-01,,,,,', // 9: repeats row 1
      'Ok,Two,2021-01-01,,,,,', // 10
    ].join('\n');
    const job = await runImport(owner, csv);
    expect(job.status).toBe('succeeded');
    expect(job.result).toMatchObject({ created: 2, updated: 0, skipped: 7, rows: 10 });
    expect(job.result.errors).toEqual([
      { row: 2, field: 'firstName', message: 'is required' },
      { row: 3, field: 'dateOfBirth', message: 'must be a real date (YYYY-MM-DD)' },
      { row: 4, field: 'dateOfBirth', message: 'must not be in the future' },
      { row: 5, field: 'status', message: 'must be enrolled or withdrawn' },
      { row: 6, field: 'roomId', message: 'is not a room of this centre' },
      { row: 7, field: 'guardianEmail', message: 'must be an email address' },
      { row: 9, field: 'firstName', message: 'repeats the child of row 1' },
    ]);
    expect((await kids(tenant.id)).map((k) => k.lastName).sort()).toEqual(['One', 'Two']);
  });

  it('dryRun validates and counts without writing', async () => {
    const { owner, tenant } = await newTenant(srv);
    const job = await runImport(owner, 'firstName,lastName,dateOfBirth,guardianFirstName,guardianLastName,guardianEmail\nA,B,2020-01-01,C,D,c@d.test\nE,F,2020-13-01,,,\n', true);
    expect(job.result).toMatchObject({ created: 1, updated: 0, skipped: 1, dryRun: true, errors: [{ row: 2, field: 'dateOfBirth' }] });
    expect(await kids(tenant.id)).toHaveLength(0);
    const g = await srv.container.db.scoped({ tenantId: tenant.id }, (tx) => tx.select().from(guardians).where(eq(guardians.tenantId, tenant.id)));
    expect(g).toHaveLength(0);
  });

  it('a file without a required column, or not UTF-8, fails the job with a clear error (no retries)', async () => {
    const { owner } = await newTenant(srv);
    const noDob = await runImport(owner, 'firstName,lastName\nA,B\n');
    expect(noDob).toMatchObject({ status: 'failed', error: expect.stringContaining('dateOfBirth') });
    expect(noDob.result).toBeUndefined();
    const latin1 = await runImport(owner, new Uint8Array([...new TextEncoder().encode('firstName,lastName,dateOfBirth\nZo'), 0xeb, ...new TextEncoder().encode(',A,2020-01-01\n')]));
    expect(latin1).toMatchObject({ status: 'failed', error: expect.stringContaining('UTF-8') });
  });

  it('401/403/404/422: no session, teacher, guardian, no imports entitlement, another centre’s file, a file of another purpose', async () => {
    const { owner } = await newTenant(srv);
    const fileId = await uploadCsv(owner, 'firstName,lastName,dateOfBirth\n');
    const body = { type: 'students', fileId };
    expect((await srv.agent().post('/imports', body)).status).toBe(401);
    const teacher = await addMember(srv, owner, ['teacher']);
    const guardian = await addMember(srv, owner, ['guardian']);
    const admin = await addMember(srv, owner, ['admin']);
    for (const a of [teacher.agent, guardian.agent]) expect((await a.post('/imports', body)).status).toBe(403);
    // The admin may, until the entitlement is removed: the very next request is refused.
    expect((await admin.agent.post('/imports', body)).status).toBe(202);
    expect((await owner.patch(`/memberships/${admin.membershipId}`, { entitlements: ['messaging', 'reports'] })).status).toBe(200);
    const denied = await admin.agent.post('/imports', body);
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe('FORBIDDEN');

    const other = await newTenant(srv);
    const nf = await other.owner.post('/imports', body);
    expect(nf.status).toBe(404);
    expect(nf.body.error.code).toBe('NOT_FOUND');
    expect((await owner.post('/imports', { type: 'students', fileId: 'not-an-id' })).status).toBe(404);

    const pdf = await owner.post('/files/presign', { purpose: 'document', contentType: 'application/pdf', size: 10, fileName: 'a.pdf' });
    const wrong = await owner.post('/imports', { type: 'students', fileId: pdf.body.fileId });
    expect(wrong.status).toBe(422);
    // Presigned but never uploaded.
    const pending = await owner.post('/files/presign', { purpose: 'import', contentType: 'text/csv', size: 10, fileName: 'a.csv' });
    const notUploaded = await owner.post('/imports', { type: 'students', fileId: pending.body.fileId });
    expect(notUploaded.status).toBe(422);
    expect((await owner.post('/imports', { type: 'teachers', fileId })).status).toBe(400);
  });
});
