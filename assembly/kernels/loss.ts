// Losses, as PyTorch defines them. `scale` is the reduction: 1/count for 'mean', 1 for 'sum'
// (the host computes it). fwd writes loss[0]; bwd accumulates the input gradient.
//   MSE:            l = scale * sum (p - t)^2                     dp += 2 scale (p - t)
//   CE from logits: l = scale * sum_r (logsumexp(x_r) - x_r[y_r])  dx += scale (softmax(x_r) - onehot(y_r))
//   BCE from logits:l = scale * sum max(x,0) - x t + log1p(e^-|x|)     dx += scale (sigmoid(x) - t)
//   BCE from probs: l = -scale * sum t clamp(log p) + (1-t) clamp(log(1-p)), log clamped at -100
//                   dp += scale (p - t) / max(p (1 - p), 1e-12)
// Labels outside [0, cols) contribute nothing (the host rejects them before a plan runs).
import { vld, vst, vsplat, vzero, vadd, vsub, vmul, vfma, vsum, vexp } from '../simd';

// loss: (1) f32; p, t: (n) f32
export function f32_mse_fwd__ref(loss: usize, p: usize, t: usize, n: i32, scale: f32): void {
  let s: f32 = 0;
  for (let i = 0; i < n; i++) { const o = <usize>i << 2; const d = load<f32>(p + o) - load<f32>(t + o); s += d * d; }
  store<f32>(loss, s * scale);
}
export function f32_mse_fwd__simd(loss: usize, p: usize, t: usize, n: i32, scale: f32): void {
  let acc = vzero();
  let i = 0;
  for (; i + 4 <= n; i += 4) { const o = <usize>i << 2; const d = vsub(vld(p + o), vld(t + o)); acc = vfma(d, d, acc); }
  let s = vsum(acc);
  for (; i < n; i++) { const o = <usize>i << 2; const d = load<f32>(p + o) - load<f32>(t + o); s += d * d; }
  store<f32>(loss, s * scale);
}
export function f32_mse_bwd__ref(dp: usize, p: usize, t: usize, n: i32, scale: f32): void {
  const k: f32 = 2 * scale;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dp + o, load<f32>(dp + o) + k * (load<f32>(p + o) - load<f32>(t + o)));
  }
}
export function f32_mse_bwd__simd(dp: usize, p: usize, t: usize, n: i32, scale: f32): void {
  const k: f32 = 2 * scale, vk = vsplat(k);
  let i = 0;
  for (; i + 4 <= n; i += 4) { const o = <usize>i << 2; vst(dp + o, vfma(vk, vsub(vld(p + o), vld(t + o)), vld(dp + o))); }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dp + o, load<f32>(dp + o) + k * (load<f32>(p + o) - load<f32>(t + o)));
  }
}

