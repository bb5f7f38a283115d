// f32 GEMM and the bias helpers Dense needs.
//   C (M, N) = [C +] op(A) (M, K) . op(B) (K, N)
//   op(A) = A stored (M, K), or A^T with A stored (K, M) when transA = 1
//   op(B) = B stored (K, N), or B^T with B stored (N, K) when transB = 1
// accumulate = 1 adds into C (backward passes), 0 overwrites. scratch: gemm_scratch_floats(M, N, K)
// f32, planned by the host (the packed kernel keeps its packed panels there).
//
// f32_gemm__simd is GotoBLAS-style: for each NC column block and KC depth block, op(B) is packed
// into NR=8 column panels; for each MC row block, op(A) is packed into MR=4 row panels; a 4x8
// register-blocked microkernel (8 v128 accumulators, per k: 2 B loads, 4 A splats, 8 vfma) runs
// over the panels. Edges are zero-padded in the packs; partial tiles go through a 4x8 scratch tile,
// so nothing outside C, A, B or scratch is read or written. Packing is in gemm_pack.ts.
// Small M (batch-1 Dense) skips the packing: gemv_row_t / gemv_row_n (threads: column blocks, gemvSplit).
// NOTE: unrolling the k loop by 2 by hand made the relaxed build ~30% slower in V8 (TurboFan
// hoists every load of the body to its top and spills accumulators); V8 unrolls this loop itself.
import { vld, vst, vadd, vfma, vzero, vsplat } from '../simd';
import { MR, NR, pack_a, pack_b } from './gemm_pack';
import { MT_CONV_SCALE, mtFor, mtForElems, parallel, parallelRange, rangeLo, rangeHi, splitSpan, setArg, arg, argP, workerScratch } from '../mt';
import { eOn, clearEpilogue, saveEpilogue, loadEpilogue, epiRows } from './epilogue';

// Block sizes (measured with bench/gemm.mjs on a 2-core Xeon, 32 KiB L1d, 1 MiB L2 per core):
// KC*MR*4 B = 4 KiB A micro-panel in L1; KC*NC*4 B = 512 KiB packed B block in L2; MC*KC*4 B =
// 64 KiB packed A block. KC 128..512, MC 32..128, NC 256..1024 were within noise of each other.
const KC: i32 = 256;
const MC: i32 = 64;
const NC: i32 = 512;
// Up to this many rows of C (op(A) rows contiguous) skip the packing and run row by row as a
// GEMV over B in place (batch-1 Dense): packing B would cost more than the product itself.
const GEMV_M: i32 = 4;   // B^T (dot-product form)
const GEMV_M_B: i32 = 2; // B (axpy form)

/** Scratch the SIMD kernel needs, in floats (mirrored by gemmScratchFloats in src/ops.ts). */
export function gemm_scratch_floats(M: i32, N: i32, K: i32): i32 {
  const kc = max(0, min(K, KC));
  const nc = (max(0, min(N, NC)) + NR - 1) / NR * NR;
  const mc = (max(0, min(M, MC)) + MR - 1) / MR * MR;
  return kc * (nc + mc) + MR * NR;
}

export function f32_gemm__ref(c: usize, a: usize, b: usize, scratch: usize, M: i32, N: i32, K: i32,
                              transA: i32, transB: i32, accumulate: i32): void {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s: f32 = 0;
      for (let k = 0; k < K; k++) {
        const av = load<f32>(a + ((transA ? <usize>k * M + i : <usize>i * K + k) << 2));
        const bv = load<f32>(b + ((transB ? <usize>j * K + k : <usize>k * N + j) << 2));
        s += av * bv;
      }
      const p = c + ((<usize>i * N + j) << 2);
      store<f32>(p, accumulate ? load<f32>(p) + s : s);
    }
  }
}

