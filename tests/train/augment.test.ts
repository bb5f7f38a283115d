// Augmentation layers in models: identity at inference, the training plan draws from the model's
// seeded PRNG (the same numbers as the kernel on rng_seed(seed)), determinism per seed, training
// with augmentation, save/load, and config errors.
import { describe, it, expect, beforeAll } from 'vitest';
import { Sequential, layers, Tensor, modelToBytes, modelFromBytes, AxonError } from '../../src/index.js';
import { Engine } from '../../src/runtime/engine.js';
import { Rng } from '../../src/runtime/rng.js';
import { engine, randn, randInt } from '../helpers.js';
import { expectMatch, EXACT } from '../kernels/kit.js';

let e: Engine;
beforeAll(async () => { e = await engine(); });

const imageAugs = () => [layers.randomFlip({ mode: 'horizontal' }), layers.randomTranslation({ maxShift: 1 }), layers.randomRotation({ degrees: 15 }),
  layers.gaussianNoise({ stddev: 0.1 }), layers.randomBrightnessContrast({ brightness: 0.1, contrast: 0.2, valueRange: [-4, 4] })];

function cnn(seed: number, aug = true) {
  const m = new Sequential({ inputShape: [6, 6, 1], seed, engine: e });
  if (aug) for (const l of imageAugs()) m.add(l);
  m.add(layers.conv2d({ filters: 3, kernelSize: 3, activation: 'relu' })).add(layers.flatten()).add(layers.dense({ units: 2, activation: 'softmax' }));
  m.compile({ optimizer: { type: 'adam', lr: 0.01 }, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return m;
}

/** Bright-top vs bright-bottom halves: invariant to horizontal flips, robust to small shifts, rotations and noise. */
function blobs(n: number, seed = 1): [Tensor, Tensor] {
  const r = new Rng(seed), x = new Float32Array(n * 36), y = randInt(n, 2, seed + 1);
  for (let i = 0; i < n; i++) for (let h = 0; h < 6; h++) for (let w = 0; w < 6; w++) x[i * 36 + h * 6 + w] = ((h < 3) === (y[i] === 0) ? 1 : 0) + 0.2 * r.normal();
  return [new Tensor(x, [n, 6, 6, 1]), new Tensor(y, [n])];
}

describe('augmentation layers', () => {
  it('are the identity in predict and evaluate plans', async () => {
    const m = new Sequential({ inputShape: [6, 5, 2], seed: 3, engine: e });
    for (const l of imageAugs()) m.add(l);
    const x = new Tensor(randn(7 * 60, 2), [7, 6, 5, 2]);
    expectMatch((await m.predict(x)).data, x.data, EXACT, 'images');
    const s = new Sequential({ inputShape: [9, 3], seed: 3, engine: e }).add(layers.sequenceJitter({ stddev: 0.2, scale: 0.1 }));
    const xs = new Tensor(randn(4 * 27, 3), [4, 9, 3]);
    expectMatch((await s.predict(xs)).data, xs.data, EXACT, 'sequences');
  });

  it('the training plan applies the kernel with the model PRNG (rng_seed(seed)), advancing it each step', async () => {
    const m = new Sequential({ inputShape: [4, 5, 1], seed: 11, engine: e }).add(layers.randomFlip({ mode: 'horizontal' })).add(layers.flatten()).add(layers.dense({ units: 2 }));
    m.compile({ optimizer: { type: 'sgd', lr: 0 }, loss: 'sparseCategoricalCrossentropy', fromLogits: true });
    const B = 16, s = await m.session(B), x = randn(B * 20, 4);
    s.bound.f32(s.x).set(x);
    s.bound.i32(s.target!).fill(0);
    const state = e.put(new Rng(11).s), xp = e.put(x), yp = e.put(new Float32Array(B * 20));
    for (let step = 0; step < 3; step++) {
      s.run('train', B);
      e.kernels.f32_random_flip_fwd__simd(yp, xp, state, B, 4, 5, 1, 1, 0);
      expectMatch(s.bound.f32(s.outputs[0]).subarray(0, B * 20), e.f32(yp, B * 20), EXACT, `step ${step}`);
    }
    s.run('predict', B);
    expectMatch(s.bound.f32(s.outputs[0]).subarray(0, B * 20), x, EXACT, 'predict');
  });

  it('one seed reproduces training bit for bit; another seed differs', async () => {
    const [x, y] = blobs(64);
    const weights = async (seed: number) => {
      const m = cnn(seed);
      m.setWeights(cnn(1).getWeights()); // same initial weights: only the augmentation draws differ
      await m.fit(x, y, { epochs: 2, batchSize: 16, seed: 5 });
      return [...m.getWeights().values()].flatMap((w) => Array.from(w));
    };
    const a = await weights(7), b = await weights(7), c = await weights(8);
    expectMatch(b, a, EXACT, 'same seed');
    expect(c.some((v, i) => v !== a[i])).toBe(true);
  });

  it('a model with augmentation trains, saves and loads (identical predictions)', async () => {
    const [x, y] = blobs(256), [xt, yt] = blobs(64, 9);
    const m = cnn(2);
    const h = await m.fit(x, y, { epochs: 8, batchSize: 32 });
    expect(h.epochs[h.epochs.length - 1].loss).toBeLessThan(h.epochs[0].loss);
    expect((await m.evaluate(xt, yt)).accuracy as number).toBeGreaterThan(0.9);
    const { model } = modelFromBytes(modelToBytes(m), 'aug.axon', e);
    expect(model.layers.map((l) => [l.type, l.config()])).toEqual(m.layers.map((l) => [l.type, l.config()]));
    expectMatch((await model.predict(xt)).data, (await m.predict(xt)).data, EXACT, 'predictions');
  });

  it('sequenceJitter trains behind a trainable layer (dx through the saved scale factors)', async () => {
    const m = new Sequential({ inputShape: [12, 2], seed: 4, engine: e })
      .add(layers.conv1d({ filters: 3, kernelSize: 3 })).add(layers.sequenceJitter({ stddev: 0.05, scale: 0.1 }))
      .add(layers.flatten()).add(layers.dense({ units: 1 }));
    m.compile({ optimizer: { type: 'adam', lr: 0.02 }, loss: 'mse' });
    const x = randn(128 * 24, 6), y = Float32Array.from({ length: 128 }, (_, i) => x[i * 24] + x[i * 24 + 5]);
    const h = await m.fit(new Tensor(x, [128, 12, 2]), new Tensor(y, [128, 1]), { epochs: 15, batchSize: 32 });
    expect(h.epochs[14].loss).toBeLessThan(0.5 * h.epochs[0].loss);
    const { model } = modelFromBytes(modelToBytes(m), 'seq.axon', e);
    expect(model.layers[1].config()).toEqual({ stddev: 0.05, scale: 0.1 });
  });

  it('reject bad options and shapes with a typed error that names the layer', () => {
    expect(() => layers.randomFlip({ mode: 'diagonal' as never })).toThrowError(/RandomFlip: mode must be/);
    expect(() => layers.randomTranslation({ maxShift: 2, heightFactor: 0.1 })).toThrowError(/RandomTranslation: give either/);
    expect(() => layers.randomTranslation({ maxShift: -1 })).toThrowError(/non-negative integer/);
    expect(() => layers.randomRotation({ degrees: 200 })).toThrowError(/\[0, 180\] degrees/);
    expect(() => layers.gaussianNoise({ stddev: -1 })).toThrowError(AxonError);
    expect(() => layers.randomBrightnessContrast({ contrast: 2 })).toThrowError(/contrast must be in \[0, 1\]/);
    expect(() => layers.randomBrightnessContrast({ brightness: 0.1, valueRange: [1, 0] })).toThrowError(/valueRange/);
    expect(() => new Sequential({ inputShape: [10] }).add(layers.randomFlip())).toThrowError(/randomFlip_1: randomFlip wants images/);
    expect(() => new Sequential({ inputShape: [2, 3, 4, 5] }).add(layers.sequenceJitter({ stddev: 1 }))).toThrowError(/wants sequences/);
  });

  it('Keras-style factors: translation as a fraction of the size, rotation as a fraction of a turn', () => {
    const m = new Sequential({ inputShape: [20, 10, 1] }).add(layers.randomTranslation({ heightFactor: 0.1, widthFactor: 0.2 })).add(layers.randomRotation({ factor: 0.05 }));
    expect((m.layers[0] as unknown as { shift: number[] }).shift).toEqual([2, 2]);
    expect((m.layers[1] as InstanceType<typeof layers.RandomRotation>).maxAngle).toBeCloseTo((18 * Math.PI) / 180);
  });
});
