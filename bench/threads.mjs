// T2 (shared/BENCHMARKING.md): Axon with 2 threads against 1 thread, same process, interleaved
// rounds (A B A B ...): W1 GEMM 1024 (f32_gemm__simd called directly), W3 LeNet b64 inference,
// W4 MobileNet-v1-like b1, W5 training steps (MLP 784-128-10, Adam 1e-3, batch 32, random data
// standing in for Fashion-MNIST: the arithmetic is the same), MobileNetV2 b1 (nsfwjs, f32 and
// int8 post-training quantized), and the latency-bound W2 b1 (784-256-128-10) and W6 (LSTM(64),
// 50 x 32, b1) that must not get slower with threads on. Peers at 1 and 2 threads, each thread
// count in its own child process (their thread counts are per process): tfjs-backend-wasm
// setThreadsCount(n) and onnxruntime-web numThreads = n on W1, W3 b64 and W4 b1 (bench/cnn.mjs's
// models, Axon's weights), onnxruntime-web on MobileNetV2 f32 (Axon's import exported to ONNX).
// Every Axon pair is checked bit-identical before timing.
// Usage: node bench/threads.mjs [--rounds=N] [--only=W1,W3,...] [--no-peers]   (after npm run build)
import os from 'node:os';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { arg, med, randn } from './kit.mjs';

const ROUNDS = Number(arg('rounds', '9'));
const peer = arg('peer', '');
const now = () => performance.now();
/** ms per call of fn, timed over ~ms milliseconds */
async function time(fn, ms = 60) {
  let calls = 0; const t0 = now();
  while (calls < 1 || now() - t0 < ms) { await fn(); calls++; }
  return (now() - t0) / calls;
}

