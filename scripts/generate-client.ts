// Writes the OpenAPI document the API serves, and the TypeScript types generated from it, into clients/typescript
// (`openapi.json`, `src/schema.ts`). Run by `npm run build:client` and `npm run typecheck`; no server, no database.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';
import { createApp } from '../src/api/app.js';
import { buildOpenApiDocument } from '../src/api/openapi/document.js';
import type { Container } from '../src/container.js';

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../clients/typescript');
// Building the app registers the routes; the container is only used while answering requests.
const doc = buildOpenApiDocument(createApp({} as Container));
const banner = '// Generated from the Daycare API\'s OpenAPI document by scripts/generate-client.ts. Do not edit.\n';
await mkdir(path.join(dir, 'src'), { recursive: true });
await writeFile(path.join(dir, 'openapi.json'), JSON.stringify(doc, null, 2) + '\n');
await writeFile(path.join(dir, 'src/schema.ts'), banner + astToString(await openapiTS(doc as any)));
// The package carries the API's version (info.version): a tarball names the contract it was generated from.
const pkgPath = path.join(dir, 'package.json');
const pkg = JSON.parse(await readFile(pkgPath, 'utf8')) as { version: string };
if (pkg.version !== doc.info.version) {
  pkg.version = doc.info.version;
  await writeFile(pkgPath, JSON.stringify(pkg, null, 2) + '\n');
}
console.log(`clients/typescript: openapi.json and src/schema.ts (${Object.keys(doc.paths ?? {}).length} paths)`);
