// What the browser and Workers runners execute inside their host: every conformance case on one
// engine (the build the runner asked for), with each result's SHA-256 and values as plain JSON
// (f32 → JSON number → f32 is exact), for the Node side to compare bit for bit (compare.ts).
import type { Engine } from '../../../src/runtime/engine.js';
import { CASES, runJsHost, sha256 } from './cases.js';

export interface HostResults { build: string; cases: Record<string, { sha256: string; values: number[] }> }

export async function runAll(engine: Engine): Promise<HostResults> {
  const cases: HostResults['cases'] = {};
  for (const c of CASES) {
    const out = await runJsHost(c, engine);
    cases[c.name] = { sha256: await sha256(out), values: Array.from(out) };
  }
  return { build: engine.build, cases };
}
