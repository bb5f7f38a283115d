// Post-training quantization: an f32 chain model + calibration inputs → a new Sequential of int8
// layers (DESIGN.md §5). Walks the compile units (Dense/Conv2D with their activation split off):
//   Dense / Conv2D (groups 1) / DepthwiseConv2D [+ BatchNormalization, folded] [+ ReLU / ReLU6, fused]
//       → QDense / QConv2D: weights int8 symmetric per output channel, bias int32, output
//         parameters from the calibrated range of the group's last unit. A Dense whose output feeds
//         f32 code (the end, softmax) writes f32 directly (qs8_gemm_f32) instead of int8 logits.
//   MaxPool2D on int8 → QMaxPool2D;  Flatten / Reshape → as is (they alias);  Dropout → dropped;
//   anything else → the f32 layer itself (frozen), behind a Dequantize.
// A Quantize layer enters the int8 domain where needed (calibrated on that tensor's range), a
// Dequantize leaves it. mode 'dynamic': Dense → QDenseDynamic (no calibration), the rest stays f32.
// weightBits 7 keeps GEMM weights (K >= 16) in [-63, 63], the relaxed-SIMD kernel's fast path.
import { AxonError } from '../errors.js';
import { Tensor } from '../runtime/tensor.js';
import { Layer, ParamData, size } from '../layers/layer.js';
import { layerFromConfig } from '../layers/index.js';
import { Sequential } from '../model/sequential.js';
import type { Model } from '../model/model.js';
import { calibrate, CalibrationMethod, Ranges } from './calibrate.js';
import { Quantize, Dequantize, QMaxPool2D, QLayer } from './layers.js';
import { QDense, QDenseDynamic } from './qdense.js';
import { QConv2D } from './qconv.js';
import { FusedActivation, hwioToOhwi, qparamsFromRange, QParams, quantizeBias, quantizeWeights } from './scheme.js';
import type { Activation } from '../layers/activation.js';
import type { Conv2D } from '../layers/conv.js';
import type { Dense } from '../layers/dense.js';
import type { BatchNormalization } from '../layers/norm.js';
import type { Pool2DOptions } from '../layers/pool.js';

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
const QUANTIZABLE = new Set(['dense', 'conv2d', 'depthwiseConv2d']);

