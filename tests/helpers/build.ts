import { execFileSync } from 'node:child_process';

/**
 * Builds the server bundle (`scripts/build.mjs` → dist/server) that the process tests start. `.ci/run` has just run
 * `npm run build` on the same tree and says so with DAYCARE_TEST_BUILT=1: the test files then use that build instead of
 * making it again (six files, in three runs). Anywhere else each file builds, so a changed source is never tested stale.
 */
export function buildServer() {
  if (process.env.DAYCARE_TEST_BUILT === '1') return;
  execFileSync(process.execPath, ['scripts/build.mjs']);
}
