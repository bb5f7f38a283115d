// Quantized ONNX activations → Axon int8 layers (DESIGN.md §5). After QuantizeLinear the ONNX tensor
// holds uint8 / int8 integers; Axon holds them as int8 (uint8 is int8 with the zero point shifted by
// 128, exactly), until DequantizeLinear. The graph forms onnxruntime's quantizer writes:
//   QDQ        QuantizeLinear → Quantize, DequantizeLinear → Dequantize; the DQ → Conv/Gemm/MatMul → Q
//              groups (and DQ → MaxPool/Reshape → Q) are first rewritten to the QOperator ops below
//              (onnx_quant_fuse.ts), so they run as int8 layers;
//   QOperator  QLinearConv → QConv2D, QLinearMatMul / QGemm → QDense, MaxPool → QMaxPool2D,
//              QLinearAdd → QAdd (onnx_merge.ts),
//              Reshape/Flatten/Squeeze/Unsqueeze/Transpose as they are;
//   dynamic    DynamicQuantizeLinear → MatMulInteger → Cast → Mul(scales) [→ Add bias] (fused to
//              DynamicQuantizeMatMul) → QDenseDynamic; ConvInteger (DynamicQuantizeConv) → emulated.
// Weights map onto Axon's symmetric int8 when every (q - zero point) fits int8 (int8 with zero point 0,
// uint8 with 128, ...). Otherwise the layer is emulated in f32: Dequantize, the f32 layer with
// dequantized weights, Quantize (round half to even, saturate, as ONNX) — or FakeQuantDynamic before
// the f32 layer for dynamic quantization. Conv1D and grouped convolutions other than depthwise too.
import { own } from '../format/validate.js';
import type { OnnxNode } from './onnx_proto.js';
import { AT, DT } from './onnx_proto.js';
import { Attrs, Const } from './onnx_graph.js';
import { Converter, unsupported } from './onnx_convert.js';
import { HANDLERS } from './onnx_ops.js';
import { prod } from './onnx_layout.js';
import { Conv2D } from '../layers/conv.js';
import { Dense } from '../layers/dense.js';
import type { Pool2DOptions } from '../layers/pool.js';
import { Quantize, Dequantize, QMaxPool2D } from '../quant/layers.js';
import { QConv2D } from '../quant/qconv.js';
import { QDense, QDenseDynamic } from '../quant/qdense.js';
import { FakeQuantDynamic } from '../quant/fakequant.js';
import { FusedActivation, hwioToOhwi, QParams } from '../quant/scheme.js';

type Handler = (cv: Converter, n: OnnxNode, a: Attrs) => void;
/** Maps a node whose activation input has ONNX type `inT` (undefined: float); returns its output's integer type (undefined: float). */
type QHandler = (cv: Converter, n: OnnxNode, a: Attrs, inT: number | undefined) => number | undefined;
type ActQ = QParams & { dtype: number };

/** Per import: the ONNX integer type of every quantized activation, by value name (float values are absent). */
const qtypes = new WeakMap<Converter, Map<string, number>>();
export const typesOf = (cv: Converter) => { let t = qtypes.get(cv); if (!t) qtypes.set(cv, (t = new Map())); return t; };
export const typeName = (dt: number) => (dt === DT.UINT8 ? 'uint8' : dt === DT.INT8 ? 'int8' : `type ${dt}`);

/** Per-tensor parameters of an activation (scale input i, zero point i + 1) as Axon int8 parameters. */
export function actParams(cv: Converter, n: OnnxNode, i: number, what: string, dflt: number = DT.UINT8): ActQ {
  const s = cv.c(n, i, `${what}_scale`), z = cv.c(n, i + 1, `${what}_zero_point`, true);
  if (s.data.length !== 1 || (z && z.data.length !== 1)) unsupported(`${what}_scale [${s.dims}] / ${what}_zero_point: an activation must be quantized per tensor (scalar scale and zero point)`);
  const dtype = z?.dtype ?? dflt, scale = Math.fround(s.data[0]), zp = z ? z.data[0] : 0;
  if (dtype !== DT.UINT8 && dtype !== DT.INT8) unsupported(`${what}_zero_point is ${typeName(dtype)}: only uint8 and int8 activations are supported`);
  if (!(scale > 0) || !Number.isFinite(scale)) unsupported(`${what}_scale is ${s.data[0]}; it must be a positive finite float32`);
  return { scale, zeroPoint: dtype === DT.UINT8 ? zp - 128 : zp, dtype };
}

