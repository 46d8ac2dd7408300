import path from 'node:path';
import { systemClock, type Clock } from '../../core/clock.js';
import type { Config } from '../../core/config.js';
import type { Storage } from './storage.js';

/**
 * S3 when S3_BUCKET is set, else local disk under `DATA_DIR/files` with URLs signed by `secret` (SESSION_SECRET).
 * Each driver is loaded on demand, so a bundle for one never has to initialise the other.
 */
export async function openStorage(config: Config, secret: string, clock: Clock = systemClock): Promise<Storage> {
  if (config.s3) {
    const { bucket, region, endpoint } = config.s3;
    return lazyS3(() => import('./s3-storage.js').then(({ S3Storage }) => new S3Storage({ bucket, region, endpoint })));
  }
  const { LocalStorage } = await import('./local-storage.js');
  return new LocalStorage({ root: path.resolve(config.dataDir, 'files'), secret, clock, publicUrl: config.publicUrl });
}
export type { Storage };

/**
 * The S3 driver (the AWS SDK: ~400 KB of code to compile and evaluate) is imported and its client built on the first
 * call that needs it, not when the container is built: most requests never touch a file.
 */
function lazyS3(load: () => Promise<Storage>): Storage {
  let pending: Promise<Storage> | undefined;
  const driver = () =>
    (pending ??= load().catch((err) => {
      pending = undefined;
      throw err;
    }));
  return {
    kind: 's3',
    presignUpload: async (l) => (await driver()).presignUpload(l),
    presignDownload: async (o) => (await driver()).presignDownload(o),
    head: async (key) => (await driver()).head(key),
    markConfirmed: async (key) => (await driver()).markConfirmed(key),
    getStream: async (key) => (await driver()).getStream(key),
    putStream: async (key, body, contentType) => (await driver()).putStream(key, body, contentType),
    delete: async (key) => (await driver()).delete(key),
  };
}