/** The int8 version of `model`, calibrated on `calibrationX` (static mode); compiled like the original unless only a backbone (`layers`) is quantized. */
export async function quantizeModel(model: Model, calibrationX: Tensor | undefined, o: QuantizeOptions = {}): Promise<Sequential> {
  if (!model.isChain) throw new AxonError('UNSUPPORTED', `quantize takes chain models; "${model.name}" is a graph (its merge layers have no int8 kernels yet)`);
  const mode = o.mode ?? 'static', bits = o.weightBits ?? 8;
  if (mode !== 'static' && mode !== 'dynamic') throw new AxonError('BAD_CONFIG', `quantization mode must be "static" or "dynamic", got ${JSON.stringify(mode)}`);
  if (bits !== 7 && bits !== 8) throw new AxonError('BAD_CONFIG', `weightBits must be 7 or 8, got ${bits}`);
  const nLayers = o.layers ?? model.layers.length;
  if (!Number.isInteger(nLayers) || nLayers < 1 || nLayers > model.layers.length) throw new AxonError('BAD_CONFIG', `layers must be in [1, ${model.layers.length}], got ${o.layers}`);
  const units = model.units().slice(0, model.layers.slice(0, nLayers).reduce((s, l) => s + l.expand().length, 0));
  if (units.some((u) => u instanceof QLayer || u.outputDtype !== 'f32')) throw new AxonError('BAD_ARGUMENT', 'the model is already quantized; quantize the f32 model');
  let ranges: Ranges | undefined;
  if (mode === 'static') {
    if (!calibrationX) throw new AxonError('BAD_ARGUMENT', 'static quantization needs calibration inputs (a few hundred representative samples)');
    ranges = await calibrate(model, calibrationX, { method: o.activations, percentile: o.percentile, batchSize: o.batchSize });
  }
  const w = model.getParams();
  const out = new Sequential({ inputShape: model.inputShape, seed: model.seed, name: `${model.name}-int8`, engine: model.engine });
  const weights = new Map<string, ParamData>();
  const counters = { quantize: 0, dequantize: 0 };
  const range = (i: number): [number, number] => (i < 0 ? ranges!.input : ranges!.units[i]);
  let cur: Domain = 'f32';

  const push = (l: Layer, params: Record<string, ParamData> = {}) => {
    out.add(l);
    for (const [k, v] of Object.entries(params)) weights.set(`${l.name}.${k}`, v);
  };
  const toF32 = () => {
    if (cur === 'f32') return;
    push(new Dequantize({ name: `dequantize_${++counters.dequantize}`, quant: { input: cur } }));
    cur = 'f32';
  };
  const toI8 = (i: number): QParams => {
    if (cur !== 'f32') return cur;
    const q = qparamsFromRange(...range(i - 1));
    push(new Quantize({ name: `quantize_${++counters.quantize}`, quant: { output: q } }));
    return (cur = q);
  };
  /** f32 copy of unit i (frozen), with its split-off activation unit if any; returns the last unit index used */
  const copyF32 = (i: number): number => {
    toF32();
    const u = units[i], l = layerFromConfig(u.type, u.config(), u.name);
    l.trainable = false;
    push(l, Object.fromEntries(u.params.map((p) => [p.name, w.get(`${u.name}.${p.name}`)!])));
    return i + u.expand().length - 1;
  };
  /** the next unit after i that computes (skips reshapes and dropout) */
  const consumer = (i: number) => units.slice(i + 1).find((u) => !['flatten', 'reshape', 'dropout'].includes(u.type));

  for (let i = 0; i < units.length; i++) {
    const u = units[i];
    if (u.type === 'dropout') continue;
    if (u.type === 'flatten' || u.type === 'reshape') { push(layerFromConfig(u.type, u.config(), u.name)); continue; }
    if (u.type === 'maxPool2d' && cur !== 'f32') { push(new QMaxPool2D({ ...(u.config() as Pool2DOptions), name: u.name })); continue; }
    const conv = u as Conv2D;
    if (!QUANTIZABLE.has(u.type) || (u.type !== 'dense' && conv.groups !== 1 && conv.groups !== u.inputShape[2]) || (mode === 'dynamic' && u.type !== 'dense')) { i = copyF32(i); continue; }

    // the group: u [+ batch norm] [+ relu / relu6]
    let end = i, bn: BatchNormalization | undefined, act: FusedActivation = 'linear';
    if (units[end + 1]?.type === 'batchNormalization') bn = units[++end] as BatchNormalization;
    const a = units[end + 1] as Activation | undefined;
    if (a?.type === 'activation' && (a.activation === 'relu' || a.activation === 'relu6')) { act = a.activation; end++; }
    const { weight, bias } = folded(u, bn, w);
    const OC = u.type === 'dense' ? (u as Dense).units : conv.filters;

    if (mode === 'dynamic') {
      toF32();
      const q = quantizeWeights(weight, OC, false, bits);
      push(new QDenseDynamic({ units: OC, activation: act, name: u.name }),
        { weight: q.q, 'weight.scale': q.scale, 'weight.zero_point': new Int8Array(OC), bias: bias ?? new Float32Array(OC) });
    } else {
      const qin = toI8(i);
      const f32Out = u.type === 'dense' && (() => { const c = consumer(end); return !c || !QUANTIZABLE.has(c.type) && c.type !== 'maxPool2d'; })();
      const qout = qparamsFromRange(...range(end));
      const depthwise = u.type !== 'dense' && conv.groups > 1;
      // 7-bit weights only where the relaxed GEMM gains from them: packed layers with K >= 16 (its A packing is scalar below)
      const K = weight.length / OC, wbits = bits === 7 && !depthwise && K >= 16 ? 7 : 8;
      const q = quantizeWeights(u.type === 'conv2d' && !depthwise ? hwioToOhwi(weight, OC) : weight, OC, depthwise, wbits, qin.scale, bias);
      const params = { weight: q.q, 'weight.scale': q.scale, 'weight.zero_point': new Int8Array(OC), bias: quantizeBias(bias, qin.scale, q.scale) };
      if (u.type === 'dense') {
        push(new QDense({ units: OC, activation: act, output: f32Out ? 'f32' : 'i8', name: u.name, quant: f32Out ? { input: qin } : { input: qin, output: qout } }), params);
        cur = f32Out ? 'f32' : qout;
      } else {
        const c = conv.config() as Record<string, unknown>;
        push(new QConv2D({ filters: OC, kernelSize: conv.kernel, strides: conv.strides, padding: c.padding as QConv2D['padding'], dilationRate: conv.dilation,
          groups: depthwise ? conv.groups : 1, activation: act, name: u.name, quant: { input: qin, output: qout } }), params);
        cur = qout;
      }
    }
    i = end;
  }
  toF32();
  out.setWeights(weights);
  if (model.compileOptions && nLayers === model.layers.length) out.compile(model.compileOptions);
  return out;
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