/** Integer weights as (q - zero point) in the ONNX layout, with one scale per output channel (`axis`). */
interface QWeights { dims: number[]; ints: Float32Array; scale: Float32Array; fits: boolean; ch: (k: number) => number }
function qweights(cv: Converter, n: OnnxNode, i: number, what: string, axis: number): QWeights {
  const w = cv.c(n, i, what), s = cv.c(n, i + 1, `${what}_scale`), z = cv.c(n, i + 2, `${what}_zero_point`, true);
  if (w.float) unsupported(`${what} "${n.input[i]}" must be an int8 or uint8 tensor`);
  const r = w.dims.length, ax = (axis + r) % r, C = w.dims[ax], inner = prod(w.dims.slice(ax + 1)), per = s.data.length > 1;
  if (per && (s.dims.length !== 1 || s.data.length !== C)) unsupported(`${what}_scale of shape [${s.dims}] does not fit the ${C} output channels of ${what} [${w.dims}]`);
  if (z && z.data.length !== s.data.length) unsupported(`${what}_zero_point of shape [${z.dims}] does not match ${what}_scale [${s.dims}]`);
  if (s.data.some((v) => !(Math.fround(v) > 0) || !Number.isFinite(Math.fround(v)))) unsupported(`${what}_scale must be positive finite float32 values`);
  const ch = (k: number) => (per ? Math.floor(k / inner) % C : 0);
  const ints = Float32Array.from(w.data, (q, k) => q - (z ? z.data[ch(k)] : 0));
  return { dims: w.dims, ints, scale: Float32Array.from({ length: C }, (_, c) => s.data[per ? c : 0]), fits: ints.every((v) => v >= -128 && v <= 127), ch: (k) => Math.floor(k / inner) % C };
}

/** A constant for a rewritten node, registered under a private name. */
function constName(cv: Converter, n: OnnxNode, key: string, c: Const): string {
  const name = `${n.output[0]}::${key}`;
  cv.consts.set(name, c);
  return name;
}

interface Linear { op: 'Conv' | 'MatMul' | 'Gemm'; x: ActQ; w: QWeights; wName: string; y?: ActQ; bias?: Const; bName?: string; act: FusedActivation; alpha: number }

/** int32 bias at scale x_scale * w_scale[c] (QOperator biases are int32 already; QDQ ones arrive dequantized). */
function intBias(L: Linear, OC: number): Int32Array {
  const b = L.bias;
  if (!b) return new Int32Array(OC);
  const v = b.float ? Float64Array.from(L.w.scale, (s, c) => Math.round(b.data[c] / Math.fround(L.x.scale * s))) : b.data;
  if (v.some((q) => !(Math.abs(q) < 2 ** 31))) unsupported('the bias does not fit int32 at scale x_scale * w_scale');
  return Int32Array.from(v);
}

/** A QLinearConv / QLinearMatMul / QGemm: the int8 layer when the weights fit, else the f32 emulation. */
function linear(cv: Converter, n: OnnxNode, a: Attrs, L: Linear, st: number | undefined): number | undefined {
  if (st === undefined) return unsupported('its input is not quantized (put a QuantizeLinear before it)');
  if (st !== L.x.dtype) unsupported(`its input is ${typeName(st)} but x_zero_point is ${typeName(L.x.dtype)}`);
  const OC = L.w.scale.length, g = a.int('group', 1), C = cv.act.onnx[0];
  if (L.bias && L.bias.data.length !== OC) unsupported(`the bias has ${L.bias.data.length} values for ${OC} output channels`);
  const int8 = L.w.fits && L.alpha === 1 && (L.op !== 'Conv' || (L.w.dims.length === 4 && (g === 1 || (g === C && OC % C === 0))));
  const attribute = (n.attribute ?? []).filter((t) => !['alpha', 'beta', 'axon_activation'].includes(t.name));
  if (L.op === 'Gemm' && L.alpha !== 1) attribute.push({ name: 'alpha', type: AT.FLOAT, f: L.alpha });
  const node = (w: string, b?: string): OnnxNode => ({ ...n, op_type: L.op, input: [n.input[0], w, ...(b ? [b] : [])], attribute });
  const from = { weight: L.wName, ...(L.bName ? { bias: L.bName } : {}) };
  if (int8) {
    const w = constName(cv, n, 'w', { dims: L.w.dims, data: L.w.ints, float: true });
    HANDLERS[L.op](cv, node(w), new Attrs(node(w)));
    const s = cv.specs[cv.specs.length - 1], f = s.layer, out = L.y ? { quant: { input: L.x, output: L.y } } : { quant: { input: L.x } };
    const q = f instanceof Dense
      ? new QDense({ units: OC, activation: L.act, output: L.y ? 'i8' : 'f32', ...out })
      : new QConv2D({ filters: OC, kernelSize: (f as Conv2D).kernel, strides: (f as Conv2D).strides, padding: (f as Conv2D).padding, dilationRate: (f as Conv2D).dilation, groups: g, activation: L.act, quant: { input: L.x, output: L.y! } });
    q.build(f.inputShape);
    const weight = f instanceof Dense || g > 1 ? s.w.weight : hwioToOhwi(s.w.weight, OC);
    s.layer = q;
    s.w = { weight, 'weight.scale': L.w.scale, 'weight.zero_point': new Float32Array(OC), bias: intBias(L, OC) as unknown as Float32Array };
    s.from = from;
    cv.tip = s;
  } else {
    cv.emit(new Dequantize({ quant: { input: L.x } }), {}, n);
    const w = constName(cv, n, 'w', { dims: L.w.dims, float: true, data: Float32Array.from(L.w.ints, (v, k) => v * L.w.scale[L.w.ch(k)]) });
    const bias = L.bias && (L.bias.float ? L.bias.data : Float32Array.from(L.bias.data, (v, c) => v * Math.fround(L.x.scale * L.w.scale[c])));
    const b = bias && (L.op === 'MatMul' ? undefined : constName(cv, n, 'b', { dims: [OC], data: Float32Array.from(bias), float: true }));
    HANDLERS[L.op](cv, node(w, b), new Attrs(node(w, b)));
    cv.specs[cv.specs.length - 1].from = from;
    if (L.act !== 'linear') cv.activation(n, L.act);
    if (L.y) cv.emit(new Quantize({ quant: { output: L.y } }), {}, n);
  }
  return L.y?.dtype;
}

