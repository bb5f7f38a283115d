// One time step of the recurrent kernels (rnn.ts, rnn_gru.ts; N > STEP_MAX_N forwards, and every
// backward) over a block of batch rows: the recurrent GEMM rows (gemmRows: the path the whole
// product takes, so the rows of several blocks are those of one call) and the gate math of the
// same rows. Threads: the rows of a step split between them, one job per step (the steps stay in
// order); each row is computed exactly as on one thread. Formulas and layouts as in rnn.ts.
// NOTE: the step's buffers live in module globals (one kernel call at a time per instance), set by
// stepBuffers(); a worker's instance gets them through the job arguments.
import { vld, vst, vsplat, vadd, vsub, vmul, vfma, vtanh, vsigmoid } from '../simd';
import { f32_gemm__ref, gemmRows } from './gemm';
import { at, sigm, biasAdd } from './rnn_base';
import { mtFor, parallelRange, rangeLo, rangeHi, setArg, arg, argP, workerScratch } from '../mt';

export const RNN_FWD: i32 = 0, RNN_BWD: i32 = 1, LSTM_FWD: i32 = 2, LSTM_BWD: i32 = 3, GRU_FWD: i32 = 4, GRU_BWD: i32 = 5;

// the step's buffers (meaning per kind: see the row functions)
let b0: usize = 0, b1: usize = 0, b2: usize = 0, b3: usize = 0, b4: usize = 0, b5: usize = 0, b6: usize = 0, b7: usize = 0, b8: usize = 0;
export function stepBuffers(p0: usize, p1: usize, p2: usize, p3: usize, p4: usize, p5: usize, p6: usize, p7: usize, p8: usize): void {
  b0 = p0; b1 = p1; b2 = p2; b3 = p3; b4 = p4; b5 = p5; b6 = p6; b7 = p7; b8 = p8;
}

/** Step t of `kind` over all N rows (gate width G: 1, 4 or 3), split between threads when it is large enough. s: GEMM scratch. */
export function step(kind: i32, simd: bool, s: usize, t: i32, N: i32, H: i32, G: i32): void {
  // (a SimpleRNN step runs its activation over the flattened (N, H) block: rows split only when H keeps the vector lanes within rows)
  const th = simd && (G > 1 || (H & 3) == 0) ? min(N, mtFor(<i64>N * G * H * H)) : 1;
  if (th <= 1) { stepRows(kind, simd, s, t, N, H, 0, N); return; }
  setArg(0, kind); setArg(1, <i32>s); setArg(2, t); setArg(3, N); setArg(4, H);
  setArg(5, <i32>b0); setArg(6, <i32>b1); setArg(7, <i32>b2); setArg(8, <i32>b3); setArg(9, <i32>b4);
  setArg(10, <i32>b5); setArg(11, <i32>b6); setArg(12, <i32>b7); setArg(13, <i32>b8);
  parallelRange(stepTask, N, 1, th);
}
function stepTask(t: i32, tid: i32): void {
  if (tid) stepBuffers(argP(5), argP(6), argP(7), argP(8), argP(9), argP(10), argP(11), argP(12), argP(13));
  stepRows(arg(0), true, tid ? workerScratch(tid) : argP(1), arg(2), arg(3), arg(4), rangeLo(t), rangeHi(t));
}

function stepRows(kind: i32, simd: bool, s: usize, t: i32, N: i32, H: i32, n0: i32, n1: i32): void {
  if (kind == RNN_FWD) rnnFwdRows(simd, s, t, N, H, n0, n1);
  else if (kind == RNN_BWD) rnnBwdRows(simd, s, t, N, H, n0, n1);
  else if (kind == LSTM_FWD) lstmFwdRows(simd, s, t, N, H, n0, n1);
  else if (kind == LSTM_BWD) lstmBwdRows(simd, s, t, N, H, n0, n1);
  else if (kind == GRU_FWD) gruFwdRows(simd, s, t, N, H, n0, n1);
  else gruBwdRows(simd, s, t, N, H, n0, n1);
}

