// Where threads start to pay for small kernel calls: the same kernel on one thread and split between
// two (the threaded build with its thresholds set to split every call), at growing sizes, in one
// process with the rounds interleaved. Prints per size the 1-thread time, the 2-thread time and the
// ratio, and the size from which two threads were faster in this run. The thresholds in
// assembly/mt.ts (MT_MIN_ELEMS for elementwise calls, MT_MIN_WORK for GEMM-like calls) come from here.
// (A GEMM of up to 4 rows takes the GEMV path, which splits by column blocks of 16: the batch-1 rows here.)
// Usage: node bench/mt_threshold.mjs [--rounds=N]   (after npm run build; a shared machine: read ratios)
import os from 'node:os';
import { arg, med, randn, timeUs as time } from './kit.mjs';

const ROUNDS = Number(arg('rounds', '7'));

const { loadEngine } = await import('../dist/node.js');
const one = await loadEngine({ threads: 1 }), two = await loadEngine({ threads: 2 });
if (!two.threaded) throw new Error('no threaded build here');
await two.startThreads();
two.exports.mt_set_thresholds(1, 1); // every call splits
console.log(`mt thresholds; node ${process.version}; ${os.cpus()[0]?.model}; ${os.availableParallelism()} cores (shared machine); build ${one.build}`);

// [name, element-operations per element (the kernel's cost in mt.ts terms), (engine, n) => call]
const KERNELS = [
  ['f32_add (cost 1)', 1, (e, n) => { const y = e.alloc(4 * n), a = e.put(randn(n, 1)), b = e.put(randn(n, 2)); return () => e.kernels.f32_add__simd(y, a, b, n); }],
  ['f32_leaky_relu_bwd (cost 1)', 1, (e, n) => { const d = e.put(randn(n, 1)), g = e.put(randn(n, 2)), x = e.put(randn(n, 3)); return () => e.kernels.f32_leaky_relu_bwd__simd(d, g, x, n, 0); }],
  ['f32_adam (cost 4)', 4, (e, n) => {
    const w = e.put(randn(n, 1)), g = e.put(randn(n, 2)), m = e.alloc(4 * n), v = e.alloc(4 * n);
    const hp = e.put(Float32Array.of(1e-3, 0.9, 0.999, 1e-8, 0, 0, 0.1, 0.001, 0, 0));
    return () => e.kernels.f32_adam__simd(w, g, m, v, v, hp, n);
  }],
  ['f32_gelu_fwd (cost 64)', 64, (e, n) => { const y = e.alloc(4 * n), x = e.put(randn(n, 1)); return () => e.kernels.f32_gelu_fwd__simd(y, x, n, 0); }],
];
const SIZES = [1 << 10, 1 << 12, 1 << 13, 1 << 14, 1 << 15, 1 << 16, 1 << 17, 1 << 18, 1 << 20];
// GEMM-like calls (MT_MIN_WORK, in multiply-adds): square GEMMs of side n, and a 3x3 depthwise
// convolution over n x n x 32 (its multiply-adds count 4x in mt.ts)
const gemmAt = (e, n) => { const c = e.alloc(4 * n * n), a = e.put(randn(n * n, 1)), b = e.put(randn(n * n, 2)), s = e.alloc(4 * e.kernels.gemm_scratch_floats(n, n, n)); return () => e.kernels.f32_gemm__simd(c, a, b, s, n, n, n, 0, 0, 0); };
const dwAt = (e, n) => { const y = e.alloc(4 * n * n * 32), x = e.put(randn(n * n * 32, 1)), w = e.put(randn(9 * 32, 2)); return () => e.kernels.f32_conv2d_fwd__simd(y, x, w, 0, 1, n, n, 32, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 32); };
// a batch-1 Dense layer n -> n (weights stored (N, K), as Dense keeps them): its multiply-adds count 8x in gemm.ts
const gemvAt = (e, n) => { const c = e.alloc(4 * n), a = e.put(randn(n, 1)), b = e.put(randn(n * n, 2)); return () => e.kernels.f32_gemm__simd(c, a, b, 0, 1, n, n, 0, 1, 0); };
const WORK = [
  ['GEMV 1 x n . (n x n)^T', [256, 512, 724, 1024, 1448, 2048], (n) => 8 * n * n, gemvAt],
  ['f32_gemm n^3', [24, 40, 64, 80, 102, 128, 160], (n) => n ** 3, gemmAt],
  ['depthwise 3x3 n x n x 32', [8, 16, 24, 32, 48, 64, 96], (n) => 4 * n * n * 32 * 9, dwAt],
];

for (const [name, sides, work, make] of WORK) {
  console.log(`\n${name}\n| n | work (multiply-adds, as mt.ts counts them) | 1 thread µs | 2 threads µs | 1T / 2T |\n|---|---|---|---|---|`);
  for (const n of sides) {
    const m1 = one.mark(), m2 = two.mark();
    const f1 = make(one, n), f2 = make(two, n);
    time(f1, 50); time(f2, 50);
    const t = { 1: [], 2: [] };
    for (let r = 0; r < ROUNDS; r++) for (const k of r % 2 ? [2, 1] : [1, 2]) t[k].push(time(k === 1 ? f1 : f2));
    const a = med(t[1]), b = med(t[2]);
    console.log(`| ${n} | ${work(n)} | ${a.toFixed(1)} | ${b.toFixed(1)} | ${(a / b).toFixed(2)}x |`);
    one.reset(m1); two.reset(m2);
  }
}

for (const [name, cost, make] of KERNELS) {
  console.log(`\n${name}\n| elements | element-ops | 1 thread µs | 2 threads µs | 1T / 2T |\n|---|---|---|---|---|`);
  let from = 0;
  for (const n of SIZES) {
    const m1 = one.mark(), m2 = two.mark();
    const f1 = make(one, n), f2 = make(two, n);
    const jobs = two.exports.mt_jobs();
    f2();
    if (two.exports.mt_jobs() === jobs) throw new Error(`${name}: the 2-thread call did not split`);
    time(f1, 50); time(f2, 50);
    const t = { 1: [], 2: [] };
    for (let r = 0; r < ROUNDS; r++) for (const k of r % 2 ? [2, 1] : [1, 2]) t[k].push(time(k === 1 ? f1 : f2));
    const a = med(t[1]), b = med(t[2]);
    if (a > b && !from) from = n; else if (a <= b) from = 0;
    console.log(`| ${n} | ${n * cost} | ${a.toFixed(1)} | ${b.toFixed(1)} | ${(a / b).toFixed(2)}x |`);
    one.reset(m1); two.reset(m2);
  }
  console.log(from ? `two threads faster from ${from} elements (${from * cost} element-ops) on` : 'two threads never faster here');
}
two.stopThreads();
process.exit(0);
