// ONNX op → Axon layers, one handler per op. A handler reads the node's constant inputs and
// attributes, emits layers (with weights converted to Axon layouts: OIHW → HWIO, Gemm B → (out, in)
// with columns in the Axon element order), and updates the activation's layout.
import { Dense } from '../layers/dense.js';
import { Conv2D, Conv1D } from '../layers/conv.js';
import { MaxPool2D, MaxPool1D, AvgPool2D, AvgPool1D, GlobalAveragePooling2D, ZeroPadding2D } from '../layers/pool.js';
import { BatchNormalization } from '../layers/norm.js';
import { Dropout, Reshape } from '../layers/misc.js';
import { SELU_ALPHA, SELU_SCALE } from '../layers/activation.js';
import type { OnnxNode } from './onnx_proto.js';
import { Attrs, BATCH } from './onnx_graph.js';
import { channelsLastOrder, prod, transposeOrder, lastAxisIs, isIdentity } from './onnx_layout.js';
import { Converter, padsOf, spatialOut, unsupported } from './onnx_convert.js';
import { SELECT_HANDLERS } from './onnx_select.js';
import { convTranspose } from './onnx_convtranspose.js';
import { layerNormHandler } from './onnx_layernorm.js';
import { positionAdd } from './onnx_embedding.js';

type Handler = (cv: Converter, n: OnnxNode, a: Attrs) => void;

/** Ops that keep the activation's shape: on failure the importer can go on checking later nodes. */
export const ELEMENTWISE = /* @__PURE__ */ new Set(['Relu', 'LeakyRelu', 'Sigmoid', 'Tanh', 'Softmax', 'LogSoftmax', 'Clip', 'HardSwish', 'HardSigmoid', 'Elu', 'Selu', 'Gelu', 'Silu', 'Dropout', 'Identity', 'Cast', 'Add', 'Sub', 'Mul', 'Div', 'BatchNormalization', 'LayerNormalization']);

const ones = (r: number) => Array<number>(r).fill(1);

const conv: Handler = (cv, n, a) => {
  const [C, ...sp] = cv.channelsLast(n, 'Conv');
  const W = cv.c(n, 1, 'weights'), B = cv.c(n, 2, 'bias', true);
  const [OC, Cg, ...k] = W.dims, r = sp.length, g = a.int('group', 1);
  if (k.length !== r || Cg * g !== C) unsupported(`weights of shape [${W.dims}] do not fit a (N, ${C}, ${sp}) input with group=${g}`);
  const s = a.ints('strides', ones(r)), d = a.ints('dilations', ones(r)), [pb, pe] = padsOf(a, sp, k, s, d);
  const KS = r === 2 ? k[0] * k[1] : k[0], KH = r === 2 ? k[0] : 1, KW = KS / KH;
  // (OC, C/g, KH, KW) → (KH, KW, C/g, OC)
  const hwio = new Float32Array(W.data.length);
  for (let o = 0; o < OC; o++) for (let c = 0; c < Cg; c++) for (let q = 0; q < KS; q++) hwio[(q * Cg + c) * OC + o] = W.data[(o * Cg + c) * KS + q];
  const opts = { filters: OC, groups: g, useBias: B !== undefined };
  const layer = r === 2
    ? new Conv2D({ ...opts, kernelSize: [KH, KW], strides: [s[0], s[1]], dilationRate: [d[0], d[1]], padding: [pb[0], pb[1], pe[0], pe[1]] })
    : new Conv1D({ ...opts, kernelSize: KW, strides: s[0], dilationRate: d[0], padding: [pb[0], pe[0]] });
  cv.emit(layer, { weight: hwio, ...(B ? { bias: Float32Array.from(B.data) } : {}) }, n, { weight: n.input[1], ...(B ? { bias: n.input[2] } : {}) });
  spatialOut(cv);
};

/**
 * ceil_mode's extra end padding per spatial axis: the windows ceil mode adds, as ONNX and PyTorch
 * count them (a last window must start inside the input or its begin padding).
 */
