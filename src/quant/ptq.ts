// Post-training quantization: an f32 model + calibration inputs → a new model of int8 layers
// (DESIGN.md §5), a Sequential for a chain. Walks the compile units (Dense/Conv2D with their
// activation split off) in order, keeping for each unit's output the layer that now holds it and
// its domain (f32 or int8 with its parameters):
//   Dense / Conv2D / Conv1D (groups 1) / DepthwiseConv2D [+ BatchNormalization, folded] [+ ReLU / ReLU6, fused]
//       → QDense / QConv2D / QConv1D: weights int8 symmetric per output channel, bias int32, output
//         parameters from the calibrated range of the group's last unit. A Dense whose output feeds
//         f32 code (the end, softmax) writes f32 directly (qs8_gemm_f32) instead of int8 logits.
//   GRU (one direction, no returnState) → QGRUDynamic: int8 weights, f32 in and out with its activations
//       quantized per call (src/quant/qgru.ts), behind a Dequantize when its input is int8;
//   MaxPool2D on int8 → QMaxPool2D;  ZeroPadding2D on int8 → QZeroPadding2D (pads with the zero point);  Flatten / Reshape → as is (they alias);  Dropout → dropped;
//   Add of two int8 values (or values with an int8 copy already) [+ ReLU / ReLU6, fused] → QAdd,
//       output parameters from the calibrated range;
//   other merge layers (Concatenate, Multiply) and anything else → the f32 layer itself (frozen),
//       each input behind a Dequantize.
// A Quantize layer enters the int8 domain where needed (calibrated on that tensor's range), a
// Dequantize leaves it; both are made once per value and shared by its readers. A batch norm or
// activation joins the group only when it is the unit's one reader. mode 'dynamic' (any graph, src/quant/dynamic.ts):
// Dense → QDenseDynamic, GRU → QGRUDynamic and MultiHeadAttention → int8 projections (no calibration), the rest stays f32.
// weightBits 7 keeps GEMM weights (K >= 16) in [-63, 63], the relaxed-SIMD kernel's fast path.
import { AxonError } from '../errors.js';
import { Tensor } from '../runtime/tensor.js';
import { Layer, ParamData, size } from '../layers/layer.js';
import { layerFromConfig } from '../layers/registry.js';
import { Sequential } from '../model/sequential.js';
import { keepMetadata } from '../model/transfer.js';
import { Model, MODEL_INPUT } from '../model/model.js';
import { singleIO } from '../model/inputs.js';
import { INPUT } from '../model/compiler.js';
import { calibrate, CalibrationMethod, Ranges } from './calibrate.js';
import { qgruOf, quantizeDynamic } from './dynamic.js';
import { Quantize, Dequantize, QMaxPool2D, QZeroPadding2D, QLayer } from './layers.js';
import { QDense } from './qdense.js';
import { QConv1D, QConv2D } from './qconv.js';
import { QAdd } from './qadd.js';
import { FusedActivation, hwioToOhwi, qparamsFromRange, QParams, quantizeBias, quantizeWeights } from './scheme.js';
import type { Activation } from '../layers/activation.js';
import type { Conv2D } from '../layers/conv.js';
import type { Dense } from '../layers/dense.js';
import type { GRU } from '../layers/recurrent.js';
import type { BatchNormalization } from '../layers/norm.js';
import type { Pool2DOptions, ZeroPadding2D } from '../layers/pool.js';

export interface QuantizeOptions {
  /** activation ranges from calibration: observed min/max, percentiles, or MSE-optimal clipping (default minmax) */
  activations?: CalibrationMethod;
  /** percentile for 'percentile' (default 99.99) */
  percentile?: number;
  /** static: int8 activations end to end; dynamic: int8 Dense weights, activations quantized per batch */
  mode?: 'static' | 'dynamic';
  /** 8: weights in [-127, 127]; 7: [-63, 63] in the GEMM layers with K >= 16 (the relaxed-SIMD fast path), 8 elsewhere */
  weightBits?: 7 | 8;
  /** quantize only the first `layers` layers (a backbone); the result ends in f32 features */
  layers?: number;
  batchSize?: number;
}

