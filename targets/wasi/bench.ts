// WASI figures for BENCHMARKS.md: sizes of build/axon.wasi.wasm and of a digits-MLP bundle, and the
// time of one fine-tuning epoch (1797 samples, batch 32, Adam, dropout) under node:wasi vs the Node
// target (Sequential.fit, and the JS-host bundle runner). Run: node targets/wasi/bench.mjs
import { readFileSync, mkdtempSync, writeFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sequential, layers, Tensor, modelToBytes, modelFromBytes, parseNpy } from '../node/index.js';
import { loadEngine } from '../node/index.js';
import { compileBundle } from '../../src/wasi/bundle.js';
import { BundleRunner } from '../../src/wasi/finetune.js';
import { runNodeWasi, wasiWasmPath } from './run.js';

const median = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1];
const root = new URL('../../', import.meta.url);
const xt = parseNpy(new Uint8Array(readFileSync(new URL('models/digits/digits-x.npy', root))), 'x');
const yt = parseNpy(new Uint8Array(readFileSync(new URL('models/digits/digits-y.npy', root))), 'y');
const n = xt.shape[0], x = Float32Array.from(xt.data, (v) => v / 16), y = Int32Array.from(yt.data);
const engine = await loadEngine({ build: 'simd' });
const m = new Sequential({ inputShape: [64], seed: 42, engine });
m.add(layers.dense({ units: 64, activation: 'relu' })).add(layers.dropout({ rate: 0.1 }))
  .add(layers.dense({ units: 32, activation: 'relu' })).add(layers.dense({ units: 10, activation: 'softmax' }));
m.compile({ optimizer: { type: 'adam', lr: 0.002 }, loss: 'sparseCategoricalCrossentropy' });
const bytes = modelToBytes(m);
const E = 5, R = Number(process.env.REPS ?? 7);
const inferBundle = await compileBundle(modelFromBytes(bytes, 'm', engine).model, { batch: 32 });
const bundle = await compileBundle(modelFromBytes(bytes, 'm', engine).model, { batch: 32, epochs: E, samples: n });
const dir = mkdtempSync(join(tmpdir(), 'axon-wasi-bench-'));
writeFileSync(join(dir, 'm.axb'), bundle);
writeFileSync(join(dir, 'x.bin'), x); writeFileSync(join(dir, 'y.bin'), y);
const module = await WebAssembly.compile(readFileSync(wasiWasmPath()));
const time = async (f: () => unknown | Promise<unknown>) => { const t = performance.now(); await f(); return performance.now() - t; };

const wasi1: number[] = [], wasiE: number[] = [], fit: number[] = [], runner: number[] = [], wasiInfer: number[] = [], predict: number[] = [];
for (let r = 0; r < R; r++) {
  wasi1.push(await time(async () => { const o = await runNodeWasi(['finetune', '/d/m.axb', '/d/x.bin', '/d/y.bin', '1', '/d/w.bin'], { preopens: { '/d': dir } }, module); if (o.code) throw new Error(o.stderr); }));
  wasiE.push(await time(async () => { const o = await runNodeWasi(['finetune', '/d/m.axb', '/d/x.bin', '/d/y.bin', String(E), '/d/w.bin'], { preopens: { '/d': dir } }, module); if (o.code) throw new Error(o.stderr); }));
  wasiInfer.push(await time(async () => { const o = await runNodeWasi(['infer', '/d/m.axb', '/d/x.bin', '/d/o.bin'], { preopens: { '/d': dir } }, module); if (o.code) throw new Error(o.stderr); }));
  const mm = modelFromBytes(bytes, 'm', engine).model;
  await mm.session(32);
  fit.push(await time(() => mm.fit(new Tensor(x, [n, 64]), new Tensor(y, [n]), { epochs: E, batchSize: 32 })) / E);
  predict.push(await time(() => mm.predict(new Tensor(x, [n, 64]), { batchSize: 32 })));
  const br = new BundleRunner(engine, bundle);
  runner.push(await time(() => br.finetune(x, y, E)) / E);
  br.dispose();
}
rmSync(dir, { recursive: true, force: true });
const f = (v: number) => v.toFixed(1);
console.log(JSON.stringify({
  wasiWasmBytes: statSync(wasiWasmPath()).size, bundleInferBytes: inferBundle.length, bundleFinetuneBytes: bundle.length, params: m.paramCount,
  msPerEpoch: { nodeWasi: f((median(wasiE) - median(wasi1)) / (E - 1)), nodeWasiProcess1Epoch: f(median(wasi1)), fit: f(median(fit)), bundleRunner: f(median(runner)) },
  inferMs1797: { nodeWasiProcess: f(median(wasiInfer)), predict: f(median(predict)) }, reps: R, epochs: E,
}, null, 2));
