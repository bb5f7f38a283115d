// Batch normalization per channel, channels last: x, y: (M, C) f32 with M = N*H*W rows (NHWC
// conv outputs) or M = batch (Dense outputs: H = W = 1). Per-channel vectors are (C) f32.
// PyTorch semantics (torch.nn.BatchNorm*d, training and eval):
//   train fwd: mean, var = batch statistics over the M rows, var BIASED (/M) for normalizing;
//              y = (x - mean) / sqrt(var + eps) * gamma + beta; saves mean and invstd = 1/sqrt(var + eps);
//              running_mean = (1 - m) running_mean + m mean; running_var = (1 - m) running_var + m var*M/(M-1)
//              (UNBIASED). Keras' momentum k is m = 1 - k. M = 1 leaves var unscaled (PyTorch refuses M = 1;
//              the op registry does too).
//   eval fwd:  y = (x - running_mean) / sqrt(running_var + eps) * gamma + beta
//   bwd (train): with xhat = (x - mean) * invstd,
//              dgamma += sum dy*xhat; dbeta += sum dy; dx += gamma*invstd * (dy - mean(dy) - xhat * mean(dy*xhat))
//   bwd_eval (frozen statistics, e.g. fine-tuning with BN in inference mode): dx += dy * gamma / sqrt(running_var + eps),
//              dgamma += sum dy*xhat (xhat from the running statistics), dbeta += sum dy
// No affine: the host passes gamma = 1, beta = 0. Backward ACCUMULATES. SIMD over channels, rows outer.
import { vld, vst, vsplat, vadd, vsub, vmul, vdiv, vsqrt, vfma } from '../simd';

// @ts-ignore: decorator
@inline function at(p: usize, i: i32): usize { return p + (<usize>i << 2); }

// y: (M, C); saveMean, saveInvstd: (C) out; runMean, runVar: (C) in/out; x: (M, C); gamma, beta: (C)
export function f32_batchnorm_fwd_train__ref(y: usize, saveMean: usize, saveInvstd: usize, runMean: usize, runVar: usize,
                                             x: usize, gamma: usize, beta: usize, M: i32, C: i32, eps: f32, momentum: f32): void {
  const unbias: f32 = M > 1 ? <f32>M / <f32>(M - 1) : 1;
  for (let c = 0; c < C; c++) {
    let s: f32 = 0;
    for (let r = 0; r < M; r++) s += load<f32>(at(x, r * C + c));
    const mean = s / <f32>M;
    let q: f32 = 0;
    for (let r = 0; r < M; r++) { const d = load<f32>(at(x, r * C + c)) - mean; q += d * d; }
    const v = q / <f32>M, inv = <f32>1 / Mathf.sqrt(v + eps);
    store<f32>(at(saveMean, c), mean); store<f32>(at(saveInvstd, c), inv);
    store<f32>(at(runMean, c), (1 - momentum) * load<f32>(at(runMean, c)) + momentum * mean);
    store<f32>(at(runVar, c), (1 - momentum) * load<f32>(at(runVar, c)) + momentum * (v * unbias));
    const g = load<f32>(at(gamma, c)), b = load<f32>(at(beta, c));
    for (let r = 0; r < M; r++) store<f32>(at(y, r * C + c), (load<f32>(at(x, r * C + c)) - mean) * inv * g + b);
  }
}

