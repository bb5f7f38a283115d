// Dynamic int8 quantization of a Transformer encoder (issue 15): quantizeModel(mode 'dynamic') on a
// graph with two i32 inputs and an open sequence axis turns Dense and MultiHeadAttention into int8
// layers (per-channel int8 weights, per-call activation ranges), keeps the wiring, inputs and
// outputs, stays close to f32 at every length, keeps a trained classifier's accuracy, and saves and
// loads bit-exact. The int8 projection path is checked against an f64 model of its own arithmetic.
import { describe, it, expect, beforeAll } from 'vitest';
import { Model, layers, Tensor, addEncoderBlock, modelToBytes, modelFromBytes, quantizeModel } from '../../src/index.js';
import { paramBytes } from '../../src/quant/ptq.js';
import { quantizeWeights } from '../../src/quant/scheme.js';
import type { Engine } from '../../src/runtime/engine.js';
import { engine, randn } from '../helpers.js';

let e: Engine;
beforeAll(async () => { e = await engine(); });
const maxAbs = (a: ArrayLike<number>) => { let m = 0; for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i])); return m; };
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => { let m = 0; for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i])); return m; };

function encoder(seed: number, classes = 3): Model {
  const m = new Model({ inputs: [{ name: 'ids', shape: [null], dtype: 'i32', maxShape: [16] }, { name: 'keep', shape: [null], dtype: 'i32', maxShape: [16] }], outputs: ['cls', 'pool'], seed, engine: e });
  m.add(layers.embedding({ inputDim: 30, outputDim: 32, paddingIdx: 0, name: 'tok' }), { inputs: ['ids'] });
  m.add(layers.positionEmbedding({ maxLength: 16, name: 'pos' }));
  let top = addEncoderBlock(m, { input: 'pos', mask: 'keep', heads: 4, ff: 64, activation: 'gelu', name: 'enc1' });
  top = addEncoderBlock(m, { input: top, mask: 'keep', heads: 4, ff: 64, activation: 'gelu', preNorm: true, name: 'enc2' });
  m.add(layers.maskedMeanPooling({ name: 'pool' }), { inputs: [top, 'keep'] });
  return m.add(layers.dense({ units: classes, activation: 'softmax', name: 'cls' }));
}

/** n rows of length L: ids in 1..29 with row-dependent padding; label 1 when token 7 is among the real tokens, else 0 (class 2 unused). */
function data(n: number, L: number, seed: number) {
  const ids = new Int32Array(n * L), keep = new Int32Array(n * L), y = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const len = 2 + ((r * 5 + seed) % (L - 1));
    for (let t = 0; t < len; t++) { ids[r * L + t] = 1 + ((r * 7 + t * 3 + seed + (r % 2) * t) % 29); keep[r * L + t] = 1; }
    y[r] = ids.subarray(r * L, r * L + len).includes(7) ? 1 : 0;
  }
  return { x: { ids: new Tensor(ids, [n, L], 'i32'), keep: new Tensor(keep, [n, L], 'i32') }, y: new Tensor(y, [n]) };
}

