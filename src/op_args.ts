// Argument extents and rules of the plan ops, by kernel family: how many elements each pointer
// argument spans, and what its dimensions must satisfy, written in the language of src/op_rules.ts
// so that the JS host and the WASI program check the same text. The registry (src/ops.ts) lists the
// ops with these; layers use the exported numeric sizes (scratch, packed weights, conv output).
import { AxonError } from './errors.js';
import type { ArgDef, Dims, Dtype, NumArg, PtrDef } from './op_types.js';
import type { Extern, Rule } from './op_rules.js';

export const p = (name: string, dtype: Dtype, extent: string): PtrDef => ({ name, kind: 'ptr', dtype, extent });
export const i = (name: string): NumArg => ({ name, kind: 'i32' });
export const f = (name: string): NumArg => ({ name, kind: 'f32' });
/** Each argument 0 or 1. */
export const flags = (...names: string[]): Rule[] => names.map((k) => ({ holds: `${k} == 0 || ${k} == 1`, says: `${k} must be 0 or 1, got {${k}}` }));
/** Each argument at least 1. */
export const sizes = (...names: string[]): Rule[] => names.map((k) => ({ holds: `${k} >= 1`, says: `${k} must be at least 1, got {${k}}` }));
export const rule = (holds: string, says: string): Rule => ({ holds, says });
export const n = 'n', rc = 'rows * cols', mn = 'M * N';

/**
 * Derived quantities the extents and rules name: convolution/pool output sizes, window extents,
 * padded sizes, and dilation 1 for ops without dilation arguments (see src/op_rules.ts).
 */
export const MACROS: Record<string, string> = {
  dilH: '1', dilW: '1',
  OH: 'floor((H + padT + padB - dilH * (KH - 1) - 1) / strideH) + 1',
  OW: 'floor((W + padL + padR - dilW * (KW - 1) - 1) / strideW) + 1',
  EH: 'dilH * (KH - 1) + 1', EW: 'dilW * (KW - 1) + 1', PH: 'H + padT + padB', PW: 'W + padL + padR',
};

/** y and x blocks of rows × cols at row pitches ldy / ldx from element offsets offy / offx */
export function stridedArgs(dtype: Dtype): ArgDef[] {
  return [p('y', dtype, 'offy + (rows - 1) * ldy + cols'), p('x', dtype, 'offx + (rows - 1) * ldx + cols'),
    i('rows'), i('cols'), i('ldy'), i('ldx'), i('offy'), i('offx')];
}
export const stridedRules = (): Rule[] => [...sizes('rows', 'cols'),
  rule('rows <= 1 || (ldy >= cols && ldx >= cols)', 'row pitches ldy={ldy}, ldx={ldx} must be at least cols={cols}')];

export const bpc = 'B * P * C', bg = 'B * G';
export const bcastDims = [i('B'), i('P'), i('C'), i('G')];
export const bcastRules = (): Rule[] => [...sizes('B', 'P', 'C', 'G'), rule('G == C || G == 1', 'the gate has G={G} values per sample; it must be C={C} or 1')];

/** Floats of scratch the packed GEMM needs (mirrors gemm_scratch_floats in assembly/kernels/gemm.ts). */
export function gemmScratchFloats(M: number, N: number, K: number): number {
  const KC = 256, MC = 64, NC = 512, MR = 4, NR = 8;
  const kc = Math.max(0, Math.min(K, KC));
  const nc = Math.ceil(Math.max(0, Math.min(N, NC)) / NR) * NR;
  const mc = Math.ceil(Math.max(0, Math.min(M, MC)) / MR) * MR;
  return kc * (nc + mc) + MR * NR;
}

// ---- conv geometry (assembly/kernels/conv.ts): NHWC, explicit pads (top, left, bottom, right) ----

