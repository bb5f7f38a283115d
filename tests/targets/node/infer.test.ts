// `axon/infer` (the built package entry, resolved by name in a fresh Node process): loads a model
// file and predicts exactly as `axon` does, with the same classes and the same engine.
import { it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));

it('axon/infer predicts like axon, sharing its classes and engine', () => {
  const program = `
    import { readFileSync } from 'node:fs';
    import * as infer from 'axon/infer';
    const bytes = readFileSync('targets/workers/template/model/digits.axon');
    const { model, graph } = infer.loadModel('targets/workers/template/model/digits.axon', await infer.loadEngine());
    const x = infer.Normalizer.fromJSON(graph.extra.normalizer).apply(new infer.Tensor(new Float32Array(64).fill(0.5), [1, 64]));
    const y = await model.predict(x);
    const full = await import('axon');
    const again = await full.modelFromBytes(bytes, 'digits').model.predict(x);
    process.stdout.write(JSON.stringify({
      exports: Object.keys(infer).sort(), y: Array.from(y.data), same: Array.from(again.data).every((v, i) => Object.is(v, y.data[i])),
      shared: model instanceof full.Model && infer.Model === full.Model && full.loadEngine === infer.loadEngine && full.Tensor === infer.Tensor,
      engine: (await infer.loadEngine()) === (await full.loadEngine()),
    }));`;
  const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', program], { cwd: root, encoding: 'utf8' }));
  expect(out.exports).toEqual(['AxonError', 'Engine', 'Model', 'Normalizer', 'Sequential', 'Tensor', 'loadEngine', 'loadModel', 'modelFromBytes', 'readModelFile', 'wasmDir']);
  expect(out.y).toHaveLength(10);
  expect(out.y.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 5);
  expect(out.same).toBe(true);
  expect(out.shared).toBe(true);
  expect(out.engine).toBe(true);
});

it('the Node bundles carry the op-list hash computed at build time, equal to hashing their own op list', async () => {
  const { OPS, loadEngine } = await import(/* @vite-ignore */ new URL('../../../dist/node.js', import.meta.url).href);
  const { opsHash } = await import('../../../src/ops.js');
  // the engine accepts the wasm only when its ops_hash() equals the bundle's OPS_HASH
  expect((await loadEngine()).exports.ops_hash() >>> 0).toBe(opsHash(OPS));
});

it('require("axon/infer") (CommonJS apps) predicts the same bits and shares the script with the ES entries', () => {
  const program = `
    const { readFileSync } = require('node:fs');
    const infer = require('axon/infer');
    (async () => {
      const bytes = readFileSync('targets/workers/template/model/digits.axon');
      const x = new infer.Tensor(Float32Array.from({ length: 192 }, (_, i) => Math.sin(i)), [3, 64]);
      const y = await infer.modelFromBytes(bytes, 'digits', await infer.loadEngine()).model.predict(x);
      const full = await import('axon'), esm = await import('axon/infer');
      const again = await full.modelFromBytes(bytes, 'digits').model.predict(x);
      process.stdout.write(JSON.stringify({ same: y.data.length === 30 && Array.from(again.data).every((v, i) => Object.is(v, y.data[i])),
        shared: full.Tensor === infer.Tensor && esm.Model === infer.Model && (await full.loadEngine()) === (await infer.loadEngine()) }));
    })();`;
  const out = JSON.parse(execFileSync(process.execPath, ['-e', program], { cwd: root, encoding: 'utf8' }));
  expect(out).toEqual({ same: true, shared: true });
});

it('axon (whose second chunk loads protobufjs with import() from inside its cached script) exports and re-imports ONNX', () => {
  const program = `
    import { Sequential, layers, Tensor, exportOnnx, importOnnx } from 'axon';
    const m = new Sequential({ inputShape: [5], seed: 3 }).add(layers.dense({ units: 4, activation: 'relu' })).add(layers.dense({ units: 2 }));
    const x = new Tensor(Float32Array.from({ length: 15 }, (_, i) => Math.cos(i)), [3, 5]);
    const back = await importOnnx(await exportOnnx(m));
    const [a, b] = [await m.predict(x), await back.model.predict(x)];
    process.stdout.write(JSON.stringify(Array.from(a.data).map((v, i) => Math.abs(v - b.data[i]))));`;
  const diffs: number[] = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', program], { cwd: root, encoding: 'utf8' }));
  expect(diffs).toHaveLength(6);
  expect(Math.max(...diffs)).toBeLessThan(1e-6);
});

it('a one-shot require("axon/infer") app (the README\'s) predicts on the infer kernel set, one thread, without loading node:worker_threads or node:os', () => {
  // (an app that loads a model, predicts once and exits: no worker may start, none may keep the process alive)
  const program = `
    const { loadModel, Tensor } = require('axon/infer');
    (async () => {
      const { model } = loadModel('targets/workers/template/model/digits.axon');
      const y = await model.predict(new Tensor(new Float32Array(64).fill(0.25), [1, 64]));
      const { engine } = await model.session(1, { use: 'predict' });
      const loaded = process.moduleLoadList.filter((m) => /^NativeModule (worker_threads|os)$/.test(m));
      const handles = process._getActiveHandles().length;   // (before process.stdout, which is a handle itself)
      require('node:fs').writeSync(1, JSON.stringify({ n: y.data.length, kernelSet: engine.kernelSet, threads: engine.threads, threaded: engine.threaded, loaded, handles }));
    })();`;
  const out = JSON.parse(execFileSync(process.execPath, ['-e', program], { cwd: root, encoding: 'utf8', timeout: 30_000 }));
  expect(out).toEqual({ n: 10, kernelSet: 'infer', threads: 1, threaded: false, loaded: [], handles: 0 });
});
