// f32 GEMM 256³ (issue 17: "bimodal from process to process, ~48 or ~25 GFLOP/s with the same
// inputs"): is it the placement of the buffers? One process, the same inputs, A, B, C and the
// packing scratch placed at chosen offsets from a 64 KiB boundary in fresh wasm memory; each
// placement timed by CPU time (robust to other jobs), interleaved over rounds; then --procs=N fresh
// processes at the default placement, to show the per-process spread.
//   npm run build && node bench/gemm_align.mjs [--n=256] [--rounds=7] [--procs=8] [--build=simd]
import { loadEngine } from '../dist/node.js';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';

const arg = (k, d) => process.argv.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3) ?? d;
const n = Number(arg('n', 256)), rounds = Number(arg('rounds', 7)), procs = Number(arg('procs', 8)), build = arg('build', 'simd');
const child = process.argv.includes('--child');
const e = await loadEngine({ build });
const k = e.kernels, mem = e.memory;
const flops = 2 * n ** 3;
const scratchFloats = k.gemm_scratch_floats(n, n, n);
const bytes = n * n * 4;
const PAGE = 65536;
const base = mem.grow(Math.ceil((3 * bytes + scratchFloats * 4) / PAGE) + 8) * PAGE;   // fresh pages, 64 KiB aligned
const fill = (p, seed) => { const a = new Float32Array(mem.buffer, p, n * n); let s = seed; for (let i = 0; i < a.length; i++) { s = (s * 1664525 + 1013904223) >>> 0; a[i] = s / 2 ** 32 - 0.5; } };
/** buffers at base + region k · stride + offset k */
function place([oa, ob, oc, os]) {
  const stride = Math.ceil(Math.max(bytes, scratchFloats * 4) / PAGE + 1) * PAGE;
  const [a, b, c, s] = [base + oa, base + stride + ob, base + 2 * stride + oc, base + 3 * stride + os];
  if (s + scratchFloats * 4 > mem.buffer.byteLength) mem.grow(Math.ceil((s + scratchFloats * 4 - mem.buffer.byteLength) / PAGE) + 1);
  fill(a, 1); fill(b, 2);
  return { a, b, c, s };
}
const gflops = ({ a, b, c, s }, reps) => {
  for (let i = 0; i < 3; i++) k.f32_gemm__simd(c, a, b, s, n, n, n, 0, 0, 0);
  const t0 = process.cpuUsage();
  for (let i = 0; i < reps; i++) k.f32_gemm__simd(c, a, b, s, n, n, n, 0, 0, 0);
  const d = process.cpuUsage(t0);
  return (flops * reps) / ((d.user + d.system) * 1e3);
};
const reps = Math.max(5, Math.round(2e9 / flops));
if (child) { console.log(JSON.stringify({ g: gflops(place([0, 0, 0, 0]), reps) })); process.exit(0); }

const placements = {
  'all at 64 KiB boundaries': [0, 0, 0, 0],
  'A +16 B': [16, 0, 0, 0], 'B +16 B': [0, 16, 0, 0], 'C +16 B': [0, 0, 16, 0], 'scratch +16 B': [0, 0, 0, 16],
  'A +64, B +128, C +192, scratch +256': [64, 128, 192, 256],
  'A +1 KiB, B +2 KiB, C +3 KiB': [1024, 2048, 3072, 0],
  'scratch +2 KiB': [0, 0, 0, 2048], 'scratch +4 KiB - 64': [0, 0, 0, 4032],
};
const res = Object.fromEntries(Object.keys(placements).map((p) => [p, []]));
const bufs = Object.fromEntries(Object.entries(placements).map(([p, o]) => [p, o]));
for (let r = 0; r < rounds; r++) for (const [p, o] of Object.entries(bufs)) res[p].push(gflops(place(o), reps));
const med = (x) => [...x].sort((u, v) => u - v)[x.length >> 1];
const cpu = execFileSync('lscpu').toString().match(/Model name:\s*(.*)/)?.[1] ?? '?';
console.log(`f32 GEMM ${n}³, ${build} build, ${cpu}, Node ${process.version}; CPU-time GFLOP/s, ${rounds} interleaved rounds of ${reps} products`);
console.log('| placement (offsets from 64 KiB boundaries) | median | min–max |\n|---|---|---|');
for (const [p, x] of Object.entries(res)) console.log(`| ${p} | ${med(x).toFixed(1)} | ${Math.min(...x).toFixed(1)}–${Math.max(...x).toFixed(1)} |`);
const per = [];
for (let i = 0; i < procs; i++) {
  const out = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', `--n=${n}`, `--build=${build}`], { encoding: 'utf8' });
  per.push(JSON.parse(out.stdout.trim().split('\n').pop()).g);
}
console.log(`fresh processes (default placement), GFLOP/s each: ${per.map((g) => g.toFixed(1)).join(', ')} (median ${med(per).toFixed(1)}, spread ${Math.min(...per).toFixed(1)}–${Math.max(...per).toFixed(1)})`);
process.exit(0);