export function f32_batchnorm_fwd_train__simd(y: usize, saveMean: usize, saveInvstd: usize, runMean: usize, runVar: usize,
                                              x: usize, gamma: usize, beta: usize, M: i32, C: i32, eps: f32, momentum: f32): void {
  const C4 = C & ~3, fm = <f32>M, vm = vsplat(fm);
  const unbias: f32 = M > 1 ? fm / <f32>(M - 1) : 1;
  // sums of x, then of (x - mean)^2, row by row into the saved vectors
  memory.fill(saveMean, 0, <usize>C << 2);
  memory.fill(saveInvstd, 0, <usize>C << 2);
  for (let r = 0; r < M; r++) {
    const xr = at(x, r * C);
    let c = 0;
    for (; c < C4; c += 4) vst(at(saveMean, c), vadd(vld(at(saveMean, c)), vld(at(xr, c))));
    for (; c < C; c++) store<f32>(at(saveMean, c), load<f32>(at(saveMean, c)) + load<f32>(at(xr, c)));
  }
  let c = 0;
  for (; c < C4; c += 4) vst(at(saveMean, c), vdiv(vld(at(saveMean, c)), vm));
  for (; c < C; c++) store<f32>(at(saveMean, c), load<f32>(at(saveMean, c)) / fm);
  for (let r = 0; r < M; r++) {
    const xr = at(x, r * C);
    c = 0;
    for (; c < C4; c += 4) { const d = vsub(vld(at(xr, c)), vld(at(saveMean, c))); vst(at(saveInvstd, c), vfma(d, d, vld(at(saveInvstd, c)))); }
    for (; c < C; c++) { const d = load<f32>(at(xr, c)) - load<f32>(at(saveMean, c)); store<f32>(at(saveInvstd, c), load<f32>(at(saveInvstd, c)) + d * d); }
  }
  const m = vsplat(momentum), m1 = vsplat(1 - momentum), ve = vsplat(eps), vu = vsplat(unbias), one = vsplat(1);
  c = 0;
  for (; c < C4; c += 4) {
    const mean = vld(at(saveMean, c)), v = vdiv(vld(at(saveInvstd, c)), vm);
    vst(at(saveInvstd, c), vdiv(one, vsqrt(vadd(v, ve))));
    vst(at(runMean, c), vadd(vmul(m1, vld(at(runMean, c))), vmul(m, mean)));
    vst(at(runVar, c), vadd(vmul(m1, vld(at(runVar, c))), vmul(m, vmul(v, vu))));
  }
  for (; c < C; c++) {
    const mean = load<f32>(at(saveMean, c)), v = load<f32>(at(saveInvstd, c)) / fm;
    store<f32>(at(saveInvstd, c), <f32>1 / Mathf.sqrt(v + eps));
    store<f32>(at(runMean, c), (1 - momentum) * load<f32>(at(runMean, c)) + momentum * mean);
    store<f32>(at(runVar, c), (1 - momentum) * load<f32>(at(runVar, c)) + momentum * (v * unbias));
  }
  normalize(y, x, saveMean, saveInvstd, gamma, beta, M, C);
}

// y = (x - mean) * invstd * gamma + beta, row by row
function normalize(y: usize, x: usize, mean: usize, invstd: usize, gamma: usize, beta: usize, M: i32, C: i32): void {
  const C4 = C & ~3;
  for (let r = 0; r < M; r++) {
    const xr = at(x, r * C), yr = at(y, r * C);
    let c = 0;
    for (; c < C4; c += 4) {
      const t = vmul(vmul(vsub(vld(at(xr, c)), vld(at(mean, c))), vld(at(invstd, c))), vld(at(gamma, c)));
      vst(at(yr, c), vadd(t, vld(at(beta, c))));
    }
    for (; c < C; c++) {
      store<f32>(at(yr, c), (load<f32>(at(xr, c)) - load<f32>(at(mean, c))) * load<f32>(at(invstd, c)) * load<f32>(at(gamma, c)) + load<f32>(at(beta, c)));
    }
  }
}

// y: (M, C); x: (M, C); gamma, beta, runMean, runVar: (C)
export function f32_batchnorm_fwd_eval__ref(y: usize, x: usize, gamma: usize, beta: usize, runMean: usize, runVar: usize,
                                            M: i32, C: i32, eps: f32): void {
  for (let r = 0; r < M; r++) for (let c = 0; c < C; c++) {
    const inv = <f32>1 / Mathf.sqrt(load<f32>(at(runVar, c)) + eps);
    store<f32>(at(y, r * C + c), (load<f32>(at(x, r * C + c)) - load<f32>(at(runMean, c))) * inv * load<f32>(at(gamma, c)) + load<f32>(at(beta, c)));
  }
}
export function f32_batchnorm_fwd_eval__simd(y: usize, x: usize, gamma: usize, beta: usize, runMean: usize, runVar: usize,
                                             M: i32, C: i32, eps: f32): void {
  const C4 = C & ~3, ve = vsplat(eps), one = vsplat(1);
  for (let r = 0; r < M; r++) {
    const xr = at(x, r * C), yr = at(y, r * C);
    let c = 0;
    for (; c < C4; c += 4) {
      const inv = vdiv(one, vsqrt(vadd(vld(at(runVar, c)), ve)));
      vst(at(yr, c), vadd(vmul(vmul(vsub(vld(at(xr, c)), vld(at(runMean, c))), inv), vld(at(gamma, c))), vld(at(beta, c))));
    }
    for (; c < C; c++) {
      const inv = <f32>1 / Mathf.sqrt(load<f32>(at(runVar, c)) + eps);
      store<f32>(at(yr, c), (load<f32>(at(xr, c)) - load<f32>(at(runMean, c))) * inv * load<f32>(at(gamma, c)) + load<f32>(at(beta, c)));
    }
  }
}

