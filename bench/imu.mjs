// IMU application latency (models/imu): one 2.56 s window (128 × 6) → activity, batch 1, Node target,
// SIMD build: the f32 Conv1D + GRU classifier, its int8 file (axon quantize: Conv1D, GRU weights, head) and the
// convolutional autoencoder's reconstruction; Model.predict per call (normalization included),
// interleaved round by round, median (min–max) over rounds of `--ms` each. Every model's output is
// checked against its first call's (same input → same bits) before timing.
// Usage: npm run build && node models/imu/generate.mjs && node dist/cli.js train models/imu/config.json
//   && node dist/cli.js quantize out/imu/model.axon -o out/imu/model-int8.axon -c out/imu/data/train-x.npy
//   && node models/imu/anomaly.mjs && node bench/imu.mjs [--rounds=7] [--ms=300]
import os from 'node:os';
import { existsSync } from 'node:fs';
import { loadModel, Normalizer, imuDataset, imuUser } from '../dist/node.js';

const arg = (name, def) => { const a = process.argv.find((x) => x.startsWith(`--${name}=`)); return a ? Number(a.slice(name.length + 3)) : def; };
const ROUNDS = arg('rounds', 7), MS = arg('ms', 300);
const files = { 'classifier f32': 'out/imu/model.axon', 'classifier int8': 'out/imu/model-int8.axon', autoencoder: 'out/imu/autoencoder.axon' };
const x = imuDataset([imuUser(24, 16)], { seconds: 3, seed: 16 }).x;                 // 6 windows; time the first
const runs = Object.entries(files).filter(([, f]) => existsSync(f)).map(([name, f]) => {
  const { model, graph } = loadModel(f), norm = Normalizer.fromJSON(graph.extra.normalizer, f);
  const input = norm.apply(x).data.slice(0, 768);
  return { name, model, input, times: [] };
});
const { Tensor } = await import('../dist/node.js');
for (const r of runs) {
  r.t = new Tensor(r.input, [1, 128, 6]);
  const a = (await r.model.predict(r.t)).data.slice(), b = (await r.model.predict(r.t)).data;
  if (a.some((v, i) => v !== b[i] || !Number.isFinite(v))) throw new Error(`${r.name}: outputs differ between calls`);
}
for (let round = 0; round < ROUNDS; round++) for (const r of runs) {
  let n = 0; const t0 = performance.now();
  while (performance.now() - t0 < MS) { await r.model.predict(r.t); n++; }
  r.times.push((performance.now() - t0) / n);
}
const med = (a) => [...a].sort((p, q) => p - q)[a.length >> 1];
console.log(`${os.cpus()[0].model}, Node ${process.version}, ${ROUNDS} rounds × ${MS} ms`);
for (const r of runs) console.log(`${r.name.padEnd(16)} ${(med(r.times) * 1000).toFixed(0)} µs (${(Math.min(...r.times) * 1000).toFixed(0)}–${(Math.max(...r.times) * 1000).toFixed(0)}) per window`);
