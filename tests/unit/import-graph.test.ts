import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The shape of src/ as an import graph (type-only imports included): no circle, no import running up a floor, the
 * floors inside a module, and the walls between modules. Read from the TypeScript sources: no dependency, no build.
 *
 * Floors, from the ground: core/, models/, types/ → db/, adapters/ → auth/, kernel/ → a module's services,
 * repositories, DTOs, tasks and its index.ts (its public surface) → the edges' kits (api/ but app.ts;
 * workers/job-types.ts) → a module's routes, schemas and job handlers → a module's module.ts and the manifest
 * (modules/index.ts) → api/app.ts and the worker host (workers/) → container.ts, seed.ts, entrypoints/.
 *
 * Inside a module: routes/schemas → service → repository; a repository imports no service, route or handler of any
 * module; routes and handlers import no repository. Between modules: a file of modules/A imports from modules/B only
 * modules/B/index.ts, and only `import type` (cross-module calls are injected by the container as Pick<> deps). Only
 * the container, the demo seed and the manifest import modules' values; the edges import modules' types only, from
 * their index.ts (and the manifest).
 */
const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sources(full);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [full] : [];
  });
}

const rel = (file: string) => path.relative(SRC, file).split(path.sep).join('/');
const areaOf = (file: string) => rel(file).split('/')[0];
/** The module a file belongs to (`modules/<name>/…`), or undefined for the kernel, the edges and the manifest. */
const moduleOf = (file: string) => {
  const parts = rel(file).split('/');
  return parts[0] === 'modules' && parts.length > 2 ? parts[1] : undefined;
};
type Role = 'repository' | 'service' | 'edge' | 'public' | 'registration';
/** A module file's role: repositories; routes, schemas and job handlers (the module's edge); index.ts; module.ts; the rest. */
function roleOf(file: string): Role {
  const name = path.basename(file);
  if (name.endsWith('.repository.ts')) return 'repository';
  if (/\.(routes|schemas|job)\.ts$/.test(name)) return 'edge';
  if (name === 'index.ts') return 'public';
  if (name === 'module.ts') return 'registration';
  return 'service';
}

const AREA_FLOORS: Record<string, number> = { core: 0, models: 0, types: 0, db: 1, adapters: 1, auth: 2, kernel: 2, api: 4, workers: 7, entrypoints: 8, 'container.ts': 8, 'seed.ts': 8 };
function floorOf(file: string): number {
  const r = rel(file);
  if (r === 'modules/index.ts') return 6;
  if (moduleOf(file)) return { repository: 3, service: 3, public: 3, edge: 5, registration: 6 }[roleOf(file)];
  if (r === 'api/app.ts') return 7;
  if (r === 'workers/job-types.ts') return 4;
  return AREA_FLOORS[areaOf(file)] ?? NaN;
}

interface Edge {
  to: string;
  typeOnly: boolean;
}
/** Relative specifiers of static imports and re-exports (`import type` too) and dynamic import() calls. */
function importsOf(file: string): Edge[] {
  const text = readFileSync(file, 'utf8');
  const specs = new Map<string, boolean>();
  const add = (spec: string, typeOnly: boolean) => specs.set(spec, (specs.get(spec) ?? true) && typeOnly);
  for (const m of text.matchAll(/^\s*(import|export)\s([^;]*?)\sfrom\s+['"]([^'"]+)['"]/gms)) {
    // `import type {…}` / `export type {…}`, or every name in the braces marked `type`.
    const clause = m[2].trim();
    const typeOnly = clause.startsWith('type ') || (/^\{[^}]*\}$/s.test(clause) && clause.slice(1, -1).split(',').map((s) => s.trim()).filter(Boolean).every((s) => s.startsWith('type ')));
    add(m[3], typeOnly);
  }
  for (const m of text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) add(m[1], false);
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) add(m[1], false);
  const out: Edge[] = [];
  for (const [spec, typeOnly] of specs) {
    if (!spec.startsWith('.')) continue;
    const base = path.resolve(path.dirname(file), spec);
    const candidates = [base.replace(/\.js$/, '.ts'), `${base}.ts`, path.join(base, 'index.ts')];
    const target = candidates.find((c) => existsSync(c) && statSync(c).isFile());
    if (!target) throw new Error(`${rel(file)}: cannot resolve ${spec}`);
    out.push({ to: target, typeOnly });
  }
  return out;
}

