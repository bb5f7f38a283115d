// Imported layers keep their source names (model/names.ts): ONNX node names (else the first
// output's), TF.js graph node names (a fused node: its conv's / matmul's), sanitized and made
// unique. The names survive save → load, ONNX export (run in onnxruntime-node) and int8 PTQ;
// freeze / unfreeze take them (as written in the source, or as Axon spells them, or a prefix),
// freezing exactly those layers; unknown names fail with near matches. The importers' affine
// constants are marked `fixed` (not by a name prefix), and old files with onnx_affine_<k> still load frozen.
import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OnnxBuilder } from '../../src/export/onnx_builder.js';
import { exportOnnx } from '../../src/export/onnx.js';
import { importTfjsGraph } from '../../src/import/tfjs_graph.js';
import { AxonError, Model, Sequential, Tensor, layers, modelToBytes, modelFromBytes, freeze, unfreeze, frozenLayers, replaceHead, selectLayers } from '../../src/index.js';
import { BatchNormalization } from '../../src/layers/norm.js';
import { nameImported } from '../../src/model/names.js';
import { quantizeModel } from '../../src/quant/index.js';
import { importModel } from '../../targets/node/cli/import.js';
import { info, formatInfo } from '../../targets/node/cli/info.js';
import type { Engine } from '../../src/runtime/engine.js';
import { engine, randn } from '../helpers.js';
import { conform, maxDiff, ortRun } from './kit.js';
import { A, GraphBuilder as G } from './tfjs_graph_kit.js';

let e: Engine;
beforeAll(async () => { e = await engine(); });
const w = (b: OnnxBuilder, name: string, dims: number[], seed: number) => b.init(name, dims, randn(dims.reduce((p, q) => p * q, 1), seed, 0.3));

/** A small CNN whose node names look like PyTorch's and TensorFlow's exports, unnamed nodes, a name taken twice and a node called "input". */
async function namedCnn(): Promise<Uint8Array> {
  const b = new OnnxBuilder('named');
  let h = b.node('Conv', ['x', w(b, 'backbone.conv1.weight', [4, 3, 3, 3], 1), w(b, 'backbone.conv1.bias', [4], 2)], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, { name: '/backbone/conv1/Conv' });
  h = b.node('Relu', [h], {}, { name: '/backbone/Relu' });
  h = b.node('Mul', [h, w(b, 'gain', [1, 4, 1, 1], 3)], {}, { name: 'tf:scale/Mul' });   // after a Relu: a fixed affine layer
  h = b.node('Conv', [h, w(b, 'c2.w', [6, 4, 3, 3], 4), w(b, 'c2.b', [6], 5)], { kernel_shape: [3, 3], strides: [2, 2] }, { name: '', outputs: ['feat.out'] });
  h = b.node('Relu', [h], {}, { name: '', outputs: ['dup'] });
  h = b.node('MaxPool', [h], { kernel_shape: [3, 3] }, { name: 'dup', outputs: ['pooled'] });
  h = b.node('Flatten', [h], {}, { name: 'head/Flatten' });
  h = b.node('Gemm', [h, w(b, 'fc.w', [5, 6], 6), w(b, 'fc.b', [5], 7)], { transB: 1 }, { name: 'input' });
  return b.build({ name: 'x', dims: ['N', 3, 8, 8] }, b.node('Softmax', [h], { axis: -1 }, { name: 'head/Softmax' }));
}
const NAMES = ['backbone/conv1/Conv', 'backbone/Relu', 'tf_scale/Mul', 'feat_out', 'dup', 'dup_2', 'head/Flatten', 'input_layer', 'head/Softmax'];
const names = (m: Model) => m.layers.map((l) => l.name);
const bits = (a: ArrayLike<number>, b: ArrayLike<number>) => a.length === b.length && Array.from(a).every((v, i) => Object.is(v, b[i]));

