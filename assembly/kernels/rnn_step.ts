// Small-batch forward step of the recurrent layers (rnn.ts, rnn_gru.ts __simd, N <= STEP_MAX_N):
// per time step ONE fused pass does the recurrent GEMV h_{t-1} W_hh^T, both biases and the gate
// math, with the gate pre-activations kept in registers. The input projection of all steps stays
// one GEMM (it reuses W_ih across steps; rows of x_t W_ih^T, no bias, arrive in `gx`).
//
// Packed panels (rnn_pack, once per kernel call, into scratch): W_hh cut into blocks of 4 vectors
// of outputs (LSTM: 4 hidden units x gates i f g o; GRU: 4 units x r z n, 3 vectors; SimpleRNN: 16
// units, 4 vectors). A block's panel is 1 + H rows of its output vectors: [bias; W_hh^T restricted
// to the block], so acc = bias + sum_k h[k] row_k: one splat and W loads at fixed offsets per row
// (axpy form). Bias row: b_ih + b_hh (GRU n: b_hn only; b_in is added in the epilogue, since the
// reset gate multiplies the hidden part). Units past H are zero.
// NOTE: V8 hoists every load of a loop body to its top; with 15 usable xmm registers the loops
// below keep accumulators + splats + loads <= 14 (8 accumulators and 8 loads spilled, measured).
// Activations are rational approximations (one division, no exp): vtanh_r, vsigm_r.
import { vld, vst, vsplat, vadd, vsub, vmul, vfma, vdiv } from '../simd';
import { at } from './rnn_base';
import { mtFor, parallelRange, rangeLo, rangeHi, setArg, arg, argP, workerScratch } from '../mt';

/** Batch sizes up to this use the fused step (above, the GEMM per step of rnn.ts is faster). */
export const STEP_MAX_N: i32 = 8;
const STEP_TMP: i32 = 36;

// ---- activations ----

/**
 * tanh(x) as a [13/6] odd/even rational on |x| <= 7.9053 (where f32 tanh rounds to ±1), Eigen's
 * generic_fast_tanh_float coefficients; max abs error 2.8e-7 on [-12, 12] (sigmoid 1.6e-7; rnn.test.ts).
 * The clamp uses pmin/pmax (one instruction each; f32x4.min/max cost ~8 in V8); NaN passes.
 * see: https://gitlab.com/libeigen/eigen/-/blob/master/Eigen/src/Core/MathFunctionsImpl.h
 */
// @ts-ignore: decorator
@inline export function vtanh_r(x: v128): v128 {
  const c = f32x4.pmin(f32x4.pmax(x, vsplat(-7.90531110763549805)), vsplat(7.90531110763549805));
  const x2 = vmul(c, c);
  let p = vfma(x2, vsplat(-2.76076847742355e-16), vsplat(2.00018790482477e-13));
  p = vfma(x2, p, vsplat(-8.60467152213735e-11));
  p = vfma(x2, p, vsplat(5.12229709037114e-8));
  p = vfma(x2, p, vsplat(1.48572235717979e-5));
  p = vfma(x2, p, vsplat(6.37261928875436e-4));
  p = vfma(x2, p, vsplat(4.89352455891786e-3));
  let q = vfma(x2, vsplat(1.19825839466702e-6), vsplat(1.18534705686654e-4));
  q = vfma(x2, q, vsplat(2.26843463243900e-3));
  q = vfma(x2, q, vsplat(4.89352518554385e-3));
  return vdiv(vmul(c, p), q);
}
/** sigmoid(x) = 0.5 + 0.5 tanh(x / 2) (abs error half of vtanh_r's) */
// @ts-ignore: decorator
@inline export function vsigm_r(x: v128): v128 {
  const h = vsplat(0.5);
  return vfma(h, vtanh_r(vmul(h, x)), h);
}
// y (n) = vtanh_r / vsigm_r (x), n a multiple of 4: the approximations alone, for their accuracy test
export function f32_tanh_r(y: usize, x: usize, n: i32): void { for (let k = 0; k < n; k += 4) vst(at(y, k), vtanh_r(vld(at(x, k)))); }
export function f32_sigm_r(y: usize, x: usize, n: i32): void { for (let k = 0; k < n; k += 4) vst(at(y, k), vsigm_r(vld(at(x, k)))); }

// ---- packing ----

// @ts-ignore: decorator
@inline function widthOf(cell: i32): i32 { return cell == 2 ? 3 : 4; }
// @ts-ignore: decorator
@inline function blocksOf(cell: i32, H: i32): i32 { return cell == 0 ? (H + 15) >> 4 : (H + 3) >> 2; }

