// Conv2DTranspose, Pad2D and Slice in models: predictions against definitions written here (a
// direct scatter form of the transposed convolution, the padding and slicing rules), whole-model
// gradient checks through each of them (their backward passes carry the gradient of the first
// conv), build-time errors, and save/load of their configs.
import { describe, it, expect, beforeAll } from 'vitest';
import { Model, Sequential, layers, Tensor, modelToBytes, modelFromBytes } from '../../src/index.js';
import { Engine } from '../../src/runtime/engine.js';
import { engine, randn, randInt, expectClose } from '../helpers.js';
import { checkModelGradients } from './model-gradcheck.js';

let e: Engine;
beforeAll(async () => { e = await engine(); });

interface TGeo { H: number; W: number; C: number; F: number; K: [number, number]; s: [number, number]; d: [number, number]; p: [number, number, number, number]; op: [number, number]; g: number }

/** y[oh, ow, f] += x[h, w, c] · w[kh, kw, f', c] at oh = h*s - padT + kh*d (the scatter form), NHWC, weight (KH, KW, F/g, C). */
function convT(q: TGeo, N: number, x: Float32Array, w: Float32Array, b: Float32Array): Float64Array {
  const OH = (q.H - 1) * q.s[0] + q.op[0] + q.d[0] * (q.K[0] - 1) + 1 - q.p[0] - q.p[2], OW = (q.W - 1) * q.s[1] + q.op[1] + q.d[1] * (q.K[1] - 1) + 1 - q.p[1] - q.p[3];
  const Fg = q.F / q.g, Cg = q.C / q.g, y = new Float64Array(N * OH * OW * q.F);
  for (let i = 0; i < y.length; i++) y[i] = b[i % q.F];
  for (let n = 0; n < N; n++) for (let h = 0; h < q.H; h++) for (let v = 0; v < q.W; v++) for (let c = 0; c < q.C; c++) {
    const g = Math.floor(c / Cg);
    for (let kh = 0; kh < q.K[0]; kh++) for (let kw = 0; kw < q.K[1]; kw++) {
      const oh = h * q.s[0] - q.p[0] + kh * q.d[0], ow = v * q.s[1] - q.p[1] + kw * q.d[1];
      if (oh < 0 || oh >= OH || ow < 0 || ow >= OW) continue;
      for (let f = 0; f < Fg; f++) y[((n * OH + oh) * OW + ow) * q.F + g * Fg + f] += x[((n * q.H + h) * q.W + v) * q.C + c] * w[((kh * q.K[1] + kw) * Fg + f) * q.C + c];
    }
  }
  return y;
}

const T = (o: Partial<TGeo> & Pick<TGeo, 'H' | 'W' | 'C' | 'F'>): TGeo => ({ K: [3, 3], s: [1, 1], d: [1, 1], p: [0, 0, 0, 0], op: [0, 0], g: 1, ...o });
const CASES: [string, TGeo][] = [
  ['3x3 stride 1', T({ H: 4, W: 5, C: 3, F: 2 })],
  ['4x4 stride 2 pads 1 (DCGAN)', T({ H: 3, W: 4, C: 5, F: 3, K: [4, 4], s: [2, 2], p: [1, 1, 1, 1] })],
  ['3x3 stride 2 pads 1 output padding 1', T({ H: 4, W: 3, C: 2, F: 4, s: [2, 2], p: [1, 1, 1, 1], op: [1, 1] })],
  ['output padding beyond the pads (1, 0)', T({ H: 3, W: 3, C: 2, F: 2, K: [2, 3], s: [3, 2], p: [0, 1, 0, 2], op: [2, 1] })],
  ['dilation 2 asymmetric pads', T({ H: 4, W: 4, C: 3, F: 2, d: [2, 2], s: [1, 2], p: [2, 0, 1, 1] })],
  ['groups 2', T({ H: 3, W: 4, C: 4, F: 6, s: [2, 1], p: [1, 0, 0, 1], g: 2 })],
  ['depthwise (groups = C = F)', T({ H: 4, W: 4, C: 3, F: 3, s: [2, 2], p: [1, 1, 1, 1], op: [1, 0], g: 3 })],
  ['1x1 stride 1 (a GEMM)', T({ H: 3, W: 3, C: 4, F: 5, K: [1, 1] })],
];