describe('imported layer names', () => {
  it('ONNX: node names (else the first output), sanitized and unique; they survive save → load, ONNX export and PTQ', async () => {
    const bytes = await namedCnn(), x = randn(4 * 3 * 64, 9, 1);
    const imp = await conform('named cnn', bytes, x, [4, 3, 8, 8], e);
    expect(names(imp.model)).toEqual(NAMES);
    expect(imp.layerSources['tf_scale/Mul']).toBe('tf:scale/Mul');
    expect(imp.layerSources.feat_out).toBe('feat.out');
    expect(imp.paramSources['backbone/conv1/Conv.weight']).toBe('backbone.conv1.weight');
    const aff = imp.model.layers[2] as BatchNormalization;
    expect([aff.type, aff.fixed, aff.trainable]).toEqual(['batchNormalization', true, false]);

    const { model } = modelFromBytes(modelToBytes(imp.model), 'named.axon', e);
    expect(names(model)).toEqual(NAMES);
    expect((model.layers[2] as BatchNormalization).fixed).toBe(true);
    const xa = imp.toAxonInput(x), y = (await imp.model.predict(xa)).data;
    expect(bits((await model.predict(xa)).data, y)).toBe(true);

    const onnx = await exportOnnx(model);   // node and initializer names come from the layer names
    expect(maxDiff((await ortRun(onnx, xa.data, [4, 8, 8, 3])).data, y)).toBeLessThanOrEqual(1e-5);

    const q = await quantizeModel(model, new Tensor(randn(16 * 192, 10, 1), [16, 8, 8, 3]));
    expect(names(q)).toEqual(expect.arrayContaining(['backbone/conv1/Conv', 'feat_out', 'input_layer']));
    expect(q.layers.find((l) => l.name === 'backbone/conv1/Conv')!.type).toBe('qconv2d');
    const q2 = modelFromBytes(modelToBytes(q), 'q.axon', e).model;
    expect(names(q2)).toEqual(names(q));
    expect(maxDiff((await q2.predict(xa)).data, y)).toBeLessThanOrEqual(0.05);   // int8 probabilities
  });

  it('ONNX export keeps node names unique when a layer is named like an exporter\'s helper node', async () => {
    const m = new Sequential({ inputShape: [4, 4, 2], engine: e }).add(layers.conv2d({ filters: 3, kernelSize: 3, name: 'feat' }))
      .add(layers.globalAveragePooling2d({ name: 'g' })).add(layers.dense({ units: 2, name: 'g/flatten' }));   // the exporter writes GAP as GlobalAveragePool "g" + Flatten "g/flatten"
    const x = new Tensor(randn(2 * 32, 12), [2, 4, 4, 2]);
    expect(maxDiff((await ortRun(await exportOnnx(m), x.data, [2, 4, 4, 2])).data, (await m.predict(x)).data)).toBeLessThanOrEqual(1e-5);
  });

  it('`axon import` and `axon info` show the source names', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-names-'));
    try {
      writeFileSync(join(dir, 'named.onnx'), await namedCnn());
      await importModel(join(dir, 'named.onnx'), { out: join(dir, 'named.axon') });
      const i = await info(join(dir, 'named.axon'));
      expect(i.layers.map((l) => l.name)).toEqual(NAMES);
      expect(formatInfo(i)).toMatch(/backbone\/conv1\/Conv \(conv2d\)\s+\[batch, 8, 8, 4\][\s\S]*tf_scale\/Mul \(batchNormalization\) \*/);
      const { graph } = modelFromBytes(new Uint8Array(readFileSync(join(dir, 'named.axon'))), 'named.axon', e);
      expect((graph.extra!.importedFrom as { layerSources: Record<string, string> }).layerSources['backbone/conv1/Conv']).toBe('/backbone/conv1/Conv');
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });

  it('layers from one node: the one with parameters takes the name; generated names only for unnamed sources', () => {
    const items = [
      { layer: layers.flatten(), source: 'head.fc/Gemm' }, { layer: layers.dense({ units: 3 }), source: 'head.fc/Gemm' },
      { layer: layers.dense({ units: 3, activation: 'relu' }), source: 'x' }, { layer: layers.activation({ activation: 'relu' }), source: 'x/relu' },
      { layer: layers.dense({ units: 3 }), source: '' }, { layer: layers.dense({ units: 3 }), source: 'StatefulPartitionedCall/model/fc/MatMul' },
    ];
    nameImported(items);
    // x/relu is taken by the first dense's fused activation unit, so the Activation layer gets x/relu_2
    expect(items.map((i) => i.layer.name)).toEqual(['head_fc/Gemm/flatten', 'head_fc/Gemm', 'x', 'x/relu_2', 'dense_1', 'model/fc/MatMul']);
  });
});

