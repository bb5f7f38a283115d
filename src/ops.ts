// THE op registry: the single list of plan ops. The plan builder validates instructions against
// it, the build generates the wasm interpreter's dispatch from it (scripts/gen-dispatch.mjs), and
// tests iterate over it. Adding an op = one entry here + its kernels in assembly/kernels/<family>.ts.
// NOTE: an op's code is its position + 1: append only, never reorder (plans store codes).
import { AxonError } from './errors.js';

export type Dtype = 'f32' | 'i32' | 'u8' | 'i8' | 'x32';
export type Dims = Record<string, number>;
export interface PtrArg { name: string; kind: 'ptr'; dtype: Dtype; len: (d: Dims) => number }
export interface NumArg { name: string; kind: 'i32' | 'f32' }
export type ArgSpec = PtrArg | NumArg;

export interface OpSpec {
  code: number;
  name: string;
  /** assembly/kernels/<family>.ts */
  family: string;
  /** wasm export the plan calls */
  kernel: string;
  args: ArgSpec[];
  /** kernel returns i32; nonzero stops the plan (finiteness guards) */
  check?: boolean;
  /** extra argument rules; returns a problem description or null */
  validate?: (d: Dims) => string | null;
}

export const DTYPE_BYTES: Record<Dtype, number> = { f32: 4, i32: 4, x32: 4, u8: 1, i8: 1 };

const p = (name: string, dtype: Dtype, len: (d: Dims) => number): PtrArg => ({ name, kind: 'ptr', dtype, len });
const i = (name: string): NumArg => ({ name, kind: 'i32' });
const f = (name: string): NumArg => ({ name, kind: 'f32' });
const flag = (...names: string[]) => (d: Dims) => {
  for (const n of names) if (d[n] !== 0 && d[n] !== 1) return `${n} must be 0 or 1, got ${d[n]}`;
  return null;
};
const n = (d: Dims) => d.n;
const one = () => 1;
const rc = (d: Dims) => d.rows * d.cols;
const mn = (d: Dims) => d.M * d.N;

/** Floats of scratch the packed GEMM needs (mirrors gemm_scratch_floats in assembly/kernels/gemm.ts). */
export function gemmScratchFloats(M: number, N: number, K: number): number {
  const KC = 256, MC = 64, NC = 512, MR = 4, NR = 8;
  const kc = Math.max(0, Math.min(K, KC));
  const nc = Math.ceil(Math.max(0, Math.min(N, NC)) / NR) * NR;
  const mc = Math.ceil(Math.max(0, Math.min(M, MC)) / MR) * MR;
  return kc * (nc + mc) + MR * NR;
}

/** Hyperparameter block sizes (f32 words) per optimizer kernel; layouts in assembly/kernels/optim.ts. */
export const HP_WORDS = { sgd: 7, rmsprop: 7, adam: 10 } as const;

type Def = Omit<OpSpec, 'code'>;
/** y and x blocks of rows × cols at row pitches ldy / ldx from element offsets offy / offx */
function stridedArgs(dtype: Dtype): ArgSpec[] {
  return [p('y', dtype, (d) => d.offy + (d.rows - 1) * d.ldy + d.cols), p('x', dtype, (d) => d.offx + (d.rows - 1) * d.ldx + d.cols),
    i('rows'), i('cols'), i('ldy'), i('ldx'), i('offy'), i('offx')];
}
const stridedValidate = (d: Dims) => sizesValidate(d, ['rows', 'cols']) ?? (d.rows > 1 && (d.ldy < d.cols || d.ldx < d.cols) ? `row pitches ldy=${d.ldy}, ldx=${d.ldx} must be at least cols=${d.cols}` : null);

const bpc = (d: Dims) => d.B * d.P * d.C, bg = (d: Dims) => d.B * d.G;
const bcastDims = [i('B'), i('P'), i('C'), i('G')];
const bcastValidate = (d: Dims) => sizesValidate(d, ['B', 'P', 'C', 'G']) ?? (d.G !== d.C && d.G !== 1 ? `the gate has G=${d.G} values per sample; it must be C=${d.C} or 1` : null);

