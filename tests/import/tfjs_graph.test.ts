// TensorFlow.js graph-model import: GraphDef JSON built here for small CNNs that use every supported
// op (a MobileNetV2-like block among them) and a real converted MobileNetV2 shipped in the nsfwjs
// package (uint8-quantized), each against tfjs-converter's GraphModel on tfjs's CPU backend within
// 1e-4; model.json with shards and `axon import`; the errors for unsupported ops, NCHW graphs and missing weights.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { MobileNetV2MidModel } from 'nsfwjs/models/mobilenet_v2_mid';
import { importTfjsGraph, type TfjsGraphJson } from '../../src/import/tfjs_graph.js';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AxonError, Tensor, modelFromBytes, freeze, frozenLayers } from '../../src/index.js';
import { importModel } from '../../targets/node/cli/import.js';
import type { Engine } from '../../src/runtime/engine.js';
import { engine, randn } from '../helpers.js';
import { maxDiff, ortRun } from './kit.js';
import { exportOnnx } from '../../src/export/onnx.js';
import { A, GraphBuilder as G, tfjsRun } from './tfjs_graph_kit.js';

let e: Engine;
beforeAll(async () => { e = await engine(); });
const ERR: Record<string, number> = {};
afterAll(() => { console.log('tfjs graph import max |axon - tfjs cpu|:', Object.entries(ERR).map(([k, v]) => `${k} ${v.toExponential(1)}`).join(', ')); });

type Graph = ReturnType<G['json']>;
/** Imports g, runs Axon and tfjs-converter on the same batch, checks |diff| <= 1e-4; returns the import. */
async function check(label: string, g: Graph, inputShape: number[], out: string, opts: { B?: number; x?: Float32Array; ref?: Graph } = {}) {
  const B = opts.B ?? 3, n = inputShape.reduce((p, q) => p * q, 1), x = opts.x ?? randn(B * n, 5);
  const want = await tfjsRun(opts.ref ?? g, x, [B, ...inputShape], out);
  const imp = await importTfjsGraph(g, { engine: e, file: label, output: out });
  const got = (await imp.model.predict(new Tensor(x, [B, ...inputShape]))).data;
  expect(got.length, `${label}: output size`).toBe(want.length);
  ERR[label] = maxDiff(got, want);
  expect(ERR[label], `${label}: max |axon - tfjs|`).toBeLessThanOrEqual(1e-4);
  return imp;
}