describe('Conv2DTranspose', () => {
  it.each(CASES)('%s: predict matches the scatter definition', async (_, q) => {
    const N = 2, m = new Sequential({ inputShape: [q.H, q.W, q.C], engine: e });
    m.add(layers.conv2dTranspose({ filters: q.F, kernelSize: q.K, strides: q.s, dilationRate: q.d, padding: q.p, outputPadding: q.op, groups: q.g }));
    const w = randn(q.K[0] * q.K[1] * (q.F / q.g) * q.C, 2, 0.5), b = randn(q.F, 3);
    m.setWeights(new Map([['conv2dTranspose_1.weight', w], ['conv2dTranspose_1.bias', b]]));
    const x = randn(N * q.H * q.W * q.C, 1), want = convT(q, N, x, w, b);
    const y = await m.predict(new Tensor(x, [N, q.H, q.W, q.C]));
    expect(y.shape.length).toBe(4);
    expectClose(y.data, want, 1e-5, 1e-5, 'conv2dTranspose');
  });

  it("'same' padding gives stride x the input, as Keras", () => {
    const m = new Sequential({ inputShape: [5, 3, 2] }).add(layers.conv2dTranspose({ filters: 4, kernelSize: 3, strides: 2, padding: 'same' }));
    expect(m.layers[0].outputShape).toEqual([10, 6, 4]);
    expect(() => new Sequential({ inputShape: [5, 3, 2] }).add(layers.conv2dTranspose({ filters: 4, kernelSize: 3, strides: 2, outputPadding: 2 }))).toThrowError(/outputPadding \[2,2\] must be .* smaller than the strides/);
    expect(() => new Sequential({ inputShape: [5, 3, 3] }).add(layers.conv2dTranspose({ filters: 4, kernelSize: 3, groups: 2 }))).toThrowError(/conv2dTranspose_1: 3 input channels and 4 filters must both be divisible by groups=2/);
  });
});

