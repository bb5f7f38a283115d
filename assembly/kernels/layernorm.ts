// Layer normalization over the last axis (PyTorch nn.LayerNorm / Keras LayerNormalization, axis -1):
// x, y, dx, dy: (M, C) f32, M rows (samples × positions) of C features; gamma, beta, dgamma, dbeta: (C);
// mean, invstd: (M) saved by forward for backward.
//   fwd: mean, var = statistics of each row, var BIASED (/C); invstd = 1/sqrt(var + eps);
//        y = (x - mean) * invstd * gamma + beta
//   bwd: xhat = (x - mean) * invstd, g = dy * gamma:
//        dx += invstd * (g - mean(g) - xhat * mean(g * xhat)); dgamma += sum over rows dy*xhat; dbeta += sum dy
// No affine: the host passes gamma = 1, beta = 0. Backward ACCUMULATES. The SIMD forms sum a row's
// values in four lanes (the reference in order): equal within rounding, not bit for bit. Threads: rows
// (forward, dx) and column blocks (dgamma, dbeta), so every output is one thread's.
import { vld, vst, vsplat, vadd, vsub, vmul, vsum, vzero } from '../simd';
import { mtForElems, parallel, parallelRange, rangeLo, rangeHi, setArg, setArgF, arg, argF, argP } from '../mt';

// @ts-ignore: decorator
@inline function at(p: usize, i: i32): usize { return p + (<usize>i << 2); }

export function f32_layernorm_fwd__ref(y: usize, mean: usize, invstd: usize, x: usize, gamma: usize, beta: usize, M: i32, C: i32, eps: f32): void {
  for (let r = 0; r < M; r++) {
    const xr = x + (<usize>r * C << 2), yr = y + (<usize>r * C << 2);
    let s: f32 = 0;
    for (let c = 0; c < C; c++) s += load<f32>(at(xr, c));
    const mu = s / <f32>C;
    let q: f32 = 0;
    for (let c = 0; c < C; c++) { const d = load<f32>(at(xr, c)) - mu; q += d * d; }
    const inv = <f32>1 / Mathf.sqrt(q / <f32>C + eps);
    store<f32>(at(mean, r), mu); store<f32>(at(invstd, r), inv);
    for (let c = 0; c < C; c++) store<f32>(at(yr, c), (load<f32>(at(xr, c)) - mu) * inv * load<f32>(at(gamma, c)) + load<f32>(at(beta, c)));
  }
}

export function f32_layernorm_fwd__simd(y: usize, mean: usize, invstd: usize, x: usize, gamma: usize, beta: usize, M: i32, C: i32, eps: f32): void {
  const th = mtForElems(M * C, 4);
  if (th <= 1) { fwdRows(y, mean, invstd, x, gamma, beta, C, eps, 0, M); return; }
  setArg(0, <i32>y); setArg(1, <i32>mean); setArg(2, <i32>invstd); setArg(3, <i32>x); setArg(4, <i32>gamma); setArg(5, <i32>beta);
  setArg(6, C); setArgF(7, eps);
  parallelRange(fwdTask, M, 1, th);
}
function fwdTask(t: i32, tid: i32): void { fwdRows(argP(0), argP(1), argP(2), argP(3), argP(4), argP(5), arg(6), argF(7), rangeLo(t), rangeHi(t)); }
function fwdRows(y: usize, mean: usize, invstd: usize, x: usize, gamma: usize, beta: usize, C: i32, eps: f32, r0: i32, r1: i32): void {
  const C4 = C & ~3;
  for (let r = r0; r < r1; r++) {
    const xr = x + (<usize>r * C << 2), yr = y + (<usize>r * C << 2);
    let vs = vzero(), c = 0;
    for (; c < C4; c += 4) vs = vadd(vs, vld(at(xr, c)));
    let s = vsum(vs);
    for (; c < C; c++) s += load<f32>(at(xr, c));
    const mu = s / <f32>C, vmu = vsplat(mu);
    let vq = vzero();
    for (c = 0; c < C4; c += 4) { const d = vsub(vld(at(xr, c)), vmu); vq = vadd(vq, vmul(d, d)); }
    let q = vsum(vq);
    for (; c < C; c++) { const d = load<f32>(at(xr, c)) - mu; q += d * d; }
    const inv = <f32>1 / Mathf.sqrt(q / <f32>C + eps), vinv = vsplat(inv);
    store<f32>(at(mean, r), mu); store<f32>(at(invstd, r), inv);
    for (c = 0; c < C4; c += 4) vst(at(yr, c), vadd(vmul(vmul(vsub(vld(at(xr, c)), vmu), vinv), vld(at(gamma, c))), vld(at(beta, c))));
    for (; c < C; c++) store<f32>(at(yr, c), (load<f32>(at(xr, c)) - mu) * inv * load<f32>(at(gamma, c)) + load<f32>(at(beta, c)));
  }
}