/** Conv2D/BiasAdd, Mul/Sub input scaling, dilated depthwise, MaxPool, Pad, EXPLICIT padding, FusedBatchNormV3, LeakyRelu, AvgPool, Shape→StridedSlice→Pack→Reshape, MatMul(transpose_b), RealDiv, Tanh, Softmax. */
function convStack(): Graph {
  const g = new G(), x = g.input('input', [-1, 9, 10, 3]);
  const mul = g.op('scale/Mul', 'Mul', [g.const('scale/Mul/y', [], [1 / 127.5]), x]);
  const sub = g.op('scale/Sub', 'Sub', [mul, g.const('scale/Sub/y', [], [1])]);
  const c1 = g.op('c1/Conv2D', 'Conv2D', [sub, g.rand('c1/w', [3, 3, 3, 6])], G.conv(2));
  const r1 = g.op('c1/Relu', 'Relu', [g.op('c1/BiasAdd', 'BiasAdd', [c1, g.rand('c1/b', [6])], { data_format: A.s('NHWC') })]);
  const dw = g.op('dw/depthwise', 'DepthwiseConv2dNative', [r1, g.rand('dw/w', [3, 3, 6, 2])], G.conv(1, 'SAME', 2));
  const r2 = g.op('dw/Relu6', 'Relu6', [g.op('dw/BiasAdd', 'BiasAdd', [dw, g.rand('dw/b', [12])])]);
  const mp = g.op('pool/MaxPool', 'MaxPool', [r2], { ksize: A.ints([1, 3, 3, 1]), strides: A.ints([1, 2, 2, 1]), padding: A.s('SAME') });
  const pad = g.op('pad/Pad', 'Pad', [mp, g.const('pad/paddings', [4, 2], [0, 0, 1, 0, 0, 1, 0, 0], 'int32')]);
  const c2 = g.op('c2/Conv2D', 'Conv2D', [pad, g.rand('c2/w', [2, 2, 12, 5])], { ...G.conv(1, 'EXPLICIT'), explicit_paddings: A.ints([0, 0, 1, 1, 0, 1, 0, 0]) });
  const bn = g.op('bn/FusedBatchNormV3', 'FusedBatchNormV3', [c2, g.rand('bn/gamma', [5], 0.5, true), g.rand('bn/beta', [5]), g.rand('bn/mean', [5]), g.rand('bn/var', [5], 0.5, true)],
    { epsilon: A.f(1e-3), is_training: A.b(false), data_format: A.s('NHWC') });
  const lr = g.op('bn/LeakyRelu', 'LeakyRelu', [bn], { alpha: A.f(0.1) });
  const ap = g.op('pool2/AvgPool', 'AvgPool', [lr], { ksize: A.ints([1, 2, 2, 1]), strides: A.ints([1, 2, 2, 1]), padding: A.s('VALID') });
  const sh = g.op('flat/Shape', 'Shape', [ap], { out_type: { type: 'DT_INT32' } });
  const n = g.op('flat/strided_slice', 'StridedSlice', [sh, g.ints('flat/ss/begin', [0]), g.ints('flat/ss/end', [1]), g.ints('flat/ss/strides', [1])],
    { shrink_axis_mask: A.i(1), begin_mask: A.i(0), end_mask: A.i(0), ellipsis_mask: A.i(0), new_axis_mask: A.i(0), T: { type: 'DT_INT32' }, Index: { type: 'DT_INT32' } });
  const pk = g.op('flat/Pack', 'Pack', [n, g.scalarInt('flat/minus1', -1)], { axis: A.i(0), N: A.i(2), T: { type: 'DT_INT32' } });
  const rs = g.op('flat/Reshape', 'Reshape', [ap, pk]);
  const mm = g.op('fc/MatMul', 'MatMul', [rs, g.rand('fc/w', [7, 20])], { transpose_a: A.b(false), transpose_b: A.b(true) });
  const th = g.op('fc/Tanh', 'Tanh', [g.op('fc/BiasAdd', 'BiasAdd', [mm, g.rand('fc/b', [7])])]);
  g.op('out/Softmax', 'Softmax', [g.op('out/truediv', 'RealDiv', [th, g.const('out/t', [], [0.5])])]);
  return g.json();
}

/** A MobileNetV2 block as tfjs-converter writes it: fused stem, 1x1 expand (Relu6), fused depthwise (Relu6), 1x1 project, residual AddV2, Mean, _FusedMatMul, Softmax. */
function mobileBlock(): Graph {
  const g = new G(), x = g.input('input', [-1, 8, 8, 3]), bRelu6 = G.fused(['BiasAdd', 'Relu6']);
  const stem = g.op('stem/Relu6', '_FusedConv2D', [x, g.rand('stem/w', [3, 3, 3, 8]), g.rand('stem/b', [8])], { ...G.conv(2), ...bRelu6 });
  const ex = g.op('b1/expand/Relu6', '_FusedConv2D', [stem, g.rand('b1/expand/w', [1, 1, 8, 16]), g.rand('b1/expand/b', [16])], { ...G.conv(1), ...bRelu6 });
  const dw = g.op('b1/depthwise/Relu6', 'FusedDepthwiseConv2dNative', [ex, g.rand('b1/dw/w', [3, 3, 16, 1]), g.rand('b1/dw/b', [16])], { ...G.conv(1), ...bRelu6 });
  const pr = g.op('b1/project/BiasAdd', '_FusedConv2D', [dw, g.rand('b1/project/w', [1, 1, 16, 8]), g.rand('b1/project/b', [8])], { ...G.conv(1), ...G.fused(['BiasAdd']) });
  const add = g.op('b1/add', 'AddV2', [stem, pr]);
  const mean = g.op('pool/Mean', 'Mean', [add, g.ints('pool/axes', [1, 2])], { keep_dims: A.b(false), Tidx: { type: 'DT_INT32' } });
  const fc1 = g.op('fc1/Relu', '_FusedMatMul', [mean, g.rand('fc1/w', [8, 6]), g.rand('fc1/b', [6])], { ...G.fused(['BiasAdd', 'Relu']), transpose_a: A.b(false), transpose_b: A.b(false) });
  const fc2 = g.op('fc2/BiasAdd', '_FusedMatMul', [fc1, g.rand('fc2/w', [5, 6]), g.rand('fc2/b', [5])], { ...G.fused(['BiasAdd']), transpose_a: A.b(false), transpose_b: A.b(true) });
  g.op('Identity', 'Identity', [g.op('Softmax', 'Softmax', [fc2])]);
  return g.json();
}

