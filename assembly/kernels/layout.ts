// Layout moves for layer plumbing: 32-bit elements (f32 or i32) moved, never computed on.
//   transpose_01: swap the first two axes of (A, B, F): Keras' batch-major (N, T, F) ⇄ the
//                 recurrent kernels' time-major (T, N, F).
//   copy_strided: a block of rows × cols copied between row pitches and element offsets: one time
//                 step out of a sequence, halves of concatenated features in and out.
//   add_strided:  the same block added (f32) into y: a concatenation's gradient back to one input.
//   gather_runs:  each sample's output is a list of runs copied from its input (or filled with a
//                 value): slices, crops, gathers and padding (constant, reflect, edge) in one kernel;
//                 its backward scatter-adds the runs back (runs may repeat a source: += is exact).
// y and x never overlap.
import { vadd, vld, vst, vsplat } from '../simd';

// @ts-ignore: decorator
@inline function at(p: usize, i: i32): usize { return p + (<usize>i << 2); }

// y: (B, A, F) 32-bit; x: (A, B, F) 32-bit: y[b, a, :] = x[a, b, :]
export function x32_transpose_01__ref(y: usize, x: usize, A: i32, B: i32, F: i32): void {
  for (let a = 0; a < A; a++) for (let b = 0; b < B; b++) for (let f = 0; f < F; f++)
    store<u32>(at(y, (b * A + a) * F + f), load<u32>(at(x, (a * B + b) * F + f)));
}
export function x32_transpose_01__simd(y: usize, x: usize, A: i32, B: i32, F: i32): void {
  if (F == 1) { transpose2d(y, x, A, B); return; }
  for (let a = 0; a < A; a++) for (let b = 0; b < B; b++) {
    const d = at(y, (b * A + a) * F), s = at(x, (a * B + b) * F);
    if (F >= 32) { memory.copy(d, s, <usize>F << 2); continue; }
    let f = 0;
    for (; f + 4 <= F; f += 4) vst(at(d, f), vld(at(s, f)));
    for (; f < F; f++) store<u32>(at(d, f), load<u32>(at(s, f)));
  }
}

/** y (B, A) = x (A, B)^T in 4x4 tiles of lane shuffles, scalar edges. */
function transpose2d(y: usize, x: usize, A: i32, B: i32): void {
  let a = 0;
  for (; a + 4 <= A; a += 4) {
    let b = 0;
    for (; b + 4 <= B; b += 4) {
      const r0 = vld(at(x, a * B + b)), r1 = vld(at(x, (a + 1) * B + b)), r2 = vld(at(x, (a + 2) * B + b)), r3 = vld(at(x, (a + 3) * B + b));
      const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5), t1 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
      const t2 = i32x4.shuffle(r2, r3, 0, 4, 1, 5), t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
      vst(at(y, b * A + a), i32x4.shuffle(t0, t2, 0, 1, 4, 5));
      vst(at(y, (b + 1) * A + a), i32x4.shuffle(t0, t2, 2, 3, 6, 7));
      vst(at(y, (b + 2) * A + a), i32x4.shuffle(t1, t3, 0, 1, 4, 5));
      vst(at(y, (b + 3) * A + a), i32x4.shuffle(t1, t3, 2, 3, 6, 7));
    }
    for (; b < B; b++) for (let k = a; k < a + 4; k++) store<u32>(at(y, b * A + k), load<u32>(at(x, k * B + b)));
  }
  for (; a < A; a++) for (let b = 0; b < B; b++) store<u32>(at(y, b * A + a), load<u32>(at(x, a * B + b)));
}

// y[offy + r*ldy + c] = x[offx + r*ldx + c] for r < rows, c < cols; y, x 32-bit
export function x32_copy_strided__ref(y: usize, x: usize, rows: i32, cols: i32, ldy: i32, ldx: i32, offy: i32, offx: i32): void {
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++)
    store<u32>(at(y, offy + r * ldy + c), load<u32>(at(x, offx + r * ldx + c)));
}
export function x32_copy_strided__simd(y: usize, x: usize, rows: i32, cols: i32, ldy: i32, ldx: i32, offy: i32, offx: i32): void {
  if (rows == 1 || (ldy == cols && ldx == cols)) { memory.copy(at(y, offy), at(x, offx), <usize>(rows * cols) << 2); return; }
  for (let r = 0; r < rows; r++) {
    const d = at(y, offy + r * ldy), s = at(x, offx + r * ldx);
    if (cols >= 32) { memory.copy(d, s, <usize>cols << 2); continue; }
    let c = 0;
    for (; c + 4 <= cols; c += 4) vst(at(d, c), vld(at(s, c)));
    for (; c < cols; c++) store<u32>(at(d, c), load<u32>(at(s, c)));
  }
}

