// A real pretrained model from npm: nsfwjs 4.4.0's MobileNetV2 (Keras functional model, 224×224×3,
// uint8 weights). Times Axon's import (importTfjsLayers on the JSON + shard the package ships) and
// one-image inference, against @tensorflow/tfjs 4.22 loading the same artifacts on its CPU backend
// (the conformance reference) and its wasm backend (1 thread). Outputs are checked first (max |diff|
// of the 5 class probabilities vs tfjs-cpu). Medians of timed calls after one warm-up call.
//   npm run build && node bench/nsfwjs.mjs [axonRuns=20] [tfjsCpuRuns=3]
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const AXON_RUNS = Number(process.argv[2] ?? 20), CPU_RUNS = Number(process.argv[3] ?? 3), WASM_RUNS = 10;
const median = (a) => { const s = [...a].sort((p, q) => p - q); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const timed = async (f) => { const t = performance.now(); const r = await f(); return [performance.now() - t, r]; };
const maxDiff = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

// the package's own loaders (UMD modules: model JSON, base64 weight shard)
const [tPkg, { json, shard }] = await timed(async () => {
  const { MobileNetV2Model: m } = await import('nsfwjs/models/mobilenet_v2');
  return { json: (await m.modelJson()).default, shard: new Uint8Array(Buffer.from((await m.weightBundles[0]()).default, 'base64')) };
});
const S = 224, x = new Float32Array(S * S * 3);
for (let i = 0; i < x.length; i++) x[i] = ((i * 7919 + (i >> 9) * 31) % 256) / 255;   // one 8-bit image / 255, as nsfwjs feeds it

// Axon
const { importTfjsLayers, Tensor, loadEngine } = await import(join(root, 'dist/node.js'));
const engine = await loadEngine();
const imports = [];
let model;
for (let k = 0; k < 3; k++) { const [t, r] = await timed(() => importTfjsLayers(json, { loadShard: () => shard, engine })); imports.push(t); model = r.model; }
const xt = new Tensor(x, [1, S, S, 3]);
const [tFirst, y0] = await timed(() => model.predict(xt));
const axonMs = [];
for (let k = 0; k < AXON_RUNS; k++) axonMs.push((await timed(() => model.predict(xt)))[0]);

// tfjs (the same artifacts)
const tf = await import('@tensorflow/tfjs');
const wasm = await import('@tensorflow/tfjs-backend-wasm');
wasm.setWasmPaths(join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist/'));
wasm.setThreadsCount(1);
const artifacts = () => ({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest.flatMap((g) => g.weights), weightData: shard.slice().buffer });
const peers = {};
for (const [backend, runs] of [['cpu', CPU_RUNS], ['wasm', WASM_RUNS]]) {
  await tf.setBackend(backend);
  const [tLoad, ref] = await timed(() => tf.loadLayersModel(tf.io.fromMemory(artifacts())));
  const run = () => { const t = tf.tensor(x, [1, S, S, 3]), o = ref.predict(t), d = o.dataSync(); tf.dispose([t, o]); return d; };
  const [tFirstRef, want] = await timed(run);
  const ms = [];
  for (let k = 0; k < runs; k++) ms.push((await timed(run))[0]);
  peers[backend] = { load: tLoad, first: tFirstRef, ms: median(ms), want };
}
const diff = maxDiff(y0.data, peers.cpu.want), diffWasm = maxDiff(peers.wasm.want, peers.cpu.want);
const f = (v) => v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0);
console.log(`nsfwjs MobileNetV2 (npm), 1 image 224x224x3; ${os.cpus()[0].model}, node ${process.version}, axon ${engine.build}, load ${os.loadavg()[0].toFixed(2)}`);
console.log(`outputs: max |axon - tfjs-cpu| ${diff.toExponential(1)}, |tfjs-wasm - tfjs-cpu| ${diffWasm.toExponential(1)}`);
if (!(diff <= 1e-4)) { console.error('outputs differ'); process.exit(1); }
console.log(`package loaders (JSON + base64 shard): ${f(tPkg)} ms`);
console.log('| runtime | load / import (ms) | first predict (ms) | predict, median (ms) |');
console.log('|---|---|---|---|');
console.log(`| axon | ${imports.map(f).join(' / ')} | ${f(tFirst)} | ${f(median(axonMs))} (${AXON_RUNS} runs) |`);
for (const [b, runs] of [['cpu', CPU_RUNS], ['wasm', WASM_RUNS]]) console.log(`| tfjs-${b} | ${f(peers[b].load)} | ${f(peers[b].first)} | ${f(peers[b].ms)} (${runs} runs) |`);
console.log(`axon vs tfjs-cpu: ${(peers.cpu.ms / median(axonMs)).toFixed(0)}x faster; vs tfjs-wasm: ${(peers.wasm.ms / median(axonMs)).toFixed(2)}x`);
