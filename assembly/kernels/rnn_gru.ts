// GRU, PyTorch's torch.nn.GRU (= ONNX GRU with linear_before_reset = 1); layouts and conventions
// as in rnn.ts (time-major x (T, N, I), gates r, z, n, backward accumulates):
//   gi = x_t W_ih^T + b_ih,  gh = h_{t-1} W_hh^T + b_hh       (both (N, 3H): r | z | n)
//   r = sigmoid(gi_r + gh_r); z = sigmoid(gi_z + gh_z); n = tanh(gi_n + r * gh_n)
//   h_t = (1 - z) * n + z * h_{t-1}
// Forward saves the activated r, z, n in gates (T, N, 3H) and hn = gh_n (T, N, H) (the reset gate
// multiplies it, so backward needs it). Scratch: gh (N, 3H) in fwd; in bwd the pre-activation
// gradients of the input side dGi (T*N, 3H) and hidden side dGh (T*N, 3H; differs in the n block:
// r * dn), and the dh carry (N, H).
import { at, up4, mm, biasAdd, addTo, finishGrads } from './rnn_base';
import { step, stepBuffers, GRU_FWD, GRU_BWD } from './rnn_rows';
import { STEP_MAX_N, rnn_pack, rnn_step } from './rnn_step';

function gruFwd(simd: bool, hs: usize, gates: usize, hn: usize, x: usize, h0: usize, w_ih: usize, w_hh: usize,
                b_ih: usize, b_hh: usize, scratch: usize, T: i32, N: i32, I: i32, H: i32): void {
  const TN = T * N, NH = N * H, G3 = 3 * H;
  const gh = scratch, s = at(gh, up4(N * G3));
  mm(simd, gates, x, w_ih, s, TN, G3, I, 0, 1, 0);
  if (simd && N <= STEP_MAX_N) {
    const tmp = rnn_pack(scratch, 2, w_hh, b_ih, b_hh, H);
    for (let t = 0; t < T; t++) {
      const hp = t ? at(hs, (t - 1) * NH) : h0;
      rnn_step(2, scratch, at(hs, t * NH), at(gates, t * N * G3), at(hn, t * NH), hp, hp, b_ih, tmp, N, H);
    }
    return;
  }
  biasAdd(simd, gates, b_ih, TN, G3);
  stepBuffers(gates, hs, hn, h0, w_hh, b_hh, gh, 0, 0);
  for (let t = 0; t < T; t++) step(GRU_FWD, simd, s, t, N, H, 3);
}

function gruBwd(simd: bool, dx: usize, dw_ih: usize, dw_hh: usize, db_ih: usize, db_hh: usize, dh0: usize, dhs: usize,
                x: usize, h0: usize, hs: usize, gates: usize, hn: usize, w_ih: usize, w_hh: usize, scratch: usize,
                T: i32, N: i32, I: i32, H: i32): void {
  const TN = T * N, NH = N * H, G3 = 3 * H;
  const dGi = scratch, dGh = at(dGi, up4(TN * G3)), carry = at(dGh, up4(TN * G3)), s = at(carry, up4(NH));
  memory.fill(carry, 0, <usize>NH << 2);
  stepBuffers(dGi, dGh, carry, gates, hs, h0, hn, dhs, w_hh);
  for (let t = T - 1; t >= 0; t--) step(GRU_BWD, simd, s, t, N, H, 3);
  addTo(dh0, carry, NH);
  finishGrads(simd, dx, dw_ih, dw_hh, db_ih, db_hh, x, h0, hs, dGi, dGh, w_ih, s, T, N, I, H, G3);
}

// hs: (T, N, H) out; gates: (T, N, 3H) out (activated r, z, n); hn: (T, N, H) out (W_hn h + b_hn);
// x: (T, N, I); h0: (N, H); w_ih: (3H, I); w_hh: (3H, H); b_ih, b_hh: (3H); scratch: rnn_scratch_floats(2, ...)
export function f32_gru_fwd__ref(hs: usize, gates: usize, hn: usize, x: usize, h0: usize, w_ih: usize, w_hh: usize,
                                 b_ih: usize, b_hh: usize, scratch: usize, T: i32, N: i32, I: i32, H: i32): void {
  gruFwd(false, hs, gates, hn, x, h0, w_ih, w_hh, b_ih, b_hh, scratch, T, N, I, H);
}
export function f32_gru_fwd__simd(hs: usize, gates: usize, hn: usize, x: usize, h0: usize, w_ih: usize, w_hh: usize,
                                  b_ih: usize, b_hh: usize, scratch: usize, T: i32, N: i32, I: i32, H: i32): void {
  gruFwd(true, hs, gates, hn, x, h0, w_ih, w_hh, b_ih, b_hh, scratch, T, N, I, H);
}

// dx: (T, N, I) +=; dw_ih: (3H, I) +=; dw_hh: (3H, H) +=; db_ih, db_hh: (3H) +=; dh0: (N, H) +=;
// dhs: (T, N, H); x; h0; hs, gates, hn from fwd; w_ih, w_hh; scratch
export function f32_gru_bwd__ref(dx: usize, dw_ih: usize, dw_hh: usize, db_ih: usize, db_hh: usize, dh0: usize, dhs: usize,
                                 x: usize, h0: usize, hs: usize, gates: usize, hn: usize, w_ih: usize, w_hh: usize, scratch: usize,
                                 T: i32, N: i32, I: i32, H: i32): void {
  gruBwd(false, dx, dw_ih, dw_hh, db_ih, db_hh, dh0, dhs, x, h0, hs, gates, hn, w_ih, w_hh, scratch, T, N, I, H);
}
export function f32_gru_bwd__simd(dx: usize, dw_ih: usize, dw_hh: usize, db_ih: usize, db_hh: usize, dh0: usize, dhs: usize,
                                  x: usize, h0: usize, hs: usize, gates: usize, hn: usize, w_ih: usize, w_hh: usize, scratch: usize,
                                  T: i32, N: i32, I: i32, H: i32): void {
  gruBwd(true, dx, dw_ih, dw_hh, db_ih, db_hh, dh0, dhs, x, h0, hs, gates, hn, w_ih, w_hh, scratch, T, N, I, H);
}