const fusedAct = (a: Attrs) => a.str('axon_activation', 'linear') as FusedActivation;
const opt = (cv: Converter, n: OnnxNode, i: number, what: string) => (n.input[i] ? cv.c(n, i, what) : undefined);

/** Dynamic quantization (quantize_dynamic): int8 QDenseDynamic when the weights fit, else FakeQuantDynamic + the f32 layer. */
const dynamic = (op: 'Conv' | 'MatMul'): QHandler => (cv, n, a, inT) => {
  if (inT !== undefined) unsupported('its input is already quantized');
  const w = qweights(cv, n, 1, op === 'Conv' ? 'w' : 'B', op === 'Conv' ? 0 : 1), OC = w.scale.length, bias = opt(cv, n, 4, 'bias');
  if (bias && bias.data.length !== OC) unsupported(`the bias has ${bias.data.length} values for ${OC} outputs`);
  const from = { weight: n.input[1], ...(bias ? { bias: n.input[4] } : {}) };
  const node = (wn: string, bn?: string): OnnxNode => ({ ...n, op_type: op, input: [n.input[0], wn, ...(bn ? [bn] : [])] });
  if (op === 'MatMul' && w.fits) {
    const wn = constName(cv, n, 'w', { dims: w.dims, data: w.ints, float: true });
    HANDLERS.MatMul(cv, node(wn), a);
    const s = cv.specs[cv.specs.length - 1], q = new QDenseDynamic({ units: OC, useBias: !!bias });
    q.build(s.layer.inputShape);
    s.layer = q;
    s.w = { weight: s.w.weight, 'weight.scale': w.scale, 'weight.zero_point': new Float32Array(OC), ...(bias ? { bias: Float32Array.from(bias.data) } : {}) };
    s.from = from;
    cv.tip = s;
    return undefined;
  }
  cv.emit(new FakeQuantDynamic(), {}, n);
  const wn = constName(cv, n, 'w', { dims: w.dims, float: true, data: Float32Array.from(w.ints, (v, k) => v * w.scale[w.ch(k)]) });
  const bn = bias && op === 'Conv' ? constName(cv, n, 'b', { dims: [OC], data: Float32Array.from(bias.data), float: true }) : undefined;
  HANDLERS[op](cv, node(wn, bn), a);
  cv.specs[cv.specs.length - 1].from = from;
  if (bias && op === 'MatMul') cv.affine(n, null, Float32Array.from(bias.data));
  return undefined;
};

/** Ops that only move integers: they run on the int8 tensor as they are (MaxPool as QMaxPool2D). */
const MOVES = new Set(['Flatten', 'Reshape', 'Squeeze', 'Unsqueeze', 'Transpose', 'Identity', 'MaxPool']);

