// Layer normalization over the last axis (PyTorch nn.LayerNorm / Keras LayerNormalization, axis -1):
// x, y, dx, dy: (M, C) f32, M rows (samples × positions) of C features; gamma, beta, dgamma, dbeta: (C);
// mean, invstd: (M) saved by forward for backward.
//   fwd: mean, var = statistics of each row, var BIASED (/C); invstd = 1/sqrt(var + eps);
//        y = (x - mean) * invstd * gamma + beta
//   bwd: xhat = (x - mean) * invstd, g = dy * gamma:
//        dx += invstd * (g - mean(g) - xhat * mean(g * xhat)); dgamma += sum over rows dy*xhat; dbeta += sum dy
// No affine: the host passes gamma = 1, beta = 0. Backward ACCUMULATES. The SIMD forms sum a row's
// values in four lanes (the reference in order): equal within rounding, not bit for bit.
import { vld, vst, vsplat, vadd, vsub, vmul, vsum, vzero } from '../simd';

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
  const C4 = C & ~3;
  for (let r = 0; r < M; r++) {
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

export function f32_layernorm_bwd__simd(dx: usize, dgamma: usize, dbeta: usize, dy: usize, x: usize, mean: usize, invstd: usize, gamma: usize, M: i32, C: i32): void {
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
    const mg = sg / <f32>C, mgx = sgx / <f32>C, vmg = vsplat(mg), vmgx = vsplat(mgx);
    for (c = 0; c < C4; c += 4) {
      const xh = vmul(vsub(vld(at(x + o, c)), vmu), vinv), g = vmul(vld(at(dy + o, c)), vld(at(gamma, c)));
      vst(at(dx + o, c), vadd(vld(at(dx + o, c)), vmul(vinv, vsub(vsub(g, vmg), vmul(xh, vmgx)))));
    }
    for (; c < C; c++) {
      const xh = (load<f32>(at(x + o, c)) - mu) * inv, g = load<f32>(at(dy + o, c)) * load<f32>(at(gamma, c));
      store<f32>(at(dx + o, c), load<f32>(at(dx + o, c)) + inv * (g - mg - xh * mgx));
    }
  }
}
