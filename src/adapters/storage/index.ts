import type { Config } from '../../core/config.js';
import type { Storage } from './storage.js';

/** S3 when S3_BUCKET is set, else local disk under DATA_DIR. (stub: filled in by the files work) */
export async function openStorage(_config: Config, _secret: string): Promise<Storage | undefined> {
  return undefined;
}
export type { Storage };