/** Two branches (fused LeakyRelu conv, Conv2D + Sigmoid) → ConcatV2 on channels, per-channel Add/Mul, squeeze-and-excitation (Mul by a gate), PadV2, Mean(keep_dims) → Squeeze → ExpandDims → Reshape, AddN of two MatMuls, const − x, LogSoftmax. */
function branches(): Graph {
  const g = new G(), x = g.input('input', [-1, 6, 6, 4]);
  const a = g.op('a/LeakyRelu', '_FusedConv2D', [x, g.rand('a/w', [1, 1, 4, 3]), g.rand('a/b', [3])], { ...G.conv(1), ...G.fused(['BiasAdd', 'LeakyRelu'], 1, { leakyrelu_alpha: A.f(0.3) }) });
  const b = g.op('b/Sigmoid', 'Sigmoid', [g.op('b/Conv2D', 'Conv2D', [x, g.rand('b/w', [3, 3, 4, 5])], G.conv(1))]);
  const cat = g.op('cat', 'ConcatV2', [a, b, g.scalarInt('cat/axis', -1)], { N: A.i(2), Tidx: { type: 'DT_INT32' } });
  const add = g.op('affine/add', 'AddV2', [cat, g.rand('affine/shift', [8])]);
  const mul = g.op('affine/mul', 'Mul', [add, g.rand('affine/scale', [1, 1, 1, 8])]);
  const squeeze = g.op('se/Mean', 'Mean', [mul, g.ints('se/axes', [1, 2])], { keep_dims: A.b(true), Tidx: { type: 'DT_INT32' } });
  const gate = g.op('se/Sigmoid', 'Sigmoid', [g.op('se/conv', '_FusedConv2D', [squeeze, g.rand('se/w', [1, 1, 8, 8]), g.rand('se/b', [8])], { ...G.conv(1), ...G.fused(['BiasAdd']) })]);
  const se = g.op('se/mul', 'Mul', [mul, gate]);
  const pad = g.op('pad', 'PadV2', [se, g.const('pad/p', [4, 2], [0, 0, 2, 1, 1, 0, 0, 0], 'int32'), g.const('pad/v', [], [0])]);
  const mean = g.op('mean', 'Mean', [pad, g.ints('mean/axes', [-3, -2])], { keep_dims: A.b(true), Tidx: { type: 'DT_INT32' } });
  const sq = g.op('squeeze', 'Squeeze', [mean], { squeeze_dims: A.ints([1, 2]) });
  const ed = g.op('expand', 'ExpandDims', [sq, g.scalarInt('expand/axis', -1)], { Tdim: { type: 'DT_INT32' } });
  const rs = g.op('reshape', 'Reshape', [ed, g.ints('reshape/shape', [-1, 8])]);
  const m1 = g.op('m1', 'MatMul', [rs, g.rand('m1/w', [8, 4])], { transpose_a: A.b(false), transpose_b: A.b(false) });
  const m2 = g.op('m2', 'MatMul', [rs, g.rand('m2/w', [8, 4])], { transpose_a: A.b(false), transpose_b: A.b(false) });
  const sum = g.op('sum', 'AddN', [m1, m2], { N: A.i(2) });
  const neg = g.op('neg', 'Sub', [g.rand('neg/c', [4]), sum]);
  g.op('out', 'LogSoftmax', [g.op('tanh', 'Tanh', [neg])]);
  return g.json();
}

