// Activations: ReLU, Leaky ReLU, sigmoid, tanh (elementwise), softmax and log-softmax (per row).
// fwd: y = f(x). bwd accumulates: dx += dy * f'(.), from the saved input x (relu family) or the
// saved output y (sigmoid, tanh, softmax family). y may alias x in fwd.
import { vld, vst, vsplat, vzero, vadd, vsub, vmul, vfma, vsum, vhmax, vexp, vtanh, vsigmoid, vsel, vgt, vldPart, vstPart } from '../simd';
import { f32_bias_grad__ref, f32_bias_grad__simd } from './gemm';
import { splitSpan, mtForElems, parallelRange, rangeLo, rangeHi, setArg, setArgF, arg, argF, argP } from '../mt';

// element-operations per element of the exp-based activations (for the thread threshold: mt.ts)
const COST_EXP: i32 = 16;

// ---- ReLU / Leaky ReLU (alpha = 0 is ReLU). x, y, dx, dy: (n) f32 ----
export function f32_leaky_relu_fwd__ref(y: usize, x: usize, n: i32, alpha: f32): void {
  for (let i = 0; i < n; i++) { const o = <usize>i << 2; const v = load<f32>(x + o); store<f32>(y + o, v > 0 ? v : v * alpha); }
}
export function f32_leaky_relu_fwd__simd(y: usize, x: usize, n: i32, alpha: f32): void { splitSpan(leakyReluFwd, y, 4, x, 4, 0, 0, n, 0, alpha, 0, 1, 64); }
function leakyReluFwd(y: usize, x: usize, _c: usize, n: i32, _k: i32, alpha: f32, _g: f32): void {
  const va = vsplat(alpha), z = vzero();
  let i = 0;
  for (; i + 4 <= n; i += 4) { const o = <usize>i << 2; const v = vld(x + o); vst(y + o, vsel(vgt(v, z), v, vmul(v, va))); }
  for (; i < n; i++) { const o = <usize>i << 2; const v = load<f32>(x + o); store<f32>(y + o, v > 0 ? v : v * alpha); }
}
export function f32_leaky_relu_bwd__ref(dx: usize, dy: usize, x: usize, n: i32, alpha: f32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const g = load<f32>(dy + o);
    store<f32>(dx + o, load<f32>(dx + o) + (load<f32>(x + o) > 0 ? g : g * alpha));
  }
}
export function f32_leaky_relu_bwd__simd(dx: usize, dy: usize, x: usize, n: i32, alpha: f32): void { splitSpan(leakyReluBwd, dx, 4, dy, 4, x, 4, n, 0, alpha, 0, 1, 64); }
function leakyReluBwd(dx: usize, dy: usize, x: usize, n: i32, _k: i32, alpha: f32, _g: f32): void {
  const va = vsplat(alpha), z = vzero();
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const g = vld(dy + o);
    vst(dx + o, vadd(vld(dx + o), vsel(vgt(vld(x + o), z), g, vmul(g, va))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const g = load<f32>(dy + o);
    store<f32>(dx + o, load<f32>(dx + o) + (load<f32>(x + o) > 0 ? g : g * alpha));
  }
}

// A conv's bias + ReLU backward in one pass (training plans fuse leaky_relu_bwd + bias_grad into it,
// src/compile/fuse.ts): dx += dy * (y > 0 ? 1 : alpha), then db += the column sums of the updated dx,
// exactly the two kernels one after the other. Masked by the activation's OUTPUT y: with alpha >= 0,
// y > 0 iff its input > 0. dx, dy, y: (M, N) f32; db: (N) f32.
export function f32_leaky_relu_bwd_bias_grad__ref(dx: usize, db: usize, dy: usize, y: usize, M: i32, N: i32, alpha: f32): void {
  f32_leaky_relu_bwd__ref(dx, dy, y, M * N, alpha);
  f32_bias_grad__ref(db, dx, M, N);
}
// Threads: column blocks of 16 (each sums its db columns down all rows, as one thread does); with
// fewer blocks than threads, the ReLU backward split by elements, then the column sums on one thread
// (f32_bias_grad's adds: the same as the fused pass's).
export function f32_leaky_relu_bwd_bias_grad__simd(dx: usize, db: usize, dy: usize, y: usize, M: i32, N: i32, alpha: f32): void {
  const th = mtForElems(M * N, 2);
  if (th <= 1) { reluBwdBiasCols(dx, db, dy, y, M, N, alpha, 0, N); return; }
  if ((N + 15) >> 4 < th) {
    f32_leaky_relu_bwd__simd(dx, dy, y, M * N, alpha);
    f32_bias_grad__simd(db, dx, M, N);
    return;
  }
  setArg(0, <i32>dx); setArg(1, <i32>db); setArg(2, <i32>dy); setArg(3, <i32>y); setArg(4, M); setArg(5, N); setArgF(6, alpha);
  parallelRange(reluBwdBiasTask, N, 16, th);
}
function reluBwdBiasTask(t: i32, tid: i32): void {
  reluBwdBiasCols(argP(0), argP(1), argP(2), argP(3), arg(4), arg(5), argF(6), rangeLo(t), rangeHi(t));
}
// columns [c0, c1) of f32_leaky_relu_bwd_bias_grad (c0 a multiple of 16)
function reluBwdBiasCols(dx: usize, db: usize, dy: usize, y: usize, M: i32, N: i32, alpha: f32, c0: i32, c1: i32): void {
  // column blocks of 16: the block's db sums stay in registers down all rows (the same adds, in the same row order)
  const ld = <usize>N << 2;
  if ((N & 3) == 0) {
    // whole vectors (lane counts constant after inlining)
    for (let j0 = c0; j0 < c1; j0 += 16) {
      const w = min(16, c1 - j0), b = db + (<usize>j0 << 2);
      let s0 = vld(b), s1 = w > 4 ? vld(b + 16) : vzero(), s2 = w > 8 ? vld(b + 32) : vzero(), s3 = w > 12 ? vld(b + 48) : vzero();
      let o = <usize>j0 << 2;
      if (w == 16) {
        for (let i = 0; i < M; i++) {
          s0 = reluBwdStep(dx + o, dy + o, y + o, 4, alpha, s0); s1 = reluBwdStep(dx + o + 16, dy + o + 16, y + o + 16, 4, alpha, s1);
          s2 = reluBwdStep(dx + o + 32, dy + o + 32, y + o + 32, 4, alpha, s2); s3 = reluBwdStep(dx + o + 48, dy + o + 48, y + o + 48, 4, alpha, s3);
          o += ld;
        }
      } else {
        for (let i = 0; i < M; i++) {
          s0 = reluBwdStep(dx + o, dy + o, y + o, 4, alpha, s0);
          if (w > 4) s1 = reluBwdStep(dx + o + 16, dy + o + 16, y + o + 16, 4, alpha, s1);
          if (w > 8) s2 = reluBwdStep(dx + o + 32, dy + o + 32, y + o + 32, 4, alpha, s2);
          o += ld;
        }
      }
      vst(b, s0); if (w > 4) vst(b + 16, s1); if (w > 8) vst(b + 32, s2); if (w > 12) vst(b + 48, s3);
    }
    return;
  }
  for (let j0 = c0; j0 < c1; j0 += 16) {
    const w = min(16, c1 - j0), m0 = min(4, w), m1 = min(4, max(0, w - 4)), m2 = min(4, max(0, w - 8)), m3 = max(0, w - 12);
    const b = db + (<usize>j0 << 2);
    let s0 = vldPart(b, m0), s1 = vldPart(b + 16, m1), s2 = vldPart(b + 32, m2), s3 = vldPart(b + 48, m3);
    let o = <usize>j0 << 2;
    for (let i = 0; i < M; i++) {
      s0 = reluBwdStep(dx + o, dy + o, y + o, m0, alpha, s0);
      if (m1) s1 = reluBwdStep(dx + o + 16, dy + o + 16, y + o + 16, m1, alpha, s1);
      if (m2) s2 = reluBwdStep(dx + o + 32, dy + o + 32, y + o + 32, m2, alpha, s2);
      if (m3) s3 = reluBwdStep(dx + o + 48, dy + o + 48, y + o + 48, m3, alpha, s3);
      o += ld;
    }
    vstPart(b, s0, m0); vstPart(b + 16, s1, m1); vstPart(b + 32, s2, m2); vstPart(b + 48, s3, m3);
  }
}
// dx[0..m) += leaky ReLU backward of dy masked by y; returns s + the updated dx lanes
// @ts-ignore: decorator
@inline function reluBwdStep(px: usize, py: usize, pm: usize, m: i32, alpha: f32, s: v128): v128 {
  const g = vldPart(py, m);
  const d = vadd(vldPart(px, m), vsel(vgt(vldPart(pm, m), vzero()), g, vmul(g, vsplat(alpha))));
  vstPart(px, d, m);
  return vadd(s, d);
}

// ---- sigmoid: y = 1/(1+e^-x); dx += dy * y * (1 - y) ----
export function f32_sigmoid_fwd__ref(y: usize, x: usize, n: i32): void {
  for (let i = 0; i < n; i++) { const o = <usize>i << 2; store<f32>(y + o, <f32>1 / (<f32>1 + Mathf.exp(-load<f32>(x + o)))); }
}
export function f32_sigmoid_fwd__simd(y: usize, x: usize, n: i32): void { splitSpan(sigmoidFwd, y, 4, x, 4, 0, 0, n, 0, 0, 0, COST_EXP, 64); }
function sigmoidFwd(y: usize, x: usize, _c: usize, n: i32, _k: i32, _f: f32, _g: f32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) { const o = <usize>i << 2; vst(y + o, vsigmoid(vld(x + o))); }
  for (; i < n; i++) { const o = <usize>i << 2; store<f32>(y + o, <f32>1 / (<f32>1 + Mathf.exp(-load<f32>(x + o)))); }
}
export function f32_sigmoid_bwd__ref(dx: usize, dy: usize, y: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2; const s = load<f32>(y + o);
    store<f32>(dx + o, load<f32>(dx + o) + load<f32>(dy + o) * s * (1 - s));
  }
}
export function f32_sigmoid_bwd__simd(dx: usize, dy: usize, y: usize, n: i32): void { splitSpan(sigmoidBwd, dx, 4, dy, 4, y, 4, n, 0, 0, 0, 1, 64); }
function sigmoidBwd(dx: usize, dy: usize, y: usize, n: i32, _k: i32, _f: f32, _g: f32): void {
  const one = vsplat(1);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2; const s = vld(y + o);
    vst(dx + o, vfma(vmul(vld(dy + o), s), vsub(one, s), vld(dx + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2; const s = load<f32>(y + o);
    store<f32>(dx + o, load<f32>(dx + o) + load<f32>(dy + o) * s * (1 - s));
  }
}

// ---- tanh: dx += dy * (1 - y^2) ----
export function f32_tanh_fwd__ref(y: usize, x: usize, n: i32): void {
  for (let i = 0; i < n; i++) { const o = <usize>i << 2; store<f32>(y + o, Mathf.tanh(load<f32>(x + o))); }
}
export function f32_tanh_fwd__simd(y: usize, x: usize, n: i32): void { splitSpan(tanhFwd, y, 4, x, 4, 0, 0, n, 0, 0, 0, COST_EXP, 64); }
function tanhFwd(y: usize, x: usize, _c: usize, n: i32, _k: i32, _f: f32, _g: f32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) { const o = <usize>i << 2; vst(y + o, vtanh(vld(x + o))); }
  for (; i < n; i++) { const o = <usize>i << 2; store<f32>(y + o, Mathf.tanh(load<f32>(x + o))); }
}
export function f32_tanh_bwd__ref(dx: usize, dy: usize, y: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2; const t = load<f32>(y + o);
    store<f32>(dx + o, load<f32>(dx + o) + load<f32>(dy + o) * (1 - t * t));
  }
}
export function f32_tanh_bwd__simd(dx: usize, dy: usize, y: usize, n: i32): void { splitSpan(tanhBwd, dx, 4, dy, 4, y, 4, n, 0, 0, 0, 1, 64); }
function tanhBwd(dx: usize, dy: usize, y: usize, n: i32, _k: i32, _f: f32, _g: f32): void {
  const one = vsplat(1);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2; const t = vld(y + o);
    vst(dx + o, vfma(vld(dy + o), vsub(one, vmul(t, t)), vld(dx + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2; const t = load<f32>(y + o);
    store<f32>(dx + o, load<f32>(dx + o) + load<f32>(dy + o) * (1 - t * t));
  }
}

// ---- softmax / log-softmax over rows. x, y: (rows, cols) f32 ----

/** max of a row, SIMD. */
@inline function rowMax(x: usize, cols: i32): f32 {
  let m: f32 = -Infinity;
  let c = 0;
  if (cols >= 4) {
    let vm = vld(x);
    // (pmax: one instruction, where max takes eight in V8; a NaN it drops makes its own output, and so the row's sum, NaN)
    for (c = 4; c + 4 <= cols; c += 4) vm = f32x4.pmax(vm, vld(x + (<usize>c << 2)));
    m = vhmax(vm);
  }
  for (; c < cols; c++) m = max(m, load<f32>(x + (<usize>c << 2)));
  return m;
}

/** y = exp(x - m) over a row; returns the sum. */
@inline function rowExp(y: usize, x: usize, cols: i32, m: f32): f32 {
  const vm = vsplat(m);
  let acc = vzero();
  let c = 0;
  for (; c + 4 <= cols; c += 4) {
    const e = vexp(vsub(vld(x + (<usize>c << 2)), vm));
    vst(y + (<usize>c << 2), e);
    acc = vadd(acc, e);
  }
  let s = vsum(acc);
  for (; c < cols; c++) { const e = Mathf.exp(load<f32>(x + (<usize>c << 2)) - m); store<f32>(y + (<usize>c << 2), e); s += e; }
  return s;
}

export function f32_softmax_fwd__ref(y: usize, x: usize, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const xr = x + (<usize>r * cols << 2), yr = y + (<usize>r * cols << 2);
    let m: f32 = -Infinity;
    for (let c = 0; c < cols; c++) m = max(m, load<f32>(xr + (<usize>c << 2)));
    let s: f32 = 0;
    for (let c = 0; c < cols; c++) { const e = Mathf.exp(load<f32>(xr + (<usize>c << 2)) - m); store<f32>(yr + (<usize>c << 2), e); s += e; }
    const inv: f32 = 1 / s;
    for (let c = 0; c < cols; c++) store<f32>(yr + (<usize>c << 2), load<f32>(yr + (<usize>c << 2)) * inv);
  }
}
export function f32_softmax_fwd__simd(y: usize, x: usize, rows: i32, cols: i32): void { splitSpan(softmaxFwd, y, cols << 2, x, cols << 2, 0, 0, rows, cols, 0, 0, COST_EXP * cols, 1); }
function softmaxFwd(y: usize, x: usize, _c: usize, rows: i32, cols: i32, _f: f32, _g: f32): void {
  for (let r = 0; r < rows; r++) {
    const xr = x + (<usize>r * cols << 2), yr = y + (<usize>r * cols << 2);
    const s = rowExp(yr, xr, cols, rowMax(xr, cols));
    const inv: f32 = 1 / s, vi = vsplat(inv);
    let c = 0;
    for (; c + 4 <= cols; c += 4) { const p = yr + (<usize>c << 2); vst(p, vmul(vld(p), vi)); }
    for (; c < cols; c++) { const p = yr + (<usize>c << 2); store<f32>(p, load<f32>(p) * inv); }
  }
}
// dx += y * (dy - sum(dy * y)) per row
export function f32_softmax_bwd__ref(dx: usize, dy: usize, y: usize, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const o = <usize>r * cols << 2;
    let d: f32 = 0;
    for (let c = 0; c < cols; c++) { const q = o + (<usize>c << 2); d += load<f32>(dy + q) * load<f32>(y + q); }
    for (let c = 0; c < cols; c++) {
      const q = o + (<usize>c << 2);
      store<f32>(dx + q, load<f32>(dx + q) + load<f32>(y + q) * (load<f32>(dy + q) - d));
    }
  }
}
export function f32_softmax_bwd__simd(dx: usize, dy: usize, y: usize, rows: i32, cols: i32): void { splitSpan(softmaxBwd, dx, cols << 2, dy, cols << 2, y, cols << 2, rows, cols, 0, 0, 2 * cols, 1); }
function softmaxBwd(dx: usize, dy: usize, y: usize, rows: i32, cols: i32, _f: f32, _g: f32): void {
  for (let r = 0; r < rows; r++) {
    const o = <usize>r * cols << 2;
    let acc = vzero();
    let c = 0;
    for (; c + 4 <= cols; c += 4) { const q = o + (<usize>c << 2); acc = vfma(vld(dy + q), vld(y + q), acc); }
    let d = vsum(acc);
    for (; c < cols; c++) { const q = o + (<usize>c << 2); d += load<f32>(dy + q) * load<f32>(y + q); }
    const vd = vsplat(d);
    for (c = 0; c + 4 <= cols; c += 4) {
      const q = o + (<usize>c << 2);
      vst(dx + q, vfma(vld(y + q), vsub(vld(dy + q), vd), vld(dx + q)));
    }
    for (; c < cols; c++) {
      const q = o + (<usize>c << 2);
      store<f32>(dx + q, load<f32>(dx + q) + load<f32>(y + q) * (load<f32>(dy + q) - d));
    }
  }
}