// y[offy + r*ldy + c] += x[offx + r*ldx + c] for r < rows, c < cols (f32)
export function f32_add_strided__ref(y: usize, x: usize, rows: i32, cols: i32, ldy: i32, ldx: i32, offy: i32, offx: i32): void {
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) {
    const d = at(y, offy + r * ldy + c);
    store<f32>(d, load<f32>(d) + load<f32>(at(x, offx + r * ldx + c)));
  }
}
export function f32_add_strided__simd(y: usize, x: usize, rows: i32, cols: i32, ldy: i32, ldx: i32, offy: i32, offx: i32): void {
  for (let r = 0; r < rows; r++) {
    const d = at(y, offy + r * ldy), s = at(x, offx + r * ldx);
    let c = 0;
    for (; c + 4 <= cols; c += 4) vst(at(d, c), vadd(vld(at(d, c)), vld(at(s, c))));
    for (; c < cols; c++) store<f32>(at(d, c), load<f32>(at(d, c)) + load<f32>(at(s, c)));
  }
}

// ---- gather_runs: y[n] = concat over runs r of (src_r < 0 ? len_r copies of value : x[n, src_r .. src_r + len_r)) ----
// runs: (R, 2) i32 (src, len), sum of len = J, 0 <= src, src + len <= S (the host checks).

// y: (N, J) f32; x: (N, S) f32; runs: (R, 2) i32
export function f32_gather_runs_fwd__ref(y: usize, x: usize, runs: usize, N: i32, S: i32, J: i32, R: i32, value: f32): void {
  for (let n = 0; n < N; n++) {
    let j = n * J;
    for (let r = 0; r < R; r++) {
      const src = load<i32>(at(runs, 2 * r)), len = load<i32>(at(runs, 2 * r + 1));
      for (let k = 0; k < len; k++) store<f32>(at(y, j++), src < 0 ? value : load<f32>(at(x, n * S + src + k)));
    }
  }
}
export function f32_gather_runs_fwd__simd(y: usize, x: usize, runs: usize, N: i32, S: i32, J: i32, R: i32, value: f32): void {
  const v = vsplat(value);
  for (let n = 0; n < N; n++) {
    let d = at(y, n * J);
    const xs = at(x, n * S);
    for (let r = 0; r < R; r++) {
      const src = load<i32>(at(runs, 2 * r)), len = load<i32>(at(runs, 2 * r + 1));
      let k = 0;
      if (src < 0) {
        for (; k + 4 <= len; k += 4) vst(at(d, k), v);
        for (; k < len; k++) store<f32>(at(d, k), value);
      } else {
        const s = at(xs, src);
        for (; k + 4 <= len; k += 4) vst(at(d, k), vld(at(s, k)));
        for (; k < len; k++) store<f32>(at(d, k), load<f32>(at(s, k)));
      }
      d = at(d, len);
    }
  }
}

// dx: (N, S) f32 +=; dy: (N, J) f32; runs: (R, 2) i32 (fill runs have no source: skipped)
export function f32_gather_runs_bwd__ref(dx: usize, dy: usize, runs: usize, N: i32, S: i32, J: i32, R: i32): void {
  for (let n = 0; n < N; n++) {
    let j = n * J;
    for (let r = 0; r < R; r++) {
      const src = load<i32>(at(runs, 2 * r)), len = load<i32>(at(runs, 2 * r + 1));
      if (src < 0) { j += len; continue; }
      for (let k = 0; k < len; k++) { const p = at(dx, n * S + src + k); store<f32>(p, load<f32>(p) + load<f32>(at(dy, j++))); }
    }
  }
}
export function f32_gather_runs_bwd__simd(dx: usize, dy: usize, runs: usize, N: i32, S: i32, J: i32, R: i32): void {
  for (let n = 0; n < N; n++) {
    let s = at(dy, n * J);
    const xs = at(dx, n * S);
    for (let r = 0; r < R; r++) {
      const src = load<i32>(at(runs, 2 * r)), len = load<i32>(at(runs, 2 * r + 1));
      if (src >= 0) {
        const d = at(xs, src);
        let k = 0;
        for (; k + 4 <= len; k += 4) vst(at(d, k), vadd(vld(at(d, k)), vld(at(s, k))));
        for (; k < len; k++) store<f32>(at(d, k), load<f32>(at(d, k)) + load<f32>(at(s, k)));
      }
      s = at(s, len);
    }
  }
}