const defs: Def[] = [
  // vec
  { name: 'fill', family: 'vec', kernel: 'f32_fill__simd', args: [p('y', 'f32', n), f('v'), i('n')] },
  { name: 'copy', family: 'vec', kernel: 'x32_copy__simd', args: [p('y', 'x32', n), p('x', 'x32', n), i('n')] },
  { name: 'scale', family: 'vec', kernel: 'f32_scale__simd', args: [p('y', 'f32', n), f('a'), i('n')] },
  { name: 'axpy', family: 'vec', kernel: 'f32_axpy__simd', args: [p('y', 'f32', n), p('x', 'f32', n), f('a'), i('n')] },
  { name: 'add', family: 'vec', kernel: 'f32_add__simd', args: [p('y', 'f32', n), p('a', 'f32', n), p('b', 'f32', n), i('n')] },
  { name: 'sumsq', family: 'vec', kernel: 'f32_sumsq__simd', args: [p('out', 'f32', one), p('x', 'f32', n), i('n')] },
  { name: 'check_finite', family: 'vec', kernel: 'f32_check_finite__simd', args: [p('x', 'f32', n), i('n')], check: true },
  // data
  { name: 'gather_rows', family: 'data', kernel: 'x32_gather_rows__simd',
    args: [p('y', 'x32', rc), p('x', 'x32', (d) => d.xrows * d.cols), p('idx', 'i32', (d) => d.rows), i('rows'), i('cols'), i('xrows')] },
  { name: 'gather_rows_u8', family: 'data', kernel: 'u8_gather_rows_f32__simd',
    args: [p('y', 'f32', rc), p('x', 'u8', (d) => d.xrows * d.cols), p('idx', 'i32', (d) => d.rows), i('rows'), i('cols'), i('xrows'), f('scale'), f('shift')] },
  { name: 'rng_uniform', family: 'data', kernel: 'rng_fill_uniform__ref', args: [p('out', 'f32', n), p('state', 'x32', () => 4), i('n'), f('lo'), f('hi')] },
  { name: 'rng_normal', family: 'data', kernel: 'rng_fill_normal__ref', args: [p('out', 'f32', n), p('state', 'x32', () => 4), i('n'), f('mean'), f('std')] },
  { name: 'dropout_fwd', family: 'data', kernel: 'f32_dropout_fwd__ref',
    args: [p('y', 'f32', n), p('mask', 'f32', n), p('x', 'f32', n), p('state', 'x32', () => 4), i('n'), f('p')],
    validate: (d) => (d.p >= 0 && d.p < 1 ? null : `dropout rate must be in [0, 1), got ${d.p}`) },
  { name: 'dropout_bwd', family: 'data', kernel: 'f32_dropout_bwd__simd', args: [p('dx', 'f32', n), p('dy', 'f32', n), p('mask', 'f32', n), i('n')] },
  // act
  { name: 'leaky_relu_fwd', family: 'act', kernel: 'f32_leaky_relu_fwd__simd', args: [p('y', 'f32', n), p('x', 'f32', n), i('n'), f('alpha')] },
  { name: 'leaky_relu_bwd', family: 'act', kernel: 'f32_leaky_relu_bwd__simd', args: [p('dx', 'f32', n), p('dy', 'f32', n), p('x', 'f32', n), i('n'), f('alpha')] },
  { name: 'sigmoid_fwd', family: 'act', kernel: 'f32_sigmoid_fwd__simd', args: [p('y', 'f32', n), p('x', 'f32', n), i('n')] },
  { name: 'sigmoid_bwd', family: 'act', kernel: 'f32_sigmoid_bwd__simd', args: [p('dx', 'f32', n), p('dy', 'f32', n), p('y', 'f32', n), i('n')] },
  { name: 'tanh_fwd', family: 'act', kernel: 'f32_tanh_fwd__simd', args: [p('y', 'f32', n), p('x', 'f32', n), i('n')] },
  { name: 'tanh_bwd', family: 'act', kernel: 'f32_tanh_bwd__simd', args: [p('dx', 'f32', n), p('dy', 'f32', n), p('y', 'f32', n), i('n')] },
  { name: 'softmax_fwd', family: 'act', kernel: 'f32_softmax_fwd__simd', args: [p('y', 'f32', rc), p('x', 'f32', rc), i('rows'), i('cols')] },
  { name: 'softmax_bwd', family: 'act', kernel: 'f32_softmax_bwd__simd', args: [p('dx', 'f32', rc), p('dy', 'f32', rc), p('y', 'f32', rc), i('rows'), i('cols')] },
  { name: 'log_softmax_fwd', family: 'act', kernel: 'f32_log_softmax_fwd__simd', args: [p('y', 'f32', rc), p('x', 'f32', rc), i('rows'), i('cols')] },
  { name: 'log_softmax_bwd', family: 'act', kernel: 'f32_log_softmax_bwd__simd', args: [p('dx', 'f32', rc), p('dy', 'f32', rc), p('y', 'f32', rc), i('rows'), i('cols')] },
  // loss
  { name: 'mse_fwd', family: 'loss', kernel: 'f32_mse_fwd__simd', args: [p('loss', 'f32', one), p('p', 'f32', n), p('t', 'f32', n), i('n'), f('scale')] },
  { name: 'mse_bwd', family: 'loss', kernel: 'f32_mse_bwd__simd', args: [p('dp', 'f32', n), p('p', 'f32', n), p('t', 'f32', n), i('n'), f('scale')] },
  { name: 'xent_logits_fwd', family: 'loss', kernel: 'f32_xent_logits_fwd__simd',
    args: [p('loss', 'f32', one), p('x', 'f32', rc), p('y', 'i32', (d) => d.rows), i('rows'), i('cols'), f('scale')] },
  { name: 'xent_logits_bwd', family: 'loss', kernel: 'f32_xent_logits_bwd__simd',
    args: [p('dx', 'f32', rc), p('x', 'f32', rc), p('y', 'i32', (d) => d.rows), i('rows'), i('cols'), f('scale')] },
  { name: 'bce_logits_fwd', family: 'loss', kernel: 'f32_bce_logits_fwd__ref', args: [p('loss', 'f32', one), p('x', 'f32', n), p('t', 'f32', n), i('n'), f('scale')] },
  { name: 'bce_logits_bwd', family: 'loss', kernel: 'f32_bce_logits_bwd__ref', args: [p('dx', 'f32', n), p('x', 'f32', n), p('t', 'f32', n), i('n'), f('scale')] },
  { name: 'bce_fwd', family: 'loss', kernel: 'f32_bce_fwd__ref', args: [p('loss', 'f32', one), p('p', 'f32', n), p('t', 'f32', n), i('n'), f('scale')] },
  { name: 'bce_bwd', family: 'loss', kernel: 'f32_bce_bwd__ref', args: [p('dp', 'f32', n), p('p', 'f32', n), p('t', 'f32', n), i('n'), f('scale')] },
  // optim
  { name: 'sgd', family: 'optim', kernel: 'f32_sgd__simd',
    args: [p('w', 'f32', n), p('g', 'f32', n), p('b', 'f32', n), p('hp', 'f32', () => HP_WORDS.sgd), i('n')] },
  { name: 'rmsprop', family: 'optim', kernel: 'f32_rmsprop__simd',
    args: [p('w', 'f32', n), p('g', 'f32', n), p('v', 'f32', n), p('b', 'f32', n), p('ga', 'f32', n), p('hp', 'f32', () => HP_WORDS.rmsprop), i('n')] },
  { name: 'adam', family: 'optim', kernel: 'f32_adam__simd',
    args: [p('w', 'f32', n), p('g', 'f32', n), p('m', 'f32', n), p('v', 'f32', n), p('vmax', 'f32', n), p('hp', 'f32', () => HP_WORDS.adam), i('n')] },
  { name: 'clip_value', family: 'optim', kernel: 'f32_clip__ref', args: [p('g', 'f32', n), f('c'), i('n')] },
  { name: 'clip_norm', family: 'optim', kernel: 'f32_clip_norm__ref', args: [p('g', 'f32', n), p('ss', 'f32', one), f('maxNorm'), i('n')] },
  // gemm
  { name: 'gemm', family: 'gemm', kernel: 'f32_gemm__simd',
    args: [p('c', 'f32', mn), p('a', 'f32', (d) => d.M * d.K), p('b', 'f32', (d) => d.K * d.N),
      p('scratch', 'f32', (d) => gemmScratchFloats(d.M, d.N, d.K)), i('M'), i('N'), i('K'), i('transA'), i('transB'), i('accumulate')],
    validate: flag('transA', 'transB', 'accumulate') },
  { name: 'bias_add', family: 'gemm', kernel: 'f32_bias_add__simd', args: [p('y', 'f32', mn), p('b', 'f32', (d) => d.N), i('M'), i('N')] },
  { name: 'bias_grad', family: 'gemm', kernel: 'f32_bias_grad__simd', args: [p('db', 'f32', (d) => d.N), p('dy', 'f32', mn), i('M'), i('N')] },
  // conv (assembly/kernels/conv.ts): x (N, H, W, C), w (KH, KW, C/groups, OC), y (N, OH, OW, OC), NHWC
  { name: 'conv2d_fwd', family: 'conv', kernel: 'f32_conv2d_fwd__simd',
    args: [p('y', 'f32', convY), p('x', 'f32', convX), p('w', 'f32', convW), p('scratch', 'f32', conv2dScratchFloats), ...convDimArgs()], validate: convValidate },
  { name: 'conv2d_bwd_x', family: 'conv', kernel: 'f32_conv2d_bwd_x__simd',
    args: [p('dx', 'f32', convX), p('dy', 'f32', convY), p('w', 'f32', convW), p('scratch', 'f32', conv2dScratchFloats), ...convDimArgs()], validate: convValidate },
  { name: 'conv2d_bwd_w', family: 'conv', kernel: 'f32_conv2d_bwd_w__simd',
    args: [p('dw', 'f32', convW), p('dy', 'f32', convY), p('x', 'f32', convX), p('scratch', 'f32', conv2dScratchFloats), ...convDimArgs()], validate: convValidate },
  // pool (assembly/kernels/pool.ts): x (N, H, W, C), y (N, OH, OW, C), NHWC; 1D = H 1, KH 1
  { name: 'maxpool2d_fwd', family: 'pool', kernel: 'f32_maxpool2d_fwd__simd',
    args: [p('y', 'f32', poolY), p('idx', 'i32', poolY), p('x', 'f32', convX), ...poolDims(true)], validate: poolValidate },
  { name: 'maxpool2d_bwd', family: 'pool', kernel: 'f32_maxpool2d_bwd__simd',
    args: [p('dx', 'f32', convX), p('dy', 'f32', poolY), p('idx', 'i32', poolY), ...poolDims(true)], validate: poolValidate },
  { name: 'avgpool2d_fwd', family: 'pool', kernel: 'f32_avgpool2d_fwd__simd',
    args: [p('y', 'f32', poolY), p('x', 'f32', convX), ...poolDims(false), i('countIncludePad')], validate: poolValidate },
  { name: 'avgpool2d_bwd', family: 'pool', kernel: 'f32_avgpool2d_bwd__simd',
    args: [p('dx', 'f32', convX), p('dy', 'f32', poolY), ...poolDims(false), i('countIncludePad')], validate: poolValidate },
  { name: 'global_avgpool_fwd', family: 'pool', kernel: 'f32_global_avgpool_fwd__simd',
    args: [p('y', 'f32', (d) => d.N * d.C), p('x', 'f32', (d) => d.N * d.HW * d.C), i('N'), i('HW'), i('C')], validate: (d) => sizesValidate(d, ['N', 'HW', 'C']) },
  { name: 'global_avgpool_bwd', family: 'pool', kernel: 'f32_global_avgpool_bwd__simd',
    args: [p('dx', 'f32', (d) => d.N * d.HW * d.C), p('dy', 'f32', (d) => d.N * d.C), i('N'), i('HW'), i('C')], validate: (d) => sizesValidate(d, ['N', 'HW', 'C']) },
  { name: 'zeropad2d_fwd', family: 'pool', kernel: 'f32_zeropad2d_fwd__simd',
    args: [p('y', 'f32', padY), p('x', 'f32', convX), ...padDims()], validate: (d) => sizesValidate(d, ['N', 'H', 'W', 'C']) },
  { name: 'zeropad2d_bwd', family: 'pool', kernel: 'f32_zeropad2d_bwd__simd',
    args: [p('dx', 'f32', convX), p('dy', 'f32', padY), ...padDims()], validate: (d) => sizesValidate(d, ['N', 'H', 'W', 'C']) },
  // act_mobile (assembly/kernels/act_mobile.ts): elementwise, backward reads the saved input x
  { name: 'relu6_fwd', family: 'act_mobile', kernel: 'f32_relu6_fwd__simd', args: [p('y', 'f32', n), p('x', 'f32', n), i('n')] },
  { name: 'relu6_bwd', family: 'act_mobile', kernel: 'f32_relu6_bwd__simd', args: [p('dx', 'f32', n), p('dy', 'f32', n), p('x', 'f32', n), i('n')] },
  { name: 'hardsigmoid_fwd', family: 'act_mobile', kernel: 'f32_hardsigmoid_fwd__simd', args: [p('y', 'f32', n), p('x', 'f32', n), i('n')] },
  { name: 'hardsigmoid_bwd', family: 'act_mobile', kernel: 'f32_hardsigmoid_bwd__simd', args: [p('dx', 'f32', n), p('dy', 'f32', n), p('x', 'f32', n), i('n')] },
  { name: 'hardswish_fwd', family: 'act_mobile', kernel: 'f32_hardswish_fwd__simd', args: [p('y', 'f32', n), p('x', 'f32', n), i('n')] },
  { name: 'hardswish_bwd', family: 'act_mobile', kernel: 'f32_hardswish_bwd__simd', args: [p('dx', 'f32', n), p('dy', 'f32', n), p('x', 'f32', n), i('n')] },
  // norm (assembly/kernels/norm.ts): batch norm per channel over the M = N*H*W rows of (M, C)
  { name: 'batchnorm_fwd_train', family: 'norm', kernel: 'f32_batchnorm_fwd_train__simd',
    args: [p('y', 'f32', bnMC), p('saveMean', 'f32', bnC), p('saveInvstd', 'f32', bnC), p('runMean', 'f32', bnC), p('runVar', 'f32', bnC),
      p('x', 'f32', bnMC), p('gamma', 'f32', bnC), p('beta', 'f32', bnC), i('M'), i('C'), f('eps'), f('momentum')], validate: bnValidate(2) },
  { name: 'batchnorm_fwd_eval', family: 'norm', kernel: 'f32_batchnorm_fwd_eval__simd',
    args: [p('y', 'f32', bnMC), p('x', 'f32', bnMC), p('gamma', 'f32', bnC), p('beta', 'f32', bnC), p('runMean', 'f32', bnC), p('runVar', 'f32', bnC),
      i('M'), i('C'), f('eps')], validate: bnValidate(1) },
  { name: 'batchnorm_bwd', family: 'norm', kernel: 'f32_batchnorm_bwd__simd',
    args: [p('dx', 'f32', bnMC), p('dgamma', 'f32', bnC), p('dbeta', 'f32', bnC), p('dy', 'f32', bnMC), p('x', 'f32', bnMC),
      p('saveMean', 'f32', bnC), p('saveInvstd', 'f32', bnC), p('gamma', 'f32', bnC), p('scratch', 'f32', (d) => 2 * d.C), i('M'), i('C')], validate: bnValidate(1) },
  { name: 'batchnorm_bwd_eval', family: 'norm', kernel: 'f32_batchnorm_bwd_eval__simd',
    args: [p('dx', 'f32', bnMC), p('dgamma', 'f32', bnC), p('dbeta', 'f32', bnC), p('dy', 'f32', bnMC), p('x', 'f32', bnMC),
      p('gamma', 'f32', bnC), p('runMean', 'f32', bnC), p('runVar', 'f32', bnC), i('M'), i('C'), f('eps')], validate: bnValidate(1) },
  // q8 (assembly/kernels/q8.ts): int8 Dense. W packed once at load (qs8_pack_w), then qs8_gemm per call.
  // The __relaxed kernels are the best the build has (in the SIMD build they are the __simd ones).
  // qp: quantization parameters block (zero points are negative, plan integers are not): q8GemmParams / q8QuantParams.
  { name: 'qs8_pack_w', family: 'q8', kernel: 'qs8_pack_w__relaxed',
    args: [p('wp', 'u8', (d) => q8PackedBytes(d.N, d.K)), p('w', 'i8', (d) => d.N * d.K), p('bias', 'i32', (d) => d.N), p('sw', 'f32', (d) => d.N), i('N'), i('K')] },
  { name: 'qs8_gemm', family: 'q8', kernel: 'qs8_gemm_fwd_qp__relaxed',
    args: [p('c', 'i8', mn), p('a', 'i8', (d) => d.M * d.K), p('wp', 'u8', (d) => q8PackedBytes(d.N, d.K)), p('scratch', 'u8', (d) => q8ScratchBytes(d.M, d.N, d.K)),
      p('qp', 'x32', () => 6), i('M'), i('N'), i('K')] },
  { name: 'qs8_quantize', family: 'q8', kernel: 'qs8_quantize_qp__simd', args: [p('y', 'i8', n), p('x', 'f32', n), p('qp', 'x32', () => 2), i('n')] },
  { name: 'qs8_dequantize', family: 'q8', kernel: 'qs8_dequantize_qp__simd', args: [p('y', 'f32', n), p('x', 'i8', n), p('qp', 'x32', () => 2), i('n')] },
  // rnn (assembly/kernels/rnn.ts, rnn_gru.ts): time-major x (T, N, I), PyTorch gate layouts; cell 0 RNN, 1 LSTM, 2 GRU
  { name: 'rnn_fwd', family: 'rnn', kernel: 'f32_rnn_fwd__simd', args: rnnArgs(0, 'hs x h0 w_ih w_hh b_ih b_hh scratch'), validate: rnnValidate },
  { name: 'rnn_bwd', family: 'rnn', kernel: 'f32_rnn_bwd__simd',
    args: rnnArgs(0, 'dx dw_ih dw_hh db_ih db_hh dh0 dhs x h0 hs w_ih w_hh scratch'), validate: rnnValidate },
  { name: 'lstm_fwd', family: 'rnn', kernel: 'f32_lstm_fwd__simd', args: rnnArgs(1, 'hs cs gates x h0 c0 w_ih w_hh b_ih b_hh scratch'), validate: rnnValidate },
  { name: 'lstm_bwd', family: 'rnn', kernel: 'f32_lstm_bwd__simd',
    args: rnnArgs(1, 'dx dw_ih dw_hh db_ih db_hh dh0 dc0 dhs dcT x h0 c0 hs cs gates w_ih w_hh scratch'), validate: rnnValidate },
  { name: 'gru_fwd', family: 'rnn', kernel: 'f32_gru_fwd__simd', args: rnnArgs(2, 'hs gates hn x h0 w_ih w_hh b_ih b_hh scratch'), validate: rnnValidate },
  { name: 'gru_bwd', family: 'rnn', kernel: 'f32_gru_bwd__simd',
    args: rnnArgs(2, 'dx dw_ih dw_hh db_ih db_hh dh0 dhs x h0 hs gates hn w_ih w_hh scratch'), validate: rnnValidate },
  { name: 'reverse_time', family: 'rnn', kernel: 'x32_reverse_time__simd',
    args: [p('y', 'x32', (d) => d.T * d.F), p('x', 'x32', (d) => d.T * d.F), i('T'), i('F')], validate: (d) => sizesValidate(d, ['T', 'F']) },
  // layout (assembly/kernels/layout.ts): 32-bit moves for layer plumbing (batch-major ⇄ time-major, slices, concat halves)
  { name: 'transpose_01', family: 'layout', kernel: 'x32_transpose_01__simd',
    args: [p('y', 'x32', (d) => d.A * d.B * d.F), p('x', 'x32', (d) => d.A * d.B * d.F), i('A'), i('B'), i('F')], validate: (d) => sizesValidate(d, ['A', 'B', 'F']) },
  { name: 'copy_strided', family: 'layout', kernel: 'x32_copy_strided__simd', args: stridedArgs('x32'), validate: stridedValidate },
  // augment (assembly/kernels/augment.ts): seeded training-time augmentation, images (N, H, W, C), sequences (N, T, F)
  { name: 'random_flip', family: 'augment', kernel: 'f32_random_flip_fwd__simd',
    args: [p('y', 'f32', convX), p('x', 'f32', convX), p('state', 'x32', () => 4), ...augImageDims(), i('flipH'), i('flipV')], validate: (d) => augImageValidate(d) ?? flag('flipH', 'flipV')(d) },
  { name: 'random_translate', family: 'augment', kernel: 'f32_random_translate_fwd__simd',
    args: [p('y', 'f32', convX), p('x', 'f32', convX), p('state', 'x32', () => 4), ...augImageDims(), i('maxDy'), i('maxDx')], validate: augImageValidate },
  { name: 'random_rotate', family: 'augment', kernel: 'f32_random_rotate_fwd__simd',
    args: [p('y', 'f32', convX), p('x', 'f32', convX), p('state', 'x32', () => 4), ...augImageDims(), f('maxAngle')],
    validate: (d) => augImageValidate(d) ?? (d.maxAngle >= 0 && d.maxAngle <= Math.PI ? null : `maxAngle must be in [0, pi] radians, got ${d.maxAngle}`) },
  { name: 'gaussian_noise', family: 'augment', kernel: 'f32_gaussian_noise_fwd__ref',
    args: [p('y', 'f32', n), p('x', 'f32', n), p('state', 'x32', () => 4), i('n'), f('std')], validate: (d) => (d.std >= 0 ? null : `noise std must be >= 0, got ${d.std}`) },
  { name: 'brightness_contrast', family: 'augment', kernel: 'f32_brightness_contrast_fwd__simd',
    args: [p('y', 'f32', convX), p('m', 'f32', (d) => d.N * d.C), p('x', 'f32', convX), p('state', 'x32', () => 4), ...augImageDims(),
      f('maxDelta'), f('maxContrast'), f('lo'), f('hi')],
    validate: (d) => augImageValidate(d) ?? (!(d.maxDelta >= 0) ? `maxDelta must be >= 0, got ${d.maxDelta}` : !(d.maxContrast >= 0 && d.maxContrast <= 1)
      ? `maxContrast must be in [0, 1], got ${d.maxContrast}` : !(d.lo <= d.hi) ? `clip range [${d.lo}, ${d.hi}] is empty` : null) },
  { name: 'seq_scale_fwd', family: 'augment', kernel: 'f32_seq_scale_fwd__simd',
    args: [p('y', 'f32', seqX), p('s', 'f32', (d) => d.N * d.F), p('x', 'f32', seqX), p('state', 'x32', () => 4), i('N'), i('T'), i('F'), f('sigma')],
    validate: (d) => sizesValidate(d, ['N', 'T', 'F']) ?? (d.sigma >= 0 ? null : `scale sigma must be >= 0, got ${d.sigma}`) },
  { name: 'seq_scale_bwd', family: 'augment', kernel: 'f32_seq_scale_bwd__simd',
    args: [p('dx', 'f32', seqX), p('dy', 'f32', seqX), p('s', 'f32', (d) => d.N * d.F), i('N'), i('T'), i('F')], validate: (d) => sizesValidate(d, ['N', 'T', 'F']) },
  // q8_conv, q8_dyn (assembly/kernels/q8_conv.ts, q8_dyn.ts): int8 CNN layers (src/quant). x (N, H, W, C) i8, NHWC; conv W packed
  // by qs8_pack_w as (OC, KH*KW*C); depthwise w (KH, KW, OC) i8; qp blocks as the q8 ops (q8GemmParams / q8QuantParams).
  { name: 'qs8_conv2d', family: 'q8_conv', kernel: 'qs8_conv2d_fwd_qp__relaxed',
    args: [p('y', 'i8', convY), p('x', 'i8', convX), p('wp', 'u8', (d) => q8PackedBytes(d.OC, d.KH * d.KW * d.C)), p('scratch', 'u8', q8ConvScratchBytes),
      p('qp', 'x32', () => 6), ...q8ConvDims()], validate: q8ConvValidate },
  { name: 'qs8_dwconv2d', family: 'q8_conv', kernel: 'qs8_dwconv2d_fwd_qp__simd',
    args: [p('y', 'i8', convY), p('x', 'i8', convX), p('w', 'i8', (d) => d.KH * d.KW * d.OC), p('bias', 'i32', (d) => d.OC), p('sw', 'f32', (d) => d.OC),
      p('qp', 'x32', () => 6), ...q8ConvDims()], validate: (d) => q8ConvValidate(d) ?? (d.OC % d.C ? `depthwise: OC=${d.OC} must be a multiple of C=${d.C}` : null) },
  { name: 'qs8_maxpool2d', family: 'q8_conv', kernel: 'qs8_maxpool2d_fwd__simd', args: [p('y', 'i8', poolY), p('x', 'i8', convX), ...poolDims(false)], validate: poolValidate },
  { name: 'qs8_quantize_dynamic', family: 'q8_dyn', kernel: 'qs8_quantize_dynamic__simd', args: [p('y', 'i8', n), p('qp', 'x32', () => 2), p('x', 'f32', n), i('n')] },
  { name: 'qs8_gemm_f32', family: 'q8_dyn', kernel: 'qs8_gemm_f32_fwd_qp__relaxed',
    args: [p('c', 'f32', mn), p('a', 'i8', (d) => d.M * d.K), p('wp', 'u8', (d) => q8PackedBytes(d.N, d.K)), p('scratch', 'u8', (d) => q8F32ScratchBytes(d.M, d.N, d.K)),
      p('qp', 'x32', () => 2), i('M'), i('N'), i('K')] },
  // graph plumbing (assembly/kernels/layout.ts): a concatenation's gradient added back into one input
  { name: 'add_strided', family: 'layout', kernel: 'f32_add_strided__simd', args: stridedArgs('f32'), validate: stridedValidate },
  // merge (assembly/kernels/merge.ts): x (B, P, C) times a gate g (B, G), G = C or 1
  { name: 'mul_bcast_fwd', family: 'merge', kernel: 'f32_mul_bcast_fwd__simd', args: [p('y', 'f32', bpc), p('x', 'f32', bpc), p('g', 'f32', bg), ...bcastDims], validate: bcastValidate },
  { name: 'mul_bcast_bwd_x', family: 'merge', kernel: 'f32_mul_bcast_bwd_x__simd', args: [p('dx', 'f32', bpc), p('dy', 'f32', bpc), p('g', 'f32', bg), ...bcastDims], validate: bcastValidate },
  { name: 'mul_bcast_bwd_g', family: 'merge', kernel: 'f32_mul_bcast_bwd_g__simd', args: [p('dg', 'f32', bg), p('dy', 'f32', bpc), p('x', 'f32', bpc), ...bcastDims], validate: bcastValidate },
  // layout (assembly/kernels/layout.ts): per-sample runs copied or filled: slices, gathers, padding (Pad2D, Slice layers)
  { name: 'gather_runs_fwd', family: 'layout', kernel: 'f32_gather_runs_fwd__simd',
    args: [p('y', 'f32', (d) => d.N * d.J), p('x', 'f32', (d) => d.N * d.S), p('runs', 'i32', (d) => 2 * d.R), i('N'), i('S'), i('J'), i('R'), f('value')],
    validate: (d) => sizesValidate(d, ['N', 'S', 'J', 'R']) },
  { name: 'gather_runs_bwd', family: 'layout', kernel: 'f32_gather_runs_bwd__simd',
    args: [p('dx', 'f32', (d) => d.N * d.S), p('dy', 'f32', (d) => d.N * d.J), p('runs', 'i32', (d) => 2 * d.R), i('N'), i('S'), i('J'), i('R')],
    validate: (d) => sizesValidate(d, ['N', 'S', 'J', 'R']) },
  // q8_add (assembly/kernels/q8_add.ts): int8 residual add, each tensor with its own scale and zero point; qp: q8AddParams
  { name: 'qs8_add', family: 'q8_add', kernel: 'qs8_add_qp__simd', args: [p('y', 'i8', n), p('a', 'i8', n), p('b', 'i8', n), p('qp', 'x32', () => 8), i('n')] },
  // pool (assembly/kernels/pool.ts): int8 ZeroPadding2D, padded with the zero point's byte fill = zp & 255
  { name: 'qs8_zeropad2d', family: 'pool', kernel: 'qs8_zeropad2d_fwd__simd', args: [p('y', 'i8', padY), p('x', 'i8', convX), ...padDims(), i('fill')],
    validate: (d) => sizesValidate(d, ['N', 'H', 'W', 'C']) ?? (d.fill <= 255 ? null : `fill must be a byte (zero point & 255), got ${d.fill}`) },
];

