// THE op registry: the single list of plan ops. The plan builder validates instructions against
// it, the build generates the wasm interpreter's dispatch from it (scripts/gen-dispatch.mjs), and
// tests iterate over it. Adding an op = one entry here + its kernels in assembly/kernels/<family>.ts.
// NOTE: an op's code is its position + 1: append only, never reorder (plans store codes).

import type { Dtype } from './op_types.js';
import { Op, type Def, type OpSpec } from './op_spec.js';
export type { ArgSpec, Dims, Dtype, NumArg, PtrArg } from './op_types.js';
export { specKey, type OpSpec } from './op_spec.js';

export const DTYPE_BYTES: Record<Dtype, number> = { f32: 4, i32: 4, x32: 4, u8: 1, i8: 1 };
import { p, i, f, flags, sizes, rule, n, rc, mn, stridedArgs, stridedRules, bpc, bg, bcastDims, bcastRules, convX, convY, convW, convScratch, convDimArgs, convRules, poolY, poolDims, poolRules, padY, padDims, bnMC, bnC, bnRules, rnnArgs, rnnRules, augImageDims, augImageRules, seqX, q8ConvDims, q8ConvRules, q8ConvScratch } from './op_args.js';
// the extent helpers layers and the runtime size buffers with
export { gemmScratchFloats, convOut, conv2dScratchFloats, padFloats, q8PackedBytes, q8ScratchBytes, q8GemmParams, q8QuantParams, q8AddParams, rnnScratchFloats, q8ConvScratchBytes, q8F32ScratchBytes, q8GruScratchBytes } from './op_args.js';

/** Hyperparameter block sizes (f32 words) per optimizer kernel; layouts in assembly/kernels/optim.ts. */
export const HP_WORDS = { sgd: 7, rmsprop: 7, adam: 10 } as const;

