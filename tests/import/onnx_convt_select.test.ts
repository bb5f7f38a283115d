// ONNX import of ConvTranspose, Pad (constant/reflect/edge), Slice and Gather on activations, the
// Squeeze/Unsqueeze/Cast/Shape plumbing around them: models built here, run in onnxruntime-node and
// in Axon after import, outputs within 1e-4, at opsets 13 and 17. Plus the limits, each one
// AxonError naming the node.
import { describe, it, expect, beforeAll } from 'vitest';
import { importOnnx } from '../../src/import/onnx.js';
import { OnnxBuilder } from '../../src/export/onnx_builder.js';
import { int64Tensor } from '../../src/import/onnx_proto.js';
import type { Engine } from '../../src/runtime/engine.js';
import { engine, randn } from '../helpers.js';
import { conform, reportMaxErr, seededWeights } from './kit.js';

let e: Engine;
beforeAll(async () => { e = await engine(); });
reportMaxErr('');

const { w, pos, next } = seededWeights(300);
const OPSETS = [13, 17];
const size = (d: number[]) => d.reduce((p, q) => p * q, 1);

/** Builds with `f`, imports at each opset and compares with onnxruntime; returns the layer types. */
async function check(label: string, dims: number[], f: (b: OnnxBuilder) => string): Promise<string[]> {
  let types: string[] = [];
  for (const opset of OPSETS) {
    const b = new OnnxBuilder(label), y = f(b);
    const bytes = await b.build({ name: 'x', dims: ['N', ...dims.slice(1)] }, y, { opset });
    const imp = await conform(`${label} (opset ${opset})`, bytes, randn(size(dims), next()), dims, e);
    types = imp.model.layers.map((l) => l.type);
  }
  return types;
}

describe('ConvTranspose', () => {
  it('DCGAN-style generator: k4 s2 p1, BN, Relu, k3 s2 p1 output_padding 1, Tanh', async () => {
    const t = await check('dcgan', [2, 6, 3, 3], (b) => {
      let h = b.node('ConvTranspose', ['x', w(b, [6, 4, 4, 4]), w(b, [4], 0.1)], { kernel_shape: [4, 4], strides: [2, 2], pads: [1, 1, 1, 1] });
      h = b.node('BatchNormalization', [h, b.init(`s${next()}`, [4], pos(4)), w(b, [4], 0.1), w(b, [4], 0.1), b.init(`v${next()}`, [4], pos(4))]);
      h = b.node('Relu', [h]);
      h = b.node('ConvTranspose', [h, w(b, [4, 3, 3, 3]), w(b, [3], 0.1)], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 1] });
      return b.node('Tanh', [h]);
    });
    expect(t).toEqual(['conv2dTranspose', 'batchNormalization', 'activation', 'conv2dTranspose', 'activation']);
  });

  it('groups 2 with dilation, asymmetric pads, output padding past the pads, no bias; depthwise; 1-D', async () => {
    await check('convt_groups', [2, 4, 4, 5], (b) => b.node('ConvTranspose', ['x', w(b, [4, 3, 3, 2])],
      { kernel_shape: [3, 2], strides: [3, 2], dilations: [2, 1], pads: [2, 0, 0, 1], output_padding: [2, 1], group: 2 }));
    await check('convt_depthwise', [2, 3, 5, 4], (b) => b.node('ConvTranspose', ['x', w(b, [3, 1, 3, 3]), w(b, [3], 0.1)],
      { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], group: 3 }));
    const t = await check('convt_1d', [3, 4, 7], (b) => b.node('ConvTranspose', ['x', w(b, [4, 2, 5]), w(b, [2], 0.1)],
      { kernel_shape: [5], strides: [2], pads: [2, 1], output_padding: [1] }));
    expect(t).toEqual(['reshape', 'conv2dTranspose', 'reshape']);
  });
});

