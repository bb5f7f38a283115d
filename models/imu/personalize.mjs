#!/usr/bin/env node
// Personalization on the device: few-shot fine-tuning of the classifier's head (Dense "head"; the
// conv and GRU layers frozen) on one user's own recordings, SYNTHETIC data (src/data/imu_sim.ts).
// Per user: the first 5 windows of each activity (12.8 s of it, 30 windows) are the user's labelled
// recordings; windows 6.. (no overlap with those) are the evaluation set. Plain full-batch SGD
// (lr 0.2, 100 steps; stateless, so the Worker's KV holds the whole training state):
//   Node:   Model.fit, for the unseen test users 24..29 and the atypical user 30;
//   WASI:   `axon compile --epochs 100` + build/axon.wasi.wasm finetune under node:wasi (user 30);
//   Worker: the template Worker in workerd (miniflare), two POST /finetune of 50 steps, then
//           POST /predict?model=tuned (user 30).
// The three paths run the same steps; the script reports whether their weights agree.
//   npm run build && node dist/cli.js train models/imu/config.json && node models/imu/personalize.mjs
// Writes models/imu/personalize.json.
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { WASI } from 'node:wasi';
import { loadModel, Normalizer, imuDataset, imuUser, Tensor, freeze, takeRows, encodeNpy, modelToBytes } from '../../dist/node.js';
import { buildWorkers } from '../../targets/workers/build.mjs';
import { startWorker } from '../../targets/workers/miniflare.mjs';

const ROOT = new URL('../../', import.meta.url).pathname, MODEL = join(ROOT, 'out/imu/model.axon');
const SEED = 16, SHOTS = 5, LR = 0.2, STEPS = 100, W = 30; // W: windows per activity and user (40 s)
const users = [24, 25, 26, 27, 28, 29, 30];