export const OPS: readonly OpSpec[] = defs.map((d, k) => ({ ...d, code: k + 1 }));
export const OP_BY_NAME: ReadonlyMap<string, OpSpec> = new Map(OPS.map((o) => [o.name, o]));

/** FNV-1a hash of an op list's signatures. */
export function opsHash(ops: readonly OpSpec[]): number {
  let h = 0x811c9dc5;
  const text = ops.map((o) => `${o.code}:${o.name}:${o.kernel}:${o.args.map((a) => (a.kind === 'ptr' ? `*${a.dtype}` : a.kind)).join(',')}`).join(';');
  for (let k = 0; k < text.length; k++) h = Math.imul(h ^ text.charCodeAt(k), 0x01000193) >>> 0;
  return h;
}
// NOTE: the Node bundles define AXON_OPS_HASH as opsHash(OPS) computed at build time from this
// same file (scripts/build.mjs): the loop costs ~2 ms of every cold start when run unoptimized.
declare const AXON_OPS_HASH: number | undefined;
/** opsHash(OPS); the wasm build carries the same number (ops_hash()). */
export const OPS_HASH: number = typeof AXON_OPS_HASH === 'number' ? AXON_OPS_HASH : opsHash(OPS);

export function opByName(name: string): OpSpec {
  const o = OP_BY_NAME.get(name);
  if (!o) throw new Error(`unknown op "${name}"`);
  return o;
}