describe('Pad', () => {
  it('reflect, edge and constant 0.5 on (N, C, H, W) between convolutions; reflect on (N, C, L)', async () => {
    const t = await check('pads', [2, 3, 5, 6], (b) => {
      let h = b.node('Pad', ['x', b.ints('p1', [0, 0, 2, 1, 0, 0, 1, 3])], { mode: 'reflect' });
      h = b.node('Conv', [h, w(b, [4, 3, 3, 3]), w(b, [4], 0.1)], { kernel_shape: [3, 3] });
      h = b.node('Pad', [h, b.ints('p2', [0, 0, 1, 0, 0, 0, 2, 2])], { mode: 'edge' });
      h = b.node('Relu', [h]);
      return b.node('Pad', [h, b.ints('p3', [0, 0, 1, 2, 0, 0, 0, 1]), b.init('cv', [], [0.5])], { mode: 'constant' });
    });
    expect(t).toEqual(['pad2d', 'conv2d', 'pad2d', 'activation', 'pad2d']);
    await check('pad_1d', [2, 3, 6], (b) => b.node('Conv', [b.node('Pad', ['x', b.ints('p', [0, 0, 3, 0, 0, 2])], { mode: 'reflect' }), w(b, [2, 3, 2])], { kernel_shape: [2] }));
  });
});

describe('Slice, Gather, Squeeze/Unsqueeze, Cast and Shape on activations', () => {
  it('channel range, strided spatial crop with negative ends, flip (step -1), then a conv', async () => {
    const t = await check('slices', [2, 5, 8, 7], (b) => {
      let h = b.node('Slice', ['x', b.ints('s1', [1]), b.ints('e1', [4]), b.ints('a1', [1])]);
      h = b.node('Slice', [h, b.ints('s2', [1, 0]), b.ints('e2', [-1, 9999]), b.ints('a2', [2, -1]), b.ints('st2', [2, 3])]);
      h = b.node('Slice', [h, b.ints('s3', [-1]), b.ints('e3', [-9999]), b.ints('a3', [3]), b.ints('st3', [-1])]);
      h = b.node('Conv', [h, w(b, [2, 3, 2, 2]), w(b, [2], 0.1)], { kernel_shape: [2, 2] });
      // all axes, no axes input (batch axis kept whole)
      return b.node('Slice', [h, b.ints('s4', [0, 0, 1, 0]), b.ints('e4', [2 ** 31 - 1, 1, 3, 2])]);
    });
    expect(t.filter((x) => x === 'slice')).toHaveLength(4);
  });

  it('x[:, 0] (Gather scalar) → Unsqueeze → Conv; x[:, :, 2] → Conv1d; Gather [2, 0] of channels; Cast; Squeeze', async () => {
    const t = await check('gather_scalar', [2, 3, 5, 6], (b) => {
      b.inits.push(int64Tensor('zero', [], [0]));
      let h = b.node('Gather', ['x', 'zero'], { axis: 1 });                                        // (N, 5, 6)
      h = b.node('Unsqueeze', [h, b.ints('ax', [1])]);                                              // (N, 1, 5, 6)
      h = b.node('Conv', [h, w(b, [4, 1, 3, 3]), w(b, [4], 0.1)], { kernel_shape: [3, 3] });        // (N, 4, 3, 4)
      b.inits.push(int64Tensor('two', [], [2]));
      h = b.node('Gather', [h, 'two'], { axis: -2 });                                               // (N, 4, 4)
      h = b.node('Cast', [h], { to: 1 });
      h = b.node('Conv', [h, w(b, [3, 4, 2]), w(b, [3], 0.1)], { kernel_shape: [2] });              // (N, 3, 3)
      h = b.node('Gather', [h, b.ints('idx', [2, 0, 2])], { axis: 1 });                              // (N, 3, 3)
      h = b.node('Unsqueeze', [h, b.ints('ax2', [3])]);                                             // (N, 3, 3, 1)
      return b.node('Squeeze', [h, b.ints('ax3', [-1])]);
    });
    expect(t.filter((l) => l !== 'reshape')).toEqual(['slice', 'conv2d', 'slice', 'conv1d', 'slice']);   // reshapes alias: free
  });

  it('Shape of an activation feeding a Reshape to (N, C, H*W), a Slice of positions, a Flatten and a slice of the flat features', async () => {
    const t = await check('shape_flat', [2, 3, 4, 5], (b) => {
      let h = b.node('Conv', ['x', w(b, [4, 3, 1, 1])], { kernel_shape: [1, 1] });
      const nc = b.node('Slice', [b.node('Shape', [h]), b.ints('z', [0]), b.ints('two', [2])]);
      h = b.node('Reshape', [h, b.node('Concat', [nc, b.ints('m1', [-1])], { axis: 0 })]);        // (N, 4, 20)
      h = b.node('Slice', [h, b.ints('s', [3]), b.ints('e', [17]), b.ints('a', [2]), b.ints('st', [2])]); // (N, 4, 7)
      h = b.node('Flatten', [h]);                                                                   // (N, 28)
      h = b.node('Slice', [h, b.ints('s2', [5]), b.ints('e2', [25]), b.ints('a2', [1])]);            // (N, 20)
      return b.node('Gemm', [h, w(b, [6, 20]), w(b, [6], 0.1)], { transB: 1 });
    });
    expect(t).toEqual(['conv2d', 'reshape', 'slice', 'flatten', 'slice', 'dense']);
  });
});

