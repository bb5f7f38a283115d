// The encoder path of issue 15 as it stands: position embeddings, masked mean pooling, and the
// Transformer encoder block against torch.nn.TransformerEncoderLayer (post- and pre-norm, with a
// padding mask); gradients through everything by central differences; a tiny classifier that learns.
import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { Model, layers, Tensor, addEncoderBlock, modelToBytes, modelFromBytes } from '../../src/index.js';
import type { Engine } from '../../src/runtime/engine.js';
import { engine, randn } from '../helpers.js';
import { call, twins, out, inp, idx, EXACT, expectMatch } from '../kernels/kit.js';
import { checkGradients } from './model-gradcheck.js';

const ref = JSON.parse(readFileSync(new URL('../fixtures/torch/attention.json', import.meta.url), 'utf8'));
let e: Engine;
beforeAll(async () => { e = await engine(); });
const T = (n: number, shape: number[], seed: number, scale = 1) => new Tensor(randn(n * shape.reduce((a, b) => a * b, 1), seed, scale), [n, ...shape]);
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => { let m = 0; for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i])); return m; };

describe('masked mean pooling kernels', () => {
  it.each([[1, 1, 1], [2, 3, 4], [3, 5, 7], [2, 4, 13]])('B=%i T=%i D=%i: __simd = __ref = the definition, all-padding rows give zeros', async (B, Tn, D) => {
    const k = await engine(), x = randn(B * Tn * D, 1), dy = randn(B * D, 2);
    const mask = Array.from({ length: B * Tn }, (_, i) => (Math.floor(i / Tn) === 1 ? 0 : i % 3 === 1 ? 0 : 1));
    twins(k, 'f32_masked_mean_fwd', [out(B * D), inp(x), idx(mask), B, Tn, D], EXACT);
    twins(k, 'f32_masked_mean_bwd', [out(randn(B * Tn * D, 3)), inp(dy), idx(mask), B, Tn, D], EXACT);
    const y = call(k, 'f32_masked_mean_fwd__simd', [out(B * D), inp(x), idx(mask), B, Tn, D])[0];
    const want = Array.from({ length: B * D }, (_, j) => {
      const b = Math.floor(j / D), d = j % D; let s = 0, n = 0;
      for (let t = 0; t < Tn; t++) if (mask[b * Tn + t]) { s += x[(b * Tn + t) * D + d]; n++; }
      return n ? s / n : 0;
    });
    expectMatch(y, want, { rtol: 1e-6, atol: 1e-7 }, 'y');
  });
});

describe('sequence layers in models', () => {
  it('sinusoidal positions are the table of Vaswani et al. at any length; learned ones train (central differences)', async () => {
    const m = new Model({ inputs: [{ name: 'x', shape: [null, 6], maxShape: [10, 6] }], engine: e }).add(layers.positionEmbedding({ maxLength: 10, kind: 'sinusoidal', name: 'pos' }));
    for (const L of [3, 7]) {
      const y = await m.predict(new Tensor(new Float32Array(L * 6), [1, L, 6]));
      for (let p = 0; p < L; p++) for (let i = 0; i < 6; i++) {
        const a = p / 10000 ** ((2 * Math.floor(i / 2)) / 6);
        expect(Math.abs(y.data[p * 6 + i] - (i % 2 ? Math.cos(a) : Math.sin(a)))).toBeLessThan(1e-6);
      }
    }
    const l = new Model({ inputs: [{ name: 'x', shape: [4, 3] }], seed: 2, engine: e });
    l.add(layers.dense({ units: 3, name: 'pre' })).add(layers.positionEmbedding({ maxLength: 6, name: 'pos' })).add(layers.flatten()).add(layers.dense({ units: 2, name: 'out' }));
    l.compile({ optimizer: 'sgd', loss: 'mse' });
    await checkGradients(l, T(3, [4, 3], 1), T(3, [2], 2, 0.5), ['pre.weight', 'pos.weight']);
  });

  it('masked mean pooling: gradients reach only the tokens that count', async () => {
    const m = new Model({ inputs: [{ name: 'x', shape: [4, 3] }, { name: 'keep', shape: [4], dtype: 'i32' }], seed: 3, engine: e });
    m.add(layers.dense({ units: 5, activation: 'tanh', name: 'pre' }), { inputs: ['x'] });
    m.add(layers.maskedMeanPooling({ name: 'pool' }), { inputs: ['pre', 'keep'] });
    m.add(layers.dense({ units: 2, name: 'out' }));
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    const keep = new Tensor(Int32Array.from([1, 1, 0, 0, 1, 0, 1, 1, 1, 1, 1, 0]), [3, 4], 'i32');
    await checkGradients(m, { x: T(3, [4, 3], 4), keep }, T(3, [2], 5, 0.5), ['pre.weight', 'pre.bias', 'out.weight']);
  });
});