/** Output height/width: floor((in + pads - dil*(k-1) - 1) / stride) + 1 per axis (MACROS.OH, OW). */
export function convOut(d: Dims): { OH: number; OW: number } {
  return {
    OH: Math.floor((d.H + d.padT + d.padB - (d.dilH ?? 1) * (d.KH - 1) - 1) / d.strideH) + 1,
    OW: Math.floor((d.W + d.padL + d.padR - (d.dilW ?? 1) * (d.KW - 1) - 1) / d.strideW) + 1,
  };
}
const CONV_DIMS = ['N', 'H', 'W', 'C', 'OC', 'KH', 'KW', 'strideH', 'strideW', 'padT', 'padL', 'padB', 'padR', 'dilH', 'dilW', 'groups'];
export const convX = 'N * H * W * C', convY = 'N * OH * OW * OC', convW = 'KH * KW * (C / groups) * OC';
export const convScratch = `conv2d_scratch(${CONV_DIMS.join(', ')})`;
export function convDimArgs(): ArgDef[] { return CONV_DIMS.map(i); }

/**
 * The largest window extent (dilated kernel), stride and padded input size a window kernel takes:
 * kernels compute tap positions in i32 (oh * stride - pad + kh * dilation), so extents stay far from 2^31.
 */
export const MAX_WINDOW_EXTENT = 1 << 20;

/** Sizes >= 1 and a (dilated) kernel that fits the padded input, with extents the kernels take; shared by conv and pooling. */
export function windowRules(sizeNames: string[]): Rule[] {
  const geo = '(kernel {KH}x{KW}, dilation {dilH}x{dilW}, pads {padT},{padL},{padB},{padR})';
  const limit = ([what, v]: string[]) => rule(`${v} <= ${MAX_WINDOW_EXTENT}`, `${what} {${v}} ${geo} exceeds ${MAX_WINDOW_EXTENT}, the largest extent the kernels take`);
  return [...sizes(...sizeNames),
    ...[['window height', 'EH'], ['window width', 'EW'], ['padded height', 'PH'], ['padded width', 'PW'], ['strideH', 'strideH'], ['strideW', 'strideW']].map(limit),
    rule('EH <= PH && EW <= PW', 'kernel {KH}x{KW} (dilation {dilH}x{dilW}, spanning {EH}x{EW}) is larger than the padded input {PH}x{PW} ' +
      '(H={H} + padT={padT} + padB={padB}, W={W} + padL={padL} + padR={padR}); use a smaller kernel or dilation, or more padding')];
}

export const convRules = (): Rule[] => [...windowRules(['N', 'H', 'W', 'C', 'OC', 'KH', 'KW', 'strideH', 'strideW', 'dilH', 'dilW', 'groups']),
  rule('C % groups == 0', 'input channels C={C} are not divisible by groups={groups}'),
  rule('OC % groups == 0', 'output channels OC={OC} are not divisible by groups={groups}')];

/** Floats of scratch the conv2d __simd kernels need (mirrors conv2d_scratch_floats in assembly/kernels/conv.ts). */
export function conv2dScratchFloats(d: Dims, g: (M: number, N: number, K: number) => number = gemmScratchFloats): number {
  if (d.groups !== 1) return 0;
  const { OH, OW } = convOut(d), M = d.N * OH * OW, C = d.C, OC = d.OC;
  if (d.KH === 1 && d.KW === 1 && d.strideH === 1 && d.strideW === 1 && d.padT + d.padL + d.padB + d.padR === 0) {
    return Math.max(g(M, OC, C), g(M, C, OC), g(C, OC, M));
  }
  const K = d.KH * d.KW * C, mb = Math.min(M, Math.max(8, Math.min(256, Math.floor(2 ** 18 / K))));
  const col = Math.ceil(mb * K / 4) * 4 + Math.max(g(mb, OC, K), g(mb, K, OC), g(K, OC, mb));
  const fwd = { ...d, OH, OW };
  // implicit weight gradient (assembly/kernels/conv_grad.ts): tap offsets, padded image
  const wg = padFloats(fwd) < 0 ? 0 : Math.ceil(K / 4) * 4 + padFloats(fwd);
  // input gradient as a transposed implicit GEMM (conv_grad.ts): stride 1, pads within the kernel's reach, KH*KW*OC <= 512
  const tp = [(d.KH - 1) * d.dilH - d.padT, (d.KW - 1) * d.dilW - d.padL, d.H - OH + d.padT, d.W - OW + d.padL];
  const bx = d.strideH === 1 && d.strideW === 1 && d.KH * d.KW * OC <= 512 && tp.every((v) => v >= 0) &&
    (d.H + (d.KH - 1) * d.dilH) * (d.W + (d.KW - 1) * d.dilW) * OC <= 2 ** 16 && d.H * d.W * Math.ceil(C / 8) * 8 * 4 <= OH * OW * C * 5
    ? igemmFloats({ ...d, H: OH, W: OW, C: OC, OC: C, OH: d.H, OW: d.W, strideH: 1, strideW: 1, padT: tp[0], padL: tp[1] }) : 0;
  const fw = K > 256 || OC > 512 ? 0 : igemmFloats(fwd);
  return Math.max(col, wg, bx, fw);
}

