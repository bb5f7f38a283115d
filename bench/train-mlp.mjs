// W5 (BENCHMARKING.md): training MLP 784-128-10 (ReLU, softmax), Adam(1e-3), batch 32,
// cross-entropy, on the first 6,016 Fashion-MNIST training images. Every runtime starts from the
// same weights (seeded Glorot uniform, written into each), sees the same batches (no shuffling),
// runs in its own fresh process, twice, interleaved. Reports samples/s per epoch (median over
// epochs 2..E and runs) and the loss per epoch, which must agree across runtimes (same job).
//   node bench/train-mlp.mjs [epochs=3]       (after npm run build; Debian dataset-fashion-mnist)
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import os from 'node:os';

const root = fileURLToPath(new URL('..', import.meta.url));
const N = 6016, IN = 784, H = 128, OUT = 10, BATCH = 32;
const RUNTIMES = ['axon', 'tfjs-wasm', 'tfjs-cpu'];

async function data() {
  const { parseIdx, gunzipIfNeeded } = await import('../dist/node.js');
  const dir = '/usr/share/datasets/fashion-mnist/';
  const xi = parseIdx(await gunzipIfNeeded(readFileSync(dir + 'train-images-idx3-ubyte.gz')), 'images');
  const yi = parseIdx(await gunzipIfNeeded(readFileSync(dir + 'train-labels-idx1-ubyte.gz')), 'labels');
  const x = new Float32Array(N * IN);
  for (let i = 0; i < x.length; i++) x[i] = xi.data[i] / 255;
  return { x, y: Int32Array.from(yi.data.subarray(0, N)) };
}

/** Glorot-uniform weights, (out, in) row-major, from a fixed LCG so every runtime gets the same. */
function weights() {
  let s = 12345;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  const w1 = Float32Array.from({ length: H * IN }, () => u() * Math.sqrt(6 / (IN + H)));
  const w2 = Float32Array.from({ length: OUT * H }, () => u() * Math.sqrt(6 / (H + OUT)));
  return { w1, w2 };
}
const transpose = (w, rows, cols) => { const t = new Float32Array(w.length); for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = w[r * cols + c]; return t; };

async function runAxon(epochs) {
  const { Sequential, layers, Tensor, loadEngine } = await import('../dist/node.js');
  const { x, y } = await data(), { w1, w2 } = weights();
  const engine = await loadEngine();
  const m = new Sequential({ inputShape: [IN], seed: 1, engine });
  m.add(layers.dense({ units: H, activation: 'relu' })).add(layers.dense({ units: OUT, activation: 'softmax' }));
  m.compile({ optimizer: { type: 'adam', lr: 1e-3, eps: 1e-7 }, loss: 'sparseCategoricalCrossentropy' });
  m.setWeights({ 'dense_1.weight': w1, 'dense_1.bias': new Float32Array(H), 'dense_2.weight': w2, 'dense_2.bias': new Float32Array(OUT) });
  const out = [];
  const xt = new Tensor(x, [N, IN]), yt = new Tensor(y, [N]);
  for (let e = 0; e < epochs; e++) {
    const t0 = performance.now();
    const h = await m.fit(xt, yt, { epochs: 1, batchSize: BATCH, shuffle: false });
    out.push({ sps: N / ((performance.now() - t0) / 1000), loss: h.epochs[0].loss });
  }
  return { info: `axon ${engine.build}`, epochs: out };
}

async function runTfjs(epochs, backend) {
  const tf = await import('@tensorflow/tfjs-core');
  const tfl = await import('@tensorflow/tfjs-layers');
  if (backend === 'wasm') {
    const w = await import('@tensorflow/tfjs-backend-wasm');
    w.setWasmPaths(join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist/'));
    w.setThreadsCount(1);
  } else await import('@tensorflow/tfjs-backend-cpu');
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs ${backend} failed`);
  const { x, y } = await data(), { w1, w2 } = weights();
  const m = tfl.sequential({ layers: [tfl.layers.dense({ units: H, activation: 'relu', inputShape: [IN] }), tfl.layers.dense({ units: OUT, activation: 'softmax' })] });
  m.setWeights([tf.tensor2d(transpose(w1, H, IN), [IN, H]), tf.zeros([H]), tf.tensor2d(transpose(w2, OUT, H), [H, OUT]), tf.zeros([OUT])]);
  m.compile({ optimizer: tf.train.adam(1e-3), loss: 'sparseCategoricalCrossentropy' });
  const xt = tf.tensor2d(x, [N, IN]), yt = tf.tensor1d(Float32Array.from(y));
  const out = [];
  for (let e = 0; e < epochs; e++) {
    const t0 = performance.now();
    const h = await m.fit(xt, yt, { epochs: 1, batchSize: BATCH, shuffle: false, verbose: 0 });
    out.push({ sps: N / ((performance.now() - t0) / 1000), loss: h.history.loss[0] });
  }
  return { info: `tfjs ${backend} ${tf.version_core}`, epochs: out };
}

if (process.argv[2] === '--child') {
  const [rt, epochs] = [process.argv[3], Number(process.argv[4])];
  const r = rt === 'axon' ? await runAxon(epochs) : await runTfjs(epochs, rt === 'tfjs-wasm' ? 'wasm' : 'cpu');
  process.stdout.write(JSON.stringify(r));
} else {
  const epochs = Number(process.argv[2] ?? 3);
  const results = Object.fromEntries(RUNTIMES.map((r) => [r, []]));
  for (let round = 0; round < 2; round++) for (const rt of RUNTIMES) {
    const p = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', rt, String(epochs)], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (p.status !== 0) { console.error(`${rt} failed:\n${p.stderr}`); process.exit(1); }
    results[rt].push(JSON.parse(p.stdout));
  }
  const med = (a) => { const s = [...a].sort((p, q) => p - q); return s[Math.floor(s.length / 2)]; };
  console.log(`W5 training MLP ${IN}-${H}-${OUT}, Adam(1e-3), batch ${BATCH}, ${N} Fashion-MNIST images, ${epochs} epochs, 2 fresh processes each`);
  console.log(`machine: ${os.cpus()[0].model}, node ${process.version}`);
  const axon = med(results.axon.flatMap((r) => r.epochs.slice(1).map((e) => e.sps)));
  console.log('| runtime | samples/s (median, epochs 2..) | min | max | loss per epoch (run 1) | Axon / runtime |');
  console.log('|---|---|---|---|---|---|');
  for (const rt of RUNTIMES) {
    const s = results[rt].flatMap((r) => r.epochs.slice(1).map((e) => e.sps));
    const m = med(s);
    console.log(`| ${results[rt][0].info} | ${Math.round(m).toLocaleString('en-US')} | ${Math.round(Math.min(...s)).toLocaleString('en-US')} | ${Math.round(Math.max(...s)).toLocaleString('en-US')} | ${results[rt][0].epochs.map((e) => e.loss.toFixed(4)).join(', ')} | ${(axon / m).toFixed(2)}x |`);
  }
}
