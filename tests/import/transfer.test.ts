// Transfer learning API on an imported PyTorch model: replaceHead keeps the backbone's weights,
// freeze keeps them fixed while the new head trains (BatchNorm statistics included), unfreeze
// trains them again; bad layer references name the layers there are.
import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { layers, Tensor, AxonError, Sequential } from '../../src/index.js';
import { importOnnx } from '../../src/import/onnx.js';
import { freeze, unfreeze, replaceHead, frozenLayers, layerIndex } from '../../src/model/transfer.js';
import type { Engine } from '../../src/runtime/engine.js';
import { engine, randn, randInt } from '../helpers.js';

let e: Engine;
beforeAll(async () => { e = await engine(); });
const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../fixtures/onnx/${name}.onnx`, import.meta.url)));
const same = (a: Map<string, Float32Array>, b: Map<string, Float32Array>, k: string) => Array.from(a.get(k)!).every((v, i) => v === b.get(k)![i]);

describe('transfer learning: freeze, replaceHead, unfreeze', () => {
  it('fine-tunes a new head on a frozen imported LeNet, then the whole model', async () => {
    const { model: base } = await importOnnx(fixture('torch_lenet'), { engine: e });
    expect(base.layers.map((l) => l.name).slice(5, 8)).toEqual(['AveragePool', 'Reshape', 'fc1/Gemm']);   // the torch export's node names
    const m = replaceHead(base, [layers.dense({ units: 12, activation: 'relu' }), layers.dense({ units: 3, activation: 'softmax' })], { keep: 'Reshape' });
    expect(m.layers.map((l) => l.name).slice(-3)).toEqual(['Reshape', 'dense_1', 'dense_2']);
    const w0 = m.getWeights(), wb = base.getWeights();
    for (const k of ['conv1/Conv.weight', 'conv2/Conv.bias']) expect(same(w0, wb, k), k).toBe(true);
    freeze(m, '/Reshape');   // as the ONNX file spells the node
    expect(frozenLayers(m)).toHaveLength(7);
    m.compile({ optimizer: { type: 'adam', lr: 0.01 }, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const x = new Tensor(randn(24 * 784, 3), [24, 28, 28, 1]), y = new Tensor(randInt(24, 3, 4), [24]);
    await m.fit(x, y, { epochs: 3, batchSize: 8 });
    const w1 = m.getWeights();
    for (const k of ['conv1/Conv.weight', 'conv1/Conv.bias', 'conv2/Conv.weight']) expect(same(w1, w0, k), `${k} frozen`).toBe(true);
    for (const k of ['dense_1.weight', 'dense_2.bias']) expect(same(w1, w0, k), `${k} trained`).toBe(false);
    unfreeze(m);   // re-compiles with the same options, weights kept
    expect(frozenLayers(m)).toEqual([]);
    expect(same(m.getWeights(), w1, 'dense_2.weight')).toBe(true);
    await m.fit(x, y, { epochs: 1, batchSize: 8 });
    expect(same(m.getWeights(), w1, 'conv1/Conv.weight')).toBe(false);
    expect(same(base.getWeights(), wb, 'conv1/Conv.weight')).toBe(true);   // the original is untouched
  });

  it('a frozen BatchNormalization keeps its statistics; imported affine constants stay frozen after unfreeze', async () => {
    const { model } = await importOnnx(fixture('torch_mlp'), { engine: e });
    const bn = model.layers.find((l) => l.type === 'batchNormalization')!.name;
    freeze(model, bn);
    model.compile({ optimizer: { type: 'sgd', lr: 0.1 }, loss: 'mse' });
    const before = model.getWeights();
    await model.fit(new Tensor(randn(16 * 20, 5), [16, 20]), new Tensor(randn(16 * 5, 6), [16, 5]), { epochs: 2, batchSize: 8 });
    for (const p of ['running_mean', 'running_var', 'weight']) expect(same(model.getWeights(), before, `${bn}.${p}`), p).toBe(true);
    const aff = new Sequential({ inputShape: [3], engine: e }).add(layers.batchNormalization({ name: 'scale/Mul', fixed: true })).add(layers.dense({ units: 2 }));
    expect(frozenLayers(unfreeze(aff))).toEqual(['scale/Mul']);
  });

  it('names the layers when a reference is wrong', async () => {
    const { model } = await importOnnx(fixture('torch_mlp'), { engine: e });
    expect(layerIndex(model, -1)).toBe(model.layers.length - 1);
    expect(() => freeze(model, 'nope')).toThrowError(AxonError);
    expect(() => freeze(model, 'nope')).toThrowError(/no layer "nope" .*\(layers: 0 0\/Gemm, 1 1\/BatchNormalization/);
    expect(() => replaceHead(model, [], { keep: 99 })).toThrowError(/no layer 99/);
  });
});
