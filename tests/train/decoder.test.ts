// Generation, part 1 and 2 of issue 15: the decoder block against torch.nn.TransformerDecoderLayer
// (post- and pre-norm, with and without cross-attention); gradients by central differences; the
// end-aligned causal mask; position ids; the KV cache (incremental logits = the full causal forward).
import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { Model, layers, Tensor, addDecoderBlock, AxonError, modelToBytes, modelFromBytes } from '../../src/index.js';
import { causalLm, copyLmWeights } from '../../src/text/lm.js';
import type { Engine } from '../../src/runtime/engine.js';
import { engine, randn } from '../helpers.js';
import { call, out, inp, idx } from '../kernels/kit.js';
import { checkGradients } from './model-gradcheck.js';

const ref = JSON.parse(readFileSync(new URL('../fixtures/torch/decoder.json', import.meta.url), 'utf8'));
let e: Engine;
beforeAll(async () => { e = await engine(); });
const T = (n: number, shape: number[], seed: number, scale = 1) => new Tensor(randn(n * shape.reduce((a, b) => a * b, 1), seed, scale), [n, ...shape]);
const I = (v: number[], shape: number[]) => new Tensor(Int32Array.from(v), shape, 'i32');
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => { let m = 0; for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i])); return m; };

describe('decoder block = torch.nn.TransformerDecoderLayer', () => {
  for (const c of ref.decoder) {
    it(`${c.normFirst ? 'pre' : 'post'}-norm, ${c.cross ? 'cross-attention to a padded memory' : 'no memory'}, B=${c.B} T=${c.T} D=${c.D}`, async () => {
      const inputs = [{ name: 'x', shape: [c.T, c.D] }, ...(c.cross ? [{ name: 'mem', shape: [c.S, c.D] }, { name: 'keep', shape: [c.S], dtype: 'i32' as const }] : [])];
      const m = new Model({ inputs, engine: e });
      const top = addDecoderBlock(m, { input: 'x', ...(c.cross ? { memory: 'mem', memoryMask: 'keep' } : {}), heads: c.H, ff: c.F, preNorm: c.normFirst, name: 'blk' });
      m.setOutputs([top]);
      const rename = (k: string) => (!c.normFirst && k.startsWith('ln3') ? k.replace('ln3', 'out') : k);   // (post-norm's last norm is the output)
      m.setWeights(Object.fromEntries(Object.entries(c.weights).map(([k, v]) => [`blk/${rename(k)}`, v as number[]])));
      const feed: Record<string, Tensor> = { x: Tensor.from(c.x, [c.B, c.T, c.D]) };
      if (c.cross) { feed.mem = Tensor.from(c.memory, [c.B, c.S, c.D]); feed.keep = I(c.keep, [c.B, c.S]); }
      const y = (await m.predict(feed))[top];
      const d = maxDiff(y.data, c.out);
      console.log(`decoder ${c.normFirst ? 'pre' : 'post'}-norm${c.cross ? ' + cross' : ''}: max |axon - torch| ${d.toExponential(2)}`);
      expect(d).toBeLessThan(1e-5);
      const back = modelFromBytes(modelToBytes(m), 'dec.axon', e).model;
      expect(maxDiff((await back.predict(feed))[top].data, y.data)).toBe(0);
    });
  }

  it.each([false, true])('gradients through a block with cross-attention (preNorm %s) match central differences', async (preNorm) => {
    const m = new Model({ inputs: [{ name: 'x', shape: [3, 4] }, { name: 'mem', shape: [2, 4] }], seed: 8, engine: e });
    const top = addDecoderBlock(m, { input: 'x', memory: 'mem', heads: 2, ff: 6, preNorm, name: 'b' });
    m.add(layers.flatten({ name: 'flat' }), { inputs: [top] }).add(layers.dense({ units: 2, name: 'out' }));
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    await checkGradients(m, { x: T(2, [3, 4], 9), mem: T(2, [2, 4], 11) }, T(2, [2], 10, 0.5),
      ['b/attn.q_weight', 'b/attn.k_weight', 'b/cross.k_weight', 'b/cross.v_bias', 'b/ff1.weight', 'b/ln2.weight', preNorm ? 'b/ln3.bias' : 'b/out.bias', 'out.weight']);
  });
});

