// Builds the three AWS Lambda bundles into dist/lambda with esbuild: api.mjs, worker.mjs, migrate.mjs, the chunks
// they share or load lazily (+ source maps), and copies migrations/ beside them. Each bundle is self-contained (no node_modules at run time) except for the
// embedded PGlite, which only a local invocation without DATABASE_URL ever loads (dynamically).
import { build } from 'esbuild';
import { cp, mkdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const OUT_DIR = path.join(root, 'dist/lambda');
export const API_LIMIT_BYTES = 1024 * 1024;
/** Must match DOCS_ASSETS_DIR and DOCS_ASSETS in src/api/openapi/assets.ts. */
export const DOCS_ASSETS_DIR = 'docs-assets';
export const DOCS_ASSET_FILES = ['swagger-ui-bundle.js', 'swagger-ui.css'];

/**
 * Never bundled: PGlite (a WASM build of PostgreSQL, ~10 MB) with drizzle's PGlite driver, pg's optional native
 * binding, and pg-boss (the self-hosted queue, JOBS_QUEUE=pgboss; Lambda uses SQS).
 */
export const EXTERNAL = ['@electric-sql/pglite', '@electric-sql/pglite/*', 'drizzle-orm/pglite', 'drizzle-orm/pglite/*', 'pg-native', 'pg-boss'];

/**
 * zod registers English error messages by itself; its `locales` namespace (40-odd translations, ~260 KB minified)
 * survives tree shaking only because `z` is a namespace object. Nothing here uses `z.locales`, so the bundles get a
 * namespace holding English alone.
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => {
      if (!/[\\/]node_modules[\\/]zod[\\/]/.test(args.importer)) return undefined;
      return { path: path.join(path.dirname(args.importer), '../locales/index.js'), namespace: 'zod-locales' };
    });
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(path.join(path.dirname(args.path), 'en.js'))};`,
      loader: 'js',
      resolveDir: path.dirname(args.path),
    }));
  },
};

/**
 * @aws-sdk/s3-presigned-post pins an exact @aws-sdk/client-s3 and so brings a second copy (~130 KB) under its own
 * node_modules; it only uses PutObjectCommand's endpoint rules. Resolve every import of these packages to the one
 * copy at the root.
 */
const DEDUPE = ['@aws-sdk/client-s3'];
const dedupe = {
  name: 'dedupe',
  setup(b) {
    const filter = new RegExp(`^(${DEDUPE.map((d) => d.replace(/[/.]/g, '\\$&')).join('|')})$`);
    b.onResolve({ filter }, async (args) => {
      if (args.pluginData?.deduped) return undefined;
      return b.resolve(args.path, { kind: args.kind, resolveDir: root, pluginData: { deduped: true } });
    });
  },
};

/**
 * pdfkit (statements as PDF, imported lazily) loads the metrics of its 14 standard fonts (its AFM data, as modules)
 * through `createRequire(import.meta.url)('#standard-fonts/…')`, which esbuild cannot follow: in /var/task, with no
 * node_modules, the first PDF would fail ("Cannot find module"). Rewriting those calls to plain `require('#standard-fonts/…')`
 * lets esbuild resolve the package's `imports` map and bundle the metrics into pdfkit's own lazy chunk. The build fails
 * if the pattern is not found (a pdfkit upgrade changed it), rather than shipping a bundle that cannot print.
 */
const pdfkitFonts = {
  name: 'pdfkit-standard-fonts',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/]pdfkit[\\/]js[\\/]pdfkit\.node\.mjs$/ }, async (args) => {
      const code = await readFile(args.path, 'utf8');
      const pattern = /\brequire\$1\((['"])#standard-fonts\//g;
      const n = code.match(pattern)?.length ?? 0;
      if (n < 14) throw new Error(`pdfkit: expected the 14 standard-font loaders in ${args.path}, found ${n}`);
      return { contents: code.replace(pattern, 'require($1#standard-fonts/'), loader: 'js', resolveDir: path.dirname(args.path) };
    });
  },
};

/** The options every Lambda bundle is built with (the cold-start benchmark builds its baseline the same way). */
export const LAMBDA_BUILD_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outExtension: { '.js': '.mjs' },
  minify: true,
  sourcemap: true,
  // Lazily imported code (S3, SQS, Redis, the SDK's credential providers other than Lambda's) goes into chunks
  // beside the entries, loaded only when a code path needs it; code shared by api/worker/migrate is stored once.
  splitting: true,
  // ESM builds of dependencies (AWS SDK v3's dist-es) tree-shake better than their CommonJS builds.
  mainFields: ['module', 'main'],
  external: EXTERNAL,
  legalComments: 'none',
  // CommonJS dependencies (pg, ioredis, pino…) call require() for Node built-ins; ESM has no require of its own.
  banner: { js: "import{createRequire as __lambdaCreateRequire}from'node:module';const require=__lambdaCreateRequire(import.meta.url);" },
  plugins: [zodEnglishOnly, dedupe, pdfkitFonts],
  logLevel: 'warning',
};

