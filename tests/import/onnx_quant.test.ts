// ONNX import of quantized activations in the three forms onnxruntime's quantizer writes — QDQ,
// QOperator and dynamic — on models built here in those shapes (a small CNN: Conv (+Relu), MaxPool,
// Flatten/Reshape, Gemm/MatMul; per tensor and per channel; uint8 and int8 activations; opsets 13
// and 17). Outputs within one output quantization step of onnxruntime-node (its default run, which
// fuses the QDQ groups into integer kernels, and its basic run, which keeps the graph as written);
// the int8 layers each form maps to; and the errors for what cannot be imported.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as ort from 'onnxruntime-node';
import { importOnnx } from '../../src/import/onnx.js';
import { OnnxBuilder, af } from '../../src/export/onnx_builder.js';
import { DT, encodeOnnx } from '../../src/import/onnx_proto.js';
import { modelToBytes, modelFromBytes } from '../../src/model/serialize.js';
import type { Engine } from '../../src/runtime/engine.js';
import { engine, randn } from '../helpers.js';
import type { QAdd, Quantize } from '../../src/quant/index.js';
import { conform, maxDiff, MAX_ERR, ortRun, q, quantize } from './kit.js';

let e: Engine;
beforeAll(async () => { e = await engine(); });
afterAll(() => { console.log('max |axon - onnxruntime| (quantized):', Object.entries(MAX_ERR).map(([k, v]) => `${k} ${v.toExponential(2)}`).join(', ')); });

let seed = 3000;
type QT = typeof DT.UINT8 | typeof DT.INT8;
const X = [2, 3, 8, 8];
const input = { name: 'x', dims: ['N', 3, 8, 8] };
const lohi = (v: ArrayLike<number>): [number, number] => [Math.min(0, ...Array.from(v)), Math.max(0, ...Array.from(v))];

/** [min, max] of `name` in the f32 model being built (MinMax calibration, as onnxruntime's). */
async function range(f: OnnxBuilder, name: string, x: Float32Array): Promise<[number, number]> {
  return lohi((await ortRun(await f.build(input, name), x, X)).data);
}
/** Activation parameters of a range: asymmetric uint8 / int8 as onnxruntime's quantizer computes them. */
function actQ(b: OnnxBuilder, name: string, [lo, hi]: [number, number], dt: QT): { s: string; z: string; step: number } {
  const step = Math.fround((hi - lo) / 255), qmin = dt === DT.UINT8 ? 0 : -128;
  return { s: b.init(`${name}_scale`, [], [step]), z: q(b, `${name}_zp`, dt, [], [Math.max(qmin, Math.min(qmin + 255, Math.round(qmin - lo / step)))]), step };
}
/** DequantizeLinear of w quantized to int8/uint8 (per tensor, or along `axis`); returns the node output and the scales. */
function wdq(b: OnnxBuilder, name: string, w: Float32Array, dims: number[], dt: QT, axis?: number): { out: string; sc: number[] } {
  const [qv, sc, zp] = quantize(w, dims, dt, axis), sd = axis === undefined ? [] : [sc.length];
  return { out: b.node('DequantizeLinear', [q(b, `${name}_q`, dt, dims, qv), b.init(`${name}_scale`, sd, sc), q(b, `${name}_zp`, dt, sd, zp)], axis === undefined ? {} : { axis }), sc };
}
/** int32 bias at x_scale * w_scale (what onnxruntime's quantizer writes); per channel when w has several scales. */
function qbias(bias: Float32Array, sx: number, sw: number[]): { q: number[]; scale: number[] } {
  const scale = Array.from(bias, (_, c) => Math.fround(sx * sw[sw.length > 1 ? c : 0]));
  return { q: Array.from(bias, (v, c) => Math.round(v / scale[c])), scale: sw.length > 1 ? scale : [scale[0]] };
}
/** The same graph run by onnxruntime with basic optimizations (QDQ kept as written: f32 between Q/DQ). */
async function ortBasic(bytes: Uint8Array, x: Float32Array): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'basic' });
  return (await s.run({ x: new ort.Tensor('float32', x, X) }))[s.outputNames[0]].data as Float32Array;
}
const distinct = (v: ArrayLike<number>) => new Set(Array.from(v)).size;