// 4x8 microkernel over packed panels: ap (kc x MR), bp (kc x NR). Writes the tile to c (row
// stride ldc bytes), adding to what is there when add != 0; only mr x nr of it when the tile is
// partial (via the MR x NR scratch tile at tmp).
// @ts-ignore: decorator
@inline function micro_4x8(ap: usize, bp: usize, kc: i32, c: usize, ldc: usize, add: i32, mr: i32, nr: i32, tmp: usize): void {
  let c00 = vzero(), c01 = vzero(), c10 = vzero(), c11 = vzero();
  let c20 = vzero(), c21 = vzero(), c30 = vzero(), c31 = vzero();
  // (the loop ends on a pointer, not a counter: an add and a compare with memory less per k, ~1 %)
  const ae = ap + (<usize>kc << 4);
  while (ap < ae) {
    const b0 = v128.load(bp), b1 = v128.load(bp, 16);
    let av = v128.load32_splat(ap);
    c00 = vfma(av, b0, c00); c01 = vfma(av, b1, c01);
    av = v128.load32_splat(ap, 4);
    c10 = vfma(av, b0, c10); c11 = vfma(av, b1, c11);
    av = v128.load32_splat(ap, 8);
    c20 = vfma(av, b0, c20); c21 = vfma(av, b1, c21);
    av = v128.load32_splat(ap, 12);
    c30 = vfma(av, b0, c30); c31 = vfma(av, b1, c31);
    ap += 16; bp += 32;
  }
  if ((mr == MR) & (nr == NR)) {
    const r0 = c, r1 = c + ldc, r2 = r1 + ldc, r3 = r2 + ldc;
    if (add) {
      vst(r0, vadd(vld(r0), c00)); vst(r0 + 16, vadd(vld(r0 + 16), c01));
      vst(r1, vadd(vld(r1), c10)); vst(r1 + 16, vadd(vld(r1 + 16), c11));
      vst(r2, vadd(vld(r2), c20)); vst(r2 + 16, vadd(vld(r2 + 16), c21));
      vst(r3, vadd(vld(r3), c30)); vst(r3 + 16, vadd(vld(r3 + 16), c31));
    } else {
      vst(r0, c00); vst(r0 + 16, c01); vst(r1, c10); vst(r1 + 16, c11);
      vst(r2, c20); vst(r2 + 16, c21); vst(r3, c30); vst(r3 + 16, c31);
    }
    return;
  }
  vst(tmp, c00); vst(tmp + 16, c01); vst(tmp + 32, c10); vst(tmp + 48, c11);
  vst(tmp + 64, c20); vst(tmp + 80, c21); vst(tmp + 96, c30); vst(tmp + 112, c31);
  for (let r = 0; r < mr; r++) {
    const cr = c + <usize>r * ldc, tr = tmp + (<usize>r << 5);
    for (let j = 0; j < nr; j++) {
      const o = <usize>j << 2;
      const v = load<f32>(tr + o);
      store<f32>(cr + o, add ? load<f32>(cr + o) + v : v);
    }
  }
}

// Sum of the lanes of each of x0..x3, as one vector (lane q = sum of xq).
// @ts-ignore: decorator
@inline function hsum4(x0: v128, x1: v128, x2: v128, x3: v128): v128 {
  const s01 = f32x4.add(i32x4.shuffle(x0, x1, 0, 1, 4, 5), i32x4.shuffle(x0, x1, 2, 3, 6, 7)); // x0[0]+x0[2], x0[1]+x0[3], x1..
  const s23 = f32x4.add(i32x4.shuffle(x2, x3, 0, 1, 4, 5), i32x4.shuffle(x2, x3, 2, 3, 6, 7));
  return f32x4.add(i32x4.shuffle(s01, s23, 0, 2, 4, 6), i32x4.shuffle(s01, s23, 1, 3, 5, 7));
}

