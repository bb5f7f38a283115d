// The machine's WebAssembly f32x4 peak, plain SIMD128 (mul + add) against relaxed_madd, with 8 and 12
// independent accumulators (bench/fp_peak.ts, compiled here with the repo's AssemblyScript), to set
// Axon's GEMM against the ceiling of each build (issue 17: is there FMA headroom the relaxed GEMM misses?).
//   node bench/fp_peak.mjs            (re-executes itself with --experimental-wasm-relaxed-simd on Node 20)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

if (!process.execArgv.includes('--experimental-wasm-relaxed-simd')) {
  process.exit(spawnSync(process.execPath, ['--experimental-wasm-relaxed-simd', fileURLToPath(import.meta.url)], { stdio: 'inherit' }).status ?? 1);
}
mkdirSync('out', { recursive: true });
execFileSync('node_modules/.bin/asc', ['bench/fp_peak.ts', '--enable', 'simd,relaxed-simd', '-O3', '--noAssert', '-o', 'out/fp_peak.wasm']);
const { instance } = await WebAssembly.instantiate(readFileSync('out/fp_peak.wasm'), { env: { abort() {} } });
const k = instance.exports, n = 2e7;
const cpu = execFileSync('lscpu').toString().match(/Model name:\s*(.*)/)?.[1] ?? '?';
const fam = readFileSync('/proc/cpuinfo', 'utf8').match(/cpu family\s*:\s*(\d+)/)?.[1] ?? '?';
console.log(`f32x4 peak, ${cpu} (cpu family ${fam}), Node ${process.version}; best of 5 by CPU time\n| accumulators | mul + add (SIMD128) GFLOP/s | relaxed_madd GFLOP/s |\n|---|---|---|`);
for (const acc of [8, 12]) {
  const g = ['plain', 'fma'].map((kind) => {
    const f = k[`${kind}${acc}`];
    f(1000, 0.5);
    let best = Infinity;
    for (let r = 0; r < 5; r++) { const t = process.cpuUsage(); f(n, 0.5); const d = process.cpuUsage(t); best = Math.min(best, (d.user + d.system) / 1e6); }
    return (n * acc * 8) / best / 1e9;
  });
  console.log(`| ${acc} | ${g[0].toFixed(1)} | ${g[1].toFixed(1)} |`);
}