if (peer) { // child process: one peer at one thread count on one workload
  const [name, th, work] = peer.split(':'), threads = Number(th);
  let run;
  if (work === 'w1') {
    const n = 1024, A = randn(n * n, 1), B = randn(n * n, 2);
    if (name === 'tfjs') {
      const tf = await import('@tensorflow/tfjs-core'), w = await import('@tensorflow/tfjs-backend-wasm');
      w.setWasmPaths(fileURLToPath(new URL('../node_modules/@tensorflow/tfjs-backend-wasm/dist/', import.meta.url)));
      w.setThreadsCount(threads);
      await tf.setBackend('wasm'); await tf.ready();
      const b = tf.tensor2d(B, [n, n]);
      run = () => { const a = tf.tensor2d(A, [n, n]), c = tf.matMul(a, b); c.dataSync(); a.dispose(); c.dispose(); };
      run.info = `threads=${w.getThreadsCount()} multithread=${await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')}`;
    } else {
      const ort = await import('onnxruntime-web');
      ort.env.wasm.numThreads = threads; ort.env.logLevel = 'error';
      const { onnxMatMul } = await import('./onnx-matmul.mjs');
      const s = await ort.InferenceSession.create(onnxMatMul(n, B), { executionProviders: ['wasm'] });
      run = async () => { const r = await s.run({ A: new ort.Tensor('float32', A, [n, n]) }); r.C.data; };
      run.info = `numThreads=${ort.env.wasm.numThreads}`;
    }
  } else if (work === 'w3' || work === 'w4') {
    const { runtimeFor, SHAPES, input } = await import('./cnn.mjs');
    const r = await runtimeFor(name === 'tfjs' ? 'tfjs-wasm' : 'ort-web', threads), model = work === 'w3' ? 'lenet' : 'mobilenet', n = work === 'w3' ? 64 : 1;
    const x = input(n, SHAPES[model].reduce((a, b) => a * b, 1));
    const f = await r.predict(model, x, n);
    run = () => f(x);
    run.info = r.info;
  } else { // mnv2: onnxruntime-web on the nsfwjs MobileNetV2 as Axon imports it, exported to ONNX (NHWC input)
    const ort = await import('onnxruntime-web');
    ort.env.wasm.numThreads = threads; ort.env.logLevel = 'error';
    const { mobilenetV2 } = await import('./threads_models.mjs');
    const { model, x } = await mobilenetV2(1);
    const { exportOnnx } = await import('../dist/node.js');
    const s = await ort.InferenceSession.create(await exportOnnx(model), { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    const xt = new ort.Tensor('float32', x.data, x.shape);
    run = async () => { const o = await s.run({ [s.inputNames[0]]: xt }); o[s.outputNames[0]].data; };
    run.info = `numThreads=${ort.env.wasm.numThreads}`;
  }
  await time(run, 300);
  const ts = []; for (let r = 0; r < ROUNDS; r++) ts.push(await time(run, 80));
  process.stdout.write(JSON.stringify({ ms: med(ts), info: run.info }) + '\n');
  process.exit(0);
}

const { loadEngine, Sequential, layers, Tensor } = await import('../dist/node.js');
const engines = { 1: await loadEngine({ threads: 1 }), 2: await loadEngine({ threads: 2 }) };
if (!engines[2].threaded) throw new Error('no threaded build here');
await engines[2].startThreads();
console.log(`T2 threads; node ${process.version}; ${os.cpus()[0]?.model}; ${os.availableParallelism()} cores (shared machine); build ${engines[1].build}`);

// ---- workloads: each returns a () => output for one engine ----
function gemm(e, n = 1024) {
  const k = e.kernels, a = e.alloc(4 * n * n), b = e.put(randn(n * n, 2)), c = e.alloc(4 * n * n), s = e.alloc(4 * k.gemm_scratch_floats(n, n, n));
  const A = randn(n * n, 1), C = new Float32Array(n * n);
  // (C read back into a buffer made once: a fresh 4 MB array per call makes the GC pause the calling
  // thread mid-job, which a 2-thread run feels twice: 57–85 GFLOP/s from run to run instead of 86–88)
  return () => { e.write(a, A); k.f32_gemm__simd(c, a, b, s, n, n, n, 0, 0, 0); C.set(e.f32(c, n * n)); return C; };
}
async function predictor(e, build, shape, batch) {
  const m = build(new Sequential({ inputShape: shape, seed: 7, engine: e }));
  const x = new Tensor(randn(batch * shape.reduce((p, q) => p * q), 3), [batch, ...shape]);
  await m.predict(x, { batchSize: batch });
  await m.sess.bound.engine.startThreads();
  return async () => (await m.predict(x, { batchSize: batch })).data;
}
const lenet = (m) => m.add(layers.conv2d({ filters: 6, kernelSize: 5, padding: 'same', activation: 'relu' })).add(layers.maxPool2d({ poolSize: 2 }))
  .add(layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' })).add(layers.maxPool2d({ poolSize: 2 }))
  .add(layers.flatten()).add(layers.dense({ units: 120, activation: 'relu' })).add(layers.dense({ units: 84, activation: 'relu' })).add(layers.dense({ units: 10, activation: 'softmax' }));
const w2 = (m) => m.add(layers.dense({ units: 256, activation: 'relu' })).add(layers.dense({ units: 128, activation: 'relu' })).add(layers.dense({ units: 10, activation: 'softmax' }));
const w6 = (m) => m.add(layers.lstm({ units: 64 }));
async function trainer(e) {
  const m = new Sequential({ inputShape: [784], seed: 7, engine: e }).add(layers.dense({ units: 128, activation: 'relu' })).add(layers.dense({ units: 10, activation: 'softmax' }));
  m.compile({ optimizer: { type: 'adam', lr: 1e-3 }, loss: 'sparseCategoricalCrossentropy' });
  const n = 1024, x = new Tensor(randn(n * 784, 4), [n, 784]), y = new Tensor(Int32Array.from({ length: n }, (_, i) => (i * 7) % 10), [n]);
  await m.fit(x, y, { epochs: 1, batchSize: 32, shuffle: false });
  await m.sess.bound.engine.startThreads();
  // (a fresh model per run would re-initialize; continuing training is the same work per epoch)
  return async () => { await m.fit(x, y, { epochs: 1, batchSize: 32, shuffle: false }); return m.getWeights().get(m.layers[0].name + '.kernel') ?? new Float32Array(); };
}

async function mnv2(e, int8) {
  const { mobilenetV2 } = await import('./threads_models.mjs');
  const { model, q, x } = await mobilenetV2(1, e, int8);
  const m = int8 ? q : model;
  await m.predict(x);
  await m.sess.bound.engine.startThreads();
  return async () => (await m.predict(x)).data;
}
const { mobilenet: cnnMobilenet } = await import('./cnn.mjs');
const mobilenet = (m) => { for (const l of cnnMobilenet(layers)) m.add(l); return m; };

const W = [
  ['W1 GEMM 1024', (e) => gemm(e), (ms) => `${(2 * 1024 ** 3 / ms / 1e6).toFixed(1)} GFLOP/s`],
  ['W3 LeNet b64', (e) => predictor(e, lenet, [28, 28, 1], 64), (ms) => `${Math.round(64 / ms * 1000)} samples/s`],
  ['W4 MobileNet-v1-like b1', (e) => predictor(e, mobilenet, [96, 96, 3], 1), (ms) => `${ms.toFixed(2)} ms`],
  ['MobileNetV2 (nsfwjs) f32 b1', (e) => mnv2(e, false), (ms) => `${ms.toFixed(1)} ms`],
  ['MobileNetV2 (nsfwjs) int8 b1', (e) => mnv2(e, true), (ms) => `${ms.toFixed(1)} ms`],
  ['W5 MLP training (1024 samples/epoch)', (e) => trainer(e), (ms) => `${Math.round(1024 / ms * 1000)} samples/s`],
  ['W2 b1', (e) => predictor(e, w2, [784], 1), (ms) => `${(ms * 1000).toFixed(1)} µs`],
  ['W6 LSTM(64) b1', (e) => predictor(e, w6, [50, 32], 1), (ms) => `${(ms * 1000).toFixed(0)} µs`],
];
const only = arg('only', '').split(',').filter(Boolean);
const picked = (name) => !only.length || only.some((k) => name.startsWith(k) || name.includes(k));
const rows = [];
for (const [name, make, fmt] of W.filter(([name]) => picked(name))) {
  const f1 = await make(engines[1]), f2 = await make(engines[2]);
  const o1 = await f1(), o2 = await f2();
  const same = o1.length === o2.length && new Uint32Array(o1.buffer, o1.byteOffset, o1.length).every((v, i) => v === new Uint32Array(o2.buffer, o2.byteOffset, o2.length)[i]);
  if (!same) throw new Error(`${name}: 2 threads differ from 1 thread`);
  const t = { 1: [], 2: [] };
  // warm-up: 1.5 s each (a new session's workers run their first hundreds of calls before V8's
  // optimized code, and their tier-up compiles run on a core of their own meanwhile: bench/threads_profile.mjs)
  const warm = await time(f1, 1500);
  await time(f2, 1500);
  // (the speedup: the median of the rounds' ratios, each round a 1T and a 2T window back to back, so
  // that a drift of the shared host cancels; µs workloads get 3x the rounds: their windows are noisier)
  const rounds = warm < 1 ? 3 * ROUNDS : ROUNDS, ratios = [];
  for (let r = 0; r < rounds; r++) {
    const w = {};
    for (const th of r % 2 ? [2, 1] : [1, 2]) t[th].push(w[th] = await time(th === 1 ? f1 : f2));
    ratios.push(w[1] / w[2]);
  }
  const m1 = med(t[1]), m2 = med(t[2]);
  rows.push(`| ${name} | ${fmt(m1)} | ${fmt(m2)} | ${med(ratios).toFixed(2)}x |`);
  console.log(rows.at(-1));
}
console.log('\n| workload | 1 thread | 2 threads | speedup |\n|---|---|---|---|\n' + rows.join('\n'));
// peers: [label, peer, workload, format of ms]
const PEERS = [
  ['W1 GEMM 1024', 'w1', (ms) => `${(2 * 1024 ** 3 / ms / 1e6).toFixed(1)} GFLOP/s`],
  ['W3 LeNet b64', 'w3', (ms) => `${Math.round(64 / ms * 1000)} samples/s`],
  ['W4 MobileNet-v1-like b1', 'w4', (ms) => `${ms.toFixed(2)} ms`],
  ['MobileNetV2 (nsfwjs) f32 b1', 'mnv2', (ms) => `${ms.toFixed(1)} ms`],
];
for (const [label, work, fmt] of PEERS.filter(([label]) => picked(label) && !process.argv.includes('--no-peers'))) for (const p of work === 'mnv2' ? ['ort'] : ['tfjs', 'ort']) {
  const r = {};
  for (const th of [1, 2]) {
    const c = spawnSync(process.execPath, [fileURLToPath(import.meta.url), `--peer=${p}:${th}:${work}`, `--rounds=${ROUNDS}`], { encoding: 'utf8', maxBuffer: 1 << 26 });
    try { r[th] = JSON.parse(c.stdout.trim().split('\n').at(-1)); } catch { r[th] = { err: (c.stderr || c.stdout).trim().split('\n').slice(-2).join(' ') }; }
  }
  const g = (x) => (x.ms ? `${fmt(x.ms)} (${x.info})` : `failed: ${x.err}`);
  console.log(`| ${label} ${p === 'tfjs' ? 'tfjs-backend-wasm' : 'onnxruntime-web'} | ${g(r[1])} | ${g(r[2])} | ${r[1].ms && r[2].ms ? (r[1].ms / r[2].ms).toFixed(2) + 'x' : '–'} |`);
}
process.exit(0);
