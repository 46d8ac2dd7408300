import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The shape of src/ as an import graph (type-only imports included): no circle, and no import running up a floor.
 * Floors, from the ground: core/, models/ (and types/) → repositories/, adapters/ → services/ → the two edges, api/ and
 * workers/ → container.ts and entrypoints/. The HTTP edge and the background edge never import repositories, nor each
 * other. Read from the TypeScript sources: no dependency, no build.
 */
const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');

const FLOORS: Record<string, number> = { core: 0, models: 0, types: 0, repositories: 1, adapters: 1, services: 2, api: 3, workers: 3, entrypoints: 4, 'container.ts': 4 };

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sources(full);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [full] : [];
  });
}

const rel = (file: string) => path.relative(SRC, file).split(path.sep).join('/');
const areaOf = (file: string) => rel(file).split('/')[0];

/** Relative specifiers of static imports and re-exports (`import type` too) and dynamic import() calls. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = new Set<string>();
  for (const m of text.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s+['"]([^'"]+)['"]/gms)) specs.add(m[1]);
  for (const m of text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) specs.add(m[1]);
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) specs.add(m[1]);
  const out: string[] = [];
  for (const spec of specs) {
    if (!spec.startsWith('.')) continue;
    const base = path.resolve(path.dirname(file), spec);
    const candidates = [base.replace(/\.js$/, '.ts'), `${base}.ts`, path.join(base, 'index.ts')];
    const target = candidates.find((c) => existsSync(c) && statSync(c).isFile());
    if (!target) throw new Error(`${rel(file)}: cannot resolve ${spec}`);
    out.push(target);
  }
  return out;
}

const files = sources(SRC);
const graph = new Map(files.map((f) => [f, importsOf(f)]));

describe('the import graph of src/', () => {
  it('knows the floor of every top-level area', () => {
    const unknown = [...new Set(files.map(areaOf))].filter((a) => !(a in FLOORS));
    expect(unknown).toEqual([]);
  });

  it('has no import running up a floor', () => {
    const upward: string[] = [];
    for (const [from, targets] of graph) {
      for (const to of targets) if (FLOORS[areaOf(to)] > FLOORS[areaOf(from)]) upward.push(`${rel(from)} → ${rel(to)}`);
    }
    expect(upward).toEqual([]);
  });

  it('keeps the edges apart: api/ and workers/ import no repositories and not each other', () => {
    const bad: string[] = [];
    for (const [from, targets] of graph) {
      const a = areaOf(from);
      if (a !== 'api' && a !== 'workers') continue;
      for (const to of targets) {
        const b = areaOf(to);
        if (b === 'repositories' || (b !== a && (b === 'api' || b === 'workers'))) bad.push(`${rel(from)} → ${rel(to)}`);
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
      for (const to of graph.get(f) ?? []) {
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
    const areas = new Set(container.map(areaOf));
    for (const a of ['services', 'workers', 'repositories', 'adapters', 'core']) expect(areas.has(a), a).toBe(true);
    expect(files.length).toBeGreaterThan(50);
  });
});
