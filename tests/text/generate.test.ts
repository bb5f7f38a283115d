// Sampling and generation (issue 15, Generation): greedy is the argmax chain of the full causal
// forward; top-k and top-p draw only from their candidate sets, at the renormalized frequencies;
// the KV-cache wiring generates exactly what the full recompute generates; seeds are deterministic.
import { describe, it, expect, beforeAll } from 'vitest';
import { Tensor, AxonError } from '../../src/index.js';
import { causalLm, copyLmWeights } from '../../src/text/lm.js';
import { generate, sampleNext, candidates } from '../../src/text/generate.js';
import { Rng } from '../../src/runtime/rng.js';
import type { Engine } from '../../src/runtime/engine.js';
import { engine } from '../helpers.js';

let e: Engine;
beforeAll(async () => { e = await engine(); });
const CFG = { vocab: 13, maxLength: 16, dim: 8, heads: 2, ff: 16, layers: 2 };
const I = (v: number[]) => new Tensor(Int32Array.from(v), [1, v.length], 'i32');
const draws = (logits: number[], o: Parameters<typeof sampleNext>[1], n: number, seed = 1) => { const r = new Rng(seed), c = new Array(logits.length).fill(0); for (let i = 0; i < n; i++) c[sampleNext(logits, o, r)]++; return c; };

describe('sampling', () => {
  const logits = [0.1, 2.0, -1.0, 1.5, 0.7, 1.9, -3.0];   // order: 1, 5, 3, 4, 0, 2, 6
  it('greedy takes the argmax (the first on ties)', () => {
    expect(sampleNext(logits, {}, new Rng(0))).toBe(1);
    expect(sampleNext([1, 3, 3, 0], { strategy: 'greedy' }, new Rng(0))).toBe(1);
  });
  it('top-k never samples outside the k best, and samples each at its renormalized probability', () => {
    const c = draws(logits, { strategy: 'topK', k: 3 }, 20000);
    expect(c[0] + c[2] + c[4] + c[6]).toBe(0);
    const z = Math.exp(2.0) + Math.exp(1.9) + Math.exp(1.5);
    for (const i of [1, 5, 3]) expect(Math.abs(c[i] / 20000 - Math.exp(logits[i]) / z)).toBeLessThan(0.015);
  });
  it('top-p keeps the smallest most-likely set reaching p (the nucleus)', () => {
    const lp = [0.5, 0.3, 0.15, 0.05].map(Math.log);
    expect(candidates(lp, { strategy: 'topP', p: 0.75 }).ids).toEqual([0, 1]);
    expect(candidates(lp, { strategy: 'topP', p: 0.8 }).ids).toEqual([0, 1]);
    expect(candidates(lp, { strategy: 'topP', p: 0.81 }).ids).toEqual([0, 1, 2]);
    expect(candidates(lp, { strategy: 'topP', p: 0.3 }).ids).toEqual([0]);
    const c = draws(lp, { strategy: 'topP', p: 0.75 }, 20000);
    expect(c[2] + c[3]).toBe(0);
    expect(Math.abs(c[0] / 20000 - 0.625)).toBeLessThan(0.015);
  });
  it('temperature sharpens (< 1) and flattens (> 1) the distribution', () => {
    const p = (t: number) => candidates(logits, { strategy: 'topK', k: 7, temperature: t }).probs[0];
    expect(p(0.5)).toBeGreaterThan(p(1));
    expect(p(2)).toBeLessThan(p(1));
  });
});

describe('generate', () => {
  it('greedy generation is the argmax chain of the full causal forward, and the KV cache generates the same tokens', async () => {
    const full = causalLm(CFG, 'full', { seed: 7, engine: e }), step = copyLmWeights(full, causalLm(CFG, 'step', { engine: e }));
    const prompt = [4, 2, 9], got = await generate(step, prompt, { maxNewTokens: 8 });
    expect(got).toHaveLength(8);
    const seq = [...prompt];
    for (const t of got) {
      const ys = (await full.predict({ ids: I(seq), positions: I(seq.map((_, i) => i)), mask: I(seq.map(() => 1)) })) as Record<string, Tensor>;
      const last = Array.from(ys['head'].data.subarray((seq.length - 1) * CFG.vocab));
      expect(t).toBe(last.indexOf(Math.max(...last)));
      seq.push(t);
    }
    expect(await generate(full, prompt, { maxNewTokens: 8 })).toEqual(got);
  });

  it('sampling is deterministic per seed, the same with and without the cache, and stops at eos and at maxLength', async () => {
    const full = causalLm(CFG, 'full', { seed: 8, engine: e }), step = copyLmWeights(full, causalLm(CFG, 'step', { engine: e }));
    const o = { maxNewTokens: 10, strategy: 'topK' as const, k: 6, temperature: 3, seed: 42 };
    const a = await generate(step, [1, 2], o);
    expect(await generate(step, [1, 2], o)).toEqual(a);
    expect(await generate(full, [1, 2], o)).toEqual(a);
    const others = await Promise.all([1, 2, 3].map((seed) => generate(step, [1, 2], { ...o, seed })));
    expect(others.some((b) => b.join() !== a.join())).toBe(true);
    const cut = await generate(step, [1, 2], { ...o, eos: a[3] });
    expect(cut).toEqual(a.slice(0, a.indexOf(a[3]) + 1));
    expect(await generate(step, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], { ...o, maxNewTokens: 50 })).toHaveLength(CFG.maxLength - 10);
    const nucleus = await generate(step, [3], { maxNewTokens: 6, strategy: 'topP', p: 0.9, seed: 5 });
    expect(nucleus).toEqual(await generate(full, [3], { maxNewTokens: 6, strategy: 'topP', p: 0.9, seed: 5 }));
  });

  it('bad options and prompts are refused with AxonError', async () => {
    const m = causalLm(CFG, 'step', { seed: 1, engine: e });
    for (const bad of [{ strategy: 'beam' }, { strategy: 'topK' }, { strategy: 'topK', k: 99 }, { strategy: 'topP', p: 0 }, { temperature: 0 }, { maxNewTokens: -1 }])
      await expect(generate(m, [1], { maxNewTokens: 2, ...bad } as never)).rejects.toThrow(AxonError);
    await expect(generate(m, [], { maxNewTokens: 2 })).rejects.toThrow(/prompt is empty/);
    await expect(generate(m, [99], { maxNewTokens: 2 })).rejects.toThrow(/ids/);
  });
});