// dx: (M, C) +=; dgamma, dbeta: (C) +=; dy, x: (M, C); saveMean, saveInvstd, gamma: (C); scratch: (2C) f32
export function f32_batchnorm_bwd__ref(dx: usize, dgamma: usize, dbeta: usize, dy: usize, x: usize, saveMean: usize, saveInvstd: usize,
                                       gamma: usize, scratch: usize, M: i32, C: i32): void {
  for (let c = 0; c < C; c++) {
    const mean = load<f32>(at(saveMean, c)), inv = load<f32>(at(saveInvstd, c));
    let sdy: f32 = 0, sdyx: f32 = 0;
    for (let r = 0; r < M; r++) { const g = load<f32>(at(dy, r * C + c)); sdy += g; sdyx += g * (load<f32>(at(x, r * C + c)) - mean) * inv; }
    store<f32>(at(dgamma, c), load<f32>(at(dgamma, c)) + sdyx);
    store<f32>(at(dbeta, c), load<f32>(at(dbeta, c)) + sdy);
    const k = load<f32>(at(gamma, c)) * inv, a = sdy / <f32>M, b = sdyx / <f32>M;
    for (let r = 0; r < M; r++) {
      const o = r * C + c, xh = (load<f32>(at(x, o)) - mean) * inv;
      store<f32>(at(dx, o), load<f32>(at(dx, o)) + k * (load<f32>(at(dy, o)) - a - xh * b));
    }
  }
}

export function f32_batchnorm_bwd__simd(dx: usize, dgamma: usize, dbeta: usize, dy: usize, x: usize, saveMean: usize, saveInvstd: usize,
                                        gamma: usize, scratch: usize, M: i32, C: i32): void {
  const C4 = C & ~3, sdy = scratch, sdyx = at(scratch, C), fm = <f32>M, vm = vsplat(fm);
  memory.fill(scratch, 0, <usize>C << 3);
  for (let r = 0; r < M; r++) {
    const xr = at(x, r * C), gr = at(dy, r * C);
    let c = 0;
    for (; c < C4; c += 4) {
      const g = vld(at(gr, c)), xh = vmul(vsub(vld(at(xr, c)), vld(at(saveMean, c))), vld(at(saveInvstd, c)));
      vst(at(sdy, c), vadd(vld(at(sdy, c)), g));
      vst(at(sdyx, c), vfma(g, xh, vld(at(sdyx, c))));
    }
    for (; c < C; c++) {
      const g = load<f32>(at(gr, c)), xh = (load<f32>(at(xr, c)) - load<f32>(at(saveMean, c))) * load<f32>(at(saveInvstd, c));
      store<f32>(at(sdy, c), load<f32>(at(sdy, c)) + g);
      store<f32>(at(sdyx, c), load<f32>(at(sdyx, c)) + g * xh);
    }
  }
  let c = 0;
  for (; c < C4; c += 4) {
    const a = vld(at(sdy, c)), b = vld(at(sdyx, c));
    vst(at(dgamma, c), vadd(vld(at(dgamma, c)), b)); vst(at(dbeta, c), vadd(vld(at(dbeta, c)), a));
    vst(at(sdy, c), vdiv(a, vm)); vst(at(sdyx, c), vdiv(b, vm));
  }
  for (; c < C; c++) {
    const a = load<f32>(at(sdy, c)), b = load<f32>(at(sdyx, c));
    store<f32>(at(dgamma, c), load<f32>(at(dgamma, c)) + b); store<f32>(at(dbeta, c), load<f32>(at(dbeta, c)) + a);
    store<f32>(at(sdy, c), a / fm); store<f32>(at(sdyx, c), b / fm);
  }
  for (let r = 0; r < M; r++) {
    const xr = at(x, r * C), gr = at(dy, r * C), dr = at(dx, r * C);
    c = 0;
    for (; c < C4; c += 4) {
      const inv = vld(at(saveInvstd, c)), xh = vmul(vsub(vld(at(xr, c)), vld(at(saveMean, c))), inv);
      const t = vsub(vsub(vld(at(gr, c)), vld(at(sdy, c))), vmul(xh, vld(at(sdyx, c))));
      vst(at(dr, c), vfma(vmul(vld(at(gamma, c)), inv), t, vld(at(dr, c))));
    }
    for (; c < C; c++) {
      const inv = load<f32>(at(saveInvstd, c)), xh = (load<f32>(at(xr, c)) - load<f32>(at(saveMean, c))) * inv;
      const t = load<f32>(at(gr, c)) - load<f32>(at(sdy, c)) - xh * load<f32>(at(sdyx, c));
      store<f32>(at(dr, c), load<f32>(at(dr, c)) + load<f32>(at(gamma, c)) * inv * t);
    }
  }
}