export function ceilExtra(sp: number[], k: number[], s: number[], pb: number[], pe: number[]): number[] {
  return sp.map((h, i) => {
    let out = Math.ceil((h + pb[i] + pe[i] - k[i]) / s[i]) + 1;
    if ((out - 1) * s[i] >= h + pb[i]) out--;
    return Math.max(0, (out - 1) * s[i] + k[i] - (h + pb[i] + pe[i]));
  });
}

const pool = (max: boolean): Handler => (cv, n, a) => {
  const [, ...sp] = cv.channelsLast(n, n.op_type), k = a.ints('kernel_shape', []), r = sp.length;
  if (k.length !== r) unsupported(`kernel_shape [${k}] does not fit ${r} spatial axes`);
  if (a.ints('dilations', ones(r)).some((v) => v !== 1)) unsupported('dilations other than 1 are not supported');
  const s = a.ints('strides', ones(r));
  let [pb, pe] = padsOf(a, sp, k, s, ones(r));
  const extra = a.int('ceil_mode', 0) ? ceilExtra(sp, k, s, pb, pe) : Array<number>(r).fill(0);
  let countPads = !max && a.int('count_include_pad', 0) === 1;
  // NOTE: AveragePool counts its explicit pads but never ceil mode's extra end: zero-pad explicitly,
  // then average over the elements of the padded input only (the extra end is not counted).
  if (countPads && extra.some((v) => v > 0) && [...pb, ...pe].some((v) => v > 0)) {
    if (r === 1) {   // (L, C) as (1, L, C) around the 2-D layers
      cv.emit(new Reshape({ targetShape: [1, ...cv.act.axon] }), {}, n);
      cv.emit(new ZeroPadding2D({ padding: [0, pb[0], 0, pe[0]] }), {}, n);
      cv.emit(new AvgPool2D({ poolSize: [1, k[0]], strides: [1, s[0]], padding: [0, 0, 0, extra[0]] }), {}, n);
      cv.emit(new Reshape({ targetShape: cv.act.axon.slice(1) }), {}, n);
      spatialOut(cv);
      return;
    }
    cv.emit(new ZeroPadding2D({ padding: [pb[0], pb[1], pe[0], pe[1]] }), {}, n);
    pb = [0, 0]; pe = [0, 0]; countPads = false;
  }
  pe = pe.map((v, i) => v + extra[i]);
  if (extra.some((v) => v > 0)) countPads = false;   // no explicit pads left to count
  if (r === 1) {
    const opts = { poolSize: k[0], strides: s[0], padding: [pb[0], pe[0]] as [number, number] };
    cv.emit(max ? new MaxPool1D(opts) : new AvgPool1D({ ...opts, countIncludePad: countPads }), {}, n);
  } else {
    const opts = { poolSize: [k[0], k[1]] as [number, number], strides: [s[0], s[1]] as [number, number], padding: [pb[0], pb[1], pe[0], pe[1]] as [number, number, number, number] };
    cv.emit(max ? new MaxPool2D(opts) : new AvgPool2D({ ...opts, countIncludePad: countPads }), {}, n);
  }
  spatialOut(cv);
};

/**
 * (N, K) · (K, N') as Dense weights (N', K), columns in the Axon element order; on a sequence
 * (N, ..., K) held in the ONNX order, a Dense on the last axis (MatMul broadcasts over the rest).
 */
function dense(cv: Converter, n: OnnxNode, w: Float32Array, N: number, K: number, bias: Float32Array | undefined, from: Record<string, string>): void {
  const x = cv.act, last = x.onnx[x.onnx.length - 1];
  if (n.op_type === 'Gemm' && x.onnx.length > 1) unsupported(`needs a (N, K) input, got [N, ${x.onnx}]; flatten it first`);
  if (last !== K) unsupported(`weights expect ${K} input features, the input [N, ${x.onnx}] has ${last}`);
  if (x.onnx.length > 1) {
    if (!isIdentity(x.order) || x.axon.join() !== x.onnx.join()) unsupported(`a MatMul over the last axis of [N, ${x.onnx}] needs that tensor in the ONNX element order (Axon holds it as [N, ${x.axon}], transposed)`);
    cv.emit(new Dense({ units: N, useBias: bias !== undefined }), { weight: w, ...(bias ? { bias } : {}) }, n, from);
    const s = [...x.onnx.slice(0, -1), N];
    cv.act = { onnx: s, axon: s.slice(), order: null };
    return;
  }
  const o = x.order;
  if (!isIdentity(o)) { const p = w.slice(); for (let r = 0; r < N; r++) for (let i = 0; i < K; i++) w[r * K + i] = p[r * K + o![i]]; }
  cv.flatAxon(n);
  cv.emit(new Dense({ units: N, useBias: bias !== undefined }), { weight: w, ...(bias ? { bias } : {}) }, n, from);
  cv.act = { onnx: [N], axon: [N], order: null };
}

