// ONNX graphs that branch: residual Add, Sum, Concat (inception-style on channels, and on flat
// features), a value read by several nodes whose producer must not absorb a later constant, and
// branches nothing reads. Built here, run in onnxruntime-node and in Axon after import (1e-4).
import { describe, it, expect, beforeAll } from 'vitest';
import { importOnnx } from '../../src/import/onnx.js';
import { OnnxBuilder, af } from '../../src/export/onnx_builder.js';
import { Model, Sequential, modelToBytes, modelFromBytes, replaceHead, freeze, layers, Tensor } from '../../src/index.js';
import type { Engine } from '../../src/runtime/engine.js';
import { engine, randn, randInt } from '../helpers.js';
import { conform, reportMaxErr, seededWeights } from './kit.js';

let e: Engine;
beforeAll(async () => { e = await engine(); });
reportMaxErr('graph import');

const { w, pos, next } = seededWeights(300);
const conv = (b: OnnxBuilder, x: string, C: number, OC: number, k: number, extra: Record<string, number | number[]> = {}) =>
  b.node('Conv', [x, w(b, [OC, C / ((extra.group as number) ?? 1), k, k]), w(b, [OC], 0.1)], { kernel_shape: [k, k], pads: Array(4).fill((k - 1) / 2), ...extra });
const bn = (b: OnnxBuilder, x: string, C: number) => b.node('BatchNormalization', [x, b.init(`s${next()}`, [C], pos(C)), w(b, [C], 0.1), w(b, [C], 0.1), b.init(`v${next()}`, [C], pos(C))], { epsilon: af(1e-5) });

/** a ResNet basic block: relu(bn(conv(relu(bn(conv(x))))) + x), then a strided block with a 1×1 projection shortcut */
function resnet(b: OnnxBuilder): string {
  const stem = b.node('Relu', [bn(b, conv(b, 'x', 3, 8, 3), 8)]);
  const r1 = b.node('Relu', [bn(b, conv(b, stem, 8, 8, 3), 8)]);
  const y1 = b.node('Relu', [b.node('Add', [bn(b, conv(b, r1, 8, 8, 3), 8), stem], {}, { name: 'block1_add' })]);
  const r2 = b.node('Relu', [bn(b, conv(b, y1, 8, 16, 3, { strides: [2, 2] }), 16)]);
  const main = bn(b, conv(b, r2, 16, 16, 3), 16), short = bn(b, conv(b, y1, 8, 16, 1, { strides: [2, 2] }), 16);
  const y2 = b.node('Relu', [b.node('Add', [short, main], {}, { name: 'block2_add' })]);
  const g = b.node('Flatten', [b.node('GlobalAveragePool', [y2])]);
  return b.node('Gemm', [g, w(b, [5, 16]), w(b, [5], 0.1)], { transB: 1 });
}

