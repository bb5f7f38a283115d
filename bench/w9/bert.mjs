// W9: a BERT-tiny-shaped encoder classifier (vocab 1,000, hidden 128, 2 layers × 2 heads, intermediate
// 512, GELU, sequence 128 with a padding mask, masked mean pooling, 2 classes). Same weights and
// inputs everywhere: PyTorch builds and exports it (bench/w9/make_bert_tiny.py, into out/w9/), Axon
// builds it from its layers (addEncoderBlock) with those weights, onnxruntime-web (1 thread) and
// onnxruntime-node run the ONNX export. Every runtime's logits are checked against PyTorch's first.
// Reports batch-1 latency and batch-32 throughput at sequence 128, and AdamW fine-tuning at batch 16
// (Axon vs PyTorch CPU, one thread), medians of interleaved rounds; Axon's dynamic int8 of the same
// model (quantizeModel mode 'dynamic') as its own row, with its logits' distance from PyTorch's.
// PyTorch's timings are taken in the same run, after Axon's (make_bert_tiny.py again into a temporary
// directory, with OPENBLAS_NUM_THREADS=1: its seeded weights are the same bytes).
// --relaxed: also Axon's relaxed-SIMD build (FMA), what Chromium and Node >= 22 load by default; Node 20
// needs flags for it, so the bench re-executes itself with them (as bench/gemm.mjs does).
//   npm run build && node bench/w9/bert.mjs [--rounds=5] [--relaxed]
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const RELAXED = process.argv.includes('--relaxed'), FLAGS = ['--experimental-wasm-relaxed-simd', '--no-liftoff'];
if (RELAXED && !FLAGS.every((f) => process.execArgv.includes(f))) {
  process.exit(spawnSync(process.execPath, [...FLAGS, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' }).status ?? 1);
}
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Model, layers, Tensor, addEncoderBlock, loadEngine, quantizeModel } from '../../dist/node.js';

const rounds = Number(process.argv.find((a) => a.startsWith('--rounds='))?.slice(9) ?? 5);
const dir = 'out/w9', V = 1000, P = 128, D = 128, H = 2, F = 512, T = 128;
if (!existsSync(`${dir}/torch.json`)) execFileSync('/usr/bin/python3', ['bench/w9/make_bert_tiny.py', dir], { stdio: 'inherit' });
const ref = JSON.parse(readFileSync(`${dir}/torch.json`, 'utf8'));
const index = JSON.parse(readFileSync(`${dir}/weights.json`, 'utf8')), blob = readFileSync(`${dir}/weights.bin`);
const all = new Float32Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.length));

function axonModel(engine) {
  const m = new Model({ inputs: [{ name: 'ids', shape: [null], dtype: 'i32', maxShape: [P] }, { name: 'mask', shape: [null], dtype: 'i32', maxShape: [P] }], engine, name: 'bert-tiny' });
  m.add(layers.embedding({ inputDim: V, outputDim: D, name: 'tok' }), { inputs: ['ids'] });
  m.add(layers.positionEmbedding({ maxLength: P, name: 'pos' }));
  m.add(layers.layerNormalization({ name: 'ln' }));
  let top = 'ln';
  for (let k = 0; k < 2; k++) top = addEncoderBlock(m, { input: top, mask: 'mask', heads: H, ff: F, activation: 'gelu', name: `enc${k}` });
  m.add(layers.maskedMeanPooling({ name: 'pool' }), { inputs: [top, 'mask'] });
  m.add(layers.dense({ units: 2, name: 'cls' }));
  m.setWeights(Object.fromEntries(Object.entries(index).map(([k, [off, n]]) => [k, all.subarray(off / 4, off / 4 + n)])));
  return m;
}
const batch = (B, seed) => {
  const ids = new Int32Array(B * T), mask = new Int32Array(B * T);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) { const keep = t < T - ((b * 13) % 40); mask[b * T + t] = keep ? 1 : 0; ids[b * T + t] = keep ? 1 + ((b * 7919 + t * 104729 + seed) % (V - 1)) : 0; }
  return { ids, mask };
};
const maxDiff = (a, b) => { let m = 0; for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i])); return m; };
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const engine = await loadEngine({ build: 'simd' });
const model = axonModel(engine);
const relaxedModel = RELAXED ? axonModel(await loadEngine({ build: 'relaxed' })) : undefined;
const axonRun = async ({ ids, mask }, B) => (await model.predict({ ids: new Tensor(ids, [B, T], 'i32'), mask: new Tensor(mask, [B, T], 'i32') })).cls.data;
const probe = { ids: Int32Array.from(ref.probe.ids), mask: Int32Array.from(ref.probe.mask) };
const dAxon = maxDiff(await axonRun(probe, 4), ref.logits);

