// W10 keyword spotting: 1 s of 16 kHz PCM → MFCC front end (30 ms Hann frames every 20 ms, 512-point
// FFT, 40 mel bands, log, 10 DCT-II coefficients, per-channel normalization) → DS-CNN (models/kws:
// conv 10x4/2 64, 4 depthwise-separable blocks of 64, global average pool, dense 12; batch norm
// folded, as inference runtimes run it), batch 1, end to end. Axon runs the whole thing in wasm (the
// melSpectrogram layer; f32 and the shipped int8 model); onnxruntime-web (the DS-CNN exported to
// ONNX) and tfjs-wasm (the same layers in tfjs-layers, weights copied) get their features from a
// plain-JS front end written here (tfjs-backend-wasm has no FFT kernel). Every runtime's scores are
// checked against Axon's before timing. One thread; each runtime in its own process, twice, interleaved.
//   npm run build && node bench/kws.mjs
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import os from 'node:os';

const root = fileURLToPath(new URL('..', import.meta.url));
const RUNTIMES = ['axon', 'axon-int8', 'ort-web', 'tfjs-wasm'];
const P = { sampleRate: 16000, frameLength: 480, frameStep: 320, fftSize: 512, melBins: 40, fmin: 20, fmax: 7600, mfcc: 10 };
const F = 49, C = 10;

/** The DS-CNN after the front end (names fixed so weights copy by name). */
function backbone(L) {
  const ls = [L.conv2d({ filters: 64, kernelSize: [10, 4], strides: 2, padding: 'same', activation: 'relu', name: 'conv1' })];
  for (let k = 1; k <= 4; k++) ls.push(L.depthwiseConv2d({ kernelSize: 3, padding: 'same', activation: 'relu', name: `dw${k}` }), L.conv2d({ filters: 64, kernelSize: 1, activation: 'relu', name: `pw${k}` }));
  ls.push(L.globalAveragePooling2d({ name: 'pool' }), L.dense({ units: 12, activation: 'softmax', name: 'head' }));
  return ls;
}

/** A test clip: a chirp with a burst of noise (seeded). */
function clip() {
  let s = 11; const x = new Float32Array(16000);
  for (let k = 0; k < x.length; k++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; const t = k / 16000; x[k] = 0.3 * Math.sin(2 * Math.PI * (300 * t + 900 * t * t)) * (t > 0.2 && t < 0.7) + 0.02 * (s / 2 ** 32 - 0.5); }
  return x;
}

/** The front end in plain JS (what an app feeding a peer runtime writes): radix-2 complex FFT per frame. */
function jsFrontEnd() {
  const N = P.fftSize, K = N / 2 + 1, M = P.melBins;
  const win = Float32Array.from({ length: P.frameLength }, (_, n) => 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / P.frameLength));
  const mel = (f) => 2595 * Math.log10(1 + f / 700), hz = (m) => 700 * (10 ** (m / 2595) - 1);
  const edges = Array.from({ length: M + 2 }, (_, i) => hz(mel(P.fmin) + ((mel(P.fmax) - mel(P.fmin)) * i) / (M + 1)));
  const fb = Array.from({ length: M }, (_, m) => Float32Array.from({ length: K }, (_, k) => { const f = (k * P.sampleRate) / N; return Math.max(0, Math.min((f - edges[m]) / (edges[m + 1] - edges[m]), (edges[m + 2] - f) / (edges[m + 2] - edges[m + 1]))); }));
  const dct = Array.from({ length: C }, (_, c) => Float32Array.from({ length: M }, (_, m) => Math.sqrt((c ? 2 : 1) / M) * Math.cos((Math.PI / M) * (m + 0.5) * c)));
  const rev = Uint32Array.from({ length: N }, (_, i) => { let r = 0; for (let b = 1, j = i; b < N; b <<= 1, j >>= 1) r = (r << 1) | (j & 1); return r; });
  const cos = Float32Array.from({ length: N / 2 }, (_, k) => Math.cos((2 * Math.PI * k) / N)), sin = Float32Array.from({ length: N / 2 }, (_, k) => -Math.sin((2 * Math.PI * k) / N));
  const re = new Float32Array(N), im = new Float32Array(N), pw = new Float32Array(K), lm = new Float32Array(M), out = new Float32Array(F * C);
  return (x) => {
    for (let f = 0; f < F; f++) {
      re.fill(0); im.fill(0);
      for (let n = 0; n < P.frameLength; n++) re[rev[n]] = x[f * P.frameStep + n] * win[n];
      for (let h = 1; h < N; h <<= 1) for (let s = 0; s < N; s += 2 * h) for (let j = 0; j < h; j++) {
        const w = j * (N / (2 * h)), a = s + j, b = a + h, tr = re[b] * cos[w] - im[b] * sin[w], ti = re[b] * sin[w] + im[b] * cos[w];
        re[b] = re[a] - tr; im[b] = im[a] - ti; re[a] += tr; im[a] += ti;
      }
      for (let k = 0; k < K; k++) pw[k] = re[k] * re[k] + im[k] * im[k];
      for (let m = 0; m < M; m++) { let s = 0; const w = fb[m]; for (let k = 0; k < K; k++) s += w[k] * pw[k]; lm[m] = Math.log(s + 1e-6); }
      for (let c = 0; c < C; c++) { let s = 0; for (let m = 0; m < M; m++) s += dct[c][m] * lm[m]; out[f * C + c] = s; }
    }
    for (let c = 0; c < C; c++) {
      let mu = 0, v = 0;
      for (let f = 0; f < F; f++) mu += out[f * C + c] / F;
      for (let f = 0; f < F; f++) v += (out[f * C + c] - mu) ** 2 / F;
      const inv = 1 / Math.sqrt(v + 1e-5);
      for (let f = 0; f < F; f++) out[f * C + c] = (out[f * C + c] - mu) * inv;
    }
    return out;
  };
}

