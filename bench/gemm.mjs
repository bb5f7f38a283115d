// W1 (shared/BENCHMARKING.md): f32 GEMM n x n x n, n in {256, 512, 1024}; B resident, A uploaded
// each run, C read back. GFLOP/s = 2 n^3 / t. Runtimes in the same process, interleaved:
//   axon-simd     Axon SIMD128 build, f32_gemm__simd called directly
//   axon-relaxed  Axon relaxed-SIMD build (same kernel, relaxed_madd)
//   js            plain JS Float32Array i-k-j loop (256 and 512 only unless --js1024)
//   tfjs-wasm     @tensorflow/tfjs-backend-wasm, setThreadsCount(1), tf.matMul
//   ort-web       onnxruntime-web wasm EP, numThreads = 1, one-node MatMul model (B an initializer)
// Every runtime's output is checked against a float64 JS reference before it is timed.
// Usage: node bench/gemm.mjs [--sizes=256,512,1024] [--rounds=N] [--js1024]
// (needs `npm run build`; re-executes itself under --experimental-wasm-relaxed-simd --no-liftoff:
// Node 20 needs the first for the relaxed build, and the engine's relaxed self-test needs the second).
import { onnxMatMul } from './onnx-matmul.mjs';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import os from 'node:os';

const FLAGS = ['--experimental-wasm-relaxed-simd', '--no-liftoff'];
if (!FLAGS.every((f) => process.execArgv.includes(f))) {
  const r = spawnSync(process.execPath, [...FLAGS, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const arg = (name, def) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? a.slice(name.length + 3) : def;
};
const SIZES = arg('sizes', '256,512,1024').split(',').map(Number);
const ROUNDS = Number(arg('rounds', '0')) || null;
const JS1024 = process.argv.includes('--js1024');
const root = fileURLToPath(new URL('..', import.meta.url));
const version = (p) => JSON.parse(readFileSync(join(root, 'node_modules', p, 'package.json'), 'utf8')).version;

// ---------- data and reference ----------
function randn(n, seed) { // xorshift32 + Box-Muller, deterministic
  let s = seed >>> 0 || 1;
  const u = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return (s + 0.5) / 4294967296; };
  const a = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(u())), t = 2 * Math.PI * u();
    a[i] = r * Math.cos(t); if (i + 1 < n) a[i + 1] = r * Math.sin(t);
  }
  return a;
}
function refF64(A, B, n) {
  const C = new Float64Array(n * n), row = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    row.fill(0);
    for (let k = 0; k < n; k++) { const a = A[i * n + k], o = k * n; for (let j = 0; j < n; j++) row[j] += a * B[o + j]; }
    C.set(row, i * n);
  }
  return C;
}
function check(name, got, want) {
  let err = 0, mag = 0;
  for (let i = 0; i < want.length; i++) { err = Math.max(err, Math.abs(got[i] - want[i])); mag = Math.max(mag, Math.abs(want[i])); }
  const rel = err / mag;
  if (!(got.length === want.length && rel < 1e-4)) throw new Error(`${name}: output differs from the f64 reference (max |err| / max |ref| = ${rel})`);
  return rel;
}

// ---------- runtimes ----------
async function axon(build) {
  const { loadEngine } = await import('../dist/node.js');
  const e = await loadEngine({ build });
  if (e.build !== build) throw new Error(`asked for the ${build} build, got ${e.build}`);
  const k = e.kernels;
  return {
    name: `axon-${build}`,
    setup(n, B) {
      e.reset(e.base);
      const a = e.alloc(4 * n * n), b = e.put(B), c = e.alloc(4 * n * n), s = e.alloc(4 * k.gemm_scratch_floats(n, n, n));
      return (A) => { e.write(a, A); k.f32_gemm__simd(c, a, b, s, n, n, n, 0, 0, 0); return e.f32(c, n * n).slice(); };
    },
  };
}

function plainJs() {
  return {
    name: 'js',
    setup(n, B) {
      if (n > 512 && !JS1024) return null;
      const C = new Float32Array(n * n);
      return (A) => {
        C.fill(0);
        for (let i = 0; i < n; i++) {
          const ci = i * n;
          for (let k = 0; k < n; k++) { const a = A[i * n + k], o = k * n; for (let j = 0; j < n; j++) C[ci + j] += a * B[o + j]; }
        }
        return C.slice();
      };
    },
  };
}

