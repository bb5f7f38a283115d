// Recurrent layers (SimpleRNN, LSTM, GRU, Bidirectional) wired into models: shapes and PyTorch
// parameter names, forward outputs against float64 implementations of PyTorch's formulas written
// here, whole-model gradient checks (central differences through the wasm forward), learning a
// sequence task, save/load, and gradient clipping by norm.
import { describe, it, expect, beforeAll } from 'vitest';
import { Sequential, layers, Tensor, modelToBytes, modelFromBytes, AxonError } from '../../src/index.js';
import { Engine } from '../../src/runtime/engine.js';
import { Rng } from '../../src/runtime/rng.js';
import { engine, randn, randInt } from '../helpers.js';
import { checkModelGradients } from './model-gradcheck.js';

let e: Engine;
beforeAll(async () => { e = await engine(); });

type Cell = 'simpleRnn' | 'lstm' | 'gru';
const CELLS: Cell[] = ['simpleRnn', 'lstm', 'gru'];
const G: Record<Cell, number> = { simpleRnn: 1, lstm: 4, gru: 3 };
const sig = (v: number) => 1 / (1 + Math.exp(-v));

interface W { wih: Float32Array; whh: Float32Array; bih: Float32Array; bhh: Float32Array }

/**
 * torch.nn.RNN/LSTM/GRU (batch_first) in float64, zero initial state: hidden states (N, T, H).
 * x_t W_ih^T + b_ih and h W_hh^T + b_hh per gate block; LSTM i, f, g, o; GRU r, z, n with
 * n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) n + z h.
 */
function torchRef(cell: Cell, x: Float32Array, N: number, T: number, I: number, H: number, w: W): Float64Array {
  const out = new Float64Array(N * T * H);
  const lin = (m: Float32Array, b: Float32Array, v: ArrayLike<number>, K: number, row: number) => {
    let s = b[row];
    for (let k = 0; k < K; k++) s += m[row * K + k] * v[k];
    return s;
  };
  for (let n = 0; n < N; n++) {
    let h = new Float64Array(H), c = new Float64Array(H);
    for (let t = 0; t < T; t++) {
      const xt = x.subarray((n * T + t) * I, (n * T + t + 1) * I);
      const gi = (r: number) => lin(w.wih, w.bih, xt, I, r), gh = (r: number) => lin(w.whh, w.bhh, h, H, r);
      const hn = new Float64Array(H), cn = new Float64Array(H);
      for (let j = 0; j < H; j++) {
        if (cell === 'simpleRnn') hn[j] = Math.tanh(gi(j) + gh(j));
        else if (cell === 'lstm') {
          const a = (k: number) => gi(k * H + j) + gh(k * H + j);
          const ig = sig(a(0)), fg = sig(a(1)), gg = Math.tanh(a(2)), og = sig(a(3));
          cn[j] = fg * c[j] + ig * gg;
          hn[j] = og * Math.tanh(cn[j]);
        } else {
          const r = sig(gi(j) + gh(j)), z = sig(gi(H + j) + gh(H + j));
          const nn = Math.tanh(gi(2 * H + j) + r * gh(2 * H + j));
          hn[j] = (1 - z) * nn + z * h[j];
        }
      }
      h = hn; c = cn;
      out.set(h, (n * T + t) * H);
    }
  }
  return out;
}

const reverseTime = (x: ArrayLike<number>, N: number, T: number, F: number) => {
  const y = new Float64Array(N * T * F);
  for (let n = 0; n < N; n++) for (let t = 0; t < T; t++) for (let f = 0; f < F; f++) y[(n * T + t) * F + f] = x[(n * T + (T - 1 - t)) * F + f];
  return y;
};

/** PyTorch-style weights (uniform ±1/sqrt(H)) for one direction, keyed by Axon parameter names. */
function torchWeights(cell: Cell, I: number, H: number, seed: number, sfx = ''): { w: W; named: Map<string, Float32Array> } {
  const r = new Rng(seed), k = 1 / Math.sqrt(H), GH = G[cell] * H;
  const u = (n: number) => Float32Array.from({ length: n }, () => (r.uniform() * 2 - 1) * k);
  const w = { wih: u(GH * I), whh: u(GH * H), bih: u(GH), bhh: u(GH) };
  return { w, named: new Map([[`weight_ih${sfx}`, w.wih], [`weight_hh${sfx}`, w.whh], [`bias_ih${sfx}`, w.bih], [`bias_hh${sfx}`, w.bhh]]) };
}
const prefixed = (layer: string, m: Map<string, Float32Array>) => new Map([...m].map(([k, v]) => [`${layer}.${k}`, v]));

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