type Domain = 'f32' | QParams;
const QUANTIZABLE = new Set(['dense', 'conv2d', 'conv1d', 'depthwiseConv2d']);

/** The int8 version of `model`, calibrated on `calibrationX` (static mode); compiled like the original, with its metadata (`extra`). */
export async function quantizeModel(model: Model, calibrationX: Tensor | undefined, o: QuantizeOptions = {}): Promise<Model> {
  const mode = o.mode ?? 'static', bits = o.weightBits ?? 8;
  if (mode !== 'static' && mode !== 'dynamic') throw new AxonError('BAD_CONFIG', `quantization mode must be "static" or "dynamic", got ${JSON.stringify(mode)}`);
  if (bits !== 7 && bits !== 8) throw new AxonError('BAD_CONFIG', `weightBits must be 7 or 8, got ${bits}`);
  const nLayers = o.layers ?? model.layers.length;
  if (!Number.isInteger(nLayers) || nLayers < 1 || nLayers > model.layers.length) throw new AxonError('BAD_CONFIG', `layers must be in [1, ${model.layers.length}], got ${o.layers}`);
  if (mode === 'dynamic') return quantizeDynamic(model, { weightBits: bits, layers: nLayers });
  singleIO(model, 'quantizeModel');
  const graph = model.unitGraph(), n = model.layers.slice(0, nLayers).reduce((s, l) => s + l.expand().length, 0);
  const units = graph.units.slice(0, n), inputs = graph.inputs.slice(0, n);
  if (units.some((u) => u instanceof QLayer || u.outputDtype !== 'f32')) throw new AxonError('BAD_ARGUMENT', 'the model is already quantized; quantize the f32 model');
  let ranges: Ranges | undefined;
  if (mode === 'static') {
    if (!calibrationX) throw new AxonError('BAD_ARGUMENT', 'static quantization needs calibration inputs (a few hundred representative samples)');
    ranges = await calibrate(model, calibrationX, { method: o.activations, percentile: o.percentile, batchSize: o.batchSize });
  }
  const w = model.getParams();
  const opts = { inputShape: model.inputShape, seed: model.seed, name: `${model.name}-int8`, engine: model.engine };
  const out = model.isChain ? new Sequential(opts) : new Model(opts);
  const weights = new Map<string, ParamData>();
  const counters = { quantize: 0, dequantize: 0 };
  const range = (i: number): [number, number] => (i === INPUT ? ranges!.input : ranges!.units[i]);
  const readers: number[][] = units.map(() => []);
  inputs.forEach((ins, k) => { for (const j of new Set(ins)) if (j !== INPUT) readers[j].push(k); });

  /** Where each unit's output now is (INPUT: the model input) and its domain; the f32 / int8 copies made for readers. */
  const val = new Map<number, { name: string; dom: Domain }>([[INPUT, { name: MODEL_INPUT, dom: 'f32' }]]);
  const asF32 = new Map<number, string>(), asI8 = new Map<number, { name: string; q: QParams }>();
  const push = (l: Layer, ins: string[], params: Record<string, ParamData> = {}): string => {
    out.add(l, { inputs: ins });
    for (const [k, v] of Object.entries(params)) weights.set(`${l.name}.${k}`, v);
    return l.name;
  };
  const f32Of = (j: number): string => {
    const v = val.get(j)!;
    if (v.dom === 'f32') return v.name;
    if (!asF32.has(j)) asF32.set(j, push(new Dequantize({ name: `dequantize_${++counters.dequantize}`, quant: { input: v.dom } }), [v.name]));
    return asF32.get(j)!;
  };
  const i8Of = (j: number): { name: string; q: QParams } => {
    const v = val.get(j)!;
    if (v.dom !== 'f32') return { name: v.name, q: v.dom };
    if (!asI8.has(j)) {
      const q = qparamsFromRange(...range(j));
      asI8.set(j, { name: push(new Quantize({ name: `quantize_${++counters.quantize}`, quant: { output: q } }), [v.name]), q });
    }
    return asI8.get(j)!;
  };
  /** f32 copy of unit i (frozen) with the units its layer split off (its activation); returns the last unit index it covers */
  const copyF32 = (i: number): number => {
    const u = units[i], l = layerFromConfig(u.type, u.config(), u.name), end = i + u.expand().length - 1;
    l.trainable = false;
    val.set(end, { name: push(l, inputs[i].map(f32Of), Object.fromEntries(u.params.map((p) => [p.name, w.get(`${u.name}.${p.name}`)!]))), dom: 'f32' });
    return end;
  };
  /** the group at unit i: [relu / relu6, fused when it is the unit's one reader]; returns its last unit and activation */
  const fusedAct = (i: number): { end: number; act: FusedActivation } => {
    const a = onlyReader(i) as Activation | undefined;
    return a?.type === 'activation' && readers[i][0] === i + 1 && (a.activation === 'relu' || a.activation === 'relu6') ? { end: i + 1, act: a.activation } : { end: i, act: 'linear' };
  };
  /** Add of two int8 values → QAdd [+ ReLU / ReLU6], output parameters from the group's calibrated range */
  const pushQAdd = (i: number): number => {
    const { end, act } = fusedAct(i), [a, b] = inputs[i].map(i8Of), qout = qparamsFromRange(...range(end));
    val.set(end, { name: push(new QAdd({ activation: act, name: units[i].name, quant: { inputs: [a.q, b.q], output: qout } }), [a.name, b.name]), dom: qout });
    return end;
  };
  const PLUMBING = ['flatten', 'reshape', 'dropout'];
  /** whether some reader of unit j (through flatten / reshape / dropout) computes in int8 */
  const int8Reader = (j: number): boolean => readers[j].some((k) => (PLUMBING.includes(units[k].type) ? int8Reader(k) : QUANTIZABLE.has(units[k].type) || units[k].type === 'maxPool2d' || units[k].type === 'zeroPadding2d'));
  /** unit j's one reader, when that reader reads j alone */
  const onlyReader = (j: number): Layer | undefined => (readers[j].length === 1 && inputs[readers[j][0]].length === 1 ? units[readers[j][0]] : undefined);

  for (let i = 0; i < units.length; i++) {
    const u = units[i], src = inputs[i][0];
    if (u.type === 'dropout') { val.set(i, val.get(src)!); continue; }
    if (u.type === 'flatten' || u.type === 'reshape') { val.set(i, { name: push(layerFromConfig(u.type, u.config(), u.name), [val.get(src)!.name]), dom: val.get(src)!.dom }); continue; }
    if (u.type === 'maxPool2d' && val.get(src)!.dom !== 'f32') {
      val.set(i, { name: push(new QMaxPool2D({ ...(u.config() as Pool2DOptions), name: u.name }), [val.get(src)!.name]), dom: val.get(src)!.dom });
      continue;
    }
    if (u.type === 'zeroPadding2d' && val.get(src)!.dom !== 'f32') {
      const q = val.get(src)!.dom as QParams;
      val.set(i, { name: push(new QZeroPadding2D({ padding: (u as ZeroPadding2D).pads, name: u.name, quant: { input: q } }), [val.get(src)!.name]), dom: q });
      continue;
    }
    if (u.type === 'add' && inputs[i].length === 2 && inputs[i].every((j) => val.get(j)!.dom !== 'f32' || asI8.has(j))) { i = pushQAdd(i); continue; }
    if (u.type === 'gru' && !(u as GRU).returnState) {
      const { layer, params } = qgruOf(u as GRU, w, bits);
      val.set(i, { name: push(layer, inputs[i].map(f32Of), params), dom: 'f32' });
      continue;
    }
    const conv = u as Conv2D, channels = u.inputShape[u.inputShape.length - 1];
    if (!QUANTIZABLE.has(u.type) || (u.type === 'dense' && u.inputShape.length !== 1) || (u.type !== 'dense' && conv.groups !== 1 && conv.groups !== channels)) { i = copyF32(i); continue; }

    // the group: u [+ batch norm] [+ relu / relu6], each the one reader of the unit before
    let end = i, bn: BatchNormalization | undefined, act: FusedActivation;
    if (onlyReader(end)?.type === 'batchNormalization' && readers[end][0] === end + 1) bn = units[++end] as BatchNormalization;
    ({ end, act } = fusedAct(end));
    const { weight, bias } = folded(u, bn, w);
    const OC = u.type === 'dense' ? (u as Dense).units : conv.filters;

    const { name: xin, q: qin } = i8Of(src);
    const f32Out = u.type === 'dense' && !int8Reader(end);
    const qout = qparamsFromRange(...range(end));
    const depthwise = u.type !== 'dense' && conv.groups > 1;
    // 7-bit weights only where the relaxed GEMM gains from them: packed layers with K >= 16 (its A packing is scalar below)
    const K = weight.length / OC, wbits = bits === 7 && !depthwise && K >= 16 ? 7 : 8;
    const q = quantizeWeights(u.type !== 'dense' && !depthwise ? hwioToOhwi(weight, OC) : weight, OC, depthwise, wbits, qin.scale, bias);
    const params = { weight: q.q, 'weight.scale': q.scale, 'weight.zero_point': new Int8Array(OC), bias: quantizeBias(bias, qin.scale, q.scale) };
    if (u.type === 'dense') {
      val.set(end, { name: push(new QDense({ units: OC, activation: act, output: f32Out ? 'f32' : 'i8', name: u.name, quant: f32Out ? { input: qin } : { input: qin, output: qout } }), [xin], params), dom: f32Out ? 'f32' : qout });
    } else {
      const Q = u.type === 'conv1d' ? QConv1D : QConv2D;   // conv.kernel, strides, padding, dilation: the 2-D form (Conv1D's too)
      val.set(end, { name: push(new Q({ filters: OC, kernelSize: conv.kernel, strides: conv.strides, padding: conv.padding, dilationRate: conv.dilation,
        groups: depthwise ? conv.groups : 1, activation: act, name: u.name, quant: { input: qin, output: qout } }), [xin], params), dom: qout });
    }
    i = end;
  }
  f32Of(units.length - 1);
  out.setWeights(weights);
  return keepMetadata(model, out);
}

