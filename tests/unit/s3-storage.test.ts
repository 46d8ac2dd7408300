/**
 * The S3 driver, offline. No local emulator verifies S3 signatures or POST policies (and no S3-compatible server is
 * available on this machine), so these tests check what we produce: the presigned POST policy decoded condition by
 * condition, the presigned GET URL's query, and how HeadObject errors map — with fake static credentials, region
 * eu-west-1, and the client's `send` mocked. Nothing here touches the network.
 */
import { DeleteObjectTaggingCommand, GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PENDING_TAGGING, S3Storage } from '../../src/adapters/storage/s3-storage.js';

const credentials = { accessKeyId: 'AKIAFAKEFAKEFAKE', secretAccessKey: 'fake/secret/key/for/tests/only' };
const make = () => new S3Storage({ bucket: 'daycare-files', region: 'eu-west-1', credentials });
const key = 'tenants/0190a0b0-0000-7000-8000-000000000001/files/0190a0b0-0000-7000-8000-000000000002';

function s3Error(status: number, name: string) {
  return Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
}

describe('S3 storage: presigned POST policy', () => {
  afterEach(() => vi.restoreAllMocks());

  it('bounds size, type, key, tagging and expiry in the signed policy', async () => {
    const before = Date.now();
    const up = await make().presignUpload({ key, fileId: 'f', contentType: 'image/png', maxSize: 12345, expiresInSeconds: 300 });
    expect(up.method).toBe('POST');
    expect(up.url).toContain('daycare-files');
    const fields = up.fields!;
    expect(fields.key).toBe(key);
    expect(fields['Content-Type']).toBe('image/png');
    expect(fields.tagging).toBe(PENDING_TAGGING);
    expect(fields['X-Amz-Algorithm']).toBe('AWS4-HMAC-SHA256');
    expect(fields['X-Amz-Signature']).toMatch(/^[0-9a-f]{64}$/);

    const policy = JSON.parse(Buffer.from(fields.Policy!, 'base64').toString('utf8')) as { expiration: string; conditions: unknown[] };
    const conds = policy.conditions;
    const has = (c: unknown) => conds.some((x) => JSON.stringify(x) === JSON.stringify(c));

    // Only a POST policy can bound the size: at most the declared size.
    const range = conds.filter((c) => Array.isArray(c) && c[0] === 'content-length-range');
    expect(range).toEqual([['content-length-range', 0, 12345]]);
    // The exact type, key and tag — no starts-with wildcards a client could stretch.
    expect(has({ 'Content-Type': 'image/png' })).toBe(true);
    expect(has({ key })).toBe(true);
    expect(has({ tagging: PENDING_TAGGING })).toBe(true);
    expect(has({ bucket: 'daycare-files' })).toBe(true);
    expect(conds.some((c) => Array.isArray(c) && c[0] === 'starts-with')).toBe(false);
    // Signed by our credentials in eu-west-1.
    expect(has({ 'X-Amz-Algorithm': 'AWS4-HMAC-SHA256' })).toBe(true);
    const cred = conds.find((c) => !Array.isArray(c) && typeof c === 'object' && c && 'X-Amz-Credential' in c) as Record<string, string>;
    expect(cred['X-Amz-Credential']).toMatch(/^AKIAFAKEFAKEFAKE\/\d{8}\/eu-west-1\/s3\/aws4_request$/);
    expect(fields['X-Amz-Credential']).toBe(cred['X-Amz-Credential']);
    // Expiry ≤ 5 minutes.
    const exp = Date.parse(policy.expiration);
    expect(exp - before).toBeLessThanOrEqual(300_000 + 2000);
    expect(exp).toBeGreaterThan(before);
  });

  it('caps a longer requested expiry at 300 s', async () => {
    const before = Date.now();
    const up = await make().presignUpload({ key, fileId: 'f', contentType: 'text/csv', maxSize: 10, expiresInSeconds: 3600 });
    const policy = JSON.parse(Buffer.from(up.fields!.Policy!, 'base64').toString('utf8'));
    expect(Date.parse(policy.expiration) - before).toBeLessThanOrEqual(300_000 + 2000);
  });
});