// c (N) [+]= ar (K, contiguous) . op(B): one row of C without packing (B is read once, in place).
// (two functions, not one with a branch: the first inference of a one-shot process makes the
// one it uses hot, and V8's optimizing compile of it, which the process waits for at exit, takes
// time in proportion to its size)
function gemv_row_t(c: usize, ar: usize, b: usize, N: i32, K: i32, accumulate: i32): void {
  const k4 = K & ~3, N4 = N & ~3;
  // c[j] = dot(ar[:k4], b[j, :k4]); four rows of b at a time, two k vectors per step
  const ld = <usize>K << 2;
  for (let j = 0; j < N4; j += 4) {
    const b0 = b + <usize>j * ld, b1 = b0 + ld, b2 = b1 + ld, b3 = b2 + ld;
    let x0 = vzero(), x1 = vzero(), x2 = vzero(), x3 = vzero();
    let y0 = vzero(), y1 = vzero(), y2 = vzero(), y3 = vzero();
    let k = 0;
    for (; k + 8 <= K; k += 8) {
      const o = <usize>k << 2;
      const av = vld(ar + o), aw = vld(ar + o + 16);
      x0 = vfma(av, vld(b0 + o), x0); y0 = vfma(aw, vld(b0 + o + 16), y0);
      x1 = vfma(av, vld(b1 + o), x1); y1 = vfma(aw, vld(b1 + o + 16), y1);
      x2 = vfma(av, vld(b2 + o), x2); y2 = vfma(aw, vld(b2 + o + 16), y2);
      x3 = vfma(av, vld(b3 + o), x3); y3 = vfma(aw, vld(b3 + o + 16), y3);
    }
    if (k < k4) {
      const o = <usize>k << 2;
      const av = vld(ar + o);
      x0 = vfma(av, vld(b0 + o), x0); x1 = vfma(av, vld(b1 + o), x1);
      x2 = vfma(av, vld(b2 + o), x2); x3 = vfma(av, vld(b3 + o), x3);
    }
    const s = hsum4(vadd(x0, y0), vadd(x1, y1), vadd(x2, y2), vadd(x3, y3));
    const cp = c + (<usize>j << 2);
    vst(cp, accumulate ? vadd(vld(cp), s) : s);
  }
  // the remainders, in a function of its own: kept out of this hot one (two calls, and larger than
  // what the optimizer inlines at two call sites)
  if (k4 < K) gemv_rows_rest(c, ar, b, K, 0, N4, k4, 1);
  if (N4 < N) gemv_rows_rest(c, ar, b, K, N4, N, 0, accumulate);
}

// c[j] (+)= dot(ar[k0:], b[j, k0:]) for rows j in [j0, j1)
function gemv_rows_rest(c: usize, ar: usize, b: usize, K: i32, j0: i32, j1: i32, k0: i32, accumulate: i32): void {
  const ld = <usize>K << 2, kv = k0 + ((K - k0) & ~3);
  for (let j = j0; j < j1; j++) {
    const br = b + <usize>j * ld;
    let x = vzero();
    for (let k = k0; k < kv; k += 4) x = vfma(vld(ar + (<usize>k << 2)), vld(br + (<usize>k << 2)), x);
    let s = f32x4.extract_lane(hsum4(x, x, x, x), 0);
    for (let k = kv; k < K; k++) s += load<f32>(ar + (<usize>k << 2)) * load<f32>(br + (<usize>k << 2));
    const cp = c + (<usize>j << 2);
    store<f32>(cp, accumulate ? load<f32>(cp) + s : s);
  }
}

function gemv_row_n(c: usize, ar: usize, b: usize, N: i32, K: i32, accumulate: i32, ldb: i32): void {
  // c[:] = sum_k ar[k] * b[k, :] (rows of b ldb floats apart); 16 columns of c in registers across all k
  const ld = <usize>ldb << 2;
  let j = 0;
  for (; j + 16 <= N; j += 16) {
    let x0 = vzero(), x1 = vzero(), x2 = vzero(), x3 = vzero();
    let bp = b + (<usize>j << 2);
    for (let k = 0; k < K; k++) {
      const av = v128.load32_splat(ar + (<usize>k << 2));
      x0 = vfma(av, vld(bp), x0); x1 = vfma(av, vld(bp + 16), x1);
      x2 = vfma(av, vld(bp + 32), x2); x3 = vfma(av, vld(bp + 48), x3);
      bp += ld;
    }
    const cp = c + (<usize>j << 2);
    if (accumulate) { x0 = vadd(vld(cp), x0); x1 = vadd(vld(cp + 16), x1); x2 = vadd(vld(cp + 32), x2); x3 = vadd(vld(cp + 48), x3); }
    vst(cp, x0); vst(cp + 16, x1); vst(cp + 32, x2); vst(cp + 48, x3);
  }
  for (; j + 4 <= N; j += 4) {
    let x = vzero();
    let bp = b + (<usize>j << 2);
    for (let k = 0; k < K; k++) { x = vfma(v128.load32_splat(ar + (<usize>k << 2)), vld(bp), x); bp += ld; }
    const cp = c + (<usize>j << 2);
    vst(cp, accumulate ? vadd(vld(cp), x) : x);
  }
  for (; j < N; j++) {
    let s: f32 = 0;
    for (let k = 0; k < K; k++) s += load<f32>(ar + (<usize>k << 2)) * load<f32>(b + (<usize>k * ldb + j << 2));
    const cp = c + (<usize>j << 2);
    store<f32>(cp, accumulate ? load<f32>(cp) + s : s);
  }
}

