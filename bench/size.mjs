// W8 (BENCHMARKING.md): bytes shipped for browser / Worker inference. An app that loads a model
// file and runs one prediction, bundled and minified by esbuild (tree-shaken), plus the .wasm it
// fetches; raw, gzip -9 and brotli -11. Peers: the same app on tfjs-core + tfjs-backend-wasm
// (ops only, and with tfjs-layers). Goals: Axon ≤ 100 KiB gzip (issue 6); ≤ 82 KiB, a classic model's
// app carrying no transformer layer code (issue 15).
//   node bench/size.mjs            (after npm run build)
import { build } from 'esbuild';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { bundleApp } from '../targets/browser/app_bundle.mjs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'axon-size-'));
const KiB = (n) => (n / 1024).toFixed(1);
const sizes = (buf) => ({
  raw: buf.length,
  gzip: gzipSync(buf, { level: 9 }).length,
  brotli: brotliCompressSync(buf, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: buf.length } }).length,
});

async function bundle(name, source, opts = {}, dir = tmp) {
  const entry = join(dir, `${name}.entry.mjs`), out = join(tmp, `${name}.js`);
  writeFileSync(entry, source);
  await build({ entryPoints: [entry], outfile: out, bundle: true, minify: true, format: 'esm', platform: 'browser', target: 'es2022', logLevel: 'error', absWorkingDir: root, nodePaths: [join(root, 'node_modules')], ...opts });
  return readFileSync(out);
}

const rows = [];
/** parts: [name, bytes or a list of files' bytes (sizes summed: each file is served and compressed alone)] */
function row(what, parts, note = '') {
  const s = parts.map(([, b]) => [b].flat().map(sizes).reduce((a, x) => ({ raw: a.raw + x.raw, gzip: a.gzip + x.gzip, brotli: a.brotli + x.brotli })));
  const sum = (k) => s.reduce((a, x) => a + x[k], 0);
  rows.push({ what, parts: parts.map(([n], i) => `${n} ${KiB(s[i].raw)} / ${KiB(s[i].gzip)} gz`).join(' + '), raw: sum('raw'), gzip: sum('gzip'), brotli: sum('brotli'), note });
}

// ── Axon: apps bundled as users do: from the published package (`axon/browser` resolved through
// package.json exports: dist/esm, one module per file) in a consumer project (node_modules/axon → this
// package), with code splitting on (targets/browser/app_bundle.mjs), and from the TypeScript source for
// comparison. Counted: the chunks the page loads at start (the entry and the chunks it imports), plus,
// for the Transformer app, the chunks its model and tokenizer load on demand (import()), each gzipped
// on its own as it is served; chunks the app never loads (other layer families, the ONNX reader) are not ──
const appSource = (from) => `
import { modelFromBytes, Tensor } from ${JSON.stringify(from)};
const bytes = new Uint8Array(await (await fetch('digits.axon')).arrayBuffer());
const { model } = modelFromBytes(bytes, 'digits.axon');
const y = await model.predict(new Tensor(new Float32Array(64), [1, 64]));
document.body.textContent = String(y.data.indexOf(Math.max(...y.data)));
`;
// a saved BERT-tiny-shaped text classifier (W9's shapes; its tokenizer rides in the model file)
const textSource = `
import { loadModel, TextModel } from 'axon/browser';
const { model, graph } = await loadModel('bert-tiny.axon');
const text = await TextModel.from(model, graph.extra);
document.body.textContent = (await text.classify('turn on the lights'))[0].label;
`;
const axonApp = await bundleApp(appSource('axon/browser'), { outdir: join(tmp, 'app') });
const axonSrcApp = await bundleApp(appSource(join(root, 'targets/browser/index.ts')), { outdir: join(tmp, 'src-app') });
const textApp = await bundleApp(textSource, { outdir: join(tmp, 'text-app') });
/** chunks as one part: [label, bytes] with the sizes summed over the chunks (each gzipped alone) */
const chunks = (label, list) => [`${label} (${list.length} file${list.length > 1 ? 's' : ''})`, list.map((c) => c.bytes)];
const start = (app) => chunks('app.js', app.start);
const wasm = (name) => readFileSync(join(root, `build/axon.${name}.wasm`));
const simd = wasm('simd'), relaxed = wasm('relaxed');
// a model that only predicts, on the default engine, fetches the infer build (src/kernel_sets.ts)
row('Axon inference app (published axon/browser) + infer relaxed wasm', [start(axonApp), ['axon.infer.relaxed.wasm', wasm('infer.relaxed')]], 'what Chromium / Firefox download (one build is fetched)');
row('Axon inference app (published axon/browser) + infer SIMD128 wasm', [start(axonApp), ['axon.infer.simd.wasm', wasm('infer.simd')]], 'what a browser without relaxed SIMD (Safari) downloads');
row('Axon inference app (bundled from the TypeScript source) + infer relaxed wasm', [start(axonSrcApp), ['axon.infer.relaxed.wasm', wasm('infer.relaxed')]], 'the same app, bundled from source');
row('the same app, training the model (fit): + core relaxed wasm', [start(axonApp), ['axon.core.relaxed.wasm', wasm('core.relaxed')]], 'app.js as above (fit is a Model method); the core build has the training kernels');
const lazy = (app, module) => app.onDemand[module] ?? (() => { throw new Error(`bench/size.mjs: no chunk loads ${module} on demand`); })();
row('Transformer app (BERT-tiny classifier: loadModel + TextModel.classify) + full relaxed wasm',
  [start(textApp), chunks('transformer layers', lazy(textApp, 'src/layers/transformer_family.js')), chunks('tokenizer', lazy(textApp, '@huggingface/tokenizers/dist/tokenizers.mjs')), ['axon.relaxed.wasm', relaxed]],
  'the transformer layers and the tokenizer load on demand; a model with transformer layers fetches the full build');