async function tfjsWasm() {
  const tf = await import('@tensorflow/tfjs-core');
  const w = await import('@tensorflow/tfjs-backend-wasm');
  w.setWasmPaths(join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist/'));
  w.setThreadsCount(1);
  if (!(await tf.setBackend('wasm'))) throw new Error('tfjs: wasm backend failed to initialize');
  await tf.ready();
  const info = `simd=${tf.env().getBool('WASM_HAS_SIMD_SUPPORT')} threads=${w.getThreadsCount()}`;
  let bT = null;
  return {
    name: 'tfjs-wasm', info,
    setup(n, B) {
      if (bT) bT.dispose();
      bT = tf.tensor2d(B, [n, n]);
      return (A) => {
        const a = tf.tensor2d(A, [n, n]);
        const c = tf.matMul(a, bT);
        const out = c.dataSync().slice();
        a.dispose(); c.dispose();
        return out;
      };
    },
  };
}

async function ortWeb() {
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  ort.env.logLevel = 'error';
  let session = null;
  return {
    name: 'ort-web', info: `numThreads=${ort.env.wasm.numThreads}`,
    async setup(n, B) {
      if (session) await session.release();
      session = await ort.InferenceSession.create(onnxMatMul(n, B), { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
      return async (A) => {
        const r = await session.run({ A: new ort.Tensor('float32', A, [n, n]) });
        const out = r.C.data.slice();
        r.C.dispose?.();
        return out;
      };
    },
  };
}

// ---------- measurement ----------
const stats = (xs) => { const s = [...xs].sort((a, b) => a - b); return { med: s[s.length >> 1], min: s[0], max: s[s.length - 1], n: s.length }; };
const now = () => performance.now();

const runtimes = [await axon('simd'), await axon('relaxed'), plainJs(), await tfjsWasm(), await ortWeb()];
const cpu = os.cpus()[0]?.model ?? '?';
console.log(`W1 f32 GEMM; node ${process.version} ${FLAGS.join(' ')}; ${cpu}; ` +
  `assemblyscript ${version('assemblyscript')}, @tensorflow/tfjs-backend-wasm ${version('@tensorflow/tfjs-backend-wasm')} (${runtimes[3].info}), ` +
  `onnxruntime-web ${version('onnxruntime-web')} (${runtimes[4].info})`);

const results = [];
for (const n of SIZES) {
  const A = randn(n * n, 1), B = randn(n * n, 2);
  const want = refF64(A, B, n);
  const active = [];
  for (const rt of runtimes) {
    const run = await rt.setup(n, B);
    if (!run) continue;
    const rel = check(`${rt.name} n=${n}`, await run(A), want);
    // warm-up: at least 3 calls and ~300 ms
    let t0 = now(), calls = 0;
    while (calls < 3 || now() - t0 < 300) { await run(A); calls++; }
    const est = (now() - t0) / calls;
    active.push({ rt, run, rel, est, times: [], perRound: [] });
  }
  // interleaved rounds; each round gives every runtime ~40 ms (at least one call), order rotating
  const rounds = ROUNDS ?? (n >= 1024 ? 15 : n >= 512 ? 20 : 25);
  for (let r = 0; r < rounds; r++) {
    for (let q = 0; q < active.length; q++) {
      const x = active[(q + r) % active.length];
      if (x.rt.name === 'js' && r % 4 !== 0 && x.times.length >= 3) continue; // the slow one: fewer samples
      const calls = Math.max(1, Math.round(40 / x.est));
      const mine = [];
      for (let c = 0; c < calls; c++) { const t = now(); await x.run(A); mine.push(now() - t); }
      x.times.push(...mine);
      x.perRound[r] = stats(mine).med;
    }
  }
  const flop = 2 * n ** 3;
  const row = { n, by: {}, paired: {} };
  for (const x of active) {
    const s = stats(x.times);
    row.by[x.rt.name] = { med: flop / s.med / 1e6, min: flop / s.max / 1e6, max: flop / s.min / 1e6, iters: s.n, rel: x.rel };
  }
  // paired ratios: per round, peer time / Axon time (both measured within the same ~0.2 s), median over rounds
  const get = (name) => active.find((x) => x.rt.name === name);
  for (const ax of ['axon-simd', 'axon-relaxed']) for (const peer of ['tfjs-wasm', 'ort-web']) {
    const a = get(ax), p = get(peer);
    if (!a || !p) continue;
    const rs = []; for (let r = 0; r < rounds; r++) if (a.perRound[r] && p.perRound[r]) rs.push(p.perRound[r] / a.perRound[r]);
    row.paired[`${ax}/${peer}`] = stats(rs).med;
  }
  results.push(row);
  console.error(`n=${n} done`);
}

const f1 = (v) => (v === undefined ? '–' : v.toFixed(1));
const names = runtimes.map((r) => r.name);
console.log('\nGFLOP/s, median (min–max) over iterations. Ratios: median over rounds of the per-round time ratio (peer / Axon)');
console.log(`| n | ${names.join(' | ')} | axon-simd / tfjs | axon-relaxed / tfjs | axon-simd / ort | axon-relaxed / ort |`);
console.log(`|---|${names.map(() => '---').join('|')}|---|---|---|---|`);
for (const { n, by, paired } of results) {
  const cell = (k) => (by[k] ? `${f1(by[k].med)} (${f1(by[k].min)}–${f1(by[k].max)})` : '–');
  const ratio = (a, b) => (paired[`${a}/${b}`] ? `${paired[`${a}/${b}`].toFixed(2)}×` : '–');
  console.log(`| ${n} | ${names.map(cell).join(' | ')} | ${ratio('axon-simd', 'tfjs-wasm')} | ${ratio('axon-relaxed', 'tfjs-wasm')} | ${ratio('axon-simd', 'ort-web')} | ${ratio('axon-relaxed', 'ort-web')} |`);
}
console.log('\niterations timed / check error:');
for (const { n, by } of results) console.log(`  n=${n}: ` + Object.entries(by).map(([k, v]) => `${k} ${v.iters} / ${v.rel.toExponential(1)}`).join(', '));
