// TensorFlow.js layers-model import: models built and saved by @tensorflow/tfjs-layers (through a
// custom IOHandler), with float32 weights and uint8/uint16/float16-quantized copies (quantized here
// as tfjs-converter does; tfjs-core dequantizes them for the reference), against tfjs's CPU backend
// within 1e-4; model.json with shard files; functional graphs (residual Add, Concatenate, Keras 3
// inbound nodes); what is refused and the list of unsupported layers.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { importTfjsLayers, TfjsModelJson } from '../../src/import/tfjs.js';
import type { TfjsWeightSpec } from '../../src/import/tfjs_weights.js';
import { Tensor, Sequential } from '../../src/index.js';
import type { Engine } from '../../src/runtime/engine.js';
import { engine, randn } from '../helpers.js';
import { maxDiff } from './kit.js';
import { Artifacts, save, randomize, checkTfjs } from './tfjs_layers_kit.js';

let e: Engine;
beforeAll(async () => { e = await engine(); await tf.setBackend('cpu'); });
const ERR: Record<string, number> = {};
afterAll(() => { console.log('tfjs import max |axon - tfjs cpu|:', Object.entries(ERR).map(([k, v]) => `${k} ${v.toExponential(1)}`).join(', ')); });
const check = (label: string, a: Artifacts, inputShape: number[], B = 3) => checkTfjs(e, ERR, label, a, inputShape, B);

const toHalf = (v: number): number => {   // f32 → IEEE half bits, round to nearest
  const f = new Float32Array([v]), u = new Uint32Array(f.buffer)[0], s = (u >>> 16) & 0x8000, e8 = (u >>> 23) & 0xff, m = u & 0x7fffff;
  if (e8 < 103) return s;
  if (e8 < 113) return s | Math.round((m | 0x800000) / 2 ** (126 - e8));
  return s | Math.min(0x7bff, ((e8 - 112) << 10) + Math.round(m / 8192));
};
/** The artifacts with every float32 weight quantized as tfjs-converter does. */
function quantize(a: Artifacts, dtype: 'uint8' | 'uint16' | 'float16'): Artifacts {
  const parts: Uint8Array[] = [], specs: TfjsWeightSpec[] = [];
  let off = 0;
  for (const s of a.weightSpecs) {
    const n = s.shape.reduce((p, q) => p * q, 1), v = new Float32Array(a.weightData.slice(off, off + 4 * n));
    off += 4 * n;
    if (dtype === 'float16') { parts.push(new Uint8Array(Uint16Array.from(v, toHalf).buffer)); specs.push({ ...s, quantization: { dtype } }); continue; }
    const min = Math.min(...v), max = Math.max(...v), scale = max > min ? (max - min) / (dtype === 'uint8' ? 255 : 65535) : 1;
    const q = Array.from(v, (x) => Math.round((x - min) / scale));
    parts.push(new Uint8Array((dtype === 'uint8' ? Uint8Array.from(q) : new Uint8Array(Uint16Array.from(q).buffer))));
    specs.push({ ...s, quantization: { dtype, scale, min } });
  }
  const data = new Uint8Array(parts.reduce((p, q) => p + q.length, 0));
  parts.reduce((o, p) => (data.set(p, o), o + p.length), 0);
  return { ...a, weightSpecs: specs, weightData: data.buffer };
}

const cnn = () => tfl.sequential({ layers: [
  tfl.layers.conv2d({ inputShape: [12, 11, 3], filters: 6, kernelSize: 3, padding: 'same', activation: 'relu' }),
  tfl.layers.batchNormalization({ epsilon: 1e-3 }),
  tfl.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, strides: 2, padding: 'same' }),
  tfl.layers.reLU({ maxValue: 6 }), tfl.layers.leakyReLU({ alpha: 0.2 }),
  tfl.layers.maxPooling2d({ poolSize: 2 }), tfl.layers.zeroPadding2d({ padding: [[1, 0], [0, 1]] }),
  tfl.layers.separableConv2d({ filters: 5, kernelSize: 3, activation: 'tanh' }),
  tfl.layers.averagePooling2d({ poolSize: 2, strides: 1, padding: 'same' }),
  tfl.layers.conv2d({ filters: 4, kernelSize: 2, dilationRate: 1, padding: 'valid', activation: 'sigmoid' }),
  tfl.layers.globalAveragePooling2d({}), tfl.layers.dropout({ rate: 0.2 }),
  tfl.layers.dense({ units: 3, activation: 'softmax' })] });

