// Builds the Node server and CLI into dist/server with esbuild (fast enough for `npm start` to build on demand).
import { build } from 'esbuild';

await build({
  entryPoints: { 'http-server': 'src/entrypoints/http-server.ts', worker: 'src/entrypoints/worker.ts', cli: 'src/entrypoints/cli.ts' },
  outdir: 'dist/server',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
