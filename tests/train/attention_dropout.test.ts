// Dropout on the attention probabilities (MultiHeadAttention `dropout`) and the encoder/decoder
// blocks' `dropout`: identity at inference; in training a seeded mask, so the same seed gives the
// same loss; the backward checked against central differences of the training loss, each
// evaluation a fresh model with the same seed (hence the same mask).
import { describe, it, expect, beforeAll } from 'vitest';
import { Model, layers, Tensor, addEncoderBlock } from '../../src/index.js';
import type { Engine } from '../../src/runtime/engine.js';
import { AxonError } from '../../src/errors.js';
import { engine } from '../helpers.js';

let e: Engine;
beforeAll(async () => { e = await engine(); });

const B = 2, T = 5, D = 4, H = 2;
const rnd = (n: number, seed: number, s = 1) => { let x = seed; return Float32Array.from({ length: n }, () => { x = (x * 1103515245 + 12345) % 2147483648; return s * (x / 2147483648 - 0.5) * 2; }); };
const X = new Tensor(rnd(B * T * D, 3), [B, T, D]);
const KEEP = new Tensor(Int32Array.from([1, 1, 1, 1, 0, 1, 1, 1, 1, 1]), [B, T], 'i32');
const Y = new Tensor(rnd(B * T * D, 4, 0.5), [B, T, D]);

function attnModel(rate: number, weights?: Map<string, Float32Array>): Model {
  const m = new Model({ inputs: [{ name: 'x', shape: [T, D] }, { name: 'keep', shape: [T], dtype: 'i32' }], engine: e, seed: 11 });
  m.add(layers.multiHeadAttention({ numHeads: H, mask: true, dropout: rate, name: 'mha' }), { inputs: ['x', 'keep'] });
  if (weights) m.setWeights(weights);
  m.compile({ optimizer: 'sgd', loss: 'mse' });
  return m;
}
const feed = { x: X, keep: KEEP };

describe('MultiHeadAttention dropout', () => {
  it('is the identity at inference and draws a seeded mask in training', async () => {
    const m = attnModel(0.4), w = m.getWeights() as Map<string, Float32Array>;
    const plain = attnModel(0, w);
    const [a, b] = [(await m.predict(feed)) as Record<string, Tensor>, (await plain.predict(feed)) as Record<string, Tensor>];
    expect(Array.from(a.mha.data)).toEqual(Array.from(b.mha.data));
    const l0 = (await plain.gradients(feed, Y)).loss, l1 = (await attnModel(0.4, w).gradients(feed, Y)).loss;
    expect(l1).not.toBe(l0);
    expect((await attnModel(0.4, w).gradients(feed, Y)).loss).toBe(l1);   // same seed, same mask
    expect(() => layers.multiHeadAttention({ numHeads: 2, dropout: 1 })).toThrow(AxonError);
  });

  it('backward = central differences of the training loss (same mask)', async () => {
    const w = attnModel(0.5).getWeights() as Map<string, Float32Array>;
    const { grads } = await attnModel(0.5, w).gradients(feed, Y);
    const lossAt = async (key: string, i: number, h: number) => {
      const w2 = new Map([...w].map(([k, v]) => [k, Float32Array.from(v)]));
      w2.get(key)![i] += h;
      return (await attnModel(0.5, w2).gradients(feed, Y)).loss;
    };
    let worst = 0;
    for (const key of ['mha.q_weight', 'mha.k_weight', 'mha.v_weight', 'mha.o_weight', 'mha.v_bias', 'mha.o_bias']) {
      const g = grads.get(key)!.data, n = Math.min(g.length, 6);
      for (let i = 0; i < n; i++) {
        const j = (i * 7) % g.length, h = 1e-2;
        const num = ((await lossAt(key, j, h)) - (await lossAt(key, j, -h))) / (2 * h);
        const err = Math.abs(num - g[j]);
        worst = Math.max(worst, err);
        expect(err, `${key}[${j}]: numerical ${num}, analytic ${g[j]}`).toBeLessThan(2e-3 * Math.max(1, Math.abs(num)) + 2e-4);
      }
    }
    console.log(`attention dropout: max |numerical - analytic| ${worst.toExponential(2)}`);
  });
});

describe('encoder block dropout', () => {
  const block = (dropout?: number) => {
    const m = new Model({ inputs: [{ name: 'x', shape: [T, D] }, { name: 'keep', shape: [T], dtype: 'i32' }], engine: e, seed: 5 });
    addEncoderBlock(m, { input: 'x', mask: 'keep', heads: H, ff: 8, activation: 'gelu', dropout, name: 'enc' });
    m.compile({ optimizer: 'adam', loss: 'mse' });
    return m;
  };
  it('adds PyTorch\'s dropout sites, trains deterministically and predicts as without them', async () => {
    const m = block(0.1), names = m.layers.map((l) => l.name);
    for (const n of ['enc/attn_drop', 'enc/ff_drop', 'enc/ff2_drop']) expect(names).toContain(n);
    expect((m.layers.find((l) => l.name === 'enc/attn') as unknown as { opts: { dropout: number } }).opts.dropout).toBe(0.1);
    expect(block().layers.map((l) => l.name).some((n) => n.endsWith('_drop'))).toBe(false);
    const w = m.getWeights() as Map<string, Float32Array>;
    const plain = block(); plain.setWeights(w);
    expect(Array.from(((await m.predict(feed)) as Record<string, Tensor>)['enc/out'].data)).toEqual(Array.from(((await plain.predict(feed)) as Record<string, Tensor>)['enc/out'].data));
    const fit = async () => { const a = block(0.1); a.setWeights(w); await a.fit(feed, Y, { epochs: 3, batchSize: 2, shuffle: false, verbose: 0 }); return Array.from((a.getWeights() as Map<string, Float32Array>).get('enc/ff1.kernel') ?? (a.getWeights() as Map<string, Float32Array>).values().next().value!); };
    expect(await fit()).toEqual(await fit());
  });
});