/** Floats of the zero-padded image copy of the implicit GEMM (conv_igemm.ts): 0 when none is needed, -1 when too big for one. */
export function padFloats(d: Dims): number {
  const Hp = (d.OH - 1) * d.strideH + (d.KH - 1) * d.dilH + 1, Wp = (d.OW - 1) * d.strideW + (d.KW - 1) * d.dilW + 1;
  if (!(d.padT > 0 || d.padL > 0 || Hp > d.H || Wp > d.W)) return 0;
  return Hp * Wp * d.C <= 2 ** 16 ? Hp * Wp * d.C : -1;
}

/** Scratch of the implicit GEMM (conv_igemm.ts igemmScratchFloats): 8-wide weight panels, zeros, a tile, tap offsets, padded image. */
function igemmFloats(d: Dims): number {
  const K = d.KH * d.KW * d.C;
  return K * Math.ceil(d.OC / 8) * 8 + Math.ceil(d.C / 4) * 4 + 32 + Math.ceil(K / 4) * 4 + Math.max(0, padFloats(d));
}

// ---- pool geometry (assembly/kernels/pool.ts): conv's geometry without OC and groups; AvgPool has no dilation ----

export const poolY = 'N * OH * OW * C', padY = 'N * PH * PW * C';
export function poolDims(dilated: boolean): ArgDef[] {
  return ['N', 'H', 'W', 'C', 'KH', 'KW', 'strideH', 'strideW', 'padT', 'padL', 'padB', 'padR', ...(dilated ? ['dilH', 'dilW'] : [])].map(i);
}
export function padDims(): ArgDef[] { return ['N', 'H', 'W', 'C', 'padT', 'padL', 'padB', 'padR'].map(i); }

/** Window fits the padded input, and each pad is smaller than the (dilated) window (ONNX's rule: no window lies entirely in the padding). */
export function poolRules(dilated: boolean, countIncludePad = false): Rule[] {
  const pad = (side: string, win: string, what: string) => rule(`${side} < ${win}`, `padding {${side}} is not smaller than the window ${what} {${win}}; windows would lie entirely in the padding`);
  return [...windowRules(['N', 'H', 'W', 'C', 'KH', 'KW', 'strideH', 'strideW', ...(dilated ? ['dilH', 'dilW'] : [])]),
    pad('padT', 'EH', 'height'), pad('padB', 'EH', 'height'), pad('padL', 'EW', 'width'), pad('padR', 'EW', 'width'),
    ...(countIncludePad ? flags('countIncludePad') : [])];
}

// ---- batch norm (assembly/kernels/norm.ts) ----

export const bnMC = 'M * C', bnC = 'C';
/** Training needs at least 2 rows per channel (unbiased running variance), as PyTorch; `has` lists the op's eps / momentum arguments. */
export function bnRules(minRows: number, ...has: Array<'eps' | 'momentum'>): Rule[] {
  return [rule('C >= 1', 'C must be at least 1, got {C}'),
    rule(`M >= ${minRows}`, minRows > 1
      ? 'batch norm in training needs at least 2 values per channel (M = N*H*W rows), got M={M}; use a larger batch or eval mode'
      : 'M must be at least 1, got {M}'),
    ...(has.includes('eps') ? [rule('eps > 0', 'eps must be positive, got {eps}')] : []),
    ...(has.includes('momentum') ? [rule('momentum >= 0 && momentum <= 1', 'momentum must be in [0, 1] (PyTorch convention; Keras momentum k is 1 - k), got {momentum}')] : [])];
}