/** Scratch of the fused path in floats (panels + tmp); 0 above STEP_MAX_N. */
export function step_scratch_floats(cell: i32, N: i32, H: i32): i32 {
  return N <= STEP_MAX_N ? blocksOf(cell, H) * (1 + H) * widthOf(cell) * 4 + STEP_TMP : 0;
}

/**
 * Packs w_hh (G*H, H), b_ih, b_hh (G*H) into panels at s; returns the tmp area after them.
 * Vector q of a block holds 4 consecutive outputs: gate q of units 4b..4b+3 (LSTM, GRU) or units
 * 16b + 4q.. (SimpleRNN). Full 4-row groups with k in steps of 4 go through 4x4 transposes.
 */
export function rnn_pack(s: usize, cell: i32, w_hh: usize, b_ih: usize, b_hh: usize, H: i32): usize {
  const W = widthOf(cell), blocks = blocksOf(cell, H), ld = <usize>H << 2, row = <usize>W << 4, H4 = H & ~3;
  for (let b = 0; b < blocks; b++) {
    const pb = s + <usize>b * (1 + H) * row;
    for (let q = 0; q < W; q++) {
      const u0 = cell == 0 ? b * 16 + q * 4 : b * 4, r0 = cell == 0 ? u0 : q * H + u0;  // first output and its W row
      const dst = pb + (<usize>q << 4);
      for (let l = 0; l < 4; l++) {
        const ok = u0 + l < H;
        store<f32>(dst + (<usize>l << 2), ok ? (cell == 2 && q == 2 ? 0 : load<f32>(at(b_ih, r0 + l))) + load<f32>(at(b_hh, r0 + l)) : 0);
      }
      if (u0 + 4 <= H) {
        const w0 = w_hh + <usize>r0 * ld, w1 = w0 + ld, w2 = w1 + ld, w3 = w2 + ld;
        for (let k = 0; k < H4; k += 4) {
          const o = <usize>k << 2, a = vld(w0 + o), c = vld(w1 + o), e = vld(w2 + o), g = vld(w3 + o);
          const t0 = i32x4.shuffle(a, c, 0, 4, 1, 5), t1 = i32x4.shuffle(e, g, 0, 4, 1, 5);
          const t2 = i32x4.shuffle(a, c, 2, 6, 3, 7), t3 = i32x4.shuffle(e, g, 2, 6, 3, 7);
          const d = dst + <usize>(1 + k) * row;
          vst(d, i32x4.shuffle(t0, t1, 0, 1, 4, 5)); vst(d + row, i32x4.shuffle(t0, t1, 2, 3, 6, 7));
          vst(d + 2 * row, i32x4.shuffle(t2, t3, 0, 1, 4, 5)); vst(d + 3 * row, i32x4.shuffle(t2, t3, 2, 3, 6, 7));
        }
        for (let k = H4; k < H; k++) for (let l = 0; l < 4; l++) store<f32>(dst + <usize>(1 + k) * row + (<usize>l << 2), load<f32>(at(w_hh, (r0 + l) * H + k)));
      } else {
        for (let k = 0; k < H; k++) for (let l = 0; l < 4; l++)
          store<f32>(dst + <usize>(1 + k) * row + (<usize>l << 2), u0 + l < H ? load<f32>(at(w_hh, (r0 + l) * H + k)) : 0);
      }
    }
  }
  return s + <usize>blocks * (1 + H) * row;
}

// ---- panel sums: acc (W vectors per sample) = bias row + sum_k h[k] row_k, into tmp ----