const ort = await import('onnxruntime-web');
ort.env.wasm.numThreads = 1; ort.env.logLevel = 'error';
const onnx = readFileSync(`${dir}/bert_tiny.onnx`);
const web = await ort.InferenceSession.create(onnx, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
const node = await (await import('onnxruntime-node')).InferenceSession.create(onnx, { intraOpNumThreads: 1, interOpNumThreads: 1 });
const ortRun = (s, T_) => async ({ ids, mask }, B) => {
  const r = await s.run({ ids: new T_('int64', BigInt64Array.from(ids, BigInt), [B, T]), mask: new T_('int64', BigInt64Array.from(mask, BigInt), [B, T]) });
  return r.logits.data;
};
const ortNode = (await import('onnxruntime-node')).Tensor;
// Axon's dynamic int8 (int8 weights per output channel, activations quantized per call): its own row
const q8 = await quantizeModel(model, undefined, { mode: 'dynamic' });
const axonQ8Run = async ({ ids, mask }, B) => (await q8.predict({ ids: new Tensor(ids, [B, T], 'i32'), mask: new Tensor(mask, [B, T], 'i32') })).cls.data;
const axonRelaxedRun = async ({ ids, mask }, B) => (await relaxedModel.predict({ ids: new Tensor(ids, [B, T], 'i32'), mask: new Tensor(mask, [B, T], 'i32') })).cls.data;
const runners = { axon: axonRun, ...(RELAXED ? { 'axon relaxed': axonRelaxedRun } : {}), 'axon int8 (dynamic)': axonQ8Run, 'ort-web': ortRun(web, ort.Tensor), 'ort-node': ortRun(node, ortNode) };
const diffs = { axon: dAxon, ...(RELAXED ? { 'axon relaxed': maxDiff(await axonRelaxedRun(probe, 4), ref.logits) } : {}), 'axon int8 (dynamic)': maxDiff(await axonQ8Run(probe, 4), ref.logits), 'ort-web': maxDiff(await runners['ort-web'](probe, 4), ref.logits), 'ort-node': maxDiff(await runners['ort-node'](probe, 4), ref.logits) };
for (const [k, d] of Object.entries(diffs)) if (!(d < (k.includes('int8') ? 0.1 : 1e-3))) throw new Error(`${k}: logits differ from PyTorch's by ${d}`);

const time = async (f) => { const t0 = performance.now(); await f(); return performance.now() - t0; };
const res = {};
for (const [B, n] of [[1, 20], [32, 2]]) {
  const x = batch(B, 3);
  for (const f of Object.values(runners)) for (let k = 0; k < 2; k++) await f(x, B);   // warm up (Axon: plans for this shape)
  for (let r = 0; r < rounds; r++) for (const [name, f] of Object.entries(runners)) {
    const ms = await time(async () => { for (let k = 0; k < n; k++) await f(x, B); }) / n;
    ((res[name] ??= {})[B] ??= []).push(ms);
  }
}
// fine-tuning: AdamW, batch 16, cross-entropy, 2 classes (with --relaxed also on the relaxed build, interleaved)
const trainer = (e) => {
  const m = axonModel(e).add(layers.activation({ activation: 'softmax', name: 'probs' }));
  m.compile({ optimizer: { type: 'adamw', lr: 1e-4 }, loss: 'sparseCategoricalCrossentropy' });
  return m;
};
const tms = [trainer(engine), ...(RELAXED ? [trainer(relaxedModel.engine)] : [])];
const xt = batch(16, 5), yt = new Tensor(Int32Array.from({ length: 16 }, (_, i) => i % 2), [16]);
const feed = { ids: new Tensor(xt.ids, [16, T], 'i32'), mask: new Tensor(xt.mask, [16, T], 'i32') };
for (const tm of tms) for (let k = 0; k < 2; k++) await tm.trainStep(feed, yt);
const steps = [], stepsRelaxed = [];
for (let r = 0; r < rounds; r++) {
  steps.push(await time(() => tms[0].trainStep(feed, yt)));
  if (RELAXED) stepsRelaxed.push(await time(() => tms[1].trainStep(feed, yt)));
}

// PyTorch, same run: the generator again (it times b1, b32 and the AdamW step after building the model)
const tdir = mkdtempSync(join(tmpdir(), 'w9-torch-'));
execFileSync('/usr/bin/python3', ['bench/w9/make_bert_tiny.py', tdir], { stdio: ['ignore', 'ignore', 'ignore'], env: { ...process.env, OPENBLAS_NUM_THREADS: '1' } });
Object.assign(ref, JSON.parse(readFileSync(join(tdir, 'torch.json'), 'utf8')));
rmSync(tdir, { recursive: true, force: true });

const cpu = execFileSync('lscpu').toString().match(/Model name:\s*(.*)/)?.[1] ?? '?';
const row = (name) => `| ${name} | ${median(res[name][1]).toFixed(2)} (${Math.min(...res[name][1]).toFixed(2)}–${Math.max(...res[name][1]).toFixed(2)}) | ${(32000 / median(res[name][32])).toFixed(1)} | ${diffs[name].toExponential(1)} |`;
console.log(`W9 BERT-tiny encoder, seq ${T}, ${cpu}, Node ${process.version}, ${rounds} rounds (medians; min–max)`);
console.log('| runtime | b1 latency ms | b32 sequences/s | max |logits − PyTorch| |\n|---|---|---|---|');
for (const n of Object.keys(runners)) console.log(row(n));
console.log(`| PyTorch ${ref.torch} CPU, 1 thread (make_bert_tiny.py) | ${ref.b1_ms.toFixed(2)} | ${ref.b32_seq_per_s.toFixed(1)} | – |`);
console.log(`fine-tuning AdamW b16: Axon ${(16000 / median(steps)).toFixed(1)} sequences/s (${median(steps).toFixed(0)} ms/step), PyTorch ${ref.train16_seq_per_s.toFixed(1)} sequences/s (PyTorch / Axon ${(ref.train16_seq_per_s / (16000 / median(steps))).toFixed(2)}x)`);
if (RELAXED) console.log(`fine-tuning AdamW b16, relaxed build: Axon ${(16000 / median(stepsRelaxed)).toFixed(1)} sequences/s (${median(stepsRelaxed).toFixed(0)} ms/step; PyTorch / Axon ${(ref.train16_seq_per_s / (16000 / median(stepsRelaxed))).toFixed(2)}x); b1 latency / ort-web ${(median(res['axon relaxed'][1]) / median(res['ort-web'][1])).toFixed(2)}`);
console.log(`ratios: Axon b1 latency / ort-web ${(median(res.axon[1]) / median(res['ort-web'][1])).toFixed(2)}, b32 throughput / ort-web ${(median(res['ort-web'][32]) / median(res.axon[32])).toFixed(2)}x`);
console.log(`int8 dynamic / f32: b1 latency ${(median(res['axon int8 (dynamic)'][1]) / median(res.axon[1])).toFixed(2)}, b32 throughput ${(median(res.axon[32]) / median(res['axon int8 (dynamic)'][32])).toFixed(2)}x`);
process.exit(0);