const gemm: Handler = (cv, n, a) => {
  if (a.int('transA', 0)) unsupported('transA=1 is not supported');
  const B = cv.c(n, 1, 'B'), C = cv.c(n, 2, 'C', true), tB = a.int('transB', 0) === 1, alpha = a.float('alpha', 1), beta = a.float('beta', 1);
  if (B.dims.length !== 2) unsupported(`B must be 2-D, got [${B.dims}]`);
  const [N, K] = tB ? B.dims : [B.dims[1], B.dims[0]], w = new Float32Array(N * K);
  for (let r = 0; r < N; r++) for (let c = 0; c < K; c++) w[r * K + c] = alpha * (tB ? B.data[r * K + c] : B.data[c * N + r]);
  let bias: Float32Array | undefined;
  if (C) {
    if (prod(C.dims) !== N && prod(C.dims) !== 1) unsupported(`C of shape [${C.dims}] must have ${N} values or one`);
    bias = Float32Array.from({ length: N }, (_, i) => beta * C.data[C.data.length === 1 ? 0 : i]);
  }
  dense(cv, n, w, N, K, bias, { weight: n.input[1], ...(C ? { bias: n.input[2] } : {}) });
};

const matmul: Handler = (cv, n) => {
  if (cv.isConst(n.input[0])) unsupported('a constant first operand is not supported (the activation must come first)');
  const B = cv.c(n, 1, 'B');
  if (B.dims.length !== 2) unsupported(`B must be 2-D, got [${B.dims}]`);
  const [K, N] = B.dims, w = new Float32Array(N * K);
  for (let r = 0; r < N; r++) for (let c = 0; c < K; c++) w[r * K + c] = B.data[c * N + r];
  dense(cv, n, w, N, K, undefined, { weight: n.input[1] });
};

const arith: Handler = (cv, n) => {
  if (n.op_type === 'Add' && positionAdd(cv, n)) return;
  const ci = cv.isConst(n.input[0]) ? 0 : 1, op = n.op_type;
  if (ci === 0 && (op === 'Sub' || op === 'Div')) unsupported(`constant ${op === 'Sub' ? '-' : '/'} activation is not supported`);
  const v = cv.broadcast(cv.c(n, ci, 'constant operand'), 'the constant operand');
  if (op === 'Add') cv.affine(n, null, v);
  else if (op === 'Sub') cv.affine(n, null, v.map((x) => -x));
  else cv.affine(n, op === 'Mul' ? v : v.map((x) => 1 / x), null);
};

const batchNorm: Handler = (cv, n, a) => {
  if (a.int('training_mode', 0)) unsupported('training_mode=1 is not supported (export the model in eval mode)');
  const r = cv.act.onnx.length, L = cv.act.axon[cv.act.axon.length - 1];
  const vec = (i: number, what: string) => {
    const c = cv.c(n, i, what);
    const v = cv.broadcast({ ...c, dims: [c.data.length, ...ones(r - 1)] }, what);
    for (let j = L; j < v.length; j++) if (v[j] !== v[j % L]) unsupported("the channel axis is not Axon's last axis here (a Transpose moved it)");
    return v.slice(0, L);
  };
  const w = { weight: vec(1, 'scale'), bias: vec(2, 'B'), running_mean: vec(3, 'mean'), running_var: vec(4, 'var') };
  cv.emit(new BatchNormalization({ eps: a.float('epsilon', 1e-5), momentum: 1 - a.float('momentum', 0.9) }), w, n,
    { weight: n.input[1], bias: n.input[2], running_mean: n.input[3], running_var: n.input[4] });
};

