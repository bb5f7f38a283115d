// Small import API gaps: loadTfjsWeights on a bare weights manifest (against the weights tfjs-layers
// saved), toAxonInput taking a Tensor, and getWeights({ layout: 'source' }) giving the source
// framework's tensors back by their names: the torch initializers of an ONNX export (OIHW convs, Gemm
// columns in PyTorch's flatten order), a folded ONNX bias, and Keras' kernels of a tfjs-layers model
// (Dense (in, out), HWIO / depthwise conv, LSTM and reset_after GRU kernels in Keras' gate order).
import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { importOnnx } from '../../src/import/onnx.js';
import { importTfjsLayers, TfjsModelJson } from '../../src/import/tfjs.js';
import { loadTfjsWeights, AxonError, Tensor, Sequential, layers } from '../../src/index.js';
import { decodeOnnx, tensorValues } from '../../src/import/onnx_proto.js';
import { OnnxBuilder } from '../../src/export/onnx_builder.js';
import type { Engine } from '../../src/runtime/engine.js';
import { engine, randn } from '../helpers.js';
import { save, randomize } from './tfjs_layers_kit.js';

let e: Engine;
beforeAll(async () => { e = await engine(); await tf.setBackend('cpu'); });
const code = async (p: Promise<unknown> | (() => unknown)) => {
  try { await (typeof p === 'function' ? p() : p); } catch (x) { return x instanceof AxonError ? `${x.code}: ${x.message}` : `not an AxonError: ${x}`; }
  return 'no error';
};
const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../fixtures/onnx/${name}.onnx`, import.meta.url)));

const cnnLstm = () => tfl.sequential({ layers: [
  tfl.layers.conv2d({ inputShape: [6, 5, 2], filters: 3, kernelSize: [3, 2], padding: 'same' }),
  tfl.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same' }),
  tfl.layers.batchNormalization({}),
  tfl.layers.reshape({ targetShape: [6, 30] }),
  tfl.layers.lstm({ units: 4, recurrentActivation: 'sigmoid', recurrentInitializer: 'glorotUniform' }),
  tfl.layers.dense({ units: 3 })] });

describe('loadTfjsWeights: a bare weights manifest', () => {
  it('decodes every weight of a tfjs-layers model from two shards, by name and shape', async () => {
    const m = cnnLstm(); randomize(m, 3);
    const a = await save(m), bytes = new Uint8Array(a.weightData);
    const shards: Record<string, Uint8Array> = { s1: bytes.slice(0, 77), s2: bytes.slice(77) };
    const manifest = [{ paths: ['s1', 's2'], weights: a.weightSpecs }];
    for (const given of [manifest, JSON.stringify(manifest), { weightsManifest: manifest }]) {
      const w = await loadTfjsWeights(given, (p) => shards[p]);
      expect([...w.keys()]).toEqual(a.weightSpecs.map((s) => s.name));
      for (const v of m.weights) {
        const t = w.get(v.originalName)!;
        expect(t.shape).toEqual(v.shape);
        expect(Array.from(t.data)).toEqual(Array.from(v.read().dataSync()));
      }
    }
  });
  it('says what is wrong with a bad manifest, a missing loader or a truncated shard', async () => {
    const specs = [{ name: 'k', shape: [2, 3], dtype: 'float32' }];
    expect(await code(loadTfjsWeights('{not json', () => new Uint8Array()))).toMatch(/^BAD_MODEL_FILE: loadTfjsWeights: the manifest is not JSON/);
    expect(await code(loadTfjsWeights([{ paths: 's1', weights: specs }] as never, () => new Uint8Array()))).toMatch(/^BAD_MODEL_FILE: loadTfjsWeights: expected a weights manifest/);
    expect(await code(loadTfjsWeights([{ paths: ['s1'], weights: specs }], undefined as never))).toMatch(/^BAD_ARGUMENT: loadTfjsWeights: pass loadShard/);
    expect(await code(loadTfjsWeights([{ paths: ['s1'], weights: specs }], () => new Uint8Array(20)))).toMatch(/^BAD_MODEL_FILE: .*"k" \(6 x float32\) needs bytes 0…24; a shard is missing or truncated/);
  });
});

describe('toAxonInput', () => {
  it('takes a Tensor in the ONNX layout as it takes raw values; an Axon-layout tensor is refused with the hint', async () => {
    const imp = await importOnnx(fixture('torch_lenet'), { engine: e });
    const x = randn(2 * 28 * 28, 4);
    const raw = imp.toAxonInput(x), fromTensor = imp.toAxonInput(new Tensor(x, [2, 1, 28, 28]));
    expect(fromTensor.shape).toEqual([2, 28, 28, 1]);
    expect(Array.from(fromTensor.data)).toEqual(Array.from(raw.data));
    expect(await code(() => imp.toAxonInput(new Tensor(x, [2, 28, 28, 1])))).toMatch(/^BAD_SHAPE: toAxonInput: the tensor has shape \[2,28,28,1\] but the ONNX input is \(N, 1,28,28\); it is already in the Axon layout/);
    expect(await code(() => imp.toAxonInput(new Tensor(new Int32Array(784), [1, 1, 28, 28])))).toMatch(/^BAD_ARGUMENT: toAxonInput: the tensor is i32/);
  });
});

describe("getWeights({ layout: 'source' })", () => {
  it('ONNX (torch export): the initializers back, by their torch names, OIHW and the Gemm columns in torch flatten order', async () => {
    const bytes = fixture('torch_lenet'), imp = await importOnnx(bytes, { engine: e });
    const src = imp.model.getWeights({ layout: 'source' });
    const inits = (await decodeOnnx(bytes)).graph.initializer!.map((t) => [t.name!, tensorValues(t, 'x')] as const);
    expect(inits.length).toBeGreaterThanOrEqual(8);
    for (const [name, t] of inits) {
      const got = src.get(name);
      expect(got, name).toBeDefined();
      expect(got!.shape, name).toEqual(t.dims);
      expect(Array.from(got!.data), name).toEqual(Array.from(Float32Array.from(t.data)));
    }
  });
  it('ONNX: a bias made by folding Conv (no bias) + Add names the added constant', async () => {
    const b = new OnnxBuilder('fold');
    const y = b.node('Add', [b.node('Conv', ['x', b.init('conv.w', [4, 2, 3, 3], randn(72, 1))], { kernel_shape: [3, 3] }), b.init('shift', [1, 4, 1, 1], [1, 2, 3, 4])]);
    const imp = await importOnnx(await b.build({ name: 'x', dims: ['N', 2, 5, 5] }, y), { engine: e });
    expect(Object.values(imp.paramSources).sort()).toEqual(['conv.w', 'shift']);
    const src = imp.model.getWeights({ layout: 'source' });
    expect(Array.from(src.get('shift')!.data)).toEqual([1, 2, 3, 4]);
    expect(src.get('conv.w')!.shape).toEqual([4, 2, 3, 3]);
  });
  it("TF.js layers: Keras' own kernels (conv, depthwise, BatchNormalization, LSTM, Dense) by their weight names", async () => {
    const m = cnnLstm(); randomize(m, 5);
    const { model } = await importTfjsLayers((await save(m)) as unknown as TfjsModelJson, { engine: e });
    const src = model.getWeights({ layout: 'source' });
    expect(src.size).toBe(m.weights.length);
    for (const v of m.weights) {
      const t = src.get(v.originalName);
      expect(t, v.originalName).toBeDefined();
      expect(t!.shape, v.originalName).toEqual(v.shape);
      expect(Array.from(t!.data), v.originalName).toEqual(Array.from(v.read().dataSync()));
    }
  });
  it('a Keras GRU with reset_after=True: kernel, recurrent_kernel and the (2, 3H) bias back in Keras order', async () => {
    const H = 3, a = await save(tfl.sequential({ layers: [tfl.layers.gru({ inputShape: [4, 2], units: H, recurrentActivation: 'sigmoid', recurrentInitializer: 'glorotUniform' })] }));
    (a.modelTopology as { config: { layers: { config: Record<string, unknown> }[] } }).config.layers[0].config.reset_after = true;
    const names = a.weightSpecs.map((s) => s.name), vals = [randn(2 * 9, 1), randn(3 * 9, 2), randn(18, 3)];
    a.weightSpecs = [{ name: names[0], shape: [2, 9], dtype: 'float32' }, { name: names[1], shape: [3, 9], dtype: 'float32' }, { name: names[2], shape: [2, 9], dtype: 'float32' }];
    a.weightData = new Float32Array(vals.flatMap((v) => Array.from(v))).buffer;
    const { model } = await importTfjsLayers(a as unknown as TfjsModelJson, { engine: e });
    const src = model.getWeights({ layout: 'source' });
    names.forEach((n, k) => { expect(src.get(n)!.shape).toEqual(a.weightSpecs[k].shape); expect(Array.from(src.get(n)!.data)).toEqual(Array.from(vals[k])); });
  });
  it('a model that was not imported has no source layout', async () => {
    const m = new Sequential({ inputShape: [3], engine: e });
    m.add(layers.dense({ units: 2 }));
    expect(await code(() => m.getWeights({ layout: 'source' }))).toMatch(/^BAD_ARGUMENT: getWeights\(\{ layout: 'source' \}\): model "\w+" was not imported/);
  });
});