// rows [n0, n1) of c (M, N') [+]= a (M, K) . b^T or . b
// @ts-ignore: decorator
@inline function mmRows(simd: bool, c: usize, a: usize, b: usize, s: usize, M: i32, N: i32, K: i32, tB: i32, acc: i32, n0: i32, n1: i32): void {
  if (simd) gemmRows(c, a, b, s, M, N, K, tB, acc, n0, n1);
  else f32_gemm__ref(at(c, n0 * N), at(a, n0 * K), b, s, n1 - n0, N, K, 0, tB, acc);
}

// ---- SimpleRNN. fwd: b0 hs (T, N, H) (x W_ih^T + biases in), b1 h0, b2 w_hh. bwd: b0 dA (T, N, H), b1 carry (N, H), b2 hs, b3 dhs, b4 w_hh ----

function rnnFwdRows(simd: bool, s: usize, t: i32, N: i32, H: i32, n0: i32, n1: i32): void {
  const NH = N * H, ht = at(b0, t * NH);
  mmRows(simd, ht, t ? at(b0, (t - 1) * NH) : b1, b2, s, N, H, H, 1, 1, n0, n1);
  let k = n0 * H;
  const k1 = n1 * H;
  if (simd) for (; k + 4 <= k1; k += 4) vst(at(ht, k), vtanh(vld(at(ht, k))));
  for (; k < k1; k++) store<f32>(at(ht, k), Mathf.tanh(load<f32>(at(ht, k))));
}

function rnnBwdRows(simd: bool, s: usize, t: i32, N: i32, H: i32, n0: i32, n1: i32): void {
  const NH = N * H, o = t * NH, a = at(b0, o), carry = b1, hs = b2, dhs = b3;
  const one = vsplat(1);
  let k = n0 * H;
  const k1 = n1 * H;
  if (simd) for (; k + 4 <= k1; k += 4) {
    const h = vld(at(hs, o + k));
    vst(at(a, k), vmul(vadd(vld(at(dhs, o + k)), vld(at(carry, k))), vsub(one, vmul(h, h))));
  }
  for (; k < k1; k++) {
    const h = load<f32>(at(hs, o + k));
    store<f32>(at(a, k), (load<f32>(at(dhs, o + k)) + load<f32>(at(carry, k))) * (1 - h * h));
  }
  mmRows(simd, carry, a, b4, s, N, H, H, 0, 0, n0, n1);
}

// ---- LSTM. fwd: b0 gates (T, N, 4H), b1 hs, b2 cs, b3 h0, b4 c0, b5 w_hh.
//      bwd: b0 dA (T, N, 4H), b1 ch (N, H) dh carry, b2 cc (N, H) dc carry, b3 gates, b4 cs, b5 c0, b6 dhs, b7 w_hh ----

function lstmFwdRows(simd: bool, s: usize, t: i32, N: i32, H: i32, n0: i32, n1: i32): void {
  const NH = N * H, G4 = 4 * H, gates = b0, hs = b1, cs = b2;
  const gt = at(gates, t * N * G4);
  mmRows(simd, gt, t ? at(hs, (t - 1) * NH) : b3, b5, s, N, G4, H, 1, 1, n0, n1);
  const cp = t ? at(cs, (t - 1) * NH) : b4;
  for (let n = n0; n < n1; n++) {
    const g = at(gt, n * G4), o = n * H, ct = at(cs, t * NH + o), ht = at(hs, t * NH + o), cpr = at(cp, o);
    let j = 0;
    if (simd) for (; j + 4 <= H; j += 4) {
      const vi = vsigmoid(vld(at(g, j))), vf = vsigmoid(vld(at(g, H + j))), vg = vtanh(vld(at(g, 2 * H + j))), vo = vsigmoid(vld(at(g, 3 * H + j)));
      const c = vfma(vf, vld(at(cpr, j)), vmul(vi, vg));
      vst(at(g, j), vi); vst(at(g, H + j), vf); vst(at(g, 2 * H + j), vg); vst(at(g, 3 * H + j), vo);
      vst(at(ct, j), c); vst(at(ht, j), vmul(vo, vtanh(c)));
    }
    for (; j < H; j++) {
      const vi = sigm(load<f32>(at(g, j))), vf = sigm(load<f32>(at(g, H + j))), vg = Mathf.tanh(load<f32>(at(g, 2 * H + j))), vo = sigm(load<f32>(at(g, 3 * H + j)));
      const c = vf * load<f32>(at(cpr, j)) + vi * vg;
      store<f32>(at(g, j), vi); store<f32>(at(g, H + j), vf); store<f32>(at(g, 2 * H + j), vg); store<f32>(at(g, 3 * H + j), vo);
      store<f32>(at(ct, j), c); store<f32>(at(ht, j), vo * Mathf.tanh(c));
    }
  }
}

