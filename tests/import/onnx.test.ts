// ONNX import conformance: models built here with the protobufjs schema, run in onnxruntime-node
// and in Axon after import; outputs within 1e-4. Plus layout cases (NHWC graphs, Reshape to CHW,
// folded shape arithmetic), error reporting, and the PyTorch exports in tests/fixtures/onnx.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { importOnnx } from '../../src/import/onnx.js';
import { OnnxBuilder, af } from '../../src/export/onnx_builder.js';
import { AxonError } from '../../src/errors.js';
import type { Engine } from '../../src/runtime/engine.js';
import { readFileSync, readdirSync } from 'node:fs';
import { engine, randn, expectClose } from '../helpers.js';
import { conform, MAX_ERR } from './kit.js';

let e: Engine;
beforeAll(async () => { e = await engine(); });
afterAll(() => { console.log('max |axon - onnxruntime|:', Object.entries(MAX_ERR).map(([k, v]) => `${k} ${v.toExponential(1)}`).join(', ')); });

let seed = 100;
const w = (b: OnnxBuilder, name: string, dims: number[], scale = 0.3) => b.init(name, dims, randn(dims.reduce((p, q) => p * q, 1), ++seed, scale));
const pos = (n: number, s: number) => Float32Array.from(randn(n, s), (v) => 0.5 + Math.abs(v));

/** conv + BN + activation block (weights OIHW). */
function convBn(b: OnnxBuilder, x: string, C: number, OC: number, k: number, attrs: Record<string, number | number[]>, act: (y: string) => string): string {
  const g = (attrs.group as number) ?? 1;
  const y = b.node('Conv', [x, w(b, `w${++seed}`, [OC, C / g, k, k]), w(b, `b${seed}`, [OC], 0.1)], { kernel_shape: [k, k], ...attrs });
  const bn = b.node('BatchNormalization', [y, b.init(`s${++seed}`, [OC], pos(OC, seed)), w(b, `bb${seed}`, [OC], 0.1), w(b, `m${seed}`, [OC], 0.1), b.init(`v${seed}`, [OC], pos(OC, seed + 1))], { epsilon: af(1e-3) });
  return act(bn);
}

