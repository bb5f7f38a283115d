// Optimizer updates, following PyTorch's documented algorithms (torch.optim, 2.x docs).
// w, g and state buffers: (n) f32. hp: f32 hyperparameters written by the host before each step
// (the LR schedule and bias corrections live there, so one plan serves every step).
// L1 is added to the gradient like L2 (coupled): g <- g + l1 * sign(w) + wd * w.
// Threads: large updates split into chunks of 64 parameters (each parameter's arithmetic is unchanged).
import { vld, vst, vsplat, vzero, vadd, vsub, vmul, vdiv, vsqrt, vsel, vgt, vlt } from '../simd';
import { splitSpan, mtForElems, parallelRange, rangeLo, rangeHi, setArg, argP } from '../mt';

// element-operations per parameter of RMSprop / Adam (a division and a square root; the thread threshold: mt.ts)
const COST_OPT: i32 = 4;

@inline function sgnf(w: f32): f32 { return w > 0 ? 1 : (w < 0 ? -1 : 0); }
@inline function vsign(w: v128): v128 {
  const z = vzero();
  return vsel(vgt(w, z), vsplat(1), vsel(vlt(w, z), vsplat(-1), z));
}

// ---- SGD, momentum, Nesterov ------------------------------------------------------------
// hp: [lr, momentum, dampening, weight_decay, l1, nesterov, first]   (first = 1 on step 1)
//   g  <- g + wd w + l1 sign(w)
//   if momentum != 0:  b <- g                      on the first step
//                      b <- mu b + (1 - tau) g     afterwards
//                      g <- g + mu b  (nesterov)   or   g <- b
//   w  <- w - lr g
export function f32_sgd__ref(w: usize, g: usize, b: usize, hp: usize, n: i32): void {
  const lr = load<f32>(hp), mu = load<f32>(hp, 4), tau = load<f32>(hp, 8), wd = load<f32>(hp, 12);
  const l1 = load<f32>(hp, 16), nesterov = load<f32>(hp, 20) != 0, first = load<f32>(hp, 24) != 0;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const wv = load<f32>(w + o);
    let gv = load<f32>(g + o) + wd * wv + l1 * sgnf(wv);
    if (mu != 0) {
      const bv: f32 = first ? gv : mu * load<f32>(b + o) + (1 - tau) * gv;
      store<f32>(b + o, bv);
      gv = nesterov ? gv + mu * bv : bv;
    }
    store<f32>(w + o, wv - lr * gv);
  }
}
export function f32_sgd__simd(w: usize, g: usize, b: usize, hp: usize, n: i32): void { splitSpan(sgdSpan, w, 4, g, 4, b, 4, n, <i32>hp, 0, 0, 2, 64); }
function sgdSpan(w: usize, g: usize, b: usize, n: i32, hpk: i32, _f: f32, _g: f32): void {
  const hp = <usize>hpk;
  const lr = load<f32>(hp), mu = load<f32>(hp, 4), tau = load<f32>(hp, 8), wd = load<f32>(hp, 12);
  const l1 = load<f32>(hp, 16), nesterov = load<f32>(hp, 20) != 0, first = load<f32>(hp, 24) != 0;
  const vlr = vsplat(lr), vmu = vsplat(mu), vdamp = vsplat(1 - tau), vwd = vsplat(wd), vl1 = vsplat(l1);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const wv = vld(w + o);
    let gv = vadd(vadd(vld(g + o), vmul(vwd, wv)), vmul(vl1, vsign(wv)));
    if (mu != 0) {
      const bv = first ? gv : vadd(vmul(vmu, vld(b + o)), vmul(vdamp, gv));
      vst(b + o, bv);
      gv = nesterov ? vadd(gv, vmul(vmu, bv)) : bv;
    }
    vst(w + o, vsub(wv, vmul(vlr, gv)));
  }
  if (i < n) f32_sgd__ref(w + (<usize>i << 2), g + (<usize>i << 2), b + (<usize>i << 2), hp, n - i);
}