const move: QHandler = (cv, n, a, inT) => {
  const k = cv.specs.length;
  HANDLERS[n.op_type](cv, n, a);
  for (const s of cv.specs.slice(k)) {
    if (s.layer.type === 'maxPool2d') {
      const q = new QMaxPool2D(s.layer.config() as Pool2DOptions);
      q.build(s.layer.inputShape);
      s.layer = q;
    } else if (!s.layer.aliasesInput) unsupported(`${s.layer.type} on a quantized tensor is not supported (Axon has int8 2-D max pooling only); dequantize before it`);
  }
  return inT;
};

const QUANT_HANDLERS: Record<string, QHandler> = {
  QuantizeLinear: (cv, n, _a, inT) => {
    if (inT !== undefined) unsupported('its input is already quantized');
    const y = actParams(cv, n, 1, 'y');
    cv.emit(new Quantize({ quant: { output: y } }), {}, n);
    return y.dtype;
  },
  DequantizeLinear: (cv, n, _a, st) => {
    if (st === undefined) return unsupported('its input is not a quantized activation (only DequantizeLinear of QuantizeLinear / QLinear* outputs and of constants is supported)');
    const x = actParams(cv, n, 1, 'x', st);
    if (x.dtype !== st) unsupported(`its input is ${typeName(st)} but x_zero_point is ${typeName(x.dtype)}`);
    cv.emit(new Dequantize({ quant: { input: x } }), {}, n);
    return undefined;
  },
  QLinearConv: (cv, n, a, inT) => linear(cv, n, a, {
    op: 'Conv', x: actParams(cv, n, 1, 'x'), w: qweights(cv, n, 3, 'w', 0), wName: n.input[3], y: actParams(cv, n, 6, 'y'),
    bias: opt(cv, n, 8, 'B'), bName: n.input[8], act: fusedAct(a), alpha: 1,
  }, inT),
  QLinearMatMul: (cv, n, a, inT) => linear(cv, n, a, {
    op: 'MatMul', x: actParams(cv, n, 1, 'a'), w: qweights(cv, n, 3, 'b', 1), wName: n.input[3], y: actParams(cv, n, 6, 'y'), act: fusedAct(a), alpha: 1,
  }, inT),
  QGemm: (cv, n, a, inT) => {
    if (a.int('transA', 0)) unsupported('transA=1 is not supported');
    return linear(cv, n, a, {
      op: 'Gemm', x: actParams(cv, n, 1, 'a'), w: qweights(cv, n, 3, 'b', a.int('transB', 0) ? 0 : 1), wName: n.input[3],
      y: n.input[7] ? actParams(cv, n, 7, 'y') : undefined, bias: opt(cv, n, 6, 'C'), bName: n.input[6], act: fusedAct(a), alpha: a.float('alpha', 1),
    }, inT);
  },
  DynamicQuantizeMatMul: /* @__PURE__ */ dynamic('MatMul'),
  DynamicQuantizeConv: /* @__PURE__ */ dynamic('Conv'),
};

/** The quantization ops the importer takes, by their ONNX names (the dynamic patterns are fused first). */
export const QUANT_OPS = ['QuantizeLinear', 'DequantizeLinear', 'QLinearConv', 'QLinearMatMul', 'QGemm', 'DynamicQuantizeLinear', 'MatMulInteger', 'ConvInteger', 'DynamicQuantizeMatMul'];

/** Whether op is a quantization op this module maps (QuantizeLinear, QLinearConv, the fused dynamic ops, ...). */
export const isQuantOp = (op: string) => op in QUANT_HANDLERS;

/** The handler for n when quantization decides it: quantization ops, and every op that reads a quantized activation. */
export function quantHandler(cv: Converter, n: OnnxNode): Handler | undefined {
  if (n.op_type === 'QLinearAdd') return undefined;   // a merge of two activations (onnx_merge.ts)
  const types = typesOf(cv), inT = n.input.map((i) => types.get(i)).find((t) => t !== undefined);
  const h = own(QUANT_HANDLERS, n.op_type) ?? (inT !== undefined && MOVES.has(n.op_type) ? move : undefined);
  if (!h) return inT === undefined ? undefined : () => unsupported(`reads a quantized (${typeName(inT)}) tensor; only QLinearConv, QLinearMatMul, QGemm, QLinearAdd, DequantizeLinear and ${[...MOVES].join(', ')} take quantized inputs`);
  return (c, m, a) => { const t = h(c, m, a, inT); if (t !== undefined) types.set(c.next ?? m.output[0], t); };
}

/** A problem with the graph's output: it is still quantized. */
export function quantOutputProblem(cv: Converter, output: string): string | undefined {
  const t = typesOf(cv).get(output);
  return t === undefined ? undefined : `the graph output "${output}" is a quantized ${typeName(t)} tensor; Axon models output float32: end the graph with DequantizeLinear`;
}
