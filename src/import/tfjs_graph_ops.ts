// TF op → Axon layers, one handler per op (TF.js graph models). TF is NHWC with HWIO filters, as
// Axon: conv filters are taken as they are (depthwise [kh, kw, C, mult] has the memory order of
// Axon's [kh, kw, 1, C * mult]); MatMul's (K, N) becomes Dense's (N, K). Fused ops (_FusedConv2D,
// FusedDepthwiseConv2dNative, _FusedMatMul) take BiasAdd or FusedBatchNorm (folded into the
// weights) and then one activation; their layer is named after the convolution or matmul (fusedSource).
import { Dense } from '../layers/dense.js';
import { Conv2D, DepthwiseConv2D, Padding } from '../layers/conv.js';
import { MaxPool2D, AvgPool2D, GlobalAveragePooling2D, ZeroPadding2D } from '../layers/pool.js';
import { Pad2D } from '../layers/gather.js';
import { BatchNormalization } from '../layers/norm.js';
import { Activation, ActivationName } from '../layers/activation.js';
import { Add, Concatenate, Multiply } from '../layers/merge.js';
import { BATCH } from './onnx_graph.js';
import { Attrs, axisOf, TfNode, unsupported } from './tfjs_graph_nodes.js';
import { Act, fusedSource, GraphConverter, Val } from './tfjs_graph_convert.js';

type Handler = (cv: GraphConverter, n: TfNode, a: Attrs) => Val;
const act = (x: Act): Val => ({ act: x });

/** Fused activations (and the plain activation ops) → Axon activations. */
const ACT: Record<string, ActivationName> = { Relu: 'relu', Relu6: 'relu6', Sigmoid: 'sigmoid', Tanh: 'tanh', LeakyRelu: 'leakyRelu', Softmax: 'softmax', LogSoftmax: 'logSoftmax' };
const FUSED = new Set(['BiasAdd', 'FusedBatchNorm', 'Relu', 'Relu6', 'Sigmoid', 'Tanh', 'LeakyRelu']);

/** A problem with node n that is visible without converting it (op, layout, fused ops), or undefined. */
export function precheck(n: TfNode, a: Attrs): string | undefined {
  const df = a.str('data_format', 'NHWC');
  if (df !== 'NHWC' && !n.op.startsWith('FusedBatchNorm')) return `data_format ${df} is not supported: Axon is channels-last (NHWC), TensorFlow's default; convert the model with NHWC layers`;
  const bad = a.strs('fused_ops').filter((o) => !FUSED.has(o));
  if (bad.length) return `fused op${bad.length > 1 ? 's' : ''} ${bad.join(', ')} not supported (supported: ${[...FUSED].join(', ')})`;
  return undefined;
}

/** [1, h, w, 1] strides, dilations or window sizes → [h, w]. */
function spatial(a: Attrs, k: string): [number, number] {
  const v = a.ints(k, [1, 1, 1, 1]);
  if (v.length !== 4 || v[0] !== 1 || v[3] !== 1) unsupported(`${k} [${v}]: only the spatial axes (NHWC [1, h, w, 1]) are supported`);
  return [v[1], v[2]];
}
function padding(a: Attrs): Padding {
  const p = a.str('padding', 'VALID');
  if (p === 'SAME' || p === 'VALID') return p === 'SAME' ? 'same' : 'valid';
  const e = a.ints('explicit_paddings', []);
  if (p !== 'EXPLICIT' || e.length !== 8 || e[0] || e[1] || e[6] || e[7]) unsupported(`padding ${p} [${e}] is not supported (SAME, VALID, EXPLICIT on the spatial axes)`);
  return [e[2], e[4], e[3], e[5]];
}
const hwc = (x: Act, what: string): Act => (x.shape.length === 3 ? x : unsupported(`${what} expects an (N, H, W, C) input, got [N, ${x.shape}]`));

/**
 * The fused ops of n after its two operands, for C output channels: a bias, a per-channel
 * scale (FusedBatchNorm: scale / sqrt(var + eps)) and the activation.
 */
