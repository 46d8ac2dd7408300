import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, statfs, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DataDirError, sqlState as sqlStateOf } from '../core/errors.js';

/** Free space a new embedded database needs (PGlite's fresh cluster is ~40 MB) and below which readiness says "disk full". */
export const DATA_DIR_MIN_FREE_NEW = 64 * 1024 * 1024;
export const DATA_DIR_MIN_FREE = 8 * 1024 * 1024;
export const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

export async function freeBytes(dir: string) {
  const s = await statfs(dir);
  return Number(s.bavail) * Number(s.bsize);
}

/** WASI errno numbers PGlite's file system throws (as plain `{ errno }` objects, not Errors) and node's codes. */
const WASI_ERRNO: Record<number, string> = { 2: 'EACCES', 44: 'ENOENT', 51: 'ENOSPC', 63: 'EPERM', 69: 'EROFS', 54: 'ENOTDIR' };
const CAUSE: Record<string, string> = {
  ENOSPC: 'is out of space (ENOSPC)',
  '53100': 'is out of space (disk full)',
  EROFS: 'is on a read-only file system (EROFS)',
  EACCES: 'may not be written by this user (EACCES)',
  EPERM: 'may not be written by this user (EPERM)',
  ENOTDIR: 'is not a directory (ENOTDIR)',
  EEXIST: 'is not a directory (EEXIST)',
};

/** The cause of a file-system failure in words, for errors from node (`code`) and from PGlite's WASM file system (`errno`). */
export function describeFsError(err: unknown): string {
  const e = err as { code?: unknown; errno?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : typeof e?.errno === 'number' ? WASI_ERRNO[e.errno] : sqlStateOf(err);
  if (code && CAUSE[code]) return CAUSE[code]!;
  if (code) return `cannot be used (${code})`;
  const msg = typeof e?.message === 'string' && e.message ? e.message : JSON.stringify(err) ?? String(err);
  return `cannot be used (${msg.replace(/\s+/g, ' ').slice(0, 200)})`;
}

/**
 * Embedded mode's data directory, checked before PGlite touches it (issue 20, point 11): writable, and with the free
 * space a database needs. Every failure is one DataDirError naming the directory and the cause.
 */
export async function checkDataDir(dataDir: string): Promise<void> {
  const dir = path.resolve(dataDir);
  const fail = (cause: string) => new DataDirError(`DATA_DIR: ${dir} ${cause} (set DATA_DIR to a writable directory with space)`);
  try {
    // Probed where writing starts (the nearest directory that exists): a recursive mkdir on a read-only file
    // system reports ENOENT, which names neither the directory nor the cause.
    let existing = dir;
    while (!existsSync(existing) && path.dirname(existing) !== existing) existing = path.dirname(existing);
    const probe = path.join(existing, `.daycare-write-test-${process.pid}`);
    await writeFile(probe, 'ok');
    await rm(probe, { force: true });
    await mkdir(path.join(dir, 'pglite'), { recursive: true });
  } catch (err) {
    throw fail(describeFsError(err));
  }
  const fresh = !existsSync(path.join(dir, 'pglite', 'PG_VERSION'));
  const need = fresh ? DATA_DIR_MIN_FREE_NEW : DATA_DIR_MIN_FREE;
  const free = await freeBytes(dir);
  if (free < need) throw fail(`has only ${mb(free)} free; the embedded database needs at least ${mb(need)}${fresh ? ' to be created' : ''}`);
}

/**
 * PGlite is one process's database: a second process opening the same directory (say `npm run seed` while
 * `npm start` runs) would not see the first one's writes and could corrupt the files. Refuse it with a clear message.
 */
export async function lockDataDir(dir: string): Promise<string> {
  const file = path.join(dir, '.daycare.lock');
  try {
    const pid = Number((await readFile(file, 'utf8')).trim());
    if (pid && pid !== process.pid && isAlive(pid))
      throw new Error(`the embedded database in ${dir} is in use by process ${pid}; stop it first (or set DATABASE_URL)`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await writeFile(file, String(process.pid));
  return file;
}

/** Whether `pid` is a running process: a zombie (killed, not yet reaped by its parent) answers signal 0 but holds nothing. */
export function isAlive(pid: number) {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // Linux: the third field of /proc/<pid>/stat is the state; Z (zombie) and X (dead) are not alive.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    return true; // no procfs (macOS): signal 0 is the best answer there
  }
}