describe('causal mask aligned at the end (cached keys before the queries)', () => {
  it.each([[3, 5], [1, 4], [2, 2]])('Tq=%i Tk=%i: query i sees keys j <= i + Tk - Tq, and they sum to 1', async (Tq, Tk) => {
    const B = 2, H = 2, dh = 3, D = H * dh, P = B * H * Tq * Tk;
    for (const isa of ['ref', 'simd']) {
      const p = call(e, `f32_attn_probs__${isa}`, [out(P), inp(randn(B * Tq * D, 1)), inp(randn(B * Tk * D, 2)), idx([0]), B, H, Tq, Tk, dh, 0.5, 1, 0])[0];
      for (let r = 0; r < B * H * Tq; r++) {
        const i = r % Tq, row = Array.from(p.subarray(r * Tk, (r + 1) * Tk));
        row.forEach((v, j) => (j > i + Tk - Tq ? expect(v).toBe(0) : expect(v).toBeGreaterThan(0)));
        expect(Math.abs(row.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-6);
      }
    }
  });
});

describe('position ids', () => {
  it('rows P[pos[t]] are added; learned rows train through the ids (central differences); an id past maxLength is refused', async () => {
    const m = new Model({ inputs: [{ name: 'x', shape: [3, 4] }, { name: 'pos', shape: [3], dtype: 'i32' }], seed: 4, engine: e });
    m.add(layers.dense({ units: 4, name: 'pre' }), { inputs: ['x'] });
    m.add(layers.positionEmbedding({ maxLength: 6, name: 'pe' }), { inputs: ['pre', 'pos'] });
    m.add(layers.flatten()).add(layers.dense({ units: 2, name: 'out' }));
    const x = T(2, [3, 4], 1), pos = I([5, 0, 2, 3, 3, 1], [2, 3]);
    const sin = new Model({ inputs: [{ name: 'x', shape: [3, 4] }, { name: 'pos', shape: [3], dtype: 'i32' }], engine: e });
    sin.add(layers.positionEmbedding({ maxLength: 6, kind: 'sinusoidal', name: 'pe' }), { inputs: ['x', 'pos'] });
    const y = (await sin.predict({ x, pos }))['pe'];
    for (let r = 0; r < 6; r++) for (let i = 0; i < 4; i++) {
      const a = pos.data[r] / 10000 ** ((2 * Math.floor(i / 2)) / 4);
      expect(Math.abs(y.data[r * 4 + i] - x.data[r * 4 + i] - (i % 2 ? Math.cos(a) : Math.sin(a)))).toBeLessThan(1e-6);
    }
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    await checkGradients(m, { x, pos }, T(2, [2], 2, 0.5), ['pre.weight', 'pe.weight']);
    const g = (await m.gradients({ x, pos }, T(2, [2], 2, 0.5))).grads.get('pe.weight')!.data;
    expect(Array.from(g.subarray(4 * 4, 5 * 4)).every((v) => v === 0)).toBe(true);   // position 4 is never fed
    await expect(sin.predict({ x, pos: I([6, 0, 1, 0, 1, 2], [2, 3]) })).rejects.toThrow(AxonError);
    await expect(sin.predict({ x, pos: I([6, 0, 1, 0, 1, 2], [2, 3]) })).rejects.toThrow(/pos/);
  });
});

const CFG = { vocab: 11, maxLength: 12, dim: 8, heads: 2, ff: 16, layers: 2 };
describe('KV cache', () => {
  it('incremental decoding (a 3-token prompt, then one token per step) gives the full causal forward\'s logits within 1e-5', async () => {
    const full = causalLm(CFG, 'full', { seed: 3, engine: e }), step = copyLmWeights(full, causalLm(CFG, 'step', { engine: e }));
    const seq = [3, 1, 4, 1, 5, 9, 2, 6, 5], L = seq.length, V = CFG.vocab, D = CFG.dim;
    const all = I(seq, [1, L]), ones = (n: number) => I(Array(n).fill(1), [1, n]);
    const want = (await full.predict({ ids: all, positions: I(seq.map((_, i) => i), [1, L]), mask: ones(L) }))['head'].data;
    // step 0: the prompt and one placeholder past row (mask 0); then the presents come back as pasts
    let past: Record<string, Tensor> = {};
    for (let i = 0; i < CFG.layers; i++) for (const kv of ['k', 'v']) past[`past_${kv}${i}`] = new Tensor(new Float32Array(D), [1, 1, D]);
    let at = 0, worst = 0;
    for (const n of [3, 1, 1, 1, 1, 1, 1]) {
      const Tp = past.past_k0.shape[1];
      const ys = await step.predict({ ids: I(seq.slice(at, at + n), [1, n]), positions: I(Array.from({ length: n }, (_, i) => at + i), [1, n]), mask: I([0, ...Array(Tp - 1 + n).fill(1)], [1, Tp + n]), ...past }) as Record<string, Tensor>;
      worst = Math.max(worst, maxDiff(ys['head'].data, want.subarray(at * V, (at + n) * V)));
      past = {};
      for (let i = 0; i < CFG.layers; i++) {
        expect(ys[`dec${i}/attn:1`].shape).toEqual([1, Tp + n, D]);
        past[`past_k${i}`] = ys[`dec${i}/attn:1`]; past[`past_v${i}`] = ys[`dec${i}/attn:2`];
      }
      at += n;
    }
    console.log(`KV cache: max |incremental - full| ${worst.toExponential(2)} over ${at} positions`);
    expect(worst).toBeLessThan(1e-5);
  });

  it('gradients through a cached attention reach its weights and the past keys/values (central differences)', async () => {
    const m = new Model({ inputs: [{ name: 'x', shape: [2, 4] }, { name: 'pk', shape: [3, 4] }, { name: 'pv', shape: [3, 4] }], seed: 6, engine: e });
    m.add(layers.dense({ units: 4, name: 'pk_in' }), { inputs: ['pk'] });
    m.add(layers.dense({ units: 4, name: 'pv_in' }), { inputs: ['pv'] });
    m.add(layers.multiHeadAttention({ numHeads: 2, causal: true, cache: true, name: 'attn' }), { inputs: ['x', 'pk_in', 'pv_in'] });
    m.add(layers.flatten({ name: 'f0' }), { inputs: ['attn'] });
    m.add(layers.flatten({ name: 'f1' }), { inputs: ['attn:1'] });
    m.add(layers.concatenate({ name: 'cat' }), { inputs: ['f0', 'f1'] }).add(layers.dense({ units: 2, name: 'out' }));
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    await checkGradients(m, { x: T(2, [2, 4], 1), pk: T(2, [3, 4], 2), pv: T(2, [3, 4], 3) }, T(2, [2], 4, 0.5),
      ['attn.q_weight', 'attn.k_weight', 'attn.v_bias', 'attn.o_weight', 'pk_in.weight', 'pv_in.weight']);
  });

  it('bad past shapes are refused with the layer named', () => {
    const m = new Model({ inputs: [{ name: 'x', shape: [2, 4] }, { name: 'pk', shape: [3, 5] }, { name: 'pv', shape: [3, 5] }], engine: e });
    expect(() => m.add(layers.multiHeadAttention({ numHeads: 2, cache: true, name: 'attn' }), { inputs: ['x', 'pk', 'pv'] })).toThrow(/attn: past keys and values must both be \[steps, 4\]/);
    expect(() => layers.multiHeadAttention({ numHeads: 2, cache: true, cross: true })).toThrow(AxonError);
  });
});
