// The house rules on imports: the data flow is one line (src/ never imports targets/), and no host
// modules import each other in a circle (type-only imports count: they are still an edge of the design).
import { it, expect } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, dirname, resolve, relative } from 'node:path';

const root = resolve(new URL('../..', import.meta.url).pathname);
const files = (dir: string): string[] => readdirSync(dir).flatMap((n) => {
  const p = join(dir, n);
  return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') && !p.endsWith('.d.ts') ? [p] : [];
});
/** module → the project modules it imports (relative specifiers, .js → .ts) */
function graph(dirs: string[]): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const f of dirs.flatMap((d) => files(join(root, d)))) {
    const src = readFileSync(f, 'utf8'), deps: string[] = [];
    for (const m of src.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'(\.[^']+)'/gm)) deps.push(relative(root, resolve(dirname(f), m[1].replace(/\.js$/, '.ts'))));
    g.set(relative(root, f), deps);
  }
  return g;
}
/** Strongly connected components with more than one module (Tarjan). */
function cycles(g: Map<string, string[]>): string[][] {
  let k = 0;
  const index = new Map<string, number>(), low = new Map<string, number>(), stack: string[] = [], on = new Set<string>(), out: string[][] = [];
  const visit = (v: string) => {
    index.set(v, k); low.set(v, k++); stack.push(v); on.add(v);
    for (const w of g.get(v) ?? []) {
      if (!g.has(w)) continue;
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const c: string[] = [];
      for (let w = ''; w !== v;) { w = stack.pop()!; on.delete(w); c.push(w); }
      if (c.length > 1) out.push(c.sort());
    }
  };
  for (const v of g.keys()) if (!index.has(v)) visit(v);
  return out;
}

it('src/ never imports targets/ (the host sits below the targets)', () => {
  const up = [...graph(['src'])].flatMap(([f, deps]) => deps.filter((d) => d.startsWith('targets/')).map((d) => `${f} → ${d}`));
  expect(up).toEqual([]);
});

it('no import circles among the host modules and the Node target', () => {
  expect(cycles(graph(['src', 'targets/node']))).toEqual([]);
});

it('the checker sees a circle when there is one', () => {
  expect(cycles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]))).toEqual([['a', 'b', 'c']]);
});
