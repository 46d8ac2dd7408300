import { mkdtemp, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalStorage } from '../../src/adapters/storage/local-storage.js';
import { openStorage } from '../../src/adapters/storage/index.js';
import { ManualClock } from '../../src/core/clock.js';
import { loadConfig } from '../../src/core/config.js';

const secret = 'a-test-secret-that-is-long-enough-123456';
const key = 'tenants/0190a0b0-0000-7000-8000-000000000001/files/0190a0b0-0000-7000-8000-000000000002';

async function make(clock = new ManualClock()) {
  const root = await mkdtemp(path.join(os.tmpdir(), 'daycare-local-storage-'));
  return { root, clock, s: new LocalStorage({ root, secret, clock }) };
}
const query = (url: string) => Object.fromEntries(new URL(url).searchParams);
const body = (text: string) => new Response(text).body;

describe('local storage driver', () => {
  it('signs upload URLs over every limit; any change breaks the signature', async () => {
    const { s } = await make();
    const up = await s.presignUpload({ key, fileId: 'f1', contentType: 'text/csv', maxSize: 5, expiresInSeconds: 300, baseUrl: 'http://api.test' });
    expect(up.url.startsWith('http://api.test/files/local/upload?')).toBe(true);
    const q = query(up.url);
    expect(s.verifyUpload(q)).toEqual({ key, fileId: 'f1', contentType: 'text/csv', maxSize: 5 });
    for (const [k, v] of Object.entries({ key: key.replace(/2$/, '3'), fileId: 'f2', contentType: 'text/html', maxSize: '6', expires: String(Number(q.expires) + 1), sig: q.sig!.slice(1) }))
      expect(() => s.verifyUpload({ ...q, [k]: v }), k).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
    // A download signature is not an upload signature.
    const dl = query(await s.presignDownload({ key, fileId: 'f1', fileName: 'a.csv', contentType: 'text/csv', expiresInSeconds: 300, baseUrl: 'http://api.test' }));
    expect(() => s.verifyUpload({ ...dl, maxSize: '5' })).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
    // Another secret does not verify.
    const other = new LocalStorage({ root: '/tmp/x', secret: secret + 'x', clock: new ManualClock() });
    expect(() => other.verifyUpload(q)).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
  });

  it('caps expiry at 300 s and honours the clock', async () => {
    const { s, clock } = await make();
    const q = query((await s.presignUpload({ key, fileId: 'f', contentType: 'text/csv', maxSize: 5, expiresInSeconds: 3600, baseUrl: 'http://x' })).url);
    expect(Number(q.expires) - Math.floor(clock.now().getTime() / 1000)).toBe(300);
    clock.advance(299_000);
    expect(() => s.verifyUpload(q)).not.toThrow();
    clock.advance(2_000);
    expect(() => s.verifyUpload(q)).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
  });

  it('receives only the declared type and size, atomically', async () => {
    const { s, root } = await make();
    const q = query((await s.presignUpload({ key, fileId: 'f', contentType: 'text/csv', maxSize: 5, expiresInSeconds: 300, baseUrl: 'http://x' })).url);
    await expect(s.receiveUpload(q, 'text/plain', body('abc'))).rejects.toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
    await expect(s.receiveUpload(q, 'text/csv', body('abcdef'))).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    expect(await s.head(key)).toBeNull();
    expect(await readdir(path.join(root, '.tmp'))).toEqual([]);
    expect(await s.receiveUpload(q, 'text/csv; charset=utf-8', body('abcde'))).toEqual({ size: 5 });
    expect(await s.head(key)).toEqual({ size: 5, contentType: undefined });
    await expect(s.receiveUpload(q, 'text/csv', body('xyz'))).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('refuses keys that could leave the root, and streams server-side files', async () => {
    const { s } = await make();
    for (const bad of ['../x', 'tenants/../../x', '/etc/passwd', 'a//b', 'a/./b', ''])
      await expect(s.presignUpload({ key: bad, fileId: 'f', contentType: 'text/csv', maxSize: 5, expiresInSeconds: 300, baseUrl: 'http://x' })).rejects.toThrow('unsafe storage key');
    async function* gen() {
      yield 'a,b\n';
      yield new TextEncoder().encode('1,2\n');
    }
    expect(await s.putStream(key, gen(), 'text/csv')).toEqual({ size: 8 });
    let text = '';
    for await (const c of await s.getStream(key)) text += Buffer.from(c).toString();
    expect(text).toBe('a,b\n1,2\n');
    await s.delete(key);
    expect(await s.head(key)).toBeNull();
  });

  it('openStorage: local by default, S3 when S3_BUCKET is set', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'daycare-open-'));
    expect((await openStorage(loadConfig({ DATA_DIR: dataDir }), secret)).kind).toBe('local');
    expect((await openStorage(loadConfig({ DATA_DIR: dataDir, S3_BUCKET: 'b', AWS_REGION: 'eu-west-1' }), secret)).kind).toBe('s3');
  });
});
