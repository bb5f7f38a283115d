// W3 (LeNet-5-like: conv5x5x6 same, maxpool, conv5x5x16, maxpool, dense 120-84-10 on 28x28x1)
// and W4 (MobileNet-v1-like on 96x96x3: 3x3/2 conv 32, 4 depthwise-separable blocks 64, 128/2,
// 128, 256/2 with ReLU6, global average pool) inference; plus LeNet training samples/s.
// Same weights in every runtime (Axon's seeded init copied into tfjs, exported to ONNX for onnxruntime-web; NHWC/HWIO layouts match,
// Dense (out,in) transposed); outputs compared before timing. One thread; each runtime in its own
// fresh process, twice, interleaved.
//   node bench/cnn.mjs            (after npm run build)
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import os from 'node:os';

const root = fileURLToPath(new URL('..', import.meta.url));
const RUNTIMES = ['axon', 'tfjs-wasm', 'ort-web', 'tfjs-cpu'];

export function lenet(L) {
  return [L.conv2d({ filters: 6, kernelSize: 5, padding: 'same', activation: 'relu' }), L.maxPool2d({ poolSize: 2 }),
    L.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }), L.maxPool2d({ poolSize: 2 }), L.flatten(),
    L.dense({ units: 120, activation: 'relu' }), L.dense({ units: 84, activation: 'relu' }), L.dense({ units: 10, activation: 'softmax' })];
}
export function mobilenet(L) {
  const ls = [L.conv2d({ filters: 32, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu6' })];
  for (const [f, s] of [[64, 1], [128, 2], [128, 1], [256, 2]]) {
    ls.push(L.depthwiseConv2d({ kernelSize: 3, strides: s, padding: 'same', activation: 'relu6' }));
    ls.push(L.conv2d({ filters: f, kernelSize: 1, activation: 'relu6' }));
  }
  ls.push(L.globalAveragePooling2d({}));
  return ls;
}
export const SHAPES = { lenet: [28, 28, 1], mobilenet: [96, 96, 3] };

async function axonModel(name, engine) {
  const { Sequential, layers } = await import('../dist/node.js');
  const m = new Sequential({ inputShape: SHAPES[name], seed: 7, engine });
  for (const l of (name === 'lenet' ? lenet : mobilenet)(layers)) m.add(l);
  return m;
}

export function input(n, size, seed = 3) {
  let s = seed; const a = new Float32Array(n * size);
  for (let i = 0; i < a.length; i++) a[i] = ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  return a;
}

async function timeit(fn, minMs = 400) {
  for (let i = 0; i < 3; i++) await fn();
  const t = [];
  const end = performance.now() + minMs;
  while (performance.now() < end || t.length < 10) { const t0 = performance.now(); await fn(); t.push(performance.now() - t0); }
  t.sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)];
}

/** A runtime's W3/W4 models with Axon's seeded weights; `threads`: Axon's engine, onnxruntime-web's numThreads, tfjs-wasm's setThreadsCount (bench/threads.mjs). */
export async function runtimeFor(rt, threads = 1) {
  const { Tensor, loadEngine } = await import('../dist/node.js');
  const engine = await loadEngine({ threads });
  const models = { lenet: await axonModel('lenet', engine), mobilenet: await axonModel('mobilenet', engine) };
  if (rt === 'axon') {
    return {
      info: `axon ${engine.build}${engine.threaded ? `, ${engine.threads} threads` : ''}`,
      models,
      predict: async (name, x, n) => { const m = models[name]; await m.predict(new Tensor(x, [n, ...SHAPES[name]]), { batchSize: n }); return (xx) => m.predict(new Tensor(xx, [n, ...SHAPES[name]]), { batchSize: n }); },
      out: async (name, x, n) => (await models[name].predict(new Tensor(x, [n, ...SHAPES[name]]), { batchSize: n })).data,
      train: async (x, y, n) => {
        const m = models.lenet; m.compile({ optimizer: { type: 'adam', lr: 1e-3, eps: 1e-7 }, loss: 'sparseCategoricalCrossentropy' });
        const X = new Tensor(x, [n, 28, 28, 1]), Y = new Tensor(y, [n]);
        await m.fit(X, Y, { epochs: 1, batchSize: 32, shuffle: false });
        const t0 = performance.now(); await m.fit(X, Y, { epochs: 1, batchSize: 32, shuffle: false }); return n / ((performance.now() - t0) / 1000);
      },
    };
  }
  if (rt === 'ort-web') {
    // the same Axon models exported to ONNX (NCHW input: onnxruntime's native layout)
    const ort = await import('onnxruntime-web');
    const { exportOnnx } = await import('../dist/node.js');
    ort.env.wasm.numThreads = threads;
    ort.env.logLevel = 'error';
    const sessions = {};
    for (const name of ['lenet', 'mobilenet']) sessions[name] = await ort.InferenceSession.create(await exportOnnx(models[name], { inputLayout: 'nchw' }), { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    const nchw = (x, n, [H, W, C]) => { const t = new Float32Array(x.length); for (let b = 0; b < n; b++) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) for (let c = 0; c < C; c++) t[((b * C + c) * H + h) * W + w] = x[((b * H + h) * W + w) * C + c]; return t; };
    const run = async (name, xt, n) => {
      const s = sessions[name], [H, W, C] = SHAPES[name];
      const r = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', xt, [n, C, H, W]) });
      return r[s.outputNames[0]].data;
    };
    return {
      info: `onnxruntime-web ${ort.env.versions?.web ?? '1.30.0'} wasm, numThreads ${threads}`,
      predict: async (name, x, n) => { const xt = nchw(x, n, SHAPES[name]); return () => run(name, xt, n); },
      out: async (name, x, n) => run(name, nchw(x, n, SHAPES[name]), n),
      train: async () => { throw new Error('no training API'); },
    };
  }
  const tf = await import('@tensorflow/tfjs-core');
  const tfl = await import('@tensorflow/tfjs-layers');
  const backend = rt === 'tfjs-wasm' ? 'wasm' : 'cpu';
  if (backend === 'wasm') {
    const w = await import('@tensorflow/tfjs-backend-wasm');
    w.setWasmPaths(join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist/'));
    w.setThreadsCount(threads);
  } else await import('@tensorflow/tfjs-backend-cpu');
  await tf.setBackend(backend);
  const tfModels = {};
  for (const name of ['lenet', 'mobilenet']) {
    const m = tfl.sequential();
    const ls = (name === 'lenet' ? lenet : mobilenet)(tfl.layers);
    ls[0] = (name === 'lenet' ? lenet : mobilenet)({ ...tfl.layers, conv2d: (o) => tfl.layers.conv2d({ ...o, inputShape: SHAPES[name] }) })[0];
    for (const l of ls) m.add(l);
    // copy Axon's weights: conv HWIO as is, depthwise (KH,KW,1,C) = (KH,KW,C,1) in memory, dense (out,in) → (in,out)
    const w = models[name].getWeights(), axLayers = models[name].layers;
    const vals = [];
    for (const l of axLayers) for (const p of l.params) {
      const v = w.get(`${l.name}.${p.name}`);
      if (l.type === 'dense' && p.name === 'weight') { const [o, i] = p.shape; const t = new Float32Array(v.length); for (let r = 0; r < o; r++) for (let c = 0; c < i; c++) t[c * o + r] = v[r * i + c]; vals.push(tf.tensor(t, [i, o])); }
      else if (l.type === 'depthwiseConv2d' && p.name === 'weight') vals.push(tf.tensor(v, [p.shape[0], p.shape[1], p.shape[3], 1]));
      else vals.push(tf.tensor(v, p.shape));
    }
    m.setWeights(vals);
    tfModels[name] = m;
  }
  return {
    info: `tfjs ${backend} ${tf.version_core}${backend === 'wasm' ? ` (threads asked ${threads}, got ${(await import('@tensorflow/tfjs-backend-wasm')).getThreadsCount()})` : ''}`,
    predict: async (name, x, n) => (xx) => { const t = tf.tensor(xx, [n, ...SHAPES[name]]); const o = tfModels[name].predict(t); o.dataSync(); t.dispose(); o.dispose(); },
    out: async (name, x, n) => { const t = tf.tensor(x, [n, ...SHAPES[name]]); const o = tfModels[name].predict(t); const d = o.dataSync(); t.dispose(); o.dispose(); return d; },
    train: async (x, y, n) => {
      const m = tfModels.lenet; m.compile({ optimizer: tf.train.adam(1e-3), loss: 'sparseCategoricalCrossentropy' });
      const X = tf.tensor(x, [n, 28, 28, 1]), Y = tf.tensor1d(Float32Array.from(y));
      await m.fit(X, Y, { epochs: 1, batchSize: 32, shuffle: false, verbose: 0 });
      const t0 = performance.now(); await m.fit(X, Y, { epochs: 1, batchSize: 32, shuffle: false, verbose: 0 }); return n / ((performance.now() - t0) / 1000);
    },
  };
}

async function child(rt) {
  const r = await runtimeFor(rt);
  const res = { info: r.info, outs: {} };
  for (const [name, n] of [['lenet', 1], ['lenet', 64], ['mobilenet', 1]]) {
    const size = SHAPES[name].reduce((a, b) => a * b, 1), x = input(n, size);
    res.outs[`${name}:${n}`] = Array.from((await r.out(name, x, n)).slice(0, 20));
    const f = await r.predict(name, x, n);
    res[`${name}:${n}`] = await timeit(() => f(x));
  }
  const n = 256, y = Int32Array.from({ length: n }, (_, i) => i % 10);
  try { res.train = await r.train(input(n, 784, 9), y, n); } catch (e) { res.train = `failed: ${e.message.split('\n')[0]}`; }
  return res;
}

if (process.argv[2] === '--child') process.stdout.write(JSON.stringify(await child(process.argv[3])));
else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const all = Object.fromEntries(RUNTIMES.map((r) => [r, []]));
  for (let round = 0; round < 2; round++) for (const rt of RUNTIMES) {
    const p = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', rt], { encoding: 'utf8', maxBuffer: 1 << 26 });
    if (p.status !== 0) { console.error(`${rt} failed:\n${p.stderr}`); process.exit(1); }
    all[rt].push(JSON.parse(p.stdout));
  }
  // outputs must agree (same weights, same inputs)
  for (const key of ['lenet:1', 'lenet:64', 'mobilenet:1']) {
    const ref = all.axon[0].outs[key];
    for (const rt of RUNTIMES) {
      const d = Math.max(...all[rt][0].outs[key].map((v, i) => Math.abs(v - ref[i]) / (1e-3 + Math.abs(ref[i]))));
      if (!(d < 1e-2)) { console.error(`${rt} ${key} disagrees with axon (max rel diff ${d})`); process.exit(1); }
    }
  }
  const best = (rt, k) => Math.min(...all[rt].map((r) => r[k]));
  console.log(`W3/W4 inference (median ms per call, best of 2 processes) and LeNet training; ${os.cpus()[0].model}, node ${process.version}`);
  console.log('| runtime | W3 LeNet b1 (ms) | W3 LeNet b64 (samples/s) | W4 MobileNet b1 (ms) | LeNet training b32 (samples/s) |');
  console.log('|---|---|---|---|---|');
  for (const rt of RUNTIMES) {
    const tr = all[rt].map((r) => r.train).filter((v) => typeof v === 'number');
    console.log(`| ${all[rt][0].info} | ${best(rt, 'lenet:1').toFixed(3)} | ${Math.round(64000 / best(rt, 'lenet:64')).toLocaleString('en-US')} | ${best(rt, 'mobilenet:1').toFixed(2)} | ${tr.length ? Math.round(Math.max(...tr)).toLocaleString('en-US') : all[rt][0].train} |`);
  }
  const ratio = (peer) => ['lenet:1', 'lenet:64', 'mobilenet:1'].map((k) => (best(peer, k) / best('axon', k)).toFixed(2) + 'x').join(' | ');
  console.log(`| ratios axon / tfjs-wasm | ${ratio('tfjs-wasm')} | ` +
    (typeof all['tfjs-wasm'][0].train === 'number' ? (Math.max(...all.axon.map((r) => r.train)) / Math.max(...all['tfjs-wasm'].map((r) => r.train))).toFixed(2) + 'x' : 'tfjs-wasm cannot train convs') + ' |');
  console.log(`| ratios axon / ort-web | ${ratio('ort-web')} | no training API |`);
  console.log(`| ratio axon / tfjs-cpu (training) | | | | ${(Math.max(...all.axon.map((r) => r.train)) / Math.max(...all['tfjs-cpu'].map((r) => r.train))).toFixed(1)}x |`);
}
