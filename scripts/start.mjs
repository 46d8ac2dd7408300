// `npm start` (the API) and `npm run worker` (start.mjs worker): build when the sources are newer than the build, then run.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

const out = `dist/server/${process.argv[2] === 'worker' ? 'worker' : 'http-server'}.mjs`;
function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}
if (!existsSync(out) || newest('src') > statSync(out).mtimeMs) {
  const r = spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
await import(path.resolve(out));