// ---- conv geometry (assembly/kernels/conv.ts): NHWC, explicit pads (top, left, bottom, right) ----

/** Output height/width: floor((in + pads - dil*(k-1) - 1) / stride) + 1 per axis. */
export function convOut(d: Dims): { OH: number; OW: number } {
  return {
    OH: Math.floor((d.H + d.padT + d.padB - (d.dilH ?? 1) * (d.KH - 1) - 1) / d.strideH) + 1,
    OW: Math.floor((d.W + d.padL + d.padR - (d.dilW ?? 1) * (d.KW - 1) - 1) / d.strideW) + 1,
  };
}
function convX(d: Dims): number { return d.N * d.H * d.W * d.C; }
function convY(d: Dims): number { const { OH, OW } = convOut(d); return d.N * OH * OW * d.OC; }
function convW(d: Dims): number { return d.KH * d.KW * (d.C / d.groups) * d.OC; }
function convDimArgs(): ArgSpec[] {
  return ['N', 'H', 'W', 'C', 'OC', 'KH', 'KW', 'strideH', 'strideW', 'padT', 'padL', 'padB', 'padR', 'dilH', 'dilW', 'groups'].map(i);
}

/** Sizes >= 1 and a (dilated) kernel that fits the padded input; shared by conv and pooling. */
function windowValidate(d: Dims, sizes: string[]): string | null {
  for (const k of sizes) if (!(d[k] >= 1)) return `${k} must be at least 1, got ${d[k]}`;
  const dh = d.dilH ?? 1, dw = d.dilW ?? 1;
  const eh = dh * (d.KH - 1) + 1, ew = dw * (d.KW - 1) + 1, ph = d.H + d.padT + d.padB, pw = d.W + d.padL + d.padR;
  if (eh > ph || ew > pw) {
    return `kernel ${d.KH}x${d.KW} (dilation ${dh}x${dw}, spanning ${eh}x${ew}) is larger than the padded input ${ph}x${pw} ` +
      `(H=${d.H} + padT=${d.padT} + padB=${d.padB}, W=${d.W} + padL=${d.padL} + padR=${d.padR}); use a smaller kernel or dilation, or more padding`;
  }
  return null;
}