const softmax = (log: boolean): Handler => (cv, n, a) => {
  const full = cv.act.onnx.length + 1, ax = a.int('axis', -1), p = (ax < 0 ? ax + full : ax) - 1;
  if (p < 0 || !lastAxisIs(cv.act, p)) unsupported(`axis ${ax} does not map to Axon's last axis for an input [N, ${cv.act.onnx}] (held as [N, ${cv.act.axon}])`);
  cv.activation(n, log ? 'logSoftmax' : 'softmax');
};

const clip: Handler = (cv, n, a) => {
  const lo = n.input[1] ? cv.c(n, 1, 'min').data[0] : a.float('min', -Infinity), hi = n.input[2] ? cv.c(n, 2, 'max').data[0] : a.float('max', Infinity);
  if (lo === 0 && hi === 6) cv.activation(n, 'relu6');
  else if (lo === 0 && hi === Infinity) cv.activation(n, 'relu');
  else unsupported(`Clip(${lo}, ${hi}) is not supported; only Clip(0, 6) (relu6) and Clip(0, inf) (relu)`);
};

const squeeze = (un: boolean): Handler => (cv, n, a) => {
  const c = n.input[1] ? cv.c(n, 1, 'axes') : undefined, full = cv.act.onnx.length + 1;
  const axesRaw = c ? Array.from(c.data) : a.ints('axes', []), s = [1, ...cv.act.onnx];
  const rank = un ? full + axesRaw.length : full, axes = axesRaw.map((v) => (v < 0 ? v + rank : v));
  if (axes.includes(0)) unsupported('the batch axis cannot be squeezed or unsqueezed');
  let out: number[];
  if (un) { out = s.slice(); for (const ax of [...axes].sort((p, q) => p - q)) out.splice(ax, 0, 1); } else out = s.filter((d, i) => (axes.length ? !axes.includes(i) : d !== 1 || i === 0));
  cv.reshapeTo(n, out.slice(1));
};

const reshape: Handler = (cv, n, a) => {
  const t = Array.from(cv.c(n, 1, 'shape').data), x = cv.act.onnx;
  if (a.int('allowzero', 0) && t.includes(0)) unsupported('allowzero=1 with a 0 in the shape is not supported');
  const batchOk = t[0] === BATCH || t[0] === 0 || t[0] === cv.staticBatch || (t[0] === -1 && !t.slice(1).includes(-1));
  if (!batchOk) unsupported(`shape [${t.map((v) => (v === BATCH ? 'N' : v))}] changes the batch axis; only per-sample reshapes are supported`);
  const per = t.slice(1).map((v, i) => (v === 0 ? x[i] : v)), known = prod(per.filter((v) => v !== -1));
  cv.reshapeTo(n, per.map((v) => (v === -1 ? prod(x) / known : v)));
};