interface CnnWeights { x: Float32Array; cw: Float32Array; cb: Float32Array; fw: Float32Array; fb: Float32Array }
const cnnWeights = (): CnnWeights => ({ x: randn(2 * 3 * 64, ++seed), cw: randn(6 * 27, ++seed, 0.3), cb: randn(6, ++seed, 0.1), fw: randn(96 * 10, ++seed, 0.1), fb: randn(10, ++seed, 0.1) });

/** The f32 CNN (Conv → Relu → MaxPool → Flatten/Reshape → Gemm (transB) or MatMul) for calibration: ranges of the conv block and of the head. */
async function calibrate(w: CnnWeights, head: 'Gemm' | 'MatMul'): Promise<{ rc: [number, number]; rg: [number, number] }> {
  const f = new OnnxBuilder('f32');
  const c = f.node('Relu', [f.node('Conv', ['x', f.init('cw', [6, 3, 3, 3], w.cw), f.init('cb', [6], w.cb)], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] })]);
  const fl = f.node('Flatten', [f.node('MaxPool', [c], { kernel_shape: [2, 2], strides: [2, 2] })]);
  const g = head === 'Gemm' ? f.node('Gemm', [fl, f.init('fw', [10, 96], w.fw), f.init('fb', [10], w.fb)], { transB: 1 }) : f.node('MatMul', [fl, f.init('fw', [96, 10], w.fw)]);
  return { rc: await range(f, c, w.x), rg: await range(f, g, w.x) };
}

interface QdqOpts { act: QT; perChannel: boolean; head: 'Gemm' | 'MatMul'; relu: 'removed' | 'kept'; flatten: 'Flatten' | 'Reshape'; opset: 13 | 17 }