// Rows [i0, i1) of a GEMV-sized product (c (M, N), a (M, K), B stored (N, K) when transB, else (K, N)),
// columns [j0, j1): the column groups (4 in the dot form, 16 / 4 / 1 in the axpy form) are those of
// all N when j0 is a multiple of 16 and j1 is one too, or N, so each column is summed as over all N.
function gemvCols(c: usize, a: usize, b: usize, N: i32, K: i32, transB: i32, accumulate: i32, i0: i32, i1: i32, j0: i32, j1: i32): void {
  const bj = b + (<usize>j0 * (transB ? K : 1) << 2);
  for (let i = i0; i < i1; i++) {
    const ci = c + ((<usize>i * N + j0) << 2), ai = a + (<usize>i * K << 2);
    if (transB) gemv_row_t(ci, ai, bj, j1 - j0, K, accumulate); else gemv_row_n(ci, ai, bj, j1 - j0, K, accumulate, N);
  }
}

/**
 * A GEMV-sized product (M <= 4 rows, B read in place) and its epilogue. Threads: column blocks of 16
 * (a batch-1 classifier, 1280 -> 1000), two per thread. Its multiply-adds count 8x toward MT_MIN_WORK
 * (it splits from 2^18): each weight is read once per call, in a plan mostly from memory (MobileNetV2's
 * 1280 -> 256 head: 70 µs on one thread, ~19 GB/s), and split alone a 1 x 512 . 512^2 one runs 2x on two
 * threads, 1 x 256 . 256^2 1.7x (bench/mt_threshold.mjs). W2's (784 -> 256: 2^17.6) and W6's layers stay on one.
 */
const GEMV_SCALE: i64 = 8;
function gemvSplit(c: usize, a: usize, b: usize, M: i32, N: i32, K: i32, transB: i32, accumulate: i32): void {
  const th = N >= 32 ? min(N >> 4, mtFor(<i64>M * N * K * GEMV_SCALE)) : 1;
  if (th <= 1) { gemvCols(c, a, b, N, K, transB, accumulate, 0, M, 0, N); if (eOn) epiRows(c, M, N, 0, N); return; }
  setArg(0, <i32>c); setArg(1, <i32>a); setArg(2, <i32>b); setArg(3, M); setArg(4, N); setArg(5, K); setArg(6, transB); setArg(7, accumulate);
  saveEpilogue();
  parallelRange(gemvTask, N, 16, th);
}
function gemvTask(t: i32, tid: i32): void {
  if (tid) loadEpilogue();
  const c = argP(0), M = arg(3), N = arg(4), j0 = rangeLo(t), j1 = rangeHi(t);
  gemvCols(c, argP(1), argP(2), N, arg(5), arg(6), arg(7), 0, M, j0, j1);
  if (eOn) epiRows(c, M, N, j0, j1);
}

// c: (M, N) f32; a: (M, K) or (K, M) f32; b: (K, N) or (N, K) f32; scratch: gemm_scratch_floats(M, N, K) f32
export function f32_gemm__simd(c: usize, a: usize, b: usize, scratch: usize, M: i32, N: i32, K: i32,
                               transA: i32, transB: i32, accumulate: i32): void {
  if (eOn) clearEpilogue();   // (only the fused convolutions' calls of gemm() have one)
  gemm(c, a, b, scratch, M, N, K, transA, transB, accumulate, 1);
}

/**
 * f32_gemm__simd with the store epilogue in force (epilogue.ts, with C's columns as its channels): each
 * block of C goes through it right after its last depth block is summed, on the thread that summed it.
 * workScale: how much the multiply-adds count toward the thread threshold (mt.ts MT_CONV_SCALE for a convolution's).
 */
export function gemm(c: usize, a: usize, b: usize, scratch: usize, M: i32, N: i32, K: i32,
                     transA: i32, transB: i32, accumulate: i32, workScale: i64): void {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) { if (!accumulate) memory.fill(c, 0, <usize>M * N << 2); if (eOn) epiRows(c, M, N, 0, N); return; }
  if (M <= (transB ? GEMV_M : GEMV_M_B) && (M == 1 || !transA)) { gemvSplit(c, a, b, M, N, K, transB, accumulate); return; }
  // a product over 64+ rows of an activation (A not transposed: a Dense layer's batch rows) splits by
  // rows, so each thread reads the rows the layer before wrote on it: it counts as a convolution does
  const scale = (transA == 0) & (M >= 64) ? max(workScale, MT_CONV_SCALE) : workScale;
  const th = mtFor(<i64>M * N * K * scale);
  if (th > 1) { gemmParallel(c, a, b, scratch, M, N, K, transA, transB, accumulate, th); return; }
  gemmBlock(c, a, b, scratch, M, N, K, transA, transB, accumulate, 0, M, 0, N);
}

