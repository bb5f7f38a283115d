// int8 GEMM vs f32 GEMM of the same build, n x n x n for n in {256, 512, 1024}, one run:
//   simd build     in this process: f32_gemm__simd vs qs8_gemm_fwd__simd (widening + i32x4.dot_i16x8_s)
//   relaxed build  in a child `node --experimental-wasm-relaxed-simd --no-liftoff`: f32_gemm__simd
//                  (relaxed_madd) vs qs8_gemm_fwd__relaxed (relaxed int8 dot, 7-bit weights), and
//                  the same kernel with full 8-bit weights (it falls back to the SIMD128 layout).
// Dense-layer shapes: C (n, n) = A (n, n) . W^T with W stored (n, n) (f32: transB = 1, packed per
// call by the f32 kernel; int8: W packed once, as at model load). GOP/s = GFLOP/s = 2 n^3 / t,
// best call over interleaved rounds after warm-up (see race). The int8 output is checked against qs8_gemm_fwd__ref
// (within 1 LSB) at n = 256 before timing. Goals: int8 >= 1.25x f32 (simd), >= 1.4x (relaxed).
// Usage: npm run build && node bench/q8.mjs [--sizes=256,512,1024] [--seconds=0.6]
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import os from 'node:os';

const arg = (name, def) => process.argv.find((x) => x.startsWith(`--${name}=`))?.slice(name.length + 3) ?? def;
const SIZES = arg('sizes', '256,512,1024').split(',').map(Number);
const SECONDS = Number(arg('seconds', '0.6'));
const CHILD = arg('child', '');

function rng(seed) { let s = seed >>> 0 || 1; return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 4294967296; }; }

async function load(build) {
  const bytes = readFileSync(new URL(`../build/axon.${build}.wasm`, import.meta.url));
  const { instance } = await WebAssembly.instantiate(bytes, {});
  const k = instance.exports;
  if (k.selftest_relaxed() !== 1) throw new Error(`${build} build failed its relaxed-SIMD self-test (run with --no-liftoff)`);
  const u8 = (p, n) => new Uint8Array(k.memory.buffer, p, n);
  const alloc = (n) => { const p = k.arena_alloc(n) >>> 0; if (!p) throw new Error('out of wasm memory'); return p; };
  const put = (arr) => { const p = alloc(arr.byteLength); u8(p, arr.byteLength).set(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength)); return p; };
  return { k, u8, alloc, put };
}

/**
 * Best seconds per call of each fn: warm-up, then ROUNDS rounds that run every fn in turn for
 * ~SECONDS/ROUNDS each, so background load hits all of them alike; the best call is the one
 * least disturbed by other processes on a shared machine.
 */
const ROUNDS = 5;
function race(fns) {
  for (const f of fns) { f(); f(); }
  const best = fns.map(() => Infinity);
  for (let r = 0; r < ROUNDS; r++) {
    fns.forEach((f, i) => {
      const end = performance.now() + (SECONDS * 1000) / ROUNDS;
      let n = 0;
      while (n < 2 || performance.now() < end) { const t = performance.now(); f(); best[i] = Math.min(best[i], performance.now() - t); n++; }
    });
  }
  return best.map((ms) => ms / 1000);
}

async function measure(build) {
  const { k, u8, alloc, put } = await load(build);
  const rows = [];
  for (const n of SIZES) {
    k.arena_reset(k.arena_base());
    const r = rng(n);
    const af = Float32Array.from({ length: n * n }, () => r() * 2 - 1), wf = Float32Array.from({ length: n * n }, () => r() * 2 - 1);
    const fa = put(af), fw = put(wf), fc = alloc(4 * n * n), fs = alloc(4 * k.gemm_scratch_floats(n, n, n));
    const fns = [() => k.f32_gemm__simd(fc, fa, fw, fs, n, n, n, 0, 1, 0)], names = ['f32'];

    const a8 = Int8Array.from({ length: n * n }, () => Math.floor(r() * 256) - 128);
    const variants = build === 'relaxed' ? [['relaxed', 7], ['relaxed', 8]] : [['simd', 8]];
    for (const [isa, bits] of variants) {
      const half = 1 << (bits - 1);
      const w8 = Int8Array.from({ length: n * n }, () => Math.floor(r() * (2 * half - 1)) - half + 1);
      const bias = Int32Array.from({ length: n }, () => Math.floor(r() * 2000) - 1000);
      const sw = Float32Array.from({ length: n }, () => 0.004 + r() * 0.004);
      const pa = put(a8), pw = put(w8), pb = put(bias), ps = put(sw);
      const wp = alloc(k.qs8_pack_w_bytes(n, n)), scratch = alloc(k.qs8_gemm_scratch_bytes(n, n, n)), c = alloc(n * n);
      k[`qs8_pack_w__${isa}`](wp, pw, pb, ps, n, n);
      if (k.qs8_packed_is_relaxed(wp) !== (build === 'relaxed' && bits === 7 ? 1 : 0)) throw new Error(`unexpected packed layout for ${build}/${bits}-bit weights`);
      const sa = 0.05, sc = 0.05 * 0.006 * Math.sqrt(n) * 60, za = 3, zc = -2;
      const run = () => k[`qs8_gemm_fwd__${isa}`](c, pa, wp, scratch, n, n, n, za, sa, sc, zc, -128, 127);
      if (n === 256) {
        run();
        const got = Int8Array.from(u8(c, n * n)), cr = alloc(n * n);
        k.qs8_gemm_fwd__ref(cr, pa, pw, pb, ps, n, n, n, za, sa, sc, zc, -128, 127);
        const want = Int8Array.from(u8(cr, n * n));
        let worst = 0; for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
        if (worst > 1) throw new Error(`${build} qs8_gemm_fwd__${isa}: off by ${worst} LSB from the reference`);
      }
      fns.push(run); names.push(build === 'relaxed' && bits === 8 ? 'i8w8' : 'i8');
    }
    const row = { build, n };
    race(fns).forEach((t, i) => { row[names[i]] = (2 * n ** 3) / t / 1e9; });
    rows.push(row);
  }
  return rows;
}

if (CHILD) {
  process.stdout.write(JSON.stringify(await measure(CHILD)) + '\n');
} else {
  const simd = await measure('simd');
  const flags = ['--experimental-wasm-relaxed-simd', '--no-liftoff'];
  const child = spawnSync(process.execPath, [...flags, fileURLToPath(import.meta.url), '--child=relaxed', ...process.argv.slice(2)], { encoding: 'utf8' });
  if (child.status !== 0) { console.error(child.stderr); process.exit(1); }
  const relaxed = JSON.parse(child.stdout.trim().split('\n').pop());
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log(`int8 GEMM vs f32 GEMM, n x n x n, single thread, Node ${process.versions.node}, ${cpu}`);
  console.log('| build | n | f32 GFLOP/s | int8 GOP/s | int8 / f32 | goal | int8, 8-bit weights (fallback) GOP/s |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of [...simd, ...relaxed]) {
    const goal = r.build === 'simd' ? 1.25 : 1.4;
    const ratio = r.i8 / r.f32;
    console.log(`| ${r.build} | ${r.n} | ${r.f32.toFixed(1)} | ${r.i8.toFixed(1)} | ${ratio.toFixed(2)}x | ${goal}x ${ratio >= goal ? 'met' : 'MISSED'} | ${r.i8w8 ? r.i8w8.toFixed(1) : '-'} |`);
  }
}
