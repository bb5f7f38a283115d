// W6 (shared/BENCHMARKING.md): LSTM(64) over 50 steps x 32 features, batch 1, last hidden state;
// latency. --cell=gru: the same workload with GRU(64) (PyTorch's reset-after GRU = ONNX
// linear_before_reset=1; tfjs-layers has no reset-after GRU, so no tfjs peer there).
// Runtimes in the same process, interleaved round by round:
//   axon-simd / axon-relaxed  a Sequential with one lstm layer; model.session(1), then per call: write
//                             the input into the session's input buffer, session.run('predict', 1),
//                             read the 64 outputs
//   ort-web                   onnxruntime-web wasm EP, numThreads = 1, one ONNX LSTM node (weights as
//                             initializers, gate blocks reordered to ONNX's i o f c), output Y_h
//   tfjs-wasm                 @tensorflow/tfjs-backend-wasm, setThreadsCount(1), tf.layers.lstm model
//                             (kernel (I, 4H) = W_ih^T, one bias = b_ih + b_hh), predict + dataSync
// Same PyTorch-style weights (uniform ±1/sqrt(64), seeded) everywhere; every runtime's output is
// checked against a float64 JS LSTM before it is timed.
// Usage: node bench/lstm.mjs [--rounds=N] [--ms=M] [--cell=lstm|gru]   (needs `npm run build`; re-executes itself
// under --experimental-wasm-relaxed-simd --no-liftoff for the relaxed build, as bench/gemm.mjs)
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
const arg = (name, def) => { const a = process.argv.find((x) => x.startsWith(`--${name}=`)); return a ? Number(a.slice(name.length + 3)) : def; };
const ROUNDS = arg('rounds', 5), MS = arg('ms', 400);
const CELL = process.argv.find((x) => x.startsWith('--cell='))?.slice(7) ?? 'lstm', GRU = CELL === 'gru', G = GRU ? 3 : 4;
if (CELL !== 'lstm' && !GRU) throw new Error(`--cell must be lstm or gru, got ${CELL}`);
const root = fileURLToPath(new URL('..', import.meta.url));
const T = 50, I = 32, H = 64;

// ---- same data everywhere ----
function lcg(seed) { let s = seed >>> 0; return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32); }
const uni = (n, seed, k) => { const r = lcg(seed); return Float32Array.from({ length: n }, () => (r() * 2 - 1) * k); };
const k = 1 / Math.sqrt(H);
const W = { wih: uni(G * H * I, 1, k), whh: uni(G * H * H, 2, k), bih: uni(G * H, 3, k), bhh: uni(G * H, 4, k) };
const X = uni(T * I, 5, 1);

const sig = (v) => 1 / (1 + Math.exp(-v));
/** PyTorch GRU: r z n gates, n = tanh(W_in x + b_in + r (W_hn h + b_hn)), h = (1 - z) n + z h. */
function referenceGru() {
  let h = new Float64Array(H);
  const dot = (w, r, v, n) => { let s = 0; for (let q = 0; q < n; q++) s += w[r * n + q] * v[q]; return s; };
  for (let t = 0; t < T; t++) {
    const x = X.subarray(t * I, t * I + I), hn = new Float64Array(H);
    for (let j = 0; j < H; j++) {
      const r = sig(W.bih[j] + dot(W.wih, j, x, I) + W.bhh[j] + dot(W.whh, j, h, H));
      const z = sig(W.bih[H + j] + dot(W.wih, H + j, x, I) + W.bhh[H + j] + dot(W.whh, H + j, h, H));
      const n = Math.tanh(W.bih[2 * H + j] + dot(W.wih, 2 * H + j, x, I) + r * (W.bhh[2 * H + j] + dot(W.whh, 2 * H + j, h, H)));
      hn[j] = (1 - z) * n + z * h[j];
    }
    h = hn;
  }
  return h;
}
function reference() {
  if (GRU) return referenceGru();
  let h = new Float64Array(H), c = new Float64Array(H);
  for (let t = 0; t < T; t++) {
    const a = new Float64Array(4 * H);
    for (let r = 0; r < 4 * H; r++) {
      let s = W.bih[r] + W.bhh[r];
      for (let q = 0; q < I; q++) s += W.wih[r * I + q] * X[t * I + q];
      for (let q = 0; q < H; q++) s += W.whh[r * H + q] * h[q];
      a[r] = s;
    }
    const hn = new Float64Array(H);
    for (let j = 0; j < H; j++) {
      c[j] = sig(a[H + j]) * c[j] + sig(a[j]) * Math.tanh(a[2 * H + j]);
      hn[j] = sig(a[3 * H + j]) * Math.tanh(c[j]);
    }
    h = hn;
  }
  return h;
}
const REF = reference();
function check(name, y) {
  let d = 0;
  for (let j = 0; j < H; j++) d = Math.max(d, Math.abs(y[j] - REF[j]));
  if (!(d < 1e-4)) throw new Error(`${name}: output differs from the float64 reference by ${d}`);
  return d;
}

