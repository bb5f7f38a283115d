// A short seeded run of the fuzz campaign (scripts/fuzz.mjs runs the long one in child processes):
// mutants of every import format, and of WASI bundles both as corrupted and re-sealed with a valid
// checksum (so the WASI program's own plan checks meet them), and of tokenizer.json files, in this process. Each must give success or an AxonError with a
// code (no other exception, no wasm trap, nothing the harness flags), and afterwards the engine
// must compute the same bits on a fixed model as before.
import { describe, it, expect, beforeAll } from 'vitest';
import { FORMATS, loadEngine } from '../../scripts/fuzz/formats.js';
import { classify, engineProbe, mutant } from '../../scripts/fuzz/worker.js';
import type { Engine } from '../../src/runtime/engine.js';

const SEED = 14, N = 120;
let e: Engine, same: () => Promise<boolean>;
beforeAll(async () => { e = await loadEngine(); same = await engineProbe(e); });

describe('seeded fuzz: success or AxonError, and the engine unchanged', () => {
  for (const name of ['axon', 'onnx', 'tfjs-layers', 'tfjs-graph', 'wasi', 'wasi-sealed', 'tokenizer']) {
    it(`${name}: ${N} mutants`, async () => {
      const f = FORMATS[name], seeds = await f.seeds(e), bad: string[] = [];
      let seedsRun = 0;   // unmutated seeds that load and run: the harness exercises the real path
      for (const s of seeds) seedsRun += await f.run(e, s).then(() => 1, () => 0);
      expect(seedsRun, 'seeds that load and run').toBeGreaterThan(0);
      let refused = 0;
      for (let i = 0; i < N; i++) {
        try { await f.run(e, mutant(seeds, f.mutate, SEED, i)); } catch (err) {
          const c = classify(err);
          if (c.outcome !== 'axon') bad.push(`#${i} ${c.outcome}: ${c.message.split('\n')[0]}`); else refused++;
        }
      }
      expect(bad, bad.join('\n')).toEqual([]);
      expect(refused, 'mutants are refused').toBeGreaterThan(0);
      expect(await same(), 'the probe model computes the same bits').toBe(true);
    });
  }
});
