import { createHash } from 'node:crypto';
import { openAsBlob } from 'node:fs';
import { createRequire } from 'node:module';
import { readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { findMigrationsDir, openDatabase } from '../../src/db/db.js';

/**
 * One migrated PGlite for the whole run (issue 22, part 3): a fresh PGlite runs initdb and every migration (~4–5 s on a
 * quiet machine); a data directory dumped once after the migrations loads in about a second. The global setup makes the
 * dump and names it in DAYCARE_PGLITE_TEMPLATE; every in-memory test database starts from it (`loadDataDir`).
 *
 * The file's name carries a hash of the migrations and of PGlite's version, so a changed migration makes a new dump,
 * and a run never loads a database migrated by other SQL. Tests still call `migrate()` after loading (a no-op here).
 */
export const TEMPLATE_ENV = 'DAYCARE_PGLITE_TEMPLATE';

async function templateKey(): Promise<string> {
  const dir = findMigrationsDir();
  const h = createHash('sha256');
  h.update(`pglite ${await pgliteVersion()}\n`);
  for (const f of (await readdir(dir, { recursive: true })).map(String).sort()) {
    const full = path.join(dir, f);
    if (!(await stat(full)).isFile()) continue;
    h.update(`${f}\n`).update(await readFile(full));
  }
  return h.digest('hex').slice(0, 16);
}

/** The installed PGlite's version: its package.json, found above the module node resolves. */
async function pgliteVersion(): Promise<string> {
  let dir = path.dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
  for (;;) {
    try {
      const pkg = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version: string };
      if (pkg.name === '@electric-sql/pglite') return pkg.version;
    } catch {
      // not here
    }
    if (path.dirname(dir) === dir) throw new Error('@electric-sql/pglite: package.json not found');
    dir = path.dirname(dir);
  }
}

/** Makes the migrated dump once (kept in the temp folder across runs, keyed by the migrations) and returns its path. */
export async function ensurePgliteTemplate(): Promise<string> {
  const file = path.join(os.tmpdir(), `daycare-pglite-template-${await templateKey()}.tar`);
  try {
    if ((await stat(file)).size > 0) return file;
  } catch {
    // not made yet
  }
  const db = await openDatabase({ dataDir: 'memory://' });
  try {
    await db.migrate();
    const client = (db.raw as unknown as { $client: { dumpDataDir(c: 'none'): Promise<Blob> } }).$client;
    const dump = await client.dumpDataDir('none');
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, Buffer.from(await dump.arrayBuffer()));
    await rename(tmp, file); // atomic: a parallel run never reads half a dump
  } finally {
    await db.close();
  }
  return file;
}

let template: Promise<Blob> | undefined;
/** The migrated dump as a Blob, read once per test process (made here when the global setup did not run). */
export function pgliteTemplate(): Promise<Blob> {
  template ??= (async () => openAsBlob(process.env[TEMPLATE_ENV] || (await ensurePgliteTemplate())))();
  return template;
}
