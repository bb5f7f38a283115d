// Whole models on the threaded build: a LeNet-like CNN and an MLP trained (Adam) and run with 1, 2
// and 3 threads give bit-identical weights and predictions. The workers start lazily in the middle
// of training (the first steps run on one thread), so this also checks that a changing thread
// count inside one run changes no bit.
import { describe, it, expect } from 'vitest';
import { Sequential, layers, Tensor } from '../../src/index.js';
import { loadEngine } from '../../targets/node/engine.js';
import type { Engine } from '../../src/runtime/engine.js';
import { randn, randInt, BUILD } from '../helpers.js';

type Net = (e: Engine) => Sequential;
const lenet: Net = (e) => new Sequential({ inputShape: [28, 28, 1], seed: 7, engine: e })
  .add(layers.conv2d({ filters: 6, kernelSize: 5, padding: 'same', activation: 'relu' })).add(layers.maxPool2d({ poolSize: 2 }))
  .add(layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' })).add(layers.maxPool2d({ poolSize: 2 }))
  .add(layers.flatten()).add(layers.dense({ units: 120, activation: 'relu' })).add(layers.dense({ units: 10, activation: 'softmax' }));
const mlp: Net = (e) => new Sequential({ inputShape: [784], seed: 7, engine: e })
  .add(layers.dense({ units: 512, activation: 'relu' })).add(layers.dense({ units: 10, activation: 'softmax' }));

async function train(net: Net, threads: number, shape: number[]): Promise<{ w: Map<string, Float32Array>; p: Float32Array; jobs: number }> {
  const e = await loadEngine({ build: BUILD, threads });
  const m = net(e);
  m.compile({ optimizer: { type: 'adam', lr: 1e-3 }, loss: 'sparseCategoricalCrossentropy' });
  const n = 192, x = new Tensor(randn(n * shape.reduce((a, b) => a * b), 1), [n, ...shape]), y = new Tensor(randInt(n, 10, 2), [n]);
  await m.fit(x, y, { epochs: 1, batchSize: 64, shuffle: true });
  const sessEngine = (m as unknown as { sess: { bound: { engine: Engine } } }).sess.bound.engine;
  await sessEngine.startThreads(); // (usually already started by the first steps)
  await m.fit(x, y, { epochs: 2, batchSize: 64, shuffle: true });
  const p = (await m.predict(x, { batchSize: 96 })).data as Float32Array;
  const jobs = sessEngine.exports.mt_jobs() as number;
  sessEngine.stopThreads();
  return { w: m.getWeights(), p, jobs };
}

const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

describe(`trained models on 1, 2, 3 threads (${BUILD} build)`, () => {
  for (const [name, net, shape] of [['LeNet-like CNN', lenet, [28, 28, 1]], ['MLP 784-512-10', mlp, [784]]] as const) {
    it(`${name}: same weights and predictions`, async () => {
      const one = await train(net, 1, [...shape]);
      expect(one.jobs).toBe(0);
      for (const t of [2, 3]) {
        const r = await train(net, t, [...shape]);
        expect(r.jobs, `${t} threads: kernel calls split between threads`).toBeGreaterThan(0);
        expect(bits(r.p), `${t} threads: predictions`).toEqual(bits(one.p));
        for (const [k, v] of one.w) expect(bits(r.w.get(k)!), `${t} threads: ${k}`).toEqual(bits(v));
      }
    });
  }
});
