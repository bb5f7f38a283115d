// The threaded builds, every kernel family beyond GEMM and the implicit-GEMM convolutions: each call
// on 1, 2 and 3 threads leaves every buffer (outputs, accumulated gradients, optimizer state) with
// the single-thread build's bits, calls above the thresholds of assembly/mt.ts are split between
// threads, and small ones (latency-bound: a batch-1 LSTM step, a small activation) are not.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { randn, randInt, BUILD } from '../helpers.js';
import { loadEngine } from '../../targets/node/engine.js';
import type { Engine } from '../../src/runtime/engine.js';
import { Rng } from '../../src/runtime/rng.js';

const COUNTS = [1, 2, 3];
let single: Engine;
const mt = new Map<number, Engine>();
beforeAll(async () => {
  single = await loadEngine({ build: BUILD, threads: 1 });
  for (const n of COUNTS) {
    const e = await loadEngine({ build: BUILD, threads: n });
    // (these shapes test bits, not where splitting pays: split from 2^20 multiply-adds, below the
    // default MT_MIN_WORK, so that every one of them runs on several threads)
    (e.exports.mt_set_thresholds as (w: number, el: number) => void)(1 << 20, 0);
    await e.startThreads();
    mt.set(n, e);
  }
});
afterAll(() => { for (const e of mt.values()) e.stopThreads(); });

type Data = Float32Array | Int32Array | Int8Array;
/** A buffer: initial contents (or a zeroed byte count); `scratch` buffers are not compared (threads use their own). */
interface Buf { init: Data | number; scratch?: boolean }
/** A kernel call: arguments are numbers, or { b: k } for buffer k's address. */
type Call = [string, (number | { b: number })[]];
const B = (b: number) => ({ b });

/** Runs the calls on fresh copies of the buffers; returns every buffer's bytes and the jobs split between threads. */
function run(e: Engine, bufs: Buf[], calls: Call[]): { bytes: Uint8Array[]; jobs: number } {
  const mark = e.mark();
  try {
    const ptrs = bufs.map((b) => (typeof b.init === 'number' ? e.allocZeroed(Math.max(16, b.init)) : e.put(b.init.length ? b.init : new Float32Array(4))));
    const before = e.exports.mt_jobs() as number;
    for (const [k, args] of calls) e.kernels[k](...args.map((a) => (typeof a === 'number' ? a : ptrs[a.b])));
    const bytes = bufs.map((b, i) => new Uint8Array(e.memory.buffer, ptrs[i], typeof b.init === 'number' ? b.init : b.init.byteLength).slice());
    return { bytes, jobs: (e.exports.mt_jobs() as number) - before };
  } finally { e.reset(mark); }
}

/** Same bits on 1, 2, 3 threads as on the single-thread build; split between threads iff `split`. */
function sameBits(what: string, bufs: Buf[], calls: Call[], split: boolean): void {
  const want = run(single, bufs, calls);
  let jobs = 0;
  for (const n of COUNTS) {
    const got = run(mt.get(n)!, bufs, calls);
    bufs.forEach((b, i) => {
      if (b.scratch) return;
      const a = got.bytes[i], w = want.bytes[i];
      const at = a.findIndex((v, k) => v !== w[k]);
      expect(at, `${what}: buffer ${i} differs at byte ${at} on ${n} threads`).toBe(-1);
    });
    if (n > 1) jobs += got.jobs;
  }
  expect(jobs > 0, `${what}: ${split ? 'split' : 'not split'} between threads (jobs ${jobs})`).toBe(split);
}

