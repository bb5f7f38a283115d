// The machine's WebAssembly f32x4 ceilings (bench/fp_peak.ts, compiled here with the repo's AssemblyScript),
// to set Axon's GEMM against (issue 17: ≥ 94 % of the SIMD128 ceiling; is there FMA headroom the
// relaxed GEMM misses?). Rows:
//   adds alone, multiplies alone  the pipe rates; twice the slower is the bound a mul + add pair could reach
//                                  if both pipe pairs stayed busy
//   mul + add: three shapes        what SIMD128 multiply-adds reach; the best is the SIMD128 ceiling
//   relaxed_madd                   FMA, 8 and 12 chains
// GFLOP/s by CPU time, best of 7; the bare GEMM kernel (f32_gemm__simd on resident A, B, C) runs at the
// end in the same process, against that ceiling (`--no-gemm` leaves it out; it needs `npm run build`).
//   node bench/fp_peak.mjs   (re-executes itself with --experimental-wasm-relaxed-simd --no-liftoff on Node 20)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const FLAGS = ['--experimental-wasm-relaxed-simd', '--no-liftoff'];
if (!FLAGS.every((f) => process.execArgv.includes(f))) {
  process.exit(spawnSync(process.execPath, [...FLAGS, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' }).status ?? 1);
}
mkdirSync('out', { recursive: true });
execFileSync('node_modules/.bin/asc', ['bench/fp_peak.ts', '--enable', 'simd,relaxed-simd', '-O3', '--noAssert', '--initialMemory', '2', '-o', 'out/fp_peak.wasm']);
const { instance } = await WebAssembly.instantiate(readFileSync('out/fp_peak.wasm'), { env: { abort() {} } });
const k = instance.exports, n = 2e7;
const mem = new Float32Array(k.memory.buffer), PA = 65536, PB = PA + 16384; // the tile's panels: 4 KiB of A, 8 KiB of B
for (let i = 0; i < 3 * 4096; i++) mem[PA / 4 + i] = 1e-3 * (1 + (i % 7));
const cpu = execFileSync('lscpu').toString().match(/Model name:\s*(.*)/)?.[1] ?? '?';
const fam = readFileSync('/proc/cpuinfo', 'utf8').match(/cpu family\s*:\s*(\d+)/)?.[1] ?? '?';

function gflops(f, flops) {
  f(Math.max(1, n / 1e4));
  let best = Infinity;
  for (let r = 0; r < 7; r++) { const t = process.cpuUsage(); f(); const d = process.cpuUsage(t); best = Math.min(best, (d.user + d.system) / 1e6); }
  return flops / best / 1e9;
}
const reps = n / 256;
const rows = [
  ['adds alone (8 chains), x2', gflops(() => k.add8(n, 0.5), n * 8 * 4 * 2)],
  ['multiplies alone (8 chains), x2', gflops(() => k.mul8(n, 0.5), n * 8 * 4 * 2)],
  ['mul + add: 12 chains c += c * k', gflops(() => k.madd12(n, 0.5), n * 12 * 8)],
  ['mul + add: 6 mul chains beside 6 add chains', gflops(() => k.mix6(n, 0.5), n * 6 * 8)],
  ['mul + add: the GEMM 4x8 tile, panels in L1', gflops(() => k.tile48(reps, PA, PB), reps * 256 * 64)],
  ['relaxed_madd, 8 chains', gflops(() => k.fma8(n, 0.5), n * 8 * 8)],
  ['relaxed_madd, 12 chains', gflops(() => k.fma12(n, 0.5), n * 12 * 8)],
];
console.log(`f32x4 ceilings, ${cpu} (cpu family ${fam}), Node ${process.version}; GFLOP/s, best of 7 by CPU time\n| probe | GFLOP/s |\n|---|---|`);
for (const [name, g] of rows) console.log(`| ${name} | ${g.toFixed(1)} |`);
const ceiling = Math.max(rows[2][1], rows[3][1], rows[4][1]), bound = Math.min(rows[0][1], rows[1][1]);
console.log(`\nSIMD128 mul + add ceiling (best mul + add probe): ${ceiling.toFixed(1)}; pipe bound: ${bound.toFixed(1)}`);

if (!process.argv.includes('--no-gemm')) {
  const { loadEngine } = await import('../dist/node.js');
  const fmaPeak = Math.max(rows[5][1], rows[6][1]);
  let s = 1;
  const rnd = (len) => Float32Array.from({ length: len }, () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 2 ** 32 - 0.5; });
  console.log(`\n| bare f32_gemm__simd, one thread | simd GFLOP/s (median of 31) | of the SIMD128 ceiling | of the pipe bound | relaxed GFLOP/s | of the relaxed_madd peak (${fmaPeak.toFixed(1)}) |\n|---|---|---|---|---|---|`);
  const engines = [await loadEngine({ threads: 1, build: 'simd' }), await loadEngine({ threads: 1, build: 'relaxed' })];
  for (const m of [256, 512, 1024]) {
    const g = engines.map((e) => {
      const c = e.alloc(4 * m * m), a = e.put(rnd(m * m)), b = e.put(rnd(m * m)), sc = e.alloc(4 * e.kernels.gemm_scratch_floats(m, m, m));
      const f = () => e.kernels.f32_gemm__simd(c, a, b, sc, m, m, m, 0, 0, 0);
      const t0 = performance.now(); while (performance.now() - t0 < 1000) f();
      const per = Math.max(1, (2 ** 27 / m ** 3) | 0), ts = [];
      for (let r = 0; r < 31; r++) { const t = process.cpuUsage(); for (let i = 0; i < per; i++) f(); const d = process.cpuUsage(t); ts.push((d.user + d.system) / 1e6 / per); }
      ts.sort((x, y) => x - y);
      return 2 * m ** 3 / ts[15] / 1e9;
    });
    const pc = (x, of) => `${(100 * x / of).toFixed(0)} %`;
    console.log(`| ${m}³ | ${g[0].toFixed(1)} | ${pc(g[0], ceiling)} | ${pc(g[0], bound)} | ${g[1].toFixed(1)} | ${pc(g[1], fmaPeak)} |`);
  }
}
