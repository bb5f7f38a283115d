// Recurrent layers, single direction, PyTorch's gate layouts and formulas (torch.nn.RNN/LSTM/GRU):
//   x: (T, N, I) f32 TIME-MAJOR (PyTorch batch_first=False, ONNX layout=0): each step's input and
//      state is one contiguous (N, ·) block, so per-step GEMMs need no strides. Keras' (N, T, I) is
//      transposed by the host.
//   w_ih: (G*H, I), w_hh: (G*H, H), b_ih, b_hh: (G*H) f32, G = 1 (RNN), 4 (LSTM: i, f, g, o), 3 (GRU: r, z, n)
//   h0 (c0): (N, H) f32 initial state; hs: (T, N, H) f32 all hidden states (return_sequences; the
//      final state is hs[T-1]; the LSTM's final cell state is cs[T-1]).
//   SimpleRNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)
//   LSTM:      [i f g o] = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh; i, f, o = sigmoid, g = tanh
//              c_t = f c_{t-1} + i g; h_t = o tanh(c_t)
//   GRU (rnn_gru.ts): n = tanh(W_in x + b_in + r (W_hn h + b_hn)), PyTorch = ONNX linear_before_reset=1.
// The input projection of all T steps is ONE GEMM over (T*N, I); each step adds h_{t-1} W_hh^T with
// a GEMM of (N, H); gate math is elementwise SIMD. At N <= 8 the __simd forwards run each step as
// one fused pass instead (rnn_step.ts: packed W_hh, biases and gate math in registers). Forward saves what backward needs: hs (RNN),
// hs + cs + activated gates (LSTM). Backward (BPTT) takes dhs (T, N, H) = dL/dh_t for every step
// (zeros where unused; add dL/dh_T into dhs[T-1]) and for the LSTM dcT (N, H) = dL/dc_T, and
// ACCUMULATES dx, dw_ih, dw_hh, db_ih, db_hh, dh0 (dc0). It stores the pre-activation gradients of
// all steps in scratch, so the input-side gradients are again single GEMMs after the time loop.
// Bidirectional: the host runs a second instance on x_time_reversed = x32_reverse_time(x) and
// reverses its hs back (concatenating or summing the directions is the layer's business).
// Variable-length sequences (masking) are not handled here. Threads: the GEMMs split themselves, the
// steps of the per-step path split their batch rows (rnn_rows.ts), the fused path its unit blocks.
// scratch: rnn_scratch_floats(cell, T, N, I, H) f32 for fwd and bwd (cell 0 RNN, 1 LSTM, 2 GRU).
import { gemm_scratch_floats } from './gemm';
import { at, up4, mm, biasAdd, addTo, finishGrads } from './rnn_base';
import { step, stepBuffers, RNN_FWD, RNN_BWD, LSTM_FWD, LSTM_BWD } from './rnn_rows';
import { STEP_MAX_N, rnn_pack, step_scratch_floats, rnn_step } from './rnn_step';
export { f32_tanh_r, f32_sigm_r } from './rnn_step';
export { f32_gru_fwd__ref, f32_gru_fwd__simd, f32_gru_bwd__ref, f32_gru_bwd__simd } from './rnn_gru';

/** Scratch for the recurrent kernels in floats (fwd and bwd; mirrored by rnnScratchFloats in src/ops.ts). */
export function rnn_scratch_floats(cell: i32, T: i32, N: i32, I: i32, H: i32): i32 {
  const G = cell == 1 ? 4 : cell == 2 ? 3 : 1, GH = G * H, TN = T * N;
  let g = max(gemm_scratch_floats(TN, GH, I), gemm_scratch_floats(N, GH, H));
  g = max(g, max(gemm_scratch_floats(N, H, GH), gemm_scratch_floats(TN, I, GH)));
  g = max(g, max(gemm_scratch_floats(GH, I, TN), max(gemm_scratch_floats(GH, H, N), gemm_scratch_floats(GH, H, (T - 1) * N))));
  const extra = cell == 1 ? up4(TN * GH) + 2 * up4(N * H) : cell == 2 ? max(up4(N * GH), 2 * up4(TN * GH) + up4(N * H)) : up4(TN * H) + up4(N * H);
  return max(extra + g, step_scratch_floats(cell, N, H));
}


// ---- SimpleRNN (tanh) ----

function rnnFwd(simd: bool, hs: usize, x: usize, h0: usize, w_ih: usize, w_hh: usize, b_ih: usize, b_hh: usize, s: usize,
                T: i32, N: i32, I: i32, H: i32): void {
  const TN = T * N, NH = N * H;
  mm(simd, hs, x, w_ih, s, TN, H, I, 0, 1, 0);
  if (simd && N <= STEP_MAX_N) {
    const tmp = rnn_pack(s, 0, w_hh, b_ih, b_hh, H);
    for (let t = 0; t < T; t++) rnn_step(0, s, at(hs, t * NH), 0, 0, t ? at(hs, (t - 1) * NH) : h0, 0, 0, tmp, N, H);
    return;
  }
  biasAdd(simd, hs, b_ih, TN, H); biasAdd(simd, hs, b_hh, TN, H);
  stepBuffers(hs, h0, w_hh, 0, 0, 0, 0, 0, 0);
  for (let t = 0; t < T; t++) step(RNN_FWD, simd, s, t, N, H, 1);
}