export function f32_layernorm_bwd__ref(dx: usize, dgamma: usize, dbeta: usize, dy: usize, x: usize, mean: usize, invstd: usize, gamma: usize, M: i32, C: i32): void {
  for (let r = 0; r < M; r++) {
    const o = <usize>r * C << 2, mu = load<f32>(at(mean, r)), inv = load<f32>(at(invstd, r));
    let sg: f32 = 0, sgx: f32 = 0;
    for (let c = 0; c < C; c++) {
      const xh = (load<f32>(at(x + o, c)) - mu) * inv, d = load<f32>(at(dy + o, c)), g = d * load<f32>(at(gamma, c));
      sg += g; sgx += g * xh;
      store<f32>(at(dgamma, c), load<f32>(at(dgamma, c)) + d * xh);
      store<f32>(at(dbeta, c), load<f32>(at(dbeta, c)) + d);
    }
    const mg = sg / <f32>C, mgx = sgx / <f32>C;
    for (let c = 0; c < C; c++) {
      const xh = (load<f32>(at(x + o, c)) - mu) * inv, g = load<f32>(at(dy + o, c)) * load<f32>(at(gamma, c));
      store<f32>(at(dx + o, c), load<f32>(at(dx + o, c)) + inv * (g - mg - xh * mgx));
    }
  }
}

