// Model.session's `use`: predict() on a compiled model gets an inference session (no loss or
// optimizer: no training plans, gradients or optimizer state, shared activation memory); fit()
// then rebuilds a training session carrying the weights, and a session that can train is reused
// for predicting. Results are the same as without the inference session in between.
import { it, expect, beforeAll } from 'vitest';
import { Sequential, layers, Tensor } from '../../src/index.js';
import type { Engine } from '../../src/runtime/engine.js';
import { engine } from '../helpers.js';

let e: Engine;
beforeAll(async () => { e = await engine(); });

const make = () => new Sequential({ inputShape: [6], seed: 5, engine: e })
  .add(layers.dense({ units: 8, activation: 'relu' })).add(layers.dense({ units: 3, activation: 'softmax' }))
  .compile({ optimizer: { type: 'adam', lr: 0.01 }, loss: 'sparseCategoricalCrossentropy' });
const x = new Tensor(Float32Array.from({ length: 60 }, (_, i) => Math.sin(i * 0.7)), [10, 6]);
const y = new Tensor(Float32Array.from({ length: 10 }, (_, i) => i % 3), [10]);

it('predict on a compiled model builds an inference session; fit rebuilds it and trains the same', async () => {
  const m = make();
  const before = await m.predict(x);
  const s = await m.session(10, { use: 'predict' });
  expect(s.spec.optimizer).toBeUndefined();
  expect(s.spec.losses).toBeUndefined();
  expect(s.sharesActivations).toBe(true);
  expect(s.layout.buffers.some((b) => b.name.startsWith('grad:'))).toBe(false);

  const h = await m.fit(x, y, { epochs: 2, batchSize: 5, shuffle: false });
  const trained = await m.session(5);
  expect(trained.spec.optimizer).toBeDefined();
  expect(await m.session(5, { use: 'predict' })).toBe(trained);       // a session that can train also predicts

  const ref = make();                                                  // the same model, trained without predicting first
  const hRef = await ref.fit(x, y, { epochs: 2, batchSize: 5, shuffle: false });
  expect(h.epochs.map((ep) => ep.loss)).toEqual(hRef.epochs.map((ep) => ep.loss));
  expect(Array.from((await m.predict(x)).data)).toEqual(Array.from((await ref.predict(x)).data));
  expect(Array.from(before.data)).not.toEqual(Array.from((await m.predict(x)).data));
});

it('a rebuilt session keeps what the old one could do (optimizer state survives a larger predict batch)', async () => {
  const m = make(), ref = make();
  await m.fit(x, y, { epochs: 1, batchSize: 5, shuffle: false });
  await ref.fit(x, y, { epochs: 1, batchSize: 5, shuffle: false });
  const big = new Tensor(new Float32Array(20 * 6).fill(0.25), [20, 6]);
  await m.predict(big, { batchSize: 20 });                             // rebuilds for batch 20
  expect((await m.session(20)).spec.optimizer).toBeDefined();
  await m.fit(x, y, { epochs: 1, batchSize: 5, shuffle: false });     // Adam moments carried across the rebuild
  await ref.fit(x, y, { epochs: 1, batchSize: 5, shuffle: false });
  expect(Array.from((await m.predict(x)).data)).toEqual(Array.from((await ref.predict(x)).data));
});

it('fit, add a layer, predict, fit again: the inference session in between has no optimizer state to carry', async () => {
  const t = new Tensor(new Float32Array(80).fill(0.5), [10, 8]);
  const m = new Sequential({ inputShape: [6], seed: 5, engine: e }).add(layers.dense({ units: 8, activation: 'relu' }))
    .compile({ optimizer: { type: 'adam', lr: 0.01 }, loss: 'mse' });
  await m.fit(x, t, { epochs: 1, batchSize: 5 });
  m.add(layers.dense({ units: 8 }));                                   // same optimizer, the session dropped
  await m.predict(x);                                                  // an inference session
  const h = await m.fit(x, t, { epochs: 1, batchSize: 5 });          // rebuilt from it: no opt: buffers to read
  expect(Number.isFinite(h.epochs[0].loss)).toBe(true);
  expect((await m.session(5)).spec.optimizer).toBeDefined();
});

it('evaluate on a compiled model builds an evaluation session (loss, no optimizer) with the training session\'s results', async () => {
  const m = make(), ref = make();
  const r = await m.evaluate(x, y, { batchSize: 5 });
  const s = await m.session(5, { use: 'eval' });
  expect(s.spec.losses?.length).toBeTruthy();
  expect(s.spec.optimizer).toBeUndefined();
  expect(s.layout.buffers.some((b) => b.name.startsWith('grad:') || b.name.startsWith('opt:'))).toBe(false);
  await ref.session(5);                                                // a training session, then the same evaluation
  expect(await ref.evaluate(x, y, { batchSize: 5 })).toEqual(r);
  await m.fit(x, y, { epochs: 1, batchSize: 5, shuffle: false });     // rebuilt for training from the evaluation session
  await ref.fit(x, y, { epochs: 1, batchSize: 5, shuffle: false });
  expect(await m.evaluate(x, y, { batchSize: 5 })).toEqual(await ref.evaluate(x, y, { batchSize: 5 }));
});