const i8s = (n: number, seed: number, lo = -128, hi = 127) => { const r = new Rng(seed); return Int8Array.from({ length: n }, () => lo + r.int(hi - lo + 1)); };
const i32s = (n: number, seed: number, span: number) => { const r = new Rng(seed); return Int32Array.from({ length: n }, () => r.int(2 * span + 1) - span); };
/** qs8_add's parameter block [za i32, sa f32, zb i32, sb f32, sy f32, zy i32, qmin i32, qmax i32] */
function addParams(za: number, sa: number, zb: number, sb: number, sy: number, zy: number, qmin: number, qmax: number): Int32Array {
  const v = new DataView(new ArrayBuffer(32));
  [za, zb, zy, qmin, qmax].forEach((x, i) => v.setInt32([0, 8, 20, 24, 28][i], x, true));
  [sa, sb, sy].forEach((x, i) => v.setFloat32([4, 12, 16][i], x, true));
  return new Int32Array(v.buffer);
}
const K = () => single.kernels as unknown as Record<string, (...a: number[]) => number>;

describe(`threads, kernel families (${BUILD} build)`, () => {
  // [N, H, W, C, OC, KH, KW, stride, pad, dil, groups]
  const DIRECT: [string, number[], boolean][] = [
    ['depthwise 3x3 same', [2, 40, 40, 32, 32, 3, 3, 1, 1, 1, 32], true],
    ['depthwise 3x3/2, ragged channels', [6, 33, 31, 21, 21, 3, 3, 2, 1, 1, 21], true],
    ['depthwise 5x5 dilation 2 (general path)', [2, 24, 24, 24, 24, 5, 5, 1, 4, 2, 24], true],
    ['grouped 3x3 (4 groups of 8 -> 16)', [2, 20, 20, 32, 64, 3, 3, 1, 1, 1, 4], true],
    ['depthwise 3x3 7x7, by channel blocks (ragged channels)', [1, 7, 7, 1002, 1002, 3, 3, 1, 1, 1, 1002], true],
    ['depthwise 5x5 6x6, by channel blocks (general path)', [1, 6, 6, 400, 400, 5, 5, 1, 2, 1, 400], true],
    ['depthwise 3x3 small (one thread)', [1, 8, 8, 8, 8, 3, 3, 1, 1, 1, 8], false],
  ];
  for (const [what, [N, H, W, C, OC, KH, KW, s, p, d, G], split] of DIRECT) {
    it(`conv2d ${what}: fwd, bias+act fwd, bwd_x, bwd_w`, () => {
      const OH = Math.floor((H + 2 * p - d * (KH - 1) - 1) / s) + 1, OW = Math.floor((W + 2 * p - d * (KW - 1) - 1) / s) + 1;
      const dims = [N, H, W, C, OC, KH, KW, s, s, p, p, p, p, d, d, G];
      const x = randn(N * H * W * C, 1), w = randn(KH * KW * (C / G) * OC, 2, 0.3), b = randn(OC, 3), dy = randn(N * OH * OW * OC, 4);
      sameBits(`${what} fwd`, [{ init: dy.length * 4 }, { init: x }, { init: w }, { init: 16, scratch: true }], [['f32_conv2d_fwd__simd', [B(0), B(1), B(2), B(3), ...dims]]], split);
      sameBits(`${what} bias+act`, [{ init: dy.length * 4 }, { init: x }, { init: w }, { init: b }, { init: 16, scratch: true }], [['f32_conv2d_bias_act_fwd__simd', [B(0), B(1), B(2), B(3), B(4), ...dims, 0.1]]], split);
      sameBits(`${what} bwd_x`, [{ init: randn(x.length, 5) }, { init: dy }, { init: w }, { init: 16, scratch: true }], [['f32_conv2d_bwd_x__simd', [B(0), B(1), B(2), B(3), ...dims]]], split);
      sameBits(`${what} bwd_w`, [{ init: randn(w.length, 6) }, { init: dy }, { init: x }, { init: 16, scratch: true }], [['f32_conv2d_bwd_w__simd', [B(0), B(1), B(2), B(3), ...dims]]], split);
    });
  }

  // pooling and zero padding forwards, split by output rows: [N, H, W, C, KH, KW, stride, pad, dil]
  const POOLS: [string, number[], boolean][] = [
    ['2x2/2 (the unpadded fast path)', [16, 28, 28, 6, 2, 2, 2, 0, 1], true],
    ['3x3/2 pad 1, ragged channels', [5, 33, 31, 21, 3, 3, 2, 1, 1], true],
    ['3x3 dilation 2, 3 channels (scalar lanes)', [20, 30, 30, 3, 3, 3, 1, 2, 2], true],
    ['2x2/2 small (one thread)', [1, 8, 8, 8, 2, 2, 2, 0, 1], false],
  ];
  for (const [what, [N, H, W, C, KH, KW, s, p, d], split] of POOLS) {
    it(`max / average pooling ${what}, zero padding`, () => {
      const OH = Math.floor((H + 2 * p - d * (KH - 1) - 1) / s) + 1, OW = Math.floor((W + 2 * p - d * (KW - 1) - 1) / s) + 1;
      const x = randn(N * H * W * C, 1), out = N * OH * OW * C * 4;
      sameBits(`maxpool ${what}`, [{ init: out }, { init: out }, { init: x }], [['f32_maxpool2d_fwd__simd', [B(0), B(1), B(2), N, H, W, C, KH, KW, s, s, p, p, p, p, d, d]]], split);
      if (d === 1) {
        const AH = Math.floor((H + 2 * p - KH) / s) + 1, AW = Math.floor((W + 2 * p - KW) / s) + 1;
        for (const inc of [0, 1]) {
          sameBits(`avgpool ${what} countIncludePad ${inc}`, [{ init: N * AH * AW * C * 4 }, { init: x }], [['f32_avgpool2d_fwd__simd', [B(0), B(1), N, H, W, C, KH, KW, s, s, p, p, p, p, inc]]], split);
        }
      }
      const [t, l, b, r] = [p + 1, p, 2, p + 3];
      sameBits(`zeropad ${what}`, [{ init: N * (H + t + b) * (W + l + r) * C * 4 }, { init: x }], [['f32_zeropad2d_fwd__simd', [B(0), B(1), N, H, W, C, t, l, b, r]]], split);
    });
  }

  // int8 GEMM: static (i8 out) and dynamic (f32 out), weights in 7 bits (the relaxed layout where it exists) and 8 bits
  const GEMMS: [number, number, number, boolean][] = [[64, 100, 300, true], [2, 1000, 600, true], [37, 135, 211, true], [4, 64, 64, false]];
  for (const [M, N, Kd, split] of GEMMS) for (const bits of [7, 8]) {
    it(`qs8 GEMM ${M}x${N}x${Kd}, ${bits}-bit weights: static and dynamic`, () => {
      const lo = bits === 7 ? -64 : -128, hi = bits === 7 ? 63 : 127;
      const w = i8s(N * Kd, 2, lo, hi), a = i8s(M * Kd, 1), bias = i32s(N, 3, 3000), sw = Float32Array.from({ length: N }, (_, j) => 0.002 + 0.0001 * (j % 7));
      const packBytes = K().qs8_pack_w_bytes(N, Kd), sBytes = K().qs8_gemm_scratch_bytes(M, N, Kd) + 64;
      const bufs: Buf[] = [{ init: M * N * 4 }, { init: a }, { init: packBytes }, { init: sBytes, scratch: true }, { init: w }, { init: bias }, { init: sw }];
      const pack: Call = ['qs8_pack_w__relaxed', [B(2), B(4), B(5), B(6), N, Kd]];
      sameBits(`qs8 static ${M}x${N}x${Kd}`, bufs, [pack, ['qs8_gemm_fwd__relaxed', [B(0), B(1), B(2), B(3), M, N, Kd, 3, 0.05, 0.2, -5, -128, 127]]], split);
      sameBits(`qs8 dynamic ${M}x${N}x${Kd}`, bufs, [pack, ['qs8_gemm_f32_fwd__relaxed', [B(0), B(1), B(2), B(3), M, N, Kd, -7, 0.03]]], split);
    });
  }

  // int8 conv: [N, H, W, C, OC, KH, KW, stride, pad]; im2col blocks or the pointwise GEMM
  const QCONVS: [string, number[], boolean][] = [
    ['3x3 same C16->32 (im2col blocks)', [2, 20, 20, 16, 32, 3, 3, 1, 1], true],
    ['3x3/2 C3->32 (MobileNet stem)', [1, 96, 96, 3, 32, 3, 3, 2, 1], true],
    ['1x1 C32->64 (pointwise GEMM)', [1, 24, 24, 32, 64, 1, 1, 1, 0], true],
    ['3x3 C8->8 small', [1, 6, 6, 8, 8, 3, 3, 1, 1], false],
  ];
  for (const [what, [N, H, W, C, OC, KH, KW, s, p], split] of QCONVS) {
    it(`qs8 conv2d ${what}`, () => {
      const geo = [N, H, W, C, OC, KH, KW, s, s, p, p, p, p, 1, 1], Kd = KH * KW * C;
      const OH = Math.floor((H + 2 * p - KH) / s) + 1, OW = Math.floor((W + 2 * p - KW) / s) + 1;
      const bufs: Buf[] = [{ init: N * OH * OW * OC }, { init: i8s(N * H * W * C, 1) }, { init: K().qs8_pack_w_bytes(OC, Kd) },
        { init: K().qs8_conv2d_scratch_bytes(...geo), scratch: true }, { init: i8s(OC * Kd, 2) }, { init: i32s(OC, 3, 2000) }, { init: Float32Array.from({ length: OC }, () => 0.003) }];
      sameBits(`qs8 conv ${what}`, bufs, [['qs8_pack_w__relaxed', [B(2), B(4), B(5), B(6), OC, Kd]],
        ['qs8_conv2d_fwd__relaxed', [B(0), B(1), B(2), B(3), ...geo, 4, 0.04, 0.1, -3, -3, 127]]], split);
    });
  }

  // int8 depthwise: the 3x3 fast path (stride 1, 2), the general path (5x5, channel multiplier 2)
  const QDWS: [string, number[], boolean][] = [
    ['3x3 same C32', [1, 40, 40, 32, 32, 3, 3, 1, 1], true], ['3x3/2 C27 (scalar tail)', [4, 33, 33, 27, 27, 3, 3, 2, 1], true],
    ['5x5 C16 x2 (general path)', [1, 30, 30, 16, 32, 5, 5, 1, 2], true], ['3x3 C8 small', [1, 8, 8, 8, 8, 3, 3, 1, 1], false],
  ];
  for (const [what, [N, H, W, C, OC, KH, KW, s, p], split] of QDWS) {
    it(`qs8 depthwise ${what}`, () => {
      const OH = Math.floor((H + 2 * p - KH) / s) + 1, OW = Math.floor((W + 2 * p - KW) / s) + 1;
      const bufs: Buf[] = [{ init: N * OH * OW * OC }, { init: i8s(N * H * W * C, 1) }, { init: i8s(KH * KW * OC, 2) }, { init: i32s(OC, 3, 2000) },
        { init: Float32Array.from({ length: OC }, (_, j) => 0.004 + 0.0002 * (j % 5)) }];
      sameBits(`qs8 dw ${what}`, bufs, [['qs8_dwconv2d_fwd__simd', [B(0), B(1), B(2), B(3), B(4), N, H, W, C, OC, KH, KW, s, s, p, p, p, p, 1, 1, 5, 0.05, 0.1, 2, -128, 127]]], split);
    });
  }

  // recurrent layers: [cell, T, N, I, H]; N > 8: rows of each step; N <= 8: the fused step's unit blocks; W6-like batch 1: one thread
  const RNNS: [string, number[], boolean][] = [
    ['LSTM N=32 H=96 (per-step rows)', [1, 3, 32, 24, 96], true], ['GRU N=33 H=112 (ragged rows)', [2, 3, 33, 20, 112], true],
    ['SimpleRNN N=64 H=128', [0, 3, 64, 16, 128], true], ['LSTM N=8 H=192 (fused step)', [1, 3, 8, 16, 192], true],
    ['GRU N=5 H=300 (fused step, lone sample)', [2, 2, 5, 8, 300], true], ['LSTM N=1 H=64 T=50 (W6: one thread)', [1, 50, 1, 32, 64], false],
  ];
  for (const [what, [cell, T, N, I, H], split] of RNNS) {
    it(`${what}: forward and BPTT`, () => {
      const G = [1, 4, 3][cell], GH = G * H, sc = 1 / Math.sqrt(H), dims = [T, N, I, H];
      const scratch = K().rnn_scratch_floats(cell, T, N, I, H) * 4;
      const ins = [randn(T * N * I, 1), randn(N * H, 2, 0.5), randn(N * H, 3, 0.5), randn(GH * I, 4, sc), randn(GH * H, 5, sc), randn(GH, 6, sc), randn(GH, 7, sc)];
      const grads = [randn(T * N * I, 11), randn(GH * I, 12), randn(GH * H, 13), randn(GH, 14), randn(GH, 15), randn(N * H, 16), randn(N * H, 17)];
      const hsB = T * N * H * 4;
      // buffers: 0 x, 1 h0, 2 c0, 3 w_ih, 4 w_hh, 5 b_ih, 6 b_hh, 7 hs, 8 cs / gates, 9 gates / hn, 10 scratch, 11 dhs, 12 dcT, 13.. grads
      const bufs: Buf[] = [...ins.map((d) => ({ init: d })), { init: hsB }, { init: cell === 2 ? T * N * GH * 4 : hsB }, { init: cell === 2 ? hsB : T * N * GH * 4 },
        { init: Math.max(16, scratch), scratch: true }, { init: randn(T * N * H, 8) }, { init: randn(N * H, 9) }, ...grads.map((d) => ({ init: d }))];
      const g = [B(13), B(14), B(15), B(16), B(17), B(18)];
      const calls: Call[] = cell === 0 ? [
        ['f32_rnn_fwd__simd', [B(7), B(0), B(1), B(3), B(4), B(5), B(6), B(10), ...dims]],
        ['f32_rnn_bwd__simd', [...g, B(11), B(0), B(1), B(7), B(3), B(4), B(10), ...dims]],
      ] : cell === 1 ? [
        ['f32_lstm_fwd__simd', [B(7), B(8), B(9), B(0), B(1), B(2), B(3), B(4), B(5), B(6), B(10), ...dims]],
        ['f32_lstm_bwd__simd', [...g, B(19), B(11), B(12), B(0), B(1), B(2), B(7), B(8), B(9), B(3), B(4), B(10), ...dims]],
      ] : [
        ['f32_gru_fwd__simd', [B(7), B(8), B(9), B(0), B(1), B(3), B(4), B(5), B(6), B(10), ...dims]],
        ['f32_gru_bwd__simd', [...g, B(11), B(0), B(1), B(7), B(8), B(9), B(3), B(4), B(10), ...dims]],
      ];
      sameBits(what, bufs, calls, split);
    });
  }

  // attention: [B, heads, Tq, Tk, dh]
  const ATTN: [string, number[], boolean][] = [['B2 H2 T128 dh32', [2, 2, 128, 128, 32], true], ['B3 H3 Tq100 Tk77 dh20 (ragged)', [3, 3, 100, 77, 20], true],
    ['B1 H2 T16 dh16 small', [1, 2, 16, 16, 16], false]];
  for (const [what, [Bn, Hn, Tq, Tk, dh], split] of ATTN) {
    it(`attention ${what}: probs (mask, causal), dot, ctx (=, +=), ctx_t, softmax bwd`, () => {
      const D = Hn * dh, P = Bn * Hn * Tq * Tk;
      const mask = Int32Array.from(randInt(Bn * Tk, 5, 9), (v) => (v === 0 ? 0 : 1));
      // 0 p, 1 q, 2 k, 3 v, 4 mask, 5 o, 6 ds, 7 dp
      const bufs: Buf[] = [{ init: P * 4 }, { init: randn(Bn * Tq * D, 1) }, { init: randn(Bn * Tk * D, 2) }, { init: randn(Bn * Tk * D, 3) }, { init: mask },
        { init: randn(Bn * Tq * D, 4) }, { init: P * 4 }, { init: randn(P, 6) }];
      const dims = [Bn, Hn, Tq, Tk, dh];
      for (const [causal, hasMask] of [[0, 1], [1, 0]]) {
        sameBits(`${what} probs c${causal} m${hasMask}`, bufs, [['f32_attn_probs__simd', [B(0), B(1), B(2), B(4), ...dims, 0.17, causal, hasMask]]], split);
      }
      sameBits(`${what} dot`, bufs, [['f32_attn_dot__simd', [B(0), B(1), B(2), ...dims]]], split);
      // (the probabilities as input of the calls below, each then checked alone)
      const p = new Float32Array(run(single, bufs, [['f32_attn_probs__simd', [B(0), B(1), B(2), B(4), ...dims, 0.17, 0, 1]]]).bytes[0].buffer);
      const withP: Buf[] = [{ init: p }, ...bufs.slice(1)];
      for (const acc of [0, 1]) for (const alpha of [0.5, 1]) sameBits(`${what} ctx acc${acc} alpha ${alpha}`, withP, [['f32_attn_ctx__simd', [B(5), B(0), B(3), ...dims, alpha, acc]]], split);
      sameBits(`${what} ctx_t`, [...withP, { init: randn(Bn * Tk * D, 9) }], [['f32_attn_ctx_t__simd', [B(8), B(0), B(1), ...dims, 0.5]]], split);
      // (2 element-operations per probability: split from MT_MIN_ELEMS / 2 = 2^15 probabilities on)
      sameBits(`${what} softmax bwd`, withP, [['f32_attn_softmax_bwd__simd', [B(6), B(7), B(0), Bn * Hn * Tq, Tk]]], P * 2 >= 1 << 16);
    });
  }

  // layer norm: [M, C]
  for (const [M, C, split] of [[512, 600, true], [500, 601, true], [8, 64, false]] as [number, number, boolean][]) {
    it(`layer norm ${M}x${C}: forward and backward`, () => {
      // 0 y, 1 mean, 2 invstd, 3 x, 4 gamma, 5 beta, 6 dx, 7 dgamma, 8 dbeta, 9 dy
      const bufs: Buf[] = [{ init: M * C * 4 }, { init: M * 4 }, { init: M * 4 }, { init: randn(M * C, 1, 2) }, { init: randn(C, 2) }, { init: randn(C, 3) },
        { init: randn(M * C, 4) }, { init: randn(C, 5) }, { init: randn(C, 6) }, { init: randn(M * C, 7) }];
      sameBits(`layernorm ${M}x${C}`, bufs, [['f32_layernorm_fwd__simd', [B(0), B(1), B(2), B(3), B(4), B(5), M, C, 1e-5]],
        ['f32_layernorm_bwd__simd', [B(6), B(7), B(8), B(9), B(3), B(1), B(2), B(4), M, C]]], split);
    });
  }

  // elementwise and optimizers: n above the threshold (ragged) splits, a small n does not
  const BIG = (1 << 20) + 37, SMALL = 1001;
  for (const n of [BIG, SMALL]) {
    const split = n === BIG;
    const f = (seed: number) => ({ init: randn(n, seed) }), z = () => ({ init: n * 4 });
    const cases: [string, Buf[], Call[]][] = [
      ['add', [z(), f(1), f(2)], [['f32_add__simd', [B(0), B(1), B(2), n]]]],
      ['axpy, scale, fill', [f(1), f(2), z()], [['f32_axpy__simd', [B(0), B(1), 0.3, n]], ['f32_scale__simd', [B(0), -1.7, n]], ['f32_fill__simd', [B(2), 2.5, n]]]],
      ['i32 -> f32', [z(), { init: randInt(n, 1 << 20, 3) }], [['i32_to_f32__simd', [B(0), B(1), n]]]],
      ['leaky ReLU fwd, bwd', [z(), f(1), f(2)], [['f32_leaky_relu_fwd__simd', [B(0), B(1), n, 0.1]], ['f32_leaky_relu_bwd__simd', [B(2), B(0), B(1), n, 0.1]]]],
      ['sigmoid, tanh fwd, bwd', [z(), z(), f(1), f(2), f(3)], [['f32_sigmoid_fwd__simd', [B(0), B(2), n]], ['f32_tanh_fwd__simd', [B(1), B(2), n]],
        ['f32_sigmoid_bwd__simd', [B(3), B(2), B(0), n]], ['f32_tanh_bwd__simd', [B(4), B(2), B(1), n]]]],
      ['ReLU6, hard sigmoid, hard swish fwd, bwd', [z(), z(), z(), { init: randn(n, 1, 4) }, f(2), f(3)], [['f32_relu6_fwd__simd', [B(0), B(3), n]], ['f32_hardsigmoid_fwd__simd', [B(1), B(3), n]],
        ['f32_hardswish_fwd__simd', [B(2), B(3), n]], ['f32_relu6_bwd__simd', [B(4), B(5), B(3), n]], ['f32_hardsigmoid_bwd__simd', [B(4), B(5), B(3), n]], ['f32_hardswish_bwd__simd', [B(4), B(5), B(3), n]]]],
      ['ELU, GELU (erf, tanh), SiLU fwd, bwd', [z(), z(), z(), z(), f(1), f(2), f(3)], [['f32_elu_fwd__simd', [B(0), B(4), n, 1.2, 1.05]], ['f32_gelu_fwd__simd', [B(1), B(4), n, 0]],
        ['f32_gelu_fwd__simd', [B(2), B(4), n, 1]], ['f32_silu_fwd__simd', [B(3), B(4), n]], ['f32_elu_bwd__simd', [B(5), B(6), B(4), n, 1.2, 1.05]],
        ['f32_gelu_bwd__simd', [B(5), B(6), B(4), n, 0]], ['f32_gelu_bwd__simd', [B(5), B(6), B(4), n, 1]], ['f32_silu_bwd__simd', [B(5), B(6), B(4), n]]]],
      ['dropout bwd', [f(1), f(2), f(3)], [['f32_dropout_bwd__simd', [B(0), B(1), B(2), n]]]],
      ['quantize, dequantize, int8 add (qp)', [{ init: n }, { init: n * 4 }, f(1), { init: Float32Array.of(0.02, 0) }, { init: i8s(n, 4) }, { init: n },
        { init: addParams(3, 0.05, -2, 0.04, 0.06, 1, -128, 127) }],
      [['qs8_quantize_qp__simd', [B(0), B(2), B(3), n]], ['qs8_dequantize_qp__simd', [B(1), B(0), B(3), n]], ['qs8_add_qp__simd', [B(5), B(0), B(4), B(6), n]]]],
      ['SGD (momentum, Nesterov), RMSprop (centered, momentum), Adam (AMSGrad), AdamW', [f(1), f(2), f(3), f(4), f(5), { init: randn(n, 6, 0.1).map(Math.abs) },
        { init: Float32Array.of(0.01, 0.9, 0.1, 1e-4, 1e-5, 1, 0) }, { init: Float32Array.of(0.01, 0.99, 1e-8, 1e-4, 0, 0.9, 1) },
        { init: Float32Array.of(1e-3, 0.9, 0.999, 1e-8, 1e-2, 0, 0.1, 0.001, 0, 1) }, { init: Float32Array.of(1e-3, 0.9, 0.999, 1e-8, 1e-2, 0, 0.1, 0.001, 1, 0) }],
      [['f32_sgd__simd', [B(0), B(1), B(2), B(6), n]], ['f32_rmsprop__simd', [B(0), B(1), B(5), B(2), B(3), B(7), n]],
        ['f32_adam__simd', [B(0), B(1), B(3), B(5), B(4), B(8), n]], ['f32_adam__simd', [B(0), B(1), B(3), B(5), B(4), B(9), n]]]],
    ];
    for (const [what, bufs, calls] of cases) it(`${what}, n = ${n}`, () => sameBits(`${what} n=${n}`, bufs, calls, split));
  }
  // a residual add splits from MT_MIN_ELEMS at 4 element-operations an element (2^14 elements)
  it('add, n = 20011 (4 element-operations an element)', () => {
    const n = 20011;
    sameBits('add n=20011', [{ init: n * 4 }, { init: randn(n, 1) }, { init: randn(n, 2) }], [['f32_add__simd', [B(0), B(1), B(2), n]]], true);
  });

  // check_finite: a flag each chunk sets; the answer is the single thread's wherever the bad value is
  it('check_finite, n = 200003: the same answer on 1, 2, 3 threads, split', () => {
    const n = 200003;
    for (const [at, bad] of [[-1, 0], [0, NaN], [100001, Infinity], [199999, -Infinity], [200002, NaN], [131072, Infinity]] as [number, number][]) {
      const x = randn(n, 7);
      if (at >= 0) x[at] = bad;
      const want = at >= 0 ? 1 : 0;
      expect(single.kernels.f32_check_finite__ref(single.put(x), n), `ref, bad at ${at}`).toBe(want);
      for (const [k, e] of [[0, single], ...mt] as [number, Engine][]) {
        const mark = e.mark(), before = e.exports.mt_jobs() as number;
        try {
          expect(e.kernels.f32_check_finite__simd(e.put(x), n), `bad at ${at}, ${k ? `${k} thread(s)` : 'the single-thread build'}`).toBe(want);
          if (k > 1) expect((e.exports.mt_jobs() as number) - before, `jobs split on ${k} threads`).toBeGreaterThan(0);
        } finally { e.reset(mark); }
      }
    }
  });

  // row-wise and column-wise ones: [rows, cols]
  for (const [R, Cn, split] of [[8192, 130, true], [120000, 9, true], [16, 10, false]] as [number, number, boolean][]) {
    it(`softmax, log-softmax fwd, bwd; bias add, bias grad, fused ReLU bwd + bias grad ${R}x${Cn}`, () => {
      const n = R * Cn, z = () => ({ init: n * 4 });
      sameBits(`softmax ${R}x${Cn}`, [z(), z(), { init: randn(n, 1, 3) }, { init: randn(n, 2) }, { init: randn(n, 3) }], [
        ['f32_softmax_fwd__simd', [B(0), B(2), R, Cn]], ['f32_log_softmax_fwd__simd', [B(1), B(2), R, Cn]],
        ['f32_softmax_bwd__simd', [B(3), B(4), B(0), R, Cn]], ['f32_log_softmax_bwd__simd', [B(3), B(4), B(1), R, Cn]]], split);
      sameBits(`bias ${R}x${Cn}`, [{ init: randn(n, 1) }, { init: randn(Cn, 2) }, { init: randn(Cn, 3) }, { init: randn(n, 4) }, { init: randn(n, 5) }, { init: randn(Cn, 6) }], [
        ['f32_bias_add__simd', [B(0), B(1), R, Cn]], ['f32_bias_grad__simd', [B(2), B(0), R, Cn]],
        ['f32_leaky_relu_bwd_bias_grad__simd', [B(3), B(5), B(4), B(0), R, Cn, 0.05]]], split);
    });
  }
});