describe('TensorFlow.js graph import vs tfjs-converter on the CPU backend (1e-4)', () => {
  it('conv stack: Conv2D/BiasAdd folded, depthwise (dilated), pools, Pad, FusedBatchNormV3, shape arithmetic, MatMul', async () => {
    const imp = await check('conv stack', convStack(), [9, 10, 3], 'out/Softmax');
    const types = imp.model.layers.map((l) => l.type);
    // BatchNormalization: the input scaling (Mul and Sub in one affine layer), FusedBatchNormV3, RealDiv after Tanh; the BiasAdds folded
    expect(types.filter((t) => t === 'batchNormalization')).toHaveLength(3);
    expect(types).not.toContain('add');
    expect(imp.model.isChain).toBe(true);
    expect(Object.values(imp.paramSources)).toEqual(expect.arrayContaining(['c1/w', 'fc/w', 'bn/gamma']));
  });

  it('MobileNetV2-like block: fused depthwise + Relu6, 1x1 fused convs, residual AddV2, Mean, _FusedMatMul, Softmax', async () => {
    const imp = await check('mobile block', mobileBlock(), [8, 8, 3], 'Identity');
    expect(imp.model.isChain).toBe(false);
    const add = imp.model.layers.find((l) => l.type === 'add')!;
    expect(imp.model.inputsOf(add.name)).toHaveLength(2);
    expect(imp.layerSources[add.name]).toBe('b1/add');
  });

  it('branches: ConcatV2, per-channel Add/Mul, squeeze-and-excitation Mul, PadV2, Mean keep_dims, Squeeze/ExpandDims/Reshape, AddN, const - x, LogSoftmax', async () => {
    const imp = await check('branches', branches(), [6, 6, 4], 'out');
    expect(imp.model.layers.map((l) => l.type)).toEqual(expect.arrayContaining(['concatenate', 'add', 'multiply', 'zeroPadding2d', 'globalAveragePooling2d']));
  });

  it('Pad on the channel axis (and spatially), PadV2 with a non-zero constant on the channels, each followed by a conv reading the new channels', async () => {
    const g = new G(), x = g.input('input', [-1, 5, 6, 3]);
    const p1 = g.op('pad1', 'Pad', [x, g.const('pad1/p', [4, 2], [0, 0, 1, 0, 0, 1, 2, 1], 'int32')]);                  // 3 → 6 channels, zeros
    const c1 = g.op('c1', 'Conv2D', [p1, g.rand('w1', [3, 3, 6, 4])], G.conv(1, 'SAME'));
    const p2 = g.op('pad2', 'PadV2', [c1, g.const('pad2/p', [4, 2], [0, 0, 0, 0, 0, 0, 0, 3], 'int32'), g.const('pad2/v', [], [0.5])]);   // 4 → 7, value 0.5
    g.op('out', 'Relu', [g.op('c2', 'Conv2D', [p2, g.rand('w2', [1, 1, 7, 2])], G.conv(1, 'VALID'))]);
    const imp = await check('channel pads', g.json(), [5, 6, 3], 'out');
    expect(imp.model.layers.filter((l) => l.type === 'pad2d').map((l) => l.outputShape)).toEqual([[6, 7, 6], [6, 7, 7]]);
    // and back out as ONNX Pads with channel pads, run in onnxruntime
    const xs = randn(2 * 90, 8), want = (await imp.model.predict(new Tensor(xs, [2, 5, 6, 3]))).data;
    expect(maxDiff((await ortRun(await exportOnnx(imp.model), xs, [2, 5, 6, 3])).data, want)).toBeLessThanOrEqual(1e-5);
  });

  it('_FusedConv2D with FusedBatchNorm (folded into the weights) matches the unfused Conv2D + FusedBatchNormV3 graph', async () => {
    const build = (fused: boolean) => {
      const g = new G(), x = g.input('input', [-1, 5, 5, 2]), w = g.rand('w', [3, 3, 2, 4]);
      const bn = [g.rand('gamma', [4], 0.5, true), g.rand('beta', [4]), g.rand('mean', [4]), g.rand('var', [4], 0.5, true)];
      const y = fused
        ? g.op('y', '_FusedConv2D', [x, w, ...bn], { ...G.conv(1, 'VALID'), ...G.fused(['FusedBatchNorm', 'Relu'], 4, { epsilon: A.f(1e-3) }) })
        : g.op('y', 'Relu', [g.op('bn', 'FusedBatchNormV3', [g.op('conv', 'Conv2D', [x, w], G.conv(1, 'VALID')), ...bn], { epsilon: A.f(1e-3) })]);
      g.op('out', 'Reshape', [y, g.ints('shape', [-1, 36])]);
      return g.json();
    };
    const imp = await check('fused batchnorm', build(true), [5, 5, 2], 'out', { ref: build(false) });
    expect(imp.model.layers.map((l) => l.type)).toEqual(['conv2d', 'flatten']);
  });

  it('model.json with two shard files (loadShard), and a chosen output of a two-output graph', async () => {
    const g = mobileBlock(), bytes = new Uint8Array(g.weightData), cut = 200;
    const shards: Record<string, Uint8Array> = { 'group1-shard1of2.bin': bytes.slice(0, cut), 'group1-shard2of2.bin': bytes.slice(cut) };
    const json = JSON.stringify({ format: 'graph-model', modelTopology: g.modelTopology, weightsManifest: [{ paths: Object.keys(shards), weights: g.weightSpecs }] });
    const { model } = await importTfjsGraph(json, { loadShard: (p) => shards[p], engine: e });
    const x = randn(2 * 192, 3), want = await tfjsRun(g, x, [2, 8, 8, 3], 'Identity');
    expect(maxDiff((await model.predict(new Tensor(x, [2, 8, 8, 3]))).data, want)).toBeLessThanOrEqual(1e-4);
    await expect(importTfjsGraph(json, { engine: e })).rejects.toThrowError(/pass loadShard/);

    const two = mobileBlock();
    (two.modelTopology as { node: unknown[] }).node.push({ name: 'features', op: 'Relu', input: ['pool/Mean'], attr: { T: A.T } });
    await expect(importTfjsGraph(two, { engine: e })).rejects.toThrowError(/2 outputs \(Identity, features\); pass \{ output/);
    const imp = await check('chosen output', two, [8, 8, 3], 'features');
    expect(imp.model.outputShape).toEqual([8]);
  });
});

const fixtureOnnx = new URL('../fixtures/onnx/torch_mlp.onnx', import.meta.url).pathname;

describe('axon import of a graph model.json', () => {
  it('writes an .axon file (graph wiring kept) that predicts what tfjs-converter does', async () => {
    const g = mobileBlock(), dir = mkdtempSync(join(tmpdir(), 'axon-tfgraph-'));
    try {
      writeFileSync(join(dir, 'model.json'), JSON.stringify({ format: 'graph-model', modelTopology: g.modelTopology, weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: g.weightSpecs }] }));
      writeFileSync(join(dir, 'group1-shard1of1.bin'), new Uint8Array(g.weightData));
      expect(await importModel(join(dir, 'model.json'), { out: join(dir, 'm.axon') })).toMatchObject({ inputShape: [8, 8, 3] });
      const { model, graph } = modelFromBytes(readFileSync(join(dir, 'm.axon')), 'm.axon', e);
      expect(graph.kind).toBe('graph');
      expect((graph.extra?.importedFrom as { format: string }).format).toBe('tfjs-graph');
      const x = randn(2 * 192, 8), want = await tfjsRun(g, x, [2, 8, 8, 3], 'Identity');
      expect(maxDiff((await model.predict(new Tensor(x, [2, 8, 8, 3]))).data, want)).toBeLessThanOrEqual(1e-4);
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });

  it('--output picks one output of a two-output graph; --output and --input-shape are refused for other formats', async () => {
    const two = mobileBlock(), dir = mkdtempSync(join(tmpdir(), 'axon-tfgraph-'));
    (two.modelTopology as { node: unknown[] }).node.push({ name: 'features', op: 'Relu', input: ['pool/Mean'], attr: { T: A.T } });
    try {
      writeFileSync(join(dir, 'model.json'), JSON.stringify({ format: 'graph-model', modelTopology: two.modelTopology, weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: two.weightSpecs }] }));
      writeFileSync(join(dir, 'group1-shard1of1.bin'), new Uint8Array(two.weightData));
      await expect(importModel(join(dir, 'model.json'), { out: join(dir, 'm.axon') })).rejects.toThrowError(/2 outputs \(Identity, features\); pass \{ output: <node name> \} \(CLI: --output <node>\)/);
      await importModel(join(dir, 'model.json'), { out: join(dir, 'm.axon'), output: 'features', inputShape: [8, 8, 3] });
      const { model } = modelFromBytes(readFileSync(join(dir, 'm.axon')), 'm.axon', e);
      const x = randn(2 * 192, 9), want = await tfjsRun(two, x, [2, 8, 8, 3], 'features');
      expect(model.outputShape).toEqual([8]);
      expect(maxDiff((await model.predict(new Tensor(x, [2, 8, 8, 3]))).data, want)).toBeLessThanOrEqual(1e-4);
      await expect(importModel(fixtureOnnx, { out: join(dir, 'o.axon'), output: 'x' })).rejects.toThrowError(/--output and --input-shape apply to TensorFlow.js graph models/);
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });
});

