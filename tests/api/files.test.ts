import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { newId } from '../../src/core/ids.js';
import { guardians, studentGuardians, students } from '../../src/models/index.js';
import { addMember, newTenant, uniqueEmail, type TestServer } from '../helpers/server.js';
import { useServer } from '../factories/index.js';
import type { Agent } from '../helpers/http.js';

/** Children are created straight in the database: the files tests must not depend on the centre routes. */
async function addChild(srv: TestServer, tenantId: string, guardianEmail?: string) {
  return srv.container.db.scoped({ tenantId }, async (tx) => {
    const id = newId();
    await tx.insert(students).values({ id, tenantId, firstName: 'Kid', lastName: 'Test', dateOfBirth: '2021-03-04' });
    if (guardianEmail) {
      const gid = newId();
      await tx.insert(guardians).values({ id: gid, tenantId, firstName: 'Pat', lastName: 'Test', email: guardianEmail.toLowerCase() });
      await tx.insert(studentGuardians).values({ tenantId, studentId: id, guardianId: gid, relationship: 'parent' });
    }
    return id;
  });
}

async function upload(up: { url: string; method: string; headers?: Record<string, string> }, body: string, headers = up.headers) {
  const res = await fetch(up.url, { method: up.method, headers, body });
  return { status: res.status, body: await res.text() };
}

const pdf = (size = 11) => ({ purpose: 'document', contentType: 'application/pdf', size, fileName: 'form.pdf' });

