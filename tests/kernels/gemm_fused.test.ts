// gemm_bias_act (assembly/kernels/gemm_fused.ts): a Dense layer's GEMM + bias + (none / leaky / ReLU6) in one
// call, on the GEMV rows, the packed path with several row, column and depth blocks, ragged edges and
// transposes: __simd against __ref, and bit for bit the unfused __simd calls in a row; the same bits
// with the work split between 1, 2 and 3 threads.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { engine, randn, Arena, BUILD } from '../helpers.js';
import { run, expectMatch, out, inp, close } from './kit.js';
import { loadEngine } from '../../targets/node/engine.js';
import type { Engine } from '../../src/runtime/engine.js';
import { gemmScratchFloats } from '../../src/ops.js';

const e = await engine();
// [M, N, K, transA, transB]
const SHAPES: [number, number, number, number, number][] = [[1, 10, 64, 0, 1], [3, 9, 17, 0, 1], [2, 33, 5, 0, 0], [37, 530, 300, 0, 1],
  [130, 70, 9, 1, 0], [64, 120, 400, 0, 1], [256, 128, 128, 1, 1]];
const ACTS: [number, number][] = [[0, 0], [1, 0], [1, 0.2], [2, 0]];
const bits = (a: ArrayLike<number>) => Array.from(new Uint32Array(Float32Array.from(a).buffer));

describe('gemm_bias_act: __simd against __ref, and the unfused instructions\' bits', () => {
  for (const [M, N, K, tA, tB] of SHAPES) it(`${M}x${N}x${K} tA${tA} tB${tB}`, () => {
    const a = randn(M * K, 1, 1.5), b = randn(K * N, 2, 2 / Math.sqrt(K)), bias = randn(N, 3, 2), sc = () => out(Math.max(4, gemmScratchFloats(M, N, K)));
    for (const [act, alpha] of ACTS) {
      const args = [out(new Float32Array(M * N).fill(NaN)), inp(a), inp(b), inp(bias), sc(), M, N, K, tA, tB, act, alpha];
      const r = run(e, 'f32_gemm_bias_act__ref', args).outs[0], s = run(e, 'f32_gemm_bias_act__simd', args).outs[0];
      expectMatch(s, r, close(2e-5, 2e-5), `act ${act} vs ref`);
      let y = run(e, 'f32_gemm__simd', [out(M * N), inp(a), inp(b), sc(), M, N, K, tA, tB, 0]).outs[0];
      y = run(e, 'f32_bias_add__simd', [out(y), inp(bias), M, N]).outs[0];
      if (act === 1) y = run(e, 'f32_leaky_relu_fwd__simd', [out(M * N), inp(y), M * N, alpha]).outs[0];
      if (act === 2) y = run(e, 'f32_relu6_fwd__simd', [out(M * N), inp(y), M * N]).outs[0];
      expect(bits(s), `act ${act} = gemm, bias_add, act`).toEqual(bits(y));
      if (act === 2) expect(Array.from(s).filter((v) => v === 0 || v === 6).length, 'both clamps occur').toBeGreaterThan(0);
    }
  });
});

describe(`gemm_bias_act on 1, 2 and 3 threads (${BUILD} build)`, () => {
  const mt = new Map<number, Engine>();
  beforeAll(async () => {
    for (const n of [1, 2, 3]) {
      const t = await loadEngine({ build: BUILD, threads: n });
      (t.exports.mt_set_thresholds as (w: number, el: number) => void)(1, 0);
      await t.startThreads();
      mt.set(n, t);
    }
  });
  afterAll(() => { for (const t of mt.values()) t.stopThreads(); });
  for (const [M, N, K, tA, tB] of SHAPES.filter(([M]) => M > 4)) it(`${M}x${N}x${K}: same bits, split`, () => {
    const inputs = [new Float32Array(M * N), randn(M * K, 1), randn(K * N, 2), randn(N, 3), new Float32Array(Math.max(4, gemmScratchFloats(M, N, K)))];
    const call = (t: Engine) => {
      const ar = new Arena(t);
      try {
        const p = inputs.map((x) => ar.f32(x)), before = t.exports.mt_jobs() as number;
        t.kernels.f32_gemm_bias_act__simd(...p, M, N, K, tA, tB, 2, 0);
        return { y: ar.read(p[0], M * N), jobs: (t.exports.mt_jobs() as number) - before };
      } finally { ar.free(); }
    };
    const want = call(mt.get(1)!).y;
    for (const n of [2, 3]) { const { y, jobs } = call(mt.get(n)!); expect(bits(y), `${n} threads`).toEqual(bits(want)); expect(jobs).toBe(1); }
  });
});