function convValidate(d: Dims): string | null {
  const bad = windowValidate(d, ['N', 'H', 'W', 'C', 'OC', 'KH', 'KW', 'strideH', 'strideW', 'dilH', 'dilW', 'groups']);
  if (bad) return bad;
  if (d.C % d.groups) return `input channels C=${d.C} are not divisible by groups=${d.groups}`;
  if (d.OC % d.groups) return `output channels OC=${d.OC} are not divisible by groups=${d.groups}`;
  return null;
}

/** Floats of scratch the conv2d __simd kernels need (mirrors conv2d_scratch_floats in assembly/kernels/conv.ts). */
export function conv2dScratchFloats(d: Dims, g: (M: number, N: number, K: number) => number = gemmScratchFloats): number {
  if (d.groups !== 1) return 0;
  const { OH, OW } = convOut(d), M = d.N * OH * OW, C = d.C, OC = d.OC;
  if (d.KH === 1 && d.KW === 1 && d.strideH === 1 && d.strideW === 1 && d.padT + d.padL + d.padB + d.padR === 0) {
    return Math.max(g(M, OC, C), g(M, C, OC), g(C, OC, M));
  }
  const K = d.KH * d.KW * C, mb = Math.min(M, Math.max(8, Math.min(256, Math.floor(2 ** 18 / K))));
  const col = Math.ceil(mb * K / 4) * 4 + Math.max(g(mb, OC, K), g(mb, K, OC), g(K, OC, mb));
  if (K > 256 || OC > 512) return col;
  // implicit GEMM forward (assembly/kernels/conv_igemm.ts): 8-wide weight panels, zeros, a tile, tap offsets, padded image
  const Hp = (OH - 1) * d.strideH + (d.KH - 1) * d.dilH + 1, Wp = (OW - 1) * d.strideW + (d.KW - 1) * d.dilW + 1;
  const needPad = d.padT > 0 || d.padL > 0 || Hp > d.H || Wp > d.W;
  const pad = needPad && Hp * Wp * C <= 2 ** 16 ? Hp * Wp * C : 0;
  return Math.max(col, K * Math.ceil(OC / 8) * 8 + Math.ceil(C / 4) * 4 + 32 + Math.ceil(K / 4) * 4 + pad);
}

