// ONNX MaxPool / AveragePool with ceil_mode=1 and explicit pads (count_include_pad 0 and 1), 2-D and
// 1-D, on graphs built here and run in onnxruntime-node (torch's own exports of such pools,
// tests/fixtures/onnx/torch_ceil_pools*, run in onnx.test.ts). Ceil mode's extra windows may need end pads beyond half the
// window, and count_include_pad counts the explicit pads but not ceil mode's extra end.
import { describe, it, expect, beforeAll } from 'vitest';
import { OnnxBuilder } from '../../src/export/onnx_builder.js';
import type { Engine } from '../../src/runtime/engine.js';
import { importOnnx } from '../../src/import/onnx.js';
import { engine, randn } from '../helpers.js';
import { conform, reportMaxErr } from './kit.js';

let e: Engine;
beforeAll(async () => { e = await engine(); });
reportMaxErr('pools');

type Attrs = Record<string, number | number[]>;
/** Conv (so the pool sees varied values) → pool → output, for input (N, 3, ...sp). */
async function poolModel(op: 'MaxPool' | 'AveragePool', sp: number[], attrs: Attrs, opset = 17): Promise<Uint8Array> {
  const b = new OnnxBuilder(op);
  const k = sp.map(() => 1);
  const h = b.node('Conv', ['x', b.init('w', [4, 3, ...k], randn(12, 7, 0.5))], { kernel_shape: k });
  return b.build({ name: 'x', dims: ['N', 3, ...sp] }, b.node(op, [h], attrs), { opset });
}

const CASES: [string, 'MaxPool' | 'AveragePool', number[], Attrs][] = [
  ['max k3 s2 pads 1 ceil (end pad 2)', 'MaxPool', [6, 7], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1 }],
  ['max k3 s3 ceil, no pads', 'MaxPool', [7, 8], { kernel_shape: [3, 3], strides: [3, 3], ceil_mode: 1 }],
  ['max k2 s2 asymmetric pads ceil', 'MaxPool', [5, 6], { kernel_shape: [2, 3], strides: [2, 2], pads: [1, 0, 0, 2], ceil_mode: 1 }],
  ['avg k3 s2 pads 1 ceil count_include_pad=1', 'AveragePool', [6, 7], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1, count_include_pad: 1 }],
  ['avg k3 s2 pads 1 ceil count_include_pad=0', 'AveragePool', [6, 7], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1, count_include_pad: 0 }],
  ['avg k3 s3 ceil count_include_pad=1, no pads', 'AveragePool', [7, 8], { kernel_shape: [3, 3], strides: [3, 3], ceil_mode: 1, count_include_pad: 1 }],
  ['avg k2x3 s2 pads [0,1,1,1] ceil count_include_pad=1', 'AveragePool', [5, 8], { kernel_shape: [2, 3], strides: [2, 2], pads: [0, 1, 1, 1], ceil_mode: 1, count_include_pad: 1 }],
  ['avg ceil that adds nothing, count_include_pad=1', 'AveragePool', [7, 7], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1, count_include_pad: 1 }],
  ['max 1-D k3 s2 pads 1 ceil', 'MaxPool', [10], { kernel_shape: [3], strides: [2], pads: [1, 1], ceil_mode: 1 }],
  ['avg 1-D k3 s2 pads 1 ceil count_include_pad=0', 'AveragePool', [10], { kernel_shape: [3], strides: [2], pads: [1, 1], ceil_mode: 1 }],
  ['avg 1-D k3 s2 pads 1 count_include_pad=1', 'AveragePool', [9], { kernel_shape: [3], strides: [2], pads: [1, 1], count_include_pad: 1 }],
  ['avg 1-D k4 s3 ceil count_include_pad=1, no pads', 'AveragePool', [11], { kernel_shape: [4], strides: [3], ceil_mode: 1, count_include_pad: 1 }],
];

describe('ONNX pools with ceil_mode and pads vs onnxruntime-node (1e-5)', () => {
  it.each(CASES)('%s', async (label, op, sp, attrs) => {
    const bytes = await poolModel(op, sp, attrs);
    const x = randn(2 * 3 * sp.reduce((p, q) => p * q, 1), 11);
    await conform(label, bytes, x, [2, 3, ...sp], e, 1e-5);
  });

  it('a ceil-mode AveragePool counting explicit pads imports as ZeroPadding2D + AvgPool2D over the padded input', async () => {
    const bytes = await poolModel('AveragePool', [6, 7], CASES[3][3]);
    const imp = await importOnnx(bytes, { engine: e });
    expect(imp.model.layers.map((l) => l.type)).toEqual(['conv2d', 'zeroPadding2d', 'avgPool2d']);
  });
});