describe('recurrent layers: shapes and parameters', () => {
  it('stacks, returns sequences, and merges bidirectional directions', () => {
    const m = new Sequential({ inputShape: [7, 3] });
    m.add(layers.lstm({ units: 5, returnSequences: true }))
      .add(layers.bidirectional({ layer: layers.gru({ units: 4, returnSequences: true }) }))
      .add(layers.bidirectional({ layer: layers.simpleRnn({ units: 6 }), mergeMode: 'sum' }))
      .add(layers.dense({ units: 2 }));
    expect(m.layers.map((l) => l.outputShape)).toEqual([[7, 5], [7, 8], [6], [2]]);
    expect(m.layers[0].params.map((p) => [p.name, p.shape])).toEqual([['weight_ih', [20, 3]], ['weight_hh', [20, 5]], ['bias_ih', [20]], ['bias_hh', [20]]]);
    expect(m.layers[1].params.map((p) => p.name)).toEqual(['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh', 'weight_ih_reverse', 'weight_hh_reverse', 'bias_ih_reverse', 'bias_hh_reverse']);
    expect(m.layers[1].params[4].shape).toEqual([12, 5]);
    expect(m.paramCount).toBe(4 * 5 * (3 + 5 + 2) + 2 * 3 * 4 * (5 + 4 + 2) + 2 * 6 * (8 + 6 + 2) + 6 * 2 + 2);
    const b = new Sequential({ inputShape: [4, 2] }).add(layers.bidirectional({ layer: layers.lstm({ units: 3 }) }));
    expect(b.outputShape).toEqual([6]);
    const s = new Sequential({ inputShape: [4, 2] }).add(layers.bidirectional({ layer: layers.gru({ units: 3, returnSequences: true }), mergeMode: 'sum' }));
    expect(s.outputShape).toEqual([4, 3]);
  });

  it('rejects bad configurations, naming the layer', () => {
    expect(() => new Sequential({ inputShape: [12] }).add(layers.lstm({ units: 4 }))).toThrowError(/lstm_1: lstm expects inputs of shape \[steps, features\].*Reshape/);
    expect(() => layers.gru({ units: 0 })).toThrowError(AxonError);
    expect(() => layers.simpleRnn({ units: 2, activation: 'relu' as 'tanh' })).toThrowError(/computes 'tanh'/);
    expect(() => layers.bidirectional({ layer: layers.dense({ units: 2 }) as never })).toThrowError(/simpleRnn, lstm or gru/);
    expect(() => layers.bidirectional({ layer: layers.lstm({ units: 2 }), mergeMode: 'mul' as 'sum' })).toThrowError(/mergeMode/);
  });
});