function rnnBwd(simd: bool, dx: usize, dw_ih: usize, dw_hh: usize, db_ih: usize, db_hh: usize, dh0: usize, dhs: usize,
                x: usize, h0: usize, hs: usize, w_ih: usize, w_hh: usize, scratch: usize, T: i32, N: i32, I: i32, H: i32): void {
  const TN = T * N, NH = N * H;
  const dA = scratch, carry = at(dA, up4(TN * H)), s = at(carry, up4(NH));
  memory.fill(carry, 0, <usize>NH << 2);
  stepBuffers(dA, carry, hs, dhs, w_hh, 0, 0, 0, 0);
  for (let t = T - 1; t >= 0; t--) step(RNN_BWD, simd, s, t, N, H, 1);
  addTo(dh0, carry, NH);
  finishGrads(simd, dx, dw_ih, dw_hh, db_ih, db_hh, x, h0, hs, dA, dA, w_ih, s, T, N, I, H, H);
}

// hs: (T, N, H) out; x: (T, N, I); h0: (N, H); w_ih: (H, I); w_hh: (H, H); b_ih, b_hh: (H); scratch: rnn_scratch_floats(0, ...)
export function f32_rnn_fwd__ref(hs: usize, x: usize, h0: usize, w_ih: usize, w_hh: usize, b_ih: usize, b_hh: usize, scratch: usize,
                                 T: i32, N: i32, I: i32, H: i32): void { rnnFwd(false, hs, x, h0, w_ih, w_hh, b_ih, b_hh, scratch, T, N, I, H); }
export function f32_rnn_fwd__simd(hs: usize, x: usize, h0: usize, w_ih: usize, w_hh: usize, b_ih: usize, b_hh: usize, scratch: usize,
                                  T: i32, N: i32, I: i32, H: i32): void { rnnFwd(true, hs, x, h0, w_ih, w_hh, b_ih, b_hh, scratch, T, N, I, H); }

// dx: (T, N, I) +=; dw_ih: (H, I) +=; dw_hh: (H, H) +=; db_ih, db_hh: (H) +=; dh0: (N, H) +=;
// dhs: (T, N, H); x: (T, N, I); h0: (N, H); hs: (T, N, H) from fwd; w_ih, w_hh; scratch
export function f32_rnn_bwd__ref(dx: usize, dw_ih: usize, dw_hh: usize, db_ih: usize, db_hh: usize, dh0: usize, dhs: usize,
                                 x: usize, h0: usize, hs: usize, w_ih: usize, w_hh: usize, scratch: usize, T: i32, N: i32, I: i32, H: i32): void {
  rnnBwd(false, dx, dw_ih, dw_hh, db_ih, db_hh, dh0, dhs, x, h0, hs, w_ih, w_hh, scratch, T, N, I, H);
}
export function f32_rnn_bwd__simd(dx: usize, dw_ih: usize, dw_hh: usize, db_ih: usize, db_hh: usize, dh0: usize, dhs: usize,
                                  x: usize, h0: usize, hs: usize, w_ih: usize, w_hh: usize, scratch: usize, T: i32, N: i32, I: i32, H: i32): void {
  rnnBwd(true, dx, dw_ih, dw_hh, db_ih, db_hh, dh0, dhs, x, h0, hs, w_ih, w_hh, scratch, T, N, I, H);
}

// ---- LSTM ----

function lstmFwd(simd: bool, hs: usize, cs: usize, gates: usize, x: usize, h0: usize, c0: usize, w_ih: usize, w_hh: usize,
                 b_ih: usize, b_hh: usize, s: usize, T: i32, N: i32, I: i32, H: i32): void {
  const TN = T * N, NH = N * H, G4 = 4 * H;
  mm(simd, gates, x, w_ih, s, TN, G4, I, 0, 1, 0);
  if (simd && N <= STEP_MAX_N) {
    const tmp = rnn_pack(s, 1, w_hh, b_ih, b_hh, H);
    for (let t = 0; t < T; t++)
      rnn_step(1, s, at(hs, t * NH), at(gates, t * N * G4), at(cs, t * NH), t ? at(hs, (t - 1) * NH) : h0, t ? at(cs, (t - 1) * NH) : c0, 0, tmp, N, H);
    return;
  }
  biasAdd(simd, gates, b_ih, TN, G4); biasAdd(simd, gates, b_hh, TN, G4);
  stepBuffers(gates, hs, cs, h0, c0, w_hh, 0, 0, 0);
  for (let t = 0; t < T; t++) step(LSTM_FWD, simd, s, t, N, H, 4);
}

