import { it, expect } from 'vitest';
import { Sequential, layers, Tensor, setDefaultEngineLoader } from '../../src/index.js';
import { engine, randn } from '../helpers.js';

setDefaultEngineLoader(() => engine());

it('smoke: learns two blobs', async () => {
  const n = 400, x = randn(n * 2, 7), y = new Int32Array(n);
  for (let i = 0; i < n; i++) { y[i] = i % 2; x[2 * i] += y[i] ? 2 : -2; }
  const m = new Sequential({ inputShape: [2], seed: 1 });
  m.add(layers.dense({ units: 16, activation: 'relu' })).add(layers.dense({ units: 2, activation: 'softmax' }));
  m.compile({ optimizer: { type: 'adam', lr: 0.01 }, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  console.log(m.summary());
  const h = await m.fit(new Tensor(x, [n, 2]), new Tensor(y, [n]), { epochs: 5, batchSize: 32, validationSplit: 0.2 });
  console.log(h.epochs);
  expect(h.epochs[4].accuracy).toBeGreaterThan(0.9);
});