/** Reorders gate blocks (H rows of `cols`): out block q = in block order[q]. */
const reorder = (w, cols, order) => { const y = new Float32Array(w.length), b = H * cols; order.forEach((s, q) => y.set(w.subarray(s * b, (s + 1) * b), q * b)); return y; };
const transpose = (w, rows, cols) => { const y = new Float32Array(w.length); for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) y[c * rows + r] = w[r * cols + c]; return y; };

// ---- runtimes ----
async function axon(build) {
  const { Sequential, layers, loadEngine } = await import('../dist/node.js');
  const engine = await loadEngine({ build });
  const m = new Sequential({ inputShape: [T, I], engine }).add(layers[CELL]({ units: H, name: 'rnn' }));
  m.setWeights({ 'rnn.weight_ih': W.wih, 'rnn.weight_hh': W.whh, 'rnn.bias_ih': W.bih, 'rnn.bias_hh': W.bhh });
  const s = await m.session(1);
  const run = () => {
    s.bound.f32(s.x).set(X);
    s.run('predict', 1);
    return s.bound.f32(s.output).slice(0, H);
  };
  return { name: `axon-${engine.build}`, run };
}

// Minimal ONNX protobuf writer: one LSTM (GRU) node, X an input, W R B initializers, output Y_h only.
function onnxLstm() {
  const cat = (...parts) => { const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0)); let o = 0; for (const p of parts) { out.set(p, o); o += p.length; } return out; };
  const varint = (v) => { const o = []; do { let b = v % 128; v = Math.floor(v / 128); if (v) b |= 0x80; o.push(b); } while (v); return o; };
  const int = (no, v) => cat(varint(no << 3), varint(v));
  const len = (no, payload) => cat(varint((no << 3) | 2), varint(payload.length), payload);
  const str = (no, s) => len(no, new TextEncoder().encode(s));
  const dims = (ds) => len(2, cat(...ds.map((d) => len(1, int(1, d)))));
  const valueInfo = (no, name, ds) => len(no, cat(str(1, name), len(2, len(1, cat(int(1, 1), dims(ds))))));
  const tensor = (name, ds, v) => len(5, cat(...ds.map((d) => int(1, d)), int(2, 1), str(8, name), len(9, new Uint8Array(v.buffer, v.byteOffset, v.byteLength))));
  const order = GRU ? [1, 0, 2] : [0, 3, 1, 2]; // ONNX z r h from PyTorch r z n; ONNX i o f c from PyTorch i f g o
  const B = new Float32Array(2 * G * H); B.set(reorder(W.bih, 1, order)); B.set(reorder(W.bhh, 1, order), G * H);
  const hidden = len(5, cat(str(1, 'hidden_size'), int(3, H), int(20, 2)));
  const lbr = GRU ? len(5, cat(str(1, 'linear_before_reset'), int(3, 1), int(20, 2))) : new Uint8Array(0);
  const node = len(1, cat(str(1, 'X'), str(1, 'W'), str(1, 'R'), str(1, 'B'), str(2, ''), str(2, 'Y_h'), str(4, GRU ? 'GRU' : 'LSTM'), hidden, lbr));
  const graph = cat(node, str(2, 'w6'), tensor('W', [1, G * H, I], reorder(W.wih, I, order)), tensor('R', [1, G * H, H], reorder(W.whh, H, order)), tensor('B', [1, 2 * G * H], B),
    valueInfo(11, 'X', [T, 1, I]), valueInfo(12, 'Y_h', [1, 1, H]));
  return cat(int(1, 8), str(2, 'axon-bench'), len(7, graph), len(8, cat(str(1, ''), int(2, 17))));
}