const full = readFileSync(join(root, 'dist/browser/axon.js'));
row('Axon full API (dist/browser/axon.js) + relaxed wasm', [['axon.js', full], ['axon.relaxed.wasm', relaxed]], 'training, data, charts included');
const worker = join(root, 'dist/workers/worker.js');
if (existsSync(worker)) {
  row('Axon Worker template upload (dist/workers)', [['worker.js', readFileSync(worker)], ['simd.wasm', simd], ['relaxed.wasm', relaxed]], 'both builds are uploaded; model file (30 KB) not counted');
}

// ── tfjs peers: the same MLP (64-64-32-10) with ops, and with tfjs-layers ──
const nodeBuiltins = ['fs', 'path', 'os', 'crypto', 'worker_threads', 'perf_hooks', 'util'];
const tfWasm = readFileSync(join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'));
try {
  const tfOps = await bundle('tfjs-ops', `
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
await tf.setBackend('wasm');
const w = new Float32Array(await (await fetch('weights.bin')).arrayBuffer());
let o = 0; const t = (r, c) => { const x = tf.tensor2d(w.subarray(o, o + r * c), [r, c]); o += r * c; return x; };
const [w1, b1, w2, b2, w3, b3] = [t(64, 64), t(1, 64), t(64, 32), t(1, 32), t(32, 10), t(1, 10)];
const x = tf.zeros([1, 64]);
const y = tf.softmax(tf.relu(tf.relu(x.matMul(w1).add(b1)).matMul(w2).add(b2)).matMul(w3).add(b3));
document.body.textContent = String(y.argMax(1).dataSync()[0]);
`, { external: nodeBuiltins });
  row('tfjs-core + tfjs-backend-wasm 4.22 (ops) + simd wasm', [['app.js', tfOps], ['tfjs-backend-wasm-simd.wasm', tfWasm]]);
  const tfLayers = await bundle('tfjs-layers', `
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-wasm';
await tf.setBackend('wasm');
const m = await tfl.loadLayersModel('model.json');
const y = m.predict(tf.zeros([1, 64]));
document.body.textContent = String(y.argMax(1).dataSync()[0]);
`, { external: nodeBuiltins });
  row('tfjs-core + tfjs-layers + tfjs-backend-wasm 4.22 + simd wasm', [['app.js', tfLayers], ['tfjs-backend-wasm-simd.wasm', tfWasm]]);
} catch (e) {
  console.error(`tfjs peer skipped: ${e.message.split('\n')[0]}`);
}
rmSync(tmp, { recursive: true, force: true });

console.log(`W8 bundle size (esbuild ${(await import('esbuild')).version} --minify, gzip -9, brotli -11); KiB = 1024 bytes\n`);
console.log('| bundle | parts (raw / gzip KiB) | raw KiB | gzip KiB | brotli KiB | note |');
console.log('|---|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.what} | ${r.parts} | ${KiB(r.raw)} | **${KiB(r.gzip)}** | ${KiB(r.brotli)} | ${r.note} |`);
const axon = rows[0];
console.log(`\ngoal ≤ 100 KiB gzip: ${axon.gzip <= 100 * 1024 ? 'met' : 'NOT met'}; ≤ 82 KiB: ${axon.gzip <= 82 * 1024 ? 'met' : 'NOT met'} (${KiB(axon.gzip)} KiB)`);
const carried = axonApp.start.flatMap((c) => c.inputs).filter((m) => /^src\/layers\/(attention|embedding|layernorm|sequence|audio|augment|recurrent|recurrent_bidirectional)\.js$/.test(m));
console.log(`classic app's start chunks carry transformer / recurrent / audio / augmentation layer modules: ${carried.length ? carried.join(', ') : 'none'}`);
console.log(`the classic app's on-demand chunks (not fetched for its model): ${Object.entries(axonApp.onDemand).map(([m, list]) => `${m} ${KiB(list.reduce((a, c) => a + sizes(c.bytes).gzip, 0))} KiB gz`).join(', ')}`);