// ---- RMSprop ----------------------------------------------------------------------------
// hp: [lr, alpha, eps, weight_decay, l1, momentum, centered]
//   g <- g + wd w + l1 sign(w)
//   v <- alpha v + (1 - alpha) g^2
//   v~ <- v;  centered: ga <- alpha ga + (1 - alpha) g;  v~ <- v - ga^2
//   momentum > 0: b <- mu b + g / (sqrt(v~) + eps);  w <- w - lr b
//   else:         w <- w - lr g / (sqrt(v~) + eps)
// v, b, ga: (n) f32 state (b and ga untouched when unused)
export function f32_rmsprop__ref(w: usize, g: usize, v: usize, b: usize, ga: usize, hp: usize, n: i32): void {
  const lr = load<f32>(hp), alpha = load<f32>(hp, 4), eps = load<f32>(hp, 8), wd = load<f32>(hp, 12);
  const l1 = load<f32>(hp, 16), mu = load<f32>(hp, 20), centered = load<f32>(hp, 24) != 0;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const wv = load<f32>(w + o);
    const gv = load<f32>(g + o) + wd * wv + l1 * sgnf(wv);
    const vv = alpha * load<f32>(v + o) + (1 - alpha) * gv * gv;
    store<f32>(v + o, vv);
    let vt = vv;
    if (centered) {
      const a = alpha * load<f32>(ga + o) + (1 - alpha) * gv;
      store<f32>(ga + o, a);
      vt = vv - a * a;
    }
    const step = gv / (Mathf.sqrt(vt) + eps);
    if (mu > 0) {
      const bv = mu * load<f32>(b + o) + step;
      store<f32>(b + o, bv);
      store<f32>(w + o, wv - lr * bv);
    } else {
      store<f32>(w + o, wv - lr * step);
    }
  }
}
export function f32_rmsprop__simd(w: usize, g: usize, v: usize, b: usize, ga: usize, hp: usize, n: i32): void {
  const th = mtForElems(n, COST_OPT);
  if (th <= 1) { rmsprop(w, g, v, b, ga, hp, n); return; }
  setArg(0, <i32>w); setArg(1, <i32>g); setArg(2, <i32>v); setArg(3, <i32>b); setArg(4, <i32>ga); setArg(5, <i32>hp);
  parallelRange(rmspropTask, n, 64, th);
}
function rmspropTask(t: i32, tid: i32): void {
  const i0 = rangeLo(t), o = <usize>i0 << 2;
  rmsprop(argP(0) + o, argP(1) + o, argP(2) + o, argP(3) + o, argP(4) + o, argP(5), rangeHi(t) - i0);
}
function rmsprop(w: usize, g: usize, v: usize, b: usize, ga: usize, hp: usize, n: i32): void {
  const lr = load<f32>(hp), alpha = load<f32>(hp, 4), eps = load<f32>(hp, 8), wd = load<f32>(hp, 12);
  const l1 = load<f32>(hp, 16), mu = load<f32>(hp, 20), centered = load<f32>(hp, 24) != 0;
  const vlr = vsplat(lr), va = vsplat(alpha), va1 = vsplat(1 - alpha), veps = vsplat(eps);
  const vwd = vsplat(wd), vl1 = vsplat(l1), vmu = vsplat(mu);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const wv = vld(w + o);
    const gv = vadd(vadd(vld(g + o), vmul(vwd, wv)), vmul(vl1, vsign(wv)));
    const vv = vadd(vmul(va, vld(v + o)), vmul(vmul(va1, gv), gv));
    vst(v + o, vv);
    let vt = vv;
    if (centered) {
      const a = vadd(vmul(va, vld(ga + o)), vmul(va1, gv));
      vst(ga + o, a);
      vt = vsub(vv, vmul(a, a));
    }
    const step = vdiv(gv, vadd(vsqrt(vt), veps));
    if (mu > 0) {
      const bv = vadd(vmul(vmu, vld(b + o)), step);
      vst(b + o, bv);
      vst(w + o, vsub(wv, vmul(vlr, bv)));
    } else {
      vst(w + o, vsub(wv, vmul(vlr, step)));
    }
  }
  if (i < n) {
    const o = <usize>i << 2;
    f32_rmsprop__ref(w + o, g + o, v + o, b + o, ga + o, hp, n - i);
  }
}