async function ortWeb() {
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  ort.env.logLevel = 'error';
  const s = await ort.InferenceSession.create(onnxLstm(), { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const run = async () => (await s.run({ X: new ort.Tensor('float32', X, [T, 1, I]) })).Y_h.data;
  return { name: 'ort-web', run, async: true, version: `onnxruntime-web ${version('onnxruntime-web')} (numThreads ${ort.env.wasm.numThreads})` };
}

async function tfjsWasm() {
  const tf = await import('@tensorflow/tfjs-core');
  const tfl = await import('@tensorflow/tfjs-layers');
  const w = await import('@tensorflow/tfjs-backend-wasm');
  w.setWasmPaths(join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist/'));
  w.setThreadsCount(1);
  if (!(await tf.setBackend('wasm'))) throw new Error('tfjs: wasm backend failed to initialize');
  await tf.ready();
  const m = tfl.sequential();
  m.add(tfl.layers.lstm({ units: H, inputShape: [T, I], recurrentActivation: 'sigmoid', kernelInitializer: 'zeros', recurrentInitializer: 'zeros' })); // weights set below (its orthogonal init fails on the wasm backend); tfjs defaults to hardSigmoid gates
  const b = W.bih.map((v, q) => v + W.bhh[q]);
  m.setWeights([tf.tensor2d(transpose(W.wih, 4 * H, I), [I, 4 * H]), tf.tensor2d(transpose(W.whh, 4 * H, H), [H, 4 * H]), tf.tensor1d(b)]);
  const run = () => { const x = tf.tensor3d(X, [1, T, I]); const y = m.predict(x); const d = y.dataSync(); x.dispose(); y.dispose(); return d; };
  return { name: 'tfjs-wasm', run, version: `tfjs-backend-wasm ${version('@tensorflow/tfjs-backend-wasm')} (threads ${w.getThreadsCount()}, simd ${tf.env().getBool('WASM_HAS_SIMD_SUPPORT')})` };
}

function version(pkg) { return JSON.parse(readFileSync(join(root, 'node_modules', pkg, 'package.json'), 'utf8')).version; }

async function median(r) {
  for (let q = 0; q < 5; q++) await r.run();
  const t = [], end = performance.now() + MS;
  while (performance.now() < end || t.length < 20) { const t0 = performance.now(); if (r.async) await r.run(); else r.run(); t.push(performance.now() - t0); }
  t.sort((a, b) => a - b);
  return t[t.length >> 1];
}

const runtimes = [await axon('simd'), await axon('relaxed'), await ortWeb(), ...(GRU ? [] : [await tfjsWasm()])];
for (const r of runtimes) r.err = check(r.name, await r.run());
const times = new Map(runtimes.map((r) => [r.name, []]));
for (let round = 0; round < ROUNDS; round++) for (const r of runtimes) times.get(r.name).push(await median(r));

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
console.log(`W6 ${CELL.toUpperCase()}(${H}) over ${T} steps x ${I} features, batch 1, last hidden state; ${ROUNDS} interleaved rounds of >= ${MS} ms each`);
console.log(`node ${process.version}, ${cpu}; ${runtimes.filter((r) => r.version).map((r) => r.version).join(', ')}`);
const ax = times.get('axon-simd').slice().sort((a, b) => a - b)[ROUNDS >> 1];
console.log('| runtime | median ms | min | max | vs axon-simd | max abs err vs f64 |');
console.log('|---|---|---|---|---|---|');
for (const r of runtimes) {
  const v = times.get(r.name).slice().sort((a, b) => a - b), med = v[ROUNDS >> 1];
  console.log(`| ${r.name} | ${med.toFixed(4)} | ${v[0].toFixed(4)} | ${v.at(-1).toFixed(4)} | ${(med / ax).toFixed(2)}x | ${r.err.toExponential(1)} |`);
}