function fusedTail(cv: GraphConverter, n: TfNode, a: Attrs, C: number, bnOk: boolean) {
  let bias: Float32Array | undefined, scale: Float32Array | undefined, activation: ActivationName = 'linear', alpha: number | undefined, arg = 2;
  const vec = (what: string) => { const c = cv.c(n, arg++, what); return c.data.length === C ? Float32Array.from(c.data) : unsupported(`${what} has ${c.data.length} values for ${C} channels`); };
  for (const op of a.strs('fused_ops')) {
    if (op === 'BiasAdd') bias = vec('bias');
    else if (op === 'FusedBatchNorm') {
      if (!bnOk) unsupported('FusedBatchNorm is fused only into convolutions here');
      const g = vec('scale'), b = vec('offset'), m = vec('mean'), v = vec('variance'), eps = a.float('epsilon', 1e-3);
      scale = g.map((gc, c) => gc / Math.sqrt(v[c] + eps));
      bias = b.map((bc, c) => bc - m[c] * scale![c]);
    } else if (activation !== 'linear') unsupported(`two fused activations (${a.strs('fused_ops')})`);
    else { activation = ACT[op]; if (op === 'LeakyRelu') alpha = a.float('leakyrelu_alpha', 0.2); }
  }
  return { bias, scale, activation, alpha, ops: a.strs('fused_ops') };
}

/** Emits `layer` on x with its fused tail; LeakyRelu (which carries alpha) becomes its own layer. */
function withTail(cv: GraphConverter, n: TfNode, x: Act, make: (o: { useBias: boolean; activation: ActivationName }) => Conv2D | Dense,
  w: Float32Array, t: ReturnType<typeof fusedTail>, from: Record<string, string>): Val {
  const leaky = t.activation === 'leakyRelu', layer = make({ useBias: t.bias !== undefined, activation: leaky ? 'linear' : t.activation });
  const y = cv.emit(n, layer, [x], { weight: w, ...(t.bias ? { bias: t.bias } : {}) }, from);
  y.spec!.source = fusedSource(n, cv.inputs(n)[1], t.ops);
  return act(leaky ? cv.emit(n, new Activation({ activation: 'leakyRelu', alpha: t.alpha }), [y]) : y);
}

const conv = (depthwise: boolean): Handler => (cv, n, a) => {
  const x = hwc(cv.x(n), n.op), W = cv.c(n, 1, 'filter'), C = x.shape[2];
  if (W.dims.length !== 4) unsupported(`filter of shape [${W.dims}]: expected [h, w, in, out]`);
  const [KH, KW, I, O] = W.dims, OC = depthwise ? C * O : O;
  if (depthwise ? I !== C : C % I) unsupported(`filter [${W.dims}] does not fit ${C} input channels`);
  const o = { kernelSize: [KH, KW] as [number, number], strides: spatial(a, 'strides'), dilationRate: spatial(a, 'dilations'), padding: padding(a) };
  const t = fusedTail(cv, n, a, OC, true), w = Float32Array.from(W.data);
  if (t.scale) for (let k = 0; k < w.length; k++) w[k] *= t.scale[k % OC];   // output channel last (HWIO)
  const names = cv.inputs(n);
  return withTail(cv, n, x, (f) => (depthwise ? new DepthwiseConv2D({ ...o, ...f, depthMultiplier: O }) : new Conv2D({ ...o, ...f, filters: O, groups: C / I })),
    w, t, { weight: names[1], ...(t.bias && !t.scale ? { bias: names[2] } : {}) });
};

const matmul: Handler = (cv, n, a) => {
  if (a.bool('transpose_a', false)) unsupported('transpose_a=true is not supported (the activation must be (N, K))');
  const x = cv.x(n), B = cv.c(n, 1, 'weights'), tb = a.bool('transpose_b', false);
  if (x.shape.length !== 1 || B.dims.length !== 2) unsupported(`needs a (N, K) input and 2-D weights, got [N, ${x.shape}] and [${B.dims}]`);
  const [K, N] = tb ? [B.dims[1], B.dims[0]] : B.dims;
  if (K !== x.shape[0]) unsupported(`weights [${B.dims}] expect ${K} input features, the input has ${x.shape[0]}`);
  const w = new Float32Array(N * K);   // Dense (N, K)
  for (let r = 0; r < N; r++) for (let k = 0; k < K; k++) w[r * K + k] = tb ? B.data[r * K + k] : B.data[k * N + r];
  const t = fusedTail(cv, n, a, N, false), names = cv.inputs(n);
  return withTail(cv, n, x, (f) => new Dense({ units: N, ...f }), w, t, { weight: names[1], ...(t.bias ? { bias: names[2] } : {}) });
};

