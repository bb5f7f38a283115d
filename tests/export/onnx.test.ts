// Export: Axon models → ONNX, run in onnxruntime-node (NHWC and NCHW inputs) against Axon's own
// predictions within 1e-4; export → import round trip; PyTorch-layout safetensors checked against
// the PyTorch weights inside the committed torch exports.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { Sequential, Model, MODEL_INPUT, layers, Tensor } from '../../src/index.js';
import { exportOnnx } from '../../src/export/onnx.js';
import { OnnxBuilder } from '../../src/export/onnx_builder.js';
import { exportTorchSafetensors } from '../../src/export/torch.js';
import { importOnnx } from '../../src/import/onnx.js';
import { decodeOnnx, tensorValues } from '../../src/import/onnx_proto.js';
import { decodeSafetensors } from '../../src/format/safetensors.js';
import { applyOrder, channelsLastOrder } from '../../src/import/onnx_layout.js';
import type { Engine } from '../../src/runtime/engine.js';
import { engine, randn } from '../helpers.js';
import { ortRun, maxDiff } from '../import/kit.js';

let e: Engine;
beforeAll(async () => { e = await engine(); });
const ERR: Record<string, number> = {};
afterAll(() => { console.log('export max |onnxruntime - axon|:', Object.entries(ERR).map(([k, v]) => `${k} ${v.toExponential(1)}`).join(', ')); });

/** Random weights everywhere (BN statistics included), so every parameter matters. */
function randomize<M extends Model>(m: M, seed: number): M {
  const w = m.getWeights();
  for (const [k, v] of w) {
    const r = randn(v.length, seed++, 0.4);
    w.set(k, k.endsWith('running_var') || k.endsWith('.weight') && m.layers.find((l) => k.startsWith(`${l.name}.`))?.type === 'batchNormalization' ? r.map((x) => 0.5 + Math.abs(x)) : r);
  }
  m.setWeights(w);
  return m;
}

const MODELS: [string, () => Model][] = [
  ['mlp', () => new Sequential({ inputShape: [12], engine: e })
    .add(layers.dense({ units: 16, activation: 'relu' })).add(layers.batchNormalization()).add(layers.dropout({ rate: 0.3 }))
    .add(layers.dense({ units: 8, activation: 'tanh' })).add(layers.activation({ activation: 'leakyRelu', alpha: 0.1 }))
    .add(layers.dense({ units: 5, activation: 'logSoftmax' }))],
  ['cnn', () => new Sequential({ inputShape: [11, 10, 3], engine: e })
    .add(layers.zeroPadding2d({ padding: [1, 2] }))
    .add(layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu6' })).add(layers.batchNormalization())
    .add(layers.depthwiseConv2d({ kernelSize: 3, padding: [1, 1, 0, 0], depthMultiplier: 2, activation: 'hardSwish' }))
    .add(layers.conv2d({ filters: 5, kernelSize: 1, dilationRate: 1, activation: 'hardSigmoid' }))
    .add(layers.maxPool2d({ poolSize: 2, strides: 1, padding: 'same' })).add(layers.avgPool2d({ poolSize: 3, strides: 2, padding: 'same', countIncludePad: false }))
    .add(layers.conv2d({ filters: 4, kernelSize: 2, dilationRate: 2, padding: 'same', activation: 'sigmoid' }))
    .add(layers.flatten()).add(layers.dense({ units: 7, activation: 'softmax' }))],
  ['gap_conv1d', () => new Sequential({ inputShape: [16, 3], engine: e })
    .add(layers.conv1d({ filters: 5, kernelSize: 3, padding: 'same', activation: 'relu' })).add(layers.maxPool1d({ poolSize: 2 }))
    .add(layers.reshape({ targetShape: [2, 4, 5] })).add(layers.conv2d({ filters: 6, kernelSize: 1, groups: 1 }))
    .add(layers.globalAveragePooling2d()).add(layers.dense({ units: 3 }))],
  ['graph', () => {
    // residual block, channel concat with a pooled branch, and a concat of flat features with a dense branch
    const m = new Model({ inputShape: [6, 6, 3], engine: e });
    m.add(layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'stem' }));
    m.add(layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'c1' })).add(layers.batchNormalization({ name: 'bn' }));
    m.add(layers.add({ name: 'res' }), { inputs: ['stem', 'bn'] });
    m.add(layers.maxPool2d({ poolSize: 3, strides: 1, padding: 'same', name: 'pool' }), { inputs: [MODEL_INPUT] });
    m.add(layers.concatenate({ name: 'mix' }), { inputs: ['res', 'pool'] });
    m.add(layers.concatenate({ axis: 0, name: 'rows' }), { inputs: ['mix', 'mix'] });
    m.add(layers.globalAveragePooling2d({ name: 'gap' }));
    m.add(layers.dense({ units: 7, activation: 'sigmoid', name: 'gate' }));
    m.add(layers.multiply({ name: 'se' }), { inputs: ['rows', 'gate'] });
    m.add(layers.globalAveragePooling2d({ name: 'gap2' }));
    m.add(layers.multiply({ name: 'sq' }), { inputs: ['gap2', 'gap'] });
    m.add(layers.dense({ units: 5, activation: 'tanh', name: 'd' }));
    m.add(layers.concatenate({ name: 'wide' }), { inputs: ['sq', 'd'] });
    m.add(layers.dense({ units: 3, activation: 'softmax' }));
    return m;
  }],
  ['convt_pad_slice', () => new Sequential({ inputShape: [5, 6, 3], engine: e })
    .add(layers.pad2d({ padding: [1, 2, 2, 1], mode: 'reflect' })).add(layers.conv2d({ filters: 4, kernelSize: 3, activation: 'tanh' }))
    .add(layers.conv2dTranspose({ filters: 6, kernelSize: 3, strides: 2, padding: [1, 0, 1, 1], outputPadding: [1, 0], groups: 2 }))
    .add(layers.pad2d({ padding: 1, mode: 'edge' })).add(layers.pad2d({ padding: [0, 1, 1, 0], value: -0.5 }))
    .add(layers.slice({ indices: [[0, 2, 4, 5], null, [5, 1]] })).add(layers.conv2dTranspose({ filters: 3, kernelSize: 2, padding: 'same', strides: 2 }))],
  ['conv_out', () => new Sequential({ inputShape: [6, 6, 2], engine: e })
    .add(layers.conv2d({ filters: 4, kernelSize: 3, padding: 'valid' })).add(layers.batchNormalization()).add(layers.activation('softmax'))],
];

