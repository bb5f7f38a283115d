// One fuzz child process: `worker.mjs <format> <seed> <from> <count>` runs mutants from..from+count-1
// of one format and prints one JSON line per event: {start: i} before each mutant (so the driver
// knows which one hung or crashed), then {i, outcome, code?, message?, rss}. Outcomes: ok, axon
// (an AxonError with a code), finding (the harness caught something the loader let through),
// trap (a WebAssembly.RuntimeError), other (any other exception), drift (the engine's numbers on a
// fixed model changed after the mutants). Mutant i depends only on (format, seed, i).
import { Rng } from '../../src/runtime/rng.js';
import { AxonError } from '../../src/errors.js';
import { Sequential, layers, Tensor } from '../../src/index.js';
import type { Engine } from '../../src/runtime/engine.js';
import { FORMATS, Finding, loadEngine, cleanupFormats } from './formats.js';

export type Outcome = 'ok' | 'axon' | 'finding' | 'trap' | 'other' | 'drift';
export interface Result { i: number; outcome: Outcome; code?: string; message?: string; rss: number }

/** The outcome of one thrown value. */
export function classify(e: unknown): { outcome: Outcome; code?: string; message: string } {
  if (e instanceof AxonError && typeof e.code === 'string' && e.code) return { outcome: 'axon', code: e.code, message: e.message.slice(0, 300) };
  if (e instanceof Finding) return { outcome: 'finding', message: e.message };
  if (e instanceof WebAssembly.RuntimeError) return { outcome: 'trap', message: String(e.stack ?? e).slice(0, 600) };
  return { outcome: 'other', message: (e instanceof Error ? String(e.stack ?? e) : String(e)).slice(0, 600) };
}

/** A fixed model's predictions: the engine must give the same bits before and after the mutants. */
export async function engineProbe(e: Engine): Promise<() => Promise<boolean>> {
  const m = new Sequential({ inputShape: [12], seed: 77, engine: e });
  m.add(layers.dense({ units: 9, activation: 'tanh' })); m.add(layers.dense({ units: 4, activation: 'softmax' }));
  const x = new Tensor(Float32Array.from({ length: 36 }, (_, i) => Math.sin(i)), [3, 12]);
  const want = new Uint32Array(Float32Array.from((await m.predict(x)).data).buffer);
  return async () => {
    const got = new Uint32Array(Float32Array.from((await m.predict(x)).data).buffer);
    return got.length === want.length && got.every((v, i) => v === want[i]);
  };
}

/** Mutant i of a format, from its seeds (round robin) and an Rng of (seed, i). */
export function mutant<S>(seeds: S[], mutate: (r: Rng, s: S) => S, seed: number, i: number): S {
  const r = new Rng((seed * 0x9e3779b1 + i * 0x85ebca6b) >>> 0);
  return mutate(r, seeds[i % seeds.length]);
}

async function main(): Promise<void> {
  const [name, seedArg, fromArg, countArg] = process.argv.slice(2);
  const f = FORMATS[name];
  if (!f) throw new Error(`fuzz worker: unknown format ${name}`);
  const seed = Number(seedArg), from = Number(fromArg), count = Number(countArg);
  const e = await loadEngine();
  const same = await engineProbe(e);
  const seeds = await f.seeds(e);
  const out = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');
  for (let i = from; i < from + count; i++) {
    out({ start: i });
    let res: Omit<Result, 'rss' | 'i'>;
    try {
      const input = mutant(seeds, f.mutate, seed, i);
      await f.run(e, input);
      res = { outcome: 'ok' };
    } catch (err) { res = classify(err); }
    if ((i - from) % 50 === 49 || i === from + count - 1) if (!(await same())) res = { outcome: 'drift', message: 'the probe model computes different numbers after this mutant' };
    out({ i, ...res, rss: process.resourceUsage().maxRSS * 1024 });
  }
  cleanupFormats();
}

if (process.argv[1]?.endsWith('worker.mjs')) main().catch((e) => { console.error(e); process.exit(1); });