const arith: Handler = (cv, n) => {
  const op = n.op, c0 = cv.isConst(n, 0), c1 = cv.isConst(n, 1);
  if (!c0 && !c1) {
    if (op !== 'Add' && op !== 'AddV2' && op !== 'Mul') unsupported(`${op} of two activations is not supported (only Add / AddV2 / Mul)`);
    return act(cv.emit(n, op === 'Mul' ? new Multiply() : new Add(), [cv.x(n, 0), cv.x(n, 1)]));   // Mul: equal shapes or a per-channel gate (squeeze-and-excitation)
  }
  const ci = c0 ? 0 : 1, xi = 1 - ci, v = cv.perChannel(cv.c(n, ci, 'the constant operand'), cv.x(n, xi).shape, 'the constant operand');
  if (op === 'Add' || op === 'AddV2') return act(cv.affine(n, xi, null, v));
  if (op === 'Mul') return act(cv.affine(n, xi, v, null));
  if (op === 'Sub') return act(ci === 1 ? cv.affine(n, xi, null, v.map((q) => -q)) : cv.affine(n, xi, v.map(() => -1), v));
  if (ci === 0) unsupported('constant / activation is not supported');
  return act(cv.affine(n, xi, v.map((q) => 1 / q), null));
};

const pool = (max: boolean): Handler => (cv, n, a) => {
  const x = hwc(cv.x(n), n.op), o = { poolSize: spatial(a, 'ksize'), strides: spatial(a, 'strides'), padding: padding(a) };
  return act(cv.emit(n, max ? new MaxPool2D(o) : new AvgPool2D({ ...o, countIncludePad: false }), [x]));
};

/** Mean over every axis but the batch and the channels: global average pooling. */
const mean: Handler = (cv, n, a) => {
  const x = cv.x(n), r = x.shape.length + 1, axes = Array.from(cv.c(n, 1, 'axes').data, (v) => axisOf(v, r)).sort((p, q) => p - q);
  if (r < 3 || axes.join() !== Array.from({ length: r - 2 }, (_, i) => i + 1).join())
    unsupported(`axes [${axes}] of an [N, ${x.shape}] input: only the mean over all spatial axes (global average pooling) is supported`);
  const y = cv.emit(n, new GlobalAveragePooling2D(), [x]);
  return act(a.bool('keep_dims', false) ? cv.reshape(n, y, [...x.shape.slice(0, -1).map(() => 1), y.shape[0]]) : y);
};

const reshape: Handler = (cv, n) => {
  const x = cv.x(n), t = Array.from(cv.c(n, 1, 'shape').data), per = t.slice(1), size = x.shape.reduce((p, q) => p * q, 1);
  const batchOk = t[0] === BATCH || (t[0] !== undefined && t[0] === cv.staticBatch) || (t[0] === -1 && !per.includes(-1));
  if (!batchOk || per.includes(BATCH)) unsupported(`shape [${t.map((v) => (v === BATCH ? 'N' : v))}] changes the batch axis; only per-sample reshapes are supported`);
  const known = per.filter((v) => v !== -1).reduce((p, q) => p * q, 1);
  return act(cv.reshape(n, x, per.map((v) => (v === -1 ? size / known : v))));
};

const squeeze: Handler = (cv, n, a) => {
  const x = cv.x(n), r = x.shape.length + 1, ax = a.ints('squeeze_dims', a.ints('axis', [])).map((v) => axisOf(v, r));
  if (ax.includes(0)) unsupported('the batch axis cannot be squeezed');
  return act(cv.reshape(n, x, x.shape.filter((d, i) => (ax.length ? !ax.includes(i + 1) : d !== 1))));
};

const expandDims: Handler = (cv, n) => {
  const x = cv.x(n), ax = axisOf(cv.c(n, 1, 'axis').data[0], x.shape.length + 2), s = x.shape.slice();
  if (ax === 0) unsupported('a new axis before the batch axis is not supported');
  s.splice(ax - 1, 0, 1);
  return act(cv.reshape(n, x, s));
};

