// Whole models on the threaded build: trained (Adam / AdamW) and run with 1, 2 and 3 threads they
// give bit-identical weights and predictions — a LeNet-like CNN, an MLP (and one at batch 1), a depthwise-separable CNN
// (ReLU6, global pooling), LSTM and GRU over a batch of 32 (the per-step row split), a Transformer
// encoder block (attention, layer norm, GELU) — and int8 versions (static: quantized conv, depthwise
// and Dense; dynamic: int8 Dense with f32 output) predict the same bits. The workers start lazily in
// the middle of training (the first steps run on one thread), so this also checks that a changing
// thread count inside one run changes no bit.
import { describe, it, expect } from 'vitest';
import { Sequential, Model, layers, Tensor, addEncoderBlock } from '../../src/index.js';
import { quantizeModel } from '../../src/quant/index.js';
import { loadEngine } from '../../targets/node/engine.js';
import type { Engine } from '../../src/runtime/engine.js';
import { randn, randInt, BUILD } from '../helpers.js';

type X = Tensor | Record<string, Tensor>;
interface Spec {
  name: string;
  /** the compiled model on engine e */
  build(e: Engine): Model;
  data(): { x: X; y: Tensor };
  batch: number;
  /** an int8 version of the trained model to predict with instead */
  quantize?(m: Model, x: X): Promise<Model>;
}

const seq = (e: Engine, shape: number[]) => new Sequential({ inputShape: shape, seed: 7, engine: e });
const adam = { optimizer: { type: 'adam' as const, lr: 1e-3 }, loss: 'sparseCategoricalCrossentropy' as const };
const images = (n: number, shape: number[]) => ({ x: new Tensor(randn(n * shape.reduce((a, b) => a * b), 1), [n, ...shape]), y: new Tensor(randInt(n, 10, 2), [n]) });