// (a pure IIFE: an object spread at module level would keep this module in every bundle)
export const HANDLERS: Record<string, Handler> = /* @__PURE__ */ (() => ({
  Conv: conv,
  Gemm: gemm,
  MatMul: matmul,
  Add: arith, Sub: arith, Mul: arith, Div: arith,
  Relu: (cv, n) => cv.activation(n, 'relu'),
  LeakyRelu: (cv, n, a) => cv.activation(n, 'leakyRelu', a.float('alpha', 0.01)),
  Sigmoid: (cv, n) => cv.activation(n, 'sigmoid'),
  Tanh: (cv, n) => cv.activation(n, 'tanh'),
  Softmax: /* @__PURE__ */ softmax(false),
  LogSoftmax: /* @__PURE__ */ softmax(true),
  Clip: clip,
  HardSwish: (cv, n) => cv.activation(n, 'hardSwish'),
  Elu: (cv, n, a) => cv.activation(n, 'elu', a.float('alpha', 1)),
  Selu: (cv, n, a) => {
    const alpha = a.float('alpha', SELU_ALPHA), gamma = a.float('gamma', SELU_SCALE);
    if (Math.abs(alpha - SELU_ALPHA) < 1e-6 && Math.abs(gamma - SELU_SCALE) < 1e-6) cv.activation(n, 'selu');
    else if (gamma === 1) cv.activation(n, 'elu', alpha);
    else unsupported(`Selu(alpha=${alpha}, gamma=${gamma}): only the standard constants, or gamma=1 (an ELU), are supported`);
  },
  // Gelu: opset 20's op, and the Erf / Tanh patterns torch writes at 13–17 (onnx_fuse_act.ts); Silu: x · Sigmoid(x)
  Gelu: (cv, n, a) => {
    const approx = a.str('approximate', 'none');
    if (approx !== 'none' && approx !== 'tanh') unsupported(`approximate="${approx}": only "none" and "tanh" exist`);
    cv.activation(n, approx === 'tanh' ? 'geluTanh' : 'gelu');
  },
  Silu: (cv, n) => cv.activation(n, 'swish'),
  HardSigmoid: (cv, n, a) => {
    if (Math.abs(a.float('alpha', 0.2) - 1 / 6) > 1e-6 || a.float('beta', 0.5) !== 0.5) unsupported(`HardSigmoid(alpha=${a.float('alpha', 0.2)}, beta=${a.float('beta', 0.5)}): only PyTorch's (alpha=1/6, beta=0.5) is supported`);
    cv.activation(n, 'hardSigmoid');
  },
  MaxPool: /* @__PURE__ */ pool(true),
  AveragePool: /* @__PURE__ */ pool(false),
  GlobalAveragePool: (cv, n) => {
    const [C, ...sp] = cv.channelsLast(n, 'GlobalAveragePool');
    cv.emit(new GlobalAveragePooling2D(), {}, n);
    cv.act = { onnx: [C, ...sp.map(() => 1)], axon: [C], order: null };
  },
  ReduceMean: (cv, n, a) => {
    const r = cv.act.onnx.length + 1, c = n.input[1] ? cv.c(n, 1, 'axes') : undefined;
    const axes = (c ? Array.from(c.data) : a.ints('axes', [])).map((v) => (v < 0 ? v + r : v)).sort((p, q) => p - q);
    if (r < 3 || r > 4 || axes.join() !== Array.from({ length: r - 2 }, (_, i) => i + 2).join())
      unsupported(`axes [${c ? Array.from(c.data) : a.ints('axes', [])}] of an [N, ${cv.act.onnx}] input: only the mean over all spatial axes of (N, C, H, W) or (N, C, L) (global average pooling) is supported`);
    const [C, ...sp] = cv.channelsLast(n, 'ReduceMean');
    cv.emit(new GlobalAveragePooling2D(), {}, n);
    cv.act = { onnx: a.int('keepdims', 1) ? [C, ...sp.map(() => 1)] : [C], axon: [C], order: null };
  },
  BatchNormalization: batchNorm,
  LayerNormalization: layerNormHandler,
  Dropout: (cv, n, a) => {
    const tm = cv.c(n, 2, 'training_mode', true);
    if (tm && tm.data[0]) unsupported('training_mode=true is not supported');
    const rate = n.input[1] ? cv.c(n, 1, 'ratio').data[0] : a.float('ratio', 0.5);
    cv.emit(new Dropout({ rate }), {}, n);
  },
  Identity: () => {},
  Cast: (_cv, _n, a) => { if (a.int('to', 1) !== 1) unsupported('only casts to float are supported on activations'); },
  Flatten: (cv, n, a) => {
    const full = cv.act.onnx.length + 1, ax = a.int('axis', 1);
    if ((ax < 0 ? ax + full : ax) !== 1) unsupported(`axis ${ax}: only axis=1 (keep the batch axis) is supported`);
    cv.reshapeTo(n, [prod(cv.act.onnx)]);
  },
  Reshape: reshape,
  Squeeze: /* @__PURE__ */ squeeze(false),
  Unsqueeze: /* @__PURE__ */ squeeze(true),
  Transpose: (cv, n, a) => {
    const full = cv.act.onnx.length + 1, perm = a.ints('perm', Array.from({ length: full }, (_, i) => full - 1 - i));
    if (perm[0] !== 0) unsupported(`perm [${perm}] moves the batch axis`);
    const t = transposeOrder(cv.act, perm.slice(1).map((v) => v - 1));
    cv.act = { onnx: t.onnx, axon: cv.act.axon, order: t.order };
  },
  ConvTranspose: convTranspose,
  ...SELECT_HANDLERS,
}))();
