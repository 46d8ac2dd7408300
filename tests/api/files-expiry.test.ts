import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { newTenant, startServer, type TestServer } from '../helpers/server.js';

/** Signed local URLs expire after at most 5 minutes, measured on the server's clock. */
describe('files: signed local URLs expire', () => {
  let srv: TestServer;
  const clock = new ManualClock();
  beforeAll(async () => {
    srv = await startServer({ clock });
  });
  afterAll(() => srv.close());

  it('refuses an expired upload URL (403) and leaves no file; an expired download URL too', async () => {
    const { owner, tenant } = await newTenant(srv);
    const p = await owner.post('/files/presign', { purpose: 'document', contentType: 'application/pdf', size: 3, fileName: 'a.pdf' });
    expect(p.status).toBe(201);
    expect(Date.parse(p.body.expiresAt)).toBe(clock.now().getTime() + 300_000);

    clock.advance(301_000);
    const late = await fetch(p.body.upload.url, { method: 'PUT', headers: p.body.upload.headers, body: 'abc' });
    expect(late.status).toBe(403);
    expect((await late.json()).error.code).toBe('FORBIDDEN');
    const target = path.resolve(srv.container.config.dataDir, 'files', 'tenants', tenant.id, 'files', p.body.fileId);
    await expect(stat(target)).rejects.toMatchObject({ code: 'ENOENT' });

    // A fresh URL works; its download URL expires in turn.
    const q = await owner.post('/files/presign', { purpose: 'document', contentType: 'application/pdf', size: 3, fileName: 'b.pdf' });
    expect((await fetch(q.body.upload.url, { method: 'PUT', headers: q.body.upload.headers, body: 'abc' })).status).toBe(204);
    const g = await owner.get(`/files/${q.body.fileId}`);
    expect(g.status).toBe(200);
    expect((await fetch(g.body.downloadUrl)).status).toBe(200);
    clock.advance(301_000);
    expect((await fetch(g.body.downloadUrl)).status).toBe(403);
    expect(await readdir(path.resolve(srv.container.config.dataDir, 'files', '.tmp'))).toEqual([]);
  });
});