const defs: Def[] = [
  // vec
  { name: 'fill', family: 'vec', kernel: 'f32_fill__simd', args: () => [p('y', 'f32', n), f('v'), i('n')] },
  { name: 'copy', family: 'vec', kernel: 'x32_copy__simd', args: () => [p('y', 'x32', n), p('x', 'x32', n), i('n')] },
  { name: 'scale', family: 'vec', kernel: 'f32_scale__simd', args: () => [p('y', 'f32', n), f('a'), i('n')] },
  { name: 'axpy', family: 'vec', kernel: 'f32_axpy__simd', args: () => [p('y', 'f32', n), p('x', 'f32', n), f('a'), i('n')] },
  { name: 'add', family: 'vec', kernel: 'f32_add__simd', args: () => [p('y', 'f32', n), p('a', 'f32', n), p('b', 'f32', n), i('n')] },
  { name: 'sumsq', family: 'vec', kernel: 'f32_sumsq__simd', args: () => [p('out', 'f32', '1'), p('x', 'f32', n), i('n')] },
  { name: 'check_finite', family: 'vec', kernel: 'f32_check_finite__simd', args: () => [p('x', 'f32', n), i('n')], check: true },
  // data
  { name: 'gather_rows', family: 'data', kernel: 'x32_gather_rows__simd',
    args: () => [p('y', 'x32', rc), p('x', 'x32', 'xrows * cols'), p('idx', 'i32', 'rows'), i('rows'), i('cols'), i('xrows')] },
  { name: 'gather_rows_u8', family: 'data', kernel: 'u8_gather_rows_f32__simd',
    args: () => [p('y', 'f32', rc), p('x', 'u8', 'xrows * cols'), p('idx', 'i32', 'rows'), i('rows'), i('cols'), i('xrows'), f('scale'), f('shift')] },
  { name: 'rng_uniform', family: 'data', kernel: 'rng_fill_uniform__ref', args: () => [p('out', 'f32', n), p('state', 'x32', '4'), i('n'), f('lo'), f('hi')] },
  { name: 'rng_normal', family: 'data', kernel: 'rng_fill_normal__ref', args: () => [p('out', 'f32', n), p('state', 'x32', '4'), i('n'), f('mean'), f('std')] },
  { name: 'dropout_fwd', family: 'data', kernel: 'f32_dropout_fwd__ref',
    args: () => [p('y', 'f32', n), p('mask', 'f32', n), p('x', 'f32', n), p('state', 'x32', '4'), i('n'), f('p')],
    rules: () => [rule('p >= 0 && p < 1', 'dropout rate must be in [0, 1), got {p}')] },
  { name: 'dropout_bwd', family: 'data', kernel: 'f32_dropout_bwd__simd', args: () => [p('dx', 'f32', n), p('dy', 'f32', n), p('mask', 'f32', n), i('n')] },
  // act
  { name: 'leaky_relu_fwd', family: 'act', kernel: 'f32_leaky_relu_fwd__simd', args: () => [p('y', 'f32', n), p('x', 'f32', n), i('n'), f('alpha')] },
  { name: 'leaky_relu_bwd', family: 'act', kernel: 'f32_leaky_relu_bwd__simd', args: () => [p('dx', 'f32', n), p('dy', 'f32', n), p('x', 'f32', n), i('n'), f('alpha')] },
  { name: 'sigmoid_fwd', family: 'act', kernel: 'f32_sigmoid_fwd__simd', args: () => [p('y', 'f32', n), p('x', 'f32', n), i('n')] },
  { name: 'sigmoid_bwd', family: 'act', kernel: 'f32_sigmoid_bwd__simd', args: () => [p('dx', 'f32', n), p('dy', 'f32', n), p('y', 'f32', n), i('n')] },
  { name: 'tanh_fwd', family: 'act', kernel: 'f32_tanh_fwd__simd', args: () => [p('y', 'f32', n), p('x', 'f32', n), i('n')] },
  { name: 'tanh_bwd', family: 'act', kernel: 'f32_tanh_bwd__simd', args: () => [p('dx', 'f32', n), p('dy', 'f32', n), p('y', 'f32', n), i('n')] },
  { name: 'softmax_fwd', family: 'act', kernel: 'f32_softmax_fwd__simd', args: () => [p('y', 'f32', rc), p('x', 'f32', rc), i('rows'), i('cols')] },
  { name: 'softmax_bwd', family: 'act', kernel: 'f32_softmax_bwd__simd', args: () => [p('dx', 'f32', rc), p('dy', 'f32', rc), p('y', 'f32', rc), i('rows'), i('cols')] },
  { name: 'log_softmax_fwd', family: 'act', kernel: 'f32_log_softmax_fwd__simd', args: () => [p('y', 'f32', rc), p('x', 'f32', rc), i('rows'), i('cols')] },
  { name: 'log_softmax_bwd', family: 'act', kernel: 'f32_log_softmax_bwd__simd', args: () => [p('dx', 'f32', rc), p('dy', 'f32', rc), p('y', 'f32', rc), i('rows'), i('cols')] },
  // loss
  { name: 'mse_fwd', family: 'loss', kernel: 'f32_mse_fwd__simd', args: () => [p('loss', 'f32', '1'), p('p', 'f32', n), p('t', 'f32', n), i('n'), f('scale')] },
  { name: 'mse_bwd', family: 'loss', kernel: 'f32_mse_bwd__simd', args: () => [p('dp', 'f32', n), p('p', 'f32', n), p('t', 'f32', n), i('n'), f('scale')] },
  { name: 'xent_logits_fwd', family: 'loss', kernel: 'f32_xent_logits_fwd__simd',
    args: () => [p('loss', 'f32', '1'), p('x', 'f32', rc), p('y', 'i32', 'rows'), i('rows'), i('cols'), f('scale')] },
  { name: 'xent_logits_bwd', family: 'loss', kernel: 'f32_xent_logits_bwd__simd',
    args: () => [p('dx', 'f32', rc), p('x', 'f32', rc), p('y', 'i32', 'rows'), i('rows'), i('cols'), f('scale')] },
  { name: 'bce_logits_fwd', family: 'loss', kernel: 'f32_bce_logits_fwd__ref', args: () => [p('loss', 'f32', '1'), p('x', 'f32', n), p('t', 'f32', n), i('n'), f('scale')] },
  { name: 'bce_logits_bwd', family: 'loss', kernel: 'f32_bce_logits_bwd__ref', args: () => [p('dx', 'f32', n), p('x', 'f32', n), p('t', 'f32', n), i('n'), f('scale')] },
  { name: 'bce_fwd', family: 'loss', kernel: 'f32_bce_fwd__ref', args: () => [p('loss', 'f32', '1'), p('p', 'f32', n), p('t', 'f32', n), i('n'), f('scale')] },
  { name: 'bce_bwd', family: 'loss', kernel: 'f32_bce_bwd__ref', args: () => [p('dp', 'f32', n), p('p', 'f32', n), p('t', 'f32', n), i('n'), f('scale')] },
  // optim
  { name: 'sgd', family: 'optim', kernel: 'f32_sgd__simd',
    args: () => [p('w', 'f32', n), p('g', 'f32', n), p('b', 'f32', n), p('hp', 'f32', `${HP_WORDS.sgd}`), i('n')] },
  { name: 'rmsprop', family: 'optim', kernel: 'f32_rmsprop__simd',
    args: () => [p('w', 'f32', n), p('g', 'f32', n), p('v', 'f32', n), p('b', 'f32', n), p('ga', 'f32', n), p('hp', 'f32', `${HP_WORDS.rmsprop}`), i('n')] },
  { name: 'adam', family: 'optim', kernel: 'f32_adam__simd',
    args: () => [p('w', 'f32', n), p('g', 'f32', n), p('m', 'f32', n), p('v', 'f32', n), p('vmax', 'f32', n), p('hp', 'f32', `${HP_WORDS.adam}`), i('n')] },
  { name: 'clip_value', family: 'optim', kernel: 'f32_clip__ref', args: () => [p('g', 'f32', n), f('c'), i('n')] },
  { name: 'clip_norm', family: 'optim', kernel: 'f32_clip_norm__ref', args: () => [p('g', 'f32', n), p('ss', 'f32', '1'), f('maxNorm'), i('n')] },
  // gemm
  { name: 'gemm', family: 'gemm', kernel: 'f32_gemm__simd',
    args: () => [p('c', 'f32', mn), p('a', 'f32', 'M * K'), p('b', 'f32', 'K * N'),
      p('scratch', 'f32', 'gemm_scratch(M, N, K)'), i('M'), i('N'), i('K'), i('transA'), i('transB'), i('accumulate')],
    rules: () => flags('transA', 'transB', 'accumulate') },
  { name: 'bias_add', family: 'gemm', kernel: 'f32_bias_add__simd', args: () => [p('y', 'f32', mn), p('b', 'f32', 'N'), i('M'), i('N')] },
  { name: 'bias_grad', family: 'gemm', kernel: 'f32_bias_grad__simd', args: () => [p('db', 'f32', 'N'), p('dy', 'f32', mn), i('M'), i('N')] },
  // conv (assembly/kernels/conv.ts): x (N, H, W, C), w (KH, KW, C/groups, OC), y (N, OH, OW, OC), NHWC
  { name: 'conv2d_fwd', family: 'conv', kernel: 'f32_conv2d_fwd__simd',
    args: () => [p('y', 'f32', convY), p('x', 'f32', convX), p('w', 'f32', convW), p('scratch', 'f32', convScratch), ...convDimArgs()], rules: convRules },
  { name: 'conv2d_bwd_x', family: 'conv', kernel: 'f32_conv2d_bwd_x__simd',
    args: () => [p('dx', 'f32', convX), p('dy', 'f32', convY), p('w', 'f32', convW), p('scratch', 'f32', convScratch), ...convDimArgs()], rules: convRules },
  { name: 'conv2d_bwd_w', family: 'conv', kernel: 'f32_conv2d_bwd_w__simd',
    args: () => [p('dw', 'f32', convW), p('dy', 'f32', convY), p('x', 'f32', convX), p('scratch', 'f32', convScratch), ...convDimArgs()], rules: convRules },
  // pool (assembly/kernels/pool.ts): x (N, H, W, C), y (N, OH, OW, C), NHWC; 1D = H 1, KH 1
  { name: 'maxpool2d_fwd', family: 'pool', kernel: 'f32_maxpool2d_fwd__simd',
    args: () => [p('y', 'f32', poolY), p('idx', 'i32', poolY), p('x', 'f32', convX), ...poolDims(true)], rules: () => poolRules(true) },
  { name: 'maxpool2d_bwd', family: 'pool', kernel: 'f32_maxpool2d_bwd__simd',
    args: () => [p('dx', 'f32', convX), p('dy', 'f32', poolY), p('idx', 'i32', poolY), ...poolDims(true)], rules: () => poolRules(true) },
  { name: 'avgpool2d_fwd', family: 'pool', kernel: 'f32_avgpool2d_fwd__simd',
    args: () => [p('y', 'f32', poolY), p('x', 'f32', convX), ...poolDims(false), i('countIncludePad')], rules: () => poolRules(false, true) },
  { name: 'avgpool2d_bwd', family: 'pool', kernel: 'f32_avgpool2d_bwd__simd',
    args: () => [p('dx', 'f32', convX), p('dy', 'f32', poolY), ...poolDims(false), i('countIncludePad')], rules: () => poolRules(false, true) },
  { name: 'global_avgpool_fwd', family: 'pool', kernel: 'f32_global_avgpool_fwd__simd',
    args: () => [p('y', 'f32', 'N * C'), p('x', 'f32', 'N * HW * C'), i('N'), i('HW'), i('C')], rules: () => sizes('N', 'HW', 'C') },
  { name: 'global_avgpool_bwd', family: 'pool', kernel: 'f32_global_avgpool_bwd__simd',
    args: () => [p('dx', 'f32', 'N * HW * C'), p('dy', 'f32', 'N * C'), i('N'), i('HW'), i('C')], rules: () => sizes('N', 'HW', 'C') },
  { name: 'zeropad2d_fwd', family: 'pool', kernel: 'f32_zeropad2d_fwd__simd',
    args: () => [p('y', 'f32', padY), p('x', 'f32', convX), ...padDims()], rules: () => sizes('N', 'H', 'W', 'C') },
  { name: 'zeropad2d_bwd', family: 'pool', kernel: 'f32_zeropad2d_bwd__simd',
    args: () => [p('dx', 'f32', convX), p('dy', 'f32', padY), ...padDims()], rules: () => sizes('N', 'H', 'W', 'C') },
  // act_mobile (assembly/kernels/act_mobile.ts): elementwise, backward reads the saved input x
  { name: 'relu6_fwd', family: 'act_mobile', kernel: 'f32_relu6_fwd__simd', args: () => [p('y', 'f32', n), p('x', 'f32', n), i('n')] },
  { name: 'relu6_bwd', family: 'act_mobile', kernel: 'f32_relu6_bwd__simd', args: () => [p('dx', 'f32', n), p('dy', 'f32', n), p('x', 'f32', n), i('n')] },
  { name: 'hardsigmoid_fwd', family: 'act_mobile', kernel: 'f32_hardsigmoid_fwd__simd', args: () => [p('y', 'f32', n), p('x', 'f32', n), i('n')] },
  { name: 'hardsigmoid_bwd', family: 'act_mobile', kernel: 'f32_hardsigmoid_bwd__simd', args: () => [p('dx', 'f32', n), p('dy', 'f32', n), p('x', 'f32', n), i('n')] },
  { name: 'hardswish_fwd', family: 'act_mobile', kernel: 'f32_hardswish_fwd__simd', args: () => [p('y', 'f32', n), p('x', 'f32', n), i('n')] },
  { name: 'hardswish_bwd', family: 'act_mobile', kernel: 'f32_hardswish_bwd__simd', args: () => [p('dx', 'f32', n), p('dy', 'f32', n), p('x', 'f32', n), i('n')] },
  // norm (assembly/kernels/norm.ts): batch norm per channel over the M = N*H*W rows of (M, C)
  { name: 'batchnorm_fwd_train', family: 'norm', kernel: 'f32_batchnorm_fwd_train__simd',
    args: () => [p('y', 'f32', bnMC), p('saveMean', 'f32', bnC), p('saveInvstd', 'f32', bnC), p('runMean', 'f32', bnC), p('runVar', 'f32', bnC),
      p('x', 'f32', bnMC), p('gamma', 'f32', bnC), p('beta', 'f32', bnC), i('M'), i('C'), f('eps'), f('momentum')], rules: () => bnRules(2, 'eps', 'momentum') },
  { name: 'batchnorm_fwd_eval', family: 'norm', kernel: 'f32_batchnorm_fwd_eval__simd',
    args: () => [p('y', 'f32', bnMC), p('x', 'f32', bnMC), p('gamma', 'f32', bnC), p('beta', 'f32', bnC), p('runMean', 'f32', bnC), p('runVar', 'f32', bnC),
      i('M'), i('C'), f('eps')], rules: () => bnRules(1, 'eps') },
  { name: 'batchnorm_bwd', family: 'norm', kernel: 'f32_batchnorm_bwd__simd',
    args: () => [p('dx', 'f32', bnMC), p('dgamma', 'f32', bnC), p('dbeta', 'f32', bnC), p('dy', 'f32', bnMC), p('x', 'f32', bnMC),
      p('saveMean', 'f32', bnC), p('saveInvstd', 'f32', bnC), p('gamma', 'f32', bnC), p('scratch', 'f32', '2 * C'), i('M'), i('C')], rules: () => bnRules(1) },
  { name: 'batchnorm_bwd_eval', family: 'norm', kernel: 'f32_batchnorm_bwd_eval__simd',
    args: () => [p('dx', 'f32', bnMC), p('dgamma', 'f32', bnC), p('dbeta', 'f32', bnC), p('dy', 'f32', bnMC), p('x', 'f32', bnMC),
      p('gamma', 'f32', bnC), p('runMean', 'f32', bnC), p('runVar', 'f32', bnC), i('M'), i('C'), f('eps')], rules: () => bnRules(1, 'eps') },
  // q8 (assembly/kernels/q8.ts): int8 Dense. W packed once at load (qs8_pack_w), then qs8_gemm per call.
  // The __relaxed kernels are the best the build has (in the SIMD build they are the __simd ones).
  // qp: quantization parameters block (zero points are negative, plan integers are not): q8GemmParams / q8QuantParams.
  { name: 'qs8_pack_w', family: 'q8', kernel: 'qs8_pack_w__relaxed',
    args: () => [p('wp', 'u8', 'q8_pack_bytes(N, K)'), p('w', 'i8', 'N * K'), p('bias', 'i32', 'N'), p('sw', 'f32', 'N'), i('N'), i('K')] },
  { name: 'qs8_gemm', family: 'q8', kernel: 'qs8_gemm_fwd_qp__relaxed',
    args: () => [p('c', 'i8', mn), p('a', 'i8', 'M * K'), p('wp', 'u8', 'q8_pack_bytes(N, K)'), p('scratch', 'u8', 'q8_gemm_scratch(M, N, K)'),
      p('qp', 'x32', '6'), i('M'), i('N'), i('K')] },
  { name: 'qs8_quantize', family: 'q8', kernel: 'qs8_quantize_qp__simd', args: () => [p('y', 'i8', n), p('x', 'f32', n), p('qp', 'x32', '2'), i('n')] },
  { name: 'qs8_dequantize', family: 'q8', kernel: 'qs8_dequantize_qp__simd', args: () => [p('y', 'f32', n), p('x', 'i8', n), p('qp', 'x32', '2'), i('n')] },
  // rnn (assembly/kernels/rnn.ts, rnn_gru.ts): time-major x (T, N, I), PyTorch gate layouts; cell 0 RNN, 1 LSTM, 2 GRU
  { name: 'rnn_fwd', family: 'rnn', kernel: 'f32_rnn_fwd__simd', args: () => rnnArgs(0, 'hs x h0 w_ih w_hh b_ih b_hh scratch'), rules: rnnRules },
  { name: 'rnn_bwd', family: 'rnn', kernel: 'f32_rnn_bwd__simd',
    args: () => rnnArgs(0, 'dx dw_ih dw_hh db_ih db_hh dh0 dhs x h0 hs w_ih w_hh scratch'), rules: rnnRules },
  { name: 'lstm_fwd', family: 'rnn', kernel: 'f32_lstm_fwd__simd', args: () => rnnArgs(1, 'hs cs gates x h0 c0 w_ih w_hh b_ih b_hh scratch'), rules: rnnRules },
  { name: 'lstm_bwd', family: 'rnn', kernel: 'f32_lstm_bwd__simd',
    args: () => rnnArgs(1, 'dx dw_ih dw_hh db_ih db_hh dh0 dc0 dhs dcT x h0 c0 hs cs gates w_ih w_hh scratch'), rules: rnnRules },
  { name: 'gru_fwd', family: 'rnn', kernel: 'f32_gru_fwd__simd', args: () => rnnArgs(2, 'hs gates hn x h0 w_ih w_hh b_ih b_hh scratch'), rules: rnnRules },
  { name: 'gru_bwd', family: 'rnn', kernel: 'f32_gru_bwd__simd',
    args: () => rnnArgs(2, 'dx dw_ih dw_hh db_ih db_hh dh0 dhs x h0 hs gates hn w_ih w_hh scratch'), rules: rnnRules },
  { name: 'reverse_time', family: 'rnn', kernel: 'x32_reverse_time__simd',
    args: () => [p('y', 'x32', 'T * F'), p('x', 'x32', 'T * F'), i('T'), i('F')], rules: () => sizes('T', 'F') },
  // layout (assembly/kernels/layout.ts): 32-bit moves for layer plumbing (batch-major ⇄ time-major, slices, concat halves)
  { name: 'transpose_01', family: 'layout', kernel: 'x32_transpose_01__simd',
    args: () => [p('y', 'x32', 'A * B * F'), p('x', 'x32', 'A * B * F'), i('A'), i('B'), i('F')], rules: () => sizes('A', 'B', 'F') },
  { name: 'copy_strided', family: 'layout', kernel: 'x32_copy_strided__simd', args: () => stridedArgs('x32'), rules: stridedRules },
  // augment (assembly/kernels/augment.ts): seeded training-time augmentation, images (N, H, W, C), sequences (N, T, F)
  { name: 'random_flip', family: 'augment', kernel: 'f32_random_flip_fwd__simd',
    args: () => [p('y', 'f32', convX), p('x', 'f32', convX), p('state', 'x32', '4'), ...augImageDims(), i('flipH'), i('flipV')], rules: () => [...augImageRules(), ...flags('flipH', 'flipV')] },
  { name: 'random_translate', family: 'augment', kernel: 'f32_random_translate_fwd__simd',
    args: () => [p('y', 'f32', convX), p('x', 'f32', convX), p('state', 'x32', '4'), ...augImageDims(), i('maxDy'), i('maxDx')], rules: augImageRules },
  { name: 'random_rotate', family: 'augment', kernel: 'f32_random_rotate_fwd__simd',
    args: () => [p('y', 'f32', convX), p('x', 'f32', convX), p('state', 'x32', '4'), ...augImageDims(), f('maxAngle')],
    rules: () => [...augImageRules(), rule(`maxAngle >= 0 && maxAngle <= ${Math.PI}`, 'maxAngle must be in [0, pi] radians, got {maxAngle}')] },
  { name: 'gaussian_noise', family: 'augment', kernel: 'f32_gaussian_noise_fwd__ref',
    args: () => [p('y', 'f32', n), p('x', 'f32', n), p('state', 'x32', '4'), i('n'), f('std')], rules: () => [rule('std >= 0', 'noise std must be >= 0, got {std}')] },
  { name: 'brightness_contrast', family: 'augment', kernel: 'f32_brightness_contrast_fwd__simd',
    args: () => [p('y', 'f32', convX), p('m', 'f32', 'N * C'), p('x', 'f32', convX), p('state', 'x32', '4'), ...augImageDims(),
      f('maxDelta'), f('maxContrast'), f('lo'), f('hi')],
    rules: () => [...augImageRules(), rule('maxDelta >= 0', 'maxDelta must be >= 0, got {maxDelta}'),
      rule('maxContrast >= 0 && maxContrast <= 1', 'maxContrast must be in [0, 1], got {maxContrast}'), rule('lo <= hi', 'clip range [{lo}, {hi}] is empty')] },
  { name: 'seq_scale_fwd', family: 'augment', kernel: 'f32_seq_scale_fwd__simd',
    args: () => [p('y', 'f32', seqX), p('s', 'f32', 'N * F'), p('x', 'f32', seqX), p('state', 'x32', '4'), i('N'), i('T'), i('F'), f('sigma')],
    rules: () => [...sizes('N', 'T', 'F'), rule('sigma >= 0', 'scale sigma must be >= 0, got {sigma}')] },
  { name: 'seq_scale_bwd', family: 'augment', kernel: 'f32_seq_scale_bwd__simd',
    args: () => [p('dx', 'f32', seqX), p('dy', 'f32', seqX), p('s', 'f32', 'N * F'), i('N'), i('T'), i('F')], rules: () => sizes('N', 'T', 'F') },
  // q8_conv, q8_dyn (assembly/kernels/q8_conv.ts, q8_dyn.ts): int8 CNN layers (src/quant). x (N, H, W, C) i8, NHWC; conv W packed
  // by qs8_pack_w as (OC, KH*KW*C); depthwise w (KH, KW, OC) i8; qp blocks as the q8 ops (q8GemmParams / q8QuantParams).
  { name: 'qs8_conv2d', family: 'q8_conv', kernel: 'qs8_conv2d_fwd_qp__relaxed',
    args: () => [p('y', 'i8', convY), p('x', 'i8', convX), p('wp', 'u8', 'q8_pack_bytes(OC, KH * KW * C)'), p('scratch', 'u8', q8ConvScratch),
      p('qp', 'x32', '6'), ...q8ConvDims()], rules: q8ConvRules },
  { name: 'qs8_dwconv2d', family: 'q8_conv', kernel: 'qs8_dwconv2d_fwd_qp__simd',
    args: () => [p('y', 'i8', convY), p('x', 'i8', convX), p('w', 'i8', 'KH * KW * OC'), p('bias', 'i32', 'OC'), p('sw', 'f32', 'OC'),
      p('qp', 'x32', '6'), ...q8ConvDims()], rules: () => [...q8ConvRules(), rule('OC % C == 0', 'depthwise: OC={OC} must be a multiple of C={C}')] },
  { name: 'qs8_maxpool2d', family: 'q8_conv', kernel: 'qs8_maxpool2d_fwd__simd', args: () => [p('y', 'i8', poolY), p('x', 'i8', convX), ...poolDims(false)], rules: () => poolRules(false) },
  { name: 'qs8_quantize_dynamic', family: 'q8_dyn', kernel: 'qs8_quantize_dynamic__simd', args: () => [p('y', 'i8', n), p('qp', 'x32', '2'), p('x', 'f32', n), i('n')] },
  { name: 'qs8_gemm_f32', family: 'q8_dyn', kernel: 'qs8_gemm_f32_fwd_qp__relaxed',
    args: () => [p('c', 'f32', mn), p('a', 'i8', 'M * K'), p('wp', 'u8', 'q8_pack_bytes(N, K)'), p('scratch', 'u8', 'q8_f32_scratch(M, N, K)'),
      p('qp', 'x32', '2'), i('M'), i('N'), i('K')] },
  // graph plumbing (assembly/kernels/layout.ts): a concatenation's gradient added back into one input
  { name: 'add_strided', family: 'layout', kernel: 'f32_add_strided__simd', args: () => stridedArgs('f32'), rules: stridedRules },
  // merge (assembly/kernels/merge.ts): x (B, P, C) times a gate g (B, G), G = C or 1
  { name: 'mul_bcast_fwd', family: 'merge', kernel: 'f32_mul_bcast_fwd__simd', args: () => [p('y', 'f32', bpc), p('x', 'f32', bpc), p('g', 'f32', bg), ...bcastDims], rules: bcastRules },
  { name: 'mul_bcast_bwd_x', family: 'merge', kernel: 'f32_mul_bcast_bwd_x__simd', args: () => [p('dx', 'f32', bpc), p('dy', 'f32', bpc), p('g', 'f32', bg), ...bcastDims], rules: bcastRules },
  { name: 'mul_bcast_bwd_g', family: 'merge', kernel: 'f32_mul_bcast_bwd_g__simd', args: () => [p('dg', 'f32', bg), p('dy', 'f32', bpc), p('x', 'f32', bpc), ...bcastDims], rules: bcastRules },
  // layout (assembly/kernels/layout.ts): per-sample runs copied or filled: slices, gathers, padding (Pad2D, Slice layers)
  { name: 'gather_runs_fwd', family: 'layout', kernel: 'f32_gather_runs_fwd__simd',
    args: () => [p('y', 'f32', 'N * J'), p('x', 'f32', 'N * S'), p('runs', 'i32', '2 * R'), i('N'), i('S'), i('J'), i('R'), f('value')],
    rules: () => sizes('N', 'S', 'J', 'R') },
  { name: 'gather_runs_bwd', family: 'layout', kernel: 'f32_gather_runs_bwd__simd',
    args: () => [p('dx', 'f32', 'N * S'), p('dy', 'f32', 'N * J'), p('runs', 'i32', '2 * R'), i('N'), i('S'), i('J'), i('R')],
    rules: () => sizes('N', 'S', 'J', 'R') },
  // q8_add (assembly/kernels/q8_add.ts): int8 residual add, each tensor with its own scale and zero point; qp: q8AddParams
  { name: 'qs8_add', family: 'q8_add', kernel: 'qs8_add_qp__simd', args: () => [p('y', 'i8', n), p('a', 'i8', n), p('b', 'i8', n), p('qp', 'x32', '8'), i('n')] },
  // pool (assembly/kernels/pool.ts): int8 ZeroPadding2D, padded with the zero point's byte fill = zp & 255
  { name: 'qs8_zeropad2d', family: 'pool', kernel: 'qs8_zeropad2d_fwd__simd', args: () => [p('y', 'i8', padY), p('x', 'i8', convX), ...padDims(), i('fill')],
    rules: () => [...sizes('N', 'H', 'W', 'C'), rule('fill <= 255', 'fill must be a byte (zero point & 255), got {fill}')] },
  // conv (assembly/kernels/conv.ts): Conv2D forward with its bias added as y is stored (bias_add fused)
  { name: 'conv2d_bias_fwd', family: 'conv', kernel: 'f32_conv2d_bias_fwd__simd',
    args: () => [p('y', 'f32', convY), p('x', 'f32', convX), p('w', 'f32', convW), p('b', 'f32', 'OC'), p('scratch', 'f32', convScratch), ...convDimArgs()], rules: convRules },
  // conv: the same with a leaky ReLU (alpha 0: ReLU) after the bias; inference plans fuse conv2d_bias_fwd + leaky_relu_fwd into it (src/compile/fuse.ts)
  { name: 'conv2d_bias_act_fwd', family: 'conv', kernel: 'f32_conv2d_bias_act_fwd__simd',
    args: () => [p('y', 'f32', convY), p('x', 'f32', convX), p('w', 'f32', convW), p('b', 'f32', 'OC'), p('scratch', 'f32', convScratch), ...convDimArgs(), f('alpha')],
    rules: convRules },
  // act (assembly/kernels/act.ts): leaky ReLU backward from the OUTPUT y, then the bias gradient of the updated dx (leaky_relu_bwd + bias_grad of a conv, fused in training plans)
  { name: 'leaky_relu_bwd_bias_grad', family: 'act', kernel: 'f32_leaky_relu_bwd_bias_grad__simd',
    args: () => [p('dx', 'f32', mn), p('db', 'f32', 'N'), p('dy', 'f32', mn), p('y', 'f32', mn), i('M'), i('N'), f('alpha')],
    rules: () => [...sizes('M', 'N'), rule('alpha >= 0', 'alpha must be >= 0 (the mask is taken from the output), got {alpha}')] },
  // embed (appended: codes are positions)
  { name: 'scatter_add_rows', family: 'embed', kernel: 'f32_scatter_add_rows__simd',
    args: () => [p('dw', 'f32', 'V * D'), p('dy', 'f32', 'R * D'), p('ids', 'i32', 'R'), i('R'), i('D'), i('V'), i('skip')],
    rules: () => sizes('D', 'V') },
  // layernorm (appended)
  { name: 'layernorm_fwd', family: 'layernorm', kernel: 'f32_layernorm_fwd__simd',
    args: () => [p('y', 'f32', 'M * C'), p('mean', 'f32', 'M'), p('invstd', 'f32', 'M'), p('x', 'f32', 'M * C'), p('gamma', 'f32', 'C'), p('beta', 'f32', 'C'), i('M'), i('C'), f('eps')],
    rules: () => [...sizes('C'), rule('eps > 0', 'eps must be > 0, got {eps}')] },
  { name: 'layernorm_bwd', family: 'layernorm', kernel: 'f32_layernorm_bwd__simd',
    args: () => [p('dx', 'f32', 'M * C'), p('dgamma', 'f32', 'C'), p('dbeta', 'f32', 'C'), p('dy', 'f32', 'M * C'), p('x', 'f32', 'M * C'),
      p('mean', 'f32', 'M'), p('invstd', 'f32', 'M'), p('gamma', 'f32', 'C'), i('M'), i('C')], rules: () => sizes('C') },
  // attention (appended): heads side by side in rows of D = H*dh features (see assembly/kernels/attention.ts)
  { name: 'attn_probs', family: 'attention', kernel: 'f32_attn_probs__simd',
    args: () => [p('p', 'f32', 'B * H * Tq * Tk'), p('q', 'f32', 'B * Tq * H * dh'), p('k', 'f32', 'B * Tk * H * dh'), p('mask', 'i32', 'hasMask ? B * Tk : 1'),
      i('B'), i('H'), i('Tq'), i('Tk'), i('dh'), f('scale'), i('causal'), i('hasMask')], rules: () => [...sizes('H', 'Tq', 'Tk', 'dh'), ...flags('causal', 'hasMask')] },
  { name: 'attn_dot', family: 'attention', kernel: 'f32_attn_dot__simd',
    args: () => [p('s', 'f32', 'B * H * Ta * Tc'), p('a', 'f32', 'B * Ta * H * dh'), p('c', 'f32', 'B * Tc * H * dh'), i('B'), i('H'), i('Ta'), i('Tc'), i('dh')],
    rules: () => sizes('H', 'Ta', 'Tc', 'dh') },
  { name: 'attn_ctx', family: 'attention', kernel: 'f32_attn_ctx__simd',
    args: () => [p('o', 'f32', 'B * Tq * H * dh'), p('p', 'f32', 'B * H * Tq * Tk'), p('c', 'f32', 'B * Tk * H * dh'), i('B'), i('H'), i('Tq'), i('Tk'), i('dh'), f('alpha'), i('accumulate')],
    rules: () => [...sizes('H', 'Tq', 'Tk', 'dh'), ...flags('accumulate')] },
  { name: 'attn_ctx_t', family: 'attention', kernel: 'f32_attn_ctx_t__simd',
    args: () => [p('o', 'f32', 'B * Tk * H * dh'), p('p', 'f32', 'B * H * Tq * Tk'), p('c', 'f32', 'B * Tq * H * dh'), i('B'), i('H'), i('Tq'), i('Tk'), i('dh'), f('alpha')],
    rules: () => sizes('H', 'Tq', 'Tk', 'dh') },
  { name: 'attn_softmax_bwd', family: 'attention', kernel: 'f32_attn_softmax_bwd__simd',
    args: () => [p('ds', 'f32', rc), p('dp', 'f32', rc), p('p', 'f32', rc), i('rows'), i('cols')] },
  // seqpool (appended)
  { name: 'masked_mean_fwd', family: 'seqpool', kernel: 'f32_masked_mean_fwd__simd',
    args: () => [p('y', 'f32', 'B * D'), p('x', 'f32', 'B * T * D'), p('mask', 'i32', 'B * T'), i('B'), i('T'), i('D')], rules: () => sizes('T', 'D') },
  { name: 'masked_mean_bwd', family: 'seqpool', kernel: 'f32_masked_mean_bwd__simd',
    args: () => [p('dx', 'f32', 'B * T * D'), p('dy', 'f32', 'B * D'), p('mask', 'i32', 'B * T'), i('B'), i('T'), i('D')], rules: () => sizes('T', 'D') },
  // act_smooth (assembly/kernels/act_smooth.ts): ELU/SELU (alpha, scale), GELU (approx 0 erf, 1 tanh), SiLU; bwd reads x
  { name: 'elu_fwd', family: 'act_smooth', kernel: 'f32_elu_fwd__simd', args: () => [p('y', 'f32', n), p('x', 'f32', n), i('n'), f('alpha'), f('scale')] },
  { name: 'elu_bwd', family: 'act_smooth', kernel: 'f32_elu_bwd__simd', args: () => [p('dx', 'f32', n), p('dy', 'f32', n), p('x', 'f32', n), i('n'), f('alpha'), f('scale')] },
  { name: 'gelu_fwd', family: 'act_smooth', kernel: 'f32_gelu_fwd__simd', args: () => [p('y', 'f32', n), p('x', 'f32', n), i('n'), i('approx')], rules: () => flags('approx') },
  { name: 'gelu_bwd', family: 'act_smooth', kernel: 'f32_gelu_bwd__simd', args: () => [p('dx', 'f32', n), p('dy', 'f32', n), p('x', 'f32', n), i('n'), i('approx')], rules: () => flags('approx') },
  { name: 'silu_fwd', family: 'act_smooth', kernel: 'f32_silu_fwd__simd', args: () => [p('y', 'f32', n), p('x', 'f32', n), i('n')] },
  { name: 'silu_bwd', family: 'act_smooth', kernel: 'f32_silu_bwd__simd', args: () => [p('dx', 'f32', n), p('dy', 'f32', n), p('x', 'f32', n), i('n')] },
  // vec: i32 → f32 (the Cast layer: integer masks and ids read as numbers)
  { name: 'i32_to_f32', family: 'vec', kernel: 'i32_to_f32__simd', args: () => [p('y', 'f32', n), p('x', 'i32', n), i('n')] },
  // audio (the keyword-spotting front end; inference only: no parameters, no backward)
  { name: 'stft_power', family: 'audio', kernel: 'f32_stft_power_fwd__simd',
    args: () => [p('y', 'f32', 'B * F * (nfft / 2 + 1)'), p('x', 'f32', 'B * L'), p('win', 'f32', 'flen'), p('tw', 'f32', '2 * nfft + 2'), p('scratch', 'f32', 'nfft'),
      i('B'), i('L'), i('F'), i('flen'), i('step'), i('nfft')],
    rules: () => [...sizes('B', 'L', 'F', 'flen', 'step'),
      rule('nfft == 8 || nfft == 16 || nfft == 32 || nfft == 64 || nfft == 128 || nfft == 256 || nfft == 512 || nfft == 1024 || nfft == 2048 || nfft == 4096', 'nfft must be a power of two from 8 to 4096, got {nfft}'),
      rule('flen <= nfft && flen <= L', 'a frame of {flen} samples must fit the FFT size {nfft} and the signal length {L}'),
      rule('F == floor((L - flen) / step) + 1', 'F={F} frames; L={L} samples in frames of {flen} every {step} give floor((L - flen) / step) + 1')] },
  { name: 'mel_project', family: 'audio', kernel: 'f32_mel_project_fwd__simd',
    args: () => [p('y', 'f32', 'R * M'), p('x', 'f32', 'R * K'), p('w', 'f32', 'M * K'), i('R'), i('K'), i('M'), i('log'), f('eps')],
    rules: () => [...sizes('R', 'K', 'M'), ...flags('log'), rule('eps > 0', 'eps must be > 0, got {eps}')] },
  { name: 'chan_norm', family: 'audio', kernel: 'f32_chan_norm_fwd__simd',
    args: () => [p('y', 'f32', 'B * F * C'), p('x', 'f32', 'B * F * C'), i('B'), i('F'), i('C'), f('eps')],
    rules: () => [...sizes('B', 'F', 'C'), rule('eps > 0', 'eps must be > 0, got {eps}')] },
  // q8_rnn (assembly/kernels/q8_rnn.ts): int8 GRU forward, time-major x (T, N, I); W_ih (3H, I), W_hh (3H, H) packed by qs8_pack_w
  // (zero bias), f32 biases; x and each step's h quantized dynamically, f32 gates
  { name: 'qs8_gru', family: 'q8_rnn', kernel: 'qs8_gru_fwd__relaxed',
    args: () => [p('hs', 'f32', 'T * N * H'), p('x', 'f32', 'T * N * I'), p('h0', 'f32', 'N * H'), p('wp_ih', 'u8', 'q8_pack_bytes(3 * H, I)'),
      p('wp_hh', 'u8', 'q8_pack_bytes(3 * H, H)'), p('b_ih', 'f32', '3 * H'), p('b_hh', 'f32', '3 * H'), p('scratch', 'u8', 'q8_gru_scratch(T, N, I, H)'),
      i('T'), i('N'), i('I'), i('H')], rules: rnnRules },
  // act_smooth (appended): GELU's training forward also writes its derivative (the backward: dropout_bwd's dx += dy * d)
  { name: 'gelu_train_fwd', family: 'act_smooth', kernel: 'f32_gelu_train_fwd__simd', args: () => [p('y', 'f32', n), p('d', 'f32', n), p('x', 'f32', n), i('n')] },
  // conv_fused (assembly/kernels/conv_fused.ts): inference plans fuse conv2d_bias_fwd + relu6_fwd, and conv2d_fwd +
  // batchnorm_fwd_eval (+ leaky_relu_fwd | relu6_fwd) into these (src/compile/fuse.ts): the same bits, no passes over y
  { name: 'conv2d_bias_relu6_fwd', family: 'conv_fused', kernel: 'f32_conv2d_bias_relu6_fwd__simd',
    args: () => [p('y', 'f32', convY), p('x', 'f32', convX), p('w', 'f32', convW), p('b', 'f32', 'OC'), p('scratch', 'f32', convScratch), ...convDimArgs()], rules: convRules },
  { name: 'conv2d_bn_act_fwd', family: 'conv_fused', kernel: 'f32_conv2d_bn_act_fwd__simd',
    args: () => [p('y', 'f32', convY), p('x', 'f32', convX), p('w', 'f32', convW), p('gamma', 'f32', 'OC'), p('beta', 'f32', 'OC'),
      p('runMean', 'f32', 'OC'), p('runVar', 'f32', 'OC'), p('scratch', 'f32', `${convScratch} + OC`), ...convDimArgs(), f('eps'), i('act'), f('alpha')],
    rules: () => [...convRules(), rule('act >= 0 && act <= 2', 'act must be 0 (none), 1 (leaky ReLU) or 2 (ReLU6), got {act}'),
      rule('eps > 0', 'batch norm eps must be > 0, got {eps}')] },
  // gemm_fused (assembly/kernels/gemm_fused.ts): gemm (accumulate 0) + bias_add (+ leaky_relu_fwd | relu6_fwd) of a Dense layer, the same bits
  { name: 'gemm_bias_act', family: 'gemm_fused', kernel: 'f32_gemm_bias_act__simd',
    args: () => [p('c', 'f32', mn), p('a', 'f32', 'M * K'), p('b', 'f32', 'K * N'), p('bias', 'f32', 'N'),
      p('scratch', 'f32', 'gemm_scratch(M, N, K)'), i('M'), i('N'), i('K'), i('transA'), i('transB'), i('act'), f('alpha')],
    rules: () => [...flags('transA', 'transB'), rule('act >= 0 && act <= 2', 'act must be 0 (none), 1 (leaky ReLU) or 2 (ReLU6), got {act}')] },
];

/** Ops whose generated rows are missing or were made from other text (they parse theirs; `npm run build` regenerates). */
export function staleGeneratedSpecs(): string[] {
  return OPS.filter((o) => !(o as Op).generated).map((o) => o.name);
}

export const OPS: readonly OpSpec[] = defs.map((d, k) => new Op(d, k + 1));
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
