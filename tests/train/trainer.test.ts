// The trainer as a user sees it: learning, batch modes, determinism, the NaN guard, callbacks,
// schedules, clipping, freezing, save/load, and clear errors on bad input.
import { describe, it, expect, beforeAll } from 'vitest';
import { Sequential, layers, Tensor, EarlyStopping, ModelCheckpoint, modelToBytes, modelFromBytes, AxonError, OptimizerConfig } from '../../src/index.js';
import { Engine } from '../../src/runtime/engine.js';
import { engine, randn } from '../helpers.js';

let e: Engine;
beforeAll(async () => { e = await engine(); });

/** Two Gaussian blobs in 4-D, labels 0/1 (or ±targets for regression). */
function blobs(n: number, seed = 7) {
  const x = randn(n * 4, seed), y = new Int32Array(n);
  for (let i = 0; i < n; i++) { y[i] = i % 2; for (let k = 0; k < 4; k++) x[4 * i + k] += y[i] ? 1.5 : -1.5; }
  return { x: new Tensor(x, [n, 4]), y: new Tensor(y, [n]) };
}

function mlp(opt: OptimizerConfig = { type: 'adam', lr: 0.01 }, seed = 3, drop = 0) {
  const m = new Sequential({ inputShape: [4], seed, engine: e });
  m.add(layers.dense({ units: 16, activation: 'relu' }));
  if (drop) m.add(layers.dropout({ rate: drop }));
  m.add(layers.dense({ units: 2, activation: 'softmax' }));
  m.compile({ optimizer: opt, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return m;
}

describe('training', () => {
  it.each([['full batch', 1000], ['mini-batch', 32], ['batch size 1 (SGD)', 1]])('learns with %s', async (_, batchSize) => {
    const { x, y } = blobs(200);
    const m = mlp({ type: 'sgd', lr: batchSize === 1 ? 0.01 : 0.3 });
    const h = await m.fit(x, y, { epochs: batchSize === 1 ? 3 : 30, batchSize });
    expect(h.epochs.at(-1)!.accuracy).toBeGreaterThan(0.95);
    expect(h.epochs.at(-1)!.loss).toBeLessThan(h.epochs[0].loss);
    expect(h.iterations.length).toBe(h.epochs.length * Math.ceil(200 / Math.min(batchSize, 200)));
  });

  it('same seed gives bit-identical weights (with dropout and shuffling)', async () => {
    const { x, y } = blobs(150);
    const run = async () => { const m = mlp(undefined, 9, 0.3); await m.fit(x, y, { epochs: 3, batchSize: 16 }); return m.getWeights(); };
    const a = await run(), b = await run();
    for (const [k, v] of a) expect(Array.from(b.get(k)!), k).toEqual(Array.from(v));
    const c = mlp(undefined, 10, 0.3); await c.fit(x, y, { epochs: 3, batchSize: 16 });
    expect(Array.from(c.getWeights().get('dense_1.weight')!)).not.toEqual(Array.from(a.get('dense_1.weight')!));
  });

  it('stops on NaN/Inf with the step and layer named, keeping the last good weights', async () => {
    const { x, y } = blobs(64);
    const m = mlp({ type: 'sgd', lr: 1e30 });
    let last: Map<string, Float32Array> | undefined;
    const err = await m.fit(x, y, { epochs: 5, batchSize: 8, callbacks: [{ onBatchEnd: () => { last = m.getWeights(); } }] }).catch((z) => z);
    expect(err).toBeInstanceOf(AxonError);
    expect(err.code).toBe('NOT_FINITE');
    expect(err.message).toMatch(/epoch \d+, step \d+: (loss|dense_\d\.(weight|bias) gradient): non-finite/);
    const now = m.getWeights();
    for (const [k, v] of last!) expect(Array.from(now.get(k)!), k).toEqual(Array.from(v));
    for (const v of now.values()) expect(v.every(Number.isFinite)).toBe(true);
  });

  it('early stopping restores the best weights; checkpoints are written', async () => {
    const { x, y } = blobs(120);
    const m = mlp({ type: 'adam', lr: 0.05 });
    const es = new EarlyStopping({ monitor: 'val_loss', patience: 1, restoreBestWeights: true, minDelta: 1e9 });
    const files = new Map<string, Uint8Array>();
    const ck = new ModelCheckpoint({ path: 'ck-{epoch}.axon', write: async (p, b) => { files.set(p, b); } });
    const h = await m.fit(x, y, { epochs: 20, batchSize: 16, validationSplit: 0.25, callbacks: [es, ck], toBytes: () => modelToBytes(m) });
    expect(h.epochs.length).toBe(2);
    expect(es.stoppedEpoch).toBe(1);
    expect([...files.keys()]).toEqual(['ck-1.axon', 'ck-2.axon']);
    const first = modelFromBytes(files.get('ck-1.axon')!, 'ck-1.axon', e).model.getWeights();
    for (const [k, v] of m.getWeights()) expect(Array.from(v), k).toEqual(Array.from(first.get(k)!));
  });

  it('step and exponential LR schedules reach the optimizer', async () => {
    const { x, y } = blobs(32);
    const m = mlp({ type: 'sgd', lr: 0.1, schedule: { type: 'step', stepSize: 2, gamma: 0.5 } });
    const h = await m.fit(x, y, { epochs: 5, batchSize: 32 });
    expect(h.epochs.map((l) => l.lr)).toEqual([0.1, 0.1, 0.05, 0.05, 0.025]);
    const m2 = mlp({ type: 'adam', lr: 0.01, schedule: { type: 'exponential', gamma: 0.5, per: 'step' } });
    const h2 = await m2.fit(x, y, { epochs: 2, batchSize: 16 });
    expect(h2.epochs.map((l) => l.lr)).toEqual([0.01 * 0.5 ** 1, 0.01 * 0.5 ** 3]);
  });

  it('clips gradients by value and by global norm (a huge clipped LR step stays bounded)', async () => {
    const { x, y } = blobs(32);
    for (const clip of [{ clipValue: 1e-3 }, { clipNorm: 1e-3 }]) {
      const m = mlp({ type: 'sgd', lr: 1, ...clip });
      const before = m.getWeights();
      await m.fit(x, y, { epochs: 1, batchSize: 32 });
      let moved = 0;
      for (const [k, v] of m.getWeights()) v.forEach((w, i) => { moved = Math.max(moved, Math.abs(w - before.get(k)![i])); });
      expect(moved).toBeGreaterThan(0);
      expect(moved).toBeLessThanOrEqual(1e-3 * 1.0001);
    }
  });

  it('frozen layers keep their weights while the head trains', async () => {
    const { x, y } = blobs(64);
    const m = new Sequential({ inputShape: [4], seed: 1, engine: e });
    m.add(layers.dense({ units: 8, activation: 'tanh', trainable: false })).add(layers.dense({ units: 2, activation: 'softmax' }));
    m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const before = m.getWeights();
    await m.fit(x, y, { epochs: 2, batchSize: 16 });
    const after = m.getWeights();
    expect(Array.from(after.get('dense_1.weight')!)).toEqual(Array.from(before.get('dense_1.weight')!));
    expect(Array.from(after.get('dense_2.weight')!)).not.toEqual(Array.from(before.get('dense_2.weight')!));
    expect(m.summary()).toMatch(/Non-trainable params: 40/);
  });

  it('round-trips through the model file and predicts the same', async () => {
    const { x, y } = blobs(50);
    const m = mlp(); await m.fit(x, y, { epochs: 2, batchSize: 10 });
    const { model } = modelFromBytes(modelToBytes(m), 'm.axon', e);
    expect(Array.from((await model.predict(x)).data)).toEqual(Array.from((await m.predict(x)).data));
    const r = await model.evaluate(x, y, { confusionMatrix: true });
    expect(r.confusionMatrix!.flat().reduce((a, b) => a + b, 0)).toBe(50);
  });

  it('evaluates MSE regression with mae', async () => {
    const n = 64, x = randn(n * 4, 2), t = new Float32Array(n);
    for (let i = 0; i < n; i++) t[i] = x[4 * i] - 2 * x[4 * i + 1];
    const m = new Sequential({ inputShape: [4], seed: 2, engine: e }).add(layers.dense({ units: 1 }));
    m.compile({ optimizer: { type: 'sgd', lr: 0.1 }, loss: 'mse', metrics: ['mae'] });
    const h = await m.fit(new Tensor(x, [n, 4]), new Tensor(t, [n, 1]), { epochs: 40, batchSize: 16 });
    expect(h.epochs.at(-1)!.mae).toBeLessThan(0.05);
  });

  it('rejects bad input with typed, specific errors', async () => {
    const m = mlp();
    const { x, y } = blobs(10);
    const bad = async (p: Promise<unknown>, re: RegExp) => { const z = await p.catch((q) => q); expect(z).toBeInstanceOf(AxonError); expect(z.message).toMatch(re); };
    await bad(m.fit(new Tensor(new Float32Array(30), [10, 3]), y), /x has shape \[10,3\] but the model expects \[n, 4\]/);
    await bad(m.fit(x, new Tensor(new Int32Array(9), [9])), /x has 10 samples but y has 9/);
    await bad(m.fit(x, new Tensor(Int32Array.from({ length: 10 }, (_, i) => i), [10])), /label 2 of sample 2 is not a class id in \[0, 2\)/);
    const xn = x.data.slice() as Float32Array; xn[5] = NaN;
    await bad(m.fit(new Tensor(xn, [10, 4]), y), /non-finite value at sample 1/);
    await bad(m.fit(x, y, { batchSize: 0 }), /batchSize must be a positive integer/);
    expect(() => layers.dense({ units: 0 })).toThrow(/units must be a positive integer/);
    expect(new Sequential({ inputShape: [4, 4] }).add(layers.dense({ units: 2 })).outputShape).toEqual([4, 2]);   // (on the last axis)
    expect(() => mlp().compile({ optimizer: 'adam', loss: 'mse', metrics: ['accuracy'] })).toThrow(/accuracy is not defined for an mse loss/);
    expect(() => new Sequential({ inputShape: [4] }).add(layers.dense({ units: 3 })).compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' })).toThrow(/needs a final softmax/);
    expect(() => modelFromBytes(new Uint8Array([1, 2, 3]), 'junk.axon')).toThrow(/junk.axon/);
  });
});