// Threads: dx by rows (each row's sums as in the fused pass) and, as other tasks of the same job,
// dgamma / dbeta by column blocks (each column summed down the rows in order, as in the fused pass).
export function f32_layernorm_bwd__simd(dx: usize, dgamma: usize, dbeta: usize, dy: usize, x: usize, mean: usize, invstd: usize, gamma: usize, M: i32, C: i32): void {
  const th = mtForElems(M * C, 6);
  if (th <= 1) { bwdFused(dx, dgamma, dbeta, dy, x, mean, invstd, gamma, M, C); return; }
  setArg(0, <i32>dx); setArg(1, <i32>dgamma); setArg(2, <i32>dbeta); setArg(3, <i32>dy); setArg(4, <i32>x); setArg(5, <i32>mean);
  setArg(6, <i32>invstd); setArg(7, <i32>gamma); setArg(8, M); setArg(9, C);
  const rowStep = (M + 2 * th - 1) / (2 * th), colStep = ((C + 2 * th - 1) / (2 * th) + 3) & ~3;
  const rowTasks = (M + rowStep - 1) / rowStep;
  setArg(10, rowStep); setArg(11, colStep); setArg(12, rowTasks);
  parallel(bwdTask, rowTasks + (C + colStep - 1) / colStep, th);
}
function bwdTask(t: i32, tid: i32): void {
  const M = arg(8), C = arg(9), rowStep = arg(10), colStep = arg(11), rowTasks = arg(12);
  if (t < rowTasks) bwdRows(argP(0), argP(3), argP(4), argP(5), argP(6), argP(7), C, t * rowStep, min(M, (t + 1) * rowStep));
  else {
    const c0 = (t - rowTasks) * colStep;
    bwdCols(argP(1), argP(2), argP(3), argP(4), argP(5), argP(6), M, C, c0, min(C, c0 + colStep));
  }
}
// dx rows [r0, r1)
function bwdRows(dx: usize, dy: usize, x: usize, mean: usize, invstd: usize, gamma: usize, C: i32, r0: i32, r1: i32): void {
  const C4 = C & ~3;
  for (let r = r0; r < r1; r++) {
    const o = <usize>r * C << 2, mu = load<f32>(at(mean, r)), inv = load<f32>(at(invstd, r)), vmu = vsplat(mu), vinv = vsplat(inv);
    let vg = vzero(), vgx = vzero(), c = 0;
    for (; c < C4; c += 4) {
      const xh = vmul(vsub(vld(at(x + o, c)), vmu), vinv), g = vmul(vld(at(dy + o, c)), vld(at(gamma, c)));
      vg = vadd(vg, g); vgx = vadd(vgx, vmul(g, xh));
    }
    let sg = vsum(vg), sgx = vsum(vgx);
    for (; c < C; c++) {
      const xh = (load<f32>(at(x + o, c)) - mu) * inv, g = load<f32>(at(dy + o, c)) * load<f32>(at(gamma, c));
      sg += g; sgx += g * xh;
    }
    bwdDx(dx + o, dy + o, x + o, gamma, C, mu, inv, sg / <f32>C, sgx / <f32>C);
  }
}
// dgamma, dbeta columns [c0, c1) (c0 a multiple of 4), summed down all rows
function bwdCols(dgamma: usize, dbeta: usize, dy: usize, x: usize, mean: usize, invstd: usize, M: i32, C: i32, c0: i32, c1: i32): void {
  const cv = min(c1, C & ~3);
  for (let r = 0; r < M; r++) {
    const o = <usize>r * C << 2, mu = load<f32>(at(mean, r)), inv = load<f32>(at(invstd, r)), vmu = vsplat(mu), vinv = vsplat(inv);
    let c = c0;
    for (; c < cv; c += 4) {
      const xh = vmul(vsub(vld(at(x + o, c)), vmu), vinv), d = vld(at(dy + o, c));
      vst(at(dgamma, c), vadd(vld(at(dgamma, c)), vmul(d, xh)));
      vst(at(dbeta, c), vadd(vld(at(dbeta, c)), d));
    }
    for (; c < c1; c++) {
      const xh = (load<f32>(at(x + o, c)) - mu) * inv, d = load<f32>(at(dy + o, c));
      store<f32>(at(dgamma, c), load<f32>(at(dgamma, c)) + d * xh);
      store<f32>(at(dbeta, c), load<f32>(at(dbeta, c)) + d);
    }
  }
}
// one row's dx += invstd * (g - mg - xhat * mgx)
// @ts-ignore: decorator
@inline function bwdDx(dx: usize, dy: usize, x: usize, gamma: usize, C: i32, mu: f32, inv: f32, mg: f32, mgx: f32): void {
  const C4 = C & ~3, vmu = vsplat(mu), vinv = vsplat(inv), vmg = vsplat(mg), vmgx = vsplat(mgx);
  let c = 0;
  for (; c < C4; c += 4) {
    const xh = vmul(vsub(vld(at(x, c)), vmu), vinv), g = vmul(vld(at(dy, c)), vld(at(gamma, c)));
    vst(at(dx, c), vadd(vld(at(dx, c)), vmul(vinv, vsub(vsub(g, vmg), vmul(xh, vmgx)))));
  }
  for (; c < C; c++) {
    const xh = (load<f32>(at(x, c)) - mu) * inv, g = load<f32>(at(dy, c)) * load<f32>(at(gamma, c));
    store<f32>(at(dx, c), load<f32>(at(dx, c)) + inv * (g - mg - xh * mgx));
  }
}
// one thread: statistics, dgamma / dbeta and dx in one pass per row
function bwdFused(dx: usize, dgamma: usize, dbeta: usize, dy: usize, x: usize, mean: usize, invstd: usize, gamma: usize, M: i32, C: i32): void {
  const C4 = C & ~3;
  for (let r = 0; r < M; r++) {
    const o = <usize>r * C << 2, mu = load<f32>(at(mean, r)), inv = load<f32>(at(invstd, r)), vmu = vsplat(mu), vinv = vsplat(inv);
    let vg = vzero(), vgx = vzero(), c = 0;
    for (; c < C4; c += 4) {
      const xh = vmul(vsub(vld(at(x + o, c)), vmu), vinv), d = vld(at(dy + o, c)), g = vmul(d, vld(at(gamma, c)));
      vg = vadd(vg, g); vgx = vadd(vgx, vmul(g, xh));
      vst(at(dgamma, c), vadd(vld(at(dgamma, c)), vmul(d, xh)));
      vst(at(dbeta, c), vadd(vld(at(dbeta, c)), d));
    }
    let sg = vsum(vg), sgx = vsum(vgx);
    for (; c < C; c++) {
      const xh = (load<f32>(at(x + o, c)) - mu) * inv, d = load<f32>(at(dy + o, c)), g = d * load<f32>(at(gamma, c));
      sg += g; sgx += g * xh;
      store<f32>(at(dgamma, c), load<f32>(at(dgamma, c)) + d * xh);
      store<f32>(at(dbeta, c), load<f32>(at(dbeta, c)) + d);
    }
    bwdDx(dx + o, dy + o, x + o, gamma, C, mu, inv, sg / <f32>C, sgx / <f32>C);
  }
}
