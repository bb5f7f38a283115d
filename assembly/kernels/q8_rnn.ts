// int8 GRU forward (inference) with dynamic activation quantization, for quantized recurrent
// models (src/quant/qgru.ts). Layouts and gates as rnn_gru.ts (PyTorch's GRU, time-major x (T, N, I),
// gates r | z | n, n = tanh(gi_n + b_in + r (gh_n + b_hn)), h_t = (1 - z) n + z h_{t-1}):
//   W_ih (3H, I), W_hh (3H, H) int8 symmetric per output row (sw_ih, sw_hh), packed once per
//   session by qs8_pack_w (zero int32 bias; the f32 biases b_ih, b_hh are added in the gate math).
//   gi (T*N, 3H) = xq W_ih^T: x quantized once per call with its own [min, max] (q8_dyn.ts), one
//   int8 GEMM with f32 output over all steps. Per step: h_{t-1} quantized with its own range,
//   gh (N, 3H) = hq W_hh^T (int8 GEMM, f32 out), gates in f32.
// __ref: the same steps with the scalar quantizer, the dequantize -> f32 GEMM reference and exact
// exp / tanh. The fast kernels use q8_dyn.ts's GEMM (integer parts exact, f32 rounding differs) and
// rnn_step.ts's rational tanh / sigmoid (abs error < 3e-7); a requantization can then round the
// other way, so they agree with __ref to a tolerance (q8_rnn.test.ts), not bit for bit.
// Scratch (qs8_gru_scratch_bytes): gi | gh | xq | hq | qp | zero bias (ref) | GEMM scratch.
import { vadd, vsub, vfma, vldPart, vstPart } from '../simd';
import { vtanh_r, vsigm_r } from './rnn_step';
import { qs8_quantize_dynamic__ref, qs8_quantize_dynamic__simd, qs8_gemm_f32_fwd__ref, qs8_gemm_f32_fwd__simd, qs8_gemm_f32_fwd__relaxed, qs8_gemm_f32_scratch_bytes } from './q8_dyn';

// @ts-ignore: decorator
@inline function up16(n: i32): i32 { return (n + 15) & ~15; }

/** Scratch bytes of qs8_gru_fwd__* (mirrored by q8GruScratchBytes in src/op_args.ts). */
export function qs8_gru_scratch_bytes(T: i32, N: i32, I: i32, H: i32): i32 {
  const TN = T * N, G3 = 3 * H;
  return up16(TN * G3 * 4) + up16(N * G3 * 4) + up16(TN * I) + up16(N * H) + 16 + up16(G3 * 4)
    + max(qs8_gemm_f32_scratch_bytes(TN, G3, I), qs8_gemm_f32_scratch_bytes(N, G3, H));
}

// scratch parts: byte offsets of gh, xq, hq, qp, the zero bias and the GEMM scratch after gi (at 0)
// @ts-ignore: decorator
@inline function offGh(T: i32, N: i32, H: i32): usize { return up16(T * N * 3 * H * 4); }
// @ts-ignore: decorator
@inline function offXq(T: i32, N: i32, H: i32): usize { return offGh(T, N, H) + up16(N * 3 * H * 4); }

// @ts-ignore: decorator
@inline function f(p: usize, i: i32): f32 { return load<f32>(p + (<usize>i << 2)); }

/** One step's gates, exact exp / tanh: h (N, H) from gi, gh (N, 3H), hp (N, H), biases (3H). */
function gatesRef(h: usize, gi: usize, gh: usize, hp: usize, b_ih: usize, b_hh: usize, N: i32, H: i32): void {
  for (let m = 0; m < N; m++) {
    const a = gi + (<usize>m * 3 * H << 2), b = gh + (<usize>m * 3 * H << 2);
    for (let j = 0; j < H; j++) {
      const r: f32 = <f32>1 / (<f32>1 + Mathf.exp(-(f(a, j) + f(b_ih, j) + f(b, j) + f(b_hh, j))));
      const z: f32 = <f32>1 / (<f32>1 + Mathf.exp(-(f(a, H + j) + f(b_ih, H + j) + f(b, H + j) + f(b_hh, H + j))));
      const n = Mathf.tanh(f(a, 2 * H + j) + f(b_ih, 2 * H + j) + r * (f(b, 2 * H + j) + f(b_hh, 2 * H + j)));
      const q = f(hp, m * H + j);
      store<f32>(h + ((<usize>m * H + j) << 2), n + z * (q - n));
    }
  }
}