describe('ONNX graph import vs onnxruntime-node (1e-4)', () => {
  it('ResNet blocks: residual Add with identity and projection shortcuts', async () => {
    const b = new OnnxBuilder('resnet'), bytes = await b.build({ name: 'x', dims: ['N', 3, 8, 8] }, resnet(b));
    const imp = await conform('resnet', bytes, randn(2 * 3 * 64, 1), [2, 3, 8, 8], e);
    expect(imp.model).toBeInstanceOf(Model);
    expect(imp.model).not.toBeInstanceOf(Sequential);
    expect(imp.model.layers.filter((l) => l.type === 'add').length).toBe(2);
  });

  it('inception-style Concat on channels (1×1, 3×3, max-pool branches) and Sum of three', async () => {
    const b = new OnnxBuilder('inception');
    const x = b.node('Relu', [conv(b, 'x', 3, 6, 3)]);
    const p = b.node('Relu', [conv(b, x, 6, 4, 1)]), q = b.node('Relu', [conv(b, x, 6, 5, 3)]);
    const m = b.node('MaxPool', [x], { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1] });
    const cat = b.node('Concat', [p, q, m], { axis: 1 }, { name: 'mixed' });   // 4 + 5 + 6 = 15 channels
    const s = b.node('Sum', [conv(b, cat, 15, 7, 1), conv(b, cat, 15, 7, 3), conv(b, cat, 15, 7, 1)]);
    const bytes = await b.build({ name: 'x', dims: ['N', 3, 6, 6] }, b.node('Sigmoid', [s]));
    await conform('inception', bytes, randn(2 * 3 * 36, 2), [2, 3, 6, 6], e);   // spatial output, NCHW order restored
  });

  it('flat features: Concat of two MLP branches and the input (axis -1), a value read three times', async () => {
    const b = new OnnxBuilder('wide');
    const h = b.node('Tanh', [b.node('Gemm', ['x', w(b, [8, 6]), w(b, [8])], { transB: 1 })]);
    const u = b.node('Relu', [b.node('MatMul', [h, w(b, [8, 8])])]);
    const cat = b.node('Concat', ['x', h, u], { axis: -1 });
    const bytes = await b.build({ name: 'x', dims: ['N', 6] }, b.node('Softmax', [b.node('Gemm', [cat, w(b, [4, 22]), w(b, [4])], { transB: 1 })]));
    await conform('wide', bytes, randn(3 * 6, 3), [3, 6], e);
  });

  it('squeeze-and-excitation (torchvision MobileNetV3 style) and a gated product of equal shapes', async () => {
    const b = new OnnxBuilder('se');
    const x = b.node('Relu', [conv(b, 'x', 3, 8, 3)]);
    const s = b.node('GlobalAveragePool', [x]);                                   // (N, 8, 1, 1)
    const z = b.node('Relu', [b.node('Conv', [s, w(b, [4, 8, 1, 1]), w(b, [4], 0.1)], { kernel_shape: [1, 1] })]);
    const g = b.node('HardSigmoid', [b.node('Conv', [z, w(b, [8, 4, 1, 1]), w(b, [8], 0.1)], { kernel_shape: [1, 1] })], { alpha: af(1 / 6), beta: af(0.5) });
    const se = b.node('Mul', [x, g], {}, { name: 'se_scale' });
    const glu = b.node('Mul', [conv(b, se, 8, 6, 1), b.node('Sigmoid', [conv(b, se, 8, 6, 1)])], {}, { name: 'glu' });
    const bytes = await b.build({ name: 'x', dims: ['N', 3, 6, 6] }, b.node('Flatten', [b.node('GlobalAveragePool', [glu])]));
    await conform('se', bytes, randn(2 * 3 * 36, 6), [2, 3, 6, 6], e);
  });

  it('a shared value: a constant Mul/Add on one reader does not fold into the shared producer', async () => {
    const b = new OnnxBuilder('fence');
    const v = conv(b, 'x', 2, 4, 3);                                        // read by Mul and by the Add below
    const u = b.node('Add', [b.node('Mul', [v, b.init('two', [], [2])]), b.init('one', [1, 4, 1, 1], [1, -1, 0.5, 3])]);
    const bytes = await b.build({ name: 'x', dims: ['N', 2, 5, 5] }, b.node('Add', [u, v]));
    await conform('fence', bytes, randn(2 * 50, 4), [2, 2, 5, 5], e);
  });

  it('a flatten on one branch: Add aligns the Axon shapes (Reshape) of two [N, C] branches', async () => {
    const b = new OnnxBuilder('align');
    const g = b.node('Flatten', [b.node('GlobalAveragePool', [conv(b, 'x', 2, 4, 3)])]);
    const f = b.node('Gemm', [b.node('Flatten', ['x']), w(b, [4, 32]), w(b, [4])], { transB: 1 });
    const bytes = await b.build({ name: 'x', dims: ['N', 2, 4, 4] }, b.node('Add', [g, f]));
    await conform('align', bytes, randn(2 * 32, 5), [2, 2, 4, 4], e);
  });
});

describe('imported graphs: files, fine-tuning, errors', () => {
  it('a ResNet import saves, reloads and fine-tunes with a frozen backbone', async () => {
    const b = new OnnxBuilder('resnet'), bytes = await b.build({ name: 'x', dims: ['N', 3, 8, 8] }, resnet(b));
    const imp = await importOnnx(bytes, { engine: e });
    const x = imp.toAxonInput(randn(4 * 3 * 64, 9));
    const back = modelFromBytes(modelToBytes(imp.model), 'resnet.axon', e).model;
    expect(Array.from((await back.predict(x)).data)).toEqual(Array.from((await imp.model.predict(x)).data));
    const last = imp.model.layers[imp.model.layers.length - 2].name;   // the flatten before the Gemm
    const m = replaceHead(imp.model, [layers.dense({ units: 3, activation: 'softmax', name: 'head' })], { keep: last });
    freeze(m, last);
    m.compile({ optimizer: { type: 'adam', lr: 0.05 }, loss: 'sparseCategoricalCrossentropy' });
    const before = m.getWeights();
    const h = await m.fit(x, Tensor.from(randInt(4, 3, 2), [4], 'i32'), { epochs: 15, batchSize: 4 });
    expect(h.epochs[14].loss).toBeLessThan(h.epochs[0].loss);
    const after = m.getWeights();
    for (const k of before.keys()) if (!k.startsWith('head.')) expect(after.get(k), `${k} is frozen`).toEqual(before.get(k));
  });

  it('a graph with several outputs, or an output that is the input, is refused', async () => {
    const b = new OnnxBuilder('id');
    await expect(importOnnx(await b.build({ name: 'x', dims: ['N', 4] }, b.node('Identity', ['x'])), { file: 'id.onnx' })).rejects.toThrowError(/id.onnx[\s\S]*graph output .* is not computed by any layer/);
    const c = new OnnxBuilder('cat0');
    const r = c.node('Relu', ['x']);
    await expect(importOnnx(await c.build({ name: 'x', dims: ['N', 4] }, c.node('Concat', [r, 'x'], { axis: 0 }, { name: 'batchcat' })))).rejects.toThrowError(/Concat \(batchcat\): concatenates along the batch axis/);
  });
});