describe('files', () => {
  const srv = useServer();
  afterEach(() => vi.restoreAllMocks());

  const filesDir = () => path.resolve(srv.container.config.dataDir, 'files');

  it('presign → upload → confirm on read → download, round trip on the local driver', async () => {
    const { owner, tenant } = await newTenant(srv);
    const content = '%PDF-1.4 hi';
    const p = await owner.post('/files/presign', pdf(content.length));
    expect(p.status).toBe(201);
    expect(p.body.fileId).toMatch(/^[0-9a-f-]{36}$/);
    expect(p.body.upload).toMatchObject({ method: 'PUT', headers: { 'Content-Type': 'application/pdf' } });
    expect(p.body.upload.url.startsWith(srv.url + '/files/local/upload?')).toBe(true);
    expect(new URL(p.body.upload.url).searchParams.get('key')).toBe(`tenants/${tenant.id}/files/${p.body.fileId}`);
    expect(Date.parse(p.body.expiresAt) - Date.now()).toBeLessThanOrEqual(300_000);

    // Before the upload: not there yet.
    const early = await owner.get(`/files/${p.body.fileId}`);
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe('CONFLICT');

    expect((await upload(p.body.upload, content)).status).toBe(204);
    // The same URL cannot replace the stored file.
    expect((await upload(p.body.upload, content)).status).toBe(409);

    const g = await owner.get(`/files/${p.body.fileId}`);
    expect(g.status).toBe(200);
    expect(g.body).toMatchObject({ id: p.body.fileId, fileName: 'form.pdf', contentType: 'application/pdf', size: content.length, purpose: 'document', status: 'uploaded', studentId: null });
    expect(g.headers.get('etag')).toBe(`"${g.body.version}"`);
    expect(Date.parse(g.body.expiresAt) - Date.now()).toBeLessThanOrEqual(300_000);

    const d = await fetch(g.body.downloadUrl);
    expect(d.status).toBe(200);
    expect(await d.text()).toBe(content);
    expect(d.headers.get('content-type')).toBe('application/pdf');
    expect(d.headers.get('content-disposition')).toBe(`attachment; filename="form.pdf"; filename*=UTF-8''form.pdf`);
    expect(d.headers.get('x-content-type-options')).toBe('nosniff');

    // A tampered download URL is refused.
    const bad = new URL(g.body.downloadUrl);
    bad.searchParams.set('key', `tenants/${tenant.id}/files/${newId()}`);
    expect((await fetch(bad)).status).toBe(403);
  });

  it('the local upload URL refuses a tampered signature, a wrong type and an oversize body, leaving no file', async () => {
    const { owner, tenant } = await newTenant(srv);
    const p = await owner.post('/files/presign', pdf(10));
    expect(p.status).toBe(201);
    const target = path.join(filesDir(), 'tenants', tenant.id, 'files', p.body.fileId);

    const tampered = new URL(p.body.upload.url);
    tampered.searchParams.set('maxSize', '999999');
    const t = await upload({ ...p.body.upload, url: tampered.toString() }, 'x'.repeat(20));
    expect(t.status).toBe(403);
    expect(JSON.parse(t.body).error.code).toBe('FORBIDDEN');

    const sig = new URL(p.body.upload.url);
    sig.searchParams.set('sig', sig.searchParams.get('sig')!.replace(/^./, (ch) => (ch === 'A' ? 'B' : 'A')));
    expect((await upload({ ...p.body.upload, url: sig.toString() }, '0123456789')).status).toBe(403);

    const wrongType = await upload(p.body.upload, '0123456789', { 'Content-Type': 'text/html' });
    expect(wrongType.status).toBe(415);

    const big = await upload(p.body.upload, '0123456789X');
    expect(big.status).toBe(413);
    expect(JSON.parse(big.body).error.code).toBe('PAYLOAD_TOO_LARGE');

    // A large body streamed in chunks is cut off too.
    const stream = new ReadableStream<Uint8Array>({
      start(ctl) {
        for (let i = 0; i < 64; i++) ctl.enqueue(new Uint8Array(16 * 1024));
        ctl.close();
      },
    });
    const streamed = await fetch(p.body.upload.url, { method: 'PUT', headers: p.body.upload.headers, body: stream, duplex: 'half' } as RequestInit);
    expect(streamed.status).toBe(413);

    await expect(stat(target)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readdir(path.join(filesDir(), '.tmp'))).toEqual([]);
    expect((await owner.get(`/files/${p.body.fileId}`)).status).toBe(409);

    // The exact size is accepted.
    expect((await upload(p.body.upload, '0123456789')).status).toBe(204);
    expect((await stat(target)).size).toBe(10);
  });

  it('validates the request: limits per purpose → 422 before any URL, shape → 400', async () => {
    const { owner } = await newTenant(srv);
    const tooBig = await owner.post('/files/presign', pdf(10 * 1024 * 1024 + 1));
    expect(tooBig.status).toBe(422);
    expect(tooBig.body.error.code).toBe('UNPROCESSABLE');
    expect(tooBig.body.error.details[0].path).toBe('size');
    const badType = await owner.post('/files/presign', { ...pdf(), contentType: 'text/html' });
    expect(badType.status).toBe(422);
    expect(badType.body.error.details[0].path).toBe('contentType');
    const photoTooBig = await owner.post('/files/presign', { purpose: 'import', contentType: 'image/png', size: 10, fileName: 'a.png' });
    expect(photoTooBig.status).toBe(422);

    for (const body of [
      { ...pdf(), fileName: '../etc/passwd' },
      { ...pdf(), fileName: 'a\\b.pdf' },
      { ...pdf(), fileName: '' },
      { ...pdf(), fileName: 'x'.repeat(256) },
      { ...pdf(), size: 0 },
      { ...pdf(), size: 1.5 },
      { ...pdf(), purpose: 'report' },
      { ...pdf(), key: 'tenants/other/files/x' },
      { purpose: 'student_photo', contentType: 'image/png', size: 10, fileName: 'me.png' },
      { purpose: 'import', contentType: 'text/csv', size: 10, fileName: 'a.csv', studentId: newId() },
    ]) {
      const r = await owner.post('/files/presign', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.code).toBe('VALIDATION_ERROR');
    }
    expect((await owner.post('/files/presign', { ...pdf(), studentId: newId() })).status).toBe(404);
    expect((await owner.post('/files/presign', { ...pdf(), studentId: 'nope' })).status).toBe(404);
  });

  it('401 without a session, 403 without CSRF, 404 for unknown and foreign ids', async () => {
    const anon = srv.agent();
    expect((await anon.post('/files/presign', pdf())).status).toBe(401);
    expect((await anon.get(`/files/${newId()}`)).status).toBe(401);

    const { owner } = await newTenant(srv);
    const noCsrf = owner.clone();
    noCsrf.csrf = false;
    expect((await noCsrf.post('/files/presign', pdf())).body.error.code).toBe('CSRF_FAILED');

    const p = await owner.post('/files/presign', pdf());
    const other = await newTenant(srv);
    const foreign = await other.owner.get(`/files/${p.body.fileId}`);
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe('NOT_FOUND');
    expect((await owner.get(`/files/${newId()}`)).status).toBe(404);
    expect((await owner.get('/files/not-a-uuid')).status).toBe(404);
  });

  it('imports need imports:run: teachers and guardians get 403, owners may', async () => {
    const { owner } = await newTenant(srv);
    const csv = { purpose: 'import', contentType: 'text/csv', size: 100, fileName: 'kids.csv' };
    expect((await owner.post('/files/presign', csv)).status).toBe(201);
    const teacher = await addMember(srv, owner, ['teacher']);
    const t = await teacher.agent.post('/files/presign', csv);
    expect(t.status).toBe(403);
    expect(t.body.error.code).toBe('FORBIDDEN');
    const guardian = await addMember(srv, owner, ['guardian']);
    expect((await guardian.agent.post('/files/presign', csv)).status).toBe(403);
    const adminNoImports = await addMember(srv, owner, ['admin'], { entitlements: ['messaging'] });
    expect((await adminNoImports.agent.post('/files/presign', csv)).status).toBe(403);
    // Teachers may upload documents and photos.
    const kid = await addChild(srv, (await owner.get('/tenant')).body.id);
    expect((await teacher.agent.post('/files/presign', { purpose: 'student_photo', contentType: 'image/jpeg', size: 100, fileName: 'k.jpg', studentId: kid })).status).toBe(201);
  });

  it('guardians presign and read files of their own children only', async () => {
    const { owner, tenant } = await newTenant(srv);
    const gEmail = uniqueEmail('guardian');
    const own = await addChild(srv, tenant.id, gEmail);
    const otherKid = await addChild(srv, tenant.id, uniqueEmail('someone'));
    const guardian: Agent = (await addMember(srv, owner, ['guardian'], { email: gEmail })).agent;

    const mine = await guardian.post('/files/presign', { ...pdf(5), studentId: own });
    expect(mine.status).toBe(201);
    expect((await guardian.post('/files/presign', { purpose: 'student_photo', contentType: 'image/webp', size: 5, fileName: 'me.webp', studentId: own })).status).toBe(201);
    const notMine = await guardian.post('/files/presign', { ...pdf(5), studentId: otherKid });
    expect(notMine.status).toBe(404);
    const noChild = await guardian.post('/files/presign', pdf(5));
    expect(noChild.status).toBe(422);

    expect((await upload(mine.body.upload, 'hello')).status).toBe(204);
    const read = await guardian.get(`/files/${mine.body.fileId}`);
    expect(read.status).toBe(200);
    expect(read.body.studentId).toBe(own);

    // Staff files about another child, or about no child, are invisible to the guardian.
    const staffOther = await owner.post('/files/presign', { ...pdf(5), studentId: otherKid });
    const staffNone = await owner.post('/files/presign', pdf(5));
    expect((await guardian.get(`/files/${staffOther.body.fileId}`)).status).toBe(404);
    expect((await guardian.get(`/files/${staffNone.body.fileId}`)).status).toBe(404);
    // Staff read everything in their centre.
    expect((await owner.get(`/files/${mine.body.fileId}`)).status).toBe(200);
  });

  it('an object larger than declared or of another type is rejected on confirmation', async () => {
    const { owner, tenant } = await newTenant(srv);
    const p = await owner.post('/files/presign', pdf(4));
    const key = `tenants/${tenant.id}/files/${p.body.fileId}`;
    // Bypass the signed URL (as a misbehaving storage would) to store more than declared.
    await srv.container.storage.putStream(key, (async function* () {
      yield 'way too long';
    })(), 'application/pdf');
    const r = await owner.get(`/files/${p.body.fileId}`);
    expect(r.status).toBe(422);
    expect(r.body.error.details[0].path).toBe('size');
    expect(await srv.container.storage.head(key)).toBeNull();
    expect((await owner.get(`/files/${p.body.fileId}`)).status).toBe(422);

    const q = await owner.post('/files/presign', pdf(4));
    expect((await upload(q.body.upload, 'abcd')).status).toBe(204);
    // S3 reports the stored Content-Type; simulate one that differs from the declared type.
    vi.spyOn(srv.container.storage, 'head').mockResolvedValueOnce({ size: 4, contentType: 'text/html' });
    const wrong = await owner.get(`/files/${q.body.fileId}`);
    expect(wrong.status).toBe(422);
    expect(wrong.body.error.details[0].path).toBe('contentType');
    await expect(srv.container.files.confirmUploaded({ tenantId: tenant.id }, q.body.fileId)).rejects.toMatchObject({ code: 'UNPROCESSABLE' });
  });

  it('service API for jobs: confirmUploaded and createServerFile', async () => {
    const { owner, tenant, membership } = await newTenant(srv);
    const { files, storage } = srv.container;
    const p = await owner.post('/files/presign', { purpose: 'import', contentType: 'text/csv', size: 8, fileName: 'k.csv' });
    await expect(files.confirmUploaded({ tenantId: tenant.id }, p.body.fileId)).rejects.toMatchObject({ code: 'UNPROCESSABLE' });
    expect((await upload(p.body.upload, 'a,b\n1,2\n')).status).toBe(204);
    const c = await files.confirmUploaded({ tenantId: tenant.id }, p.body.fileId);
    expect(c).toMatchObject({ id: p.body.fileId, status: 'uploaded', size: 8, contentType: 'text/csv', purpose: 'import' });
    let text = '';
    for await (const chunk of await storage.getStream(c.storageKey)) text += Buffer.from(chunk).toString();
    expect(text).toBe('a,b\n1,2\n');
    // Another tenant cannot confirm it.
    const other = await newTenant(srv);
    await expect(files.confirmUploaded({ tenantId: other.tenant.id }, p.body.fileId)).rejects.toMatchObject({ code: 'NOT_FOUND' });

    const report = await files.createServerFile(
      tenant.id,
      { purpose: 'report', fileName: 'attendance.csv', contentType: 'text/csv', createdByMembershipId: membership.id },
      (key) => storage.putStream(key, (async function* () { yield 'date,child\n'; })(), 'text/csv'),
    );
    expect(report).toMatchObject({ status: 'uploaded', size: 11, purpose: 'report' });
    expect(report.storageKey).toBe(`tenants/${tenant.id}/files/${report.id}`);
    const g = await owner.get(`/files/${report.id}`);
    expect(g.status).toBe(200);
    expect(await (await fetch(g.body.downloadUrl)).text()).toBe('date,child\n');
  });

  it('replays a presign with the same Idempotency-Key', async () => {
    const { owner } = await newTenant(srv);
    const a = await owner.post('/files/presign', pdf(), { 'idempotency-key': 'k-1' });
    const b = await owner.post('/files/presign', pdf(), { 'idempotency-key': 'k-1' });
    expect(b.status).toBe(201);
    expect(b.body.fileId).toBe(a.body.fileId);
    expect(b.headers.get('idempotent-replayed')).toBe('true');
  });
});