/** Sizes of one entry: the file itself, what importing it loads (static imports), and everything it can ever load. */
function closure(outputs, entryFile) {
  const walk = (kinds) => {
    const seen = new Set();
    const stack = [entryFile];
    while (stack.length) {
      const f = stack.pop();
      if (seen.has(f)) continue;
      seen.add(f);
      for (const i of outputs[f].imports) if (!i.external && kinds.includes(i.kind)) stack.push(i.path);
    }
    return [...seen].reduce((n, f) => n + outputs[f].bytes, 0);
  };
  return { entry: outputs[entryFile].bytes, static: walk(['import-statement']), all: walk(['import-statement', 'dynamic-import']) };
}

export async function buildLambda({ quiet = false } = {}) {
  await rm(OUT_DIR, { recursive: true, force: true });
  await mkdir(OUT_DIR, { recursive: true });
  const result = await build({
    ...LAMBDA_BUILD_OPTIONS,
    absWorkingDir: root,
    entryPoints: {
      api: 'src/entrypoints/lambda-api.ts',
      worker: 'src/entrypoints/lambda-worker.ts',
      migrate: 'src/entrypoints/lambda-migrate.ts',
    },
    outdir: OUT_DIR,
    metafile: true,
  });
  await cp(path.join(root, 'migrations'), path.join(OUT_DIR, 'migrations'), { recursive: true });
  // /docs reads Swagger UI's files from beside the code on its first request (src/api/openapi/assets.ts): never imported.
  await mkdir(path.join(OUT_DIR, DOCS_ASSETS_DIR));
  const swaggerUi = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  for (const f of [...DOCS_ASSET_FILES, 'LICENSE', 'NOTICE']) await cp(path.join(swaggerUi, f), path.join(OUT_DIR, DOCS_ASSETS_DIR, f));

  // PGlite must stay out: none of its code, and no static import of it (only db.ts's dynamic one, never taken on Lambda).
  const outputs = result.metafile.outputs;
  const bundledPglite = Object.keys(result.metafile.inputs).filter((p) => p.includes('@electric-sql/pglite'));
  if (bundledPglite.length) throw new Error(`PGlite was bundled: ${bundledPglite.join(', ')}`);
  for (const [file, out] of Object.entries(outputs)) {
    if (file.endsWith('.map')) continue;
    const staticPglite = out.imports.filter((i) => i.external && /pglite/.test(i.path) && i.kind !== 'dynamic-import');
    if (staticPglite.length) throw new Error(`${file} imports ${staticPglite[0].path} statically`);
    if (containsPgliteCode(await readFile(path.resolve(root, file), 'utf8'))) throw new Error(`${file} contains PGlite code`);
  }

  const bundles = {};
  for (const name of ['api', 'worker', 'migrate']) {
    const rel = path.relative(root, path.join(OUT_DIR, `${name}.mjs`));
    bundles[name] = { file: path.join(OUT_DIR, `${name}.mjs`), ...closure(outputs, rel) };
  }
  const files = Object.keys(outputs).filter((f) => !f.endsWith('.map'));
  const total = files.reduce((n, f) => n + outputs[f].bytes, 0);
  if (bundles.api.static >= API_LIMIT_BYTES)
    throw new Error(`the API bundle loads ${bundles.api.static} bytes at import, over the ${API_LIMIT_BYTES}-byte budget`);
  if (!quiet) {
    const kib = (n) => `${(n / 1024).toFixed(0).padStart(5)} KiB`;
    console.log('bundle       entry file   loaded at import   everything reachable');
    for (const [name, b] of Object.entries(bundles))
      console.log(`${`${name}.mjs`.padEnd(12)} ${kib(b.entry)}    ${kib(b.static)}          ${kib(b.all)}`);
    console.log(`dist/lambda: ${files.length} .mjs files, ${kib(total).trim()} in all (+ source maps); migrations/ and ${DOCS_ASSETS_DIR}/ copied`);
  }
  return { bundles, files: files.length, total, metafile: result.metafile };
}

/** PGlite's own code (its class, its WASM), as opposed to db.ts's `const { PGlite } = await import(...)`. */
export function containsPgliteCode(code) {
  const rest = code.replace(/\{PGlite:[\w$]+\}=await import\("@electric-sql\/pglite"\)/g, '');
  return /PGlite|pglite\.wasm|pglite\.data/.test(rest);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildLambda().catch((err) => {
    console.error(`build-lambda failed: ${err.message}`);
    process.exit(1);
  });
}
