// f32 GEMM (packed 4x8 SIMD kernel) and the bias helpers, against their scalar __ref twins.
import { describe, it, expect, beforeAll } from 'vitest';
import { engine, Arena, randn, expectClose, SIZES, BUILD } from '../helpers.js';
import type { Engine } from '../../src/runtime/engine.js';
import { gemmScratchFloats } from '../../src/ops.js';

let e: Engine;
beforeAll(async () => { e = await engine(); });

// [M, N, K]: one tile; several tiles; smaller than a tile; ragged; K beyond the KC block (256);
// M beyond the MC block (64); N beyond the NC block (512)
const SHAPES: [number, number, number][] = [
  [4, 8, 4], [4, 8, 1], [8, 16, 12], [12, 24, 20], [16, 32, 64],
  [1, 1, 1], [3, 5, 2], [1, 7, 3], [2, 9, 5], [5, 1, 8],
  [37, 29, 53], [65, 9, 130], [300, 257, 33],
  [20, 17, 600], [33, 40, 513], [9, 8, 256], [9, 8, 257],
  [130, 12, 7], [3, 2100, 5], [7, 1100, 9], [70, 530, 20],
  // M <= 4 takes the GEMV path (no packing): N and K tails of its 16/4-column and 8/4-k steps
  [1, 37, 29], [1, 16, 8], [1, 256, 784], [2, 33, 17], [2, 20, 11], [3, 19, 9], [4, 21, 13], [4, 3, 300],
];
const COMBOS = [[0, 0], [1, 0], [0, 1], [1, 1]] as const;

/** Runs f32_gemm__simd and f32_gemm__ref on the same inputs; returns [simd C, ref C]. */
function both(M: number, N: number, K: number, tA: number, tB: number, acc: number, seed = 1): [Float32Array, Float32Array] {
  const ar = new Arena(e);
  try {
    const A = randn(M * K, seed), B = randn(K * N, seed + 1), C0 = randn(M * N, seed + 2);
    const a = ar.f32(A), b = ar.f32(B), c1 = ar.f32(C0), c2 = ar.f32(C0);
    const s = ar.f32(Math.max(4, gemmScratchFloats(M, N, K)));
    e.kernels.f32_gemm__simd(c1, a, b, s, M, N, K, tA, tB, acc);
    e.kernels.f32_gemm__ref(c2, a, b, 0, M, N, K, tA, tB, acc);
    return [ar.read(c1, M * N), ar.read(c2, M * N)];
  } finally { ar.free(); }
}

