// The threaded builds: kernels split between 1, 2 and 3 threads give the single-thread build's bits
// (GEMM by row/column blocks, GEMV by column blocks, the implicit-GEMM convolutions by images, output-channel panels (batch 1) or weight-gradient tiles).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Arena, randn, BUILD } from '../helpers.js';
import { loadEngine } from '../../targets/node/engine.js';
import type { Engine } from '../../src/runtime/engine.js';
import { gemmScratchFloats } from '../../src/ops.js';

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

/** Runs one kernel call on an engine over fresh copies of `inputs`; returns output `out` (floats) and the jobs split between threads. */
function call(e: Engine, kernel: string, inputs: (Float32Array | number)[], args: number[], out: number, outLen: number): { y: Float32Array; jobs: number } {
  const ar = new Arena(e);
  try {
    const ptrs = inputs.map((x) => ar.f32(x));
    const before = e.exports.mt_jobs() as number;
    (e.kernels[kernel])(...ptrs, ...args);
    return { y: ar.read(ptrs[out], outLen), jobs: (e.exports.mt_jobs() as number) - before };
  } finally { ar.free(); }
}

const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

describe(`threads (${BUILD} build)`, () => {
  it('picks the threaded build for more than one thread, the plain one for one', () => {
    expect(single.threaded).toBe(false);
    expect(mt.get(1)!.threaded).toBe(false);
    expect(mt.get(2)!.threaded && mt.get(3)!.threaded).toBe(true);
    expect(mt.get(3)!.exports.mt_ready()).toBe(2);
  });

  // [M, N, K]: rows split (M >= N), columns split, ragged blocks, K over the KC block, the GEMV paths (column
  // blocks of 16: a ragged last block, N and K off the 4- and 16-column groups, three blocks of N = 45)
  const SHAPES: [number, number, number][] = [[256, 256, 256], [64, 700, 40], [301, 97, 300], [130, 1030, 9], [33, 17, 2100], [4, 4096, 512],
    [1, 1003, 1283], [2, 1283, 1003], [3, 45, 8001]];
  for (const [M, N, K] of SHAPES) for (const [tA, tB, acc] of [[0, 0, 0], [1, 0, 1], [0, 1, 0], [1, 1, 1]]) {
    it(`f32_gemm__simd ${M}x${N}x${K} tA${tA} tB${tB} acc${acc}: same bits on 1, 2, 3 threads`, () => {
      const inputs = [randn(M * N, 3), randn(M * K, 1), randn(K * N, 2), new Float32Array(Math.max(4, gemmScratchFloats(M, N, K)))];
      const want = call(single, 'f32_gemm__simd', inputs, [M, N, K, tA, tB, acc], 0, M * N).y;
      for (const n of COUNTS) {
        const { y, jobs } = call(mt.get(n)!, 'f32_gemm__simd', inputs, [M, N, K, tA, tB, acc], 0, M * N);
        expect(bits(y), `${n} threads`).toEqual(bits(want));
        if (n > 1) expect(jobs, `${n} threads: jobs split`).toBe(1);
      }
    });
  }

  // [N, H, W, C, OC, KH, KW, sh, sw, pt, pl, pb, pr]: no padding copy, zero-padded copy, border path (padded image > 64k floats),
  // C1->6 pixel-vector path, stride 2 (im2col bwd_x), pointwise (one GEMM), K > 256 (im2col + GEMM)
  // split: which passes split their work (f: forward, x: input gradient, w: weight gradient); the others
  // run on one thread (im2col paths whose GEMM blocks are below the threshold; a GEMM over 64+ rows of
  // its A counts 4x, as a convolution: gemm.ts)
  const CONVS: [string, number[], string][] = [
    ['LeNet conv2 5x5 C6->16 valid', [5, 14, 14, 6, 16, 5, 5, 1, 1, 0, 0, 0, 0], 'fxw'],
    ['3x3 C16->16 same (padded copy, transposed bwd_x)', [5, 16, 15, 16, 16, 3, 3, 1, 1, 1, 1, 1, 1], 'fxw'],
    ['3x3 C16->12 same, 66x66 (border path)', [2, 66, 66, 16, 12, 3, 3, 1, 1, 1, 1, 1, 1], 'fx'],
    ['LeNet conv1 5x5 C1->6 same (pixel vectors)', [9, 28, 28, 1, 6, 5, 5, 1, 1, 2, 2, 2, 2], 'fw'],
    ['3x3/2 C8->24 asym pads', [9, 17, 18, 8, 24, 3, 3, 2, 2, 0, 0, 1, 1], 'fxw'],
    ['1x1 C32->48 (pointwise GEMM)', [6, 12, 12, 32, 48, 1, 1, 1, 1, 0, 0, 0, 0], 'fxw'],
    ['3x3 C40->16 same (K 360: im2col)', [3, 10, 10, 40, 16, 3, 3, 1, 1, 1, 1, 1, 1], 'fxw'],
    // batch 1: the implicit GEMM splits an image's pixels in blocks of whole tiles (a ragged last tile
    // included), or on the border path its output-channel panels (ragged last panel included)
    ['b1 3x3 C16->16 same (pixels, shared padded copy)', [1, 32, 30, 16, 16, 3, 3, 1, 1, 1, 1, 1, 1], 'fxw'],
    ['b1 3x3 C8->20 valid (pixels, no copy; bwd_x: one panel of 8 channels)', [1, 40, 40, 8, 20, 3, 3, 1, 1, 0, 0, 0, 0], 'fw'],
    ['b1 3x3 C8->12 valid, 441 pixels (pixels, a ragged last tile)', [1, 23, 23, 8, 12, 3, 3, 1, 1, 0, 0, 0, 0], 'f'],
    ['b1 3x3 C16->24 same, 66x66 (panels, border path)', [1, 66, 66, 16, 24, 3, 3, 1, 1, 1, 1, 1, 1], 'fx'],
  ];

  for (const [what, g, splits] of CONVS) {
    it(`conv2d fwd, bias+ReLU fwd, bwd_x, bwd_w ${what}: same bits on 1, 2, 3 threads`, () => {
      const [N, H, W, C, OC, KH, KW, sh, sw, pt, pl, pb, pr] = g;
      const OH = Math.floor((H + pt + pb - KH) / sh) + 1, OW = Math.floor((W + pl + pr - KW) / sw) + 1;
      const dims = [N, H, W, C, OC, KH, KW, sh, sw, pt, pl, pb, pr, 1, 1, 1];
      const scratch = new Float32Array(Math.max(4, single.exports.conv2d_scratch_floats(...dims) as number));
      const x = randn(N * H * W * C, 1), w = randn(KH * KW * C * OC, 2, 0.2), b = randn(OC, 3), dy = randn(N * OH * OW * OC, 4);
      const cases: [string, string, (Float32Array | number)[], number[], number][] = [
        ['f32_conv2d_fwd__simd', 'f', [new Float32Array(dy.length), x, w, scratch], dims, dy.length],
        ['f32_conv2d_bias_act_fwd__simd', 'f', [new Float32Array(dy.length), x, w, b, scratch], [...dims, 0.1], dy.length],
        ['f32_conv2d_bwd_x__simd', 'x', [randn(x.length, 5), dy, w, scratch], dims, x.length],
        ['f32_conv2d_bwd_w__simd', 'w', [randn(w.length, 6), dy, x, scratch], dims, w.length],
      ];
      for (const [kernel, pass, inputs, args, len] of cases) {
        const want = call(single, kernel, inputs, args, 0, len).y;
        let split = 0;
        for (const n of COUNTS) {
          const { y, jobs } = call(mt.get(n)!, kernel, inputs, args, 0, len);
          expect(bits(y), `${kernel} ${n} threads`).toEqual(bits(want));
          if (n > 1) split += jobs;
        }
        expect(split > 0, `${kernel}: jobs split between threads`).toBe(splits.includes(pass));
      }
    });
  }
});