describe('TensorFlow.js layers import vs tfjs CPU backend (1e-4)', () => {
  it.each(['float32', 'uint8', 'uint16', 'float16'] as const)('CNN (conv, BN, depthwise, separable, pools, padding), %s weights', async (dtype) => {
    const m = cnn(); randomize(m, 1);
    const a = await save(m);
    await check(`cnn ${dtype}`, dtype === 'float32' ? a : quantize(a, dtype), [12, 11, 3]);
  });

  it('Conv1D/MaxPooling1D/Flatten/Reshape/Activation/Softmax MLP, from model.json and two shard files', async () => {
    const m = tfl.sequential({ layers: [
      tfl.layers.conv1d({ inputShape: [12, 4], filters: 6, kernelSize: 3, padding: 'same', activation: 'relu' }), tfl.layers.maxPooling1d({ poolSize: 2 }),
      tfl.layers.flatten(), tfl.layers.dense({ units: 8, activation: 'tanh' }), tfl.layers.reshape({ targetShape: [2, 4] }), tfl.layers.flatten(),
      tfl.layers.activation({ activation: 'sigmoid' }), tfl.layers.dense({ units: 3, useBias: false }), tfl.layers.softmax()] });
    randomize(m, 2);
    const a = await save(m);
    await check('mlp', a, [12, 4]);
    const bytes = new Uint8Array(a.weightData), cut = 100;
    const json = JSON.stringify({ format: 'layers-model', modelTopology: a.modelTopology, weightsManifest: [{ paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'], weights: a.weightSpecs }] });
    const shards: Record<string, Uint8Array> = { 'group1-shard1of2.bin': bytes.slice(0, cut), 'group1-shard2of2.bin': bytes.slice(cut) };
    const { model } = await importTfjsLayers(json, { loadShard: (p) => shards[p], engine: e });
    const x = randn(2 * 48, 4), want = (m.predict(tf.tensor(x, [2, 12, 4])) as tf.Tensor).dataSync();
    expect(maxDiff((await model.predict(new Tensor(x, [2, 12, 4]))).data, want)).toBeLessThanOrEqual(1e-4);
    await expect(importTfjsLayers(json, { engine: e })).rejects.toThrowError(/pass loadShard/);
    await expect(importTfjsLayers(json, { loadShard: (p) => shards[p].slice(0, 10) })).rejects.toThrowError(/truncated/);
  });

  it('functional chains import as a Sequential; unsupported layers are listed', async () => {
    const inp = tfl.input({ shape: [6] });
    const chain = tfl.model({ inputs: inp, outputs: tfl.layers.dense({ units: 2 }).apply(tfl.layers.dense({ units: 4, activation: 'relu' }).apply(inp)) as tfl.SymbolicTensor });
    randomize(chain, 3);
    await check('functional chain', await save(chain), [6]);
    expect((await importTfjsLayers((await save(chain)) as unknown as TfjsModelJson, { engine: e })).model).toBeInstanceOf(Sequential);
    const unsupported = tfl.sequential({ layers: [tfl.layers.upSampling2d({ inputShape: [4, 4, 2] }), tfl.layers.flatten(), tfl.layers.dense({ units: 2, activation: 'softplus' }), tfl.layers.reLU({ maxValue: 4 })] });
    await expect(importTfjsLayers((await save(unsupported)) as unknown as TfjsModelJson)).rejects.toThrowError(/cannot import 3 layers:[\s\S]*UpSampling2D \(up_sampling2d_UpSampling2D\d+\): layer not supported[\s\S]*activation "softplus"[\s\S]*max_value 4/);
  });
});

/** Keras 3 writes inbound nodes as { args: [keras tensors] } and single input/output refs unnested. */
function keras3(a: Artifacts): Artifacts {
  const t = JSON.parse(JSON.stringify(a.modelTopology)), cfg = t.config;
  for (const l of cfg.layers) {
    l.inbound_nodes = l.inbound_nodes.map((node: [string, number, number][]) => {
      const ts = node.map(([n, i, j]) => ({ class_name: '__keras_tensor__', config: { keras_history: [n, i, j] } }));
      return { args: ts.length > 1 ? [ts] : ts, kwargs: {} };
    });
    if (l.class_name === 'InputLayer') { l.config.batch_shape = l.config.batch_input_shape; delete l.config.batch_input_shape; }
  }
  cfg.input_layers = cfg.input_layers[0];
  cfg.output_layers = cfg.output_layers[0];
  return { ...a, modelTopology: t };
}

describe('TensorFlow.js functional (graph) models vs tfjs CPU backend (1e-4)', () => {
  /** padding, conv, BN, relu6 (read three times), depthwise, residual add, concatenation on channels and on rows, a squeeze-and-excitation gate (multiply), avg pool */
  function residual(): tfl.LayersModel {
    const L = tfl.layers, inp = tfl.input({ shape: [10, 9, 3] });
    const r = L.reLU({ maxValue: 6 }).apply(L.batchNormalization().apply(L.conv2d({ filters: 4, kernelSize: 3, strides: 2 }).apply(L.zeroPadding2d({ padding: [[0, 1], [0, 1]] }).apply(inp)))) as tfl.SymbolicTensor;
    const s = L.add().apply([r, L.conv2d({ filters: 4, kernelSize: 1 }).apply(L.depthwiseConv2d({ kernelSize: 3, padding: 'same' }).apply(r))]) as tfl.SymbolicTensor;
    const channels = L.concatenate({ axis: -1 }).apply([s, r]) as tfl.SymbolicTensor;
    const rows = L.concatenate({ axis: 1 }).apply([channels, L.conv2d({ filters: 8, kernelSize: 1, activation: 'relu' }).apply(r)]) as tfl.SymbolicTensor;
    // squeeze-and-excitation: a per-channel sigmoid gate broadcast over the map
    const gate = L.reshape({ targetShape: [1, 1, 8] }).apply(L.dense({ units: 8, activation: 'sigmoid' }).apply(L.globalAveragePooling2d({}).apply(rows))) as tfl.SymbolicTensor;
    const se = L.multiply().apply([rows, gate]) as tfl.SymbolicTensor;
    const out = L.dense({ units: 3, activation: 'softmax' }).apply(L.flatten().apply(L.averagePooling2d({ poolSize: 2 }).apply(se))) as tfl.SymbolicTensor;
    const m = tfl.model({ inputs: inp, outputs: out });
    randomize(m, 4);
    return m;
  }

  it('residual add, concatenation (channels and rows), multiply by a gate, fan-out: float32 and uint8 weights; Keras 3 inbound nodes', async () => {
    const a = await save(residual());
    await check('graph', a, [10, 9, 3]);
    await check('graph uint8', quantize(a, 'uint8'), [10, 9, 3]);
    const { model } = await importTfjsLayers(a as unknown as TfjsModelJson, { engine: e });
    expect(model.isChain).toBe(false);
    const names = model.layers.map((l) => l.name), cat = names.filter((n) => n.startsWith('concatenate'));
    expect(model.inputsOf(names.find((n) => n.startsWith('add'))!)).toHaveLength(2);
    expect(cat.map((n) => model.layers.find((l) => l.name === n)!.outputShape)).toEqual([[5, 4, 8], [10, 4, 8]]);
    const k3 = await importTfjsLayers(keras3(a) as unknown as TfjsModelJson, { engine: e }), x = new Tensor(randn(2 * 270, 6), [2, 10, 9, 3]);
    expect(Array.from((await k3.model.predict(x)).data)).toEqual(Array.from((await model.predict(x)).data));
  });

  it('several inputs, shared layers and batch-axis concatenation are refused with the reason; several outputs import', async () => {
    const L = tfl.layers, i1 = tfl.input({ shape: [6] }), i2 = tfl.input({ shape: [6] });
    const two = tfl.model({ inputs: [i1, i2], outputs: L.concatenate().apply([i1, i2]) as tfl.SymbolicTensor });
    await expect(importTfjsLayers((await save(two)) as unknown as TfjsModelJson)).rejects.toThrowError(/2 inputs \(input\d+, input\d+\) and 1 outputs; only one input imports/);
    const d = L.dense({ units: 6 }).apply(i1) as tfl.SymbolicTensor;
    const multi = tfl.model({ inputs: i1, outputs: [d, L.dense({ units: 2 }).apply(d) as tfl.SymbolicTensor] });
    const imp = await importTfjsLayers((await save(multi)) as unknown as TfjsModelJson, { engine: e });
    expect(imp.model.outputNames.length).toBe(2);
    const xs = Float32Array.from({ length: 12 }, (_, i) => Math.sin(i)), want = (multi.predict(tf.tensor(xs, [2, 6])) as tf.Tensor[]).map((t) => t.dataSync());
    (await imp.model.predict([new Tensor(xs, [2, 6])])).forEach((g, k) => g.data.forEach((v, i) => expect(Math.abs(v - want[k][i])).toBeLessThan(1e-5)));
    const shared = L.dense({ units: 6, name: 'twice' }), i3 = tfl.input({ shape: [6] });
    const sh = tfl.model({ inputs: i3, outputs: shared.apply(shared.apply(i3)) as tfl.SymbolicTensor });
    await expect(importTfjsLayers((await save(sh)) as unknown as TfjsModelJson)).rejects.toThrowError(/shared layers[\s\S]*Dense \(twice\) is called 2 times/);
    const a = await save(residual()), t = JSON.parse(JSON.stringify(a.modelTopology));
    t.config.layers.find((l: { class_name: string }) => l.class_name === 'Concatenate').config.axis = 0;
    await expect(importTfjsLayers({ ...a, modelTopology: t } as unknown as TfjsModelJson)).rejects.toThrowError(/Concatenate \(concatenate_Concatenate\d+\): axis 0 is the batch axis/);
  });
});