/** A QDQ model as quantize_static(QuantFormat.QDQ) writes it: Q → DQ around every activation, weights DQ(int8), biases DQ(int32). */
async function qdqCnn(o: QdqOpts): Promise<{ bytes: Uint8Array; x: Float32Array; step: number }> {
  const w = cnnWeights(), { rc, rg } = await calibrate(w, o.head);
  const b = new OnnxBuilder('qdq');
  const px = actQ(b, 'x', lohi(w.x), o.act), pc = actQ(b, 'c', rc, o.act), pf = actQ(b, 'f', rc, o.act), pg = actQ(b, 'g', rg, o.act);
  const qdq = (v: string, p: { s: string; z: string }) => b.node('DequantizeLinear', [b.node('QuantizeLinear', [v, p.s, p.z]), p.s, p.z]);
  const cw = wdq(b, 'cw', w.cw, [6, 3, 3, 3], DT.INT8, o.perChannel ? 0 : undefined), cb = qbias(w.cb, px.step, cw.sc);
  const cbias = b.node('DequantizeLinear', [q(b, 'cb_q', DT.INT32, [6], cb.q), b.init('cb_scale', cw.sc.length > 1 ? [6] : [], cb.scale), q(b, 'cb_zp', DT.INT32, cw.sc.length > 1 ? [6] : [], cw.sc.map(() => 0))], cw.sc.length > 1 ? { axis: 0 } : {});
  let h = b.node('Conv', [qdq('x', px), cw.out, cbias], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
  if (o.relu === 'kept') h = b.node('Relu', [h]);    // removed by the quantizer when the Q's range (calibrated after the Relu) clips at 0
  h = b.node('MaxPool', [qdq(h, pc)], { kernel_shape: [2, 2], strides: [2, 2] });
  h = b.node(o.flatten, [qdq(h, pc), ...(o.flatten === 'Reshape' ? [b.ints('shape', [0, -1])] : [])]);
  h = qdq(h, pf);
  if (o.head === 'Gemm') {
    const fw = wdq(b, 'fw', w.fw, [10, 96], DT.INT8, o.perChannel ? 0 : undefined), fb = qbias(w.fb, pf.step, fw.sc);
    const fbias = b.node('DequantizeLinear', [q(b, 'fb_q', DT.INT32, [10], fb.q), b.init('fb_scale', fw.sc.length > 1 ? [10] : [], fb.scale), q(b, 'fb_zp', DT.INT32, fw.sc.length > 1 ? [10] : [], fw.sc.map(() => 0))], fw.sc.length > 1 ? { axis: 0 } : {});
    h = b.node('Gemm', [h, fw.out, fbias], { transB: 1 });
  } else h = b.node('MatMul', [h, wdq(b, 'fw', w.fw, [96, 10], DT.INT8, o.perChannel ? 1 : undefined).out]);
  return { bytes: await b.build(input, qdq(h, pg), { opset: o.opset }), x: w.x, step: pg.step };
}

describe('ONNX import: QDQ activations → int8 layers (vs onnxruntime-node, within one output quantization step)', () => {
  const cases: [string, QdqOpts][] = [
    ['qdq per-tensor uint8 Gemm Flatten opset13', { act: DT.UINT8, perChannel: false, head: 'Gemm', relu: 'removed', flatten: 'Flatten', opset: 13 }],
    ['qdq per-channel int8 MatMul Reshape Relu opset17', { act: DT.INT8, perChannel: true, head: 'MatMul', relu: 'kept', flatten: 'Reshape', opset: 17 }],
    ['qdq per-channel uint8 Gemm Relu opset17', { act: DT.UINT8, perChannel: true, head: 'Gemm', relu: 'kept', flatten: 'Flatten', opset: 17 }],
  ];
  for (const [label, o] of cases) it(label, async () => {
    const { bytes, x, step } = await qdqCnn(o);
    const imp = await conform(label, bytes, x, X, e, step * 1.0001);
    expect(imp.model.layers.map((l) => l.type)).toEqual(['quantize', 'qconv2d', 'qmaxPool2d', 'flatten', 'qdense', 'dequantize']);
    const got = imp.toOnnxOutput(await imp.model.predict(imp.toAxonInput(x))), basic = await ortBasic(bytes, x);
    MAX_ERR[`${label} (ort basic)`] = maxDiff(got, basic);
    expect(maxDiff(got, basic)).toBeLessThanOrEqual(step * 1.0001);
    expect(distinct(basic), 'the test output is not saturated').toBeGreaterThan(12);
  });

  it.each([['uint8', DT.UINT8, false], ['int8, Relu after the Add', DT.INT8, true]] as const)('a residual block (one Q read by two DQs, DQ + DQ → Add → Q), %s: int8 conv and int8 add (QAdd)', async (_label, dt, relu) => {
    const x = randn(2 * 3 * 64, ++seed), cw = randn(81, ++seed, 0.3), cbv = randn(3, ++seed, 0.1);
    const f = new OnnxBuilder('res_f32'), fc = f.node('Conv', ['x', f.init('cw', [3, 3, 3, 3], cw), f.init('cb', [3], cbv)], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
    const fs = f.node('Add', [fc, 'x']), rc = await range(f, fc, x), rs = await range(f, relu ? f.node('Relu', [fs]) : fs, x);
    const b = new OnnxBuilder('res_qdq'), px = actQ(b, 'x', lohi(x), dt), pc = actQ(b, 'c', rc, dt), ps = actQ(b, 's', rs, dt);
    const xq = b.node('QuantizeLinear', ['x', px.s, px.z]), w = wdq(b, 'cw', cw, [3, 3, 3, 3], DT.INT8, 0), qb = qbias(cbv, px.step, w.sc);
    const bias = b.node('DequantizeLinear', [q(b, 'cb_q', DT.INT32, [3], qb.q), b.init('cb_s', [3], qb.scale), q(b, 'cb_z', DT.INT32, [3], [0, 0, 0])], { axis: 0 });
    const c = b.node('Conv', [b.node('DequantizeLinear', [xq, px.s, px.z]), w.out, bias], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
    let sum = b.node('Add', [b.node('DequantizeLinear', [b.node('QuantizeLinear', [c, pc.s, pc.z]), pc.s, pc.z]), b.node('DequantizeLinear', [xq, px.s, px.z])]);
    if (relu) sum = b.node('Relu', [sum]);
    const bytes = await b.build(input, b.node('DequantizeLinear', [b.node('QuantizeLinear', [sum, ps.s, ps.z]), ps.s, ps.z]));
    const imp = await conform(`qdq residual ${_label}`, bytes, x, X, e, ps.step * 1.0001);
    expect(imp.model.layers.map((l) => l.type)).toEqual(['quantize', 'qconv2d', 'qadd', 'dequantize']);
    const add = imp.model.layers[2] as QAdd;
    expect([add.config(), add.qin[1].zeroPoint, add.qout.scale]).toEqual([{ activation: relu ? 'relu' : 'linear' }, (imp.model.layers[0] as Quantize).q.zeroPoint, Math.fround(ps.step)]);
    const got = imp.toOnnxOutput(await imp.model.predict(imp.toAxonInput(x))), basic = await ortBasic(bytes, x);
    MAX_ERR[`qdq residual ${_label} (ort basic)`] = maxDiff(got, basic);
    expect(maxDiff(got, basic)).toBeLessThanOrEqual(ps.step * 1.0001);
    expect(distinct(basic), 'the test output is not saturated').toBeGreaterThan(12);
  });

  it('an int8 QDQ import saves and loads as an Axon model with the same outputs', async () => {
    const { bytes, x } = await qdqCnn({ act: DT.UINT8, perChannel: true, head: 'Gemm', relu: 'removed', flatten: 'Flatten', opset: 13 });
    const imp = await importOnnx(bytes, { engine: e });
    const m2 = modelFromBytes(modelToBytes(imp.model), 'qdq', e).model;
    expect(m2.layers.map((l) => l.type)).toEqual(imp.model.layers.map((l) => l.type));
    expect(maxDiff((await m2.predict(imp.toAxonInput(x))).data, (await imp.model.predict(imp.toAxonInput(x))).data)).toBe(0);
  });

  it('a DQ → op → Q group that has no int8 layer runs as Dequantize → f32 → Quantize (AveragePool, Sigmoid)', async () => {
    const b = new OnnxBuilder('qdq_f32'), x = randn(2 * 3 * 64, ++seed);
    const p1 = actQ(b, 'a', [-3.5, 3.5], DT.UINT8), p2 = actQ(b, 'b', [0, 2], DT.UINT8);
    const qdq = (v: string, p: { s: string; z: string }) => b.node('DequantizeLinear', [b.node('QuantizeLinear', [v, p.s, p.z]), p.s, p.z]);
    let h = b.node('AveragePool', [qdq('x', p1)], { kernel_shape: [2, 2], strides: [2, 2] });
    h = b.node('Sigmoid', [qdq(h, p1)]);
    const bytes = await b.build(input, qdq(h, p2));
    // NOTE: a 2x2 average of values on the input's grid, requantized to that grid, lands on ties
    // often; f32 rounding decides them, so Axon and onnxruntime may differ by one step there. The
    // sigmoid's slope (<= 1/4) times that step (7/255) stays below the output step (2/255) here, so
    // the outputs differ by at most one step (with a finer output grid they could differ by two).
    const imp = await conform('qdq f32 fallback', bytes, x, X, e, p2.step * 1.0001);
    const basic = await ortBasic(bytes, x), got = imp.toOnnxOutput(await imp.model.predict(imp.toAxonInput(x)));
    MAX_ERR['qdq f32 fallback (ort basic)'] = maxDiff(got, basic);
    expect(maxDiff(got, basic)).toBeLessThanOrEqual(p2.step * 1.0001);
    expect(imp.model.layers.map((l) => l.type)).toEqual(['quantize', 'dequantize', 'avgPool2d', 'quantize', 'dequantize', 'activation', 'quantize', 'dequantize']);
  });
});

/** QOperator: QuantizeLinear → QLinearConv → MaxPool (uint8) → DequantizeLinear → Flatten → QuantizeLinear → QLinearMatMul → DequantizeLinear. */
async function qopCnn(wt: QT, perChannel: boolean, headWt: QT, opset: 13 | 17): Promise<{ bytes: Uint8Array; x: Float32Array; step: number }> {
  const w = cnnWeights(), { rc, rg } = await calibrate(w, 'MatMul');
  const b = new OnnxBuilder('qop');
  const px = actQ(b, 'x', lohi(w.x), DT.UINT8), pc = actQ(b, 'c', rc, DT.UINT8), pg = actQ(b, 'g', rg, DT.UINT8);
  const [cq, csc, czp] = quantize(w.cw, [6, 3, 3, 3], wt, perChannel ? 0 : undefined), sd = perChannel ? [6] : [];
  const cb = qbias(w.cb, px.step, csc);
  let h = b.node('QuantizeLinear', ['x', px.s, px.z]);
  h = b.node('QLinearConv', [h, px.s, px.z, q(b, 'cw_q', wt, [6, 3, 3, 3], cq), b.init('cw_s', sd, csc), q(b, 'cw_zp', wt, sd, czp), pc.s, pc.z, q(b, 'cb_q', DT.INT32, [6], cb.q)], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
  h = b.node('MaxPool', [h], { kernel_shape: [2, 2], strides: [2, 2] });
  h = b.node('Flatten', [b.node('DequantizeLinear', [h, pc.s, pc.z])]);
  h = b.node('QuantizeLinear', [h, pc.s, pc.z]);
  const [fq, fsc, fzp] = quantize(w.fw, [96, 10], headWt, perChannel ? 1 : undefined), fd = perChannel ? [10] : [];
  h = b.node('QLinearMatMul', [h, pc.s, pc.z, q(b, 'fw_q', headWt, [96, 10], fq), b.init('fw_s', fd, fsc), q(b, 'fw_zp', headWt, fd, fzp), pg.s, pg.z]);
  return { bytes: await b.build(input, b.node('DequantizeLinear', [h, pg.s, pg.z]), { opset }), x: w.x, step: pg.step };
}

describe('ONNX import: QOperator (QLinearConv, QLinearMatMul, QGemm) vs onnxruntime-node', () => {
  it('int8 weights per tensor, opset 13: every layer int8', async () => {
    const { bytes, x, step } = await qopCnn(DT.INT8, false, DT.INT8, 13);
    const imp = await conform('qop per-tensor int8 w', bytes, x, X, e, step * 1.0001);
    expect(imp.model.layers.map((l) => l.type)).toEqual(['quantize', 'qconv2d', 'qmaxPool2d', 'flatten', 'qdense', 'dequantize']);   // DQ → Flatten → Q (same parameters) runs on int8
  });
  it('int8 conv weights per channel, uint8 head weights with zero points (f32 emulation there), opset 17', async () => {
    const { bytes, x, step } = await qopCnn(DT.INT8, true, DT.UINT8, 17);
    const imp = await conform('qop per-channel + uint8 w', bytes, x, X, e, step * 1.0001);
    expect(imp.model.layers.map((l) => l.type)).toEqual(['quantize', 'qconv2d', 'qmaxPool2d', 'flatten', 'dequantize', 'dense', 'quantize', 'dequantize']);
  });
  it('uint8 conv weights (asymmetric: emulated in f32), opset 13', async () => {
    const { bytes, x, step } = await qopCnn(DT.UINT8, false, DT.INT8, 13);
    const imp = await conform('qop uint8 conv w', bytes, x, X, e, step * 1.0001);
    expect(imp.model.layers.map((l) => l.type).slice(0, 5)).toEqual(['quantize', 'dequantize', 'conv2d', 'quantize', 'qmaxPool2d']);
  });
  it('QGemm (com.microsoft) with an int32 bias and a float output', async () => {
    const b = new OnnxBuilder('qgemm'), x = randn(3 * 20, ++seed), w = randn(8 * 20, ++seed, 0.3), bias = randn(8, ++seed, 0.1);
    const px = actQ(b, 'x', lohi(x), DT.UINT8), [wq, ws, wz] = quantize(w, [8, 20], DT.INT8, 0), qb = qbias(bias, px.step, ws);
    let h = b.node('QuantizeLinear', ['x', px.s, px.z]);
    h = b.node('QGemm', [h, px.s, px.z, q(b, 'w_q', DT.INT8, [8, 20], wq), b.init('w_s', [8], ws), q(b, 'w_zp', DT.INT8, [8], wz), q(b, 'b_q', DT.INT32, [8], qb.q)], { transB: 1 });
    b.nodes[b.nodes.length - 1].domain = 'com.microsoft';
    const bytes = await encodeOnnx({
      ir_version: 8, opset_import: [{ domain: '', version: 13 }, { domain: 'com.microsoft', version: 1 }],
      graph: { name: 'qgemm', node: b.nodes, initializer: b.inits, input: [{ name: 'x', type: { tensor_type: { elem_type: DT.FLOAT, shape: { dim: [{ dim_param: 'N' }, { dim_value: 20 }] } } } }], output: [{ name: h, type: { tensor_type: { elem_type: DT.FLOAT } } }] },
    });
    const imp = await conform('qgemm f32 out', bytes, x, [3, 20], e, 1e-4);
    expect(imp.model.layers.map((l) => l.type)).toEqual(['quantize', 'qdense']);
  });
});

/** A graph of b's nodes with com.microsoft ops (opset 13 + com.microsoft 1), input x of shape dims. */
const msGraph = (b: OnnxBuilder, out: string, dims: (string | number)[]) => encodeOnnx({
  ir_version: 8, opset_import: [{ domain: '', version: 13 }, { domain: 'com.microsoft', version: 1 }],
  graph: { name: b.nodes[0].name, node: b.nodes, initializer: b.inits, output: [{ name: out, type: { tensor_type: { elem_type: DT.FLOAT } } }],
    input: [{ name: 'x', type: { tensor_type: { elem_type: DT.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dim_param: d } : { dim_value: d })) } } } }] },
});