async function timeit(fn, minMs = 1500) {
  for (let i = 0; i < 5; i++) await fn();
  const t = [], end = performance.now() + minMs;
  while (performance.now() < end || t.length < 20) { const t0 = performance.now(); await fn(); t.push(performance.now() - t0); }
  t.sort((a, b) => a - b);
  return { med: t[Math.floor(t.length / 2)], min: t[0], max: t[t.length - 1] };
}

async function child(rt) {
  const ax = await import('../dist/node.js');
  const engine = await ax.loadEngine({ threads: 1 });
  const bb = new ax.Sequential({ inputShape: [F, C, 1], seed: 7, engine });
  for (const l of backbone(ax.layers)) bb.add(l);
  const full = new ax.Sequential({ inputShape: [16000], seed: 7, engine }).add(ax.layers.melSpectrogram({ ...P, name: 'frontend' })).add(ax.layers.reshape({ targetShape: [F, C, 1] }));
  for (const l of backbone(ax.layers)) full.add(l);
  full.setWeights(bb.getWeights());
  const x = clip(), X = new ax.Tensor(x, [1, 16000]), front = jsFrontEnd();
  const res = { rt };
  if (rt === 'axon' || rt === 'axon-int8') {
    const m = rt === 'axon' ? full : ax.modelFromBytes(readFileSync(join(root, 'models/kws/kws.int8.axon')), 'kws.int8.axon', engine).model;
    res.info = rt === 'axon' ? `axon ${engine.build} f32 (front end in wasm)` : 'axon int8 (models/kws/kws.int8.axon, front end f32 in wasm)';
    res.out = Array.from((await m.predict(X)).data);
    res.e2e = await timeit(() => m.predict(X));
    if (rt === 'axon') {
      const fe = new ax.Sequential({ inputShape: [16000], engine }).add(ax.layers.melSpectrogram(P));
      const feats = (await fe.predict(X)).data, js = front(x);
      res.frontDiff = Math.max(...js.map((v, i) => Math.abs(v - feats[i])));
      res.front = await timeit(() => fe.predict(X));
      res.jsFront = await timeit(() => front(x));
      const Xf = new ax.Tensor(feats, [1, F, C, 1]);
      res.model = await timeit(() => bb.predict(Xf));
    }
    return res;
  }
  if (rt === 'ort-web') {
    const ort = await import('onnxruntime-web');
    ort.env.wasm.numThreads = 1; ort.env.logLevel = 'error';
    const s = await ort.InferenceSession.create(await ax.exportOnnx(bb, { inputLayout: 'nchw' }), { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    const nchw = (f) => { const t = new Float32Array(F * C); for (let i = 0; i < F; i++) for (let j = 0; j < C; j++) t[i * C + j] = f[i * C + j]; return t; };   // C = 1: NHWC = NCHW
    const run = async () => (await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', nchw(front(x)), [1, 1, F, C]) }))[s.outputNames[0]].data;
    res.info = `onnxruntime-web ${ort.env.versions?.web ?? ''} wasm 1 thread + JS front end`;
    res.out = Array.from(await run());
    res.e2e = await timeit(run);
    return res;
  }
  const tf = await import('@tensorflow/tfjs-core'), tfl = await import('@tensorflow/tfjs-layers'), w = await import('@tensorflow/tfjs-backend-wasm');
  w.setWasmPaths(join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist/')); w.setThreadsCount(1);
  await tf.setBackend('wasm');
  const m = tfl.sequential(), ls = backbone({ ...tfl.layers, conv2d: (o) => tfl.layers.conv2d({ ...o, ...(o.name === 'conv1' ? { inputShape: [F, C, 1] } : {}) }) });
  for (const l of ls) m.add(l);
  const wts = bb.getWeights(), vals = [];
  for (const l of bb.layers) for (const p of l.params) {
    const v = wts.get(`${l.name}.${p.name}`);
    if (l.type === 'dense' && p.name === 'weight') { const [o, i] = p.shape; const t = new Float32Array(v.length); for (let r = 0; r < o; r++) for (let c = 0; c < i; c++) t[c * o + r] = v[r * i + c]; vals.push(tf.tensor(t, [i, o])); }
    else if (l.type === 'depthwiseConv2d' && p.name === 'weight') vals.push(tf.tensor(v, [p.shape[0], p.shape[1], p.shape[3], 1]));
    else vals.push(tf.tensor(v, p.shape));
  }
  m.setWeights(vals);
  const run = () => { const t = tf.tensor(front(x), [1, F, C, 1]), o = m.predict(t), d = o.dataSync(); t.dispose(); o.dispose(); return d; };
  res.info = `tfjs-backend-wasm ${tf.version_core} 1 thread + JS front end`;
  res.out = Array.from(run());
  res.e2e = await timeit(run);
  return res;
}

if (process.argv[2] === '--child') process.stdout.write(JSON.stringify(await child(process.argv[3])));
else {
  const all = Object.fromEntries(RUNTIMES.map((r) => [r, []]));
  for (let round = 0; round < 2; round++) for (const rt of RUNTIMES) {
    const p = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', rt], { encoding: 'utf8', maxBuffer: 1 << 26 });
    if (p.status !== 0) { console.error(`${rt} failed:\n${p.stderr}`); process.exit(1); }
    all[rt].push(JSON.parse(p.stdout));
  }
  const ref = all.axon[0].out;
  for (const rt of ['ort-web', 'tfjs-wasm']) {
    const d = Math.max(...all[rt][0].out.map((v, i) => Math.abs(v - ref[i])));
    if (!(d < 1e-3)) { console.error(`${rt} scores differ from axon by ${d}`); process.exit(1); }
  }
  if (!(all.axon[0].frontDiff < 1e-3)) { console.error(`the JS front end differs from axon's by ${all.axon[0].frontDiff}`); process.exit(1); }
  const best = (rt, k) => all[rt].map((r) => r[k]).sort((a, b) => a.med - b.med)[0];
  const fmt = (t) => `${t.med.toFixed(3)} (${t.min.toFixed(3)}–${t.max.toFixed(3)})`;
  console.log(`W10 keyword spotting, 1 s of 16 kHz PCM → scores, batch 1 (median ms, min–max, best of 2 processes); ${os.cpus()[0].model}, node ${process.version}`);
  console.log('| runtime | end to end (ms) | ratio to axon f32 |');
  console.log('|---|---|---|');
  for (const rt of RUNTIMES) console.log(`| ${all[rt][0].info} | ${fmt(best(rt, 'e2e'))} | ${(best(rt, 'e2e').med / best('axon', 'e2e').med).toFixed(2)}x |`);
  console.log(`parts (axon f32): front end in wasm ${fmt(best('axon', 'front'))}, the same in plain JS ${fmt(best('axon', 'jsFront'))}, DS-CNN alone ${fmt(best('axon', 'model'))}; JS and wasm features agree within ${all.axon[0].frontDiff.toExponential(1)}`);
}