// log-softmax: y = x - m - log(sum(exp(x - m))); dx += dy - exp(y) * sum(dy)
export function f32_log_softmax_fwd__ref(y: usize, x: usize, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const xr = x + (<usize>r * cols << 2), yr = y + (<usize>r * cols << 2);
    let m: f32 = -Infinity;
    for (let c = 0; c < cols; c++) m = max(m, load<f32>(xr + (<usize>c << 2)));
    let s: f32 = 0;
    for (let c = 0; c < cols; c++) s += Mathf.exp(load<f32>(xr + (<usize>c << 2)) - m);
    const l = m + Mathf.log(s);
    for (let c = 0; c < cols; c++) store<f32>(yr + (<usize>c << 2), load<f32>(xr + (<usize>c << 2)) - l);
  }
}
export function f32_log_softmax_fwd__simd(y: usize, x: usize, rows: i32, cols: i32): void { splitSpan(logSoftmaxFwd, y, cols << 2, x, cols << 2, 0, 0, rows, cols, 0, 0, COST_EXP * cols, 1); }
function logSoftmaxFwd(y: usize, x: usize, _c: usize, rows: i32, cols: i32, _f: f32, _g: f32): void {
  for (let r = 0; r < rows; r++) {
    const xr = x + (<usize>r * cols << 2), yr = y + (<usize>r * cols << 2);
    const m = rowMax(xr, cols);
    const vm = vsplat(m);
    let acc = vzero();
    let c = 0;
    for (; c + 4 <= cols; c += 4) acc = vadd(acc, vexp(vsub(vld(xr + (<usize>c << 2)), vm)));
    let s = vsum(acc);
    for (; c < cols; c++) s += Mathf.exp(load<f32>(xr + (<usize>c << 2)) - m);
    const l = m + Mathf.log(s), vl = vsplat(l);
    for (c = 0; c + 4 <= cols; c += 4) vst(yr + (<usize>c << 2), vsub(vld(xr + (<usize>c << 2)), vl));
    for (; c < cols; c++) store<f32>(yr + (<usize>c << 2), load<f32>(xr + (<usize>c << 2)) - l);
  }
}
export function f32_log_softmax_bwd__ref(dx: usize, dy: usize, y: usize, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const o = <usize>r * cols << 2;
    let s: f32 = 0;
    for (let c = 0; c < cols; c++) s += load<f32>(dy + o + (<usize>c << 2));
    for (let c = 0; c < cols; c++) {
      const q = o + (<usize>c << 2);
      store<f32>(dx + q, load<f32>(dx + q) + load<f32>(dy + q) - Mathf.exp(load<f32>(y + q)) * s);
    }
  }
}
export function f32_log_softmax_bwd__simd(dx: usize, dy: usize, y: usize, rows: i32, cols: i32): void { splitSpan(logSoftmaxBwd, dx, cols << 2, dy, cols << 2, y, cols << 2, rows, cols, 0, 0, COST_EXP * cols, 1); }
function logSoftmaxBwd(dx: usize, dy: usize, y: usize, rows: i32, cols: i32, _f: f32, _g: f32): void {
  for (let r = 0; r < rows; r++) {
    const o = <usize>r * cols << 2;
    let acc = vzero();
    let c = 0;
    for (; c + 4 <= cols; c += 4) acc = vadd(acc, vld(dy + o + (<usize>c << 2)));
    let s = vsum(acc);
    for (; c < cols; c++) s += load<f32>(dy + o + (<usize>c << 2));
    const vs = vsplat(s);
    for (c = 0; c + 4 <= cols; c += 4) {
      const q = o + (<usize>c << 2);
      vst(dx + q, vadd(vld(dx + q), vsub(vld(dy + q), vmul(vexp(vld(y + q)), vs))));
    }
    for (; c < cols; c++) {
      const q = o + (<usize>c << 2);
      store<f32>(dx + q, load<f32>(dx + q) + load<f32>(dy + q) - Mathf.exp(load<f32>(y + q)) * s);
    }
  }
}