describe('ONNX import: QLinearAdd (com.microsoft, QOperator) vs onnxruntime-node', () => {
  it.each([['uint8', DT.UINT8], ['int8', DT.INT8]] as const)('QLinearConv + QLinearAdd residual, %s activations → QConv2D + QAdd, within one output step', async (_l, dt) => {
    const x = randn(2 * 3 * 64, ++seed), cw = randn(81, ++seed, 0.3), cbv = randn(3, ++seed, 0.1);
    const f = new OnnxBuilder('qadd_f32'), fc = f.node('Conv', ['x', f.init('cw', [3, 3, 3, 3], cw), f.init('cb', [3], cbv)], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
    const rc = await range(f, fc, x), rs = await range(f, f.node('Add', ['x', fc]), x);
    const b = new OnnxBuilder('qadd'), px = actQ(b, 'x', lohi(x), dt), pc = actQ(b, 'c', rc, dt), ps = actQ(b, 's', rs, dt);
    const [wq, ws, wz] = quantize(cw, [3, 3, 3, 3], DT.INT8, 0), qb = qbias(cbv, px.step, ws);
    const xq = b.node('QuantizeLinear', ['x', px.s, px.z]);
    const c = b.node('QLinearConv', [xq, px.s, px.z, q(b, 'w_q', DT.INT8, [3, 3, 3, 3], wq), b.init('w_s', [3], ws), q(b, 'w_z', DT.INT8, [3], wz), pc.s, pc.z, q(b, 'b_q', DT.INT32, [3], qb.q)], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
    const sum = b.node('QLinearAdd', [xq, px.s, px.z, c, pc.s, pc.z, ps.s, ps.z]);   // the skip first: A is the model input's Quantize
    b.nodes[b.nodes.length - 1].domain = 'com.microsoft';
    const out = b.node('DequantizeLinear', [sum, ps.s, ps.z]);
    const imp = await conform(`qlinearadd ${_l}`, await msGraph(b, out, ['N', 3, 8, 8]), x, X, e, ps.step * 1.0001);
    expect(imp.model.layers.map((l) => l.type)).toEqual(['quantize', 'qconv2d', 'qadd', 'dequantize']);
    expect(imp.model.inputsOf(imp.model.layers[2].name)).toEqual([imp.model.layers[0].name, imp.model.layers[1].name]);
    const got = imp.toOnnxOutput(await imp.model.predict(imp.toAxonInput(x)));
    expect(distinct(got), 'the test output is not saturated').toBeGreaterThan(12);
  });

  it('refuses a QLinearAdd of a float tensor and one with mismatched zero-point types, naming the node', async () => {
    let b = new OnnxBuilder('qadd_f');
    const s = b.init('s', [], [0.1]), z = q(b, 'z', DT.UINT8, [], [128]);
    b.node('QLinearAdd', [b.node('QuantizeLinear', ['x', s, z]), s, z, 'x', s, z, s, z], {}, { name: 'qa' });
    b.nodes[b.nodes.length - 1].domain = 'com.microsoft';
    await expect(importOnnx(await msGraph(b, b.node('DequantizeLinear', ['qlinearadd_1', s, z]), ['N', 4]))).rejects.toThrowError(/QLinearAdd \(qa\): adds a tensor that is not a quantized activation/);
    b = new OnnxBuilder('qadd_t');
    const s2 = b.init('s', [], [0.1]), z2 = q(b, 'z', DT.UINT8, [], [128]), zi = q(b, 'zi', DT.INT8, [], [0]);
    const xq = b.node('QuantizeLinear', ['x', s2, z2]);
    b.node('QLinearAdd', [xq, s2, z2, xq, s2, zi, s2, z2], {}, { name: 'qt' });
    b.nodes[b.nodes.length - 1].domain = 'com.microsoft';
    await expect(importOnnx(await msGraph(b, b.node('DequantizeLinear', ['qlinearadd_1', s2, z2]), ['N', 4]))).rejects.toThrowError(/QLinearAdd \(qt\): input B is uint8 but B_zero_point is int8/);
  });
});

/** quantize_dynamic: DynamicQuantizeLinear → MatMulInteger / ConvInteger → Cast → Mul(·, Mul(x_scale, w_scale)) [→ Add bias]. */
function dynLayer(b: OnnxBuilder, x: string, name: string, conv: boolean, wq: number[], wdims: number[], dt: QT, ws: number[], wz: number[], attrs = {}): string {
  const sd = ws.length > 1 ? [ws.length] : [];
  const [xq, xs, xz] = [`${name}_xq`, `${name}_xs`, `${name}_xz`];
  b.node('DynamicQuantizeLinear', [x], {}, { outputs: [xq, xs, xz] });
  const mi = b.node(conv ? 'ConvInteger' : 'MatMulInteger', [xq, q(b, `${name}_wq`, dt, wdims, wq), xz, q(b, `${name}_wz`, dt, sd, wz)], attrs, { name: `${name}_quant` });
  const c = b.node('Cast', [mi], { to: DT.FLOAT });
  return b.node('Mul', [c, b.node('Mul', [xs, b.init(`${name}_ws`, sd, ws)])]);
}

describe('ONNX import: dynamic quantization (quantize_dynamic) vs onnxruntime-node', () => {
  it('MatMulInteger int8 per tensor + bias → QDenseDynamic; uint8 per column with zero points → FakeQuantDynamic + Dense', async () => {
    const b = new OnnxBuilder('dyn'), x = randn(4 * 20, ++seed), w1 = randn(20 * 16, ++seed, 0.3), w2 = randn(16 * 5, ++seed, 0.3);
    const [q1, s1, z1] = quantize(w1, [20, 16], DT.INT8), [q2, s2, z2] = quantize(w2, [16, 5], DT.UINT8, 1);
    let h = dynLayer(b, 'x', 'fc1', false, q1, [20, 16], DT.INT8, s1, z1);
    h = b.node('Relu', [b.node('Add', [h, b.init('fc1_b', [16], randn(16, ++seed, 0.1))])]);
    h = dynLayer(b, h, 'fc2', false, q2, [16, 5], DT.UINT8, s2, z2);
    const imp = await conform('dynamic matmul', await b.build({ name: 'x', dims: ['N', 20] }, h, { opset: 13 }), x, [4, 20], e, 1e-4);
    expect(imp.model.layers.map((l) => l.type)).toEqual(['qdenseDynamic', 'activation', 'fakeQuantDynamic', 'dense']);
    const m2 = modelFromBytes(modelToBytes(imp.model), 'dyn', e).model, t = imp.toAxonInput(x);
    expect(maxDiff((await m2.predict(t)).data, (await imp.model.predict(t)).data), 'saved and loaded').toBe(0);
  });
  it('ConvInteger (uint8 weights) + reshaped bias Add, opset 17 → FakeQuantDynamic + Conv2D', async () => {
    const b = new OnnxBuilder('dynconv'), x = randn(2 * 3 * 64, ++seed), w = randn(4 * 27, ++seed, 0.3);
    const [wq, ws, wz] = quantize(w, [4, 3, 3, 3], DT.UINT8);
    let h = dynLayer(b, 'x', 'conv', true, wq, [4, 3, 3, 3], DT.UINT8, ws, wz, { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
    h = b.node('Add', [h, b.node('Reshape', [b.init('conv_b', [4], randn(4, ++seed, 0.1)), b.ints('bshape', [1, 4, 1, 1])])]);
    h = b.node('Flatten', [b.node('Relu', [h])]);
    const imp = await conform('dynamic conv', await b.build(input, h, { opset: 17 }), x, X, e, 1e-4);
    expect(imp.model.layers.map((l) => l.type)).toEqual(['fakeQuantDynamic', 'conv2d', 'activation', 'flatten']);
  });
});

describe('ONNX import: quantized graphs that cannot be imported fail with a clear message naming the node', () => {
  const fails = async (b: OnnxBuilder, out: string, re: RegExp, dims: (string | number)[] = ['N', 4]) =>
    expect(importOnnx(await b.build({ name: 'x', dims }, out))).rejects.toThrowError(re);
  it('missing scale, run-time zero point, per-axis activation scale', async () => {
    let b = new OnnxBuilder('no_scale');
    await fails(b, b.node('DequantizeLinear', [b.node('QuantizeLinear', ['x', ''], {}, { name: 'qx' }), b.init('s', [], [0.1])]), /QuantizeLinear \(qx\): input 1 \(y_scale\) is missing/);
    b = new OnnxBuilder('rt_zp');
    const z = b.node('Cast', [b.node('ReduceMax', ['x'], { keepdims: 0 })], { to: DT.UINT8 });
    await fails(b, b.node('DequantizeLinear', [b.node('QuantizeLinear', ['x', b.init('s', [], [0.1]), z], {}, { name: 'qz' }), 's', z]), /QuantizeLinear \(qz\): its quantization parameter "cast_\d+" \(input 2\) is computed at run time/);
    b = new OnnxBuilder('axis_act');
    await fails(b, b.node('QuantizeLinear', ['x', b.init('s', [4], [0.1, 0.1, 0.2, 0.2]), q(b, 'z', DT.UINT8, [4], [0, 0, 0, 0])], { axis: 1 }, { name: 'qa' }), /QuantizeLinear \(qa\): .*must be quantized per tensor/);
  });
  it('a quantized graph output, an f32 op on a quantized tensor, QLinearMatMul on a float input, zero scale', async () => {
    let b = new OnnxBuilder('q_out');
    const s = b.init('s', [], [0.1]), z = q(b, 'z', DT.UINT8, [], [128]);
    await fails(b, b.node('QuantizeLinear', ['x', s, z]), /the graph output "quantizelinear_1" is a quantized uint8 tensor.*DequantizeLinear/);
    b = new OnnxBuilder('relu_q');
    b.init('s', [], [0.1]); q(b, 'z', DT.UINT8, [], [128]);
    await fails(b, b.node('DequantizeLinear', [b.node('Relu', [b.node('QuantizeLinear', ['x', 's', 'z'])], {}, { name: 'rq' }), 's', 'z']), /Relu \(rq\): reads a quantized \(uint8\) tensor/);
    b = new OnnxBuilder('f32_in');
    b.init('s', [], [0.1]); q(b, 'z', DT.UINT8, [], [128]);
    const mm = b.node('QLinearMatMul', ['x', 's', 'z', q(b, 'w', DT.INT8, [4, 2], [1, 2, 3, 4, 5, 6, 7, 8]), 's', q(b, 'wz', DT.INT8, [], [0]), 's', 'z'], {}, { name: 'qmm' });
    await fails(b, b.node('DequantizeLinear', [mm, 's', 'z']), /QLinearMatMul \(qmm\): its input is not quantized/);
    b = new OnnxBuilder('zero_scale');
    b.init('s0', [], [0]); q(b, 'z', DT.UINT8, [], [128]);
    await fails(b, b.node('DequantizeLinear', [b.node('QuantizeLinear', ['x', 's0', 'z'], {}, { name: 'q0' }), 's0', 'z']), /QuantizeLinear \(q0\): y_scale is 0; it must be a positive finite float32/);
  });
  it('DynamicQuantizeLinear used other than as quantize_dynamic writes it', async () => {
    const b = new OnnxBuilder('dyn_bad');
    b.node('DynamicQuantizeLinear', ['x'], {}, { outputs: ['xq', 'xs', 'xz'], name: 'dql' });
    await fails(b, b.node('DequantizeLinear', ['xq', 'xs', 'xz']), /DynamicQuantizeLinear \(dql\): only the dynamic quantization onnxruntime's quantize_dynamic writes/);
  });
});