function lstmBwdRows(simd: bool, s: usize, t: i32, N: i32, H: i32, n0: i32, n1: i32): void {
  const NH = N * H, G4 = 4 * H, dA = b0, ch = b1, cc = b2, gates = b3, cs = b4, dhs = b6;
  const cp = t ? at(cs, (t - 1) * NH) : b5;
  const one = vsplat(1);
  for (let n = n0; n < n1; n++) {
    const o = t * NH + n * H, g = at(gates, (t * N + n) * G4), a = at(dA, (t * N + n) * G4);
    const dcp = at(cc, n * H), dhp = at(ch, n * H), cpr = at(cp, n * H);
    let j = 0;
    if (simd) for (; j + 4 <= H; j += 4) {
      const vi = vld(at(g, j)), vf = vld(at(g, H + j)), vg = vld(at(g, 2 * H + j)), vo = vld(at(g, 3 * H + j));
      const tc = vtanh(vld(at(cs, o + j))), dh = vadd(vld(at(dhs, o + j)), vld(at(dhp, j)));
      const dc = vfma(vmul(dh, vo), vsub(one, vmul(tc, tc)), vld(at(dcp, j)));
      vst(at(a, j), vmul(vmul(dc, vg), vmul(vi, vsub(one, vi))));
      vst(at(a, H + j), vmul(vmul(dc, vld(at(cpr, j))), vmul(vf, vsub(one, vf))));
      vst(at(a, 2 * H + j), vmul(vmul(dc, vi), vsub(one, vmul(vg, vg))));
      vst(at(a, 3 * H + j), vmul(vmul(dh, tc), vmul(vo, vsub(one, vo))));
      vst(at(dcp, j), vmul(dc, vf));
    }
    for (; j < H; j++) {
      const vi = load<f32>(at(g, j)), vf = load<f32>(at(g, H + j)), vg = load<f32>(at(g, 2 * H + j)), vo = load<f32>(at(g, 3 * H + j));
      const tc = Mathf.tanh(load<f32>(at(cs, o + j))), dh = load<f32>(at(dhs, o + j)) + load<f32>(at(dhp, j));
      const dc = load<f32>(at(dcp, j)) + dh * vo * (1 - tc * tc);
      store<f32>(at(a, j), dc * vg * (vi * (1 - vi)));
      store<f32>(at(a, H + j), dc * load<f32>(at(cpr, j)) * (vf * (1 - vf)));
      store<f32>(at(a, 2 * H + j), dc * vi * (1 - vg * vg));
      store<f32>(at(a, 3 * H + j), dh * tc * (vo * (1 - vo)));
      store<f32>(at(dcp, j), dc * vf);
    }
  }
  mmRows(simd, ch, at(dA, t * N * G4), b7, s, N, H, G4, 0, 0, n0, n1);
}

// ---- GRU. fwd: b0 gates (T, N, 3H) (x W_ih^T + b_ih in), b1 hs, b2 hn, b3 h0, b4 w_hh, b5 b_hh, b6 gh (N, 3H) scratch.
//      bwd: b0 dGi, b1 dGh (T, N, 3H), b2 carry (N, H), b3 gates, b4 hs, b5 h0, b6 hn, b7 dhs, b8 w_hh ----