describe('ONNX export vs onnxruntime-node (1e-4)', () => {
  it.each(MODELS)('%s: NHWC and NCHW graphs, and back through the importer', async (name, make) => {
    const m = randomize(make(), 7), B = 3, S = m.inputShape.reduce((a, b) => a * b, 1);
    const x = randn(B * S, 11);
    const want = (await m.predict(new Tensor(x, [B, ...m.inputShape]))).data as Float32Array;
    const nhwc = await ortRun(await exportOnnx(m), x, [B, ...m.inputShape]);
    expect(nhwc.dims).toEqual([B, ...m.outputShape]);
    ERR[`${name} nhwc`] = maxDiff(nhwc.data, want);
    expect(ERR[`${name} nhwc`]).toBeLessThanOrEqual(1e-4);
    if (m.inputShape.length >= 2) {   // channels-first graph: NCHW input, NCHW spatial output
      const o = channelsLastOrder([m.inputShape.at(-1)!, ...m.inputShape.slice(0, -1)]);
      const r = await ortRun(await exportOnnx(m, { inputLayout: 'nchw', opset: 17 }), applyOrder(x, o, true), [B, m.inputShape.at(-1)!, ...m.inputShape.slice(0, -1)]);
      const os = m.outputShape, back = os.length >= 2 ? applyOrder(r.data, channelsLastOrder([os.at(-1)!, ...os.slice(0, -1)])) : r.data;
      ERR[`${name} nchw`] = maxDiff(back, want);
      expect(ERR[`${name} nchw`]).toBeLessThanOrEqual(1e-4);
    }
    const imp = await importOnnx(await exportOnnx(m), { engine: e });
    expect(imp.model.inputShape).toEqual(m.inputShape);
    const again = imp.toOnnxOutput(await imp.model.predict(imp.toAxonInput(x)));
    expect(maxDiff(again, want)).toBeLessThanOrEqual(1e-5);
  });

  it('refuses layers it cannot write, naming them', async () => {
    const m = new Sequential({ inputShape: [5, 3], engine: e }).add(layers.lstm({ units: 4 })).add(layers.dense({ units: 2 }));
    await expect(exportOnnx(m)).rejects.toThrowError(/cannot export lstm_1 \(lstm\)/);
  });
});

describe('PyTorch safetensors export', () => {
  it.each(['torch_lenet', 'torch_mlp', 'torch_pools'])('%s: import → export gives back the PyTorch state_dict tensors', async (name) => {
    const bytes = new Uint8Array(readFileSync(new URL(`../fixtures/onnx/${name}.onnx`, import.meta.url)));
    const imp = await importOnnx(bytes, { engine: e });
    const st = decodeSafetensors(exportTorchSafetensors(imp.model, { names: imp.paramSources }), name);
    const inits = (await decodeOnnx(bytes)).graph!.initializer!;
    let compared = 0;
    for (const t of inits) {
      if (!Object.values(imp.paramSources).includes(t.name!)) continue;
      const { dims, data } = tensorValues(t, name), got = st.tensors.get(t.name!)!;
      expect(got.shape, t.name).toEqual(dims);
      expect(Array.from(got.data as Float32Array), t.name).toEqual(Array.from(data));
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(4);
    if (name === 'torch_mlp') expect(st.tensors.get('1.num_batches_tracked')?.dtype).toBe('I64');
  });

  it('ConvTranspose (groups 2): import → export gives back the ONNX/PyTorch (C, F/g, KH, KW) weight and bias', async () => {
    const b = new OnnxBuilder('ct'), wt = randn(4 * 3 * 2 * 3, 21), bias = randn(6, 22);
    const y = b.node('ConvTranspose', ['x', b.init('up.weight', [4, 3, 2, 3], wt), b.init('up.bias', [6], bias)], { kernel_shape: [2, 3], strides: [2, 2], group: 2 });
    const imp = await importOnnx(await b.build({ name: 'x', dims: ['N', 4, 3, 3] }, y), { engine: e });
    const st = decodeSafetensors(exportTorchSafetensors(imp.model, { names: imp.paramSources }), 'ct');
    expect(st.tensors.get('up.weight')?.shape).toEqual([4, 3, 2, 3]);
    expect(Array.from(st.tensors.get('up.weight')!.data as Float32Array)).toEqual(Array.from(wt));
    expect(Array.from(st.tensors.get('up.bias')!.data as Float32Array)).toEqual(Array.from(bias));
  });
});