// ---- int8 (assembly/kernels/q8.ts, q8_pack.ts) ----

/** Bytes of W packed by qs8_pack_w (mirrors qs8_pack_w_bytes in assembly/kernels/q8_pack.ts). */
export function q8PackedBytes(N: number, K: number): number {
  return 16 + Math.ceil(N / 8) * (96 + 16 * (K + (K & 1)));
}
/** Scratch bytes of qs8_gemm (mirrors qs8_gemm_scratch_bytes in assembly/kernels/q8_pack.ts). */
export function q8ScratchBytes(M: number, N: number, K: number): number {
  void N;
  return Math.min(Math.ceil(M / 4) * 4, 64) * (2 * (K + (K & 1)) + 8) + 64;
}
export const isZp = (z: number) => Number.isInteger(z) && z >= -128 && z <= 127;
export const isScale = (s: number) => s > 0 && Number.isFinite(s) && Math.fround(s) > 0;
/**
 * The 6-word qp block of qs8_gemm: [za i32, sa f32, sc f32, zc i32, qmin i32, qmax i32].
 * Fused ReLU: qmin = zc; ReLU6: qmax = min(127, zc + round(6 / sc)).
 */
export function q8GemmParams(q: { za: number; sa: number; sc: number; zc: number; qmin?: number; qmax?: number }): ArrayBuffer {
  const { za, sa, sc, zc, qmin = -128, qmax = 127 } = q;
  const bad = !isZp(za) ? `input zero point za=${za}` : !isScale(sa) ? `input scale sa=${sa}` : !isScale(sc) ? `output scale sc=${sc}` : !isZp(zc) ? `output zero point zc=${zc}`
    : !(isZp(qmin) && isZp(qmax) && qmin <= qmax) ? `clamp range [${qmin}, ${qmax}]` : null;
  if (bad) throw new AxonError('BAD_ARGUMENT', `int8 GEMM: ${bad} is invalid: scales must be positive finite f32 numbers, zero points and clamps integers in [-128, 127] with qmin <= qmax`);
  const b = new ArrayBuffer(24), dv = new DataView(b);
  dv.setInt32(0, za, true); dv.setFloat32(4, sa, true); dv.setFloat32(8, sc, true);
  dv.setInt32(12, zc, true); dv.setInt32(16, qmin, true); dv.setInt32(20, qmax, true);
  return b;
}
/** The 2-word qp block of qs8_quantize / qs8_dequantize: [scale f32, zp i32]. */
export function q8QuantParams(scale: number, zp: number): ArrayBuffer {
  if (!isScale(scale) || !isZp(zp)) throw new AxonError('BAD_ARGUMENT', `int8 quantize: scale=${scale}, zero point=${zp} are invalid: the scale must be a positive finite f32 number and the zero point an integer in [-128, 127]`);
  const b = new ArrayBuffer(8), dv = new DataView(b);
  dv.setFloat32(0, scale, true); dv.setInt32(4, zp, true);
  return b;
}

/**
 * The 8-word qp block of qs8_add: [za i32, sa f32, zb i32, sb f32, sy f32, zy i32, qmin i32, qmax i32]
 * (inputs a, b and output y; the clamp fuses ReLU / ReLU6 as in q8GemmParams).
 */