describe('ONNX import: models vs onnxruntime-node (1e-4)', () => {
  it('MLP: Gemm (transB 0/1, alpha, beta), MatMul+Add, Relu, Tanh, LeakyRelu, Sigmoid, Softmax', async () => {
    const b = new OnnxBuilder('mlp');
    let h = b.node('Gemm', ['x', w(b, 'fc1.weight', [16, 20]), w(b, 'fc1.bias', [16])], { transB: 1 });
    h = b.node('Relu', [h]);
    h = b.node('MatMul', [h, w(b, 'mm', [16, 12])]);
    h = b.node('Add', [h, w(b, 'mm_b', [12])]);
    h = b.node('Tanh', [h]);
    h = b.node('Gemm', [h, w(b, 'fc3.weight', [12, 10]), w(b, 'fc3.bias', [1, 10])], { alpha: af(0.7), beta: af(1.5) });
    h = b.node('LeakyRelu', [h], { alpha: af(0.2) });
    h = b.node('Mul', [h, b.init('scale', [], [1.25])]);
    h = b.node('Sigmoid', [h]);
    h = b.node('Gemm', [h, w(b, 'fc4.weight', [5, 10]), w(b, 'fc4.bias', [5])], { transB: 1 });
    const bytes = await b.build({ name: 'x', dims: ['N', 20] }, b.node('Softmax', [h], { axis: -1 }));
    const imp = await conform('mlp', bytes, randn(7 * 20, 1), [7, 20], e);
    expect(imp.model.layers.map((l) => l.type)).toEqual(['dense', 'activation', 'dense', 'activation', 'dense', 'activation', 'batchNormalization', 'activation', 'dense', 'activation']);
    expect(imp.paramSources['gemm_1.weight']).toBe('fc1.weight');   // layers are named after their nodes (the builder's gemm_1)
  });

  it('LeNet-like CNN: Conv, MaxPool, AveragePool (count_include_pad), Flatten, Gemm (columns reordered for NHWC), LogSoftmax', async () => {
    const b = new OnnxBuilder('lenet');
    let h = b.node('Conv', ['x', w(b, 'c1.w', [4, 1, 3, 3]), w(b, 'c1.b', [4], 0.1)], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
    h = b.node('Relu', [h]);
    h = b.node('MaxPool', [h], { kernel_shape: [2, 2], strides: [2, 2] });
    h = b.node('Conv', [h, w(b, 'c2.w', [6, 4, 3, 3]), w(b, 'c2.b', [6], 0.1)], { kernel_shape: [3, 3], dilations: [1, 1] });
    h = b.node('Tanh', [h]);
    h = b.node('AveragePool', [h], { kernel_shape: [2, 2], strides: [2, 2], pads: [1, 1, 0, 0], count_include_pad: 1 });
    h = b.node('Flatten', [h]);
    h = b.node('Gemm', [h, w(b, 'f1.w', [16, 6 * 2 * 2], 0.2), w(b, 'f1.b', [16], 0.1)], { transB: 1 });
    h = b.node('Relu', [h]);
    h = b.node('Gemm', [h, w(b, 'f2.w', [16, 10], 0.3)], {});
    const bytes = await b.build({ name: 'x', dims: ['N', 1, 12, 12] }, b.node('LogSoftmax', [h], { axis: 1 }));
    const imp = await conform('lenet', bytes, randn(5 * 144, 2), [5, 1, 12, 12], e);
    expect(imp.model.inputShape).toEqual([12, 12, 1]);
  });

  it('MobileNet-like block: Conv stride 2 + BN + Clip(0,6), depthwise, pointwise, HardSwish, GlobalAveragePool, Dropout, Gemm', async () => {
    const b = new OnnxBuilder('mobilenet');
    const relu6 = (y: string) => b.node('Clip', [y, b.init(`lo${++seed}`, [], [0]), b.init(`hi${seed}`, [], [6])]);
    let h = convBn(b, 'x', 3, 8, 3, { strides: [2, 2], pads: [1, 1, 1, 1] }, relu6);
    h = convBn(b, h, 8, 8, 3, { group: 8, pads: [1, 1, 1, 1] }, relu6);
    h = convBn(b, h, 8, 16, 1, {}, (y) => b.node('HardSwish', [y]));
    h = convBn(b, h, 16, 16, 3, { group: 16, strides: [2, 2], pads: [0, 0, 1, 1] }, (y) => b.node('HardSigmoid', [y], { alpha: af(1 / 6), beta: af(0.5) }));
    h = b.node('GlobalAveragePool', [h]);
    h = b.node('Flatten', [h]);
    h = b.node('Dropout', [h, b.init('ratio', [], [0.2])]);
    const bytes = await b.build({ name: 'x', dims: ['N', 3, 16, 16] }, b.node('Gemm', [h, w(b, 'fc.w', [10, 16]), w(b, 'fc.b', [10], 0.1)], { transB: 1 }), { opset: 17 });
    const imp = await conform('mobilenet', bytes, randn(3 * 3 * 256, 3), [3, 3, 16, 16], e);
    expect(imp.model.layers.filter((l) => l.type === 'batchNormalization')).toHaveLength(4);
  });

  it('layouts: NHWC graph (Transpose first), Pad, ceil-mode MaxPool, per-channel Mul/Sub, view(N, -1) via Shape/Gather/Concat, Reshape to CHW after Dense', async () => {
    const b = new OnnxBuilder('layouts');
    let h = b.node('Transpose', ['x'], { perm: [0, 3, 1, 2] });
    h = b.node('Pad', [h, b.ints('pads', [0, 0, 1, 0, 0, 0, 0, 2])]);
    h = b.node('Conv', [h, w(b, 'c.w', [5, 2, 3, 3]), w(b, 'c.b', [5], 0.1)], { kernel_shape: [3, 3], strides: [1, 2] });
    h = b.node('Mul', [h, w(b, 'chan_scale', [1, 5, 1, 1], 1)]);
    h = b.node('Relu', [h]);
    h = b.node('Sub', [h, w(b, 'chan_shift', [5, 1, 1], 1)]);
    h = b.node('MaxPool', [h], { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 });
    const shape = b.node('Shape', [h]);
    const n0 = b.node('Gather', [shape, b.ints('zero', [0])], { axis: 0 });
    h = b.node('Reshape', [h, b.node('Concat', [n0, b.ints('minus1', [-1])], { axis: 0 })]);
    h = b.node('Gemm', [h, w(b, 'd.w', [2 * 3 * 3, 5 * 3 * 3], 0.2), w(b, 'd.b', [18], 0.1)], { transB: 1 });
    h = b.node('Sigmoid', [h]);
    h = b.node('Reshape', [h, b.ints('chw', [0, 2, 3, 3])]);
    h = b.node('Conv', [h, w(b, 'c2.w', [3, 2, 2, 2]), w(b, 'c2.b', [3], 0.1)], { kernel_shape: [2, 2] });
    h = b.node('Flatten', [h]);
    const bytes = await b.build({ name: 'x', dims: ['N', 7, 9, 2] }, b.node('Softmax', [h]));
    const imp = await conform('layouts', bytes, randn(4 * 7 * 9 * 2, 4), [4, 7, 9, 2], e);
    expect(imp.model.inputShape).toEqual([7, 9, 2]);
  });

  it('Conv1D, Squeeze/Unsqueeze, Identity, Cast, bias-free MatMul', async () => {
    const b = new OnnxBuilder('conv1d');
    let h = b.node('Conv', ['x', w(b, 'c.w', [6, 3, 3]), w(b, 'c.b', [6], 0.1)], { kernel_shape: [3], pads: [1, 2], dilations: [2] });
    h = b.node('Relu', [h]);
    h = b.node('MaxPool', [h], { kernel_shape: [2], strides: [2] });
    h = b.node('Unsqueeze', [h, b.ints('ax', [2])]);
    h = b.node('Identity', [h]);
    h = b.node('Conv', [h, w(b, 'c2.w', [4, 6, 1, 2])], { kernel_shape: [1, 2] });
    h = b.node('GlobalAveragePool', [h]);
    h = b.node('Squeeze', [h, b.ints('ax2', [2, 3])]);
    h = b.node('Cast', [h], { to: 1 });
    const bytes = await b.build({ name: 'x', dims: [2, 3, 10] }, b.node('MatMul', [h, w(b, 'mm', [4, 3])]));
    await conform('conv1d', bytes, randn(2 * 30, 5), [2, 3, 10], e);
  });
});

describe('ONNX import: what it refuses', () => {
  it('lists every unsupported op and join in one UNSUPPORTED error', async () => {
    const b = new OnnxBuilder('bad');
    const a = b.node('Conv', ['x', w(b, 'w1', [2, 2, 1, 1])], { kernel_shape: [1, 1] }, { name: 'conv_a' });
    const r = b.node('Div', [a, 'x'], {}, { name: 'ratio' });
    const s = b.node('Erf', [r], {}, { name: 'gelu_erf' });
    const bytes = await b.build({ name: 'x', dims: ['N', 2, 4, 4] }, b.node('Einsum', [s], { equation: 'ij->ji' }, { name: 'einsum_1' }));
    let err: unknown;
    try { await importOnnx(bytes, { file: 'bad.onnx' }); } catch (x) { err = x; }
    expect(err).toBeInstanceOf(AxonError);
    expect((err as AxonError).code).toBe('UNSUPPORTED');
    const msg = (err as AxonError).message;
    for (const want of ['Erf (gelu_erf): op not supported', 'Einsum (einsum_1): op not supported', 'Div (ratio): takes 2 non-constant inputs', 'only Add, Sum, Concat, Mul, QLinearAdd are supported']) expect(msg).toContain(want);
  });

  it('reports attribute-level limits with the node name, and bad opsets and bytes', async () => {
    const b = new OnnxBuilder('clip');
    const h = b.node('Clip', ['x', b.init('lo', [], [-1]), b.init('hi', [], [1])], {}, { name: 'hardtanh' });
    const y = b.node('HardSigmoid', [h], { alpha: af(0.2) }, { name: 'hs' });
    await expect(importOnnx(await b.build({ name: 'x', dims: ['N', 4] }, y))).rejects.toThrowError(/Clip \(hardtanh\): Clip\(-1, 1\)[\s\S]*HardSigmoid \(hs\): HardSigmoid\(alpha=0.2/);
    const c = new OnnxBuilder('old');
    await expect(importOnnx(await c.build({ name: 'x', dims: ['N', 4] }, c.node('Relu', ['x']), { opset: 11 }))).rejects.toThrowError(/opset 11 is not supported \(13–17\)/);
    await expect(importOnnx(new Uint8Array([1, 2, 3, 4, 5]), { file: 'junk.onnx' })).rejects.toThrowError(/junk.onnx: not an ONNX model|junk.onnx: the ONNX model has no graph/);
  });
});

describe('ONNX import: PyTorch 1.13 exports (tests/fixtures/onnx, made by make.py and make_gaps.py)', () => {
  const dir = new URL('../fixtures/onnx/', import.meta.url);
  // (make.py's models, which come with a .json of PyTorch's output; make_rnn.py's are tested in onnx_general.test.ts, the quantized torch_qdq_* in onnx_qdq.test.ts)
  const names = readdirSync(dir).filter((f) => f.endsWith('.json') && !f.startsWith('torch_qdq')).map((f) => f.slice(0, -5));
  it('has the fixtures', () => { expect(names.length).toBeGreaterThanOrEqual(5); });
  it.each(names)('%s: matches onnxruntime and PyTorch within 1e-4', async (name) => {
    const bytes = new Uint8Array(readFileSync(new URL(`${name}.onnx`, dir)));
    const ref = JSON.parse(readFileSync(new URL(`${name}.json`, dir), 'utf8')) as { x: number[]; y: number[]; inputShape: number[]; outputShape: number[] };
    const imp = await conform(name, bytes, Float32Array.from(ref.x), ref.inputShape, e);
    const y = imp.toOnnxOutput(await imp.model.predict(imp.toAxonInput(ref.x)));
    expect([ref.inputShape[0], ...imp.onnxOutputShape]).toEqual(ref.outputShape);
    expectClose(y, ref.y, 0, 1e-4, `${name} vs PyTorch`);
  });
});