function lstmBwd(simd: bool, dx: usize, dw_ih: usize, dw_hh: usize, db_ih: usize, db_hh: usize, dh0: usize, dc0: usize, dhs: usize, dcT: usize,
                 x: usize, h0: usize, c0: usize, hs: usize, cs: usize, gates: usize, w_ih: usize, w_hh: usize, scratch: usize,
                 T: i32, N: i32, I: i32, H: i32): void {
  const TN = T * N, NH = N * H, G4 = 4 * H;
  const dA = scratch, ch = at(dA, up4(TN * G4)), cc = at(ch, up4(NH)), s = at(cc, up4(NH));
  memory.fill(ch, 0, <usize>NH << 2);
  memory.copy(cc, dcT, <usize>NH << 2);
  stepBuffers(dA, ch, cc, gates, cs, c0, dhs, w_hh, 0);
  for (let t = T - 1; t >= 0; t--) step(LSTM_BWD, simd, s, t, N, H, 4);
  addTo(dh0, ch, NH);
  addTo(dc0, cc, NH);
  finishGrads(simd, dx, dw_ih, dw_hh, db_ih, db_hh, x, h0, hs, dA, dA, w_ih, s, T, N, I, H, G4);
}

// hs, cs: (T, N, H) out; gates: (T, N, 4H) out (activated i, f, g, o, saved for bwd); x: (T, N, I); h0, c0: (N, H);
// w_ih: (4H, I); w_hh: (4H, H); b_ih, b_hh: (4H); scratch: rnn_scratch_floats(1, ...)
export function f32_lstm_fwd__ref(hs: usize, cs: usize, gates: usize, x: usize, h0: usize, c0: usize, w_ih: usize, w_hh: usize,
                                  b_ih: usize, b_hh: usize, scratch: usize, T: i32, N: i32, I: i32, H: i32): void {
  lstmFwd(false, hs, cs, gates, x, h0, c0, w_ih, w_hh, b_ih, b_hh, scratch, T, N, I, H);
}
export function f32_lstm_fwd__simd(hs: usize, cs: usize, gates: usize, x: usize, h0: usize, c0: usize, w_ih: usize, w_hh: usize,
                                   b_ih: usize, b_hh: usize, scratch: usize, T: i32, N: i32, I: i32, H: i32): void {
  lstmFwd(true, hs, cs, gates, x, h0, c0, w_ih, w_hh, b_ih, b_hh, scratch, T, N, I, H);
}

// dx: (T, N, I) +=; dw_ih: (4H, I) +=; dw_hh: (4H, H) +=; db_ih, db_hh: (4H) +=; dh0, dc0: (N, H) +=;
// dhs: (T, N, H); dcT: (N, H); x; h0, c0; hs, cs, gates from fwd; w_ih, w_hh; scratch
export function f32_lstm_bwd__ref(dx: usize, dw_ih: usize, dw_hh: usize, db_ih: usize, db_hh: usize, dh0: usize, dc0: usize, dhs: usize, dcT: usize,
                                  x: usize, h0: usize, c0: usize, hs: usize, cs: usize, gates: usize, w_ih: usize, w_hh: usize, scratch: usize,
                                  T: i32, N: i32, I: i32, H: i32): void {
  lstmBwd(false, dx, dw_ih, dw_hh, db_ih, db_hh, dh0, dc0, dhs, dcT, x, h0, c0, hs, cs, gates, w_ih, w_hh, scratch, T, N, I, H);
}
export function f32_lstm_bwd__simd(dx: usize, dw_ih: usize, dw_hh: usize, db_ih: usize, db_hh: usize, dh0: usize, dc0: usize, dhs: usize, dcT: usize,
                                   x: usize, h0: usize, c0: usize, hs: usize, cs: usize, gates: usize, w_ih: usize, w_hh: usize, scratch: usize,
                                   T: i32, N: i32, I: i32, H: i32): void {
  lstmBwd(true, dx, dw_ih, dw_hh, db_ih, db_hh, dh0, dc0, dhs, dcT, x, h0, c0, hs, cs, gates, w_ih, w_hh, scratch, T, N, I, H);
}

// ---- time reversal for bidirectional layers: y[t] = x[T-1-t]; y, x: (T, F) 32-bit elements, F = N*features; no aliasing ----
export function x32_reverse_time__ref(y: usize, x: usize, T: i32, F: i32): void {
  for (let t = 0; t < T; t++) for (let k = 0; k < F; k++) store<u32>(at(y, t * F + k), load<u32>(at(x, (T - 1 - t) * F + k)));
}
export function x32_reverse_time__simd(y: usize, x: usize, T: i32, F: i32): void {
  for (let t = 0; t < T; t++) memory.copy(at(y, t * F), at(x, (T - 1 - t) * F), <usize>F << 2);
}