export function q8AddParams(q: { za: number; sa: number; zb: number; sb: number; sy: number; zy: number; qmin?: number; qmax?: number }): ArrayBuffer {
  const { za, sa, zb, sb, sy, zy, qmin = -128, qmax = 127 } = q;
  const bad = !isZp(za) ? `input zero point za=${za}` : !isScale(sa) ? `input scale sa=${sa}` : !isZp(zb) ? `input zero point zb=${zb}` : !isScale(sb) ? `input scale sb=${sb}`
    : !isScale(sy) ? `output scale sy=${sy}` : !isZp(zy) ? `output zero point zy=${zy}` : !(isZp(qmin) && isZp(qmax) && qmin <= qmax) ? `clamp range [${qmin}, ${qmax}]` : null;
  if (bad) throw new AxonError('BAD_ARGUMENT', `int8 add: ${bad} is invalid: scales must be positive finite f32 numbers, zero points and clamps integers in [-128, 127] with qmin <= qmax`);
  const b = new ArrayBuffer(32), dv = new DataView(b);
  dv.setInt32(0, za, true); dv.setFloat32(4, sa, true); dv.setInt32(8, zb, true); dv.setFloat32(12, sb, true);
  dv.setFloat32(16, sy, true); dv.setInt32(20, zy, true); dv.setInt32(24, qmin, true); dv.setInt32(28, qmax, true);
  return b;
}

// ---- recurrent layers (assembly/kernels/rnn.ts): x (T, N, I), states (N, H), gates G = 1 (RNN), 4 (LSTM), 3 (GRU) ----

export function rnnGates(cell: number): number { return [1, 4, 3][cell]; }
/** Pointer args named by role: sequences (T, N, ·), states (N, H), weights (G*H, ·), biases (G*H), scratch. */
export function rnnArgs(cell: number, names: string): ArgDef[] {
  const G = rnnGates(cell);
  const len: Record<string, string> = {
    x: 'T * N * I', hs: 'T * N * H', state: 'N * H', gates: `T * N * ${G} * H`,
    w_ih: `${G} * H * I`, w_hh: `${G} * H * H`, b: `${G} * H`, scratch: `rnn_scratch(${cell}, T, N, I, H)`,
  };
  const role = (nm: string) => {
    const r = nm[0] === 'd' && 'xwbhc'.includes(nm[1]) ? nm.slice(1) : nm;   // (no regex: this runs at startup, a first regex costs ~0.1 ms)
    if (r === 'x' || r === 'w_ih' || r === 'w_hh' || r === 'gates' || r === 'scratch') return r;
    if (r === 'hs' || r === 'cs' || r === 'hn') return 'hs';
    if (r === 'h0' || r === 'c0' || r === 'cT') return 'state';
    return 'b';
  };
  return [...names.split(' ').map((nm) => p(nm, 'f32', len[role(nm)])), ...['T', 'N', 'I', 'H'].map(i)];
}
export const rnnRules = (): Rule[] => sizes('T', 'N', 'I', 'H');

/** Floats of scratch the recurrent kernels need, fwd and bwd (mirrors rnn_scratch_floats in assembly/kernels/rnn.ts). */
export function rnnScratchFloats(cell: number, d: Dims, g: (M: number, N: number, K: number) => number = gemmScratchFloats): number {
  const GH = rnnGates(cell) * d.H, TN = d.T * d.N, NH = d.N * d.H, H = d.H, up4 = (v: number) => Math.ceil(v / 4) * 4;
  const gs = Math.max(g(TN, GH, d.I), g(d.N, GH, H), g(d.N, H, GH), g(TN, d.I, GH), g(GH, d.I, TN), g(GH, H, d.N), g(GH, H, (d.T - 1) * d.N));
  const extra = cell === 1 ? up4(TN * GH) + 2 * up4(NH) : cell === 2 ? Math.max(up4(d.N * GH), 2 * up4(TN * GH) + up4(NH)) : up4(TN * H) + up4(NH);
  // the fused small-batch forward (step_scratch_floats in assembly/kernels/rnn_step.ts): panels + 36 floats
  const step = d.N <= 8 ? (cell === 0 ? Math.ceil(d.H / 16) : up4(d.H) / 4) * (1 + d.H) * (cell === 2 ? 12 : 16) + 36 : 0;
  return Math.max(extra + gs, step);
}

// ---- augmentation (assembly/kernels/augment.ts) ----

export function augImageDims(): ArgDef[] { return ['N', 'H', 'W', 'C'].map(i); }
export const augImageRules = (): Rule[] => sizes('N', 'H', 'W', 'C');
export const seqX = 'N * T * F';