/** One sample, one block of width 4: k two rows at a time, products summed before the accumulators. */
function panel1(tmp: usize, p: usize, h: usize, H: i32, W: i32): void {
  let a0 = v128.load(p), a1 = v128.load(p, 16), a2 = v128.load(p, 32), a3 = W == 4 ? v128.load(p, 48) : vsplat(0);
  const row = <usize>W << 4;
  let q = p + row, s = h, k = 0;
  if (W == 4) {
    for (; k + 2 <= H; k += 2) {
      const v = v128.load32_splat(s), w = v128.load32_splat(s, 4);
      a0 = vadd(a0, vfma(w, v128.load(q, 64), vmul(v, v128.load(q))));
      a1 = vadd(a1, vfma(w, v128.load(q, 80), vmul(v, v128.load(q, 16))));
      a2 = vadd(a2, vfma(w, v128.load(q, 96), vmul(v, v128.load(q, 32))));
      a3 = vadd(a3, vfma(w, v128.load(q, 112), vmul(v, v128.load(q, 48))));
      q += 128; s += 8;
    }
  } else {
    for (; k + 2 <= H; k += 2) {
      const v = v128.load32_splat(s), w = v128.load32_splat(s, 4);
      a0 = vadd(a0, vfma(w, v128.load(q, 48), vmul(v, v128.load(q))));
      a1 = vadd(a1, vfma(w, v128.load(q, 64), vmul(v, v128.load(q, 16))));
      a2 = vadd(a2, vfma(w, v128.load(q, 80), vmul(v, v128.load(q, 32))));
      q += 96; s += 8;
    }
  }
  if (k < H) {
    const v = v128.load32_splat(s);
    a0 = vfma(v, v128.load(q), a0); a1 = vfma(v, v128.load(q, 16), a1); a2 = vfma(v, v128.load(q, 32), a2);
    if (W == 4) a3 = vfma(v, v128.load(q, 48), a3);
  }
  vst(tmp, a0); vst(tmp + 16, a1); vst(tmp + 32, a2); vst(tmp + 48, a3);
}

/** Samples h0 and h1 over one block: tmp[0..3] the first, tmp[4..7] the second. */
function panel2(tmp: usize, p: usize, h0: usize, h1: usize, H: i32, W: i32): void {
  let a0 = v128.load(p), a1 = v128.load(p, 16), a2 = v128.load(p, 32), a3 = W == 4 ? v128.load(p, 48) : vsplat(0);
  let b0 = a0, b1 = a1, b2 = a2, b3 = a3;
  const row = <usize>W << 4;
  let q = p + row, s0 = h0, s1 = h1;
  if (W == 4) {
    for (let k = 0; k < H; k++) {
      const v = v128.load32_splat(s0), w = v128.load32_splat(s1);
      const r0 = v128.load(q), r1 = v128.load(q, 16), r2 = v128.load(q, 32), r3 = v128.load(q, 48);
      a0 = vfma(v, r0, a0); a1 = vfma(v, r1, a1); a2 = vfma(v, r2, a2); a3 = vfma(v, r3, a3);
      b0 = vfma(w, r0, b0); b1 = vfma(w, r1, b1); b2 = vfma(w, r2, b2); b3 = vfma(w, r3, b3);
      q += 64; s0 += 4; s1 += 4;
    }
  } else {
    for (let k = 0; k < H; k++) {
      const v = v128.load32_splat(s0), w = v128.load32_splat(s1);
      const r0 = v128.load(q), r1 = v128.load(q, 16), r2 = v128.load(q, 32);
      a0 = vfma(v, r0, a0); a1 = vfma(v, r1, a1); a2 = vfma(v, r2, a2);
      b0 = vfma(w, r0, b0); b1 = vfma(w, r1, b1); b2 = vfma(w, r2, b2);
      q += 48; s0 += 4; s1 += 4;
    }
  }
  vst(tmp, a0); vst(tmp + 16, a1); vst(tmp + 32, a2); vst(tmp + 48, a3);
  vst(tmp + 64, b0); vst(tmp + 80, b1); vst(tmp + 96, b2); vst(tmp + 112, b3);
}

// ---- loads and stores of n lanes (the last block of a ragged H; n <= 0 does nothing) ----

// @ts-ignore: decorator
@inline function vldn(p: usize, n: i32, t: usize): v128 {
  if (n >= 4) return vld(p);
  vst(t, vsplat(0));
  if (n > 0) memory.copy(t, p, <usize>n << 2);
  return vld(t);
}
// @ts-ignore: decorator
@inline function vstn(p: usize, v: v128, n: i32, t: usize): void {
  if (n >= 4) { vst(p, v); return; }
  vst(t, v);
  if (n > 0) memory.copy(p, t, <usize>n << 2);
}

// ---- cell epilogues: a (the block's vectors, one sample) + gx → gates and state ----

/**
 * One time step for N samples. p: panels (rnn_pack); hp: (N, H) h_{t-1}; ht: (N, H) out.
 * LSTM: g = gates (N, 4H): in x_t W_ih^T, out activated i f g o; c = c_t (N, H) out, sp = c_{t-1}.
 * GRU: g = gates (N, 3H): in x_t W_ih^T, out r z n; c = hn (N, H) out; sp = h_{t-1}; b = b_ih (b_in).
 * SimpleRNN: ht in: x_t W_ih^T, out h_t (g, c, sp, b unused). tmp: STEP_TMP floats.
 */