// ---- pool geometry (assembly/kernels/pool.ts): conv's geometry without OC and groups; AvgPool has no dilation ----

function poolY(d: Dims): number { const { OH, OW } = convOut(d); return d.N * OH * OW * d.C; }
function poolDims(dilated: boolean): ArgSpec[] {
  return ['N', 'H', 'W', 'C', 'KH', 'KW', 'strideH', 'strideW', 'padT', 'padL', 'padB', 'padR', ...(dilated ? ['dilH', 'dilW'] : [])].map(i);
}
function padY(d: Dims): number { return d.N * (d.H + d.padT + d.padB) * (d.W + d.padL + d.padR) * d.C; }
function padDims(): ArgSpec[] { return ['N', 'H', 'W', 'C', 'padT', 'padL', 'padB', 'padR'].map(i); }
function sizesValidate(d: Dims, sizes: string[]): string | null {
  for (const k of sizes) if (!(d[k] >= 1)) return `${k} must be at least 1, got ${d[k]}`;
  return null;
}

/** Window fits the padded input, and each pad is at most half the (dilated) window, as PyTorch requires. */
function poolValidate(d: Dims): string | null {
  const dil = 'dilH' in d ? ['dilH', 'dilW'] : [];
  const bad = windowValidate(d, ['N', 'H', 'W', 'C', 'KH', 'KW', 'strideH', 'strideW', ...dil]);
  if (bad) return bad;
  const eh = (d.dilH ?? 1) * (d.KH - 1) + 1, ew = (d.dilW ?? 1) * (d.KW - 1) + 1;
  for (const [pad, win, what] of [[d.padT, eh, 'height'], [d.padB, eh, 'height'], [d.padL, ew, 'width'], [d.padR, ew, 'width']] as const) {
    if (pad > Math.floor(win / 2)) return `padding ${pad} is more than half the window ${what} ${win}; windows would lie entirely in the padding`;
  }
  if ('countIncludePad' in d) return flag('countIncludePad')(d);
  return null;
}