// dx: (M, C) +=; dgamma, dbeta: (C) +=; dy, x: (M, C); gamma, runMean, runVar: (C)
export function f32_batchnorm_bwd_eval__ref(dx: usize, dgamma: usize, dbeta: usize, dy: usize, x: usize, gamma: usize,
                                            runMean: usize, runVar: usize, M: i32, C: i32, eps: f32): void {
  for (let r = 0; r < M; r++) for (let c = 0; c < C; c++) {
    const o = r * C + c, inv = <f32>1 / Mathf.sqrt(load<f32>(at(runVar, c)) + eps), g = load<f32>(at(dy, o));
    store<f32>(at(dgamma, c), load<f32>(at(dgamma, c)) + g * (load<f32>(at(x, o)) - load<f32>(at(runMean, c))) * inv);
    store<f32>(at(dbeta, c), load<f32>(at(dbeta, c)) + g);
    store<f32>(at(dx, o), load<f32>(at(dx, o)) + g * load<f32>(at(gamma, c)) * inv);
  }
}
export function f32_batchnorm_bwd_eval__simd(dx: usize, dgamma: usize, dbeta: usize, dy: usize, x: usize, gamma: usize,
                                             runMean: usize, runVar: usize, M: i32, C: i32, eps: f32): void {
  const C4 = C & ~3, ve = vsplat(eps), one = vsplat(1);
  for (let r = 0; r < M; r++) {
    const xr = at(x, r * C), gr = at(dy, r * C), dr = at(dx, r * C);
    let c = 0;
    for (; c < C4; c += 4) {
      const inv = vdiv(one, vsqrt(vadd(vld(at(runVar, c)), ve))), g = vld(at(gr, c));
      vst(at(dgamma, c), vfma(g, vmul(vsub(vld(at(xr, c)), vld(at(runMean, c))), inv), vld(at(dgamma, c))));
      vst(at(dbeta, c), vadd(vld(at(dbeta, c)), g));
      vst(at(dr, c), vfma(vmul(g, vld(at(gamma, c))), inv, vld(at(dr, c))));
    }
    for (; c < C; c++) {
      const inv = <f32>1 / Mathf.sqrt(load<f32>(at(runVar, c)) + eps), g = load<f32>(at(gr, c));
      store<f32>(at(dgamma, c), load<f32>(at(dgamma, c)) + g * (load<f32>(at(xr, c)) - load<f32>(at(runMean, c))) * inv);
      store<f32>(at(dbeta, c), load<f32>(at(dbeta, c)) + g);
      store<f32>(at(dr, c), load<f32>(at(dr, c)) + g * load<f32>(at(gamma, c)) * inv);
    }
  }
}
