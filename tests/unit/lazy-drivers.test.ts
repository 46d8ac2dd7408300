import { afterEach, describe, expect, it, vi } from 'vitest';
import { openQueue } from '../../src/adapters/queue/index.js';
import { openStorage } from '../../src/adapters/storage/index.js';
import { loadConfig } from '../../src/core/config.js';

/** S3 and SQS drivers are loaded on first use (src/adapters/{storage,queue}/index.ts): the same answers, later. */
describe('drivers loaded on first use', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('S3: the storage presigns through the S3 driver once a call needs it', async () => {
    // Static credentials: presigning is local, nothing is sent.
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIAIOSFODNN7EXAMPLE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY');
    const storage = await openStorage(loadConfig({ S3_BUCKET: 'lazy-bucket', AWS_REGION: 'eu-west-1' }), 'x'.repeat(32));
    expect(storage.kind).toBe('s3');
    const url = new URL(
      await storage.presignDownload({ key: 'tenants/t/files/f', fileId: 'f', fileName: 'a.csv', contentType: 'text/csv', expiresInSeconds: 60 }),
    );
    expect(url.hostname).toBe('lazy-bucket.s3.eu-west-1.amazonaws.com');
    expect(url.pathname).toBe('/tenants/t/files/f');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('60');
    expect(url.searchParams.get('response-content-type')).toBe('text/csv');
  });

  it('SQS: a queue that never sent closes without loading its client', async () => {
    const queue = await openQueue(loadConfig({ JOBS_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/jobs', AWS_REGION: 'eu-west-1' }), {
      maxAttempts: 3,
    });
    expect(queue.kind).toBe('sqs');
    await expect(queue.close()).resolves.toBeUndefined();
  });
});