// ---- batch norm (assembly/kernels/norm.ts) ----

function bnMC(d: Dims): number { return d.M * d.C; }
function bnC(d: Dims): number { return d.C; }
/** Training needs at least 2 rows per channel (unbiased running variance), as PyTorch. */
function bnValidate(minRows: number): (d: Dims) => string | null {
  return (d) => {
    if (!(d.C >= 1)) return `C must be at least 1, got ${d.C}`;
    if (!(d.M >= minRows)) return minRows > 1
      ? `batch norm in training needs at least 2 values per channel (M = N*H*W rows), got M=${d.M}; use a larger batch or eval mode`
      : `M must be at least 1, got ${d.M}`;
    if ('eps' in d && !(d.eps > 0)) return `eps must be positive, got ${d.eps}`;
    if ('momentum' in d && !(d.momentum >= 0 && d.momentum <= 1)) return `momentum must be in [0, 1] (PyTorch convention; Keras momentum k is 1 - k), got ${d.momentum}`;
    return null;
  };
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
const isZp = (z: number) => Number.isInteger(z) && z >= -128 && z <= 127;
const isScale = (s: number) => s > 0 && Number.isFinite(s) && Math.fround(s) > 0;
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

function rnnGates(cell: number): number { return [1, 4, 3][cell]; }
/** Pointer args named by role: sequences (T, N, ·), states (N, H), weights (G*H, ·), biases (G*H), scratch. */
function rnnArgs(cell: number, names: string): ArgSpec[] {
  const G = rnnGates(cell);
  const len: Record<string, (d: Dims) => number> = {
    x: (d) => d.T * d.N * d.I, hs: (d) => d.T * d.N * d.H, state: (d) => d.N * d.H, gates: (d) => d.T * d.N * G * d.H,
    w_ih: (d) => G * d.H * d.I, w_hh: (d) => G * d.H * d.H, b: (d) => G * d.H, scratch: (d) => rnnScratchFloats(cell, d),
  };
  const role = (nm: string) => {
    const r = nm.replace(/^d(?=[xwbhc])/, '');
    if (r === 'x' || r === 'w_ih' || r === 'w_hh' || r === 'gates' || r === 'scratch') return r;
    if (r === 'hs' || r === 'cs' || r === 'hn') return 'hs';
    if (r === 'h0' || r === 'c0' || r === 'cT') return 'state';
    return 'b';
  };
  return [...names.split(' ').map((nm) => p(nm, 'f32', len[role(nm)])), ...['T', 'N', 'I', 'H'].map(i)];
}
function rnnValidate(d: Dims): string | null { return sizesValidate(d, ['T', 'N', 'I', 'H']); }

/** Floats of scratch the recurrent kernels need, fwd and bwd (mirrors rnn_scratch_floats in assembly/kernels/rnn.ts). */
export function rnnScratchFloats(cell: number, d: Dims, g: (M: number, N: number, K: number) => number = gemmScratchFloats): number {
  const GH = rnnGates(cell) * d.H, TN = d.T * d.N, NH = d.N * d.H, H = d.H, up4 = (v: number) => Math.ceil(v / 4) * 4;
  const gs = Math.max(g(TN, GH, d.I), g(d.N, GH, H), g(d.N, H, GH), g(TN, d.I, GH), g(GH, d.I, TN), g(GH, H, d.N), g(GH, H, (d.T - 1) * d.N));
  const extra = cell === 1 ? up4(TN * GH) + 2 * up4(NH) : cell === 2 ? Math.max(up4(d.N * GH), 2 * up4(TN * GH) + up4(NH)) : up4(TN * H) + up4(NH);
  return extra + gs;
}

// ---- augmentation (assembly/kernels/augment.ts) ----

function augImageDims(): ArgSpec[] { return ['N', 'H', 'W', 'C'].map(i); }
function augImageValidate(d: Dims): string | null { return sizesValidate(d, ['N', 'H', 'W', 'C']); }
function seqX(d: Dims): number { return d.N * d.T * d.F; }

// ---- int8 convolution and dynamic GEMM (assembly/kernels/q8_conv.ts, q8_dyn.ts) ----

function q8ConvDims(): ArgSpec[] { return ['N', 'H', 'W', 'C', 'OC', 'KH', 'KW', 'strideH', 'strideW', 'padT', 'padL', 'padB', 'padR', 'dilH', 'dilW'].map(i); }
function q8ConvValidate(d: Dims): string | null { return windowValidate(d, ['N', 'H', 'W', 'C', 'OC', 'KH', 'KW', 'strideH', 'strideW', 'dilH', 'dilW']); }
/** Scratch bytes of qs8_conv2d (mirrors qs8_conv2d_scratch_bytes in assembly/kernels/q8_conv.ts). */
export function q8ConvScratchBytes(d: Dims): number {
  const { OH, OW } = convOut(d), M = d.N * OH * OW;
  if (d.KH === 1 && d.KW === 1 && d.strideH === 1 && d.strideW === 1 && d.padT + d.padL + d.padB + d.padR === 0) return q8ScratchBytes(M, d.OC, d.C);
  const K = d.KH * d.KW * d.C, mb = Math.min(M, Math.max(4, Math.min(256, Math.floor(2 ** 18 / Math.max(K, 1)))));
  return Math.ceil((mb * K) / 16) * 16 + q8ScratchBytes(mb, d.OC, K);
}
/** Scratch bytes of qs8_gemm_f32 (mirrors qs8_gemm_f32_scratch_bytes in assembly/kernels/q8_dyn.ts). */
export function q8F32ScratchBytes(M: number, N: number, K: number): number { return q8ScratchBytes(M, N, K) + 64; }