describe('README: the TensorFlow.js graph-model example', () => {
  it('runs as written on a model.json + shard directory and gives tfjs-converter\'s scores', async () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const code = /### TensorFlow.js graph models\n\n```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(code, 'README has the example').toBeTruthy();
    const g = mobileBlock(), dir = mkdtempSync(join(tmpdir(), 'axon-tfgraph-readme-')), model = join(dir, 'web_model');
    try {
      mkdirSync(model);
      writeFileSync(join(model, 'model.json'), JSON.stringify({ format: 'graph-model', modelTopology: g.modelTopology, weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: g.weightSpecs }] }));
      writeFileSync(join(model, 'group1-shard1of1.bin'), new Uint8Array(g.weightData));
      const entry = pathToFileURL(new URL('../../targets/node/index.ts', import.meta.url).pathname).href, file = join(dir, 'example.ts');
      writeFileSync(file, code!.replace(/from 'axon'/g, `from '${entry}'`).replace(`'web_model'`, JSON.stringify(model)) + '\nexport const result = { outputName, scores };\n');
      const { result } = await import(/* @vite-ignore */ pathToFileURL(file).href);
      expect(result.outputName).toBe('Identity');
      expect(maxDiff(result.scores.data, await tfjsRun(g, new Float32Array(2 * 192).fill(0.5), [2, 8, 8, 3], 'Identity'))).toBeLessThanOrEqual(1e-4);
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });
});