const files = sources(SRC);
const graph = new Map(files.map((f) => [f, importsOf(f)]));
const arrow = (from: string, e: Edge) => `${rel(from)} → ${rel(e.to)}${e.typeOnly ? ' (type)' : ''}`;


describe('the import graph of src/', () => {
  it('knows the floor of every file', () => {
    const unknown = files.filter((f) => Number.isNaN(floorOf(f))).map(rel);
    expect(unknown).toEqual([]);
  });

  it('has no import running up a floor', () => {
    const upward: string[] = [];
    for (const [from, targets] of graph) for (const e of targets) if (floorOf(e.to) > floorOf(from)) upward.push(arrow(from, e));
    expect(upward).toEqual([]);
  });

  it('keeps the edges apart: api/ and workers/ import no repositories, no database and not each other', () => {
    const bad: string[] = [];
    for (const [from, targets] of graph) {
      const a = areaOf(from);
      if (a !== 'api' && a !== 'workers') continue;
      for (const e of targets) {
        const b = areaOf(e.to);
        if (b === 'db' || roleOf(e.to) === 'repository' || (b !== a && (b === 'api' || b === 'workers'))) bad.push(arrow(from, e));
      }
    }
    expect(bad).toEqual([]);
  });

  it('keeps the floors inside a module: a repository imports no service, route or handler; routes and handlers import no repository', () => {
    const bad: string[] = [];
    for (const [from, targets] of graph) {
      if (!moduleOf(from)) continue;
      for (const e of targets) {
        if (!moduleOf(e.to) || moduleOf(e.to) !== moduleOf(from)) continue;
        const [a, b] = [roleOf(from), roleOf(e.to)];
        if ((a === 'repository' && b !== 'repository') || (a === 'edge' && b === 'repository')) bad.push(arrow(from, e));
      }
    }
    expect(bad).toEqual([]);
  });

  it('walls the modules off: another module is reached through its index.ts, with `import type` only', () => {
    const crossings: string[] = [];
    for (const [from, targets] of graph) {
      const a = moduleOf(from);
      if (!a) continue;
      for (const e of targets) {
        const b = moduleOf(e.to);
        if (!b || b === a) continue;
        if (roleOf(e.to) === 'public' && e.typeOnly) continue;
        crossings.push(arrow(from, e));
      }
    }
    // None left: a module that needs another's call gets it injected (a Pick<> of what the other exports through its
    // index.ts), a schema it embeds is handed in by the manifest, and a shared primitive lives in the kernel.
    expect(crossings).toEqual([]);
  });

  it("lets only the container, the demo seed and the manifest import modules' values, through index.ts (and module.ts)", () => {
    const bad: string[] = [];
    for (const [from, targets] of graph) {
      if (moduleOf(from)) continue;
      const r = rel(from);
      for (const e of targets) {
        if (!moduleOf(e.to)) continue;
        const role = roleOf(e.to);
        const ok =
          r === 'modules/index.ts'
            ? role === 'registration'
            : r === 'container.ts'
              ? role === 'public' || role === 'registration'
              : role === 'public' && (e.typeOnly || r === 'seed.ts');
        if (!ok) bad.push(arrow(from, e));
      }
    }
    expect(bad).toEqual([]);
  });

  it('has no circle', () => {
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const stack: string[] = [];
    const visit = (f: string) => {
      state.set(f, 'open');
      stack.push(f);
      for (const { to } of graph.get(f) ?? []) {
        if (state.get(to) === 'open') cycles.push([...stack.slice(stack.indexOf(to)), to].map(rel).join(' → '));
        else if (!state.has(to)) visit(to);
      }
      stack.pop();
      state.set(f, 'done');
    };
    for (const f of files) if (!state.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });

  it('reads the sources it checks', () => {
    // A guard against a regex that silently finds nothing: the container imports from every floor.
    const container = graph.get(path.join(SRC, 'container.ts')) ?? [];
    const areas = new Set(container.map((e) => areaOf(e.to)));
    for (const a of ['modules', 'kernel', 'auth', 'workers', 'db', 'adapters', 'core']) expect(areas.has(a), a).toBe(true);
    expect(container.some((e) => e.typeOnly) && container.some((e) => !e.typeOnly)).toBe(true);
    expect(new Set(files.map(moduleOf)).size).toBeGreaterThan(10);
    expect(files.length).toBeGreaterThan(50);
  });
});