/** An encoder block named as the fixture's weights (attn, ff1, ff2, ln1, ln2/out). */
function encoder(c: { T: number; D: number; H: number; F: number; normFirst: boolean }): Model {
  const m = new Model({ inputs: [{ name: 'x', shape: [c.T, c.D] }, { name: 'keep', shape: [c.T], dtype: 'i32' }], engine: e });
  const outName = addEncoderBlock(m, { input: 'x', mask: 'keep', heads: c.H, ff: c.F, activation: 'relu', preNorm: c.normFirst, name: 'blk' });
  m.setOutputs([outName]);
  return m;
}

describe('Transformer encoder block = torch.nn.TransformerEncoderLayer', () => {
  for (const c of ref.encoder) {
    it(`${c.normFirst ? 'pre' : 'post'}-norm, B=${c.B} T=${c.T} D=${c.D} heads=${c.H} ff=${c.F}, padding mask`, async () => {
      const m = encoder(c);
      m.setWeights(Object.fromEntries(Object.entries(c.weights).map(([k, v]) => [`blk/${k}`, v as number[]])));
      const feed = { x: Tensor.from(c.x, [c.B, c.T, c.D]), keep: new Tensor(Int32Array.from(c.keep), [c.B, c.T], 'i32') };
      const y = (await m.predict(feed))['blk/out'];
      const d = maxDiff(y.data, c.out);
      console.log(`encoder ${c.normFirst ? 'pre' : 'post'}-norm: max |axon - torch| ${d.toExponential(2)}`);
      expect(d).toBeLessThan(1e-5);
      // a file round trip keeps the block
      const back = modelFromBytes(modelToBytes(m), 'enc.axon', e).model;
      expect(maxDiff((await back.predict(feed))['blk/out'].data, y.data)).toBe(0);
    });
  }

  it.each([false, true])('gradients through a block (preNorm %s) match central differences', async (preNorm) => {
    const m = new Model({ inputs: [{ name: 'x', shape: [3, 4] }, { name: 'keep', shape: [3], dtype: 'i32' }], seed: 8, engine: e });
    const top = addEncoderBlock(m, { input: 'x', mask: 'keep', heads: 2, ff: 6, preNorm, name: 'b' });
    m.add(layers.maskedMeanPooling({ name: 'pool' }), { inputs: [top, 'keep'] }).add(layers.dense({ units: 2, name: 'out' }));
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    const keep = new Tensor(Int32Array.from([1, 1, 1, 1, 1, 0]), [2, 3], 'i32');
    await checkGradients(m, { x: T(2, [3, 4], 9), keep }, T(2, [2], 10, 0.5), ['b/attn.q_weight', 'b/attn.v_weight', 'b/ff1.weight', 'b/ff2.bias', 'b/ln1.weight', 'out.weight']);
  });
});

it('a tiny Transformer classifier learns from token ids (embedding + positions + 2 blocks + masked mean) at two lengths', async () => {
  const m = new Model({ inputs: [{ name: 'ids', shape: [null], dtype: 'i32', maxShape: [12] }, { name: 'keep', shape: [null], dtype: 'i32', maxShape: [12] }], seed: 5, engine: e });
  m.add(layers.embedding({ inputDim: 12, outputDim: 16, paddingIdx: 0, name: 'tok' }), { inputs: ['ids'] });
  m.add(layers.positionEmbedding({ maxLength: 12, name: 'pos' }));
  let top = addEncoderBlock(m, { input: 'pos', mask: 'keep', heads: 2, ff: 32, name: 'enc1' });
  top = addEncoderBlock(m, { input: top, mask: 'keep', heads: 2, ff: 32, preNorm: true, name: 'enc2' });
  m.add(layers.maskedMeanPooling({ name: 'pool' }), { inputs: [top, 'keep'] });
  m.add(layers.dense({ units: 2, activation: 'softmax', name: 'cls' }));
  m.compile({ optimizer: { type: 'adamw', lr: 3e-3 }, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  // class 1 when token 7 occurs among the real tokens (padding: id 0, mask 0)
  const data = (n: number, L: number, seed: number) => {
    const ids = new Int32Array(n * L), keep = new Int32Array(n * L), y = new Int32Array(n);
    for (let r = 0; r < n; r++) {
      const len = 2 + ((r * 5 + seed) % (L - 1));
      for (let t = 0; t < len; t++) { ids[r * L + t] = 1 + ((r * 7 + t * 3 + seed + (r % 2) * t) % 11); keep[r * L + t] = 1; }
      y[r] = ids.subarray(r * L, r * L + len).includes(7) ? 1 : 0;
    }
    return { x: { ids: new Tensor(ids, [n, L], 'i32'), keep: new Tensor(keep, [n, L], 'i32') }, y: new Tensor(y, [n]) };
  };
  const a = data(96, 8, 1), b = data(96, 12, 2);
  let first = 0, last = 0;
  for (let round = 0; round < 6; round++) {
    const h1 = await m.fit(a.x, a.y, { epochs: 2, batchSize: 16 }), h2 = await m.fit(b.x, b.y, { epochs: 2, batchSize: 16 });
    if (round === 0) first = h1.epochs[0].loss;
    last = h2.epochs[1].loss;
  }
  expect(last).toBeLessThan(first * 0.7);
  expect((await m.evaluate(b.x, b.y)).accuracy).toBeGreaterThan(0.75);
}, 120_000);