describe('S3 storage: presigned GET', () => {
  it('is short-lived and forces an attachment with the stored type', async () => {
    const url = new URL(
      await make().presignDownload({ key, fileId: 'f', fileName: 'Report "Q1" é.pdf', contentType: 'application/pdf', expiresInSeconds: 900 }),
    );
    expect(url.pathname).toContain(key);
    expect(Number(url.searchParams.get('X-Amz-Expires'))).toBeLessThanOrEqual(300);
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(/eu-west-1\/s3\/aws4_request$/);
    const disposition = url.searchParams.get('response-content-disposition')!;
    expect(disposition).toBe(`attachment; filename="Report _Q1_ _.pdf"; filename*=UTF-8''Report%20%22Q1%22%20%C3%A9.pdf`);
    expect(url.searchParams.get('response-content-type')).toBe('application/pdf');
    // Built with requestChecksumCalculation WHEN_REQUIRED: no checksum parameters a browser could not satisfy.
    expect([...url.searchParams.keys()].some((k) => /checksum/i.test(k))).toBe(false);
  });
});

describe('S3 storage: head and confirm', () => {
  afterEach(() => vi.restoreAllMocks());

  it('maps a found object to its size and type', async () => {
    const s = make();
    const send = vi.spyOn(s.client, 'send').mockResolvedValue({ ContentLength: 42, ContentType: 'image/png' } as never);
    expect(await s.head(key)).toEqual({ size: 42, contentType: 'image/png' });
    expect(send.mock.calls[0]![0]).toBeInstanceOf(HeadObjectCommand);
  });

  it('treats 404 and 403 (no ListBucket) as missing', async () => {
    const s = make();
    vi.spyOn(s.client, 'send').mockRejectedValueOnce(s3Error(404, 'NotFound') as never);
    expect(await s.head(key)).toBeNull();
    vi.spyOn(s.client, 'send').mockRejectedValueOnce(s3Error(403, 'Forbidden') as never);
    expect(await s.head(key)).toBeNull();
  });

  it('rethrows other failures', async () => {
    const s = make();
    vi.spyOn(s.client, 'send').mockRejectedValueOnce(s3Error(500, 'InternalError') as never);
    await expect(s.head(key)).rejects.toThrow('InternalError');
  });

  it('drops the pending tag when a file is confirmed', async () => {
    const s = make();
    const send = vi.spyOn(s.client, 'send').mockResolvedValue({} as never);
    await s.markConfirmed(key);
    const cmd = send.mock.calls[0]![0] as DeleteObjectTaggingCommand;
    expect(cmd).toBeInstanceOf(DeleteObjectTaggingCommand);
    expect(cmd.input).toEqual({ Bucket: 'daycare-files', Key: key });
  });

  it('putStream: one PutObject when small, multipart in 5 MB parts when large', async () => {
    const s = make();
    const send = vi.spyOn(s.client, 'send').mockImplementation((async (cmd: { constructor: { name: string } }) => {
      if (cmd.constructor.name === 'CreateMultipartUploadCommand') return { UploadId: 'u1' };
      if (cmd.constructor.name === 'UploadPartCommand') return { ETag: '"e"' };
      return {};
    }) as never);
    async function* small() {
      yield 'a,b\n';
      yield new TextEncoder().encode('1,2\n');
    }
    expect(await s.putStream(key, small(), 'text/csv')).toEqual({ size: 8 });
    expect(send.mock.calls.map((c) => (c[0] as object).constructor.name)).toEqual(['PutObjectCommand']);

    send.mockClear();
    const MB = 1024 * 1024;
    async function* big() {
      for (let i = 0; i < 12; i++) yield new Uint8Array(MB);
    }
    expect(await s.putStream(key, big(), 'text/csv')).toEqual({ size: 12 * MB });
    const names = send.mock.calls.map((c) => (c[0] as object).constructor.name);
    expect(names).toEqual(['CreateMultipartUploadCommand', 'UploadPartCommand', 'UploadPartCommand', 'UploadPartCommand', 'CompleteMultipartUploadCommand']);
    const sizes = send.mock.calls.filter((c) => (c[0] as object).constructor.name === 'UploadPartCommand').map((c) => ((c[0] as any).input.Body as Buffer).length);
    expect(sizes).toEqual([5 * MB, 5 * MB, 2 * MB]);
  });

  it('getStream returns the GetObject body', async () => {
    const s = make();
    async function* body() {
      yield new Uint8Array([1, 2]);
    }
    const send = vi.spyOn(s.client, 'send').mockResolvedValue({ Body: body() } as never);
    const chunks: Uint8Array[] = [];
    for await (const c of await s.getStream(key)) chunks.push(c);
    expect(chunks).toEqual([new Uint8Array([1, 2])]);
    expect(send.mock.calls[0]![0]).toBeInstanceOf(GetObjectCommand);
  });
});
