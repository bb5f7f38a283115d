// Conv / pool / batch-norm / mobile-activation layers wired into models: shapes, build-time
// errors naming the layer, a whole-model gradient check (central differences through the
// wasm forward), training, frozen batch norm, and save/load.
import { describe, it, expect, beforeAll } from 'vitest';
import { Sequential, layers, Tensor, modelToBytes, modelFromBytes, AxonError } from '../../src/index.js';
import { Engine } from '../../src/runtime/engine.js';
import { layerFromConfig } from '../../src/layers/index.js';
import { engine, randn, randInt } from '../helpers.js';
import { checkModelGradients } from './model-gradcheck.js';

let e: Engine;
beforeAll(async () => { e = await engine(); });

function cnn(seed = 1) {
  const m = new Sequential({ inputShape: [9, 9, 2], seed, engine: e });
  m.add(layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu6' }))
    .add(layers.batchNormalization())
    .add(layers.maxPool2d({ poolSize: 2 }))
    .add(layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: [1, 1, 0, 0], activation: 'hardSwish' }))
    .add(layers.conv2d({ filters: 5, kernelSize: 1, dilationRate: 1 }))
    .add(layers.globalAveragePooling2d())
    .add(layers.dense({ units: 3, activation: 'softmax' }));
  m.compile({ optimizer: { type: 'sgd', lr: 0 }, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return m;
}

describe('conv, pool and norm layers', () => {
  it('infers shapes and parameter counts', () => {
    const m = cnn();
    expect(m.layers.map((l) => l.outputShape)).toEqual([[9, 9, 4], [9, 9, 4], [4, 4, 4], [2, 2, 4], [2, 2, 5], [5], [3]]);
    expect(m.paramCount).toBe((3 * 3 * 2 * 4 + 4) + 16 + (9 * 4 + 4) + (4 * 5 + 5) + (5 * 3 + 3));
    const m1 = new Sequential({ inputShape: [20, 3] }).add(layers.conv1d({ filters: 6, kernelSize: 5, padding: 'same', strides: 2 })).add(layers.maxPool1d({ poolSize: 2 }));
    expect(m1.layers.map((l) => l.outputShape)).toEqual([[10, 6], [5, 6]]);
    const m2 = new Sequential({ inputShape: [7, 7, 1] }).add(layers.zeroPadding2d({ padding: [1, 2] })).add(layers.avgPool2d({ poolSize: 3, strides: 2, padding: 'same', countIncludePad: true }));
    expect(m2.layers.map((l) => l.outputShape)).toEqual([[9, 11, 1], [5, 6, 1]]);
  });

  it('rejects impossible layers at build time, naming the layer', () => {
    const m = () => new Sequential({ inputShape: [4, 4, 3] });
    expect(() => m().add(layers.conv2d({ filters: 2, kernelSize: 5 }))).toThrowError(/conv2d_1: kernel 5x5 .* larger than the padded input 4x4/);
    expect(() => m().add(layers.conv2d({ filters: 4, kernelSize: 1, groups: 2 }))).toThrowError(/conv2d_1: 3 input channels and 4 filters must both be divisible by groups=2/);
    expect(() => layers.conv2d({ filters: 0, kernelSize: 3 })).toThrowError(AxonError);
    expect(() => layers.conv2d({ filters: 2, kernelSize: -1 })).toThrowError(/must be positive integers/);
    expect(() => m().add(layers.maxPool2d({ poolSize: 5 }))).toThrowError(/maxPool2d_1: pool 5x5 is larger/);
    expect(m().add(layers.dense({ units: 2 })).outputShape).toEqual([4, 4, 2]);   // (Dense works on the last axis, as Keras')
    expect(() => new Sequential({ inputShape: [8] }).add(layers.conv2d({ filters: 2, kernelSize: 1 }))).toThrowError(/conv2d_1: Conv2D expects inputs of shape \[height, width, channels\]/);
  });

  it('a misspelled option in a config (CLI configs, model files) is named, with the option it resembles', () => {
    expect(() => layerFromConfig('dense', { unit: 10 }, 'd')).toThrowError(/units must be a positive integer, got undefined \(the config has "unit": did you mean "units"\?\)/);
    expect(() => layerFromConfig('dense', { units: 10, activaton: 'relu' }, 'd')).toThrowError(/d: unknown option "activaton" for a dense layer; did you mean "activation"\?/);
    expect(() => layerFromConfig('conv2d', { filters: 3, kernelsize: 3 }, 'c')).toThrowError(/did you mean "kernelSize"/);
    // options a layer takes but does not save, and keys unlike any option, are not refused
    expect(layerFromConfig('dense', { units: 4, kernelInitializer: 'heNormal', comment: 'mine' }, 'd').type).toBe('dense');
  });

  it('whole-model gradients match central differences of the loss', async () => {
    const m = cnn(3), B = 4;
    const x = new Tensor(randn(B * 162, 5), [B, 9, 9, 2]), y = new Tensor(randInt(B, 3, 6), [B]);
    // the training-mode loss (batch statistics in BN)
    await checkModelGradients(m, x, y, B, ['conv2d_1.weight', 'batchNormalization_1.weight', 'depthwiseConv2d_1.weight', 'conv2d_2.bias', 'dense_1.weight']);
  });

  it('trains a small CNN, updates BN running statistics, and round-trips the file', async () => {
    const n = 96, x = randn(n * 162, 8), y = new Int32Array(n);
    for (let i = 0; i < n; i++) { y[i] = i % 3; for (let k = 0; k < 81; k++) x[i * 162 + k * 2 + (y[i] === 2 ? 1 : 0)] += y[i] ? 1.5 : -1.5; }
    const m = cnn(2);
    m.compile({ optimizer: { type: 'adam', lr: 0.02 }, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const h = await m.fit(new Tensor(x, [n, 9, 9, 2]), new Tensor(y, [n]), { epochs: 15, batchSize: 16 });
    expect(h.epochs.at(-1)!.accuracy).toBeGreaterThan(0.9);
    const rm = m.getWeights().get('batchNormalization_1.running_mean')!;
    expect(rm.some((v) => v !== 0)).toBe(true);
    const { model } = modelFromBytes(modelToBytes(m), 'cnn.axon', e);
    const xt = new Tensor(x.subarray(0, 10 * 162), [10, 9, 9, 2]);
    expect(Array.from((await model.predict(xt)).data)).toEqual(Array.from((await m.predict(xt)).data));
  });

  it('a frozen BatchNormalization keeps its statistics and parameters while the rest trains', async () => {
    const m = new Sequential({ inputShape: [6], seed: 4, engine: e });
    m.add(layers.dense({ units: 8 })).add(layers.batchNormalization({ trainable: false })).add(layers.dense({ units: 2, activation: 'softmax' }));
    m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const before = m.getWeights();
    await m.fit(new Tensor(randn(60, 1), [10, 6]), new Tensor(randInt(10, 2, 2), [10]), { epochs: 2, batchSize: 5 });
    const after = m.getWeights();
    for (const k of ['weight', 'bias', 'running_mean', 'running_var']) expect(Array.from(after.get(`batchNormalization_1.${k}`)!)).toEqual(Array.from(before.get(`batchNormalization_1.${k}`)!));
    expect(Array.from(after.get('dense_1.weight')!)).not.toEqual(Array.from(before.get('dense_1.weight')!));
  });
});