// ---- Adam / AdamW -----------------------------------------------------------------------
// hp: [lr, beta1, beta2, eps, weight_decay, l1, bc1, bc2, decoupled, amsgrad]
//   bc1 = 1 - beta1^t, bc2 = 1 - beta2^t (computed by the host in f64 for step t)
//   Adam:  g <- g + wd w + l1 sign(w)          AdamW (decoupled): w <- w - lr wd w; g <- g + l1 sign(w)
//   m <- beta1 m + (1 - beta1) g
//   v <- beta2 v + (1 - beta2) g^2
//   amsgrad: vmax <- max(vmax, v); v^ = vmax / bc2    else v^ = v / bc2
//   w <- w - lr (m / bc1) / (sqrt(v^) + eps)
// m, v, vmax: (n) f32 state (vmax untouched unless amsgrad)
export function f32_adam__ref(w: usize, g: usize, m: usize, v: usize, vmax: usize, hp: usize, n: i32): void {
  const lr = load<f32>(hp), b1 = load<f32>(hp, 4), b2 = load<f32>(hp, 8), eps = load<f32>(hp, 12);
  const wd = load<f32>(hp, 16), l1 = load<f32>(hp, 20), bc1 = load<f32>(hp, 24), bc2 = load<f32>(hp, 28);
  const decoupled = load<f32>(hp, 32) != 0, ams = load<f32>(hp, 36) != 0;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    let wv = load<f32>(w + o);
    let gv = load<f32>(g + o) + l1 * sgnf(wv);
    if (decoupled) wv = wv - lr * wd * wv;
    else gv = gv + wd * wv;
    const mv = b1 * load<f32>(m + o) + (1 - b1) * gv;
    let vv = b2 * load<f32>(v + o) + (1 - b2) * gv * gv;
    store<f32>(m + o, mv);
    store<f32>(v + o, vv);
    if (ams) { vv = max(load<f32>(vmax + o), vv); store<f32>(vmax + o, vv); }
    store<f32>(w + o, wv - lr * (mv / bc1) / (Mathf.sqrt(vv / bc2) + eps));
  }
}
export function f32_adam__simd(w: usize, g: usize, m: usize, v: usize, vmax: usize, hp: usize, n: i32): void {
  const th = mtForElems(n, COST_OPT);
  if (th <= 1) { adam(w, g, m, v, vmax, hp, n); return; }
  setArg(0, <i32>w); setArg(1, <i32>g); setArg(2, <i32>m); setArg(3, <i32>v); setArg(4, <i32>vmax); setArg(5, <i32>hp);
  parallelRange(adamTask, n, 64, th);
}
function adamTask(t: i32, tid: i32): void {
  const i0 = rangeLo(t), o = <usize>i0 << 2;
  adam(argP(0) + o, argP(1) + o, argP(2) + o, argP(3) + o, argP(4) + o, argP(5), rangeHi(t) - i0);
}
function adam(w: usize, g: usize, m: usize, v: usize, vmax: usize, hp: usize, n: i32): void {
  const lr = load<f32>(hp), b1 = load<f32>(hp, 4), b2 = load<f32>(hp, 8), eps = load<f32>(hp, 12);
  const wd = load<f32>(hp, 16), l1 = load<f32>(hp, 20), bc1 = load<f32>(hp, 24), bc2 = load<f32>(hp, 28);
  const decoupled = load<f32>(hp, 32) != 0, ams = load<f32>(hp, 36) != 0;
  const vlr = vsplat(lr), vb1 = vsplat(b1), vb11 = vsplat(1 - b1), vb2 = vsplat(b2), vb21 = vsplat(1 - b2);
  const veps = vsplat(eps), vwd = vsplat(wd), vl1 = vsplat(l1), vbc1 = vsplat(bc1), vbc2 = vsplat(bc2);
  const vdecay = vsplat(lr * wd);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    let wv = vld(w + o);
    let gv = vadd(vld(g + o), vmul(vl1, vsign(wv)));
    if (decoupled) wv = vsub(wv, vmul(vdecay, wv));
    else gv = vadd(gv, vmul(vwd, wv));
    const mv = vadd(vmul(vb1, vld(m + o)), vmul(vb11, gv));
    let vv = vadd(vmul(vb2, vld(v + o)), vmul(vmul(vb21, gv), gv));
    vst(m + o, mv);
    vst(v + o, vv);
    if (ams) { vv = f32x4.max(vld(vmax + o), vv); vst(vmax + o, vv); }
    vst(w + o, vsub(wv, vdiv(vmul(vlr, vdiv(mv, vbc1)), vadd(vsqrt(vdiv(vv, vbc2)), veps))));
  }
  if (i < n) {
    const o = <usize>i << 2;
    f32_adam__ref(w + o, g + o, m + o, v + o, vmax + o, hp, n - i);
  }
}

// ---- Gradient clipping by value: g <- clamp(g, -c, c). g: (n) f32 ----
export function f32_clip__ref(g: usize, c: f32, n: i32): void {
  for (let i = 0; i < n; i++) { const o = <usize>i << 2; store<f32>(g + o, min(max(load<f32>(g + o), -c), c)); }
}

// ---- Gradient clipping by global norm (PyTorch clip_grad_norm_) ----
// ss: (1) f32 sum of squares over ALL gradients (f32_sumsq into a zeroed slot first).
// coef = maxNorm / (sqrt(ss) + 1e-6); if coef < 1: g <- g * coef. g: (n) f32
export function f32_clip_norm__ref(g: usize, ss: usize, maxNorm: f32, n: i32): void {
  const coef = maxNorm / (Mathf.sqrt(load<f32>(ss)) + <f32>1e-6);
  if (coef >= 1) return;
  for (let i = 0; i < n; i++) { const o = <usize>i << 2; store<f32>(g + o, load<f32>(g + o) * coef); }
}