/**
 * Rows [i0, i1) of f32_gemm__simd(c, a, b, scratch, M, N, K, 0, transB, accumulate) on this thread,
 * with the path the whole product takes on one thread (GEMV rows or packed blocks), so the rows of
 * several calls are those of one call bit for bit (the recurrent kernels split their steps so).
 */
export function gemmRows(c: usize, a: usize, b: usize, scratch: usize, M: i32, N: i32, K: i32, transB: i32, accumulate: i32, i0: i32, i1: i32): void {
  if (eOn) clearEpilogue();
  if (i1 <= i0 || N <= 0) return;
  if (K <= 0) { if (!accumulate) memory.fill(c + (<usize>i0 * N << 2), 0, <usize>(i1 - i0) * N << 2); return; }
  if (M <= (transB ? GEMV_M : GEMV_M_B)) {
    gemvCols(c, a, b, N, K, transB, accumulate, i0, i1, 0, N);
    return;
  }
  gemmBlock(c, a, b, scratch, M, N, K, 0, transB, accumulate, i0, i1, 0, N);
}

// The packed product over rows [i0, i1) and columns [j0, j1) of C (the whole of op(A) and op(B)
// dimensions as strides). Every element of C is summed in the same order whatever the block, so
// blocks of one product can run on different threads and give one thread's bits.
function gemmBlock(c: usize, a: usize, b: usize, scratch: usize, M: i32, N: i32, K: i32,
                   transA: i32, transB: i32, accumulate: i32, i0: i32, i1: i32, j0: i32, j1: i32): void {
  const kcMax = min(K, KC);
  const pb = scratch;
  const pa = pb + (<usize>kcMax * ((min(j1 - j0, NC) + NR - 1) / NR * NR) << 2);
  const tmp = pa + (<usize>kcMax * ((min(i1 - i0, MC) + MR - 1) / MR * MR) << 2);
  const ldc = <usize>N << 2;
  for (let jc = j0; jc < j1; jc += NC) {
    const nc = min(NC, j1 - jc);
    for (let pc = 0; pc < K; pc += KC) {
      const kc = min(KC, K - pc);
      const add = accumulate | <i32>(pc > 0);
      pack_b(pb, b, transB, N, K, pc, kc, jc, nc);
      for (let ic = i0; ic < i1; ic += MC) {
        const mc = min(MC, i1 - ic);
        pack_a(pa, a, transA, M, K, ic, mc, pc, kc);
        // A micro-panel (kc x 4) stays in L1 while the B panels stream from L2 and C is walked
        // along its rows (prefetch-friendly; walking C down a column strip was ~15% slower at 1024)
        for (let ir = 0; ir < mc; ir += MR) {
          const mr = min(MR, mc - ir);
          const ap = pa + (<usize>ir * kc << 2);
          const cc = c + ((<usize>(ic + ir) * N + jc) << 2);
          for (let jr = 0; jr < nc; jr += NR) {
            micro_4x8(ap, pb + (<usize>jr * kc << 2), kc, cc + (<usize>jr << 2), ldc, add, mr, min(NR, nc - jr), tmp);
          }
        }
        if (eOn && pc + kc >= K) epiRows(c + (<usize>ic * N << 2), mc, N, jc, jc + nc);
      }
    }
  }
}

// ---- threads: C split into row blocks (multiples of MR) or, when it is wide, column blocks (of NR) ----
// args: 0 c, 1 a, 2 b, 3 scratch, 4 M, 5 N, 6 K, 7 transA, 8 transB, 9 accumulate, 10 by rows, 11 block
function gemmTask(t: i32, tid: i32): void {
  const M = arg(4), N = arg(5), step = arg(11);
  const s = tid ? workerScratch(tid) : argP(3);
  if (tid) loadEpilogue();
  if (arg(10)) gemmBlock(argP(0), argP(1), argP(2), s, M, N, arg(6), arg(7), arg(8), arg(9), t * step, min(M, (t + 1) * step), 0, N);
  else gemmBlock(argP(0), argP(1), argP(2), s, M, N, arg(6), arg(7), arg(8), arg(9), 0, M, t * step, min(N, (t + 1) * step));
}