describe('TensorFlow.js graph import: a real converted model (nsfwjs MobileNetV2, uint8 weights)', () => {
  it('matches tfjs-converter on two 224x224 images', async () => {
    const nm = MobileNetV2MidModel, unwrap = <T>(m: { default?: T } | T): T => (m as { default?: T }).default ?? (m as T);
    const mj = unwrap(await nm.modelJson()) as TfjsGraphJson & { weightsManifest: { paths: string[]; weights: Graph['weightSpecs'] }[] };
    const shards = await Promise.all(nm.weightBundles.map(async (load) => new Uint8Array(Buffer.from(unwrap(await load()) as unknown as string, 'base64'))));
    const data = new Uint8Array(shards.reduce((s, p) => s + p.length, 0));
    shards.reduce((o, p) => (data.set(p, o), o + p.length), 0);
    const g: Graph = { ...mj, weightSpecs: mj.weightsManifest[0].weights, weightData: data.buffer };
    const x = Float32Array.from(randn(2 * 224 * 224 * 3, 11), (v) => Math.min(255, Math.max(0, 128 + 60 * v)));
    // the logits (before the Softmax, so differences are not squashed), then the whole graph
    const imp = await check('nsfwjs mobilenet_v2_mid logits', g, [224, 224, 3], 'StatefulPartitionedCall/sequential/dense/BiasAdd', { B: 2, x });
    expect(imp.model.outputShape).toEqual([5]);
    expect(imp.model.layers.filter((l) => l.type === 'add')).toHaveLength(10);
    // layers keep the graph's node names (TF's StatefulPartitionedCall scopes dropped); fused nodes are named after their conv / matmul
    const P = 'sequential/keras_layer/predict/MobilenetV2/', names = imp.model.layers.map((l) => l.name);
    expect(names.slice(1, 4)).toEqual([`${P}Conv/Conv2D`, `${P}expanded_conv/depthwise/depthwise`, `${P}expanded_conv/project/Conv2D`]);
    expect(names.slice(-2)).toEqual(['sequential/keras_layer/predict/feature_vector/SpatialSqueeze', 'sequential/dense/MatMul']);
    expect(imp.layerSources['sequential/dense/MatMul']).toBe('StatefulPartitionedCall/sequential/dense/BiasAdd');
    const S = 'StatefulPartitionedCall/sequential/keras_layer/StatefulPartitionedCall/StatefulPartitionedCall/StatefulPartitionedCall/predict/MobilenetV2/';
    expect(names.filter((n) => n.startsWith(P))).toHaveLength(names.length - 3);
    // by the scope as the graph writes it: the backbone, beside the input scaling (a fixed affine layer, frozen from the start)
    expect(frozenLayers(freeze(imp.model, { prefix: S }))).toEqual(['sequential/keras_layer/predict/hub_input/Mul', ...names.filter((n) => n.startsWith(P))]);
    const whole = await importTfjsGraph(g, { engine: e });
    expect(whole.outputName).toBe('Identity');
    const logits = (await imp.model.predict(new Tensor(x, [2, 224, 224, 3]))).data, probs = (await whole.model.predict(new Tensor(x, [2, 224, 224, 3]))).data;
    for (let r = 0; r < 2; r++) {
      const row = Array.from(logits.subarray(r * 5, r * 5 + 5)), mx = Math.max(...row), s = row.reduce((p, v) => p + Math.exp(v - mx), 0);
      row.forEach((v, k) => expect(probs[r * 5 + k]).toBeCloseTo(Math.exp(v - mx) / s, 6));
    }
  }, 120_000);
});

