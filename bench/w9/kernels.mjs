// W9 kernel timings: the attention, GELU, LayerNorm and GEMM calls of one BERT-tiny training step
// (batch 16, sequence 128, hidden 128, 2 heads, intermediate 512), each timed alone on random data
// (medians of --reps calls, CPU time). For comparing kernel versions in one process; the plan profile is
// bench/w9/profile_train.mjs.
//   node scripts/build.mjs --kernels && node bench/w9/kernels.mjs [--reps=9] [--only=attn]
import { loadEngine } from '../../dist/node.js';

const arg = (k, d) => process.argv.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3) ?? d;
const reps = Number(arg('reps', 9)), only = arg('only', '');
const e = await loadEngine({ build: arg('build', 'simd') });
const B = 16, T = 128, D = 128, H = 2, dh = 64, F = 512, R = B * T, P = B * H * T * T;
let seed = 1;
const rnd = (n, f = (x) => x) => { const a = new Float32Array(n); for (let i = 0; i < n; i++) { seed = (seed * 1103515245 + 12345) >>> 0; a[i] = f((seed / 2 ** 32) * 2 - 1); } return a; };
const buf = (data) => e.put(data instanceof Float32Array || data instanceof Int32Array ? data : new Float32Array(data));
const mask = new Int32Array(B * T).map((_, i) => ((i % T) < T - ((Math.floor(i / T) * 13) % 40) ? 1 : 0));
const q = buf(rnd(R * D)), k = buf(rnd(R * D)), v = buf(rnd(R * D)), o = buf(new Float32Array(R * D)), m = buf(mask);
const p = buf(new Float32Array(P)), ds = buf(rnd(P));
e.kernels.f32_attn_probs__simd(p, q, k, m, B, H, T, T, dh, 0.125, 0, 1);
const x1 = buf(rnd(R * F, (x) => 1.2 * x)), y1 = buf(new Float32Array(R * F)), dy1 = buf(rnd(R * F));
const xa = buf(rnd(R * F)), xb = buf(rnd(R * F)), c = buf(new Float32Array(R * F)), scratch = buf(new Float32Array(1 << 20));
const ln = [buf(new Float32Array(R * D)), buf(new Float32Array(R)), buf(new Float32Array(R)), buf(rnd(R * D)), buf(rnd(D)), buf(rnd(D))];
const cases = {
  attn_probs: () => e.kernels.f32_attn_probs__simd(ds, q, k, m, B, H, T, T, dh, 0.125, 0, 1),
  attn_dot: () => e.kernels.f32_attn_dot__simd(ds, q, k, B, H, T, T, dh),
  attn_ctx: () => e.kernels.f32_attn_ctx__simd(o, p, v, B, H, T, T, dh, 1, 0),
  attn_ctx_t: () => e.kernels.f32_attn_ctx_t__simd(o, p, q, B, H, T, T, dh, 1),
  attn_softmax_bwd: () => e.kernels.f32_attn_softmax_bwd__simd(ds, ds, p, B * H * T, T),
  gelu_fwd: () => e.kernels.f32_gelu_fwd__simd(y1, x1, R * F, 0),
  gelu_bwd: () => e.kernels.f32_gelu_bwd__simd(y1, dy1, x1, R * F, 0),
  layernorm_fwd: () => e.kernels.f32_layernorm_fwd__simd(...ln, R, D, 1e-5),
  'gemm 2048x128x128 B^T': () => e.kernels.f32_gemm__simd(c, xa, xb, scratch, R, D, D, 0, 1, 0),
  'gemm 2048x128x128 acc': () => e.kernels.f32_gemm__simd(c, xa, xb, scratch, R, D, D, 0, 0, 1),
  'gemm 128x128x2048 A^T acc': () => e.kernels.f32_gemm__simd(c, xa, xb, scratch, D, D, R, 1, 0, 1),
  'gemm 2048x512x128 B^T': () => e.kernels.f32_gemm__simd(c, xa, xb, scratch, R, F, D, 0, 1, 0),
  'gemm 2048x128x512 B^T': () => e.kernels.f32_gemm__simd(c, xa, xb, scratch, R, D, F, 0, 1, 0),
  'gemm 512x128x2048 A^T acc': () => e.kernels.f32_gemm__simd(c, xa, xb, scratch, F, D, R, 1, 0, 1),
  'gemm 128x512x2048 A^T acc': () => e.kernels.f32_gemm__simd(c, xa, xb, scratch, D, F, R, 1, 0, 1),
  'gemm 2048x512x128 acc': () => e.kernels.f32_gemm__simd(c, xa, xb, scratch, R, F, D, 0, 0, 1),
  'gemm 2048x128x512 acc': () => e.kernels.f32_gemm__simd(c, xa, xb, scratch, R, D, F, 0, 0, 1),
  // batch 1 (W9's latency row): the shapes of one sequence, timed over 20 calls each
  ...Object.fromEntries([[T, D, D], [T, 3 * D, D], [T, F, D], [T, D, F]].map(([M, N, K]) => [`b1 gemm ${M}x${N}x${K} B^T (x20)`, () => { for (let r = 0; r < 20; r++) e.kernels.f32_gemm__simd(c, xa, xb, scratch, M, N, K, 0, 1, 0); }])),
  'b1 attn_probs (x20)': () => { for (let r = 0; r < 20; r++) e.kernels.f32_attn_probs__simd(ds, q, k, m, 1, H, T, T, dh, 0.125, 0, 1); },
  'b1 attn_ctx (x20)': () => { for (let r = 0; r < 20; r++) e.kernels.f32_attn_ctx__simd(o, p, v, 1, H, T, T, dh, 1, 0); },
  'b1 gelu_fwd (x20)': () => { for (let r = 0; r < 20; r++) e.kernels.f32_gelu_fwd__simd(y1, x1, T * F, 0); },
};
const flops = { attn_probs: 2 * P * dh, attn_dot: 2 * P * dh, attn_ctx: 2 * P * dh, attn_ctx_t: 2 * P * dh };
for (const [name, f] of Object.entries(cases)) {
  if (only && !name.includes(only)) continue;
  f(); f();
  const ts = [];
  // (CPU time of this process, not wall time: on a shared machine the time others take is left out)
  for (let r = 0; r < reps; r++) { const t0 = process.cpuUsage(); f(); const d = process.cpuUsage(t0); ts.push((d.user + d.system) / 1000); }
  ts.sort((a, b) => a - b);
  const mnk = name.match(/(\d+)x(\d+)x(\d+)/), times = name.endsWith('(x20)') ? 20 : 1;
  const fl = (mnk ? 2 * mnk[1] * mnk[2] * mnk[3] : flops[name.replace(/^b1 | \(x20\)$/g, '')] / (name.startsWith('b1 ') ? B : 1)) * times;
  console.log(`${name.padEnd(28)} ${ts[reps >> 1].toFixed(3).padStart(8)} ms (min ${ts[0].toFixed(3)})${fl ? `  ${(fl / ts[reps >> 1] / 1e6).toFixed(1)} GFLOP/s` : ''}`);
}
process.exit(0);
