import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Swagger UI's files (from the `swagger-ui-dist` package, ~2 MB) are read from disk on the first /docs request, never
 * imported: the Lambda bundle stays small and starts fast. Looked up beside the running code first (the Lambda
 * build copies them to `dist/lambda/docs-assets/`), then in node_modules (`npm start`, `npm run dev`, tests).
 */
export const DOCS_ASSETS: Record<string, string> = {
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui.css': 'text/css; charset=utf-8',
};
export const DOCS_ASSETS_DIR = 'docs-assets';

function candidates(name: string): string[] {
  const list = [path.join(path.dirname(fileURLToPath(import.meta.url)), DOCS_ASSETS_DIR, name)];
  try {
    list.push(path.join(path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json')), name));
  } catch {
    /* not installed (a Lambda bundle): the copy beside the code is the only place */
  }
  return list;
}

const loaded = new Map<string, Promise<Buffer>>();

/** The asset's bytes, read once per process; rejects for a name that is not one of DOCS_ASSETS. */
export function readDocsAsset(name: string): Promise<Buffer> {
  if (!Object.hasOwn(DOCS_ASSETS, name)) return Promise.reject(new Error(`unknown docs asset ${name}`));
  let p = loaded.get(name);
  if (!p) {
    p = (async () => {
      let last: unknown;
      for (const file of candidates(name)) {
        try {
          return await readFile(file);
        } catch (err) {
          last = err;
        }
      }
      throw last;
    })();
    p.catch(() => loaded.delete(name));
    loaded.set(name, p);
  }
  return p;
}
