// Keyword spotting latency per 1 s clip (melSpectrogram front end + DS-CNN, batch 1) on each target:
// Node (dist/node.js), the WASI program under node:wasi (a bundle from `axon compile --batch 1`;
// per clip = (time for 101 clips - time for 1) / 100, so loading the bundle is left out), and
// Chromium (the demo page's own model: axonKws.latency). Models: the shipped int8 one, and the f32
// one `axon train models/kws/config.json` writes (out/kws/model.axon) when it is there. Node: the
// median of 300 calls; WASI and Chromium: medians of 3 runs.
//   npm run build && node bench/kws_targets.mjs
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import os from 'node:os';
import { loadEngine, modelFromBytes, Tensor } from '../dist/node.js';
import { median, wasiPerItem, withChromium } from './targets_kit.mjs';

const dir = mkdtempSync(join(tmpdir(), 'axon-bench-kws-'));
const clip = Float32Array.from({ length: 16000 }, (_, k) => 0.3 * Math.sin(k * 0.07) * (k > 4000 && k < 11000 ? 1 : 0.01));
const models = [['int8', 'models/kws/kws.int8.axon'], ...(existsSync('out/kws/model.axon') ? [['f32', 'out/kws/model.axon']] : [])];
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
    rows.push({ kind, bytes: readFileSync(path).length, node: median(node), wasi });
  }
  // Chromium: the demo page (int8 model)
  const { buildBrowser } = await import('../targets/browser/build.mjs');
  await buildBrowser({ outdir: join(dir, 'site') });
  const chromium = (await withChromium(join(dir, 'site'), async (page, url) => {
    await page.goto(`${url}/demo/kws.html`);
    await page.waitForFunction(() => globalThis.axonKws?.state.status === 'ready', null, { timeout: 60_000 });
    const t = [];
    for (let r = 0; r < 3; r++) t.push(await page.evaluate(() => globalThis.axonKws.latency(100)));
    return median(t);
  })) ?? NaN;
  console.log(`keyword spotting per 1 s clip, batch 1, 1 thread (ms, median of 3); ${os.cpus()[0].model}, node ${process.version}`);
  console.log('| model | file bytes | Node | WASI (node:wasi) | Chromium (demo page) |');
  console.log('|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.kind} | ${r.bytes.toLocaleString('en-US')} | ${r.node.toFixed(3)} | ${r.wasi.toFixed(3)} | ${r.kind === 'int8' ? chromium.toFixed(3) : '–'} |`);
} finally { rmSync(dir, { recursive: true, force: true }); }