describe('freezing imported layers by name', () => {
  const data = () => ({ x: new Tensor(randn(8 * 192, 21, 1), [8, 8, 8, 3]), y: new Tensor(randn(8 * 5, 22, 0.2), [8, 5]) });
  const imported = async () => modelFromBytes(modelToBytes((await conform('named cnn', await namedCnn(), randn(3 * 192, 9, 1), [3, 3, 8, 8], e)).model), 'm', e).model;

  it('freezes exactly the layers named (as in the ONNX file or as Axon spells them) or under a prefix; their weights stay bit-identical', async () => {
    const m = await imported();
    freeze(m, { prefix: '/backbone/' });   // as the ONNX file writes the scope
    expect(frozenLayers(m)).toEqual(['backbone/conv1/Conv', 'backbone/Relu', 'tf_scale/Mul']);   // the fixed affine layer was frozen already
    m.compile({ optimizer: { type: 'sgd', lr: 0.5 }, loss: 'mse' });
    const { x, y } = data(), w0 = m.getWeights();
    await m.fit(x, y, { epochs: 1, batchSize: 8 });
    const w1 = m.getWeights();
    for (const k of ['backbone/conv1/Conv.weight', 'backbone/conv1/Conv.bias', 'tf_scale/Mul.weight', 'tf_scale/Mul.running_var']) expect(bits(w1.get(k)!, w0.get(k)!), `${k} frozen`).toBe(true);
    for (const k of ['feat_out.weight', 'input_layer.bias']) expect(bits(w1.get(k)!, w0.get(k)!), `${k} trained`).toBe(false);

    unfreeze(m);
    expect(frozenLayers(m)).toEqual(['tf_scale/Mul']);   // fixed: exact constants stay frozen
    freeze(m, { layers: ['feat.out', 'input_layer'] });   // the ONNX output name, and an Axon name
    expect(frozenLayers(m)).toEqual(['tf_scale/Mul', 'feat_out', 'input_layer']);
    unfreeze(m, { prefix: 'feat' });
    expect(frozenLayers(m)).toEqual(['tf_scale/Mul', 'input_layer']);
    expect(selectLayers(m, { prefix: ['dup', 'head/'] })).toEqual([4, 5, 6, 8]);
  });

  it('replaces the head after an original name and freezes up to it', async () => {
    const m = replaceHead(await imported(), [layers.dense({ units: 3, activation: 'softmax' })], { keep: 'head/Flatten' });
    expect(names(m).slice(-2)).toEqual(['head/Flatten', 'dense_1']);
    freeze(m, '/backbone/Relu');
    expect(frozenLayers(m)).toEqual(['backbone/conv1/Conv', 'backbone/Relu', 'tf_scale/Mul']);
  });

  it('an unknown name or prefix fails with the names it resembles', async () => {
    const m = await imported();
    const err = (f: () => unknown) => { try { f(); } catch (x) { return x as AxonError; } throw new Error('no error'); };
    const a = err(() => freeze(m, 'backbone/conv1/conv'));
    expect(a).toBeInstanceOf(AxonError);
    expect(a.code).toBe('BAD_ARGUMENT');
    expect(a.message).toMatch(/no layer "backbone\/conv1\/conv" in model "named"; did you mean "backbone\/conv1\/Conv"/);
    expect(err(() => freeze(m, { layers: ['feat'] })).message).toMatch(/no layer "feat" .*did you mean "feat_out"/);
    expect(err(() => freeze(m, { prefix: 'backbon/' })).message).toMatch(/no layer name in model "named" starts with "backbon\/"; did you mean "backbone\/"/);
    expect(err(() => freeze(m, 'zzzzzzzz')).message).not.toMatch(/did you mean/);
    expect(err(() => freeze(m, {})).message).toMatch(/select layers with/);
  });
});