describe('dynamic int8 quantization of an encoder', () => {
  it('Dense and attention become int8 layers; inputs, outputs, names and wiring are kept; 3.5x smaller', async () => {
    const f = encoder(3), q = await quantizeModel(f, undefined, { mode: 'dynamic' });
    const types = new Map(q.layers.map((l) => [l.name, l.type]));
    expect(types.get('enc1/attn')).toBe('qmultiHeadAttentionDynamic');
    expect(types.get('enc2/ff1')).toBe('qdenseDynamic');
    expect(types.get('cls')).toBe('qdenseDynamic');
    expect(types.get('enc1/ln1')).toBe('layerNormalization');
    expect(q.inputs.map((i) => [i.name, i.dtype])).toEqual([['ids', 'i32'], ['keep', 'i32']]);
    expect(q.outputNames).toEqual(['cls', 'pool']);
    for (const l of f.layers) expect(q.inputsOf(l.name)).toEqual(f.inputsOf(l.name));
    expect(q.layers.find((l) => l.name === 'enc1/attn')!.params.filter((p) => p.dtype === 'i8').map((p) => p.name)).toEqual(['q_weight', 'q_weight.zero_point', 'k_weight', 'k_weight.zero_point', 'v_weight', 'v_weight.zero_point', 'o_weight', 'o_weight.zero_point']);
    const linear = f.layers.filter((l) => l.type === 'dense' || l.type === 'multiHeadAttention').reduce((s, l) => s + l.params.reduce((a, p) => a + p.shape.reduce((x, y) => x * y, 1), 0), 0);
    expect(paramBytes(f) - paramBytes(q)).toBeGreaterThan(linear * 2.5);   // int8 weights: ~3 of every 4 bytes of the linear layers saved
  });

  it('close to f32 at two lengths, and the int8 projections compute what their arithmetic says', async () => {
    const f = encoder(4), q = await quantizeModel(f, undefined, { mode: 'dynamic' });
    for (const L of [6, 13]) {
      const { x } = data(5, L, L), a = await f.predict(x), b = await q.predict(x);
      const d = maxDiff(a.pool.data, b.pool.data), scale = maxAbs(a.pool.data);
      expect(d / scale, `L=${L}: pooled features, max diff ${d} of ${scale}`).toBeLessThan(0.05);
      expect(d, 'int8 really quantizes').toBeGreaterThan(0);
      expect(maxDiff(a.cls.data, b.cls.data), `L=${L}: class probabilities`).toBeLessThan(0.02);
    }
    // one projection alone: a model that is only an attention layer's Q/K/V/O path with all heads
    const m = new Model({ inputs: [{ name: 'x', shape: [4, 8] }], seed: 9, engine: e }).add(layers.multiHeadAttention({ numHeads: 2, name: 'a' }));
    const qm = await quantizeModel(m, undefined, { mode: 'dynamic' });
    const x = new Tensor(randn(2 * 32, 11), [2, 4, 8]);
    const want = int8Reference(m, x.data as Float32Array, 2, 4, 8, 2), got = (await qm.predict(x)).data;
    expect(maxDiff(got, want), 'int8 attention = its f64 model').toBeLessThan(2e-5 * maxAbs(want) + 1e-6);
  });

  it('a trained classifier keeps its accuracy (within 2 points), saves and loads bit-exact', async () => {
    const f = encoder(5, 2);
    f.setOutputs(['cls']);
    f.compile({ optimizer: { type: 'adamw', lr: 3e-3 }, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const train = data(128, 10, 1), test = data(96, 12, 2);
    await f.fit(train.x, train.y, { epochs: 12, batchSize: 16 });
    const accF = (await f.evaluate(test.x, test.y)).accuracy!;
    const q = await quantizeModel(f, undefined, { mode: 'dynamic' }), accQ = (await q.evaluate(test.x, test.y)).accuracy!;
    expect(accF, 'the f32 model learned').toBeGreaterThan(0.8);
    expect(Math.abs(accF - accQ), `f32 ${accF}, int8 ${accQ}`).toBeLessThanOrEqual(0.02);
    const back = modelFromBytes(modelToBytes(q), 'enc-int8.axon', e).model;
    expect(Buffer.from((await back.predict(test.x)).cls.data.buffer).equals(Buffer.from((await q.predict(test.x)).cls.data.buffer))).toBe(true);
  }, 120_000);
});

/**
 * Self-attention with int8 projections in f64: each projection's input quantized asymmetrically
 * with the call's [min, max] (as qs8_quantize_dynamic: scale = (max - min) / 255, zero point
 * round(-128 - min / scale)), weights by quantizeWeights, y = sa * sw * Σ (xq - za) wq + b.
 */
function int8Reference(m: Model, x: Float32Array, B: number, T: number, D: number, H: number): Float32Array {
  const w = m.getParams(), dh = D / H;
  const proj = (inp: Float64Array, p: string) => {
    const W = w.get(`a.${p}_weight`) as Float32Array, b = w.get(`a.${p}_bias`) as Float32Array, N = b.length, K = W.length / N;
    const q = quantizeWeights(W, N, false, 8);
    let lo = 0, hi = 0;
    for (const v of inp) { lo = Math.min(lo, Math.fround(v)); hi = Math.max(hi, Math.fround(v)); }
    const sa = Math.fround((hi - lo) / 255) || 1, za = Math.max(-128, Math.min(127, Math.round(-128 - lo / sa)));
    const xq = Array.from(inp, (v) => Math.max(-128, Math.min(127, Math.round(Math.fround(v) / sa) + za)));
    const out = new Float64Array((inp.length / K) * N);
    for (let r = 0; r < inp.length / K; r++) for (let n = 0; n < N; n++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += (xq[r * K + k] - za) * q.q[n * K + k];
      out[r * N + n] = sa * q.scale[n] * s + b[n];
    }
    return out;
  };
  const X = Float64Array.from(x), Q = proj(X, 'q'), Kk = proj(X, 'k'), V = proj(X, 'v'), ctx = new Float64Array(B * T * D);
  for (let bb = 0; bb < B; bb++) for (let h = 0; h < H; h++) for (let i = 0; i < T; i++) {
    const s = Array.from({ length: T }, (_, j) => { let a = 0; for (let d = 0; d < dh; d++) a += Q[(bb * T + i) * D + h * dh + d] * Kk[(bb * T + j) * D + h * dh + d]; return a / Math.sqrt(dh); });
    const mx = Math.max(...s), ex = s.map((v) => Math.exp(v - mx)), z = ex.reduce((a, v) => a + v, 0);
    for (let d = 0; d < dh; d++) { let a = 0; for (let j = 0; j < T; j++) a += (ex[j] / z) * V[(bb * T + j) * D + h * dh + d]; ctx[(bb * T + i) * D + h * dh + d] = a; }
  }
  return Float32Array.from(proj(ctx, 'o'));
}