function gemmParallel(c: usize, a: usize, b: usize, scratch: usize, M: i32, N: i32, K: i32,
                      transA: i32, transB: i32, accumulate: i32, th: i32): void {
  // rows when C is tall, or has rows enough for each thread (so each thread reads the rows of A a
  // row-split layer before it wrote: mt.ts); column blocks when it is wide and short
  const rows = M >= N || ((transA == 0) & (M >= 32 * th)), q = rows ? MR : NR, len = rows ? M : N;
  // row blocks: two per thread (a descheduled thread delays less), each at least one tile; column
  // blocks: one per thread, since each block packs all of op(A) (W5's 32 x 784 forward: 1.72x
  // against 1.66x over one thread with two)
  const blocks = min((rows ? 2 : 1) * th, (len + q - 1) / q);
  const step = ((len + blocks - 1) / blocks + q - 1) / q * q;
  setArg(0, <i32>c); setArg(1, <i32>a); setArg(2, <i32>b); setArg(3, <i32>scratch);
  setArg(4, M); setArg(5, N); setArg(6, K); setArg(7, transA); setArg(8, transB); setArg(9, accumulate);
  setArg(10, <i32>rows); setArg(11, step);
  saveEpilogue();
  parallel(gemmTask, (len + step - 1) / step, th);
}

// y: (M, N) f32 += bias b: (N) f32 broadcast over rows
export function f32_bias_add__ref(y: usize, b: usize, M: i32, N: i32): void {
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
    const p = y + ((<usize>i * N + j) << 2);
    store<f32>(p, load<f32>(p) + load<f32>(b + (<usize>j << 2)));
  }
}
export function f32_bias_add__simd(y: usize, b: usize, M: i32, N: i32): void { splitSpan(biasAddRows, y, N << 2, b, 0, 0, 0, M, N, 0, 0, N, 1); }
function biasAddRows(y: usize, b: usize, _c: usize, M: i32, N: i32, _f: f32, _g: f32): void {
  for (let i = 0; i < M; i++) {
    const yr = y + (<usize>i * N << 2);
    let j = 0;
    for (; j + 4 <= N; j += 4) { const o = <usize>j << 2; vst(yr + o, vadd(vld(yr + o), vld(b + o))); }
    for (; j < N; j++) { const o = <usize>j << 2; store<f32>(yr + o, load<f32>(yr + o) + load<f32>(b + o)); }
  }
}

// db: (N) f32 += column sums of dy: (M, N) f32
export function f32_bias_grad__ref(db: usize, dy: usize, M: i32, N: i32): void {
  for (let j = 0; j < N; j++) {
    let s: f32 = 0;
    for (let i = 0; i < M; i++) s += load<f32>(dy + ((<usize>i * N + j) << 2));
    store<f32>(db + (<usize>j << 2), load<f32>(db + (<usize>j << 2)) + s);
  }
}
// Threads: column blocks (multiples of 4), each summing its columns down all rows in order.
export function f32_bias_grad__simd(db: usize, dy: usize, M: i32, N: i32): void {
  const th = N >= 8 ? mtForElems(M * N, 1) : 1;
  if (th <= 1) { biasGradCols(db, dy, M, N, 0, N); return; }
  setArg(0, <i32>db); setArg(1, <i32>dy); setArg(2, M); setArg(3, N);
  parallelRange(biasGradTask, N, 4, th);
}
function biasGradTask(t: i32, tid: i32): void { biasGradCols(argP(0), argP(1), arg(2), arg(3), rangeLo(t), rangeHi(t)); }
function biasGradCols(db: usize, dy: usize, M: i32, N: i32, c0: i32, c1: i32): void {
  for (let i = 0; i < M; i++) {
    const r = dy + (<usize>i * N << 2);
    let j = c0;
    for (; j + 4 <= c1; j += 4) { const o = <usize>j << 2; vst(db + o, vadd(vld(db + o), vld(r + o))); }
    for (; j < c1; j++) { const o = <usize>j << 2; store<f32>(db + o, load<f32>(db + o) + load<f32>(r + o)); }
  }
}