describe('fixed affine layers', () => {
  it('an old model file with onnx_affine_<k> layers loads with them fixed, and unfreeze leaves them frozen', async () => {
    const old = new Sequential({ inputShape: [3], engine: e }).add(layers.batchNormalization({ name: 'onnx_affine_1', eps: 2 ** -10, trainable: false })).add(layers.dense({ units: 2 }));
    const bytes = modelToBytes(old);
    expect(new TextDecoder().decode(bytes)).not.toContain('"fixed"');   // as such files were written
    const { model } = modelFromBytes(bytes, 'old.axon', e);
    expect((model.layers[0] as BatchNormalization).fixed).toBe(true);
    expect(frozenLayers(unfreeze(model))).toEqual(['onnx_affine_1']);
    expect(frozenLayers(unfreeze(new Sequential({ inputShape: [3], engine: e }).add(layers.batchNormalization({ name: 'onnx_affine_1' })).add(layers.dense({ units: 2 }))))).toEqual([]);
  });

  it('TF.js graph: layers named after their nodes, fused ones after their conv / matmul, the input scaling a fixed layer', async () => {
    const g = new G(), x = g.input('input', [-1, 6, 6, 3]), S = 'StatefulPartitionedCall/model/';
    const mul = g.op(`${S}scale/Mul`, 'Mul', [x, g.const(`${S}scale/Mul/y`, [], [0.5])]);
    const sub = g.op(`${S}scale/Sub`, 'Sub', [mul, g.const(`${S}scale/Sub/y`, [], [1])]);
    const c1 = g.op(`${S}block/conv/Relu`, '_FusedConv2D', [sub, g.rand(`${S}block/conv/Conv2D_weights`, [3, 3, 3, 4]), g.rand(`${S}block/conv/Conv2D_bn_offset`, [4])], { ...G.conv(1), ...G.fused(['BiasAdd', 'Relu']) });
    const dw = g.op(`${S}block/dw/Relu6`, 'FusedDepthwiseConv2dNative', [c1, g.rand(`${S}block/dw/kernel`, [3, 3, 4, 1]), g.rand(`${S}block/dw/bias`, [4])], { ...G.conv(2), ...G.fused(['BiasAdd', 'Relu6']) });
    const mean = g.op(`${S}pool/Mean`, 'Mean', [dw, g.ints(`${S}pool/axes`, [1, 2])], { keep_dims: A.b(false), Tidx: { type: 'DT_INT32' } });
    g.op(`${S}dense/BiasAdd`, '_FusedMatMul', [mean, g.rand('Func/w', [4, 2]), g.rand('Func/b', [2])], { transpose_a: A.b(false), transpose_b: A.b(false), ...G.fused(['BiasAdd']) });
    const imp = await importTfjsGraph(g.json(), { engine: e });
    const want = ['model/scale/Mul', 'model/block/conv/Conv2D', 'model/block/dw/depthwise', 'model/pool/Mean', 'model/dense/MatMul'];
    expect(names(imp.model)).toEqual(want);
    expect(imp.layerSources['model/block/conv/Conv2D']).toBe(`${S}block/conv/Relu`);   // the node it came from
    expect((imp.model.layers[0] as BatchNormalization).fixed).toBe(true);
    const { model } = modelFromBytes(modelToBytes(imp.model), 'g.axon', e);
    expect(names(model)).toEqual(want);
    expect(frozenLayers(unfreeze(model))).toEqual(['model/scale/Mul']);
    freeze(model, { prefix: `${S}block/` });   // the TF scope as the graph writes it
    expect(frozenLayers(model)).toEqual(['model/scale/Mul', 'model/block/conv/Conv2D', 'model/block/dw/depthwise']);
  });
});