describe('recurrent layers: forward matches PyTorch formulas (float64)', () => {
  const T = 6, I = 3, H = 5;
  it.each(CELLS.flatMap((c) => [1, 4].map((N) => [c, N] as const)))('%s, batch %i, all states and the last', async (cell, N) => {
    const { named, w } = torchWeights(cell, I, H, 11);
    const x = randn(N * T * I, 2);
    const want = torchRef(cell, x, N, T, I, H, w);
    for (const returnSequences of [true, false]) {
      const m = new Sequential({ inputShape: [T, I], engine: e }).add(layers[cell]({ units: H, returnSequences, name: 'rec' }));
      m.setWeights(prefixed('rec', named));
      const y = (await m.predict(new Tensor(x, [N, T, I]))).data;
      const ref = returnSequences ? want : Float64Array.from({ length: N * H }, (_, k) => want[(Math.floor(k / H) * T + T - 1) * H + (k % H)]);
      expect(maxDiff(y, ref), `${cell} returnSequences=${returnSequences}`).toBeLessThan(1e-4);
    }
  });

  it.each(CELLS.flatMap((c) => (['concat', 'sum'] as const).map((mode) => [c, mode] as const)))('bidirectional %s, %s', async (cell, mergeMode) => {
    const N = 3, fw = torchWeights(cell, I, H, 21), bw = torchWeights(cell, I, H, 22, '_reverse');
    const x = randn(N * T * I, 3);
    const f = torchRef(cell, x, N, T, I, H, fw.w), b = reverseTime(torchRef(cell, Float32Array.from(reverseTime(x, N, T, I)), N, T, I, H, bw.w), N, T, H);
    for (const returnSequences of [true, false]) {
      const m = new Sequential({ inputShape: [T, I], engine: e }).add(layers.bidirectional({ layer: layers[cell]({ units: H, returnSequences }), mergeMode, name: 'bi' }));
      m.setWeights(prefixed('bi', new Map([...fw.named, ...bw.named])));
      const y = (await m.predict(new Tensor(x, [N, T, I]))).data;
      const W = mergeMode === 'concat' ? 2 * H : H, steps = returnSequences ? T : 1;
      const ref = new Float64Array(N * steps * W);
      for (let n = 0; n < N; n++) for (let s = 0; s < steps; s++) for (let j = 0; j < H; j++) {
        // last output: forward state after step T-1, backward state after the reversed pass (at input step 0)
        const tf = returnSequences ? s : T - 1, tb = returnSequences ? s : 0;
        const vf = f[(n * T + tf) * H + j], vb = b[(n * T + tb) * H + j], o = (n * steps + s) * W;
        if (mergeMode === 'concat') { ref[o + j] = vf; ref[o + H + j] = vb; } else ref[o + j] = vf + vb;
      }
      expect(maxDiff(y, ref), `returnSequences=${returnSequences}`).toBeLessThan(1e-4);
    }
  });
});