const lenet = (e: Engine) => {
  const m = seq(e, [28, 28, 1]).add(layers.conv2d({ filters: 6, kernelSize: 5, padding: 'same', activation: 'relu' })).add(layers.maxPool2d({ poolSize: 2 }))
    .add(layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' })).add(layers.maxPool2d({ poolSize: 2 }))
    .add(layers.flatten()).add(layers.dense({ units: 120, activation: 'relu' })).add(layers.dense({ units: 10, activation: 'softmax' }));
  m.compile(adam);
  return m;
};
const separable = (e: Engine) => {
  const m = seq(e, [24, 24, 3]).add(layers.conv2d({ filters: 32, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu6' }))
    .add(layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', activation: 'relu6' })).add(layers.conv2d({ filters: 64, kernelSize: 1, activation: 'relu6' }))
    .add(layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'same', activation: 'relu6' })).add(layers.conv2d({ filters: 64, kernelSize: 1, activation: 'relu6' }))
    .add(layers.globalAveragePooling2d()).add(layers.dense({ units: 10, activation: 'softmax' }));
  m.compile(adam);
  return m;
};
const recurrent = (cell: 'lstm' | 'gru') => (e: Engine) => {
  const m = seq(e, [6, 24]).add(layers[cell]({ units: cell === 'lstm' ? 96 : 112 })).add(layers.dense({ units: 10, activation: 'softmax' }));
  m.compile(adam);
  return m;
};
const encoder = (e: Engine) => {
  const m = new Model({ inputs: [{ name: 'x', shape: [64, 128] }, { name: 'keep', shape: [64], dtype: 'i32' }], seed: 7, engine: e });
  const top = addEncoderBlock(m, { input: 'x', mask: 'keep', heads: 2, ff: 256, activation: 'gelu', name: 'enc' });
  m.add(layers.maskedMeanPooling({ name: 'pool' }), { inputs: [top, 'keep'] });
  m.add(layers.dense({ units: 10, activation: 'softmax', name: 'cls' }));
  m.compile({ optimizer: { type: 'adamw', lr: 1e-3 }, loss: 'sparseCategoricalCrossentropy' });
  return m;
};
const sequences = (n: number, T: number, D: number) => {
  const keep = Int32Array.from({ length: n * T }, (_, k) => (k % T < T - (Math.floor(k / T) % 9) ? 1 : 0));
  return { x: { x: new Tensor(randn(n * T * D, 1), [n, T, D]), keep: new Tensor(keep, [n, T], 'i32') }, y: new Tensor(randInt(n, 10, 2), [n]) };
};

const SPECS: Spec[] = [
  { name: 'LeNet-like CNN', build: lenet, data: () => images(192, [28, 28, 1]), batch: 64 },
  { name: 'MLP 784-512-10', build: (e) => { const m = seq(e, [784]).add(layers.dense({ units: 512, activation: 'relu' })).add(layers.dense({ units: 10, activation: 'softmax' })); m.compile(adam); return m; },
    data: () => images(192, [784]), batch: 64 },
  // batch 1: both GEMV forms (the forward's dot products and the input gradient's axpy) split by column blocks
  { name: 'batch-1 MLP 1283-1003-10 (GEMV column blocks)', build: (e) => { const m = seq(e, [1283]).add(layers.dense({ units: 1003, activation: 'relu' })).add(layers.dense({ units: 10, activation: 'softmax' })); m.compile(adam); return m; },
    data: () => images(12, [1283]), batch: 1 },
  { name: 'depthwise-separable CNN (ReLU6, global pooling)', build: separable, data: () => images(96, [24, 24, 3]), batch: 32 },
  { name: 'LSTM(96), batch 32', build: recurrent('lstm'), data: () => images(96, [6, 24]), batch: 32 },
  { name: 'GRU(112), batch 32', build: recurrent('gru'), data: () => images(96, [6, 24]), batch: 32 },
  { name: 'Transformer encoder block (T 64, D 128, 2 heads, GELU, padding mask)', build: encoder, data: () => sequences(64, 64, 128), batch: 32 },
  { name: 'int8 depthwise-separable CNN (static)', build: separable, data: () => images(96, [24, 24, 3]), batch: 32,
    quantize: (m, x) => quantizeModel(m, x as Tensor, { activations: 'minmax' }) },
  { name: 'int8 MLP (dynamic)', build: (e) => { const m = seq(e, [784]).add(layers.dense({ units: 512, activation: 'relu' })).add(layers.dense({ units: 64 })); m.compile({ optimizer: 'adam', loss: 'mse' }); return m; },
    data: () => ({ x: images(192, [784]).x, y: new Tensor(randn(192 * 64, 3), [192, 64]) }), batch: 64, quantize: (m) => quantizeModel(m, undefined, { mode: 'dynamic' }) },
];

const engineOf = (m: Model) => (m as unknown as { sess: { bound: { engine: Engine } } }).sess.bound.engine;

async function train(s: Spec, threads: number): Promise<{ w: Map<string, Float32Array>; p: Float32Array; jobs: number }> {
  const e = await loadEngine({ build: BUILD, threads });
  const m = s.build(e), { x, y } = s.data();
  await m.fit(x, y, { epochs: 1, batchSize: s.batch, shuffle: true });
  await engineOf(m).startThreads(); // (usually already started by the first steps)
  await m.fit(x, y, { epochs: 2, batchSize: s.batch, shuffle: true });
  let jobs = engineOf(m).exports.mt_jobs() as number;
  engineOf(m).stopThreads();
  let run = m;
  if (s.quantize) {
    run = await s.quantize(m, x);
    await run.predict(x as Tensor, { batchSize: s.batch });
    await engineOf(run).startThreads();
  }
  const out = await run.predict(x as Tensor, { batchSize: s.batch }) as Tensor | Record<string, Tensor>;
  const p = (out instanceof Tensor ? out : Object.values(out)[0]).data as Float32Array;
  if (s.quantize) { jobs = engineOf(run).exports.mt_jobs() as number; engineOf(run).stopThreads(); }
  return { w: m.getWeights(), p, jobs };
}

const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

describe(`trained models on 1, 2, 3 threads (${BUILD} build)`, () => {
  for (const s of SPECS) {
    it(`${s.name}: same weights and predictions`, async () => {
      const one = await train(s, 1);
      expect(one.jobs).toBe(0);
      for (const t of [2, 3]) {
        const r = await train(s, t);
        expect(r.jobs, `${t} threads: kernel calls split between threads`).toBeGreaterThan(0);
        expect(bits(r.p), `${t} threads: predictions`).toEqual(bits(one.p));
        for (const [k, v] of one.w) expect(bits(r.w.get(k)!), `${t} threads: ${k}`).toEqual(bits(v));
      }
    }, 180_000);
  }

  // W2 (MLP 784-256-128-10) and W6 (LSTM(64) over 50 x 32) at batch 1: no kernel call reaches a
  // threshold, so a threads: 2 engine runs them as one thread does and never starts its workers
  for (const [name, build, shape] of [
    ['W2 MLP b1', (e: Engine) => seq(e, [784]).add(layers.dense({ units: 256, activation: 'relu' })).add(layers.dense({ units: 128, activation: 'relu' })).add(layers.dense({ units: 10, activation: 'softmax' })), [784]],
    ['W6 LSTM(64) b1', (e: Engine) => seq(e, [50, 32]).add(layers.lstm({ units: 64 })), [50, 32]],
  ] as const) {
    it(`${name}: latency-bound, stays on one thread (no job, no worker started)`, async () => {
      const e = await loadEngine({ build: BUILD, threads: 2 });
      expect(e.threaded).toBe(true);
      const m = build(e), x = new Tensor(randn(shape.reduce((a: number, b: number) => a * b), 5), [1, ...shape]);
      for (let k = 0; k < 3; k++) await m.predict(x);
      const se = engineOf(m);
      expect(se.exports.mt_jobs(), 'jobs split').toBe(0);
      await new Promise((r) => setTimeout(r, 300)); // (a pool, had a kernel asked for one, would be starting by now)
      expect((se as unknown as { poolStart?: unknown }).poolStart, 'pool started').toBeUndefined();
      expect(se.exports.mt_ready(), 'workers parked').toBe(0);
    });
  }
});