const concat: Handler = (cv, n) => {
  const k = cv.inputs(n).length, xs = Array.from({ length: k - 1 }, (_, i) => cv.x(n, i)), ax = axisOf(cv.c(n, k - 1, 'axis').data[0], xs[0].shape.length + 1);
  if (ax === 0) unsupported('concatenation along the batch axis is not supported');
  return act(xs.length === 1 ? xs[0] : cv.emit(n, new Concatenate({ axis: ax - 1 }), xs));
};

/** Pad / PadV2 of an (N, H, W, C) input: spatial zeros → ZeroPadding2D; channels or another constant → Pad2D. */
const pad: Handler = (cv, n) => {
  const x = hwc(cv.x(n), n.op), p = Array.from(cv.c(n, 1, 'paddings').data);
  const value = n.op === 'PadV2' ? cv.c(n, 2, 'constant_values').data[0] : 0;
  if (p.length !== 8 || p[0] || p[1] || p.some((v) => v < 0)) unsupported(`paddings [${p}]: only padding of the spatial and channel axes of an (N, H, W, C) input is supported`);
  if (!p.some((v) => v)) return act(x);
  const spatial: [number, number, number, number] = [p[2], p[4], p[3], p[5]];
  return act(cv.emit(n, p[6] || p[7] || value !== 0 ? new Pad2D({ padding: spatial, channels: [p[6], p[7]], value }) : new ZeroPadding2D({ padding: spatial }), [x]));
};

const batchNorm: Handler = (cv, n, a) => {
  if (a.bool('is_training', false)) unsupported('is_training=true is not supported (freeze the model for inference)');
  const x = cv.x(n), C = x.shape[x.shape.length - 1], names = cv.inputs(n);
  const vec = (i: number, what: string) => { const c = cv.c(n, i, what); return c.data.length === C ? Float32Array.from(c.data) : unsupported(`${what} has ${c.data.length} values for ${C} channels`); };
  const w = { weight: vec(1, 'scale'), bias: vec(2, 'offset'), running_mean: vec(3, 'mean'), running_var: vec(4, 'variance') };
  return act(cv.emit(n, new BatchNormalization({ eps: a.float('epsilon', 1e-3) }), [x], w,
    { weight: names[1], bias: names[2], running_mean: names[3], running_var: names[4] }));
};

const activation: Handler = (cv, n, a) => act(cv.emit(n, new Activation({ activation: ACT[n.op], alpha: n.op === 'LeakyRelu' ? a.float('alpha', 0.2) : undefined }), [cv.x(n)]));

export const HANDLERS: Record<string, Handler> = {
  Conv2D: /* @__PURE__ */ conv(false), _FusedConv2D: /* @__PURE__ */ conv(false),
  DepthwiseConv2dNative: /* @__PURE__ */ conv(true), FusedDepthwiseConv2dNative: /* @__PURE__ */ conv(true),
  MatMul: matmul, _FusedMatMul: matmul,
  BiasAdd: (cv, n) => act(cv.affine(n, 0, null, cv.perChannel(cv.c(n, 1, 'bias'), cv.x(n).shape, 'bias'))),
  Add: arith, AddV2: arith, Sub: arith, Mul: arith, RealDiv: arith,
  AddN: (cv, n) => act(cv.emit(n, new Add(), cv.inputs(n).map((_, i) => cv.x(n, i)))),
  Relu: activation, Relu6: activation, Sigmoid: activation, Tanh: activation, LeakyRelu: activation, Softmax: activation, LogSoftmax: activation,
  MaxPool: /* @__PURE__ */ pool(true), AvgPool: /* @__PURE__ */ pool(false),
  Mean: mean,
  Reshape: reshape, Squeeze: squeeze, ExpandDims: expandDims,
  ConcatV2: concat,
  Pad: pad, PadV2: pad,
  FusedBatchNorm: batchNorm, FusedBatchNormV2: batchNorm, FusedBatchNormV3: batchNorm,
  Identity: (cv, n) => cv.val(n, 0), StopGradient: (cv, n) => cv.val(n, 0), Snapshot: (cv, n) => cv.val(n, 0),
};
