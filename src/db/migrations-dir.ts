import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The migrations folder: beside the bundle, or the repository's (MIGRATIONS_DIR overrides). */
export function findMigrationsDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [
    process.env.MIGRATIONS_DIR,
    path.join(here, 'migrations'),
    path.resolve(here, '../../migrations'),
    path.resolve(here, '../../../migrations'),
    path.resolve(process.cwd(), 'migrations'),
  ].filter((p): p is string => !!p);
  const found = candidates.find((p) => existsSync(path.join(p, 'meta', '_journal.json')));
  if (!found) throw new Error('migrations folder not found (set MIGRATIONS_DIR)');
  return found;
}