/** Weights and bias of a Dense/Conv unit with a following batch norm folded in (f32). */
function folded(u: Layer, bn: BatchNormalization | undefined, w: Map<string, ParamData>): { weight: Float32Array; bias?: Float32Array } {
  const weight = Float32Array.from(w.get(`${u.name}.weight`)!);
  let bias = w.has(`${u.name}.bias`) ? Float32Array.from(w.get(`${u.name}.bias`)!) : undefined;
  if (!bn) return { weight, bias };
  const g = w.get(`${bn.name}.weight`)!, b = w.get(`${bn.name}.bias`)!, m = w.get(`${bn.name}.running_mean`)!, v = w.get(`${bn.name}.running_var`)!;
  const C = g.length, f = Float64Array.from({ length: C }, (_, c) => g[c] / Math.sqrt(v[c] + bn.eps));
  const lastAxis = u.type !== 'dense';
  const per = weight.length / C;
  for (let i = 0; i < weight.length; i++) weight[i] *= f[lastAxis ? i % C : Math.floor(i / per)];
  bias = Float32Array.from({ length: C }, (_, c) => ((bias?.[c] ?? 0) - m[c]) * f[c] + b[c]);
  return { weight, bias };
}

/** Bytes of a model's parameters as stored (f32 4, int8 1, int32 4 per value). */
export function paramBytes(m: Model): number {
  return m.layers.reduce((s, l) => s + l.params.reduce((a, p) => a + size(p.shape) * (p.dtype === 'i8' ? 1 : 4), 0), 0);
}