describe(`f32_gemm__simd vs __ref (${BUILD} build)`, () => {
  it('host scratch plan mirrors gemm_scratch_floats', () => {
    for (const [M, N, K] of [...SHAPES, [0, 0, 0], [1024, 1024, 1024], [4096, 4096, 4096], [7, 5000, 3]]) {
      expect(gemmScratchFloats(M, N, K), `${M}x${N}x${K}`).toBe(e.kernels.gemm_scratch_floats(M, N, K));
    }
  });

  for (const [M, N, K] of SHAPES) {
    it(`${M}x${N}x${K}, all transposes, overwrite and accumulate`, () => {
      for (const [tA, tB] of COMBOS) for (const acc of [0, 1]) {
        const [got, want] = both(M, N, K, tA, tB, acc);
        // summation order differs from the reference (K blocks; FMA on the relaxed build)
        expectClose(got, want, 1e-4, 2e-6 * K + 1e-6, `${M}x${N}x${K} tA=${tA} tB=${tB} acc=${acc}`);
      }
    });
  }

  it('K = 0 overwrites with zeros or leaves C as is', () => {
    const [z] = both(5, 7, 0, 0, 0, 0);
    expect(Array.from(z).every((v) => v === 0)).toBe(true);
    const [got, want] = both(5, 7, 0, 1, 1, 1);
    expectClose(got, want, 0, 1e-30, 'K=0 accumulate');
  });

  it('writes nothing outside C and its scratch', () => {
    const SENT = -12345.5, G = 40; // guard floats on each side
    for (const [M, N, K] of [[3, 5, 2], [37, 29, 53], [65, 9, 300], [6, 11, 7], [1, 13, 7], [2, 21, 9], [4, 7, 12]]) {
      for (const [tA, tB] of COMBOS) for (const acc of [0, 1]) {
        const ar = new Arena(e);
        try {
          const S = gemmScratchFloats(M, N, K);
          const a = ar.f32(randn(M * K, 3)), b = ar.f32(randn(K * N, 4));
          // [guard | C | guard] and [guard | scratch | guard], C and scratch not 16-byte aligned at their ends
          const cb = ar.f32(new Float32Array(2 * G + M * N).fill(SENT)), c = cb + 4 * G;
          e.f32(c, M * N).set(randn(M * N, 5));
          const sb = ar.f32(new Float32Array(2 * G + S + 1).fill(SENT)), s = sb + 4 * (G + 1); // scratch 4-byte aligned only
          e.kernels.f32_gemm__simd(c, a, b, s, M, N, K, tA, tB, acc);
          const what = `${M}x${N}x${K} tA=${tA} tB=${tB} acc=${acc}`;
          const cv = e.f32(cb, 2 * G + M * N), sv = e.f32(sb, 2 * G + S + 1);
          for (let i = 0; i < G; i++) {
            expect(cv[i], `${what}: guard before C [${i}]`).toBe(SENT);
            expect(cv[G + M * N + i], `${what}: guard after C [${i}]`).toBe(SENT);
          }
          for (let i = 0; i < G + 1; i++) expect(sv[i], `${what}: guard before scratch [${i}]`).toBe(SENT);
          for (let i = G + 1 + S; i < 2 * G + S + 1; i++) expect(sv[i], `${what}: guard after scratch [${i}]`).toBe(SENT);
        } finally { ar.free(); }
      }
    }
  });

  it('reads nothing past the end of A or B (operands placed flush with the end of memory)', () => {
    for (const [M, N, K] of [[3, 5, 2], [37, 29, 53], [5, 9, 3], [13, 6, 11], [1, 13, 7], [2, 21, 9], [4, 7, 12]]) {
      for (const [tA, tB] of COMBOS) for (const which of ['a', 'b'] as const) {
        const ar = new Arena(e);
        try {
          const A = randn(M * K, 6), B = randn(K * N, 7);
          const other = ar.f32(which === 'a' ? B : A);
          const c1 = ar.f32(M * N), c2 = ar.f32(M * N), s = ar.f32(Math.max(4, gemmScratchFloats(M, N, K)));
          // the rest of the current memory as one block; the operand ends on its last byte
          const rest = e.memory.buffer.byteLength - e.mark();
          const blk = e.alloc(rest);
          const data = which === 'a' ? A : B;
          const p = blk + rest - 4 * data.length;
          e.f32(p, data.length).set(data);
          const [a, b] = which === 'a' ? [p, other] : [other, p];
          expect(e.memory.buffer.byteLength, 'memory did not grow').toBe(blk + rest);
          e.kernels.f32_gemm__simd(c1, a, b, s, M, N, K, tA, tB, 0);
          e.kernels.f32_gemm__ref(c2, a, b, 0, M, N, K, tA, tB, 0);
          expectClose(e.f32(c1, M * N), e.f32(c2, M * N), 1e-4, 1e-4, `${M}x${N}x${K} tA=${tA} tB=${tB} ${which} at end`);
        } finally { ar.free(); }
      }
    }
  });
});

describe(`bias kernels simd vs ref (${BUILD} build)`, () => {
  const shapes: [number, number][] = [];
  for (const m of [1, 3, 8]) for (const n of SIZES) shapes.push([m, n]);
  shapes.push([33, 257]);

  it('f32_bias_add', () => {
    for (const [M, N] of shapes) {
      const ar = new Arena(e);
      try {
        const Y = randn(M * N, 11), Bv = randn(N, 12);
        const y1 = ar.f32(Y), y2 = ar.f32(Y), b = ar.f32(Bv);
        e.kernels.f32_bias_add__simd(y1, b, M, N);
        e.kernels.f32_bias_add__ref(y2, b, M, N);
        expectClose(ar.read(y1, M * N), ar.read(y2, M * N), 0, 1e-30, `bias_add ${M}x${N}`);
      } finally { ar.free(); }
    }
  });

  it('f32_bias_grad accumulates column sums', () => {
    for (const [M, N] of shapes) {
      const ar = new Arena(e);
      try {
        const DY = randn(M * N, 13), DB = randn(N, 14);
        const dy = ar.f32(DY), d1 = ar.f32(DB), d2 = ar.f32(DB);
        e.kernels.f32_bias_grad__simd(d1, dy, M, N);
        e.kernels.f32_bias_grad__ref(d2, dy, M, N);
        expectClose(ar.read(d1, N), ar.read(d2, N), 1e-5, 1e-5, `bias_grad ${M}x${N}`);
      } finally { ar.free(); }
    }
  });
});