describe('TensorFlow.js graph import: bad input', () => {
  const expectUnsupported = async (g: Graph, re: RegExp) => {
    const err = await importTfjsGraph(g, { engine: e }).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(AxonError);
    expect((err as AxonError).code).toBe('UNSUPPORTED');
    expect((err as AxonError).message).toMatch(re);
    return err as AxonError;
  };

  it('lists every unsupported node in one error, with its name', async () => {
    const g = new G(), x = g.input('input', [-1, 4, 4, 2]);
    const c = g.op('c/Elu', '_FusedConv2D', [x, g.rand('c/w', [1, 1, 2, 2]), g.rand('c/b', [2])], { ...G.conv(1), ...G.fused(['BiasAdd', 'Elu']) });
    const erf = g.op('gelu/Erf', 'Erf', [c]);
    const up = g.op('up/ResizeBilinear', 'ResizeBilinear', [erf, g.ints('up/size', [8, 8])], { align_corners: A.b(false) });
    g.op('out', 'Relu', [up]);
    const err = await expectUnsupported(g.json(), /cannot import 3 nodes:\n {2}_FusedConv2D \(c\/Elu\): fused op Elu not supported[\s\S]*Erf \(gelu\/Erf\): op not supported\n {2}ResizeBilinear \(up\/ResizeBilinear\): op not supported\nsupported ops: .*FusedDepthwiseConv2dNative/);
    expect(err.details?.problems).toHaveLength(3);
  });

  it('refuses NCHW graphs, naming the layout to use', async () => {
    const g = new G(), x = g.input('input', [-1, 2, 4, 4]);
    const c = g.op('conv', 'Conv2D', [x, g.rand('w', [1, 1, 2, 2])], { ...G.conv(1), data_format: A.s('NCHW') });
    g.op('bias', 'BiasAdd', [c, g.rand('b', [2])], { data_format: A.s('NCHW') });
    await expectUnsupported(g.json(), /cannot import 2 nodes:\n {2}Conv2D \(conv\): data_format NCHW is not supported: Axon is channels-last \(NHWC\)[\s\S]*BiasAdd \(bias\): data_format NCHW/);
  });

  it('reports a Const whose weight is missing, ops that need constants, and configurations it cannot take', async () => {
    const g = mobileBlock();
    const k = g.weightSpecs.findIndex((s) => s.name === 'b1/dw/w'), off = g.weightSpecs.slice(0, k).reduce((s, w) => s + 4 * w.shape.reduce((p, q) => p * q, 1), 0);
    const size = 4 * 3 * 3 * 16, bytes = new Uint8Array(g.weightData);
    const cut: Graph = { ...g, weightSpecs: g.weightSpecs.filter((_, i) => i !== k), weightData: new Uint8Array([...bytes.slice(0, off), ...bytes.slice(off + size)]).buffer };
    await expectUnsupported(cut, /cannot import 1 node:\n {2}Const \(b1\/dw\/w\): no value: "b1\/dw\/w" is not in the weights manifest/);

    const h = new G(), x = h.input('input', [-1, 4, 4, 2]);
    const a = h.op('a', 'Relu', [x]), b = h.op('b', 'Relu6', [x]);
    const prod = h.op('prod', 'Sub', [a, b]);
    const st = h.op('st', 'Conv2D', [x, h.rand('w', [1, 1, 2, 2])], { ...G.conv(1), strides: A.ints([2, 1, 1, 1]) });
    h.op('out', 'AddN', [prod, st], { N: A.i(2) });   // not reported: its inputs failed already
    await expectUnsupported(h.json(), /cannot import 2 nodes:\n {2}Sub \(prod\): Sub of two activations is not supported[\s\S]*Conv2D \(st\): strides \[2,1,1,1\]: only the spatial axes/);
  });

  it('says what a file is when it is not a graph model, and asks for an input shape when it is open', async () => {
    await expect(importTfjsGraph({ format: 'layers-model', modelTopology: { class_name: 'Sequential', config: {} } })).rejects.toThrowError(/layers model; import it with importTfjsLayers/);
    const g = new G(), x = g.input('input', [-1, -1, -1, 3]);
    g.op('out', 'Identity', [x]);
    await expect(importTfjsGraph(g.json(), { engine: e })).rejects.toThrowError(/fixed per-sample sizes: pass \{ inputShape/);
    await expect(importTfjsGraph(g.json(), { engine: e, inputShape: [2, 2, 3] })).rejects.toThrowError(/the model input itself; no layers compute it/);
  });
});