describe('recurrent layers: training', () => {
  // cell, merge mode of the bidirectional second layer, its returnSequences, batch (1: no layout moves)
  const GRAD_CASES: [Cell, 'concat' | 'sum', boolean, number][] = [['simpleRnn', 'concat', true, 4], ['lstm', 'sum', true, 3], ['gru', 'concat', false, 4], ['lstm', 'sum', false, 1], ['gru', 'concat', true, 1]];
  it.each(GRAD_CASES)('whole-model gradients match central differences of the loss (%s, bidirectional %s, returnSequences %s, batch %i)', async (cell, mergeMode, seq, B) => {
    const T = 5, I = 3;
    const m = new Sequential({ inputShape: [T, I], seed: 7, engine: e });
    m.add(layers[cell]({ units: 4, returnSequences: true, name: 'first' }))
      .add(layers.bidirectional({ layer: layers[cell]({ units: 3, returnSequences: seq }), mergeMode, name: 'bi' }));
    if (seq) m.add(layers.flatten());
    m.add(layers.dense({ units: 3, activation: 'softmax' }));
    m.compile({ optimizer: { type: 'sgd', lr: 0 }, loss: 'sparseCategoricalCrossentropy' });
    const x = new Tensor(randn(B * T * I, 5), [B, T, I]), y = new Tensor(randInt(B, 3, 6), [B]);
    const names = ['first.weight_ih', 'first.weight_hh', 'first.bias_ih', 'first.bias_hh', 'bi.weight_ih', 'bi.weight_hh_reverse', 'bi.bias_ih_reverse', 'bi.bias_hh'];
    const grads = await checkModelGradients(m, x, y, B, names);
    for (const name of names) expect(grads.get(name)!.some((v) => v !== 0), `${name} has a gradient`).toBe(true);
  });

  it('learns to recall the sign of the first step through noise (LSTM and GRU)', async () => {
    const n = 256, T = 12, r = new Rng(3);
    const x = new Float32Array(n * T), y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      y[i] = i % 2;
      for (let t = 0; t < T; t++) x[i * T + t] = (r.uniform() * 2 - 1) * 0.5;
      x[i * T] = y[i] ? 1 : -1;
    }
    for (const cell of ['lstm', 'gru'] as const) {
      const m = new Sequential({ inputShape: [T, 1], seed: 5, engine: e });
      m.add(layers[cell]({ units: 8 })).add(layers.dense({ units: 2, activation: 'softmax' }));
      m.compile({ optimizer: { type: 'adam', lr: 0.02 }, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
      const h = await m.fit(new Tensor(x, [n, T, 1]), new Tensor(y, [n]), { epochs: 30, batchSize: 32 });
      expect(h.epochs.at(-1)!.accuracy, cell).toBeGreaterThan(0.95);
    }
  });

  it('round-trips a stacked bidirectional model through the model file', async () => {
    const m = new Sequential({ inputShape: [6, 2], seed: 9, engine: e });
    m.add(layers.bidirectional({ layer: layers.lstm({ units: 4, returnSequences: true }) }))
      .add(layers.gru({ units: 3 }))
      .add(layers.dense({ units: 2, activation: 'softmax' }));
    m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const x = new Tensor(randn(8 * 12, 4), [8, 6, 2]);
    await m.fit(x, new Tensor(randInt(8, 2, 3), [8]), { epochs: 2, batchSize: 4 });
    const { model, graph } = modelFromBytes(modelToBytes(m), 'rnn.axon', e);
    expect(graph.layers[0].config).toEqual({ layer: { type: 'lstm', units: 4, returnSequences: true }, mergeMode: 'concat' });
    expect(Array.from((await model.predict(x)).data)).toEqual(Array.from((await m.predict(x)).data));
  });

  it('a frozen recurrent layer keeps its weights and still passes gradients to the layers before it', async () => {
    const m = new Sequential({ inputShape: [5, 2], seed: 6, engine: e });
    m.add(layers.simpleRnn({ units: 4, returnSequences: true }))
      .add(layers.bidirectional({ layer: layers.gru({ units: 3 }), trainable: false }))
      .add(layers.dense({ units: 2, activation: 'softmax' }));
    m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const before = m.getWeights();
    await m.fit(new Tensor(randn(40, 2), [4, 5, 2]), new Tensor(randInt(4, 2, 2), [4]), { epochs: 2, batchSize: 2 });
    const after = m.getWeights();
    for (const [k, v] of before) {
      if (k.startsWith('bidirectional_1.')) expect(Array.from(after.get(k)!), k).toEqual(Array.from(v));
      else expect(Array.from(after.get(k)!), k).not.toEqual(Array.from(v));
    }
  });

  it('clips the global gradient norm of a recurrent model (clipNorm)', async () => {
    const T = 5, B = 6, clip = 0.01, lr = 0.5;
    const make = () => {
      const m = new Sequential({ inputShape: [T, 2], seed: 4, engine: e });
      return m.add(layers.gru({ units: 4, returnSequences: true })).add(layers.lstm({ units: 3 })).add(layers.dense({ units: 2, activation: 'softmax' }));
    };
    const x = new Tensor(randn(B * T * 2, 8), [B, T, 2]), y = new Tensor(randInt(B, 2, 9), [B]);
    const m = make();
    m.compile({ optimizer: { type: 'sgd', lr: 0 }, loss: 'sparseCategoricalCrossentropy' });
    await m.fit(x, y, { epochs: 1, batchSize: B, shuffle: false });
    const s = await m.session(B), before = m.getWeights();
    const g = new Map([...before.keys()].map((k) => [k, s.bound.f32(s.buf(`grad:${k}`)).slice()]));
    const norm = Math.sqrt([...g.values()].reduce((a, v) => a + v.reduce((b, q) => b + q * q, 0), 0));
    expect(norm).toBeGreaterThan(10 * clip);
    m.compile({ optimizer: { type: 'sgd', lr, clipNorm: clip }, loss: 'sparseCategoricalCrossentropy' });
    await m.fit(x, y, { epochs: 1, batchSize: B, shuffle: false });
    const after = m.getWeights();
    let stepSq = 0;
    for (const [k, w0] of before) {
      const w1 = after.get(k)!, gk = g.get(k)!;
      for (let i = 0; i < w0.length; i++) {
        const want = -lr * gk[i] * clip / (norm + 1e-6);
        expect(Math.abs(w1[i] - w0[i] - want), `${k}[${i}]`).toBeLessThan(1e-6 + 1e-3 * Math.abs(want));
        stepSq += (w1[i] - w0[i]) ** 2;
      }
    }
    expect(Math.sqrt(stepSq) / lr).toBeCloseTo(clip, 4);
  });
});