/** The user's few-shot set (raw windows, as recorded) and evaluation set. */
function userData(id) {
  const d = imuDataset([imuUser(id, SEED, id === 30)], { seconds: 40, seed: SEED });
  const shot = [], ev = [];
  for (let i = 0; i < d.y.length; i++) if (i % W < SHOTS) shot.push(i); else if (i % W > SHOTS) ev.push(i);
  const part = (idx) => ({ x: takeRows(d.x, idx), y: new Tensor(Int32Array.from(idx, (i) => d.y[i]), [idx.length]) });
  return { shot: part(shot), ev: part(ev) };
}
/** The trained model with its backbone frozen and the fine-tuning optimizer. */
function headModel() {
  const { model, graph } = loadModel(MODEL);
  freeze(model, 'gru');
  model.compile({ optimizer: { type: 'sgd', lr: LR }, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return { model, graph, norm: Normalizer.fromJSON(graph.extra.normalizer, MODEL) };
}
const weightsOf = (m) => Float32Array.from(m.layers.flatMap((l) => l.params.flatMap((p) => Array.from(m.getParams().get(`${l.name}.${p.name}`)))));
const maxDiff = (a, b) => a.reduce((s, v, i) => Math.max(s, Math.abs(v - b[i])), 0);
const acc = (pred, y) => pred.filter((p, i) => p === y.data[i]).length / pred.length;

const rows = [];
let nodeWeights30, data30;
for (const id of users) {
  const { model, norm } = headModel(), d = userData(id);
  const before = await model.evaluate(norm.apply(d.ev.x), d.ev.y);
  const t0 = performance.now();
  await model.fit(norm.apply(d.shot.x), d.shot.y, { epochs: STEPS, batchSize: d.shot.y.size, shuffle: false });
  const ms = performance.now() - t0, after = await model.evaluate(norm.apply(d.ev.x), d.ev.y);
  rows.push({ user: id, atypical: id === 30, before: +before.accuracy.toFixed(4), after: +after.accuracy.toFixed(4), nodeMs: Math.round(ms) });
  console.log(`user ${id}: ${(before.accuracy * 100).toFixed(1)} % → ${(after.accuracy * 100).toFixed(1)} % (Node, ${STEPS} steps in ${Math.round(ms)} ms)`);
  if (id === 30) { nodeWeights30 = weightsOf(model); data30 = d; }
}

// ── WASI: the same fine-tuning as a bundle, run by the standalone program ──
const dir = mkdtempSync(join(tmpdir(), 'axon-imu-'));
const { model: head } = headModel();
writeFileSync(join(dir, 'head.axon'), modelToBytes(head, { extra: loadModel(MODEL).graph.extra }));
writeFileSync(join(dir, 'shot-x.npy'), encodeNpy(data30.shot.x));
writeFileSync(join(dir, 'shot-y.npy'), encodeNpy(data30.shot.y));
execFileSync(process.execPath, [join(ROOT, 'dist/cli.js'), 'compile', join(dir, 'head.axon'), '--batch', String(SHOTS * 6), '--out', join(dir, 'user.axb'),
  '--epochs', String(STEPS), '--data', join(dir, 'shot-x.npy'), '--labels', join(dir, 'shot-y.npy'), '--no-shuffle', '--bin-out', dir], { stdio: 'pipe' });
const wasi = new WASI({ version: 'preview1', args: ['axon.wasi.wasm', 'finetune', '/d/user.axb', '/d/x.bin', '/d/y.bin', String(STEPS), '/d/w.bin'], preopens: { '/d': dir }, returnOnExit: true, stdout: openSync('/dev/null', 'w') });
const t1 = performance.now();
const code = wasi.start(await WebAssembly.instantiate(await WebAssembly.compile(readFileSync(join(ROOT, 'build/axon.wasi.wasm'))), wasi.getImportObject()));
const wasiMs = performance.now() - t1;
if (code !== 0) throw new Error(`axon.wasi.wasm finetune exited ${code}`);
const wasiWeights = new Float32Array(readFileSync(join(dir, 'w.bin')).buffer.slice(0));
const { model: wasiModel, norm } = headModel();
let at = 0;
wasiModel.setWeights(new Map(wasiModel.layers.flatMap((l) => l.params.map((p) => { const n = p.shape.reduce((a, b) => a * b, 1); return [`${l.name}.${p.name}`, wasiWeights.slice(at, (at += n))]; }))));
const wasiAfter = (await wasiModel.evaluate(norm.apply(data30.ev.x), data30.ev.y)).accuracy;

// ── Worker: the template Worker serving the head model, fine-tuned over HTTP ──
await buildWorkers({ outdir: join(dir, 'worker'), model: join(dir, 'head.axon') });
const worker = await startWorker({ dir: join(dir, 'worker'), build: 'simd', finetuneLr: LR });
let workerAfter, workerBefore, workerMs;
try {
  const post = async (path, body, headers) => { const r = await fetch(worker.url + path, { method: 'POST', body, headers }); const j = await r.json(); if (r.status !== 200) throw new Error(`${path}: ${r.status} ${JSON.stringify(j)}`); return j; };
  const predict = async (which) => post(`/predict${which}`, new Uint8Array(data30.ev.x.data.buffer.slice(0)), { 'content-type': 'application/octet-stream', 'x-shape': `${data30.ev.y.size},128,6` });
  workerBefore = acc((await predict('')).predictions, data30.ev.y);
  const inputs = Array.from({ length: data30.shot.y.size }, (_, r) => Array.from(data30.shot.x.data.subarray(r * 768, (r + 1) * 768)));
  const t2 = performance.now();
  for (let k = 0; k < STEPS / 50; k++) await post('/finetune', JSON.stringify({ inputs, labels: Array.from(data30.shot.y.data), steps: 50 }), { 'content-type': 'application/json' });
  workerMs = performance.now() - t2;
  workerAfter = acc((await predict('?model=tuned')).predictions, data30.ev.y);
} finally { await worker.close(); }
rmSync(dir, { recursive: true, force: true });

const u30 = rows.find((r) => r.user === 30);
const report = {
  data: 'synthetic (src/data/imu_sim.ts), seed 16; model out/imu/model.axon (models/imu/config.json)',
  method: `head only (Dense 32→6), SGD lr ${LR}, ${STEPS} full-batch steps on ${SHOTS} windows per activity (${SHOTS * 6} windows, 12.8 s per activity); evaluated on the user's other windows (${data30.ev.y.size})`,
  users: rows,
  user30: { node: u30.after, wasi: +wasiAfter.toFixed(4), worker: +workerAfter.toFixed(4), workerBefore: +workerBefore.toFixed(4), wasiVsNodeMaxWeightDiff: maxDiff(wasiWeights, nodeWeights30), wasiMs: Math.round(wasiMs), workerMs: Math.round(workerMs) },
};
writeFileSync(new URL('personalize.json', import.meta.url), JSON.stringify(report, null, 2) + '\n');
console.log(JSON.stringify(report.user30));