function gruFwdRows(simd: bool, s: usize, t: i32, N: i32, H: i32, n0: i32, n1: i32): void {
  const NH = N * H, G3 = 3 * H, gates = b0, hs = b1, hn = b2, gh = b6;
  const hp = t ? at(hs, (t - 1) * NH) : b3;
  mmRows(simd, gh, hp, b4, s, N, G3, H, 1, 0, n0, n1);
  biasAdd(simd, at(gh, n0 * G3), b5, n1 - n0, G3);
  const one = vsplat(1);
  for (let n = n0; n < n1; n++) {
    const gi = at(gates, (t * N + n) * G3), gr = at(gh, n * G3), o = n * H;
    const ht = at(hs, t * NH + o), hnt = at(hn, t * NH + o), hpr = at(hp, o);
    let j = 0;
    if (simd) for (; j + 4 <= H; j += 4) {
      const r = vsigmoid(vadd(vld(at(gi, j)), vld(at(gr, j))));
      const z = vsigmoid(vadd(vld(at(gi, H + j)), vld(at(gr, H + j))));
      const hnv = vld(at(gr, 2 * H + j));
      const nn = vtanh(vfma(r, hnv, vld(at(gi, 2 * H + j))));
      vst(at(gi, j), r); vst(at(gi, H + j), z); vst(at(gi, 2 * H + j), nn); vst(at(hnt, j), hnv);
      vst(at(ht, j), vfma(z, vld(at(hpr, j)), vmul(vsub(one, z), nn)));
    }
    for (; j < H; j++) {
      const r = sigm(load<f32>(at(gi, j)) + load<f32>(at(gr, j)));
      const z = sigm(load<f32>(at(gi, H + j)) + load<f32>(at(gr, H + j)));
      const hnv = load<f32>(at(gr, 2 * H + j));
      const nn = Mathf.tanh(load<f32>(at(gi, 2 * H + j)) + r * hnv);
      store<f32>(at(gi, j), r); store<f32>(at(gi, H + j), z); store<f32>(at(gi, 2 * H + j), nn); store<f32>(at(hnt, j), hnv);
      store<f32>(at(ht, j), (1 - z) * nn + z * load<f32>(at(hpr, j)));
    }
  }
}

function gruBwdRows(simd: bool, s: usize, t: i32, N: i32, H: i32, n0: i32, n1: i32): void {
  const NH = N * H, G3 = 3 * H, dGi = b0, dGh = b1, carry = b2, gates = b3, hs = b4, hn = b6, dhs = b7;
  const hp = t ? at(hs, (t - 1) * NH) : b5;
  const one = vsplat(1);
  for (let n = n0; n < n1; n++) {
    const row = (t * N + n) * G3, g = at(gates, row), ai = at(dGi, row), ah = at(dGh, row);
    const o = t * NH + n * H, cr = at(carry, n * H), hpr = at(hp, n * H);
    let j = 0;
    if (simd) for (; j + 4 <= H; j += 4) {
      const r = vld(at(g, j)), z = vld(at(g, H + j)), nn = vld(at(g, 2 * H + j));
      const dh = vadd(vld(at(dhs, o + j)), vld(at(cr, j)));
      const dan = vmul(vmul(dh, vsub(one, z)), vsub(one, vmul(nn, nn)));
      const dar = vmul(vmul(dan, vld(at(hn, o + j))), vmul(r, vsub(one, r)));
      const daz = vmul(vmul(dh, vsub(vld(at(hpr, j)), nn)), vmul(z, vsub(one, z)));
      vst(at(ai, j), dar); vst(at(ai, H + j), daz); vst(at(ai, 2 * H + j), dan);
      vst(at(ah, j), dar); vst(at(ah, H + j), daz); vst(at(ah, 2 * H + j), vmul(dan, r));
      vst(at(cr, j), vmul(dh, z));
    }
    for (; j < H; j++) {
      const r = load<f32>(at(g, j)), z = load<f32>(at(g, H + j)), nn = load<f32>(at(g, 2 * H + j));
      const dh = load<f32>(at(dhs, o + j)) + load<f32>(at(cr, j));
      const dan = dh * (1 - z) * (1 - nn * nn);
      const dar = dan * load<f32>(at(hn, o + j)) * (r * (1 - r));
      const daz = dh * (load<f32>(at(hpr, j)) - nn) * (z * (1 - z));
      store<f32>(at(ai, j), dar); store<f32>(at(ai, H + j), daz); store<f32>(at(ai, 2 * H + j), dan);
      store<f32>(at(ah, j), dar); store<f32>(at(ah, H + j), daz); store<f32>(at(ah, 2 * H + j), dan * r);
      store<f32>(at(cr, j), dh * z);
    }
  }
  mmRows(simd, carry, at(dGh, t * N * G3), b8, s, N, H, G3, 0, 1, n0, n1);
}