// ---- int8 convolution and dynamic GEMM (assembly/kernels/q8_conv.ts, q8_dyn.ts) ----

export function q8ConvDims(): ArgDef[] { return CONV_DIMS.slice(0, 15).map(i); }
export const q8ConvScratch = `q8_conv_scratch(${CONV_DIMS.slice(0, 15).join(', ')})`;
export const q8ConvRules = (): Rule[] => windowRules(['N', 'H', 'W', 'C', 'OC', 'KH', 'KW', 'strideH', 'strideW', 'dilH', 'dilW']);
/** Scratch bytes of qs8_conv2d (mirrors qs8_conv2d_scratch_bytes in assembly/kernels/q8_conv.ts). */
export function q8ConvScratchBytes(d: Dims): number {
  const { OH, OW } = convOut(d), M = d.N * OH * OW;
  if (d.KH === 1 && d.KW === 1 && d.strideH === 1 && d.strideW === 1 && d.padT + d.padL + d.padB + d.padR === 0) return q8ScratchBytes(M, d.OC, d.C);
  const K = d.KH * d.KW * d.C, mb = Math.min(M, Math.max(4, Math.min(256, Math.floor(2 ** 18 / Math.max(K, 1)))));
  return Math.ceil((mb * K) / 16) * 16 + q8ScratchBytes(mb, d.OC, K);
}
/** Scratch bytes of qs8_gemm_f32 (mirrors qs8_gemm_f32_scratch_bytes in assembly/kernels/q8_dyn.ts). */
export function q8F32ScratchBytes(M: number, N: number, K: number): number { return q8ScratchBytes(M, N, K) + 64; }
/** Scratch bytes of qs8_gru (mirrors qs8_gru_scratch_bytes in assembly/kernels/q8_rnn.ts). */
export function q8GruScratchBytes(T: number, N: number, I: number, H: number): number {
  const up16 = (v: number) => Math.ceil(v / 16) * 16, TN = T * N, G3 = 3 * H;
  return up16(TN * G3 * 4) + up16(N * G3 * 4) + up16(TN * I) + up16(N * H) + 16 + up16(G3 * 4) + Math.max(q8F32ScratchBytes(TN, G3, I), q8F32ScratchBytes(N, G3, H));
}

const dimsOf = (names: string[], v: number[]): Dims => Object.fromEntries(names.map((k, j) => [k, v[j]]));
/** The scratch-size functions extents may call, each with the wasm export computing the same (src/op_rules.ts Extern). */
export const EXTERNS: Record<string, Extern> = {
  gemm_scratch: { arity: 3, js: gemmScratchFloats, as: { name: 'gemm_scratch_floats', from: 'gemm' } },
  conv2d_scratch: { arity: 16, js: (...v) => conv2dScratchFloats(dimsOf(CONV_DIMS, v)), as: { name: 'conv2d_scratch_floats', from: 'conv' } },
  rnn_scratch: { arity: 5, js: (cell, T, N, I, H) => rnnScratchFloats(cell, { T, N, I, H }), as: { name: 'rnn_scratch_floats', from: 'rnn' } },
  q8_pack_bytes: { arity: 2, js: q8PackedBytes, as: { name: 'qs8_pack_w_bytes', from: 'q8_pack' } },
  q8_gemm_scratch: { arity: 3, js: q8ScratchBytes, as: { name: 'qs8_gemm_scratch_bytes', from: 'q8_pack' } },
  q8_f32_scratch: { arity: 3, js: q8F32ScratchBytes, as: { name: 'qs8_gemm_f32_scratch_bytes', from: 'q8_dyn' } },
  q8_gru_scratch: { arity: 4, js: q8GruScratchBytes, as: { name: 'qs8_gru_scratch_bytes', from: 'q8_rnn' } },
  q8_conv_scratch: { arity: 15, js: (...v) => q8ConvScratchBytes(dimsOf(CONV_DIMS, v)), as: { name: 'qs8_conv2d_scratch_bytes', from: 'q8_conv' } },
};
