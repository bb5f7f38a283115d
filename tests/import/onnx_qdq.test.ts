// QDQ weight quantization (as onnxruntime's quantizer writes it): DequantizeLinear on int8/uint8/int32
// initializers, per tensor and per axis, and QuantizeLinear → DequantizeLinear on f32 constants, are
// folded to f32 weights at import; outputs compared with onnxruntime-node within one quantization step. Also ReduceMean → global average pooling and the Pad-mode refusal.
import { describe, it, expect, beforeAll } from 'vitest';
import { importOnnx } from '../../src/import/onnx.js';
import { OnnxBuilder } from '../../src/export/onnx_builder.js';
import { DT } from '../../src/import/onnx_proto.js';
import type { Engine } from '../../src/runtime/engine.js';
import { engine, randn, expectClose } from '../helpers.js';
import { conform, q, quantize } from './kit.js';

let e: Engine;
beforeAll(async () => { e = await engine(); });

let seed = 900;
/** DequantizeLinear(q, scale, zero_point) of w, quantized here. */
function dq(b: OnnxBuilder, name: string, dims: number[], dt: typeof DT.INT8 | typeof DT.UINT8, axis?: number): { out: string; step: number } {
  const w = randn(dims.reduce((p, v) => p * v, 1), ++seed, 0.4), [qv, sc, zp] = quantize(w, dims, dt, axis);
  const sd = axis === undefined ? [] : [sc.length];
  const ins = [q(b, `${name}_q`, dt, dims, qv), b.init(`${name}_scale`, sd, sc), q(b, `${name}_zp`, dt, sd, zp)];
  return { out: b.node('DequantizeLinear', ins, axis === undefined ? {} : { axis }), step: Math.min(...sc) };
}

describe('ONNX import: QDQ weight quantization folded to f32 (vs onnxruntime-node, within one quantization step)', () => {
  it('Conv per-axis int8 (axis 0), int32 bias, Gemm per-tensor uint8 weights, MatMul per-axis uint8 (axis 1)', async () => {
    const b = new OnnxBuilder('qdq');
    const cw = dq(b, 'conv.w', [6, 3, 3, 3], DT.INT8, 0);
    const biasScale = 0.01;
    const cb = b.node('DequantizeLinear', [q(b, 'conv.b_q', DT.INT32, [6], [12, -40, 7, 0, 99, -3]), b.init('conv.b_scale', [], [biasScale]), q(b, 'conv.b_zp', DT.INT32, [], [0])]);
    let h = b.node('Conv', ['x', cw.out, cb], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
    h = b.node('Relu', [h]);
    h = b.node('GlobalAveragePool', [h]);
    h = b.node('Flatten', [h]);
    const gw = dq(b, 'fc.w', [8, 6], DT.UINT8);
    h = b.node('Gemm', [h, gw.out, b.init('fc.b', [8], randn(8, ++seed, 0.1))], { transB: 1 });
    h = b.node('Tanh', [h]);
    const mw = dq(b, 'mm.w', [8, 4], DT.UINT8, 1);
    const y = b.node('MatMul', [h, mw.out]);
    const step = Math.min(cw.step, gw.step, mw.step, biasScale);
    const bytes = await b.build({ name: 'x', dims: ['N', 3, 8, 8] }, y), x = randn(2 * 3 * 64, ++seed);
    // onnxruntime's default (extended) optimizations rewrite DequantizeLinear → MatMul/Gemm into integer
    // kernels that also quantize the activation: within one quantization step of that; the f32 graph
    // onnxruntime runs with basic optimizations (the folded weights) within 1e-4
    const imp = await conform('qdq weights', bytes, x, [2, 3, 8, 8], e, step);
    const ort = await import('onnxruntime-node');
    const sess = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'basic' });
    const want = (await sess.run({ x: new ort.Tensor('float32', x, [2, 3, 8, 8]) }))[sess.outputNames[0]].data as Float32Array;
    expectClose(imp.toOnnxOutput(await imp.model.predict(imp.toAxonInput(x))), want, 0, 1e-4, 'qdq vs onnxruntime basic');
    expect(imp.model.layers.map((l) => l.type)).toEqual(['conv2d', 'activation', 'globalAveragePooling2d', 'dense', 'activation', 'dense']);
  });

  it('QuantizeLinear → DequantizeLinear on f32 constants (per tensor uint8 without zero point, per axis int8)', async () => {
    const b = new OnnxBuilder('qdq_pair');
    const qd = (name: string, dims: number[], sc: number[], zp?: number[], axis?: number) => {
      const w = b.init(name, dims, randn(dims.reduce((p, v) => p * v, 1), ++seed, 0.5));
      const ins = [w, b.init(`${name}_s`, sc.length > 1 ? [sc.length] : [], sc), ...(zp ? [q(b, `${name}_zp`, DT.INT8, sc.length > 1 ? [sc.length] : [], zp)] : [])];
      const attrs = axis === undefined ? {} : { axis };
      return b.node('DequantizeLinear', [b.node('QuantizeLinear', ins, attrs), ...ins.slice(1)], attrs);
    };
    let h = b.node('Gemm', ['x', qd('w1', [10, 12], [0.004]), qd('b1', [12], [0.002])], {});
    h = b.node('Relu', [h]);
    h = b.node('Gemm', [h, qd('w2', [6, 12], [0.01, 0.02, 0.015, 0.01, 0.005, 0.03], [0, 0, 0, 0, 0, 0], 0)], { transB: 1 });
    await conform('qdq pairs', await b.build({ name: 'x', dims: ['N', 10] }, h), randn(4 * 10, ++seed), [4, 10], e, 1e-4);
  });
});

