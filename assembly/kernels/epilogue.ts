// The store epilogue of a convolution or a Dense GEMM: what its sums go through per output channel c,
// over each block of the output right after it is stored (the implicit GEMM's tiles, the GEMM's blocks,
// the direct convolutions' rows: still in cache), instead of whole passes over the output:
//   + bias[c]                                                  f32_bias_add
//   ((v - mean[c]) * inv[c]) * gamma[c] + beta[c]              f32_batchnorm_fwd_eval, inv = 1 / sqrt(var[c] + eps)
//   leaky ReLU (slope alpha, 0: ReLU) or ReLU6                 f32_leaky_relu_fwd, f32_relu6_fwd
// each with the float ops of the kernel named, in that order, so a fused plan has the unfused plan's
// bits. inv is computed once per call (the kernels named compute it per row) into a table the caller
// provides. The state is module globals, one call at a time per instance, set by the fused entry points
// (after convGeometry(), which clears it): setEpilogue, then setEpilogueBn for a batch norm; a worker gets the caller's through job arguments
// EPI_ARG .. EPI_ARG + 7 (assembly/mt.ts), saved and loaded with the conv geometry or by the GEMM's split.
import { vld, vst, vsplat, vzero, vadd, vsub, vmul, vdiv, vsqrt, vsel, vgt, vldPart, vstPart } from '../simd';
import { setArg, setArgF, arg, argF, argP } from '../mt';

export const EPI_LEAKY: i32 = 1;
export const EPI_RELU6: i32 = 2;
const EPI_ARG: i32 = 30;

/** Nonzero while an epilogue is set (any of bias, batch norm, activation). */
export let eOn: i32 = 0;
let eBias: usize = 0;
let eMean: usize = 0;
let eInv: usize = 0;
let eGamma: usize = 0;
let eBeta: usize = 0;
let eAct: i32 = 0;
let eAlpha: f32 = 0;

export function clearEpilogue(): void { eOn = 0; eBias = 0; eInv = 0; eAct = 0; }

/** Bias b (0: none), then activation act (0: none, EPI_LEAKY with slope alpha, EPI_RELU6); no batch norm. */
export function setEpilogue(b: usize, act: i32, alpha: f32): void {
  eBias = b; eInv = 0; eAct = act; eAlpha = alpha; eOn = <i32>((b != 0) | (act != 0));
}

/** Adds batch norm in eval mode over C channels (after the bias, before the activation); inv: C floats of table, filled here. */
export function setEpilogueBn(gamma: usize, beta: usize, mean: usize, variance: usize, eps: f32, C: i32, inv: usize): void {
  const ve = vsplat(eps), one = vsplat(1), C4 = C & ~3;
  let c = 0;
  for (; c < C4; c += 4) { const o = <usize>c << 2; vst(inv + o, vdiv(one, vsqrt(vadd(vld(variance + o), ve)))); }
  for (; c < C; c++) { const o = <usize>c << 2; store<f32>(inv + o, <f32>1 / Mathf.sqrt(load<f32>(variance + o) + eps)); }
  eMean = mean; eInv = inv; eGamma = gamma; eBeta = beta; eOn = 1;
}

export function saveEpilogue(): void {
  setArg(EPI_ARG, eOn); setArg(EPI_ARG + 1, <i32>eBias); setArg(EPI_ARG + 2, <i32>eMean); setArg(EPI_ARG + 3, <i32>eInv);
  setArg(EPI_ARG + 4, <i32>eGamma); setArg(EPI_ARG + 5, <i32>eBeta); setArg(EPI_ARG + 6, eAct); setArgF(EPI_ARG + 7, eAlpha);
}
export function loadEpilogue(): void {
  eOn = arg(EPI_ARG); eBias = argP(EPI_ARG + 1); eMean = argP(EPI_ARG + 2); eInv = argP(EPI_ARG + 3);
  eGamma = argP(EPI_ARG + 4); eBeta = argP(EPI_ARG + 5); eAct = arg(EPI_ARG + 6); eAlpha = argF(EPI_ARG + 7);
}

// per-channel vector at channel c, m (1..4) lanes (lanes past m: 0)
// @ts-ignore: decorator
@inline function chan(p: usize, c: i32, m: i32): v128 { const a = p + (<usize>c << 2); return m == 4 ? vld(a) : vldPart(a, m); }

/** The epilogue of v, the outputs of channels c .. c + m - 1 (m = 1..4; the lanes past m are left to the caller). */
// @ts-ignore: decorator
@inline function epiV(v: v128, c: i32, m: i32): v128 {
  if (eBias) v = vadd(v, chan(eBias, c, m));
  if (eInv) v = vadd(vmul(vmul(vsub(v, chan(eMean, c, m)), chan(eInv, c, m)), chan(eGamma, c, m)), chan(eBeta, c, m));
  return act(v);
}

// @ts-ignore: decorator
@inline function act(v: v128): v128 {
  if (eAct == EPI_LEAKY) return vsel(vgt(v, vzero()), v, vmul(v, vsplat(eAlpha)));
  if (eAct == EPI_RELU6) { const z = vzero(); return vadd(f32x4.pmin(f32x4.pmax(v, z), vsplat(6)), z); }
  return v;
}

/** The epilogue over y's rows [0, rows) (ld floats apart), channels [c0, c1) of each. */
export function epiRows(y: usize, rows: i32, ld: i32, c0: i32, c1: i32): void {
  for (let r = 0; r < rows; r++) {
    const yr = y + (<usize>r * ld << 2);
    let c = c0;
    for (; c + 4 <= c1; c += 4) { const p = yr + (<usize>c << 2); vst(p, epiV(vld(p), c, 4)); }
    if (c < c1) { const p = yr + (<usize>c << 2), m = c1 - c; vstPart(p, epiV(vldPart(p, m), c, m), m); }
  }
}
