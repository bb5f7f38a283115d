// int8 sequence models: QConv1D within 1 LSB of a float64 dequantize → conv → quantize reference;
// QGRUDynamic (int8 W_ih / W_hh, dynamic activations) against the f32 GRU at several batch sizes,
// with h0, returnSequences and returnState; static PTQ of a Conv1D → Conv1D → GRU → Dense classifier
// (the IMU model's shape): which layers become int8, outputs within a stated tolerance of f32, the
// model file (smaller, round trip to identical predictions).
import { describe, it, expect, beforeAll } from 'vitest';
import { Model, Sequential, Tensor, layers, modelToBytes, modelFromBytes, decodeSafetensors } from '../../src/index.js';
import { Engine } from '../../src/runtime/engine.js';
import { quantizeModel, QConv1D, Quantize, Dequantize, QParams, quantizeWeights, quantizeBias, fusedClamp } from '../../src/quant/index.js';
import { engine, randn } from '../helpers.js';

let e: Engine;
beforeAll(async () => { e = await engine(); });

const QIN: QParams = { scale: Math.fround(0.02), zeroPoint: -5 };
function rte(v: number): number { const r = Math.round(v); return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r; }
const quant = (v: number, q: QParams) => Math.min(127, Math.max(-128, rte(v / q.scale) + q.zeroPoint));
function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('int8 sequence layers', () => {
  it('QConv1D (kernel 5, stride 2, same padding, fused ReLU) is within 1 LSB of dequantize → conv → quantize', async () => {
    const [N, T, C, OC, K, S] = [3, 19, 6, 8, 5, 2];
    const wf = randn(K * C * OC, 2, 0.3), bf = randn(OC, 3, 0.5), x = randn(N * T * C, 4);
    const ohwi = new Float32Array(wf.length);   // (1, K, C, OC) → (OC, 1, K, C)
    for (let i = 0; i < K * C; i++) for (let o = 0; o < OC; o++) ohwi[o * K * C + i] = wf[i * OC + o];
    const q = quantizeWeights(ohwi, OC, false, 8), qb = quantizeBias(bf, QIN.scale, q.scale), qout = { scale: Math.fround(0.05), zeroPoint: -100 };
    const layer = new QConv1D({ filters: OC, kernelSize: [1, K], strides: [1, S], padding: 'same', activation: 'relu', name: 'qc', quant: { input: QIN, output: qout } });
    const m = new Sequential({ inputShape: [T, C], engine: e });
    m.add(new Quantize({ quant: { output: QIN } })).add(layer).add(new Dequantize({ quant: { input: qout } }));
    m.setWeights({ 'qc.weight': q.q, 'qc.weight.scale': q.scale, 'qc.weight.zero_point': new Int8Array(OC), 'qc.bias': qb });
    const y = (await m.predict(new Tensor(x, [N, T, C]))).data as Float32Array;
    // 'same', stride 2: T 19 → OT 10, total pad 3 (1 before, 2 after)
    const OT = Math.ceil(T / S), padL = Math.floor(Math.max((OT - 1) * S + K - T, 0) / 2), [qmin] = fusedClamp('relu', qout);
    expect(layer.outputShape).toEqual([OT, OC]);
    let worst = 0;
    for (let n = 0; n < N; n++) for (let ot = 0; ot < OT; ot++) for (let o = 0; o < OC; o++) {
      let s = qb[o] * QIN.scale * q.scale[o];
      for (let k = 0; k < K; k++) for (let c = 0; c < C; c++) {
        const it = ot * S - padL + k;
        if (it >= 0 && it < T) s += (quant(x[(n * T + it) * C + c], QIN) - QIN.zeroPoint) * QIN.scale * q.q[(o * K + k) * C + c] * q.scale[o];
      }
      const want = (Math.max(qmin, quant(s, qout)) - qout.zeroPoint) * qout.scale;
      worst = Math.max(worst, Math.abs(y[(n * OT + ot) * OC + o] - want) / qout.scale);
    }
    expect(worst, 'LSB off').toBeLessThanOrEqual(1.0001);
  });

  it('QGRUDynamic (dynamic mode) follows the f32 GRU: h0 input, all states and h_n out, batches 1, 3 and 8', async () => {
    const H = 12, T = 9, I = 5;
    const f32 = new Model({ inputs: [{ name: 'seq', shape: [T, I] }, { name: 'h0', shape: [H] }], outputs: ['rnn', 'rnn:1'], seed: 5, engine: e });
    f32.add(layers.gru({ units: H, returnSequences: true, returnState: true, biasInitializer: 'glorotUniform', name: 'rnn' }), { inputs: ['seq', 'h0'] });
    const q = await quantizeModel(f32, undefined, { mode: 'dynamic' });
    expect(q.layers.map((l) => l.type)).toEqual(['qgruDynamic']);
    for (const n of [1, 3, 8]) {
      const feeds = [new Tensor(randn(n * T * I, 10 + n), [n, T, I]), new Tensor(randn(n * H, 20 + n, 0.5), [n, H])];
      const [af, hf] = (await f32.predict(feeds)) as Tensor[], [aq, hq] = (await q.predict(feeds)) as Tensor[];
      expect(aq.shape).toEqual([n, T, H]);
      // int8 weights and activations: measured max |diff| 0.005-0.009 on states in (-1, 1)
      expect(maxDiff(aq.data, af.data), `batch ${n}: states`).toBeLessThan(0.03);
      expect(hq.data, 'h_n is the last state').toEqual(Float32Array.from({ length: n * H }, (_, k) => aq.data[Math.floor(k / H) * T * H + (T - 1) * H + (k % H)]));
      expect(maxDiff(hq.data, hf.data)).toBeLessThan(0.03);
    }
    const { model } = modelFromBytes(modelToBytes(q), 'gru.axon', e);
    const feeds = [new Tensor(randn(3 * T * I, 1), [3, T, I]), new Tensor(randn(3 * H, 2), [3, H])];
    expect(((await model.predict(feeds)) as Tensor[])[0].data).toEqual(((await q.predict(feeds)) as Tensor[])[0].data);
  });
});