// Cross-entropy from logits. loss: (1) f32; x, dx: (rows, cols) f32; y: (rows) i32 class ids
export function f32_xent_logits_fwd__ref(loss: usize, x: usize, y: usize, rows: i32, cols: i32, scale: f32): void {
  let total: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const k = load<i32>(y + (<usize>r << 2));
    if (k < 0 || k >= cols) continue;
    const xr = x + (<usize>r * cols << 2);
    let m: f32 = -Infinity;
    for (let c = 0; c < cols; c++) m = max(m, load<f32>(xr + (<usize>c << 2)));
    let s: f32 = 0;
    for (let c = 0; c < cols; c++) s += Mathf.exp(load<f32>(xr + (<usize>c << 2)) - m);
    total += <f64>(m + Mathf.log(s) - load<f32>(xr + (<usize>k << 2)));
  }
  store<f32>(loss, <f32>total * scale);
}
export function f32_xent_logits_fwd__simd(loss: usize, x: usize, y: usize, rows: i32, cols: i32, scale: f32): void {
  let total: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const k = load<i32>(y + (<usize>r << 2));
    if (k < 0 || k >= cols) continue;
    const xr = x + (<usize>r * cols << 2);
    let m: f32 = -Infinity;
    for (let c = 0; c < cols; c++) m = max(m, load<f32>(xr + (<usize>c << 2)));
    const vm = vsplat(m);
    let acc = vzero();
    let c = 0;
    for (; c + 4 <= cols; c += 4) acc = vadd(acc, vexp(vsub(vld(xr + (<usize>c << 2)), vm)));
    let s = vsum(acc);
    for (; c < cols; c++) s += Mathf.exp(load<f32>(xr + (<usize>c << 2)) - m);
    total += <f64>(m + Mathf.log(s) - load<f32>(xr + (<usize>k << 2)));
  }
  store<f32>(loss, <f32>total * scale);
}
export function f32_xent_logits_bwd__ref(dx: usize, x: usize, y: usize, rows: i32, cols: i32, scale: f32): void {
  for (let r = 0; r < rows; r++) {
    const k = load<i32>(y + (<usize>r << 2));
    if (k < 0 || k >= cols) continue;
    const o = <usize>r * cols << 2;
    let m: f32 = -Infinity;
    for (let c = 0; c < cols; c++) m = max(m, load<f32>(x + o + (<usize>c << 2)));
    let s: f32 = 0;
    for (let c = 0; c < cols; c++) s += Mathf.exp(load<f32>(x + o + (<usize>c << 2)) - m);
    const inv: f32 = scale / s;
    for (let c = 0; c < cols; c++) {
      const q = o + (<usize>c << 2);
      let g = Mathf.exp(load<f32>(x + q) - m) * inv;
      if (c == k) g -= scale;
      store<f32>(dx + q, load<f32>(dx + q) + g);
    }
  }
}
export function f32_xent_logits_bwd__simd(dx: usize, x: usize, y: usize, rows: i32, cols: i32, scale: f32): void {
  for (let r = 0; r < rows; r++) {
    const k = load<i32>(y + (<usize>r << 2));
    if (k < 0 || k >= cols) continue;
    const o = <usize>r * cols << 2;
    let m: f32 = -Infinity;
    for (let c = 0; c < cols; c++) m = max(m, load<f32>(x + o + (<usize>c << 2)));
    const vm = vsplat(m);
    let acc = vzero();
    let c = 0;
    for (; c + 4 <= cols; c += 4) acc = vadd(acc, vexp(vsub(vld(x + o + (<usize>c << 2)), vm)));
    let s = vsum(acc);
    for (; c < cols; c++) s += Mathf.exp(load<f32>(x + o + (<usize>c << 2)) - m);
    const inv: f32 = scale / s, vi = vsplat(inv);
    for (c = 0; c + 4 <= cols; c += 4) {
      const q = o + (<usize>c << 2);
      vst(dx + q, vfma(vexp(vsub(vld(x + q), vm)), vi, vld(dx + q)));
    }
    for (; c < cols; c++) { const q = o + (<usize>c << 2); store<f32>(dx + q, load<f32>(dx + q) + Mathf.exp(load<f32>(x + q) - m) * inv); }
    const q = o + (<usize>k << 2);
    store<f32>(dx + q, load<f32>(dx + q) - scale);
  }
}

// BCE from logits. loss: (1); x, t, dx: (n) f32
export function f32_bce_logits_fwd__ref(loss: usize, x: usize, t: usize, n: i32, scale: f32): void {
  let s: f64 = 0;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2; const v = load<f32>(x + o);
    s += <f64>(max(v, <f32>0) - v * load<f32>(t + o) + Mathf.log1p(Mathf.exp(-Mathf.abs(v))));
  }
  store<f32>(loss, <f32>s * scale);
}
export function f32_bce_logits_bwd__ref(dx: usize, x: usize, t: usize, n: i32, scale: f32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const sg: f32 = 1 / (1 + Mathf.exp(-load<f32>(x + o)));
    store<f32>(dx + o, load<f32>(dx + o) + scale * (sg - load<f32>(t + o)));
  }
}

// BCE from probabilities (PyTorch BCELoss). loss: (1); p, t, dp: (n) f32
export function f32_bce_fwd__ref(loss: usize, p: usize, t: usize, n: i32, scale: f32): void {
  let s: f64 = 0;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2; const v = load<f32>(p + o), tv = load<f32>(t + o);
    const lp = max(Mathf.log(v), <f32>-100), lq = max(Mathf.log(1 - v), <f32>-100);
    s -= <f64>(tv * lp + (1 - tv) * lq);
  }
  store<f32>(loss, <f32>s * scale);
}
export function f32_bce_bwd__ref(dp: usize, p: usize, t: usize, n: i32, scale: f32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2; const v = load<f32>(p + o);
    store<f32>(dp + o, load<f32>(dp + o) + scale * (v - load<f32>(t + o)) / max(v * (1 - v), <f32>1e-12));
  }
}
