// Keyword spotting latency per 1 s clip (melSpectrogram front end + DS-CNN, batch 1) on each target:
// Node (dist/node.js), the WASI program under node:wasi (a bundle from `axon compile --batch 1`;
// per clip = (time for 101 clips - time for 1) / 100, so loading the bundle is left out), and
// Chromium (a blank page with dist/browser/axon.js, both models). Models: the shipped int8 one, and
// the f32 one `axon train models/kws/config.json` writes (out/kws/model.axon), or when it is not there
// the same DS-CNN with seeded weights (the time does not depend on the weights' values). Node: the
// median of 300 calls; WASI: median of 3 runs; Chromium: median of 7 rounds of 300 ms.
//   npm run build && node bench/kws_targets.mjs
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import os from 'node:os';
import { loadEngine, modelFromBytes, modelToBytes, Tensor } from '../dist/node.js';
import { chromiumLatency, kwsSeededModel, median, wasiPerItem } from './targets_kit.mjs';

const dir = mkdtempSync(join(tmpdir(), 'axon-bench-kws-'));
const clip = Float32Array.from({ length: 16000 }, (_, k) => 0.3 * Math.sin(k * 0.07) * (k > 4000 && k < 11000 ? 1 : 0.01));
/** The config's DS-CNN with seeded weights, saved to the scratch directory. */
function seededF32() {
  const path = join(dir, 'kws-f32-seeded.axon');
  writeFileSync(path, modelToBytes(kwsSeededModel()));
  return path;
}
const models = [['int8', 'models/kws/kws.int8.axon'], existsSync('out/kws/model.axon') ? ['f32', 'out/kws/model.axon'] : ['f32 (seeded weights)', seededF32()]];
const wasm = await WebAssembly.compile(readFileSync('build/axon.wasi.wasm'));
const rows = [];
try {
  for (const [kind, path] of models) {
    const engine = await loadEngine({ build: 'simd', threads: 1 }), { model } = modelFromBytes(readFileSync(path), path, engine);
    const x = new Tensor(clip, [1, 16000]), node = [];
    for (let i = 0; i < 5; i++) await model.predict(x);
    for (let i = 0; i < 300; i++) { const t0 = performance.now(); await model.predict(x); node.push(performance.now() - t0); }
    execFileSync(process.execPath, ['dist/cli.js', 'compile', path, '--batch', '1', '--out', join(dir, 'kws.axb')], { stdio: 'ignore' });
    const wasi = await wasiPerItem(wasm, dir, 'kws.axb', clip);
    rows.push({ kind, path, bytes: readFileSync(path).length, node: median(node), wasi });
  }
  // Chromium: both models on a blank page
  const browser = await chromiumLatency(dir, rows.map((r) => ({ kind: r.kind, bytes: readFileSync(r.path), input: clip })), [1, 16000]);
  console.log(`keyword spotting per 1 s clip, batch 1, 1 thread (ms); ${os.cpus()[0].model}, node ${process.version}${browser ? `, ${browser.ua} build ${browser.build}` : ''}`);
  console.log('| model | file bytes | Node | WASI (node:wasi) | Chromium |');
  console.log('|---|---|---|---|---|');
  rows.forEach((r, k) => console.log(`| ${r.kind} | ${r.bytes.toLocaleString('en-US')} | ${r.node.toFixed(3)} | ${r.wasi.toFixed(3)} | ${browser ? median(browser.results[k].t).toFixed(3) : '–'} |`));
} finally { rmSync(dir, { recursive: true, force: true }); }