describe('static PTQ of a Conv1D → Conv1D → GRU → Dense classifier', () => {
  it('Conv1D layers int8 (static), GRU int8 weights (dynamic), head int8; outputs near f32; the file shrinks and round-trips', async () => {
    const T = 64, C = 6, n = 96;
    const f32 = new Sequential({ inputShape: [T, C], seed: 9, engine: e });
    f32.add(layers.conv1d({ filters: 16, kernelSize: 5, strides: 2, padding: 'same', activation: 'relu', name: 'conv1' }))
      .add(layers.conv1d({ filters: 32, kernelSize: 5, strides: 2, padding: 'same', activation: 'relu', name: 'conv2' }))
      .add(layers.gru({ units: 32, name: 'gru' })).add(layers.dense({ units: 6, activation: 'softmax', name: 'head' }));
    // signals with structure (sinusoids per channel at a per-sample frequency) rather than white noise
    const x = Float32Array.from({ length: n * T * C }, (_, k) => {
      const s = Math.floor(k / (T * C)), t = Math.floor(k / C) % T, c = k % C;
      return Math.sin((t * (1 + (s % 5)) * 0.2) + c) * (1 + c / 3) + 0.1 * Math.sin(k * 12.9898);
    });
    const xs = new Tensor(x, [n, T, C]);
    const q = await quantizeModel(f32, xs.slice(0, 64));
    expect(q.layers.map((l) => l.type)).toEqual(['quantize', 'qconv1d', 'qconv1d', 'dequantize', 'qgruDynamic', 'quantize', 'qdense', 'activation']);
    const [pf, pq] = [(await f32.predict(xs)).data, (await q.predict(xs)).data];
    // softmax outputs of an untrained net (near uniform): measured max |diff| 0.0016; the trained IMU
    // model's accuracy is in models/imu/README.md
    expect(maxDiff(pq, pf)).toBeLessThan(0.01);
    const bytes = modelToBytes(q), { tensors } = decodeSafetensors(bytes, 'q');
    expect(['conv1.weight', 'conv2.weight', 'gru.ih_weight', 'gru.hh_weight', 'head.weight'].map((k) => tensors.get(k)?.dtype)).toEqual(['I8', 'I8', 'I8', 'I8', 'I8']);
    expect(tensors.get('gru.hh_weight')!.shape).toEqual([96, 32]);
    expect(bytes.length * 2).toBeLessThan(modelToBytes(f32).length);
    const { model } = modelFromBytes(bytes, 'q.axon', e);
    expect((await model.predict(xs)).data).toEqual(pq);
  });
});
