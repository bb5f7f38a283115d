// Fused Conv2D forwards for inference plans (src/compile/fuse.ts), the MobileNet-family patterns:
//   f32_conv2d_bias_relu6_fwd  y = relu6(conv(x, w) + b)                       conv2d_bias_fwd + relu6_fwd
//   f32_conv2d_bn_act_fwd      y = act(batchnorm_eval(conv(x, w)))             conv2d_fwd + batchnorm_fwd_eval [+ act]
//                              act: 0 none, 1 leaky ReLU (slope alpha; 0: ReLU), 2 ReLU6
// Layouts as in conv.ts; gamma, beta, runMean, runVar: (OC) f32 (batch norm over the output channels).
// __simd runs the convolution's own path with the rest in its store epilogue (epilogue.ts): the float
// ops of the unfused instructions in their order, so the fused plan gives the unfused plan's bits,
// without the passes over y. __ref is the unfused reference kernels in a row.
// scratch: conv2d_scratch_floats(...) + OC f32 (the batch norm's 1/sqrt(var + eps) table at its end).
import { f32_conv2d_fwd__ref, f32_conv2d_bias_fwd__ref, convFwd, conv2d_scratch_floats } from './conv';
import { convGeometry, gOH, gOW } from './conv_direct';
import { setEpilogue, setEpilogueBn, clearEpilogue, EPI_RELU6 } from './epilogue';
import { f32_relu6_fwd__ref } from './act_mobile';
import { f32_leaky_relu_fwd__ref } from './act';
import { f32_batchnorm_fwd_eval__ref } from './norm';

// y: (N, OH, OW, OC) f32 = relu6(conv(x, w) + b); b: (OC) f32
export function f32_conv2d_bias_relu6_fwd__ref(y: usize, x: usize, w: usize, b: usize, scratch: usize, N: i32, H: i32, W: i32, C: i32, OC: i32,
                                               KH: i32, KW: i32, strideH: i32, strideW: i32, padT: i32, padL: i32, padB: i32, padR: i32,
                                               dilH: i32, dilW: i32, groups: i32): void {
  f32_conv2d_bias_fwd__ref(y, x, w, b, scratch, N, H, W, C, OC, KH, KW, strideH, strideW, padT, padL, padB, padR, dilH, dilW, groups);
  f32_relu6_fwd__ref(y, y, N * gOH * gOW * OC);
}
export function f32_conv2d_bias_relu6_fwd__simd(y: usize, x: usize, w: usize, b: usize, scratch: usize, N: i32, H: i32, W: i32, C: i32, OC: i32,
                                                KH: i32, KW: i32, strideH: i32, strideW: i32, padT: i32, padL: i32, padB: i32, padR: i32,
                                                dilH: i32, dilW: i32, groups: i32): void {
  convGeometry(N, H, W, C, OC, KH, KW, strideH, strideW, padT, padL, padB, padR, dilH, dilW, groups);
  setEpilogue(b, EPI_RELU6, 0);
  convFwd(y, x, w, scratch);
  clearEpilogue();
}

// y: (N, OH, OW, OC) f32 = act(((conv(x, w) - runMean) / sqrt(runVar + eps)) * gamma + beta)
export function f32_conv2d_bn_act_fwd__ref(y: usize, x: usize, w: usize, gamma: usize, beta: usize, runMean: usize, runVar: usize, scratch: usize,
                                           N: i32, H: i32, W: i32, C: i32, OC: i32, KH: i32, KW: i32, strideH: i32, strideW: i32,
                                           padT: i32, padL: i32, padB: i32, padR: i32, dilH: i32, dilW: i32, groups: i32,
                                           eps: f32, act: i32, alpha: f32): void {
  f32_conv2d_fwd__ref(y, x, w, scratch, N, H, W, C, OC, KH, KW, strideH, strideW, padT, padL, padB, padR, dilH, dilW, groups);
  const M = N * gOH * gOW;
  f32_batchnorm_fwd_eval__ref(y, y, gamma, beta, runMean, runVar, M, OC, eps);
  if (act == 1) f32_leaky_relu_fwd__ref(y, y, M * OC, alpha);
  else if (act == 2) f32_relu6_fwd__ref(y, y, M * OC);
}
export function f32_conv2d_bn_act_fwd__simd(y: usize, x: usize, w: usize, gamma: usize, beta: usize, runMean: usize, runVar: usize, scratch: usize,
                                            N: i32, H: i32, W: i32, C: i32, OC: i32, KH: i32, KW: i32, strideH: i32, strideW: i32,
                                            padT: i32, padL: i32, padB: i32, padR: i32, dilH: i32, dilW: i32, groups: i32,
                                            eps: f32, act: i32, alpha: f32): void {
  const inv = scratch + (<usize>conv2d_scratch_floats(N, H, W, C, OC, KH, KW, strideH, strideW, padT, padL, padB, padR, dilH, dilW, groups) << 2);
  convGeometry(N, H, W, C, OC, KH, KW, strideH, strideW, padT, padL, padB, padR, dilH, dilW, groups);
  setEpilogue(0, act, alpha);
  setEpilogueBn(gamma, beta, runMean, runVar, eps, OC, inv);
  convFwd(y, x, w, scratch);
  clearEpilogue();
}
