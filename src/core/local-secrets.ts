import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Config } from './config.js';

/** The local-mode signing secret for Supabase-shaped tokens (`npm run token`), without opening the database. */
export const localAuthSecretFor = (config: Config) => localSecret(config, 'local-auth-secret');

/** A random secret kept in DATA_DIR for local runs (never in production: config refuses to start without one). */
export async function localSecret(config: Config, name: string): Promise<string> {
  if (config.isProduction) throw new Error(`${name} must be configured in production`);
  const file = path.resolve(config.dataDir, name);
  try {
    const s = (await readFile(file, 'utf8')).trim();
    if (s.length >= 32) return s;
  } catch {
    /* first run */
  }
  const s = randomBytes(48).toString('base64url');
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, s, { mode: 0o600 });
  return s;
}