/** As gatesRef with 4 units per vector (the last vector partial) and the rational activations. */
function gatesSimd(h: usize, gi: usize, gh: usize, hp: usize, b_ih: usize, b_hh: usize, N: i32, H: i32): void {
  const o1 = <usize>H << 2, o2 = <usize>H << 3;
  for (let m = 0; m < N; m++) {
    const a = gi + (<usize>m * 3 * H << 2), b = gh + (<usize>m * 3 * H << 2), hr = hp + (<usize>m * H << 2), hw = h + (<usize>m * H << 2);
    for (let j = 0; j < H; j += 4) {
      const k = <usize>j << 2, w = H - j;
      const r = vsigm_r(vadd(vadd(vldPart(a + k, w), vldPart(b_ih + k, w)), vadd(vldPart(b + k, w), vldPart(b_hh + k, w))));
      const z = vsigm_r(vadd(vadd(vldPart(a + o1 + k, w), vldPart(b_ih + o1 + k, w)), vadd(vldPart(b + o1 + k, w), vldPart(b_hh + o1 + k, w))));
      const n = vtanh_r(vfma(r, vadd(vldPart(b + o2 + k, w), vldPart(b_hh + o2 + k, w)), vadd(vldPart(a + o2 + k, w), vldPart(b_ih + o2 + k, w))));
      vstPart(hw + k, vfma(z, vsub(vldPart(hr + k, w), n), n), w);
    }
  }
}

function gruFwd(kind: i32, hs: usize, x: usize, h0: usize, wih: usize, swih: usize, whh: usize, swhh: usize,
                b_ih: usize, b_hh: usize, scratch: usize, T: i32, N: i32, I: i32, H: i32): void {
  const TN = T * N, NH = N * H, G3 = 3 * H;
  const gis = scratch, gh = scratch + offGh(T, N, H), xq = scratch + offXq(T, N, H), hq = xq + up16(TN * I);
  const qp = hq + up16(NH), zb = qp + 16, gs = zb + up16(G3 * 4);
  if (kind == 0) {
    memory.fill(zb, 0, <usize>G3 << 2);
    qs8_quantize_dynamic__ref(xq, qp, x, TN * I);
    qs8_gemm_f32_fwd__ref(gis, xq, wih, zb, swih, TN, G3, I, load<i32>(qp, 4), load<f32>(qp));
  } else {
    qs8_quantize_dynamic__simd(xq, qp, x, TN * I);
    gemm(kind, gis, xq, wih, gs, TN, G3, I, load<i32>(qp, 4), load<f32>(qp));
  }
  for (let t = 0; t < T; t++) {
    const hp = t ? hs + (<usize>(t - 1) * NH << 2) : h0, h = hs + (<usize>t * NH << 2), gi = gis + (<usize>t * N * G3 << 2);
    if (kind == 0) {
      qs8_quantize_dynamic__ref(hq, qp, hp, NH);
      qs8_gemm_f32_fwd__ref(gh, hq, whh, zb, swhh, N, G3, H, load<i32>(qp, 4), load<f32>(qp));
      gatesRef(h, gi, gh, hp, b_ih, b_hh, N, H);
    } else {
      qs8_quantize_dynamic__simd(hq, qp, hp, NH);
      gemm(kind, gh, hq, whh, gs, N, G3, H, load<i32>(qp, 4), load<f32>(qp));
      gatesSimd(h, gi, gh, hp, b_ih, b_hh, N, H);
    }
  }
}

// @ts-ignore: decorator
@inline function gemm(kind: i32, c: usize, a: usize, wp: usize, gs: usize, M: i32, N: i32, K: i32, za: i32, sa: f32): void {
  if (kind == 2) qs8_gemm_f32_fwd__relaxed(c, a, wp, gs, M, N, K, za, sa);
  else qs8_gemm_f32_fwd__simd(c, a, wp, gs, M, N, K, za, sa);
}

// hs: (T, N, H) f32 out; x: (T, N, I) f32; h0: (N, H) f32; w_ih: (3H, I) i8; sw_ih: (3H) f32; w_hh: (3H, H) i8; sw_hh: (3H) f32;
// b_ih, b_hh: (3H) f32; scratch: qs8_gru_scratch_bytes(T, N, I, H)
export function qs8_gru_fwd__ref(hs: usize, x: usize, h0: usize, w_ih: usize, sw_ih: usize, w_hh: usize, sw_hh: usize,
                                 b_ih: usize, b_hh: usize, scratch: usize, T: i32, N: i32, I: i32, H: i32): void {
  gruFwd(0, hs, x, h0, w_ih, sw_ih, w_hh, sw_hh, b_ih, b_hh, scratch, T, N, I, H);
}
// as __ref; wp_ih, wp_hh: W_ih, W_hh packed by qs8_pack_w__simd (zero bias)
export function qs8_gru_fwd__simd(hs: usize, x: usize, h0: usize, wp_ih: usize, wp_hh: usize,
                                  b_ih: usize, b_hh: usize, scratch: usize, T: i32, N: i32, I: i32, H: i32): void {
  gruFwd(1, hs, x, h0, wp_ih, 0, wp_hh, 0, b_ih, b_hh, scratch, T, N, I, H);
}
// as __simd; packed by qs8_pack_w__relaxed (either layout). In the SIMD build the same as __simd.
export function qs8_gru_fwd__relaxed(hs: usize, x: usize, h0: usize, wp_ih: usize, wp_hh: usize,
                                     b_ih: usize, b_hh: usize, scratch: usize, T: i32, N: i32, I: i32, H: i32): void {
  gruFwd(2, hs, x, h0, wp_ih, 0, wp_hh, 0, b_ih, b_hh, scratch, T, N, I, H);
}
