import { execFileSync } from 'node:child_process';

/**
 * The builds the process tests use. `.ci/run` has just run `npm run build` on the same tree (the server bundle in
 * dist/server, the Lambda bundles in dist/lambda, the typed client in clients/typescript/dist) and says so with
 * DAYCARE_TEST_BUILT=1: the test files then use that build instead of making it again (in each of the three runs of
 * the suite and in the fault suite). Anywhere else each file builds, so a changed source is never tested stale.
 */
const built = () => process.env.DAYCARE_TEST_BUILT === '1';

/** The server bundle (`scripts/build.mjs` → dist/server) that the process tests start. */
export function buildServer() {
  if (built()) return;
  execFileSync(process.execPath, ['scripts/build.mjs']);
}

/** `npm run build:lambda` (→ dist/lambda). Throws with the build's output when it fails. */
export function buildLambda(cwd: string) {
  if (built()) return;
  execFileSync('npm', ['run', 'build:lambda'], { cwd, encoding: 'utf8', timeout: 120_000, stdio: 'pipe' });
}

/** `npm run build:client` (the types from the route schemas, then clients/typescript/dist). */
export function buildClient(cwd: string) {
  if (built()) return;
  execFileSync('npm', ['run', 'build:client'], { cwd, encoding: 'utf8', timeout: 300_000, stdio: 'pipe' });
}
