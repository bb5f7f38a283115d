// IMU activity classifier latency per 2.56 s window (128 × 6, already standardized: the caller's
// normalization is left out), batch 1, one thread, on each target: Node (dist/node.js), the WASI
// program under node:wasi (a bundle from `axon compile --batch 1`; per window = (time for 1,001
// windows - time for 1) / 1,000, loading left out: bench/targets_kit.mjs) and Chromium (the
// browser bundle dist/browser/axon.js on a blank page). Models: the f32 classifier and its int8
// file (static PTQ: Conv1D int8, GRU int8 weights with dynamic activations, Dense head int8).
// Node and Chromium: Model.predict in loops of `--ms`, f32 and int8 interleaved round by round,
// median (min–max) over `--rounds`; WASI: median of 5 runs. Every target's int8 and f32 outputs are
// checked against Node's (same window) before timing.
//   npm run build && node models/imu/generate.mjs && node dist/cli.js train models/imu/config.json
//   && node dist/cli.js quantize out/imu/model.axon -o out/imu/model-int8.axon -c out/imu/data/train-x.npy
//   && node bench/imu_targets.mjs [--rounds=7] [--ms=300]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import os, { tmpdir } from 'node:os';
import { loadEngine, modelFromBytes, Normalizer, Tensor, imuDataset, imuUser } from '../dist/node.js';
import { chromiumLatency, median, wasiPerItem } from './targets_kit.mjs';

const arg = (name, def) => { const a = process.argv.find((x) => x.startsWith(`--${name}=`)); return a ? Number(a.slice(name.length + 3)) : def; };
const ROUNDS = arg('rounds', 7), MS = arg('ms', 300);
const files = [['f32', 'out/imu/model.axon'], ['int8', 'out/imu/model-int8.axon']];
const dir = mkdtempSync(join(tmpdir(), 'axon-bench-imu-'));
const fmt = (t) => `${(median(t) * 1000).toFixed(0)} (${(Math.min(...t) * 1000).toFixed(0)}–${(Math.max(...t) * 1000).toFixed(0)})`;
const maxDiff = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
try {
  const raw = imuDataset([imuUser(24, 16)], { seconds: 3, seed: 16 }).x;              // a walk window of an unseen user
  const engine = await loadEngine({ threads: 1 });
  const runs = files.map(([kind, path]) => {
    const bytes = readFileSync(path), { model, graph } = modelFromBytes(bytes, path, engine);
    const win = Normalizer.fromJSON(graph.extra.normalizer, path).apply(raw).data.slice(0, 768);
    return { kind, path, bytes, model, win, x: new Tensor(win, [1, 128, 6]), node: [] };
  });
  for (const r of runs) r.ref = Float32Array.from((await r.model.predict(r.x)).data);
  for (let round = 0; round < ROUNDS; round++) for (const r of runs) {
    let n = 0; const t0 = performance.now();
    while (performance.now() - t0 < MS) { await r.model.predict(r.x); n++; }
    r.node.push((performance.now() - t0) / n);
  }
  // WASI: the bundle of each model at batch 1; its output for the window checked against Node's
  const wasm = await WebAssembly.compile(readFileSync('build/axon.wasi.wasm'));
  for (const r of runs) {
    execFileSync(process.execPath, ['dist/cli.js', 'compile', r.path, '--batch', '1', '--out', join(dir, `${r.kind}.axb`)], { stdio: 'ignore' });
    r.wasi = await wasiPerItem(wasm, dir, `${r.kind}.axb`, r.win, { n: 1000, runs: 5 });
    const b = readFileSync(join(dir, 'out.bin')), out = new Float32Array(b.buffer, b.byteOffset, b.length / 4).slice(-r.ref.length);
    r.wasiDiff = maxDiff(out, r.ref);
  }
  // Chromium: the browser bundle and the model files on a blank page
  const browser = await chromiumLatency(dir, runs.map((r) => ({ kind: r.kind, bytes: r.bytes, input: r.win })), [1, 128, 6], { rounds: ROUNDS, ms: MS });
  console.log(`IMU classifier, one window (128 × 6) at batch 1, 1 thread, µs median (min–max); ${os.cpus()[0].model}, node ${process.version}, ` +
    `Node build ${engine.build}${browser ? `, ${browser.ua} build ${browser.build}` : ''}; ${ROUNDS} rounds × ${MS} ms (WASI: median of 5)`);
  console.log('| model | file bytes | Node | WASI (node:wasi) | Chromium |');
  console.log('|---|---|---|---|---|');
  runs.forEach((r, k) => {
    const b = browser?.results[k];
    console.log(`| ${r.kind} | ${r.bytes.length.toLocaleString('en-US')} | ${fmt(r.node)} | ${(r.wasi * 1000).toFixed(0)} | ${b ? fmt(b.t) : '–'} |`);
  });
  console.log(`max |output - Node's|: ${runs.map((r, k) => `${r.kind}: WASI ${r.wasiDiff.toExponential(1)}, Chromium ${browser ? maxDiff(browser.results[k].out, r.ref).toExponential(1) : '–'}`).join('; ')}`);
} finally { rmSync(dir, { recursive: true, force: true }); }