export function rnn_step(cell: i32, p: usize, ht: usize, g: usize, c: usize, hp: usize, sp: usize, b: usize, tmp: usize, N: i32, H: i32): void {
  const blocks = blocksOf(cell, H), G = cell == 1 ? 4 : cell == 2 ? 3 : 1;
  const th = min(blocks, mtFor(<i64>N * G * H * H));
  if (th <= 1) { stepBlocks(cell, p, ht, g, c, hp, sp, b, tmp, N, H, 0, blocks); return; }
  // threads: the unit blocks (each a panel of its own outputs, all samples, as on one thread)
  setArg(0, cell); setArg(1, <i32>p); setArg(2, <i32>ht); setArg(3, <i32>g); setArg(4, <i32>c); setArg(5, <i32>hp); setArg(6, <i32>sp);
  setArg(7, <i32>b); setArg(8, <i32>tmp); setArg(9, N); setArg(10, H);
  parallelRange(stepTask, blocks, 1, th);
}
function stepTask(t: i32, tid: i32): void {
  stepBlocks(arg(0), argP(1), argP(2), argP(3), argP(4), argP(5), argP(6), argP(7), tid ? workerScratch(tid) : argP(8), arg(9), arg(10), rangeLo(t), rangeHi(t));
}

// unit blocks [k0, k1) of rnn_step
function stepBlocks(cell: i32, p: usize, ht: usize, g: usize, c: usize, hp: usize, sp: usize, b: usize, tmp: usize, N: i32, H: i32, k0: i32, k1: i32): void {
  const W = widthOf(cell), pstride = <usize>(1 + H) * (<usize>W << 4);
  const G = cell == 1 ? 4 : cell == 2 ? 3 : 1, t = tmp + 128;
  for (let n = 0; n < N; n += 2) {
    const two = n + 1 < N;
    for (let k = k0; k < k1; k++) {
      const pk = p + <usize>k * pstride;
      if (two) panel2(tmp, pk, at(hp, n * H), at(hp, (n + 1) * H), H, W); else panel1(tmp, pk, at(hp, n * H), H, W);
      const ms = two ? 2 : 1;
      for (let m = 0; m < ms; m++) {
        const s = n + m, a = tmp + (<usize>m << 6), gs = at(g, s * G * H), o = s * H;
        if (cell == 0) {
          const u = k * 16;
          for (let q = 0; q < 4; q++) {
            const hq = at(ht, o + u + 4 * q), nq = H - u - 4 * q;
            if (nq > 0) vstn(hq, vtanh_r(vadd(vld(a + (<usize>q << 4)), vldn(hq, nq, t))), nq, t);
          }
        } else if (cell == 1) {
          const u = k * 4, n4 = min(4, H - u);
          const vi = vsigm_r(vadd(vld(a), vldn(at(gs, u), n4, t))), vf = vsigm_r(vadd(vld(a + 16), vldn(at(gs, H + u), n4, t)));
          const vg = vtanh_r(vadd(vld(a + 32), vldn(at(gs, 2 * H + u), n4, t))), vo = vsigm_r(vadd(vld(a + 48), vldn(at(gs, 3 * H + u), n4, t)));
          const cv = vfma(vf, vldn(at(sp, o + u), n4, t), vmul(vi, vg));
          vstn(at(gs, u), vi, n4, t); vstn(at(gs, H + u), vf, n4, t); vstn(at(gs, 2 * H + u), vg, n4, t); vstn(at(gs, 3 * H + u), vo, n4, t);
          vstn(at(c, o + u), cv, n4, t); vstn(at(ht, o + u), vmul(vo, vtanh_r(cv)), n4, t);
        } else {
          const u = k * 4, n4 = min(4, H - u), hv = vld(a + 32);
          const r = vsigm_r(vadd(vld(a), vldn(at(gs, u), n4, t))), z = vsigm_r(vadd(vld(a + 16), vldn(at(gs, H + u), n4, t)));
          const nn = vtanh_r(vfma(r, hv, vadd(vldn(at(gs, 2 * H + u), n4, t), vldn(at(b, 2 * H + u), n4, t))));
          vstn(at(gs, u), r, n4, t); vstn(at(gs, H + u), z, n4, t); vstn(at(gs, 2 * H + u), nn, n4, t); vstn(at(c, o + u), hv, n4, t);
          vstn(at(ht, o + u), vfma(z, vsub(vldn(at(sp, o + u), n4, t), nn), nn), n4, t); // (1 - z) n + z h_{t-1}
        }
      }
    }
  }
}