describe('ONNX import: ReduceMean as global average pooling, Pad modes', () => {
  it('ReduceMean over (H, W) keepdims=1 + Flatten, over (-1, -2) keepdims=0, and over L of (N, C, L)', async () => {
    for (const [label, dims, axes, keep] of [['2d keep', [2, 3, 6, 5], [2, 3], 1], ['2d drop', [2, 3, 6, 5], [-1, -2], 0], ['1d', [2, 3, 9], [2], 0]] as const) {
      const b = new OnnxBuilder(`rm_${label}`), sp = dims.length - 2;
      const k = sp === 2 ? [3, 3] : [3];
      let h = b.node('Conv', ['x', b.init('cw', [4, 3, ...k], randn(4 * 9 * (sp === 2 ? 3 : 1), ++seed, 0.4)), b.init('cb', [4], randn(4, ++seed, 0.1))], { kernel_shape: k });
      h = b.node('Relu', [h]);
      h = b.node('ReduceMean', [h], { axes: [...axes], keepdims: keep });
      if (keep) h = b.node('Flatten', [h]);
      h = b.node('Gemm', [h, b.init('fw', [5, 4], randn(20, ++seed, 0.4))], { transB: 1 });
      const n = dims.reduce((p, v) => p * v, 1);
      const imp = await conform(`ReduceMean ${label}`, await b.build({ name: 'x', dims: ['N', ...dims.slice(1)] }, h), randn(n, ++seed), [...dims], e);
      expect(imp.model.layers.map((l) => l.type)).toContain('globalAveragePooling2d');
    }
  });
  it('refuses ReduceMean over the channels and Pad mode=wrap, naming the node', async () => {
    const b = new OnnxBuilder('rm_c');
    const bytes = await b.build({ name: 'x', dims: ['N', 3, 4, 4] }, b.node('ReduceMean', ['x'], { axes: [1] }, { name: 'chan_mean' }));
    await expect(importOnnx(bytes)).rejects.toThrowError(/ReduceMean \(chan_mean\): axes \[1\].*only the mean over all spatial axes/);
    const c = new OnnxBuilder('pad_r');
    const p = c.node('Pad', ['x', c.ints('pads', [0, 0, 1, 1, 0, 0, 1, 1])], { mode: 'wrap' }, { name: 'rpad' });
    await expect(importOnnx(await c.build({ name: 'x', dims: ['N', 3, 4, 4] }, p))).rejects.toThrowError(/Pad \(rpad\): mode "wrap" is not supported; only constant, reflect and edge/);
  });
});
