import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The bundles the root project's `npm run build:lambda` writes, each exporting `handler`. */
export const HANDLER_FILES = ['api.mjs', 'worker.mjs', 'migrate.mjs'] as const;

/** `<repo>/dist/lambda`, resolved from this file (infra/lib → repo root). */
export const DEFAULT_LAMBDA_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'lambda');

/** The handler files missing from `dir` (all of them when `dir` does not exist). */
export function missingHandlers(dir: string): string[] {
  return HANDLER_FILES.filter((f) => !fs.existsSync(path.join(dir, f)));
}

const STUB_SOURCE = [
  '// Stub written by infra/ so that `cdk synth` and the infra tests work before `npm run build:lambda`.',
  '// It must never be deployed: run `npm run build:lambda` in the repository root first.',
  'export const handler = async () => ({});',
  '',
].join('\n');

/**
 * Creates a temporary directory holding stub `api.mjs`, `worker.mjs`, `migrate.mjs` (and an empty `migrations/`).
 * The contents never vary, so the asset hash is stable wherever the directory lands.
 */
export function createStubLambdaDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'daycare-lambda-stub-'));
  for (const f of HANDLER_FILES) fs.writeFileSync(path.join(dir, f), STUB_SOURCE);
  fs.mkdirSync(path.join(dir, 'migrations'));
  fs.writeFileSync(path.join(dir, 'migrations', '.keep'), '');
  return dir;
}

export interface ResolvedLambdaDir {
  readonly dir: string;
  readonly stub: boolean;
}

/**
 * Picks the directory whose contents become the functions' code asset:
 * `LAMBDA_DIR` (or `explicitDir`) when given, else `<repo>/dist/lambda` when it holds the three bundles,
 * else — only when `allowStub` — a stub directory. Without `allowStub`, a missing build is an error, so that
 * `cdk deploy` can never ship stubs.
 */
export function resolveLambdaDir(opts: {
  explicitDir?: string;
  allowStub: boolean;
  defaultDir?: string;
  warn?: (msg: string) => void;
}): ResolvedLambdaDir {
  const warn = opts.warn ?? ((m: string) => console.warn(m));
  const defaultDir = opts.defaultDir ?? DEFAULT_LAMBDA_DIR;
  if (opts.explicitDir) {
    const dir = path.resolve(opts.explicitDir);
    const missing = missingHandlers(dir);
    if (missing.length > 0) {
      throw new Error(`LAMBDA_DIR=${dir} lacks ${missing.join(', ')}; run \`npm run build:lambda\` in the repository root.`);
    }
    return { dir, stub: false };
  }
  const missing = missingHandlers(defaultDir);
  if (missing.length === 0) return { dir: defaultDir, stub: false };
  if (!opts.allowStub) {
    throw new Error(
      `${defaultDir} lacks ${missing.join(', ')}. Run \`npm run build:lambda\` in the repository root ` +
        'before deploying, or pass `-c allowStubLambda=true` for a synth-only run with stub handlers.',
    );
  }
  const dir = createStubLambdaDir();
  warn(
    `[daycare-infra] WARNING: ${defaultDir} lacks ${missing.join(', ')}; ` +
      `synthesising with STUB handlers from ${dir}. Do not deploy this output.`,
  );
  return { dir, stub: true };
}
