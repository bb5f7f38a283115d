// The threaded builds: kernels split between 1, 2 and 3 threads give the single-thread build's bits.
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

  // [M, N, K]: rows split (M >= N), columns split, ragged blocks, K over the KC block, the GEMV path (not split)
  const SHAPES: [number, number, number][] = [[256, 256, 256], [64, 700, 40], [301, 97, 300], [130, 1030, 9], [33, 17, 2100], [4, 4096, 512]];
  for (const [M, N, K] of SHAPES) for (const [tA, tB, acc] of [[0, 0, 0], [1, 0, 1], [0, 1, 0], [1, 1, 1]]) {
    it(`f32_gemm__simd ${M}x${N}x${K} tA${tA} tB${tB} acc${acc}: same bits on 1, 2, 3 threads`, () => {
      const inputs = [randn(M * N, 3), randn(M * K, 1), randn(K * N, 2), new Float32Array(Math.max(4, gemmScratchFloats(M, N, K)))];
      const want = call(single, 'f32_gemm__simd', inputs, [M, N, K, tA, tB, acc], 0, M * N).y;
      for (const n of COUNTS) {
        const { y, jobs } = call(mt.get(n)!, 'f32_gemm__simd', inputs, [M, N, K, tA, tB, acc], 0, M * N);
        expect(bits(y), `${n} threads`).toEqual(bits(want));
        const gemv = M <= (tB ? 4 : 2) && (M === 1 || !tA);
        if (n > 1) expect(jobs, `${n} threads: jobs split`).toBe(gemv ? 0 : 1);
      }
    });
  }
});