describe('limits: one AxonError naming the node', () => {
  const refuse = async (f: (b: OnnxBuilder) => string, dims: (number | string)[], re: RegExp) => {
    const b = new OnnxBuilder('bad'), y = f(b);
    await expect(importOnnx(await b.build({ name: 'x', dims }, y))).rejects.toThrowError(re);
  };
  it('refuses what it cannot map', async () => {
    await refuse((b) => b.node('ConvTranspose', ['x', w(b, [2, 2, 3, 3])], { kernel_shape: [3, 3], auto_pad: 'SAME_UPPER' }, { name: 'up1' }), ['N', 2, 4, 4], /ConvTranspose \(up1\): auto_pad=SAME_UPPER is not supported/);
    await refuse((b) => b.node('ConvTranspose', ['x', w(b, [2, 2, 3, 3])], { kernel_shape: [3, 3], strides: [2, 2], dilations: [3, 3], output_padding: [2, 2] }, { name: 'up2' }), ['N', 2, 4, 4], /ConvTranspose \(up2\): .*outputPadding \[2,2\] must be .* smaller than the strides/);
    await refuse((b) => b.node('ConvTranspose', ['x', w(b, [2, 2, 3, 3])], { kernel_shape: [3, 3], output_shape: [9, 9] }, { name: 'up3' }), ['N', 2, 4, 4], /ConvTranspose \(up3\): output_shape \[9,9\] differs from the \[6,6\]/);
    await refuse((b) => b.node('Gather', ['x', b.ints('i', [1])], { axis: 0 }, { name: 'g0' }), ['N', 2, 4], /Gather \(g0\): gathering along the batch axis is not supported/);
    await refuse((b) => b.node('Slice', ['x', b.ints('s', [1]), b.ints('e', [2]), b.ints('a', [0])], {}, { name: 's0' }), ['N', 2, 4], /Slice \(s0\): slicing the batch axis is not supported/);
    await refuse((b) => b.node('Pad', ['x', b.ints('p', [0, 1, 0, 0, 1, 0])], { mode: 'edge' }, { name: 'p0' }), ['N', 2, 4], /Pad \(p0\): pads \[0,1,0,0,1,0\] .*only padding of the spatial axes/);
    await refuse((b) => b.node('Pad', ['x', b.ints('p', [0, 0, 4, 0, 0, 0, 0, 0])], { mode: 'reflect' }, { name: 'p1' }), ['N', 2, 4, 4], /Pad \(p1\): .*reflect padding \[4,0,0,0\] must be smaller than the input's height 4/);
  });
});
