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
    const { S3Storage } = await import('./s3-storage.js');
    return new S3Storage({ bucket: config.s3.bucket, region: config.s3.region, endpoint: config.s3.endpoint });
  }
  const { LocalStorage } = await import('./local-storage.js');
  return new LocalStorage({ root: path.resolve(config.dataDir, 'files'), secret, clock, publicUrl: config.publicUrl });
}
export type { Storage };