describe('Pad2D and Slice', () => {
  it('pads with a constant, by reflection and by the edge (the numpy rules)', async () => {
    const H = 3, W = 4, x = randn(2 * H * W * 2, 4);
    const pads: [number, number, number, number] = [2, 1, 1, 3];
    for (const mode of ['constant', 'reflect', 'edge'] as const) {
      const m = new Sequential({ inputShape: [H, W, 2], engine: e }).add(layers.pad2d({ padding: pads, mode, value: 0.75 }));
      const y = await m.predict(new Tensor(x, [2, H, W, 2]));
      const idx = (i: number, n: number) => (i >= 0 && i < n ? i : mode === 'constant' ? -1 : mode === 'edge' ? Math.min(n - 1, Math.max(0, i)) : i < 0 ? -i : 2 * (n - 1) - i);
      const OH = H + 3, OW = W + 4, want: number[] = [];
      for (let n = 0; n < 2; n++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) for (let c = 0; c < 2; c++) {
        const h = idx(oh - 2, H), w = idx(ow - 1, W);
        want.push(h < 0 || w < 0 ? 0.75 : x[((n * H + h) * W + w) * 2 + c]);
      }
      expect(y.shape).toEqual([2, OH, OW, 2]);
      expect(Array.from(y.data), mode).toEqual(want.map(Math.fround));
    }
    expect(() => new Sequential({ inputShape: [3, 4, 1] }).add(layers.pad2d({ padding: [3, 0, 0, 0], mode: 'reflect' }))).toThrowError(/pad2d_1: reflect padding .* smaller than the input's height 3/);
  });

  it('keeps listed indices per axis (reversed, strided, repeated)', async () => {
    const x = randn(2 * 4 * 5 * 3, 5), m = new Sequential({ inputShape: [4, 5, 3], engine: e }).add(layers.slice({ indices: [[3, 1], null, [2, 2, 0]] }));
    const y = await m.predict(new Tensor(x, [2, 4, 5, 3]));
    const want: number[] = [];
    for (let n = 0; n < 2; n++) for (const h of [3, 1]) for (let w = 0; w < 5; w++) for (const c of [2, 2, 0]) want.push(x[((n * 4 + h) * 5 + w) * 3 + c]);
    expect(y.shape).toEqual([2, 2, 5, 3]);
    expect(Array.from(y.data)).toEqual(want);
    expect(() => new Sequential({ inputShape: [4, 5, 3] }).add(layers.slice({ indices: [[4], null, null] }))).toThrowError(/slice_1: index 4 is out of range for axis 0/);
  });
});

describe('gradients and files', () => {
  function model(seed: number) {
    const m = new Sequential({ inputShape: [5, 5, 2], seed, engine: e });
    m.add(layers.conv2d({ filters: 3, kernelSize: 2, activation: 'tanh' }))                   // 4x4x3
      .add(layers.pad2d({ padding: [1, 2, 2, 1], mode: 'reflect' }))                        // 7x7x3
      .add(layers.conv2dTranspose({ filters: 4, kernelSize: 3, strides: 2, padding: [1, 1, 2, 0], outputPadding: [1, 0], groups: 1, activation: 'tanh' }))
      .add(layers.slice({ indices: [[0, 2, 3, 3], null, [3, 0]] }))
      .add(layers.pad2d({ padding: 1, mode: 'constant', value: 0.5 }))
      .add(layers.conv2dTranspose({ filters: 3, kernelSize: 2, groups: 1 }))
      .add(layers.pad2d({ padding: [0, 1, 1, 0], mode: 'edge' }))
      .add(layers.flatten())
      .add(layers.dense({ units: 3, activation: 'softmax' }));
    m.compile({ optimizer: { type: 'sgd', lr: 0 }, loss: 'sparseCategoricalCrossentropy' });
    return m;
  }

  it('whole-model gradient check through Pad2D (reflect, constant, edge), Conv2DTranspose and Slice', async () => {
    const m = model(3), B = 3;
    const x = new Tensor(randn(B * 50, 5), [B, 5, 5, 2]), y = new Tensor(randInt(B, 3, 6), [B]);
    await checkModelGradients(m, x, y, B, ['conv2d_1.weight', 'conv2d_1.bias', 'conv2dTranspose_1.weight', 'conv2dTranspose_1.bias', 'conv2dTranspose_2.weight']);
  });

  it('round-trips the file', async () => {
    const m = model(4), x = new Tensor(randn(2 * 50, 6), [2, 5, 5, 2]);
    const { model: back } = modelFromBytes(modelToBytes(m), 'convt.axon', e);
    expect(back.layers.map((l) => l.type)).toEqual(m.layers.map((l) => l.type));
    expect(Array.from((await back.predict(x)).data)).toEqual(Array.from((await m.predict(x)).data));
  });
});

describe('in a graph model', () => {
  it('U-Net-style skip: conv stride 2 → Conv2DTranspose back up, concatenated with a padded-and-cropped input; gradients check', async () => {
    const m = new Model({ inputShape: [6, 6, 2], seed: 9, engine: e });
    m.add(layers.conv2d({ filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation: 'tanh', name: 'down' }));              // 3x3x3
    m.add(layers.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: [1, 1, 1, 1], outputPadding: 1, name: 'up' }));  // 6x6x2
    m.add(layers.pad2d({ padding: 1, mode: 'reflect', name: 'pad' }), { inputs: ['down'] });                                       // 5x5x3
    m.add(layers.slice({ indices: [[0, 0, 1, 2, 3, 4], [4, 3, 2, 1, 0, 0], [1, 2]], name: 'crop' }));                             // 6x6x2
    m.add(layers.concatenate({ name: 'cat' }), { inputs: ['up', 'crop'] });
    m.add(layers.flatten());
    m.add(layers.dense({ units: 3, activation: 'softmax', name: 'out' }));
    m.compile({ optimizer: { type: 'sgd', lr: 0 }, loss: 'sparseCategoricalCrossentropy' });
    const B = 3, x = new Tensor(randn(B * 72, 10), [B, 6, 6, 2]), y = new Tensor(randInt(B, 3, 11), [B]);
    await checkModelGradients(m, x, y, B, ['down.weight', 'down.bias', 'up.weight', 'up.bias']);
    const back = modelFromBytes(modelToBytes(m), 'unet.axon', e).model;
    expect(Array.from((await back.predict(x)).data)).toEqual(Array.from((await m.predict(x)).data));
  });
});
